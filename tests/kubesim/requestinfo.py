"""URL → request attributes, like kube-apiserver's RequestInfoResolver.

/api/v1/[watch/][namespaces/{ns}/]{resource}[/{name}[/{subresource}]] and the same under /apis/{group}/{version};
/api/v1/namespaces/{name}[/status|finalize] addresses the namespace itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from .resources import BY_PATH, GROUP_VERSIONS, ResourceType

_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "GET": "get", "HEAD": "get"}


@dataclass
class RequestInfo:
    path: str
    verb: str  # get list watch create update patch delete deletecollection (resource) or http verb (non-resource)
    is_resource: bool = False
    api_prefix: str = ""  # "api" or "apis"
    group: str = ""
    version: str = ""
    resource: str = ""  # plural
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    rt: ResourceType | None = None
    known_group_version: bool = False
    namespace_scoped_path: bool = False  # the URL had namespaces/{ns}/{resource}


def parse(method: str, path: str, query: dict[str, str]) -> RequestInfo:
    segs = [s for s in path.split("/") if s]
    non_resource = RequestInfo(path=path, verb=method.lower())
    if not segs or segs[0] not in ("api", "apis"):
        return non_resource
    if segs[0] == "api":
        if len(segs) < 3:
            return non_resource
        group, version, rest = "", segs[1], segs[2:]
        known = version == "v1"
    else:
        if len(segs) < 4:
            return non_resource
        group, version, rest = segs[1], segs[2], segs[3:]
        known = version in GROUP_VERSIONS.get(group, ())
    info = RequestInfo(
        path=path,
        verb=_METHOD_VERBS.get(method, method.lower()),
        is_resource=True,
        api_prefix=segs[0],
        group=group,
        version=version,
        known_group_version=known,
    )
    watch_path = False
    if rest and rest[0] == "watch":
        watch_path, rest = True, rest[1:]
    if not rest:
        return non_resource
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        info.namespace, rest = rest[1], rest[2:]
        info.namespace_scoped_path = True
    elif rest[0] == "namespaces" and len(rest) >= 2:
        # The namespace itself: its name doubles as the request namespace, as upstream.
        info.namespace = rest[1]
    info.resource = rest[0]
    if len(rest) >= 2:
        info.name = rest[1]
    if len(rest) >= 3:
        info.subresource = rest[2]
    if len(rest) > 3:
        info.rt = None
        return info
    info.rt = BY_PATH.get((group, version, info.resource))
    if info.verb == "get" and not info.name:
        info.verb = "watch" if watch_path or query.get("watch") in ("true", "1") else "list"
    elif info.verb == "get" and watch_path:
        info.verb = "watch"
    elif info.verb == "delete" and not info.name:
        info.verb = "deletecollection"
    return info
