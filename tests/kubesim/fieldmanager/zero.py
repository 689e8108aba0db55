"""The empty typed object a create is compared with (the field manager's `Creater.New(kind)` converted to
unstructured): Go value structs and fields without omitempty are present even when empty. It matters for
ownership only through which maps and structs already exist: a map or struct that a write adds is owned
itself too (fieldsV1 `.`), one the empty object already has is not — e.g. `f:strategy` has no `.` on a
Deployment, `f:rollingUpdate` (a pointer) and `f:labels` (an omitempty map) do."""

from __future__ import annotations

from typing import Any

_POD_TEMPLATE: dict[str, Any] = {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}}

_SPEC: dict[str, dict[str, Any]] = {
    "Pod": {"containers": None},
    "Deployment": {"selector": None, "template": _POD_TEMPLATE, "strategy": {}},
    "ReplicaSet": {"selector": None, "template": _POD_TEMPLATE},
    "StatefulSet": {"selector": None, "template": _POD_TEMPLATE, "serviceName": "", "updateStrategy": {}},
    "DaemonSet": {"selector": None, "template": _POD_TEMPLATE, "updateStrategy": {}},
    "Job": {"template": _POD_TEMPLATE},
    "CronJob": {
        "schedule": "",
        "jobTemplate": {"metadata": {"creationTimestamp": None}, "spec": {"template": _POD_TEMPLATE}},
    },
    "Service": {},
    "Namespace": {},
    "Node": {},
    "NetworkPolicy": {"podSelector": {}},
    "ResourceQuota": {},
}
_STATUS: dict[str, dict[str, Any]] = {"Service": {"loadBalancer": {}}}
_EXTRA: dict[str, dict[str, Any]] = {
    "RoleBinding": {"roleRef": {"apiGroup": "", "kind": "", "name": ""}},
    "ClusterRoleBinding": {"roleRef": {"apiGroup": "", "kind": "", "name": ""}},
    "Event": {"involvedObject": {}, "source": {}, "firstTimestamp": None, "lastTimestamp": None, "eventTime": None},
}


def zero_object(api_version: str, kind: str) -> dict[str, Any]:
    import copy

    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": {"creationTimestamp": None}}
    if kind in _SPEC:
        obj["spec"] = copy.deepcopy(_SPEC[kind])
        obj["status"] = copy.deepcopy(_STATUS.get(kind, {}))
    obj.update(copy.deepcopy(_EXTRA.get(kind, {})))
    return obj
