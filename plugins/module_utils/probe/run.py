# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probing the selected namespaces: bounded concurrency, one total deadline, one result each.

Every pod create is a POST with `dryRun=All` (the only write this module sends besides the
throwaway check of safety.py); each waits at most for what is left of the total `timeout`, so a
webhook hanging for its own timeoutSeconds in ten namespaces costs `timeout`, not ten times it.
A namespace not answered by the deadline is `skipped` (class `timeout`), never a pass. Each result
carries its duration; `log` hears each namespace as it finishes (the module's log and warnings).
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import ApiError, KubeClientError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import MeshModel
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe import answer, expectation, pod, safety
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe.select import Target

OUTCOMES = ("injected", "admitted_without_sidecar", "rejected", "skipped")


def _skipped(target: Target, reason_class: str, message: str) -> Dict[str, Any]:
    return {"outcome": "skipped", "reason_class": reason_class, "message": message, "proxy": None, "webhook": ""}


def probe_one(client: Any, target: Target, deadline: float) -> Dict[str, Any]:
    """The answer for one namespace (never raises for an API answer)."""
    if target.skip:
        return _skipped(target, "not-found", target.skip)
    left = deadline - time.monotonic()
    if left <= 0:
        return _skipped(target, "timeout", "the probe's total timeout was reached before this namespace")
    body = pod.build(target.namespace, target.template)
    path = "/api/v1/namespaces/%s/pods" % target.namespace
    try:
        created = client.send("POST", path, body, safety.DRY_RUN, read_timeout=left)
    except ApiError as exc:
        return answer.from_error(exc.status, exc.reason, exc.message)
    except KubeClientError as exc:
        if "timed out" in str(exc):
            text = "no answer within what was left of the probe's total timeout (%.1fs): %s" % (left, exc)
            return _skipped(target, "timeout", text)
        return _skipped(target, "connection", str(exc))
    result = answer.from_pod(created)
    result["status"] = 201
    name = result.get("pod_name") or ""
    if name and safety.present(client, target.namespace, "pods", name):
        note = safety.remove(client, target.namespace, "pods", name)
        raise safety.DryRunNotHonoured(
            "the API server ignores dryRun=All for pods: the dry-run probe pod %s/%s was stored (%s); "
            "the probe stops" % (target.namespace, name, note)
        )
    return result


def probe_all(
    client: Any,
    model: MeshModel,
    targets: List[Target],
    timeout: float,
    concurrency: int,
    log: Optional[Callable[[str], None]] = None,
) -> List[Dict[str, Any]]:
    """One result per target, in target order."""
    log = log or (lambda text: None)
    started = time.monotonic()
    deadline = started + timeout
    results: Dict[int, Dict[str, Any]] = {}
    timings: Dict[int, float] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
    futures: Dict[Future, int] = {}
    refused: Optional[BaseException] = None
    try:
        for number, target in enumerate(targets):
            futures[pool.submit(probe_one, client, target, deadline)] = number
        pending = set(futures)
        while pending:
            done, pending = wait(
                pending, timeout=max(deadline - time.monotonic(), 0) + 1.0, return_when=FIRST_COMPLETED
            )
            if not done:
                break
            for future in done:
                number = futures[future]
                timings[number] = round(time.monotonic() - started, 3)
                try:
                    results[number] = future.result()
                except safety.DryRunNotHonoured as exc:
                    refused = exc
                    continue
                log(
                    "probe %s: %s%s (%.1fs)"
                    % (
                        targets[number].namespace,
                        results[number]["outcome"],
                        " " + results[number]["reason_class"] if results[number]["reason_class"] else "",
                        timings[number],
                    )
                )
    finally:
        pool.shutdown(wait=False)
    if refused is not None:
        raise refused
    out: List[Dict[str, Any]] = []
    for number, target in enumerate(targets):
        result = results.get(number) or _skipped(
            target, "timeout", "no answer within the probe's total timeout of %ss" % timeout
        )
        out.append(finish(model, target, result, timings.get(number, round(time.monotonic() - started, 3))))
    return out


def finish(model: MeshModel, target: Target, result: Dict[str, Any], seconds: float) -> Dict[str, Any]:
    """The result entry the module returns (fixed keys, in a fixed order)."""
    return {
        "namespace": target.namespace,
        "outcome": result["outcome"],
        "reason_class": result.get("reason_class") or "",
        "message": result.get("message") or "",
        "webhook": result.get("webhook") or "",
        "proxy": result.get("proxy"),
        "agrees_with_model": expectation.agrees(model, target.decision, result, target.workload),
        "model": expectation.describe(target.decision, target.workload),
        "like": target.shape,
        "selected_because": target.why,
        "status": result.get("status"),
        "containers": result.get("containers") or [],
        "init_containers": result.get("init_containers") or [],
        "seconds": seconds,
    }
