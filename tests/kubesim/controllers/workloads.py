"""StatefulSet, DaemonSet and Job controllers, kept small: pods are created through the API (admission runs),
failures become FailedCreate events, template changes roll pods one at a time, status is kept current."""

from __future__ import annotations

from typing import Any

from ..meta import now, template_hash
from ..podstatus import is_active, is_ready
from .base import (
    CONTROLLER_MANAGER,
    DAEMONSETS,
    JOBS,
    NODES,
    PODS,
    STATEFULSETS,
    Ctx,
    compact_status,
    controlled,
    set_condition,
)
from .nodeselection import daemon_tolerations, should_run
from .replicaset import create_pods, pod_from_template

REVISION_LABEL = "controller-revision-hash"


async def _write_status(ctx: Ctx, rt: Any, obj: dict, status: dict) -> None:
    current = ctx.store.get(rt.storage, obj["metadata"]["namespace"], obj["metadata"]["name"])
    if current is not None and (current.get("status") or {}) != status:
        await ctx.api.write(rt, current, dict(current, status=status), user=CONTROLLER_MANAGER, subresource="status")


# ---------------------------------------------------------------- StatefulSet


def _ordinal(sts: dict, pod: dict) -> int | None:
    prefix = sts["metadata"]["name"] + "-"
    name = pod["metadata"]["name"]
    tail = name[len(prefix) :] if name.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


async def sync_statefulset(ctx: Ctx, ns: str, name: str) -> None:
    sts = ctx.store.get(STATEFULSETS.storage, ns, name)
    if sts is None or sts["metadata"].get("deletionTimestamp"):
        return
    spec = sts["spec"]
    template = spec.get("template") or {}
    revision = f"{name}-{template_hash(template)}"
    replicas = int(spec.get("replicas", 1))
    ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
    pods = {o: p for p in controlled(ctx, sts, PODS.storage) if is_active(p) and (o := _ordinal(sts, p)) is not None}
    key = ("statefulset", ns, name)

    def make(ordinal: int) -> dict:
        pod = pod_from_template(sts, template, name=f"{name}-{ordinal}")
        labels = pod["metadata"].setdefault("labels", {})
        labels.update(
            {
                REVISION_LABEL: revision,
                "statefulset.kubernetes.io/pod-name": f"{name}-{ordinal}",
                "apps.kubernetes.io/pod-index": str(ordinal),
            }
        )
        pod["spec"]["hostname"] = f"{name}-{ordinal}"
        if spec.get("serviceName"):
            pod["spec"]["subdomain"] = spec["serviceName"]
        return pod

    for ordinal in range(replicas):
        if ordinal in pods:
            if ordered and not is_ready(pods[ordinal]):
                break
            continue
        err = await create_pods(
            ctx,
            sts,
            1,
            lambda _i, o=ordinal: make(o),
            "statefulset-controller",
            lambda body, exc: (
                f"create Pod {body['metadata']['name']} in StatefulSet {name} failed error: {exc.message}"
            ),
            key,
            lambda pod: f"create Pod {pod['metadata']['name']} in StatefulSet {name} successful",
        )
        if err is not None or ordered:
            break
    for ordinal in sorted((o for o in pods if o >= replicas), reverse=True):
        await ctx.api.delete_as(PODS, pods[ordinal], CONTROLLER_MANAGER)
        await ctx.recorder.event(
            sts,
            "Normal",
            "SuccessfulDelete",
            f"delete Pod {name}-{ordinal} in StatefulSet {name} successful",
            "statefulset-controller",
        )
        if ordered:
            break
    strategy = spec.get("updateStrategy") or {}
    partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0))
    live = {o: p for o, p in pods.items() if o < replicas and ctx.store.get(PODS.storage, ns, p["metadata"]["name"])}
    if (
        strategy.get("type", "RollingUpdate") == "RollingUpdate"
        and len(live) == replicas
        and all(is_ready(p) for p in live.values())
    ):
        stale = sorted(
            (
                o
                for o, p in live.items()
                if o >= partition and (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision
            ),
            reverse=True,
        )
        if stale:
            await ctx.api.delete_as(PODS, live[stale[0]], CONTROLLER_MANAGER)
    current = [p for p in controlled(ctx, sts, PODS.storage) if is_active(p)]
    updated = sum(1 for p in current if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision)
    old_status = sts.get("status") or {}
    current_revision = revision if updated == replicas else old_status.get("currentRevision", revision)
    ready = sum(1 for p in current if is_ready(p))
    status = compact_status(
        {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(current),
            "readyReplicas": ready,
            "currentReplicas": sum(
                1 for p in current if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == current_revision
            ),
            "updatedReplicas": updated,
            "currentRevision": current_revision,
            "updateRevision": revision,
            "collisionCount": 0,
            "availableReplicas": ready,
        },
        keep=("observedGeneration", "replicas", "collisionCount", "availableReplicas"),
    )
    await _write_status(ctx, STATEFULSETS, sts, status)


# ---------------------------------------------------------------- DaemonSet


async def sync_daemonset(ctx: Ctx, ns: str, name: str) -> None:
    ds = ctx.store.get(DAEMONSETS.storage, ns, name)
    if ds is None or ds["metadata"].get("deletionTimestamp"):
        return
    spec = ds["spec"]
    template = spec.get("template") or {}
    revision = template_hash(template)
    pod_spec = template.get("spec") or {}
    nodes = [n["metadata"]["name"] for n in ctx.store.objects(NODES.storage) if should_run(pod_spec, n)]
    pods = [p for p in controlled(ctx, ds, PODS.storage) if is_active(p)]
    by_node: dict[str, dict] = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName", "")
        if node in nodes and node not in by_node:
            by_node[node] = pod
        else:
            await ctx.api.delete_as(PODS, pod, CONTROLLER_MANAGER)
    missing = [n for n in nodes if n not in by_node]
    key = ("daemonset", ns, name)

    def make(i: int) -> dict:
        pod = pod_from_template(ds, template)
        pod["metadata"].setdefault("labels", {}).update(
            {REVISION_LABEL: revision, "pod-template-generation": str(ds["metadata"].get("generation", 1))}
        )
        node = missing[i]
        pod["spec"]["nodeName"] = node
        pod["spec"]["tolerations"] = daemon_tolerations(pod["spec"])
        pod["spec"]["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
                    ]
                }
            }
        }
        return pod

    if missing:
        await create_pods(
            ctx,
            ds,
            len(missing),
            make,
            "daemonset-controller",
            lambda _b, exc: f"Error creating: {exc.message}",
            key,
            lambda pod: f"Created pod: {pod['metadata']['name']}",
        )
    elif all(is_ready(p) for p in by_node.values()):
        stale = [p for p in by_node.values() if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision]
        if stale and (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate":
            await ctx.api.delete_as(PODS, stale[0], CONTROLLER_MANAGER)
    current = [p for p in controlled(ctx, ds, PODS.storage) if is_active(p)]
    ready = sum(1 for p in current if is_ready(p))
    status = compact_status(
        {
            "currentNumberScheduled": len(current),
            "desiredNumberScheduled": len(nodes),
            "numberMisscheduled": 0,
            "numberReady": ready,
            "numberAvailable": ready,
            "numberUnavailable": max(0, len(nodes) - ready),
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": sum(
                1 for p in current if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision
            ),
        },
        keep=(
            "observedGeneration",
            "currentNumberScheduled",
            "desiredNumberScheduled",
            "numberMisscheduled",
            "numberReady",
        ),
    )
    await _write_status(ctx, DAEMONSETS, ds, status)


# ---------------------------------------------------------------- Job


async def sync_job(ctx: Ctx, ns: str, name: str) -> None:
    job = ctx.store.get(JOBS.storage, ns, name)
    if job is None or job["metadata"].get("deletionTimestamp"):
        return
    spec = job["spec"]
    old_status: dict[str, Any] = job.get("status") or {}
    if any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in old_status.get("conditions") or ()
    ):
        return
    pods = controlled(ctx, job, PODS.storage)
    succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
    failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
    active = [p for p in pods if is_active(p)]
    completions = int(spec.get("completions", 1))
    parallelism = int(spec.get("parallelism", 1))
    need = 0 if spec.get("suspend") else min(parallelism, completions - succeeded) - len(active)
    if need > 0 and failed <= int(spec.get("backoffLimit", 6)):
        await create_pods(
            ctx,
            job,
            need,
            lambda _i: pod_from_template(job, spec.get("template") or {}),
            "job-controller",
            lambda _b, exc: f"Error creating: {exc.message}",
            ("job", ns, name),
            lambda pod: f"Created pod: {pod['metadata']['name']}",
        )
    pods = controlled(ctx, job, PODS.storage)
    succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
    failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
    active_n = sum(1 for p in pods if is_active(p))
    status: dict[str, Any] = {
        "startTime": old_status.get("startTime", now()),
        "active": active_n,
        "succeeded": succeeded,
        "failed": failed,
        "ready": sum(1 for p in pods if is_active(p) and is_ready(p)),
        "terminating": 0,
        "uncountedTerminatedPods": {},
    }
    conditions = list(old_status.get("conditions") or ())
    if succeeded >= completions:
        conditions = set_condition(
            conditions,
            "SuccessCriteriaMet",
            "True",
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            with_update_time=False,
        )
        conditions = set_condition(
            conditions,
            "Complete",
            "True",
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            with_update_time=False,
        )
        status["completionTime"] = now()
    elif failed > int(spec.get("backoffLimit", 6)):
        # The job controller stops what still runs once the backoff limit is exceeded.
        for pod in pods:
            if is_active(pod):
                await ctx.api.delete_as(PODS, pod, CONTROLLER_MANAGER)
        status["active"] = 0
        conditions = set_condition(
            conditions,
            "FailureTarget",
            "True",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            with_update_time=False,
        )
        conditions = set_condition(
            conditions,
            "Failed",
            "True",
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            with_update_time=False,
        )
    if conditions:
        status["conditions"] = conditions
    status = compact_status(status, keep=("startTime", "ready", "terminating", "uncountedTerminatedPods"))
    await _write_status(ctx, JOBS, job, status)
