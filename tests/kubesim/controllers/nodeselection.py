"""Which nodes a DaemonSet's pods fit (the DaemonSet controller's NodeShouldRunDaemonPod): the template's
nodeSelector, required node affinity (nodeSelectorTerms ORed; matchExpressions In/NotIn/Exists/DoesNotExist/
Gt/Lt on labels, matchFields on metadata.name) and NoSchedule/NoExecute taints the pod does not tolerate.
Daemon pods tolerate what the controller adds to them (util.AddOrUpdateDaemonPodTolerations): not-ready and
unreachable (NoExecute), disk/memory/pid pressure and unschedulable (NoSchedule), network-unavailable for
hostNetwork pods — so cordoned nodes still run daemons, as upstream."""

from __future__ import annotations

from typing import Any

DAEMON_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
NETWORK_UNAVAILABLE = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}


def daemon_tolerations(spec: dict) -> list[dict]:
    """The pod's tolerations with the daemon ones added (those with the same key and effect replaced)."""
    wanted = list(DAEMON_TOLERATIONS) + ([NETWORK_UNAVAILABLE] if spec.get("hostNetwork") else [])
    keys = {(t["key"], t["effect"]) for t in wanted}
    kept = [t for t in spec.get("tolerations") or () if (t.get("key"), t.get("effect")) not in keys]
    return kept + [dict(t) for t in wanted]


def tolerates(toleration: dict, taint: dict) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return True
    return (toleration.get("value") or "") == (taint.get("value") or "")


def _expression(expr: dict, value: str | None) -> bool:
    op, values = expr.get("operator"), list(expr.get("values") or ())
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and values:
        try:
            have, want = int(value), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def _term(term: dict, node: dict) -> bool:
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False  # an empty term matches nothing
    labels = node["metadata"].get("labels") or {}
    return all(_expression(e, labels.get(e.get("key", ""))) for e in exprs) and all(
        _expression(f, node["metadata"]["name"] if f.get("key") == "metadata.name" else None) for f in fields
    )


def node_matches(spec: dict, node: dict) -> bool:
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required: Any = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    return not required or any(_term(t, node) for t in required.get("nodeSelectorTerms") or ())


def should_run(spec: dict, node: dict) -> bool:
    """The daemon pod (template spec) fits the node: selectors match and every scheduling taint is tolerated."""
    if not node_matches(spec, node):
        return False
    tolerations = daemon_tolerations(spec)
    return all(
        any(tolerates(t, taint) for t in tolerations)
        for taint in (node.get("spec") or {}).get("taints") or ()
        if taint.get("effect") in ("NoSchedule", "NoExecute")
    )
