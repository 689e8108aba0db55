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
plus the reduced snapshot. A failed read records a coverage gap and gathering goes on:

  * 403: reason "forbidden" with the API server's message. It is narrowed to what was refused: a
    control-plane list forbidden in one namespace is a gap for that namespace (the kind keeps the
    other namespaces' objects), a certificate Secret forbidden by name a gap for that Secret (the
    others are kept), and a forbidden cluster-wide LIST of a namespaced kind is retried once per
    control-plane namespace (the gap then lists `read_namespaces`); only when every read of the
    kind was refused is the whole kind a gap;
  * 429/5xx/reset/read timeout still failing after the client's retries: reason "error";
  * the per-cluster deadline ran out: reason "deadline", for that kind and for every kind after it
    (the client then refuses at once, so the host ends at the deadline plus one request timeout);
  * a 410 on a continue token restarts that list from the beginning (twice at most, then the kind
    is a gap with reason "error").

When no kind at all could be read, gathering fails (`KubeClientError`): nothing is known.
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
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import (
    ApiError,
    DeadlineExceeded,
    KubeClientError,
    Unavailable,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import shapes
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.projection import (
    ISTIO_CERT_SECRETS,
    ISTIO_LEGACY_CERT_SECRETS,
    ISTIO_LEGACY_DEPLOYMENTS,
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
# Namespaced kinds listed cluster-wide whose 403 falls back to a LIST per control-plane namespace
# (events are two filtered queries and stay cluster-wide).
NAMESPACE_FALLBACK = frozenset(k for k in CLUSTER_KINDS if snap.RESOURCES[k].namespaced and k != "events")
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


def _mesh_of_service(name: str, webhook: str = "") -> Tuple[str, ...]:
    # Istio <= 1.5 served injection from Service istio-sidecar-injector, which users rename: the
    # webhook's own name (sidecar-injector.istio.io) still says whose it is
    if name.startswith("istiod") or name == "istio-sidecar-injector" or webhook.endswith("sidecar-injector.istio.io"):
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
        self.legacy: set = set()  # namespaces running an Istio <= 1.5 control plane
        for config in mutating:
            for webhook in config.get("webhooks") or []:
                service = (webhook.get("clientConfig") or {}).get("service") or {}
                if service.get("namespace") and intercepts_pods(webhook):
                    meshes.setdefault(service["namespace"], set()).update(
                        _mesh_of_service(service.get("name") or "", webhook.get("name") or "")
                    )
        for deployment in deployments:
            name, namespace = snap.name_of(deployment), snap.namespace_of(deployment)
            if name == "istiod" or name.startswith("istiod-") or name in ISTIO_LEGACY_DEPLOYMENTS:
                meshes.setdefault(namespace, set()).add("istio")
                if name in ISTIO_LEGACY_DEPLOYMENTS:
                    self.legacy.add(namespace)
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
        istio = (
            (ISTIO_CERT_SECRETS + (ISTIO_LEGACY_CERT_SECRETS if namespace in self.legacy else ()))
            if "istio" in meshes
            else ()
        )
        return istio + (LINKERD_CERT_SECRETS if "linkerd" in meshes else ())

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


# Gap reasons of a live read that failed (offline snapshots record "absent" instead).
FAILED_READS = ("forbidden", "error", "deadline")


def gap(
    resource: str, reason: str, message: str, namespace: Optional[str] = None, name: Optional[str] = None
) -> Dict[str, Any]:
    """A coverage gap; `namespace` (and `name`) when only that part of the kind could not be read."""
    out: Dict[str, Any] = {"resource": resource, "reason": reason, "message": message}
    if namespace is not None:
        out["namespace"] = namespace
    if name is not None:
        out["name"] = name
    return out


def failure_reason(exc: ApiError) -> str:
    if exc.status == 403:
        return "forbidden"
    return "deadline" if isinstance(exc, DeadlineExceeded) else "error"


def failure_message(exc: ApiError) -> str:
    if exc.status == 403 or isinstance(exc, (Unavailable, DeadlineExceeded)):
        return exc.message  # the API server's words name the verb and scope; ours name the path
    return "GET %s: %s %s: %s" % (exc.path, exc.status, exc.reason, exc.message)


def _part(item: Dict[str, Any]) -> str:
    if "namespace" not in item:
        return ""
    return " in %s" % item["namespace"] if "name" not in item else " %s/%s" % (item["namespace"], item["name"])


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

    def _gap(
        self, resource: str, reason: str, message: str, namespace: Optional[str] = None, name: Optional[str] = None
    ) -> None:
        if namespace is None:  # the whole kind: drop what was read of it, and its partial gaps
            self.resources.pop(resource, None)
            self.gaps = [g for g in self.gaps if g["resource"] != resource]
        elif any(g["resource"] == resource and "namespace" not in g for g in self.gaps):
            return
        item = gap(resource, reason, message, namespace, name)
        self.gaps.append(item)
        self.log("gap: %s%s %s: %s" % (resource, _part(item), reason, message))

    def _failed(
        self, resource: str, exc: ApiError, namespace: Optional[str] = None, name: Optional[str] = None
    ) -> None:
        self._gap(resource, failure_reason(exc), failure_message(exc), namespace, name)

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
            self.gaps.append(gap("version", failure_reason(exc), failure_message(exc)))
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
                refused: Optional[ApiError] = exc if exc.status == 403 and resource in NAMESPACE_FALLBACK else None
                if exc.status == 404 and resource in snap.OPTIONAL_RESOURCES:
                    self.resources[resource] = []  # the API is not served (removed): there are none
                elif refused is None:
                    self._failed(resource, exc)
            else:
                refused = None
            if resource == "deployments":
                self._decide_control_plane()
            if refused is not None:
                self._in_control_plane_namespaces(resource, refused)
            self.log("%s: %d kept" % (resource, len(self.resources.get(resource, ()))))

    def _in_control_plane_namespaces(self, resource: str, refused: ApiError) -> None:
        """A cluster-wide LIST was forbidden: read the kind in each control-plane namespace instead (an
        identity with Roles there only). The kind is then partial: a gap with `read_namespaces`."""
        namespaces = self.control_plane.namespaces if self.control_plane is not None else []
        items: List[Dict[str, Any]] = []
        read: List[str] = []
        for namespace in namespaces:
            try:
                items.extend(self._list(resource, resource_path(resource, namespace)))
            except ApiError as exc:
                if exc.status == 403:
                    continue
                self._failed(resource, exc)
                return
            read.append(namespace)
        if not read:
            self._failed(resource, refused)
            return
        self.resources[resource] = items
        item = gap(resource, "forbidden", refused.message)
        item["read_namespaces"] = read
        self.gaps.append(item)
        self.log("gap: %s at the cluster scope forbidden, read in %s only" % (resource, ", ".join(read)))

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
        if not control_plane.namespaces and self._control_plane_unknown():
            return
        for resource in CONTROL_PLANE_LISTS:
            self._control_plane_list(resource, control_plane)
        self._secrets(control_plane)

    def _control_plane_unknown(self) -> bool:
        """Neither the webhook configurations nor the Deployments could be read, and no namespace was
        named: where the control plane runs is unknown, so its kinds were not read (not "none there")."""
        unread = {g["resource"] for g in self.gaps}
        if not {"mutatingwebhookconfigurations", "deployments"} <= unread:
            return False
        deadline = getattr(getattr(self.client, "deadline", None), "expired", lambda: False)()
        for resource in CONTROL_PLANE_LISTS + ("secrets",):
            self._gap(
                resource,
                "deadline" if deadline else "error",
                "not read: the control-plane namespaces are unknown because neither mutatingwebhookconfigurations "
                "nor deployments could be read (name them with control_plane_namespaces)",
            )
        return True

    def _control_plane_list(self, resource: str, control_plane: ControlPlane) -> None:
        """One LIST per control-plane namespace; a 403 in one namespace is a gap for that namespace only."""
        collected: List[Dict[str, Any]] = []
        forbidden: List[Tuple[str, ApiError]] = []
        for namespace in control_plane.namespaces:
            try:
                collected.extend(self._list(resource, resource_path(resource, namespace), control_plane=control_plane))
            except ApiError as exc:
                if exc.status != 403:
                    self._failed(resource, exc)  # not about permissions: the kind as a whole is unknown
                    return
                forbidden.append((namespace, exc))
        self._keep_readable(resource, collected, forbidden, len(control_plane.namespaces))

    def _secrets(self, control_plane: ControlPlane) -> None:
        """A GET by name of each certificate Secret; a 403 (an identity limited by resourceNames) or a
        namespace refused is a gap for that Secret only, 404 means it is not there."""
        secrets: List[Dict[str, Any]] = []
        forbidden: List[Tuple[str, ApiError]] = []
        reads = 0
        for namespace in control_plane.namespaces:
            for name in control_plane.secret_names(namespace):
                reads += 1
                path = resource_path("secrets", namespace, name)
                self.pages[path] = 1
                try:
                    raw = self.client.get(path)
                except ApiError as exc:
                    if exc.status == 404:
                        continue
                    if exc.status != 403:
                        self._failed("secrets", exc)
                        return
                    forbidden.append(("%s/%s" % (namespace, name), exc))
                    continue
                secrets.append(project("secrets", raw))
                del raw  # the only copy of the key material; drop it now
        self._keep_readable("secrets", secrets, forbidden, reads)

    def _keep_readable(
        self, resource: str, items: List[Dict[str, Any]], forbidden: List[Tuple[str, ApiError]], reads: int
    ) -> None:
        if forbidden and len(forbidden) == reads:  # nothing of the kind could be read
            self._failed(resource, forbidden[0][1])
            return
        self.resources[resource] = items
        for where, exc in forbidden:
            namespace, _sep, name = where.partition("/")
            self._failed(resource, exc, namespace, name or None)

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
        if not self.resources:
            raise KubeClientError(
                "Nothing could be read from the Kubernetes API server at %s: %s"
                % (
                    self.client.host,
                    "; ".join("%s %s: %s" % (g["resource"], g["reason"], g["message"]) for g in self.gaps[:3]),
                )
            )
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
