"""Admin endpoints under /_kubesim/ on the API port (no token needed, not in the request log, no policy):

    GET    /_kubesim/healthz                 "ok"
    POST   /_kubesim/reset                   empty the cluster (baseline objects come back), clear policy and log
    POST   /_kubesim/seed[?reconcile=true]   body: YAML (multi-doc) or JSON objects/lists → {"seeded": {res: n}}
    GET    /_kubesim/policy                  current rules (with hit counts) and extra users
    PUT    /_kubesim/policy                  replace the policy (YAML/JSON body, format in policy.py)
    POST   /_kubesim/policy/rules            append one rule (or a list of rules)
    DELETE /_kubesim/policy                  remove all rules and extra users
    GET    /_kubesim/requests                the request log (JSON list); DELETE clears it
    POST   /_kubesim/compact                 expire every outstanding continue token / watch resourceVersion
    PUT    /_kubesim/continue-expiry         {"maxAge": N}: tokens older than N resourceVersions expire (null: off)
    POST   /_kubesim/settle[?timeout=10]     wait until the controllers are idle → {"settled": true|false}
    POST   /_kubesim/cronjobs/<ns>/<name>/trigger   run a CronJob now (like kubectl create job --from) → the Job

Other components add routes with KubeSim.add_admin_route(method, path, handler); a path ending in "/*" matches
every path under that prefix (e.g. "/_kubesim/injectors/*").
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml
from aiohttp import web

from .errors import StatusError
from .policy import Policy, Rule
from .seeding import YAML_LOADER, flatten, gc_paused
from .store import encode

if TYPE_CHECKING:
    from .core import Cluster


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=encode(obj) + b"\n", status=status, content_type="application/json")


async def _docs(request: web.Request) -> list[Any]:
    raw = (await request.read()).decode()
    if not raw.strip():
        return []
    if request.content_type == "application/json":
        return [json.loads(raw)]
    try:
        return list(yaml.load_all(raw, Loader=YAML_LOADER))
    except yaml.YAMLError as exc:
        raise web.HTTPBadRequest(text=f"cannot parse body: {exc}") from exc


def _policy_dict(cluster: Cluster) -> dict[str, Any]:
    return {
        "rules": [r.to_dict() for r in cluster.policy.rules],
        "users": [
            {"user": u.name, "groups": list(u.groups), "authorize": u.authorize} for u in cluster.policy.users.values()
        ],
    }


async def dispatch(cluster: Cluster, request: web.Request) -> web.StreamResponse:
    method, path = request.method, request.path.rstrip("/")
    handler = cluster.admin_routes.get((method, path))
    if handler is None:
        for (m, pattern), h in cluster.admin_routes.items():
            if m == method and pattern.endswith("/*") and path.startswith(pattern[:-1]):
                handler = h
                break
    if handler is not None:
        return await handler(request)
    try:
        return await _builtin(cluster, request, method, path)
    except (ValueError, TypeError) as exc:
        return _json({"error": str(exc)}, 400)
    except StatusError as exc:
        return _json(exc.to_status(), exc.code)


async def _builtin(cluster: Cluster, request: web.Request, method: str, path: str) -> web.StreamResponse:
    if (method, path) == ("GET", "/_kubesim/healthz"):
        return web.Response(text="ok")
    if (method, path) == ("POST", "/_kubesim/reset"):
        await cluster.reset()
        return _json({"reset": True, "resourceVersion": str(cluster.store.rv)})
    if (method, path) == ("POST", "/_kubesim/seed"):
        await request.read()  # buffered, so that parsing below runs with the collector paused
        with gc_paused() as pause:
            objs = [o for doc in await _docs(request) for o in flatten(doc)]
            pause.freeze = len(objs) > 10_000
            counts = cluster.seed(objs, reconcile=request.query.get("reconcile") == "true", copy=False)
        return _json({"seeded": counts})
    if path == "/_kubesim/policy":
        if method == "GET":
            return _json(_policy_dict(cluster))
        if method == "PUT":
            cluster.policy = Policy.from_data(await request.read())
            return _json(_policy_dict(cluster))
        if method == "DELETE":
            cluster.policy = Policy()
            return _json(_policy_dict(cluster))
    if (method, path) == ("POST", "/_kubesim/policy/rules"):
        docs = await _docs(request)
        rules = docs[0] if len(docs) == 1 and isinstance(docs[0], list) else docs
        cluster.policy.rules.extend(Rule.from_dict(r) for r in rules)
        return _json(_policy_dict(cluster))
    if path == "/_kubesim/requests":
        if method == "GET":
            return _json(cluster.requests)
        if method == "DELETE":
            cluster.requests.clear()
            return _json([])
    if (method, path) == ("POST", "/_kubesim/compact"):
        return _json({"compactedResourceVersion": str(cluster.store.compact())})
    if (method, path) == ("PUT", "/_kubesim/continue-expiry"):
        body = json.loads(await request.read() or b"{}")
        value = body.get("maxAge")
        cluster.api.continue_max_age = None if value is None else int(value)
        return _json({"maxAge": cluster.api.continue_max_age})
    if method == "POST" and path.startswith("/_kubesim/cronjobs/") and path.endswith("/trigger"):
        parts = path.split("/")
        if len(parts) == 6:
            job = await cluster.trigger_cronjob(parts[3], parts[4])
            await cluster.catch_up()
            return _json(job, 201)
    if (method, path) == ("POST", "/_kubesim/settle"):
        settled = await cluster.settle(float(request.query.get("timeout", "10")))
        return _json({"settled": settled})
    return _json({"error": f"no admin route {method} {path}"}, 404)
