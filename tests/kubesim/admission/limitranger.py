"""LimitRanger (plugin/pkg/admission/limitranger/admission.go), for pods.

Admit (mutating phase, before the webhooks) fills container requests/limits from the LimitRange
`Container` defaults and records `kubernetes.io/limit-ranger`; Validate (validating phase, after the
webhooks) checks min/max/maxLimitRequestRatio for every container and init container - so an injected
sidecar is never defaulted (unless a webhook reinvocation re-runs the mutating chain) but is checked.
Errors: `pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2`, several joined
as `[a, b]`. Go iterates the limit maps in random order; we use sorted resource names.
"""

from __future__ import annotations

from typing import Any

from tests.kubesim.admission import messages, podspec
from tests.kubesim.admission.attributes import Attributes
from tests.kubesim.admission.quantity import Quantity, ResourceList, parse_list
from tests.kubesim.admission.resolver import maybe_await

ANNOTATION = "kubernetes.io/limit-ranger"
_MAX_MILLI = (2**63 - 1) // 1000


def _defaulted_items(limit_range: dict) -> list[dict[str, Any]]:
    """LimitRange items with SetDefaults_LimitRangeItem applied (max -> default -> defaultRequest, min ->
    defaultRequest), as the API server stores them."""
    items = []
    for raw in (limit_range.get("spec") or {}).get("limits") or []:
        item = {k: parse_list(raw.get(k)) for k in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")}
        item["type"] = raw.get("type", "")
        if item["type"] == "Container":
            for key, value in item["max"].items():
                item["default"].setdefault(key, value)
            for key, value in item["default"].items():
                item["defaultRequest"].setdefault(key, value)
            for key, value in item["min"].items():
                item["defaultRequest"].setdefault(key, value)
        items.append(item)
    return items


def _values(req: Quantity | None, lim: Quantity | None, enforced: Quantity) -> tuple[int, int, int]:
    """requestLimitEnforcedValues: milli precision unless a value would overflow."""
    zero = Quantity.zero()
    r, l_, e = req or zero, lim or zero, enforced
    if max(r.int_value(), l_.int_value(), e.int_value()) <= _MAX_MILLI:
        return r.milli_value(), l_.milli_value(), e.milli_value()
    return r.int_value(), l_.int_value(), e.int_value()


def min_constraint(kind: str, name: str, enforced: Quantity, req: ResourceList, lim: ResourceList) -> str | None:
    r, l_ = req.get(name), lim.get(name)
    rv, lv, ev = _values(r, l_, enforced)
    if r is None:
        return f"minimum {name} usage per {kind} is {enforced}.  No request is specified"
    if rv < ev:
        return f"minimum {name} usage per {kind} is {enforced}, but request is {r}"
    if l_ is not None and lv < ev:
        return f"minimum {name} usage per {kind} is {enforced}, but limit is {l_}"
    return None


def max_constraint(kind: str, name: str, enforced: Quantity, req: ResourceList, lim: ResourceList) -> str | None:
    r, l_ = req.get(name), lim.get(name)
    rv, lv, ev = _values(r, l_, enforced)
    if l_ is None:
        return f"maximum {name} usage per {kind} is {enforced}.  No limit is specified"
    if lv > ev:
        return f"maximum {name} usage per {kind} is {enforced}, but limit is {l_}"
    if r is not None and rv > ev:
        return f"maximum {name} usage per {kind} is {enforced}, but request is {r}"
    return None


def ratio_constraint(kind: str, name: str, enforced: Quantity, req: ResourceList, lim: ResourceList) -> str | None:
    r, l_ = req.get(name), lim.get(name)
    rv, lv, _ = _values(r, l_, enforced)
    if r is None or rv == 0:
        return (
            f"{name} max limit to request ratio per {kind} is {enforced}, but no request is specified or request is 0"
        )
    if l_ is None or lv == 0:
        return f"{name} max limit to request ratio per {kind} is {enforced}, but no limit is specified or limit is 0"
    observed = lv / rv
    if enforced.int_value() <= _MAX_MILLI:
        too_high = observed * 1000 > enforced.milli_value()
    else:
        too_high = observed > enforced.int_value()
    if too_high:
        return f"{name} max limit to request ratio per {kind} is {enforced}, but provided ratio is {observed:f}"
    return None


def _check(kind: str, item: dict, req: ResourceList, lim: ResourceList) -> list[str]:
    errors = []
    for name in sorted(item["min"]):
        errors.append(min_constraint(kind, name, item["min"][name], req, lim))
    for name in sorted(item["max"]):
        errors.append(max_constraint(kind, name, item["max"][name], req, lim))
    for name in sorted(item["maxLimitRequestRatio"]):
        errors.append(ratio_constraint(kind, name, item["maxLimitRequestRatio"][name], req, lim))
    return [e for e in errors if e]


class LimitRanger:
    def __init__(self, store: Any):
        self.store = store

    def _supports(self, attrs: Attributes) -> bool:
        # Pod updates are skipped: containers are immutable, so there is nothing to default or check.
        return attrs.is_pod and attrs.operation == "CREATE" and attrs.obj is not None

    async def _items(self, attrs: Attributes) -> list[list[dict]]:
        ranges = await maybe_await(self.store.list("v1/limitranges", attrs.namespace))
        return [_defaulted_items(r) for r in ranges]

    async def admit(self, attrs: Attributes) -> None:
        if not self._supports(attrs):
            return
        pod = attrs.obj or {}
        for items in await self._items(attrs):
            defaults_req: dict[str, Any] = {}
            defaults_lim: dict[str, Any] = {}
            for item in items:
                if item["type"] == "Container":
                    defaults_req.update({k: str(v) for k, v in item["defaultRequest"].items()})
                    defaults_lim.update({k: str(v) for k, v in item["default"].items()})
            notes = []
            for field_name, label in (("containers", "container"), ("initContainers", "init container")):
                for container in (pod.get("spec") or {}).get(field_name) or []:
                    resources = container.setdefault("resources", {})
                    limits = resources.setdefault("limits", {})
                    requests = resources.setdefault("requests", {})
                    set_lim = sorted(k for k in defaults_lim if k not in limits)
                    set_req = sorted(k for k in defaults_req if k not in requests)
                    for key in set_lim:
                        limits[key] = defaults_lim[key]
                    for key in set_req:
                        requests[key] = defaults_req[key]
                    if set_req:
                        notes.append(f"{', '.join(set_req)} request for {label} {container.get('name')}")
                    if set_lim:
                        notes.append(f"{', '.join(set_lim)} limit for {label} {container.get('name')}")
                    if not limits:
                        resources.pop("limits")
                    if not requests:
                        resources.pop("requests")
            if notes:
                pod.setdefault("metadata", {}).setdefault("annotations", {})[ANNOTATION] = (
                    "LimitRanger plugin set: " + "; ".join(notes)
                )

    async def validate(self, attrs: Attributes) -> None:
        if not self._supports(attrs):
            return
        pod = attrs.obj or {}
        for items in await self._items(attrs):
            errors: list[str] = []
            for item in items:
                if item["type"] == "Container":
                    for container in podspec.containers(pod, ("containers", "initContainers")):
                        errors += _check(
                            "Container",
                            item,
                            podspec.resources_of(container, "requests"),
                            podspec.resources_of(container, "limits"),
                        )
                elif item["type"] == "Pod":
                    errors += _check("Pod", item, podspec.pod_total(pod, "requests"), podspec.pod_total(pod, "limits"))
            if errors:
                raise messages.forbidden(attrs.resource, attrs.object_name(), messages.aggregate(errors))
