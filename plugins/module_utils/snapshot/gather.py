# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live gathering: the request plan that turns a cluster into a snapshot.

The number of requests is a fixed set plus pagination; it never grows with pods or application
namespaces:

  phase 1  GET /version
           one paginated cluster-wide LIST per "cluster" kind of snapshot.RESOURCES (webhook
           configurations and Deployments first, because they decide the control-plane
           namespaces), events filtered on the server with fieldSelector=type=Warning, plus one
           LIST with fieldSelector=reason=InjectionSkipped (Linkerd's skip events are type Normal)
  phase 2  for each mesh control-plane namespace (`control_plane_namespaces`): a paginated LIST
           of services, endpoints, endpointslices, configmaps, networkpolicies, roles and
           rolebindings, and a GET by name of each certificate Secret of the meshes there
           (404 = not there)

Objects are projected page by page as they arrive (projection.py), so memory holds one raw page
plus the reduced snapshot. A 403 records a coverage gap for that kind (reason "forbidden", the API
server's message, the finding codes it disables) and gathering goes on; a 410 on a continue token
restarts that list from the beginning (twice at most, then the kind is a gap with reason "error").
The namespace filters apply to namespaced objects and to the namespaces themselves; the
control-plane namespaces are always kept. The same selection rules serve offline loading
(`ControlPlane`, `NamespaceFilter`, `select`), so live and offline snapshots agree.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import ApiError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import shapes
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.projection import (
    ISTIO_CERT_SECRETS,
    LINKERD_CERT_SECRETS,
    Memo,
    keep,
    project,
    sort_key,
)

DEFAULT_LIMIT = 500
MAX_GONE_RESTARTS = 2
# Read in phase 1 before the others: they decide the control-plane namespaces.
FIRST = ("mutatingwebhookconfigurations", "validatingwebhookconfigurations", "deployments")
CLUSTER_KINDS = FIRST + tuple(k for k, s in snap.RESOURCES.items() if s.where == "cluster" and k not in FIRST)
CONTROL_PLANE_LISTS = tuple(k for k, s in snap.RESOURCES.items() if s.where == "control-plane" and k != "secrets")
EVENT_QUERIES = (
    ("Warning", {"fieldSelector": "type=Warning"}),
    ("InjectionSkipped", {"fieldSelector": "reason=InjectionSkipped"}),
)


def resource_path(resource: str, namespace: Optional[str] = None, name: Optional[str] = None) -> str:
    """The REST path of a LIST (or a GET with `name`) for a snapshot.RESOURCES key."""
    api_version = snap.RESOURCES[resource].api_version
    base = "/api/v1" if api_version == "v1" else "/apis/" + api_version
    path = base + ("/namespaces/%s" % namespace if namespace else "") + "/" + resource
    return path + ("/" + name if name else "")


# ---- selection shared with offline loading ----------------------------------------------------


class NamespaceFilter(object):
    """include/exclude as names or shell patterns (`team-*`); empty include means every namespace."""

    def __init__(self, include: Optional[Sequence[str]] = None, exclude: Optional[Sequence[str]] = None) -> None:
        self.include = list(include or [])
        self.exclude = list(exclude or [])
        self.always: set = set()
        self._cache: Dict[str, bool] = {}

    @property
    def active(self) -> bool:
        return bool(self.include or self.exclude)

    def allows(self, namespace: str) -> bool:
        if not self.active or namespace in self.always:
            return True
        known = self._cache.get(namespace)
        if known is None:
            included = not self.include or any(fnmatch.fnmatchcase(namespace, p) for p in self.include)
            known = included and not any(fnmatch.fnmatchcase(namespace, p) for p in self.exclude)
            self._cache[namespace] = known
        return known


def intercepts_pods(webhook: Dict[str, Any]) -> bool:
    """Whether an admission webhook's rules cover CREATE of core/v1 pods."""
    for rule in webhook.get("rules") or []:
        operations = rule.get("operations") or []
        groups = rule.get("apiGroups") or []
        resources = rule.get("resources") or []
        if (
            ("CREATE" in operations or "*" in operations)
            and ("" in groups or "*" in groups)
            and any(r in ("pods", "*", "*/*") for r in resources)
        ):
            return True
    return False


def _mesh_of_service(name: str) -> Tuple[str, ...]:
    if name.startswith("istiod"):
        return ("istio",)
    if name.startswith("linkerd-"):
        return ("linkerd",)
    return ()


class ControlPlane(object):
    """The mesh control-plane namespaces and which mesh each one serves.

    A namespace is one when the Service of a pod-intercepting mutating webhook lives there, when an
    istiod* or linkerd-* Deployment runs there, or when the user names it (then both meshes' certificate
    Secrets are read there)."""

    def __init__(
        self,
        mutating: Iterable[Dict[str, Any]],
        deployments: Iterable[Dict[str, Any]],
        extra: Optional[Sequence[str]] = None,
    ) -> None:
        meshes: Dict[str, set] = {}
        for config in mutating:
            for webhook in config.get("webhooks") or []:
                service = (webhook.get("clientConfig") or {}).get("service") or {}
                if service.get("namespace") and intercepts_pods(webhook):
                    meshes.setdefault(service["namespace"], set()).update(_mesh_of_service(service.get("name") or ""))
        for deployment in deployments:
            name, namespace = snap.name_of(deployment), snap.namespace_of(deployment)
            if name == "istiod" or name.startswith("istiod-"):
                meshes.setdefault(namespace, set()).add("istio")
            elif name.startswith("linkerd-"):
                meshes.setdefault(namespace, set()).add("linkerd")
        for namespace in extra or []:
            meshes.setdefault(namespace, set()).update(("istio", "linkerd"))
        self.meshes = OrderedDict((ns, tuple(sorted(meshes[ns]))) for ns in sorted(meshes))

    @property
    def namespaces(self) -> List[str]:
        return list(self.meshes)

    def secret_names(self, namespace: str) -> Tuple[str, ...]:
        meshes = self.meshes.get(namespace, ())
        return (ISTIO_CERT_SECRETS if "istio" in meshes else ()) + (LINKERD_CERT_SECRETS if "linkerd" in meshes else ())

    def wants(self, resource: str, obj: Dict[str, Any]) -> bool:
        """For control-plane kinds: whether the object is one that live gathering reads."""
        namespace = snap.namespace_of(obj)
        if namespace not in self.meshes:
            return False
        if resource == "secrets":
            return snap.name_of(obj) in self.secret_names(namespace)
        return True


def select(
    resource: str, obj: Dict[str, Any], namespaces: NamespaceFilter, control_plane: Optional[ControlPlane] = None
) -> bool:
    """Whether a raw object of `resource` belongs in the snapshot (before projection). Its shape is
    checked first (shapes.py): a wrong type fails naming the object and the field."""
    shapes.check(resource, obj)
    spec = snap.RESOURCES[resource]
    if resource == "namespaces":
        if not namespaces.allows(snap.name_of(obj)):
            return False
    elif spec.namespaced and not namespaces.allows(snap.namespace_of(obj)):
        return False
    if spec.where == "control-plane" and control_plane is not None and not control_plane.wants(resource, obj):
        return False
    return keep(resource, obj)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small, acyclic objects are created.

    Parsed JSON holds no reference cycles (reference counting frees every page), but each collection
    walks the growing snapshot: with 50,000 pods collections made gathering three times slower."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def gap(resource: str, reason: str, message: str) -> Dict[str, Any]:
    return {"resource": resource, "reason": reason, "message": message}


# ---- live gathering ---------------------------------------------------------------------------


class Gatherer(object):
    """One live gathering run. `run()` returns the snapshot; `pages` records the requests per LIST."""

    def __init__(
        self,
        client: Any,
        limit: int = DEFAULT_LIMIT,
        namespaces: Optional[Sequence[str]] = None,
        exclude_namespaces: Optional[Sequence[str]] = None,
        control_plane_namespaces: Optional[Sequence[str]] = None,
        cluster_name: Optional[str] = None,
        context: Optional[str] = None,
        log: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.client = client
        self.limit = int(limit)
        self.filter = NamespaceFilter(namespaces, exclude_namespaces)
        self.extra_control_plane = list(control_plane_namespaces or [])
        self.cluster_name = cluster_name
        self.context = context
        self.log = log or (lambda msg: None)
        self.resources: Dict[str, List[Dict[str, Any]]] = {}
        self.gaps: List[Dict[str, Any]] = []
        self.pages: Dict[str, int] = OrderedDict()
        self.control_plane: Optional[ControlPlane] = None
        self.memo = Memo(0)

    def _gap(self, resource: str, reason: str, message: str) -> None:
        self.resources.pop(resource, None)
        if not any(g["resource"] == resource for g in self.gaps):
            self.gaps.append(gap(resource, reason, message))
            self.log("gap: %s %s: %s" % (resource, reason, message))

    def _failed(self, resource: str, exc: ApiError) -> None:
        if exc.status == 403:
            self._gap(resource, "forbidden", exc.message)  # the API server's words: they name the verb and scope
        else:
            self._gap(resource, "error", "GET %s: %s %s: %s" % (exc.path, exc.status, exc.reason, exc.message))

    def _list(
        self,
        resource: str,
        path: str,
        params: Optional[Dict[str, Any]] = None,
        label: Optional[str] = None,
        control_plane: Optional[ControlPlane] = None,
        namespaces: Optional[NamespaceFilter] = None,
    ) -> List[Dict[str, Any]]:
        """A paginated LIST, selected and projected page by page; restarts on an expired continue token."""
        label = label or path
        namespaces = namespaces or self.filter
        restarts = 0
        while True:
            items: List[Dict[str, Any]] = []
            pages = 0
            try:
                for page in self.client.list_pages(path, params, self.limit):
                    pages += 1
                    for obj in page.get("items") or ():
                        if select(resource, obj, namespaces, control_plane):
                            items.append(project(resource, obj, self.memo))
                self.pages[label] = self.pages.get(label, 0) + pages
                return items
            except ApiError as exc:
                self.pages[label] = self.pages.get(label, 0) + pages + 1
                if exc.status != 410 or pages == 0:
                    raise
                if restarts >= MAX_GONE_RESTARTS:
                    raise ApiError(
                        410,
                        exc.reason,
                        "the continue token of %s expired %d times in a row (410 Gone): %s"
                        % (label, restarts + 1, exc.message),
                        path,
                    ) from None
                restarts += 1
                self.log(
                    "%s: continue token expired (410), restarting the list (%d/%d)"
                    % (label, restarts, MAX_GONE_RESTARTS)
                )

    def _version(self) -> Optional[Dict[str, Any]]:
        try:
            return self.client.get("/version")
        except ApiError as exc:
            reason = "forbidden" if exc.status == 403 else "error"
            self.gaps.append(gap("version", reason, exc.message))
            return None

    def _phase1(self) -> None:
        for resource in CLUSTER_KINDS:
            try:
                if resource == "events":
                    self.resources[resource] = self._events()
                elif resource == "deployments":
                    # Unfiltered: the control-plane namespaces (always kept) are not known yet.
                    self.resources[resource] = self._list(
                        resource, resource_path(resource), namespaces=NamespaceFilter()
                    )
                else:
                    self.resources[resource] = self._list(resource, resource_path(resource))
            except ApiError as exc:
                self._failed(resource, exc)
            if resource == "deployments":
                self._decide_control_plane()
            self.log("%s: %d kept" % (resource, len(self.resources.get(resource, ()))))

    def _events(self) -> List[Dict[str, Any]]:
        merged: Dict[Any, Dict[str, Any]] = OrderedDict()
        for label, params in EVENT_QUERIES:
            for event in self._list("events", resource_path("events"), params, "events:" + label):
                meta = event["metadata"]
                merged[meta.get("uid") or (meta.get("namespace"), meta.get("name"))] = event
        return list(merged.values())

    def _decide_control_plane(self) -> None:
        self.control_plane = ControlPlane(
            self.resources.get("mutatingwebhookconfigurations", ()),
            self.resources.get("deployments", ()),
            self.extra_control_plane,
        )
        self.filter.always.update(self.control_plane.namespaces)
        if "deployments" in self.resources and self.filter.active:
            # Listed before the control-plane namespaces were known: filter now.
            self.resources["deployments"] = [
                d for d in self.resources["deployments"] if self.filter.allows(snap.namespace_of(d))
            ]
        self.log("control-plane namespaces: %s" % (", ".join(self.control_plane.namespaces) or "none"))

    def _phase2(self) -> None:
        control_plane = self.control_plane
        if control_plane is None:  # pragma: no cover - _phase1 always decides it
            return
        for resource in CONTROL_PLANE_LISTS:
            collected: List[Dict[str, Any]] = []
            for namespace in control_plane.namespaces:
                path = resource_path(resource, namespace)
                try:
                    collected.extend(self._list(resource, path, control_plane=control_plane))
                except ApiError as exc:
                    self._failed(resource, exc)
                    break
            else:
                self.resources[resource] = collected
        secrets: List[Dict[str, Any]] = []
        try:
            for namespace in control_plane.namespaces:
                for name in control_plane.secret_names(namespace):
                    path = resource_path("secrets", namespace, name)
                    self.pages[path] = 1
                    try:
                        raw = self.client.get(path)
                    except ApiError as exc:
                        if exc.status == 404:
                            continue
                        raise
                    secrets.append(project("secrets", raw))
                    del raw  # the only copy of the key material; drop it now
            self.resources["secrets"] = secrets
        except ApiError as exc:
            self._failed("secrets", exc)

    def run(self) -> Dict[str, Any]:
        self.memo = Memo()  # per run: two clusters gathered in one process share nothing
        try:
            with gc_paused():
                return self._run()
        finally:
            self.memo = Memo(0)

    def _run(self) -> Dict[str, Any]:
        started = time.time()
        context = self.context or getattr(self.client, "context", None)
        result = snap.empty(name=self.cluster_name or context or self.client.host, source="live")
        result["cluster"]["server"] = self.client.host
        result["cluster"]["context"] = context
        result["version"] = self._version()
        self._phase1()
        self._phase2()
        resources: Dict[str, List[Dict[str, Any]]] = OrderedDict()
        for key in snap.RESOURCES:
            if key in self.resources:
                resources[key] = sorted(self.resources[key], key=sort_key)
        result["resources"] = resources
        result["gaps"] = sorted(self.gaps, key=lambda g: g["resource"])
        result["requests"] = self.client.requests
        result["gathered_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
        return result


def gather(client: Any, **options: Any) -> Dict[str, Any]:
    """Gather a live snapshot with `client` (a kube_client.KubeClient); options as for Gatherer."""
    return Gatherer(client, **options).run()
