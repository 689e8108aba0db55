"""ReplicaSet controller: keeps spec.replicas active pods, creating them from the template through the API
(so admission runs, webhooks included). A rejected pod becomes a Warning `FailedCreate` event
(`Error creating: <admission error>`) and a ReplicaFailure condition; the set is retried with backoff, so
fixing the cause lets the pods come up without another rollout, as on a real cluster."""

from __future__ import annotations

from typing import Any

from ..errors import StatusError
from ..meta import owner_ref
from ..patches import clone
from ..podstatus import is_active, is_ready
from ..selectors import selector_matches
from .base import CONTROLLER_MANAGER, PODS, REPLICASETS, Ctx, compact_status, controlled, drop_condition, set_condition

COMPONENT = "replicaset-controller"


def pod_from_template(owner: dict, template: dict, name: str | None = None, generate: str | None = None) -> dict:
    tpl_meta = template.get("metadata") or {}
    meta: dict[str, Any] = {"namespace": owner["metadata"]["namespace"], "ownerReferences": [owner_ref(owner)]}
    if name:
        meta["name"] = name
    else:
        meta["generateName"] = generate or f"{owner['metadata']['name']}-"
    for key in ("labels", "annotations", "finalizers"):
        if tpl_meta.get(key):
            meta[key] = clone(tpl_meta[key])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": clone(template.get("spec") or {})}


async def create_pods(
    ctx: Ctx,
    owner: dict,
    count: int,
    make: Any,
    component: str,
    fail_message: Any,
    key: tuple[str, str, str],
    ok_message: Any,
) -> StatusError | None:
    """Create `count` pods in slow-start batches (1, 2, 4, ...), stopping at the first admission error.
    Records events; on error schedules a retry with backoff and returns the error."""
    created, batch = 0, 1
    while created < count:
        for _ in range(min(batch, count - created)):
            body = make(created)
            try:
                pod = await ctx.api.create(PODS, owner["metadata"]["namespace"], body, user=CONTROLLER_MANAGER)
            except StatusError as exc:
                await ctx.recorder.event(owner, "Warning", "FailedCreate", fail_message(body, exc), component)
                ctx.queue.add_after(key, ctx.queue.backoff(key, ctx.backoff_base, ctx.backoff_max))
                return exc
            created += 1
            await ctx.recorder.event(owner, "Normal", "SuccessfulCreate", ok_message(pod), component)
        batch *= 2
    ctx.queue.forget(key)
    return None


def _delete_rank(pod: dict) -> tuple:
    status = pod.get("status") or {}
    return (
        bool((pod.get("spec") or {}).get("nodeName")),
        status.get("phase") == "Running",
        is_ready(pod),
        # newer pods go first
        tuple(-ord(c) for c in pod["metadata"].get("creationTimestamp", "")),
    )


async def sync_replicaset(ctx: Ctx, ns: str, name: str) -> None:
    rs = ctx.store.get(REPLICASETS.storage, ns, name)
    if rs is None:
        return
    spec = rs.get("spec") or {}
    key = ("replicaset", ns, name)
    pods = [p for p in controlled(ctx, rs, PODS.storage) if is_active(p)]
    error: StatusError | None = None
    if not rs["metadata"].get("deletionTimestamp"):
        for pod in ctx.store.objects(PODS.storage, ns):
            refs = pod["metadata"].get("ownerReferences") or ()
            if (
                is_active(pod)
                and not any(r.get("controller") for r in refs)
                and selector_matches(spec.get("selector"), pod["metadata"].get("labels"))
            ):
                new = dict(pod)
                new["metadata"] = dict(pod["metadata"], ownerReferences=list(refs) + [owner_ref(rs)])
                pods.append(await ctx.api.write(PODS, pod, new, user=CONTROLLER_MANAGER))
        diff = len(pods) - int(spec.get("replicas", 1))
        if diff < 0:
            error = await create_pods(
                ctx,
                rs,
                -diff,
                lambda _i: pod_from_template(rs, spec.get("template") or {}),
                COMPONENT,
                lambda _body, exc: f"Error creating: {exc.message}",
                key,
                lambda pod: f"Created pod: {pod['metadata']['name']}",
            )
        elif diff > 0:
            for pod in sorted(pods, key=_delete_rank)[:diff]:
                if await ctx.api.delete_as(PODS, pod, CONTROLLER_MANAGER) is None:
                    continue
                await ctx.recorder.event(
                    rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}", COMPONENT
                )
    await _sync_status(ctx, ns, name, error)


async def _sync_status(ctx: Ctx, ns: str, name: str, error: StatusError | None) -> None:
    rs = ctx.store.get(REPLICASETS.storage, ns, name)
    if rs is None:
        return
    pods = [p for p in controlled(ctx, rs, PODS.storage) if is_active(p)]
    labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    ready = sum(1 for p in pods if is_ready(p))
    old_status = rs.get("status") or {}
    conditions = list(old_status.get("conditions") or ())
    if error is not None:
        conditions = set_condition(
            conditions, "ReplicaFailure", "True", "FailedCreate", error.message, with_update_time=False
        )
    elif len(pods) >= int(rs["spec"].get("replicas", 1)):
        conditions = drop_condition(conditions, "ReplicaFailure")
    status = compact_status(
        {
            "replicas": len(pods),
            "fullyLabeledReplicas": sum(
                1 for p in pods if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())
            ),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"].get("generation", 1),
            "conditions": conditions,
        },
        keep=("observedGeneration", "replicas"),
    )
    if status != old_status:
        await ctx.api.write(REPLICASETS, rs, dict(rs, status=status), user=CONTROLLER_MANAGER, subresource="status")
