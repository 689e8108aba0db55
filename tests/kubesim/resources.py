"""The resource kinds kubesim serves, with the discovery facts kube-apiserver publishes for them.

One table drives discovery documents, URL routing, the store layout and per-kind behaviour
(status/scale subresources, which fields bump metadata.generation, what DELETE returns).
"""

from __future__ import annotations

from dataclasses import dataclass

CRUD = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
SUB_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = CRUD
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    # Top-level fields whose change bumps metadata.generation (empty: the kind has no generation).
    generation_fields: tuple[str, ...] = ()
    # kube-apiserver answers DELETE with the object for these, with a Status for the rest.
    return_deleted: bool = False
    # Resource string of the bucket that stores this kind when it is a converted view of another.
    stored_as: str | None = None
    # Defined by a CustomResourceDefinition (served only by the server that stores the CRD).
    custom: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """The seam's resource string: "v1/pods", "apps/v1/deployments"."""
        return f"{self.api_version}/{self.plural}"

    @property
    def storage(self) -> str:
        return self.stored_as or self.resource

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def qualified(self) -> str:
        """GroupResource.String(): "pods", "deployments.apps" (used in error messages)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources


def _r(group: str, plural: str, singular: str, kind: str, namespaced: bool = True, **kw: object) -> ResourceType:
    return ResourceType(
        group=group, version="v1", plural=plural, singular=singular, kind=kind, namespaced=namespaced, **kw
    )  # type: ignore[arg-type]


NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
CREATE_ONLY = ("create",)

RESOURCES: tuple[ResourceType, ...] = (
    # core/v1
    _r(
        "", "namespaces", "namespace", "Namespace", False, verbs=NS_VERBS, short_names=("ns",), subresources=("status",)
    ),
    _r(
        "",
        "pods",
        "pod",
        "Pod",
        short_names=("po",),
        categories=("all",),
        subresources=("status", "log"),
        return_deleted=True,
    ),
    _r(
        "",
        "services",
        "service",
        "Service",
        short_names=("svc",),
        categories=("all",),
        subresources=("status",),
        return_deleted=True,
    ),
    _r("", "endpoints", "endpoints", "Endpoints", short_names=("ep",)),
    _r("", "configmaps", "configmap", "ConfigMap", short_names=("cm",)),
    _r("", "secrets", "secret", "Secret"),
    _r("", "events", "event", "Event", short_names=("ev",)),
    _r("", "nodes", "node", "Node", False, short_names=("no",), subresources=("status",)),
    _r("", "serviceaccounts", "serviceaccount", "ServiceAccount", short_names=("sa",)),
    _r("", "resourcequotas", "resourcequota", "ResourceQuota", short_names=("quota",), subresources=("status",)),
    _r("", "limitranges", "limitrange", "LimitRange", short_names=("limits",)),
    # apps/v1
    _r(
        "apps",
        "deployments",
        "deployment",
        "Deployment",
        short_names=("deploy",),
        categories=("all",),
        subresources=("status", "scale"),
        generation_fields=("spec",),
    ),
    _r(
        "apps",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        short_names=("rs",),
        categories=("all",),
        subresources=("status", "scale"),
        generation_fields=("spec",),
    ),
    _r(
        "apps",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        short_names=("sts",),
        categories=("all",),
        subresources=("status", "scale"),
        generation_fields=("spec",),
    ),
    _r(
        "apps",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        short_names=("ds",),
        categories=("all",),
        subresources=("status",),
        generation_fields=("spec",),
    ),
    # batch/v1
    _r("batch", "jobs", "job", "Job", categories=("all",), subresources=("status",), generation_fields=("spec",)),
    _r(
        "batch",
        "cronjobs",
        "cronjob",
        "CronJob",
        short_names=("cj",),
        categories=("all",),
        subresources=("status",),
        generation_fields=("spec",),
    ),
    # discovery.k8s.io, networking.k8s.io
    _r("discovery.k8s.io", "endpointslices", "endpointslice", "EndpointSlice"),
    _r(
        "networking.k8s.io",
        "networkpolicies",
        "networkpolicy",
        "NetworkPolicy",
        short_names=("netpol",),
        generation_fields=("spec",),
    ),
    # admissionregistration.k8s.io
    _r(
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
        "MutatingWebhookConfiguration",
        False,
        generation_fields=("webhooks",),
    ),
    _r(
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
        "ValidatingWebhookConfiguration",
        False,
        generation_fields=("webhooks",),
    ),
    # rbac.authorization.k8s.io
    _r("rbac.authorization.k8s.io", "roles", "role", "Role"),
    _r("rbac.authorization.k8s.io", "rolebindings", "rolebinding", "RoleBinding"),
    _r("rbac.authorization.k8s.io", "clusterroles", "clusterrole", "ClusterRole", False),
    _r("rbac.authorization.k8s.io", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", False),
    # authorization.k8s.io (create-only reviews, never stored)
    _r(
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
        False,
        verbs=CREATE_ONLY,
    ),
    _r(
        "authorization.k8s.io",
        "subjectaccessreviews",
        "subjectaccessreview",
        "SubjectAccessReview",
        False,
        verbs=CREATE_ONLY,
    ),
    # events.k8s.io: a converted view of the core events bucket
    _r("events.k8s.io", "events", "event", "Event", short_names=("ev",), stored_as="v1/events"),
    # apiextensions.k8s.io: the kinds they define are registered per server by crds.py
    _r(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        False,
        short_names=("crd", "crds"),
        categories=("api-extensions",),
        subresources=("status",),
        generation_fields=("spec",),
    ),
)

# Group order as kube-apiserver lists them in /apis (aggregator priority order).
GROUP_ORDER = (
    "apps",
    "events.k8s.io",
    "authorization.k8s.io",
    "batch",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "discovery.k8s.io",
    "apiextensions.k8s.io",
)

BY_PATH: dict[tuple[str, str, str], ResourceType] = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_STRING: dict[str, ResourceType] = {r.resource: r for r in RESOURCES}
# apiVersion+kind → the canonical (storage) type; events.k8s.io Events are converted on the way in.
BY_GVK: dict[tuple[str, str], ResourceType] = {(r.api_version, r.kind): r for r in RESOURCES}
STORED: tuple[ResourceType, ...] = tuple(r for r in RESOURCES if r.stored_as is None and r.verbs != CREATE_ONLY)
GROUP_VERSIONS: dict[str, tuple[str, ...]] = {}
for _res in RESOURCES:
    if _res.group and _res.version not in GROUP_VERSIONS.setdefault(_res.group, ()):
        GROUP_VERSIONS[_res.group] = GROUP_VERSIONS[_res.group] + (_res.version,)


def register(rt: ResourceType) -> None:
    """Make a custom resource type known to the module-level lookups (seeding, strategies, the garbage
    collector find it by resource string). Which server serves it is decided per server (crds.py)."""
    BY_PATH[(rt.group, rt.version, rt.plural)] = rt
    BY_STRING[rt.resource] = rt
    BY_GVK[(rt.api_version, rt.kind)] = rt


def lookup(resource: str) -> ResourceType:
    """Resource string ("v1/pods", "apps/v1/deployments") → type; KeyError if kubesim does not serve it."""
    return BY_STRING[resource]


def for_object(obj: dict) -> ResourceType:
    """The type an object's apiVersion/kind belongs to; KeyError if unknown."""
    return BY_GVK[(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))]


# Scale is served from autoscaling/v1 for these kinds.
SCALE_API_VERSION = "autoscaling/v1"
NAMESPACES = BY_STRING["v1/namespaces"]
PODS = BY_STRING["v1/pods"]
