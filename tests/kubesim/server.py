"""KubeSim: the test API server as an object — HTTPS on 127.0.0.1 in a background thread with its own loop.

    sim = KubeSim(seed=["tests/fixtures/x.yaml"]).start()
    sim.kubeconfig_path, sim.url, sim.ca_file, sim.token
    sim.seed(objs_or_paths, reconcile=False); sim.apply(objs); sim.get("v1/pods", "ns", "name")
    sim.requests / sim.clear_requests(); sim.set_policy({...}); sim.add_rule({...}); sim.compact(); sim.settle()
    sim.reset(); sim.stop()

Seam for the admission side (tests/kubesim/admission/, tests/kubesim/injectors/):
- The chain: see admission_seam.py (`admit(...)` contract, `StoreView`, the one wiring line
  ADMISSION_CHAIN_ENABLED, or KubeSim(admission="chain" | object | factory(view, resolver))).
  `sim.admission` is the live chain object, `sim.store_view` the read access it was given.
- Background services in the server's loop: `sim.loop` (the asyncio loop), `sim.run(coro)` (run a coroutine
  there and wait for its result), `sim.add_service(start, stop)` (async callables; start now, stop at
  sim.stop()).
- Admin routes on the API port: `sim.add_admin_route("POST", "/_kubesim/injectors/*", handler)` with an aiohttp
  handler `async def handler(request) -> web.Response`; see admin.py for the built-in ones.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterable, List

import yaml
from aiohttp import web

from . import http_api, tls
from .admission_seam import StoreView
from .core import AdminHandler, Cluster, Config
from .patches import clone
from .policy import Policy, Rule
from .resources import BY_GVK
from .seeding import gc_paused, load_sources


class KubeSim:
    def __init__(
        self,
        *,
        port: int = 0,
        token: str = "kubesim-token",
        kubernetes_version: str = "v1.31.4",
        policy: Any = None,
        access_log: str | None = None,
        seed: Iterable[Any] = (),
        reconcile_seed: bool = False,
        admission: Any = None,
        admission_resolver: Any = None,
        controllers: bool = True,
        base_objects: bool = True,
        sync_wait: float = 5.0,
        workdir: str | None = None,
        context: str = "kubesim",
    ):
        self.config = Config(
            token=token,
            kubernetes_version=kubernetes_version,
            admission=admission,
            admission_resolver=admission_resolver,
            controllers=controllers,
            base_objects=base_objects,
            sync_wait=sync_wait,
            access_log=access_log,
        )
        self._requested_port = port
        self._initial_policy = policy
        self._initial_seed = list(seed)
        self._reconcile_seed = reconcile_seed
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="kubesim-")
        self.context = context
        self.port = 0
        self.cluster: Cluster | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._runner: web.AppRunner | None = None
        self._services: list[Callable[[], Awaitable[Any]]] = []
        self.certs: tls.ServingCerts | None = None
        self.ca_file = os.path.join(self.workdir, "ca.crt")
        self.kubeconfig_path = os.path.join(self.workdir, "kubeconfig")

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return self.config.token

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "KubeSim is not running"
        return self._loop

    def start(self) -> KubeSim:
        if self._initial_policy is not None and not isinstance(self._initial_policy, Policy):
            self._initial_policy = self._to_policy(self._initial_policy)  # a bad policy fails here, plainly
        self._thread = threading.Thread(target=self._main, name="kubesim", daemon=True)
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("kubesim did not start within 60s")
        if self._error is not None:
            raise RuntimeError(f"kubesim failed to start: {self._error!r}") from self._error
        try:
            if self._initial_seed:
                self.seed(*self._initial_seed, reconcile=self._reconcile_seed)
            self.write_kubeconfig(self.kubeconfig_path)
        except BaseException:
            self.stop()
            raise
        return self

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._astart())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._astop())
            loop.close()

    async def _astart(self) -> None:
        self.certs = tls.generate()
        self.config.ca_pem = self.certs.ca_pem
        ssl_ctx = self.certs.server_context(self.workdir)
        self.cluster = Cluster(self.config)
        if self._initial_policy is not None:
            self.cluster.policy = self._to_policy(self._initial_policy)
        app = web.Application(client_max_size=1 << 30)
        app[http_api.CLUSTER] = self.cluster
        app.router.add_route("*", "/{tail:.*}", http_api.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._requested_port, ssl_context=ssl_ctx, backlog=512)
        await site.start()
        # The port picked for port 0 is only visible on the listening socket.
        sockets: list[Any] = list(getattr(site._server, "sockets", None) or [])
        self.port = sockets[0].getsockname()[1]
        await self.cluster.start(self.port)

    async def _astop(self) -> None:
        for stop in reversed(self._services):
            with contextlib.suppress(Exception):  # keep shutting down
                await stop()
        if self.cluster is not None:
            await self.cluster.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop = None
        self._thread = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)  # the CA key and kubeconfig lived there

    def __enter__(self) -> KubeSim:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ running things on the loop
    def run(self, coro: Awaitable[Any], timeout: float | None = 60) -> Any:
        """Run a coroutine on the server loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a plain function on the server loop (all state lives there) and return its result."""

        async def wrapper() -> Any:
            return fn(*args, **kwargs)

        return self.run(wrapper())

    def add_service(self, start: Callable[[], Awaitable[Any]], stop: Callable[[], Awaitable[Any]] | None = None) -> Any:
        """Start a background service in the server loop now; `stop` runs when the server stops."""
        result = self.run(start())
        if stop is not None:
            self._services.append(stop)
        return result

    def add_admin_route(self, method: str, path: str, handler: AdminHandler) -> None:
        assert path.startswith("/_kubesim/"), "admin routes live under /_kubesim/"
        self._cluster().admin_routes[(method.upper(), path.rstrip("/") if not path.endswith("/*") else path)] = handler

    def _cluster(self) -> Cluster:
        assert self.cluster is not None, "KubeSim is not running"
        return self.cluster

    @property
    def admission(self) -> Any:
        return self._cluster().admission

    @property
    def store_view(self) -> StoreView:
        return self._cluster().view

    # ------------------------------------------------------------------ kubeconfig
    def write_kubeconfig(self, path: str | os.PathLike, context: str | None = None) -> str:
        assert self.certs is not None
        name = context or self.context
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [
                {
                    "name": name,
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": base64.b64encode(self.certs.ca_pem).decode(),
                    },
                }
            ],
            "users": [{"name": name, "user": {"token": self.token}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
        }
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Atomic: scripts wait for this file to appear as the "server is up" signal.
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        os.replace(partial, target)
        return str(target)

    def kube_client(self) -> Any:
        """A `kubernetes.client.ApiClient` for this server (imported lazily)."""
        from kubernetes import client, config  # lazy: the server itself does not need the client

        cfg = client.Configuration()
        config.load_kube_config(config_file=self.kubeconfig_path, client_configuration=cfg)
        return client.ApiClient(cfg)

    # ------------------------------------------------------------------ state
    def seed(self, *sources: Any, reconcile: bool = False, defaults: bool = True) -> dict[str, int]:
        """Paths, dicts or lists of dicts, straight into the store (no admission; controllers only with
        reconcile=True). Returns counts per resource."""
        flat: list[Any] = []
        for src in sources:
            flat.extend(src if isinstance(src, (list, tuple)) else [src])
        with gc_paused() as pause:
            objs = load_sources(flat)
            pause.freeze = len(objs) > 10_000
            counts = self.call(self._cluster().seed, objs, reconcile, defaults, False)
        if reconcile:
            self.settle()
        return counts

    def warm(self) -> int:
        """Pre-encode every stored object (list pages reuse each object's JSON), so that benchmarks measure
        the client rather than the server's first encoding pass. Returns the number of objects."""

        def encode_all() -> int:
            count = 0
            for bucket in self._cluster().store.buckets.values():
                for entry in bucket.entries.values():
                    entry.raw  # noqa: B018 - computes and caches the encoding
                    count += 1
            return count

        return int(self.call(encode_all))

    def apply(self, *objs: Any) -> list[dict]:
        """Create or strategic-merge-patch each object through the API path (admission + controllers)."""
        flat = load_sources(o for src in objs for o in (src if isinstance(src, (list, tuple)) else [src]))
        results = self.run(self._apply(flat))
        self.settle()
        return results

    async def _apply(self, objs: list[dict]) -> list[dict]:
        cluster = self._cluster()
        out = []
        for obj in objs:
            rt = BY_GVK.get((str(obj.get("apiVersion")), str(obj.get("kind"))))
            if rt is None:
                raise KeyError(f"kubesim does not serve {obj.get('apiVersion')}/{obj.get('kind')}")
            ns = (obj.get("metadata") or {}).get("namespace") or ("default" if rt.namespaced else None)
            name = (obj.get("metadata") or {}).get("name")
            user = cluster.config.admin_user
            if name and cluster.store.get(rt.storage, ns if rt.namespaced else None, name) is not None:
                result, _ = await cluster.api.patch(
                    rt, ns, name, obj, "application/strategic-merge-patch+json", user=user
                )
            else:
                result = await cluster.api.create(rt, ns, obj, user=user)
            out.append(clone(result))
        return out

    def get(self, resource: str, namespace: str | None, name: str) -> dict | None:
        """A copy of one object by resource string ("v1/pods", "apps/v1/deployments")."""
        return self.call(lambda: clone(self._cluster().view.get(resource, namespace, name)))

    def list(self, resource: str, namespace: str | None = None) -> list[dict]:
        return self.call(lambda: clone(self._cluster().view.list(resource, namespace)))

    def reset(self) -> None:
        self.run(self._cluster().reset())

    @property
    def requests(self) -> List[Dict[str, Any]]:  # typing aliases: the `list` method above shadows the builtin
        return self.call(lambda: [dict(r) for r in self._cluster().requests])

    def clear_requests(self) -> None:
        self.call(self._cluster().requests.clear)

    @staticmethod
    def _to_policy(policy: Any) -> Policy:
        if isinstance(policy, Policy):
            return policy
        if isinstance(policy, (str, os.PathLike)) and os.path.exists(policy):
            return Policy.load(str(policy))
        return Policy.from_data(policy)

    def set_policy(self, policy: Any) -> None:
        """Replace the policy: a dict, YAML text, a file path, a Policy, or None to clear."""
        new = self._to_policy(policy)

        def apply() -> None:
            self._cluster().policy = new

        self.call(apply)

    def add_rule(self, rule: dict[str, Any] | None = None, **kwargs: Any) -> Rule:
        parsed = Rule.from_dict(dict(rule or {}, **kwargs))
        self.call(self._cluster().policy.rules.append, parsed)
        return parsed

    @property
    def policy(self) -> Policy:
        return self._cluster().policy

    def compact(self) -> int:
        """Expire every outstanding continue token and watch resourceVersion (like an etcd compaction)."""
        return self.call(self._cluster().store.compact)

    def set_continue_expiry(self, max_age: int | None) -> None:
        """Continue tokens older than `max_age` resourceVersions answer 410 Expired (None: never)."""

        def apply() -> None:
            self._cluster().api.continue_max_age = max_age

        self.call(apply)

    def trigger_cronjob(self, namespace: str, name: str) -> dict:
        """Run a CronJob now: a Job from its template, annotated `cronjob.kubernetes.io/instantiate: manual`."""
        job = self.run(self._cluster().trigger_cronjob(namespace, name))
        self.settle()
        return clone(job)

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until the controllers have nothing left to do (delayed retries excluded)."""
        return bool(self.run(self._cluster().settle(timeout), timeout + 5))

    @property
    def resource_version(self) -> int:
        return self._cluster().store.rv
