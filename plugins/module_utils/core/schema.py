# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot: one plain, JSON-serialisable dict per cluster that every later stage reads.

Shape (schema 1)::

    {
      "schema": 1,
      "cluster": {"name": str, "source": "live" | "offline", "server": str | None,
                  "context": str | None, "path": str | None},
      "version": {"gitVersion": "v1.31.4", "major": "1", "minor": "31", ...} | None,
      "gathered_at": "2026-11-26T03:41:43Z",
      "resources": {"pods": [...], "namespaces": [...], ...},
      "gaps": [{"resource": "secrets" | "version" | ..., "reason": "forbidden" | "absent" | "error",
                "message": str}],
      "requests": int,          # API requests made (live only; 0 offline)
    }

A key in `resources` means that kind was read (an empty list: there are none). A kind that could
not be read is absent from `resources` and listed in `gaps`; the checks that need it skip
themselves and the coverage findings name them (SI801 forbidden, SI803 absent or failed). Which
checks need which kind is declared once, by the checks (rules/registry.py), not here.

Objects are raw Kubernetes JSON reduced to the fields the checks read (see projection.py), so
live and offline gathering give the same snapshot for the same cluster state. Secrets hold only
`certificates` (public PEM blocks by data key); private keys never enter a snapshot.
"""

from typing import Any, Dict, NamedTuple

SCHEMA = 1


class ResourceSpec(NamedTuple):
    """How one kind is read. `where`: "cluster" is one paginated cluster-wide LIST; "control-plane" is
    read only in the mesh control-plane namespaces (configmaps and secrets by name, services,
    endpoints, policies there), so the request count never grows with the number of application
    namespaces or pods. Which checks need a kind is declared by the checks (rules.registry)."""

    api_version: str
    kind: str
    namespaced: bool
    where: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]


RESOURCES: Dict[str, ResourceSpec] = {
    "namespaces": ResourceSpec("v1", "Namespace", False, "cluster"),
    "pods": ResourceSpec("v1", "Pod", True, "cluster"),
    "deployments": ResourceSpec("apps/v1", "Deployment", True, "cluster"),
    "replicasets": ResourceSpec("apps/v1", "ReplicaSet", True, "cluster"),
    "statefulsets": ResourceSpec("apps/v1", "StatefulSet", True, "cluster"),
    "daemonsets": ResourceSpec("apps/v1", "DaemonSet", True, "cluster"),
    "jobs": ResourceSpec("batch/v1", "Job", True, "cluster"),
    "cronjobs": ResourceSpec("batch/v1", "CronJob", True, "cluster"),
    "events": ResourceSpec("v1", "Event", True, "cluster"),
    "mutatingwebhookconfigurations": ResourceSpec(
        "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", False, "cluster"
    ),
    "validatingwebhookconfigurations": ResourceSpec(
        "admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", False, "cluster"
    ),
    "services": ResourceSpec("v1", "Service", True, "control-plane"),
    "endpoints": ResourceSpec("v1", "Endpoints", True, "control-plane"),
    "endpointslices": ResourceSpec("discovery.k8s.io/v1", "EndpointSlice", True, "control-plane"),
    "configmaps": ResourceSpec("v1", "ConfigMap", True, "control-plane"),
    "secrets": ResourceSpec("v1", "Secret", True, "control-plane"),
    "networkpolicies": ResourceSpec("networking.k8s.io/v1", "NetworkPolicy", True, "control-plane"),
    "resourcequotas": ResourceSpec("v1", "ResourceQuota", True, "cluster"),
    "limitranges": ResourceSpec("v1", "LimitRange", True, "cluster"),
    "nodes": ResourceSpec("v1", "Node", False, "cluster"),
    "roles": ResourceSpec("rbac.authorization.k8s.io/v1", "Role", True, "control-plane"),
    "rolebindings": ResourceSpec("rbac.authorization.k8s.io/v1", "RoleBinding", True, "control-plane"),
    "clusterroles": ResourceSpec("rbac.authorization.k8s.io/v1", "ClusterRole", False, "cluster"),
    "clusterrolebindings": ResourceSpec("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", False, "cluster"),
    # removed in Kubernetes 1.25; older clusters reject injected pods with it (SI501)
    "podsecuritypolicies": ResourceSpec("policy/v1beta1", "PodSecurityPolicy", False, "cluster"),
}

# Kinds a cluster may not serve at all (removed APIs): a 404 on their LIST, or no file of them in an
# offline snapshot, means there are none, not a coverage gap.
OPTIONAL_RESOURCES = frozenset(("podsecuritypolicies",))

KIND_TO_RESOURCE = {spec.kind: key for key, spec in RESOURCES.items()}

# Pod-owning workloads whose pod template decides what a new pod gets.
WORKLOAD_RESOURCES = ("deployments", "statefulsets", "daemonsets", "jobs", "cronjobs", "replicasets")


def empty(name: str = "", source: str = "offline") -> Dict[str, Any]:
    """A snapshot with nothing read yet."""
    return {
        "schema": SCHEMA,
        "cluster": {"name": name, "source": source, "server": None, "context": None, "path": None},
        "version": None,
        "gathered_at": None,
        "resources": {},
        "gaps": [],
        "requests": 0,
    }


def meta(obj: Dict[str, Any]) -> Dict[str, Any]:
    return obj.get("metadata") or {}


def labels(obj: Dict[str, Any]) -> Dict[str, str]:
    return meta(obj).get("labels") or {}


def annotations(obj: Dict[str, Any]) -> Dict[str, str]:
    return meta(obj).get("annotations") or {}


def name_of(obj: Dict[str, Any]) -> str:
    return meta(obj).get("name") or ""


def namespace_of(obj: Dict[str, Any]) -> str:
    return meta(obj).get("namespace") or ""
