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
      "gaps": [{"resource": "secrets", "reason": "forbidden" | "absent" | "error",
                "message": str, "checks": ["SI404", ...]}],
      "requests": int,          # API requests made (live only; 0 offline)
    }

A key in `resources` means that kind was read (an empty list: there are none). A kind that could
not be read is absent from `resources` and listed in `gaps`; rules that need it skip themselves
and the coverage rules report SI801 (forbidden) or SI803 (absent from an offline snapshot).

Objects are raw Kubernetes JSON reduced to the fields the checks read (see projection.py), so
live and offline gathering give the same snapshot for the same cluster state. Secrets hold only
`certificates` (public PEM blocks by data key); private keys never enter a snapshot.
"""

from typing import Any, Dict

SCHEMA = 1

# key -> (apiVersion, kind, namespaced, where it is read, finding codes whose checks need it)
# "cluster": one paginated cluster-wide LIST. "control-plane": read only in the mesh control-plane
# namespaces (configmaps and secrets by name, services/endpoints/policies there), so the request
# count never grows with the number of application namespaces or pods.
RESOURCES = {
    "namespaces": (
        "v1",
        "Namespace",
        False,
        "cluster",
        ["SI101", "SI102", "SI103", "SI104", "SI106", "SI108", "SI111", "SI112", "SI501", "SI604"],
    ),
    "pods": (
        "v1",
        "Pod",
        True,
        "cluster",
        [
            "SI101",
            "SI107",
            "SI109",
            "SI111",
            "SI208",
            "SI301",
            "SI306",
            "SI601",
            "SI602",
            "SI603",
            "SI604",
            "SI605",
            "SI606",
            "SI703",
        ],
    ),
    "deployments": ("apps/v1", "Deployment", True, "cluster", ["SI105", "SI301", "SI604", "SI605"]),
    "replicasets": ("apps/v1", "ReplicaSet", True, "cluster", ["SI604", "SI605"]),
    "statefulsets": ("apps/v1", "StatefulSet", True, "cluster", ["SI105", "SI604"]),
    "daemonsets": ("apps/v1", "DaemonSet", True, "cluster", ["SI105", "SI602", "SI604"]),
    "jobs": ("batch/v1", "Job", True, "cluster", ["SI105", "SI606"]),
    "cronjobs": ("batch/v1", "CronJob", True, "cluster", ["SI105", "SI606"]),
    "events": ("v1", "Event", True, "cluster", ["SI204", "SI303", "SI307", "SI501", "SI502", "SI503", "SI505"]),
    "mutatingwebhookconfigurations": (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        False,
        "cluster",
        [
            "SI103",
            "SI111",
            "SI201",
            "SI202",
            "SI203",
            "SI204",
            "SI205",
            "SI206",
            "SI207",
            "SI209",
            "SI210",
            "SI401",
            "SI402",
            "SI403",
            "SI404",
        ],
    ),
    "validatingwebhookconfigurations": (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        False,
        "cluster",
        ["SI207", "SI505"],
    ),
    "services": ("v1", "Service", True, "control-plane", ["SI202", "SI302", "SI306"]),
    "endpoints": ("v1", "Endpoints", True, "control-plane", ["SI302"]),
    "endpointslices": ("discovery.k8s.io/v1", "EndpointSlice", True, "control-plane", ["SI302"]),
    "configmaps": ("v1", "ConfigMap", True, "control-plane", ["SI110", "SI404", "SI605"]),
    "secrets": ("v1", "Secret", True, "control-plane", ["SI404", "SI405", "SI406", "SI407"]),
    "networkpolicies": ("networking.k8s.io/v1", "NetworkPolicy", True, "control-plane", ["SI304"]),
    "resourcequotas": ("v1", "ResourceQuota", True, "cluster", ["SI502"]),
    "limitranges": ("v1", "LimitRange", True, "cluster", ["SI503"]),
    "nodes": ("v1", "Node", False, "cluster", ["SI305", "SI602", "SI701", "SI702"]),
    "roles": ("rbac.authorization.k8s.io/v1", "Role", True, "control-plane", ["SI504"]),
    "rolebindings": ("rbac.authorization.k8s.io/v1", "RoleBinding", True, "control-plane", ["SI504"]),
    "clusterroles": ("rbac.authorization.k8s.io/v1", "ClusterRole", False, "cluster", ["SI504"]),
    "clusterrolebindings": ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", False, "cluster", ["SI504"]),
}

KIND_TO_RESOURCE = {spec[1]: key for key, spec in RESOURCES.items()}

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
