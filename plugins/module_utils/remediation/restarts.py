# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rollout restarts that re-admit a workload's pods, in batches, each proven before the next starts.

* which workloads: `candidates` reads the diagnosis - the report's per-workload answers
  (`workloads[]` with `restart.helps` / `next_pod` / `blocked_by`) when the report has them, else
  the restart operations of SI604/SI605 plans and the pods their evidence names. A workload whose
  next pod the diagnosis found blocked stays blocked with that answer, unless `findings` (what this
  run acts on, remediate.yml passes the findings of the roles before it) hold one of its blockers:
  then the dry-run below, made after those fixes, decides.
* never a restart that cannot help: before each batch, a server-side dry-run create of a pod from
  the workload's template (`dryRun=All` runs admission, the injector included) must come back
  carrying the proxy; otherwise the workload is `blocked` with what admission answered, and the
  run stops there (its root cause - a webhook, certificate, namespace label - is unfixed).
* the restart itself is what `kubectl rollout restart` does: the pod-template annotation
  `kubectl.kubernetes.io/restartedAt` set to now, here as a JSON patch with the resourceVersion read.
* a batch is done when every workload rolled out (observedGeneration, updated/ready/available
  replicas) and every pod of its new template carries the proxy; the first batch that does not
  within `timeout` stops the run, later batches are not attempted.
* idempotent: a workload none of whose judged pods still exists (they were replaced since the
  diagnosis) needs nothing.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.selectors import matches
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import ApiError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.writes import KubeWriter, escape_pointer

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
RESTART_CODES = ("SI604", "SI605")
PROXY_CONTAINERS = ("istio-proxy", "linkerd-proxy")
RESTARTABLE = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass
class Candidate:
    ref: ObjectRef
    codes: List[str] = field(default_factory=list)
    pods: List[str] = field(default_factory=list)  # the pods the diagnosis judged (empty: unknown)
    blocker: str = ""  # from the report: why its next pod would not be injected


def _pod_names(finding: Dict[str, Any]) -> List[str]:
    out = []
    for item in finding.get("evidence") or []:
        text = str(item.get("object") or "")
        if text.startswith("Pod "):
            out.append(text[4:])  # "namespace/name"
    return out


def candidates(findings: Sequence[Dict[str, Any]], report: Optional[Dict[str, Any]] = None) -> List[Candidate]:
    """The workloads a restart would help, from the diagnosis (see the module docstring)."""
    out: Dict[ObjectRef, Candidate] = {}
    acted_on = {str(f.get("code")) for f in findings}
    workloads = (report or {}).get("workloads")
    if workloads:
        # the per-workload answers (rules/answers.py): restart.helps only where the next pod is injected;
        # a workload that wants a sidecar, lacks one and whose next pod would not get it is a blocker
        for item in workloads:
            restart = item.get("restart") or {}
            ref = ObjectRef.from_dict(item.get("ref") or {})
            next_pod = item.get("next_pod")
            outcome = next_pod.get("outcome") if isinstance(next_pod, dict) else next_pod
            if restart.get("helps"):
                out.setdefault(ref, Candidate(ref))
            elif (item.get("intent") or {}).get("wants") and (item.get("current") or {}).get("without_proxy"):
                cand = out.setdefault(ref, Candidate(ref))
                fixing = [str(c) for c in item.get("blocked_by") or [] if c in acted_on]  # root_cause is its first
                if fixing:
                    # this run acts on what blocks it (the certificate/webhook/label roles ran before):
                    # the live dry-run pod decides, after those fixes, instead of the stale answer
                    cand.codes = fixing
                    continue
                cand.blocker = "its next pod would be %s (root cause %s): %s" % (
                    outcome or "unknown",
                    item.get("root_cause") or "not known",
                    restart.get("effect") or "a restart does not help",
                )
        return list(out.values())
    for finding in findings:
        if finding.get("code") not in RESTART_CODES:
            continue
        for op in (finding.get("plan") or {}).get("operations") or []:
            if op.get("op") != "restart":
                continue
            for data in op.get("workloads") or [op.get("target") or {}]:
                ref = ObjectRef.from_dict(data)
                cand = out.setdefault(ref, Candidate(ref))
                if finding["code"] not in cand.codes:
                    cand.codes.append(finding["code"])
                cand.pods.extend(p for p in _pod_names(finding) if p.startswith(ref.namespace + "/"))
    return list(out.values())


def has_proxy(pod: Dict[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])]
    return any(n in PROXY_CONTAINERS for n in names)


def pods_of(writer: KubeWriter, workload: Dict[str, Any]) -> List[Dict[str, Any]]:
    ns = workload["metadata"]["namespace"]
    selector = (workload.get("spec") or {}).get("selector") or {}
    items = writer.client.get("/api/v1/namespaces/%s/pods" % ns).get("items") or []
    return [p for p in items if matches(selector, (p.get("metadata") or {}).get("labels") or {})]


def admission_preview(writer: KubeWriter, workload: Dict[str, Any]) -> Tuple[bool, str]:
    """(injected, what admission said) for a pod from the workload's template, dry-run only."""
    template = (workload.get("spec") or {}).get("template") or {}
    meta = dict(template.get("metadata") or {})
    meta["generateName"] = "%s-restart-preview-" % workload["metadata"]["name"]
    meta["namespace"] = workload["metadata"]["namespace"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec") or {}}
    try:
        created = writer.create(pod, dry_run=True)
    except ApiError as exc:
        return False, "admission refused the pod (%s %s: %s)" % (exc.status, exc.reason, exc.message)
    if has_proxy(created):
        return True, "a new pod is injected"
    return False, "a new pod would be admitted without the proxy"


def rolled_out(workload: Dict[str, Any]) -> bool:
    spec, status = workload.get("spec") or {}, workload.get("status") or {}
    want = spec.get("replicas", 1) if workload.get("kind") != "DaemonSet" else status.get("desiredNumberScheduled", 0)
    if status.get("observedGeneration", 0) < (workload.get("metadata") or {}).get("generation", 0):
        return False
    if workload.get("kind") == "DaemonSet":
        return status.get("updatedNumberScheduled") == want and status.get("numberAvailable") == want
    if workload.get("kind") == "StatefulSet":
        return status.get("updatedReplicas") == want and status.get("readyReplicas") == want
    return (
        status.get("updatedReplicas") == want
        and status.get("readyReplicas") == want
        and status.get("availableReplicas") == want
        and status.get("replicas") == want  # old pods gone
    )


def restart_patch(workload: Dict[str, Any], stamp: str) -> List[Dict[str, Any]]:
    """JSON patch setting restartedAt on the pod template, led by the resourceVersion precondition."""
    ops: List[Dict[str, Any]] = [
        {"op": "replace", "path": "/metadata/resourceVersion", "value": workload["metadata"]["resourceVersion"]}
    ]
    meta = ((workload.get("spec") or {}).get("template") or {}).get("metadata")
    if meta is None:
        ops.append({"op": "add", "path": "/spec/template/metadata", "value": {}})
    if not (meta or {}).get("annotations"):
        ops.append({"op": "add", "path": "/spec/template/metadata/annotations", "value": {}})
    ops.append(
        {"op": "add", "path": "/spec/template/metadata/annotations/%s" % escape_pointer(RESTARTED_AT), "value": stamp}
    )
    return ops


def wait_batch(
    writer: KubeWriter,
    refs: Sequence[ObjectRef],
    stamp: str,
    timeout: float,
    interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    need_proxy: bool = True,
) -> Dict[str, Dict[str, Any]]:
    """Per workload: rolled out, and whether every pod of the restarted template carries the proxy
    (`need_proxy` False: an injector's own pods, which carry none)."""
    deadline = time.monotonic() + timeout
    state: Dict[str, Dict[str, Any]] = {}
    while True:
        pending = False
        for ref in refs:
            live = writer.read(ref) or {}
            done = rolled_out(live)
            new = [
                p
                for p in pods_of(writer, live)
                if ((p.get("metadata") or {}).get("annotations") or {}).get(RESTARTED_AT) == stamp
                and not (p.get("metadata") or {}).get("deletionTimestamp")
            ]
            injected = bool(new) and all(has_proxy(p) for p in new)
            state[ref.text()] = {
                "rolled_out": done,
                "new_pods": sorted(p["metadata"]["name"] for p in new),
                "proxy": injected if need_proxy else None,
                "ok": done and (injected or not need_proxy),
            }
            pending = pending or not state[ref.text()]["ok"]
        if not pending or time.monotonic() >= deadline:
            return state
        sleep(interval)


def batches(items: Sequence[Any], size: int) -> List[List[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), max(1, size))]


RESTARTED_POINTER = "/spec/template/metadata/annotations/" + escape_pointer(RESTARTED_AT)


def applied_restart(workload: Dict[str, Any], stamp: str) -> Dict[str, Any]:
    """The workload as the restart leaves it (for the diff)."""
    out = copy.deepcopy(workload)
    meta = out.setdefault("spec", {}).setdefault("template", {}).setdefault("metadata", {})
    meta.setdefault("annotations", {})[RESTARTED_AT] = stamp
    return out
