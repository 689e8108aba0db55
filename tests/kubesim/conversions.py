"""events.k8s.io/v1 Event ⇄ core/v1 Event. Both groups serve one store, as in kube-apiserver."""

from __future__ import annotations

from typing import Any

_RENAMES = (  # (core, events.k8s.io)
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("reportingComponent", "reportingController"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
)
_SAME = ("metadata", "eventTime", "reportingInstance", "action", "reason", "related", "type", "series")


def core_to_events(obj: dict) -> dict:
    out: dict[str, Any] = {"apiVersion": "events.k8s.io/v1", "kind": "Event"}
    for key in _SAME:
        if key in obj:
            out[key] = obj[key]
    for core, new in _RENAMES:
        if core in obj and obj[core] not in (None, "", {}):
            out[new] = obj[core]
    if out.get("eventTime") is None:
        # kube-apiserver fills eventTime from the legacy timestamps on conversion.
        out["eventTime"] = None
    return out


def events_to_core(obj: dict) -> dict:
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Event"}
    for key in _SAME:
        if key in obj:
            out[key] = obj[key]
    for core, new in _RENAMES:
        if new in obj:
            out[core] = obj[new]
    out.setdefault("involvedObject", {})
    return out


def to_view(storage: str, served: str, obj: dict) -> dict:
    """The stored object as the served resource shows it."""
    if served == "events.k8s.io/v1/events" and storage == "v1/events":
        return core_to_events(obj)
    return obj


def from_view(served: str, obj: dict) -> dict:
    if served == "events.k8s.io/v1/events":
        return events_to_core(obj)
    return obj
