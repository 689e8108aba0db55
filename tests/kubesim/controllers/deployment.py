"""Deployment controller: one ReplicaSet per pod template (named <deployment>-<pod-template-hash>), rolling
updates bounded by maxSurge/maxUnavailable (so a rollout whose new pods are rejected by admission keeps the old
pods running, as on a real cluster), Recreate, revision annotations, history cleanup and status/conditions."""

from __future__ import annotations

import calendar
import time
from typing import Any

from ..meta import owner_ref, template_hash
from ..patches import clone
from ..selectors import selector_matches
from .base import (
    CONTROLLER_MANAGER,
    DEPLOYMENTS,
    REPLICASETS,
    Ctx,
    compact_status,
    controlled,
    drop_condition,
    int_or_percent,
    set_condition,
)

HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
COMPONENT = "deployment-controller"


def _without_hash(template: dict) -> dict:
    tpl = clone(template or {})
    labels = (tpl.get("metadata") or {}).get("labels")
    if labels and HASH in labels:
        del labels[HASH]
        if not labels:
            tpl["metadata"].pop("labels")
    return tpl


def _revision(obj: dict) -> int:
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _replicas(rs: dict) -> int:
    return int((rs.get("spec") or {}).get("replicas", 0))


def _status(rs: dict, key: str) -> int:
    return int((rs.get("status") or {}).get(key, 0) or 0)


def _max_surge_unavailable(d: dict) -> tuple[int, int]:
    spec = d["spec"]
    strategy = spec.get("strategy") or {}
    if strategy.get("type") != "RollingUpdate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    replicas = int(spec.get("replicas", 1))
    surge = int_or_percent(rolling.get("maxSurge", "25%"), replicas, True)
    unavailable = int_or_percent(rolling.get("maxUnavailable", "25%"), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


async def _scale(ctx: Ctx, d: dict, rs: dict, replicas: int, surge: int) -> dict:
    if _replicas(rs) == replicas:
        return rs
    old = _replicas(rs)
    new = dict(rs)
    new["metadata"] = dict(rs["metadata"])
    ann = dict(new["metadata"].get("annotations") or {})
    ann["deployment.kubernetes.io/desired-replicas"] = str(d["spec"].get("replicas", 1))
    ann["deployment.kubernetes.io/max-replicas"] = str(int(d["spec"].get("replicas", 1)) + surge)
    new["metadata"]["annotations"] = ann
    new["spec"] = dict(rs["spec"], replicas=replicas)
    stored = await ctx.api.write(REPLICASETS, rs, new, user=CONTROLLER_MANAGER)
    verb = "up" if replicas > old else "down"
    await ctx.recorder.event(
        d,
        "Normal",
        "ScalingReplicaSet",
        f"Scaled {verb} replica set {rs['metadata']['name']} to {replicas} from {old}",
        COMPONENT,
    )
    return stored


async def _new_replicaset(ctx: Ctx, d: dict, olds: list[dict], replicas: int, surge: int) -> dict:
    meta = d["metadata"]
    template = clone(d["spec"]["template"])
    collision = int((d.get("status") or {}).get("collisionCount", 0))
    for _ in range(5):
        h = template_hash(template, collision)
        name = f"{meta['name']}-{h}"
        existing = ctx.store.get(REPLICASETS.storage, meta["namespace"], name)
        if existing is None:
            break
        if _without_hash(existing["spec"].get("template")) == template:
            return existing
        collision += 1
    revision = max([_revision(rs) for rs in olds] + [0]) + 1
    labels = dict((template.get("metadata") or {}).get("labels") or {}, **{HASH: h})
    tpl = clone(template)
    tpl.setdefault("metadata", {})["labels"] = labels
    selector = clone(d["spec"]["selector"])
    selector.setdefault("matchLabels", {})[HASH] = h
    body = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": str(d["spec"].get("replicas", 1)),
                "deployment.kubernetes.io/max-replicas": str(int(d["spec"].get("replicas", 1)) + surge),
                REVISION: str(revision),
            },
            "ownerReferences": [owner_ref(d)],
        },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": d["spec"].get("minReadySeconds", 0),
            "selector": selector,
            "template": tpl,
        },
    }
    created = await ctx.api.create(REPLICASETS, meta["namespace"], body, user=CONTROLLER_MANAGER)
    await ctx.recorder.event(
        d, "Normal", "ScalingReplicaSet", f"Scaled up replica set {name} to {replicas} from 0", COMPONENT
    )
    return created


async def sync_deployment(ctx: Ctx, ns: str, name: str) -> None:
    d = ctx.store.get(DEPLOYMENTS.storage, ns, name)
    if d is None or d["metadata"].get("deletionTimestamp"):
        return
    spec = d.get("spec") or {}
    rss = controlled(ctx, d, REPLICASETS.storage)
    # Adopt orphaned ReplicaSets matching the selector, as the real controller does.
    for rs in ctx.store.objects(REPLICASETS.storage, ns):
        if rs in rss or rs["metadata"].get("deletionTimestamp"):
            continue
        refs = rs["metadata"].get("ownerReferences") or ()
        if not any(r.get("controller") for r in refs) and selector_matches(
            spec.get("selector"), rs["metadata"].get("labels")
        ):
            new = dict(rs)
            new["metadata"] = dict(rs["metadata"], ownerReferences=list(refs) + [owner_ref(d)])
            rss.append(await ctx.api.write(REPLICASETS, rs, new, user=CONTROLLER_MANAGER))
    template = spec.get("template") or {}
    new_rs = next((rs for rs in rss if _without_hash(rs["spec"].get("template")) == template), None)
    olds = [rs for rs in rss if rs is not new_rs]
    replicas = int(spec.get("replicas", 1))
    surge, max_unavailable = _max_surge_unavailable(d)
    paused = bool(spec.get("paused"))
    recreate = (spec.get("strategy") or {}).get("type") == "Recreate"

    if not paused:
        if recreate:
            active_old = [rs for rs in olds if _replicas(rs) > 0 or _status(rs, "replicas") > 0]
            for rs in olds:
                if _replicas(rs) > 0:
                    await _scale(ctx, d, rs, 0, 0)
            if not active_old:
                if new_rs is None:
                    new_rs = await _new_replicaset(ctx, d, olds, replicas, 0)
                else:
                    new_rs = await _scale(ctx, d, new_rs, replicas, 0)
        else:
            total = sum(_replicas(rs) for rs in rss)
            if new_rs is None:
                want = replicas if not olds else max(0, min(replicas, replicas + surge - total))
                new_rs = await _new_replicaset(ctx, d, olds, want, surge)
            elif _replicas(new_rs) > replicas:
                new_rs = await _scale(ctx, d, new_rs, replicas, surge)
            elif _replicas(new_rs) < replicas:
                want = min(replicas, _replicas(new_rs) + max(0, replicas + surge - total))
                new_rs = await _scale(ctx, d, new_rs, want, surge)
            await _scale_down_old(ctx, d, new_rs, olds, replicas, max_unavailable, surge)
        await _cleanup(ctx, d, olds)
    await _sync_revision(ctx, d, new_rs)
    await _sync_status(ctx, d, new_rs, [rs for rs in controlled(ctx, d, REPLICASETS.storage)], max_unavailable)


async def _scale_down_old(
    ctx: Ctx, d: dict, new_rs: dict, olds: list[dict], replicas: int, max_unavailable: int, surge: int
) -> None:
    olds = [
        ctx.store.get(REPLICASETS.storage, rs["metadata"]["namespace"], rs["metadata"]["name"]) or rs for rs in olds
    ]
    if not any(_replicas(rs) for rs in olds):
        return
    all_rs = olds + [new_rs]
    min_available = replicas - max_unavailable
    new_unavailable = _replicas(new_rs) - _status(new_rs, "availableReplicas")
    max_scaled_down = sum(_replicas(rs) for rs in all_rs) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return
    # First drop old replicas that are not available anyway, then scale down available ones, oldest first.
    for rs in sorted(olds, key=lambda r: r["metadata"].get("creationTimestamp", "")):
        if max_scaled_down <= 0:
            break
        unhealthy = _replicas(rs) - _status(rs, "availableReplicas")
        if unhealthy > 0:
            cut = min(unhealthy, max_scaled_down)
            rs = await _scale(ctx, d, rs, _replicas(rs) - cut, surge)
            max_scaled_down -= cut
    available = sum(_status(rs, "availableReplicas") for rs in all_rs)
    budget = min(max_scaled_down, available - min_available)
    for rs in sorted(olds, key=lambda r: r["metadata"].get("creationTimestamp", "")):
        if budget <= 0:
            break
        current = ctx.store.get(REPLICASETS.storage, rs["metadata"]["namespace"], rs["metadata"]["name"]) or rs
        cut = min(_replicas(current), budget)
        if cut > 0:
            await _scale(ctx, d, current, _replicas(current) - cut, surge)
            budget -= cut


async def _cleanup(ctx: Ctx, d: dict, olds: list[dict]) -> None:
    limit = int(d["spec"].get("revisionHistoryLimit", 10))
    idle = [rs for rs in olds if _replicas(rs) == 0 and _status(rs, "replicas") == 0]
    idle.sort(key=_revision)
    for rs in idle[: max(0, len(idle) - limit)]:
        current = ctx.store.get(REPLICASETS.storage, rs["metadata"]["namespace"], rs["metadata"]["name"])
        if current is not None:
            await ctx.api.delete_as(REPLICASETS, current, CONTROLLER_MANAGER)


async def _sync_revision(ctx: Ctx, d: dict, new_rs: dict | None) -> None:
    if new_rs is None:
        return
    revision = (new_rs["metadata"].get("annotations") or {}).get(REVISION)
    current = ctx.store.get(DEPLOYMENTS.storage, d["metadata"]["namespace"], d["metadata"]["name"])
    if current is None or not revision or (current["metadata"].get("annotations") or {}).get(REVISION) == revision:
        return
    new = dict(current)
    new["metadata"] = dict(
        current["metadata"], annotations=dict(current["metadata"].get("annotations") or {}, **{REVISION: revision})
    )
    await ctx.api.write(DEPLOYMENTS, current, new, user=CONTROLLER_MANAGER)


async def _sync_status(ctx: Ctx, d: dict, new_rs: dict | None, rss: list[dict], max_unavailable: int) -> None:
    current = ctx.store.get(DEPLOYMENTS.storage, d["metadata"]["namespace"], d["metadata"]["name"])
    if current is None:
        return
    spec = current["spec"]
    replicas = int(spec.get("replicas", 1))
    new_rs = next((rs for rs in rss if new_rs and rs["metadata"]["name"] == new_rs["metadata"]["name"]), new_rs)
    available = sum(_status(rs, "availableReplicas") for rs in rss)
    total_spec = sum(_replicas(rs) for rs in rss)
    old_status: dict[str, Any] = current.get("status") or {}
    status: dict[str, Any] = {
        "observedGeneration": current["metadata"].get("generation", 1),
        "replicas": sum(_status(rs, "replicas") for rs in rss),
        "updatedReplicas": _status(new_rs, "replicas") if new_rs else 0,
        "readyReplicas": sum(_status(rs, "readyReplicas") for rs in rss),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total_spec - available),
    }
    if old_status.get("collisionCount"):
        status["collisionCount"] = old_status["collisionCount"]
    conditions = list(old_status.get("conditions") or ())
    if available >= replicas - max_unavailable:
        conditions = set_condition(
            conditions, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."
        )
    else:
        conditions = set_condition(
            conditions,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    rs_name = new_rs["metadata"]["name"] if new_rs else ""
    complete = (
        new_rs is not None
        and status["updatedReplicas"] == replicas
        and status["replicas"] == replicas
        and available == replicas
    )
    progressed = any(
        old_status.get(k, 0) != status[k] for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    )
    deadline = spec.get("progressDeadlineSeconds")
    progressing = next((c for c in conditions if c.get("type") == "Progressing"), None)
    if complete:
        conditions = set_condition(
            conditions,
            "Progressing",
            "True",
            "NewReplicaSetAvailable",
            f'ReplicaSet "{rs_name}" has successfully progressed.',
        )
    elif progressing is None or progressed or progressing.get("reason") == "NewReplicaSetAvailable":
        conditions = set_condition(
            conditions, "Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'
        )
        if progressing is not None and progressed:
            conditions = [
                dict(c, lastUpdateTime=status_time()) if c.get("type") == "Progressing" else c for c in conditions
            ]
        if deadline:
            ctx.queue.add_after(
                ("deployment", current["metadata"]["namespace"], current["metadata"]["name"]), float(deadline) + 0.05
            )
    elif deadline and progressing.get("reason") == "ReplicaSetUpdated":
        since = _age(progressing.get("lastUpdateTime"))
        if since is not None and since > float(deadline):
            conditions = set_condition(
                conditions,
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                f'ReplicaSet "{rs_name}" has timed out progressing.',
            )
        else:
            ctx.queue.add_after(
                ("deployment", current["metadata"]["namespace"], current["metadata"]["name"]),
                max(0.05, float(deadline) - (since or 0) + 0.05),
            )
    failure = next(
        (
            c
            for rs in ([new_rs] if new_rs else []) + rss
            for c in (rs.get("status") or {}).get("conditions") or ()
            if c.get("type") == "ReplicaFailure" and c.get("status") == "True"
        ),
        None,
    )
    if failure:
        conditions = set_condition(
            conditions, "ReplicaFailure", "True", failure.get("reason", "FailedCreate"), failure.get("message", "")
        )
    else:
        conditions = drop_condition(conditions, "ReplicaFailure")
    order = {"Available": 0, "Progressing": 1, "ReplicaFailure": 2}
    status["conditions"] = sorted(conditions, key=lambda c: order.get(c.get("type", ""), 9))
    status = compact_status(status)
    if status == old_status:
        return
    new = dict(current, status=status)
    await ctx.api.write(DEPLOYMENTS, current, new, user=CONTROLLER_MANAGER, subresource="status")


def status_time() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _age(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        return time.time() - calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return None
