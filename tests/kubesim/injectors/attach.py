"""Attach test injectors to a running KubeSim: background service plus admin routes.

    registry = attach(sim, ["istio=istio-system/istiod"])   # specs optional; auto-discovery on by default

Admin route (on the API port, bearer token as for the API):
    POST /_kubesim/injectors/<svc>.<ns>.svc:443  {"delay": 3, "deny": "msg" | null, "mode": "eof",
          "listening": false, "certificate": "foreign" | "foreign-same-name" | "expired" | "wrong-name" | "valid"}
    GET  /_kubesim/injectors                         -> {"<host:port>": {state}, ...}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

from tests.kubesim.injectors.cluster import StoreWriter
from tests.kubesim.injectors.istio import IstioInjector
from tests.kubesim.injectors.registry import Injector, InjectorRegistry

PREFIX = "/_kubesim/injectors"


def state(injector: Injector) -> dict[str, Any]:
    server = injector.server
    return {
        "address": f"{server.host}:{server.port}",
        "listening": server.running,
        "mode": server.mode,
        "delay": server.delay,
        "deny": server.deny_message,
        "requests": len(server.requests),
    }


async def apply_controls(injector: Injector, body: dict[str, Any]) -> None:
    server = injector.server
    if "delay" in body:
        server.delay = float(body["delay"] or 0)
    if "deny" in body:
        server.deny_message = body["deny"]
    if "mode" in body:
        server.mode = str(body["mode"])
    if "listening" in body:
        await (injector.start() if body["listening"] else injector.stop())
    certificate = body.get("certificate")
    if certificate and isinstance(injector, IstioInjector):
        if certificate == "foreign":
            injector.serve_foreign_ca()
        elif certificate == "foreign-same-name":
            injector.serve_foreign_ca(organization="cluster.local")
        elif certificate == "expired":
            injector.serve_expired()
        elif certificate == "wrong-name":
            injector.serve_wrong_name()
        elif certificate == "valid":
            injector.serve_valid()
        else:
            raise ValueError(f"unknown certificate {certificate!r}")


def attach(sim: Any, specs: Iterable[str] = (), *, auto: bool = True, interval: float = 0.5) -> InjectorRegistry:
    registry = InjectorRegistry(sim.store_view, sim.admission.resolver, StoreWriter(sim.cluster.store), auto=auto)

    async def start() -> None:
        for spec in specs:
            await registry.start_spec(spec)
        await registry.sync()
        registry.start_background(interval)

    async def handler(request: web.Request) -> web.Response:
        target = request.path[len(PREFIX) :].strip("/")
        if not target:
            return web.json_response({k: state(v) for k, v in registry.injectors.items()})
        injector = registry.get(target)
        if injector is None:
            return web.json_response({"error": f"no injector for {target}"}, status=404)
        if request.method == "POST":
            try:
                await apply_controls(injector, await request.json())
            except (ValueError, TypeError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(state(injector))

    sim.add_service(start, registry.close)
    for method in ("GET", "POST"):
        sim.add_admin_route(method, PREFIX, handler)
        sim.add_admin_route(method, PREFIX + "/*", handler)
    return registry
