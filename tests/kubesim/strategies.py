"""Per-kind create/update rules kube-apiserver's registry strategies apply (PrepareForCreate/Update, Validate):
status reset, IP allocation, Job selectors, the immutable fields our code can trip over."""

from __future__ import annotations

import ipaddress
from typing import Any

from .errors import invalid
from .podstatus import qos_class
from .resources import BY_STRING
from .selectors import selector_matches

POD_UPDATE_FORBIDDEN = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
    "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def _dotted(n: int) -> str:
    # str(ipaddress.IPv4Address(n)) costs ~7µs; this runs once per seeded pod.
    return f"{n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


class Allocator:
    """Cluster IPs, pod IPs and node ports, handed out sequentially."""

    def __init__(self) -> None:
        self._service = int(ipaddress.IPv4Address("10.96.0.10"))
        self._pod = int(ipaddress.IPv4Address("10.244.0.2"))
        self._node_port = 30000

    def service_ip(self) -> str:
        self._service += 1
        return _dotted(self._service)

    def pod_ip(self) -> str:
        self._pod += 1
        if self._pod & 0xFF in (0, 255):
            self._pod += 2
        return _dotted(self._pod)

    def node_port(self) -> int:
        self._node_port += 1
        return self._node_port


_INITIAL_STATUS: dict[str, dict[str, Any]] = {
    "apps/v1/replicasets": {"replicas": 0},
    "apps/v1/statefulsets": {"replicas": 0, "availableReplicas": 0},
    "apps/v1/daemonsets": {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    },
}


def _go_map(labels: dict[str, Any] | None) -> str:
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted((labels or {}).items())) + "}"


def _fail(storage: str, obj: dict, field: str, message: str, reason: str = "FieldValueInvalid") -> None:
    rt = BY_STRING[storage]
    raise invalid(
        rt.kind, rt.qualified, obj["metadata"].get("name", ""), [{"reason": reason, "message": message, "field": field}]
    )


def prepare_create(storage: str, obj: dict, alloc: Allocator) -> None:
    rt = BY_STRING[storage]
    if storage == "v1/pods":
        obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}
    elif storage == "v1/namespaces":
        obj["status"] = {"phase": "Active"}
    elif rt.has_status:
        # Status fields without omitempty serialize as zero from the start (typed clients require them).
        obj["status"] = dict(_INITIAL_STATUS.get(storage, {}))
    if storage == "v1/services":
        spec = obj.setdefault("spec", {})
        if spec.get("type") != "ExternalName":
            if not spec.get("clusterIP"):
                spec["clusterIP"] = alloc.service_ip()
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            if spec.get("type") in ("NodePort", "LoadBalancer"):
                for port in spec.get("ports") or ():
                    port.setdefault("nodePort", alloc.node_port())
        obj["status"] = {"loadBalancer": {}}
    elif storage == "batch/v1/jobs":
        spec = obj.setdefault("spec", {})
        if not spec.get("manualSelector"):
            uid, name = obj["metadata"]["uid"], obj["metadata"]["name"]
            spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
            labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
            labels.update(
                {
                    "batch.kubernetes.io/controller-uid": uid,
                    "batch.kubernetes.io/job-name": name,
                    "controller-uid": uid,
                    "job-name": name,
                }
            )


def _pod_spec_mutable_view(spec: dict) -> dict:
    view = dict(spec)
    for key in ("containers", "initContainers"):
        view[key] = [{k: v for k, v in c.items() if k != "image"} for c in spec.get(key) or ()]
    for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
        view.pop(key, None)
    return view


def prepare_update(storage: str, old: dict, new: dict) -> None:
    if storage == "v1/pods":
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        if _pod_spec_mutable_view(old_spec) != _pod_spec_mutable_view(new_spec):
            _fail(storage, new, "spec", POD_UPDATE_FORBIDDEN, "FieldValueForbidden")
    elif storage == "v1/namespaces":
        new["spec"] = old.get("spec") or {"finalizers": ["kubernetes"]}
    elif storage == "v1/services":
        old_spec, spec = old.get("spec") or {}, new.setdefault("spec", {})
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if key in old_spec and not spec.get(key):
                spec[key] = old_spec[key]
        old_ports = {(p.get("port"), p.get("protocol")): p for p in old_spec.get("ports") or ()}
        for port in spec.get("ports") or ():
            prev = old_ports.get((port.get("port"), port.get("protocol")))
            if (
                prev
                and "nodePort" in prev
                and "nodePort" not in port
                and spec.get("type") in ("NodePort", "LoadBalancer")
            ):
                port["nodePort"] = prev["nodePort"]
    elif storage == "batch/v1/jobs":
        old_spec, spec = old.get("spec") or {}, new.setdefault("spec", {})
        if "selector" in old_spec and "selector" not in spec:
            spec["selector"] = old_spec["selector"]
    if storage in ("apps/v1/deployments", "apps/v1/replicasets", "apps/v1/statefulsets", "apps/v1/daemonsets"):
        old_sel, sel = (old.get("spec") or {}).get("selector"), (new.get("spec") or {}).get("selector")
        if old_sel is not None and sel != old_sel:
            _fail(storage, new, "spec.selector", f"Invalid value: {_selector_go(sel)}: field is immutable")


def _selector_go(sel: Any) -> str:
    if not isinstance(sel, dict):
        return "null"
    return f"v1.LabelSelector{{MatchLabels:{_go_map(sel.get('matchLabels'))}, MatchExpressions:[]}}"


def validate(storage: str, obj: dict) -> None:
    spec = obj.get("spec") or {}
    if storage == "v1/pods":
        if not spec.get("containers"):
            _fail(storage, obj, "spec.containers", "Required value", "FieldValueRequired")
    elif storage in ("apps/v1/deployments", "apps/v1/replicasets", "apps/v1/statefulsets", "apps/v1/daemonsets"):
        sel = spec.get("selector")
        if not isinstance(sel, dict) or not (sel.get("matchLabels") or sel.get("matchExpressions")):
            _fail(storage, obj, "spec.selector", "Required value", "FieldValueRequired")
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
        if not selector_matches(sel, labels):
            _fail(
                storage,
                obj,
                "spec.template.metadata.labels",
                f"Invalid value: {_go_map(labels)}: `selector` does not match template `labels`",
            )
        if not ((spec.get("template") or {}).get("spec") or {}).get("containers"):
            _fail(storage, obj, "spec.template.spec.containers", "Required value", "FieldValueRequired")
