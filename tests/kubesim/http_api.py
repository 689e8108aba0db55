"""HTTP front end: authentication, policy (403 rules and faults), RBAC for limited tokens, routing to the verbs,
list/watch encoding, and the access log. Admin routes under /_kubesim/ are dispatched to admin.py."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import yaml
from aiohttp import web

from . import admin, compression, discovery, errors, openapi_proto, protobuf_reviews, tables
from .conversions import to_view
from .core import Cluster
from .errors import StatusError
from .fieldmanager import WARNINGS
from .operations import WriteOptions
from .patches import PATCH_TYPES
from .rbac import Attributes, User
from .requestinfo import RequestInfo, parse
from .resources import ResourceType
from .selectors import FieldRequirement, fields_match, labels_match, parse_field_selector, parse_label_selector
from .store import WatchEvent, encode

JSON = "application/json"
DEFAULT_WATCH_TIMEOUT = 1800


CLUSTER: web.AppKey[Cluster] = web.AppKey("cluster", Cluster)
# set when a policy `ignore-dry-run` rule matches the request: its dryRun is then dropped
IGNORE_DRY_RUN: web.RequestKey[bool] = web.RequestKey("ignore_dry_run", bool)


class _Reset(Exception):
    """Policy asked to drop the connection without answering."""


def status_response(exc: StatusError) -> web.Response:
    headers = {}
    if exc.code == 429 and exc.details and exc.details.get("retryAfterSeconds") is not None:
        headers["Retry-After"] = str(exc.details["retryAfterSeconds"])
    return web.Response(body=encode(exc.to_status()) + b"\n", status=exc.code, content_type=JSON, headers=headers)


def json_response(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=encode(obj) + b"\n", status=status, content_type=JSON)


def _forbidden(info: RequestInfo, user: User, reason: str = "") -> StatusError:
    if info.is_resource:
        why = errors.forbidden_message(
            user.name,
            info.verb,
            info.resource,
            info.subresource or None,
            info.group,
            info.namespace if (info.rt is None or info.rt.namespaced or info.resource == "namespaces") else None,
        )
        qualified = f"{info.resource}.{info.group}" if info.group else info.resource
        err = errors.forbidden(qualified, info.name or None, why + (f": {reason}" if reason else ""))
        return err
    why = f'User "{user.name}" cannot {info.verb} path "{info.path}"' + (f": {reason}" if reason else "")
    return StatusError(403, "Forbidden", f"forbidden: {why}", {})


async def handle(request: web.Request) -> web.StreamResponse:
    cluster = request.app[CLUSTER]
    if request.path.startswith("/_kubesim/"):
        return await admin.dispatch(cluster, request)
    started = time.perf_counter()
    entry: dict[str, Any] = {"method": request.method, "path": request.path_qs, "ts": round(time.time(), 3)}
    status = 0
    try:
        response = await _serve(cluster, request, entry)
        status = response.status
        return _compress(request, response, entry)
    except StatusError as exc:
        status = exc.code
        entry.setdefault("reason", exc.reason)
        return _compress(request, status_response(exc), entry)
    except _Reset:
        entry["fault"] = "reset"
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError() from None
    finally:
        entry["status"] = status
        entry["ms"] = round((time.perf_counter() - started) * 1000, 3)
        cluster.log_request(entry)


def _compress(request: web.Request, response: web.StreamResponse, entry: dict[str, Any]) -> web.StreamResponse:
    """Gzip a whole-body response as kube-apiserver would (compression.py) and log its size: `bytes` is the
    body as encoded, `wire_bytes` what was sent (compressed or not). Streamed responses (watch) are left."""
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes) or response.prepared:
        return response
    body = response.body
    entry["bytes"] = len(body)
    if compression.should_compress(request.headers.get("Accept-Encoding"), len(body)):
        body = compression.gzip_bytes(body)
        response.body = body
        response.headers["Content-Encoding"] = "gzip"
        response.headers.add("Vary", "Accept-Encoding")
    entry["wire_bytes"] = len(body)
    return response


def _impersonate(cluster: Cluster, user: User, request: web.Request) -> User:
    name = request.headers.get("Impersonate-User")
    if not name:
        return user
    groups = tuple(request.headers.getall("Impersonate-Group", ()))
    if user.authorize == "rbac" and "system:masters" not in user.groups:
        allowed, _ = cluster.authorizer.authorize(user, Attributes(verb="impersonate", resource="users", name=name))
        if not allowed:
            raise errors.forbidden(
                "users", name, errors.forbidden_message(user.name, "impersonate", "users", None, "", None)
            )
    if name.startswith("system:serviceaccount:") and name.count(":") == 3:
        ns = name.split(":")[2]
        groups = groups + ("system:serviceaccounts", f"system:serviceaccounts:{ns}")
    groups = tuple(dict.fromkeys(groups + ("system:authenticated",)))
    return User(
        name, groups, request.headers.get("Impersonate-Uid", ""), "allow" if "system:masters" in groups else "rbac"
    )


async def _serve(cluster: Cluster, request: web.Request, entry: dict[str, Any]) -> web.StreamResponse:
    user = cluster.authenticate(request.headers.get("Authorization"))
    user = _impersonate(cluster, user, request)
    info = parse(request.method, request.path, dict(request.query))
    if info.is_resource and (info.rt is None or info.rt.custom):
        # Custom kinds are served only by the server that stores their CRD.
        info.rt = cluster.crds.lookup(info.group, info.version, info.resource)
    entry["verb"] = info.verb
    entry["user"] = user.name
    if info.is_resource:
        entry["resource"] = f"{info.resource}/{info.subresource}" if info.subresource else info.resource
        if info.namespace:
            entry["namespace"] = info.namespace
    writes = ("create", "update", "patch", "delete", "deletecollection")
    if info.is_resource and info.verb in writes and cluster.policy.ignores_dry_run(info, user):
        request[IGNORE_DRY_RUN] = True  # a policy rule plays a server that stores dry-run writes
        entry["fault"] = "ignore-dry-run"
    delay, rule = cluster.policy.evaluate(info, user)
    if delay:
        await asyncio.sleep(delay)
    if rule is not None:
        entry["fault"] = rule.action
        if rule.action == "forbid":
            raise _forbidden(info, user, rule.message)
        if rule.action == "throttle":
            raise errors.too_many_requests(rule.retry_after)
        if rule.action == "reset":
            raise _Reset()
        if rule.status == 500:
            raise errors.internal_error(rule.message or "injected fault")
        reason = {503: "ServiceUnavailable", 504: "Timeout", 409: "Conflict", 404: "NotFound", 400: "BadRequest"}.get(
            rule.status, "InternalError"
        )
        raise StatusError(rule.status, reason, rule.message or "injected fault")
    if user.authorize == "rbac":
        attrs = (
            Attributes(
                verb=info.verb,
                group=info.group,
                resource=info.resource,
                subresource=info.subresource,
                namespace=info.namespace,
                name=info.name,
            )
            if info.is_resource
            else Attributes(verb=info.verb, path=info.path)
        )
        allowed, _ = cluster.authorizer.authorize(user, attrs)
        if not allowed:
            raise _forbidden(info, user)
    if not info.is_resource:
        return _non_resource(cluster, request)
    return await _resource(cluster, request, info, user)


def _non_resource(cluster: Cluster, request: web.Request) -> web.StreamResponse:
    path = request.path.rstrip("/") or "/"
    if request.method != "GET":
        raise errors.method_not_allowed()
    if path == "/version":
        return json_response(discovery.version_info(cluster.config.kubernetes_version))
    if path in ("/healthz", "/livez", "/readyz"):
        return web.Response(text="ok", content_type="text/plain")
    if path.startswith("/openapi/") and cluster.openapi.available:
        return _openapi(cluster, request, path)
    groups = cluster.crds.group_versions()
    types = cluster.crds.types()
    if path == "/api":
        return json_response(discovery.api_versions(f"127.0.0.1:{cluster.port}"))
    if path == "/apis":
        return json_response(discovery.api_group_list(groups))
    segs = path.strip("/").split("/")
    if segs[0] == "api" and len(segs) == 2:
        doc = discovery.resource_list("", segs[1], types)
    elif segs[0] == "apis" and len(segs) == 2 and segs[1] in groups:
        return json_response(discovery.api_group(segs[1], groups))
    elif segs[0] == "apis" and len(segs) == 3:
        doc = discovery.resource_list(segs[1], segs[2], types)
    else:
        doc = None
    if doc is None:
        raise errors.not_found_path()
    return json_response(doc)


def _openapi(cluster: Cluster, request: web.Request, path: str) -> web.StreamResponse:
    builder = cluster.openapi
    if path == "/openapi/v2":
        if openapi_proto.MEDIA_TYPE in request.headers.get("Accept", ""):
            return web.Response(body=builder.v2_proto(), content_type=openapi_proto.CONTENT_TYPE)
        return web.Response(body=builder.v2_json(), content_type=JSON)
    if path == "/openapi/v3":
        return json_response(builder.v3_root())
    key = path[len("/openapi/v3/") :]
    raw = builder.v3_documents().get(key) if path.startswith("/openapi/v3/") else None
    if raw is None:
        raise errors.not_found_path()
    # Like kube-apiserver: a request naming the current hash may be cached for good.
    immutable = request.query.get("hash") == builder.v3_root()["paths"][key]["serverRelativeURL"].rpartition("=")[2]
    headers = {"Cache-Control": "public, immutable" if immutable else "no-cache, private"}
    return web.Response(body=raw, content_type=JSON, headers=headers)


def _table(cluster: Cluster, request: web.Request, rt: ResourceType, objs: list[dict], meta: dict) -> web.Response:
    version = tables.wants_table(request.headers.get("Accept", "")) or "v1"
    include = request.query.get("includeObject") or "Metadata"
    if include not in ("None", "Metadata", "Object"):
        raise errors.bad_request(f'Invalid value: "{include}": must be one of None, Metadata, Object')
    columns = cluster.crds.printer_columns(rt) if rt.custom else None
    return json_response(tables.table(rt, objs, meta, include, columns, version))


def _dry_run(request: web.Request, options: dict | None = None) -> bool:
    values = list(request.query.getall("dryRun", ())) + list((options or {}).get("dryRun") or ())
    for value in values:
        if value != "All":
            raise errors.bad_request(f'Invalid dry run value: "{value}"; supported values: "All"')
    return bool(values) and not request.get(IGNORE_DRY_RUN, False)


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        raise errors.bad_request("the body of the request was empty")
    ctype = request.content_type
    try:
        if ctype in ("application/yaml", "application/x-yaml", "text/yaml"):
            return yaml.safe_load(raw.decode())
        if "protobuf" in ctype:
            try:
                return protobuf_reviews.decode_review(raw)
            except ValueError:
                pass
            raise StatusError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - "
                f"accepted media types include: {JSON}, application/yaml",
            )
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc


async def _resource(cluster: Cluster, request: web.Request, info: RequestInfo, user: User) -> web.StreamResponse:
    rt = info.rt
    if rt is None:
        raise errors.not_found_path()
    verb = info.verb
    if info.subresource:
        if info.subresource not in rt.subresources:
            raise errors.not_found_path()
        if verb not in (("get",) if info.subresource == "log" else ("get", "update", "patch")):
            raise errors.method_not_allowed()
    elif verb not in rt.verbs:
        raise errors.method_not_allowed()
    if info.namespace_scoped_path and not rt.namespaced:
        raise errors.not_found_path()
    ns = info.namespace if rt.namespaced else None
    if rt.namespaced and not ns and verb not in ("list", "watch", "deletecollection") and rt.verbs != ("create",):
        raise errors.not_found_path()
    api = cluster.api
    query = request.query
    # Write options and the warnings the request collects (sent as `Warning: 299 - "..."` headers).
    write_options = WriteOptions.from_query(query, request.headers.get("User-Agent"))
    warnings: list[str] = []
    WARNINGS.set(warnings)

    if verb == "get":
        if info.subresource == "scale":
            return json_response(api.get_scale(rt, ns, info.name))
        obj = api.get(rt, ns, info.name)
        if info.subresource == "log":
            return web.Response(text="", content_type="text/plain")
        if tables.wants_table(request.headers.get("Accept", "")):
            return _table(cluster, request, rt, [obj], {"resourceVersion": obj["metadata"].get("resourceVersion", "")})
        return json_response(obj)
    if verb in ("list", "watch"):
        labels = parse_label_selector(query.get("labelSelector"))
        fields = parse_field_selector(query.get("fieldSelector"), rt.resource)
        if verb == "watch":
            if info.name:
                fields = fields + (FieldRequirement("metadata.name", lambda o: o["metadata"]["name"], True, info.name),)
            return await _watch(cluster, request, rt, ns, labels, fields)
        limit = _int_param(query.get("limit"), "limit")
        page = api.list(rt, ns, labels, fields, limit or None, query.get("continue") or None)
        if tables.wants_table(request.headers.get("Accept", "")):
            meta: dict[str, Any] = {"resourceVersion": str(page.resource_version)}
            if page.continue_token:
                meta["continue"] = page.continue_token
            if page.remaining is not None:
                meta["remainingItemCount"] = page.remaining
            objs = [to_view(rt.storage, rt.resource, e.obj) for e in page.items]
            return _table(cluster, request, rt, objs, meta)
        return _list_response(rt, page)

    written: web.StreamResponse
    if verb == "create":
        body = await _body(request)
        dry = _dry_run(request)
        obj = await api.create(rt, ns, body, user=user, dry_run=dry, options=write_options)
        if rt.verbs == ("create",):
            return json_response(obj, 201)
        written = json_response(obj, 201)
    elif verb == "update":
        body = await _body(request)
        dry = _dry_run(request)
        obj = await api.update(
            rt,
            ns,
            info.name,
            body,
            user=user,
            dry_run=dry,
            subresource=info.subresource or None,
            options=write_options,
        )
        written = json_response(obj)
    elif verb == "patch":
        ctype = request.content_type
        if ctype not in PATCH_TYPES:
            raise StatusError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: "
                + ", ".join(PATCH_TYPES),
            )
        doc = api.parse_patch(ctype, await request.read())
        dry = _dry_run(request)
        obj, created = await api.patch(
            rt,
            ns,
            info.name,
            doc,
            ctype,
            user=user,
            dry_run=dry,
            subresource=info.subresource or None,
            options=write_options,
        )
        written = json_response(obj, 201 if created else 200)
    elif verb == "delete":
        options = await _delete_options(request)
        dry = _dry_run(request, options)
        result = await api.delete(rt, ns, info.name, user=user, dry_run=dry, options=options)
        # Upstream answers 202 only for a pending deletion that asked orphanDependents=false explicitly.
        pending = cluster.store.get(rt.storage, ns, info.name) is not None
        written = json_response(
            result, 202 if pending and not dry and options.get("orphanDependents") is False else 200
        )
    elif verb == "deletecollection":
        options = await _delete_options(request)
        dry = _dry_run(request, options)
        result = await api.delete_collection(
            rt,
            ns,
            user=user,
            dry_run=dry,
            options=options,
            labels=parse_label_selector(query.get("labelSelector")),
            fields=parse_field_selector(query.get("fieldSelector"), rt.resource),
        )
        written = json_response(result)
    else:
        raise errors.method_not_allowed()
    for text in warnings:
        written.headers.add("Warning", '299 - "' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    if not dry:
        await cluster.catch_up()
    return written


def _int_param(value: str | None, name: str) -> int:
    if not value:
        return 0
    try:
        return int(value)
    except ValueError as exc:
        raise errors.bad_request(f"invalid {name} parameter: {value!r}") from exc


async def _delete_options(request: web.Request) -> dict:
    options: dict[str, Any] = {}
    if request.can_read_body:
        raw = await request.read()
        if raw:
            try:
                options = json.loads(raw)
            except ValueError as exc:
                raise errors.bad_request(f"invalid DeleteOptions: {exc}") from exc
    if request.query.get("propagationPolicy"):
        options["propagationPolicy"] = request.query["propagationPolicy"]
    if request.query.get("orphanDependents"):
        options["orphanDependents"] = request.query["orphanDependents"] == "true"
    policy = options.get("propagationPolicy")
    if policy and policy not in ("Orphan", "Background", "Foreground"):
        raise errors.invalid(
            "DeleteOptions",
            "DeleteOptions.meta.k8s.io",
            "",
            [
                {
                    "reason": "FieldValueNotSupported",
                    "field": "propagationPolicy",
                    "message": f'Unsupported value: "{policy}": supported values: '
                    '"Foreground", "Background", "Orphan", "nil"',
                }
            ],
        )
    return options


def _list_response(rt: ResourceType, page: Any) -> web.Response:
    meta: dict[str, Any] = {"resourceVersion": str(page.resource_version)}
    if page.continue_token:
        meta["continue"] = page.continue_token
    if page.remaining is not None:
        meta["remainingItemCount"] = page.remaining
    head = (
        b'{"kind":"'
        + rt.list_kind.encode()
        + b'","apiVersion":"'
        + rt.api_version.encode()
        + b'","metadata":'
        + encode(meta)
        + b',"items":['
    )
    if rt.stored_as:
        items = b",".join(encode(to_view(rt.storage, rt.resource, e.obj)) for e in page.items)
    else:
        items = b",".join(e.raw for e in page.items)
    return web.Response(body=head + items + b"]}\n", content_type=JSON)


# ---------------------------------------------------------------------- watch


def _event_line(kind: str, raw: bytes) -> bytes:
    return b'{"type":"' + kind.encode() + b'","object":' + raw + b"}\n"


async def _watch(
    cluster: Cluster, request: web.Request, rt: ResourceType, ns: str | None, labels: Any, fields: Any
) -> web.StreamResponse:
    query = request.query
    timeout = _int_param(query.get("timeoutSeconds"), "timeoutSeconds") or DEFAULT_WATCH_TIMEOUT
    rv_param = query.get("resourceVersion") or ""
    send_initial = query.get("sendInitialEvents") == "true"
    bookmarks = query.get("allowWatchBookmarks") == "true"
    store = cluster.store
    queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue()  # None: stop

    def matches(obj: dict | None) -> bool:
        if obj is None:
            return False
        if ns and obj["metadata"].get("namespace") != ns:
            return False
        return labels_match(labels, obj["metadata"].get("labels")) and fields_match(fields, obj)

    def raw_of(obj: dict) -> bytes:
        return encode(to_view(rt.storage, rt.resource, obj))

    callback = queue.put_nowait
    store.subscribe(rt.storage, callback)

    def stop() -> None:
        queue.put_nowait(None)

    cluster.watch_stops.add(stop)
    try:
        lines: list[bytes] = []
        if not rv_param or rv_param == "0" or send_initial:
            for entry in store.iter_entries(rt.storage, ns):
                if matches(entry.obj):
                    lines.append(_event_line("ADDED", entry.raw if not rt.stored_as else raw_of(entry.obj)))
            start_rv = store.rv
            if send_initial and bookmarks:
                mark = {
                    "kind": rt.kind,
                    "apiVersion": rt.api_version,
                    "metadata": {
                        "resourceVersion": str(start_rv),
                        "annotations": {"k8s.io/initial-events-end": "true"},
                    },
                }
                lines.append(_event_line("BOOKMARK", encode(mark)))
        else:
            try:
                start_rv = int(rv_param)
            except ValueError as exc:
                raise errors.bad_request(f"invalid resource version: {rv_param}") from exc
            backlog = store.events_since(rt.storage, start_rv)
            if backlog is None:
                gone = StatusError(410, "Expired", f"too old resource version: {start_rv} ({store.compacted_rv})")
                lines.append(_event_line("ERROR", encode(gone.to_status())))
                timeout = 0
            else:
                for backlog_event in backlog:
                    queue.put_nowait(backlog_event)
        resp = web.StreamResponse(status=200, headers={"Content-Type": JSON})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        if lines:
            await resp.write(b"".join(lines))
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                event = await asyncio.wait_for(queue.get(), remaining)
            except asyncio.TimeoutError:
                break
            if event is None:
                break
            if event.rv <= start_rv:
                continue
            new = None if event.type == "DELETED" else event.entry.obj
            was, now_ = matches(event.old), matches(new)
            if event.type == "DELETED":
                kind = "DELETED" if matches(event.entry.obj) else ""
                raw = event.entry.raw if not rt.stored_as else raw_of(event.entry.obj)
            else:
                kind = ("MODIFIED" if was else "ADDED") if now_ else ("DELETED" if was else "")
                raw = event.entry.raw if not rt.stored_as else raw_of(event.entry.obj)
            if kind:
                await resp.write(_event_line(kind, raw))
        await resp.write_eof()
        return resp
    finally:
        store.unsubscribe(rt.storage, callback)
        cluster.watch_stops.discard(stop)
