"""What every controller gets: the API (writes go through admission), the store (reads), an event recorder,
the work queue, and small helpers for conditions and int-or-percent values."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..meta import now
from ..operations import Api
from ..rbac import User
from ..resources import BY_STRING
from ..store import Store

if TYPE_CHECKING:
    from .manager import WorkQueue

CONTROLLER_MANAGER = User("system:kube-controller-manager", ("system:authenticated",))

PODS = BY_STRING["v1/pods"]
EVENTS = BY_STRING["v1/events"]
NODES = BY_STRING["v1/nodes"]
SERVICES = BY_STRING["v1/services"]
ENDPOINTS = BY_STRING["v1/endpoints"]
ENDPOINT_SLICES = BY_STRING["discovery.k8s.io/v1/endpointslices"]
NAMESPACES = BY_STRING["v1/namespaces"]
DEPLOYMENTS = BY_STRING["apps/v1/deployments"]
REPLICASETS = BY_STRING["apps/v1/replicasets"]
STATEFULSETS = BY_STRING["apps/v1/statefulsets"]
DAEMONSETS = BY_STRING["apps/v1/daemonsets"]
JOBS = BY_STRING["batch/v1/jobs"]


class Recorder:
    """Writes core/v1 Events, aggregating repeats (same object, type, reason, message) into count++."""

    def __init__(self, api: Api):
        self.api = api
        self._seen: dict[tuple, tuple[str, str]] = {}

    async def event(self, obj: dict, type_: str, reason: str, message: str, component: str) -> None:
        meta = obj["metadata"]
        ns = meta.get("namespace") or "default"
        key = (meta.get("uid"), type_, reason, message, component)
        stamp = now()
        known = self._seen.get(key)
        if known:
            existing = self.api.store.get(EVENTS.storage, *known)
            if existing is not None:
                new = dict(existing, count=int(existing.get("count") or 1) + 1, lastTimestamp=stamp)
                new["metadata"] = dict(existing["metadata"])
                await self.api.write(EVENTS, existing, new, user=CONTROLLER_MANAGER)
                return
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{int(micro_now_ns()):x}", "namespace": ns},
            "involvedObject": {
                "apiVersion": obj.get("apiVersion"),
                "kind": obj.get("kind"),
                "name": meta["name"],
                "namespace": meta.get("namespace"),
                "uid": meta.get("uid"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": component},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": "",
        }
        if not meta.get("namespace"):
            body["involvedObject"].pop("namespace")
        created = await self.api.create(EVENTS, ns, body, user=CONTROLLER_MANAGER)
        self._seen[key] = (ns, created["metadata"]["name"])

    def reset(self) -> None:
        self._seen.clear()


def micro_now_ns() -> int:
    return time.time_ns()


@dataclass
class Ctx:
    api: Api
    store: Store
    recorder: Recorder
    queue: WorkQueue
    backoff_base: float = 0.2
    backoff_max: float = 5.0


def set_condition(
    conditions: list[dict], kind: str, status: str, reason: str, message: str, with_update_time: bool = True
) -> list[dict]:
    """Return conditions with `kind` set; transition time changes only when the status flips."""
    stamp = now()
    out = []
    found = False
    for cond in conditions:
        if cond.get("type") != kind:
            out.append(cond)
            continue
        found = True
        if cond.get("status") == status and cond.get("reason") == reason and cond.get("message") == message:
            out.append(cond)
            continue
        new = {"type": kind, "status": status}
        if with_update_time:
            new["lastUpdateTime"] = stamp
        new["lastTransitionTime"] = cond.get("lastTransitionTime", stamp) if cond.get("status") == status else stamp
        new.update(reason=reason, message=message)
        out.append(new)
    if not found:
        new = {"type": kind, "status": status}
        if with_update_time:
            new["lastUpdateTime"] = stamp
        new.update(lastTransitionTime=stamp, reason=reason, message=message)
        out.append(new)
    return out


def drop_condition(conditions: list[dict], kind: str) -> list[dict]:
    return [c for c in conditions if c.get("type") != kind]


def int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        frac = int(value[:-1]) * total / 100
        return math.ceil(frac) if round_up else math.floor(frac)
    return int(value or 0)


def compact_status(status: dict[str, Any], keep: tuple[str, ...] = ("observedGeneration",)) -> dict[str, Any]:
    """Drop zero counters, like Go's omitempty on int32 status fields."""
    return {k: v for k, v in status.items() if k in keep or v not in (0, None, [], {})}


def controlled(ctx: Ctx, owner: dict, storage: str) -> list[dict]:
    uid = owner["metadata"]["uid"]
    return [
        o
        for o in ctx.store.owned_by(uid, storage)
        if any(r.get("uid") == uid and r.get("controller") for r in o["metadata"].get("ownerReferences") or ())
    ]
