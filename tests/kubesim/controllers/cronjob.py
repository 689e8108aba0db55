"""CronJob controller: a Job per scheduled time (named `<cronjob>-<minutes since the epoch>`, as upstream), the
most recent missed schedule since lastScheduleTime (or creation) only, concurrencyPolicy Allow/Forbid/Replace,
suspend, startingDeadlineSeconds, history limits, status.active/lastScheduleTime/lastSuccessfulTime. The
controller wakes itself for the next schedule. `trigger()` creates a Job now, like
`kubectl create job --from=cronjob/<name>` (annotation `cronjob.kubernetes.io/instantiate: manual`)."""

from __future__ import annotations

import calendar
import time
from typing import Any

from ..meta import owner_ref, random_suffix
from ..patches import clone
from ..resources import BY_STRING
from .base import CONTROLLER_MANAGER, JOBS, Ctx

CRONJOBS = BY_STRING["batch/v1/cronjobs"]
SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


def _field(text: str, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, _, s = part.partition("/")
            step = int(s)
        if part in ("*", "?"):
            a, b = lo, hi
        elif "-" in part:
            x, _, y = part.partition("-")
            a, b = int(x), int(y)
        else:
            a = b = int(part)
            if step != 1:
                b = hi
        out.update(range(a, b + 1, step))
    return {7 % 7 if v == 7 and hi == 6 else v for v in out}


def parse_schedule(schedule: str) -> tuple[set[int], ...]:
    spec = schedule.strip()
    if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
        spec = spec.split(None, 1)[1]
    spec = _MACROS.get(spec, spec)
    fields = spec.split()
    if len(fields) != 5:
        raise ValueError(f"expected exactly 5 fields, found {len(fields)}: {schedule}")
    return tuple(_field(f, lo, hi) for f, (lo, hi) in zip(fields, _RANGES))


def _matches(sets: tuple[set[int], ...], t: time.struct_time, dom_star: bool, dow_star: bool) -> bool:
    minute, hour, dom, month, dow = sets
    if t.tm_min not in minute or t.tm_hour not in hour or t.tm_mon not in month:
        return False
    day_ok, week_ok = t.tm_mday in dom, (t.tm_wday + 1) % 7 in dow
    # Standard cron: when both day fields are restricted, either may match.
    if dom_star or dow_star:
        return day_ok and week_ok
    return day_ok or week_ok


def last_schedule(schedule: str, after: float, now: float) -> float | None:
    """The most recent scheduled time in (after, now], minute resolution (None: none)."""
    sets = parse_schedule(schedule)
    fields = (_MACROS.get(schedule.strip(), schedule.strip())).split()[-5:]
    dom_star, dow_star = fields[2] == "*", fields[4] == "*"
    t = int(now // 60) * 60
    floor = max(after, now - 366 * 86400)
    while t > floor:
        if _matches(sets, time.gmtime(t), dom_star, dow_star):
            return float(t)
        t -= 60
    return None


def next_schedule(schedule: str, now: float) -> float:
    sets = parse_schedule(schedule)
    fields = (_MACROS.get(schedule.strip(), schedule.strip())).split()[-5:]
    dom_star, dow_star = fields[2] == "*", fields[4] == "*"
    t = int(now // 60) * 60 + 60
    for _ in range(366 * 24 * 60):
        if _matches(sets, time.gmtime(t), dom_star, dow_star):
            return float(t)
        t += 60
    return now + 86400


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _epoch(stamp: str | None) -> float | None:
    if not stamp:
        return None
    return float(calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")))


def job_from(cj: dict, name: str, annotations: dict[str, str]) -> dict[str, Any]:
    template = cj["spec"].get("jobTemplate") or {}
    meta = template.get("metadata") or {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": cj["metadata"]["namespace"],
            "labels": clone(meta.get("labels") or {}),
            "annotations": dict(clone(meta.get("annotations") or {}), **annotations),
            "ownerReferences": [owner_ref(cj)],
        },
        "spec": clone(template.get("spec") or {}),
    }


def _finished(job: dict) -> str | None:
    for cond in (job.get("status") or {}).get("conditions") or ():
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return str(cond["type"])
    return None


async def trigger(ctx: Ctx, ns: str, name: str) -> dict:
    cj = ctx.store.get(CRONJOBS.storage, ns, name)
    if cj is None:
        from ..errors import not_found

        raise not_found(CRONJOBS.qualified, name)
    body = job_from(cj, f"{name}-manual-{random_suffix()}", {"cronjob.kubernetes.io/instantiate": "manual"})
    return await ctx.api.create(JOBS, ns, body, user=CONTROLLER_MANAGER)


async def sync_cronjob(ctx: Ctx, ns: str, name: str) -> None:
    cj = ctx.store.get(CRONJOBS.storage, ns, name)
    if cj is None or cj["metadata"].get("deletionTimestamp"):
        return
    spec = cj.get("spec") or {}
    status = dict(cj.get("status") or {})
    jobs = [
        j
        for j in ctx.store.owned_by(cj["metadata"]["uid"], JOBS.storage)
        if any(r.get("controller") and r.get("uid") == cj["metadata"]["uid"] for r in j["metadata"]["ownerReferences"])
    ]
    active = [j for j in jobs if not _finished(j)]
    succeeded = [j for j in jobs if _finished(j) == "Complete"]
    now_t = time.time()
    try:
        scheduled = last_schedule(
            spec.get("schedule", ""),
            _epoch(status.get("lastScheduleTime")) or _epoch(cj["metadata"].get("creationTimestamp")) or now_t,
            now_t,
        )
        wake = next_schedule(spec.get("schedule", ""), now_t) - now_t
    except ValueError:
        return
    deadline = spec.get("startingDeadlineSeconds")
    if scheduled is not None and deadline is not None and now_t - scheduled > int(deadline):
        scheduled = None
    if scheduled is not None and not spec.get("suspend"):
        policy = spec.get("concurrencyPolicy", "Allow")
        job_name = f"{name}-{int(scheduled // 60)}"
        if policy == "Forbid" and active:
            pass
        elif ctx.store.get(JOBS.storage, ns, job_name) is None:
            if policy == "Replace":
                for job in active:
                    await ctx.api.delete_as(JOBS, job, CONTROLLER_MANAGER)
                active = []
            created = await ctx.api.create(
                JOBS, ns, job_from(cj, job_name, {SCHEDULED: _stamp(scheduled)}), user=CONTROLLER_MANAGER
            )
            await ctx.recorder.event(cj, "Normal", "SuccessfulCreate", f"Created job {job_name}", "cronjob-controller")
            active.append(created)
            status["lastScheduleTime"] = _stamp(scheduled)
    for finished_type, limit in (("Complete", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit")):
        done = sorted(
            (j for j in jobs if _finished(j) == finished_type), key=lambda j: j["metadata"]["creationTimestamp"]
        )
        for job in done[: max(0, len(done) - int(spec.get(limit, 3 if finished_type == "Complete" else 1)))]:
            await ctx.api.delete_as(JOBS, job, CONTROLLER_MANAGER)
    status["active"] = [
        {
            "kind": "Job",
            "namespace": ns,
            "name": j["metadata"]["name"],
            "uid": j["metadata"]["uid"],
            "apiVersion": "batch/v1",
            "resourceVersion": j["metadata"].get("resourceVersion"),
        }
        for j in active
    ]
    if not status["active"]:
        status.pop("active")
    if succeeded:
        last = max((j.get("status") or {}).get("completionTime") or "" for j in succeeded)
        if last:
            status["lastSuccessfulTime"] = last
    current = ctx.store.get(CRONJOBS.storage, ns, name)
    if current is not None and (current.get("status") or {}) != status:
        await ctx.api.write(
            CRONJOBS, current, dict(current, status=status), user=CONTROLLER_MANAGER, subresource="status"
        )
    ctx.queue.add_after(("cronjob", ns, name), max(1.0, wake))
