# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One answer per workload: who wants a sidecar, who has one, what a pod created now gets, and why.

    answers = compute_answers(ctx, findings)   # after every rule but the restart advice (SI604/SI605)
    answer.as_dict() -> {ref, control_plane, intent, current, next_pod{outcome, webhook, failure_policy,
                         path[]}, blocked_by[], root_cause, restart{helps, effect}}

A workload is a template verdict (Deployment, StatefulSet, DaemonSet, CronJob, a Job or ReplicaSet
without an owner) or a pod whose owner is not in the snapshot (bare pods). Its next pod walks the path
of core/catalogue.py PATH: selection → call → injector → admission → runtime. The findings on that
path are those whose `affects` name the workload and whose code blocks on its stage (info findings
and those below the catalogue's BLOCKS_FROM severity are risks, not blocks); in path order, the
first is the root cause. Where the call fails, the webhook's failurePolicy decides: Fail rejects
the pod, Ignore admits it without a sidecar. A restart helps only when the next pod is injected
and nothing on the path blocks it; the restart rules (SI604/SI605) run after the answers and
advise only those (`restart_allowed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import (
    BLOCKS_FROM,
    PATH_RANK,
    STAGES,
    entry,
    severity_rank,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding, evidence
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import Verdict
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.intent import Intent, intent_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import (
    MAX_EVIDENCE,
    index,
    workload_scope,
)

RESTART_CODES = ("SI604", "SI605")
DEADLOCK_CODES = ("SI209",)
GATE = "answers.restart_gate"  # ctx.memo key: {workload ref: restart helps} once the answers exist
MESH_NAMES = {"istio": "Istio", "linkerd": "Linkerd"}


def blocks(finding: Finding) -> str:
    """What `finding` does to a pod created now ("" when it does not block it): below its BLOCKS_FROM
    severity (a certificate only expiring, intent unknown) it is a risk, not a block."""
    spec = entry(finding.code)
    if not spec.get("blocks"):
        return ""
    if finding.severity == "info":  # an info finding reports no problem (an inferred rule exists, by design)
        return ""
    floor = BLOCKS_FROM.get(finding.code)
    if floor is not None and severity_rank(finding.severity) < severity_rank(floor):
        return ""
    return str(spec["blocks"])


def stage_of(code: str) -> str:
    return str(entry(code).get("stage") or "")


def path_rank(code: str) -> int:
    return PATH_RANK.get(code, len(PATH_RANK))


@dataclass
class Answer:
    ref: ObjectRef
    verdict: Verdict
    intent: Intent
    pods: List[Verdict]
    outcome: str = "not_selected"
    webhook: str = ""
    failure_policy: str = ""
    path: List[Dict[str, Any]] = field(default_factory=list)
    blocked_by: List[Finding] = field(default_factory=list)
    restart_helps: bool = False
    restart_effect: str = ""
    _current: Optional[Dict[str, Any]] = field(default=None, repr=False)

    @property
    def control_plane(self) -> bool:
        return self.verdict.control_plane

    @property
    def root_cause(self) -> Optional[Finding]:
        return self.blocked_by[0] if self.blocked_by else None

    def current(self) -> Dict[str, Any]:
        """Running pods with and without a proxy (computed once: the pods do not change)."""
        if self._current is None:
            self._current = self._count_pods()
        return dict(self._current)

    def _count_pods(self) -> Dict[str, Any]:
        live = [p for p in self.pods if p.running]
        versions = sorted(
            {
                "%s %s" % (p.proxy.mesh, p.proxy.version or p.proxy.revision or "unknown")
                for p in live
                if p.injected and p.proxy is not None
            }
        )
        with_proxy = sum(1 for p in live if p.injected)
        return {
            "pods": len(live),
            "with_proxy": with_proxy,
            "without_proxy": len(live) - with_proxy,
            "proxy_versions": versions,
        }

    def as_dict(self) -> Dict[str, Any]:
        cause = self.root_cause
        return {
            "ref": self.ref.as_dict(),
            "control_plane": self.control_plane,
            "intent": self.intent.as_dict(),
            "current": self.current(),
            "next_pod": {
                "outcome": self.outcome,
                "webhook": self.webhook,
                "failure_policy": self.failure_policy,
                "path": [dict(step) for step in self.path],
            },
            "blocked_by": [f.code for f in self.blocked_by],
            "root_cause": cause.code if cause is not None else "",
            "restart": {"helps": self.restart_helps, "effect": self.restart_effect},
        }


def _blockers_by_workload(findings: List[Finding]) -> Dict[ObjectRef, List[Finding]]:
    out: Dict[ObjectRef, List[Finding]] = {}
    for finding in findings:
        if not blocks(finding):
            continue
        for ref in finding.affects:
            if ref.kind != "Namespace":
                out.setdefault(ref, []).append(finding)
    for ref, refs in out.items():
        refs[:] = [f for f in refs if f.code not in DEADLOCK_CODES or _deadlocks(f, ref, refs)]
        refs.sort(key=lambda f: path_rank(f.code))  # stable: findings of one code keep report order
    return out


def _deadlocks(finding: Finding, ref: ObjectRef, found: List[Finding]) -> bool:
    """A bootstrap deadlock (SI209) blocks a workload only in the namespace it names (the injector's own,
    or kube-system; the Namespace in its evidence) and only while another finding stops the call (the
    injector is down or unreachable): with the injector up it is a risk, not a block."""
    namespaces = {
        str(e.get("object", "")).split(" ", 1)[1]
        for e in finding.evidence
        if str(e.get("object", "")).startswith("Namespace ")
    }
    if ref.namespace not in namespaces:
        return False
    return any(f.code not in DEADLOCK_CODES and stage_of(f.code) == "call" and blocks(f) for f in found)


def _walk(ctx: RuleContext, answer: Answer, found: List[Finding]) -> None:
    """next_pod and blocked_by of a workload that wants a sidecar, from its decision and its blockers."""
    decision = answer.verdict.decision
    webhook = ctx.model.webhook(decision.webhook) if decision.webhook else None
    answer.webhook = decision.webhook
    answer.failure_policy = webhook.failure_policy if webhook is not None else ""
    if decision.outcome == "inject":
        found = [f for f in found if stage_of(f.code) != "selection"]  # it is selected: those do not block it
    seen = set()
    answer.blocked_by = []
    for finding in found:  # one finding per code: the first in report order stands for it
        if finding.code not in seen:
            seen.add(finding.code)
            answer.blocked_by.append(finding)
    found = answer.blocked_by
    kinds = [(stage_of(f.code), blocks(f)) for f in found]
    if decision.outcome == "not-selected":
        answer.outcome = "not_selected"
    elif decision.calls and any(s == "call" for s, _b in kinds):
        # the call comes before the injector's own policy: a failed call decides even a pod it would decline
        answer.outcome = "rejected" if answer.failure_policy == "Fail" else "admitted_without_sidecar"
    elif decision.outcome == "skipped":
        # the injector was called and declined: by its own policy (SI110) the pod is admitted without a
        # sidecar; by the pod's or namespace's markers (Linkerd's annotations) it was never asked for
        declined = any(b == "without_sidecar" for _s, b in kinds)
        answer.outcome = "admitted_without_sidecar" if declined else "not_selected"
    elif any(s == "call" for s, _b in kinds):
        answer.outcome = "rejected" if answer.failure_policy == "Fail" else "admitted_without_sidecar"
    elif any(b == "rejected" for _s, b in kinds):
        answer.outcome = "rejected"
    else:
        answer.outcome = "injected"
    answer.path = _steps(answer, decision)


def _steps(answer: Answer, decision: Any) -> List[Dict[str, Any]]:
    """One step per stage: ok until the first blocked one; after it, stages without codes are not reached."""
    details = {
        "selection": (
            "webhook %s selects the pod" % decision.webhook if decision.calls else "no injector webhook selects the pod"
        ),
        "call": (
            "the API server calls %s (failurePolicy %s)" % (decision.webhook, answer.failure_policy or "unknown")
            if decision.webhook
            else "no webhook to call"
        ),
        "injector": "the injector %s" % ("adds the proxy" if decision.should_inject else "declines to inject"),
        "admission": "admission of the mutated pod",
        "runtime": "init container, CNI and proxy readiness",
    }
    steps = []
    blocked = False
    for stage in STAGES:
        codes = [f.code for f in answer.blocked_by if stage_of(f.code) == stage]
        stopped = (stage == "selection" and not decision.calls) or (
            stage == "injector" and decision.outcome == "skipped"
        )
        if stopped or codes:
            status = "blocked"
        else:
            status = "not_reached" if blocked else "ok"
        blocked = blocked or status == "blocked"
        codes = sorted(set(codes), key=path_rank)
        steps.append({"stage": stage, "status": status, "codes": codes, "detail": details[stage]})
    return steps


def _restart_effect(answer: Answer) -> str:
    """What re-creating the workload's pods would do now, in the words a person acts on."""
    cause = answer.root_cause
    why = " (%s %s)" % (cause.code, cause.slug) if cause is not None else ""
    call_fails = cause is not None and stage_of(cause.code) == "call"
    if not answer.intent.wants and answer.outcome != "rejected":
        return "nothing asks for a sidecar here: a restart changes nothing"
    if answer.outcome == "not_selected":
        return "a restart changes nothing: a pod created now is not selected for injection%s" % why
    if answer.outcome == "admitted_without_sidecar":
        fails_open = " because the webhook fails open (failurePolicy Ignore)" if call_fails else ""
        return "a restart re-creates the pods without a sidecar%s%s: they stay un-meshed" % (fails_open, why)
    if answer.outcome == "rejected":
        fails = " (failurePolicy Fail)" if call_fails else ""
        return "a restart would fail: new pods are rejected%s%s and the replicas it replaces go down" % (fails, why)
    if answer.blocked_by:
        return "a restart re-creates the pods with a sidecar that still does not work%s" % why
    return "a restart re-creates the pods with the sidecar"


def compute_answers(ctx: RuleContext, findings: List[Finding]) -> List[Answer]:
    """The answer of every workload (control plane included, flagged), in a stable order."""
    idx = index(ctx)
    by_ref = _blockers_by_workload(findings)
    answers = []
    for verdict in idx.subjects(include_control_plane=True):
        ref = workload_scope(verdict)
        pods = idx.pods_by_owner.get((ref.kind, ref.namespace, ref.name), []) if verdict.template else [verdict]
        answer = Answer(ref=ref, verdict=verdict, intent=intent_of(idx, verdict, pods), pods=pods)
        found = list(by_ref.get(ref, []))
        called = bool(verdict.decision.calls) and any(stage_of(f.code) == "call" for f in found)
        if answer.intent.wants or verdict.decision.should_inject or called:
            # a pod the injector takes without anyone asking (an invalid opt-out value) walks the path too,
            # and so does one nobody wants meshed whose webhook call fails (coredns under a deadlock)
            _walk(ctx, answer, found)
        else:
            answer.outcome = "not_selected"
            answer.webhook = verdict.decision.webhook
            answer.path = _steps(answer, verdict.decision)
        answer.restart_helps = answer.intent.wants and answer.outcome == "injected" and not answer.blocked_by
        answer.restart_effect = _restart_effect(answer)
        answers.append(answer)
    answers.sort(key=lambda a: (a.ref.namespace, a.ref.kind, a.ref.name))
    return answers


def open_restart_gate(ctx: RuleContext, answers: List[Answer]) -> None:
    """Let the restart rules see which workloads a restart helps (call before running them)."""
    gate = {a.ref: a.restart_helps for a in answers}
    ctx.memo(GATE, lambda unused: gate)


def restart_allowed(ctx: RuleContext, ref: ObjectRef) -> bool:
    """May SI604/SI605 advise restarting `ref`? Only when its next pod is injected and nothing blocks it.
    A rule run on its own (no answers computed) keeps its own judgement."""
    gate: Optional[Dict[ObjectRef, bool]] = ctx.memo(GATE, lambda unused: None)
    if gate is None:
        return True
    return gate.get(ref, True)


def finish(answers: List[Answer], findings: List[Finding]) -> None:
    """After the restart rules: restart.helps only for workloads a restart advice names, and each root
    cause says which workloads it blocks (`root_cause_of`, `affects`) and what a restart would do now."""
    advised = {ref for f in findings if f.code in RESTART_CODES for ref in f.affects if ref.kind != "Namespace"}
    causes: Dict[int, List[Answer]] = {}
    by_id: Dict[int, Finding] = {}
    for answer in answers:
        if answer.restart_helps and answer.ref not in advised:
            answer.restart_helps = False
            answer.restart_effect = "nothing to restart: its pods already carry the current proxy"
        cause = answer.root_cause
        if cause is not None:
            causes.setdefault(id(cause), []).append(answer)
            by_id[id(cause)] = cause
    for key, blocked in causes.items():
        finding = by_id[key]
        refs = [a.ref for a in blocked]
        finding.root_cause_of = sorted(set(finding.root_cause_of) | set(refs))
        present = set(finding.affects)
        missing = [r for r in refs if r not in present]
        if missing:
            finding.affects = merge_refs(finding.affects + missing)
        for answer in blocked[:MAX_EVIDENCE]:
            finding.evidence.append(
                evidence(answer.ref.text(), "next pod", "%s; %s" % (answer.outcome, answer.restart_effect))
            )


def merge_refs(refs: List[ObjectRef]) -> List[ObjectRef]:
    """Workloads (sorted), then every namespace involved (sorted): the order rules give `affects` in."""
    workloads = sorted({r for r in refs if r.kind != "Namespace"})
    names = {r.name for r in refs if r.kind == "Namespace"} | {r.namespace for r in workloads if r.namespace}
    return workloads + [namespace_ref(n) for n in sorted(names)]


def _restart_summary(blocked: List[Answer]) -> str:
    outcomes = sorted({a.outcome for a in blocked})
    texts = []
    if "rejected" in outcomes:
        texts.append("a restart now would fail and take replicas down (new pods are rejected)")
    if "admitted_without_sidecar" in outcomes:
        texts.append("a restart now would leave the pods un-meshed (admitted without a sidecar)")
    if "not_selected" in outcomes:
        texts.append("a restart now changes nothing (no injector selects the pods)")
    if "injected" in outcomes:
        texts.append("a restart now gives pods a sidecar that does not work")
    return "; ".join(texts)


def workload_counts(answers: List[Answer]) -> Dict[str, Any]:
    """summary.workloads: per mesh, workloads and pods that want / have / lack a sidecar (want = have +
    lack), the control plane's own-manifest proxies apart, and the lacking ones by root cause."""
    per_mesh: Dict[str, Dict[str, int]] = {}
    own = {"workloads": 0, "pods": 0, "with_proxy": 0}
    causes: Dict[str, Dict[str, Any]] = {}
    for answer in answers:
        current = answer.current()
        if answer.control_plane:
            own["workloads"] += 1
            own["pods"] += current["pods"]
            own["with_proxy"] += current["with_proxy"]
            continue
        if not answer.intent.wants:
            continue
        row = per_mesh.setdefault(
            answer.intent.mesh,
            {"want": 0, "have": 0, "lack": 0, "pods_want": 0, "pods_have": 0, "pods_lack": 0},
        )
        lacking = current["without_proxy"] > 0 or (current["pods"] == 0 and answer.outcome != "injected")
        row["want"] += 1
        row["have" if not lacking else "lack"] += 1
        row["pods_want"] += current["pods"]
        row["pods_have"] += current["with_proxy"]
        row["pods_lack"] += current["without_proxy"]
        if not lacking:
            continue
        cause = answer.root_cause
        code = cause.code if cause is not None else ""
        group = causes.setdefault(
            code,
            {
                "code": code,
                "slug": cause.slug if cause is not None else "",
                "workloads": 0,
                "pods": 0,
                "fix": cause.rendered_steps() if cause is not None else [],
                "fix_text": str(entry(code).get("fix") or "") if code else _UNEXPLAINED,
                "examples": [],
            },
        )
        group["workloads"] += 1
        group["pods"] += current["without_proxy"]
        if len(group["examples"]) < 5:
            group["examples"].append(answer.ref.text())
    ranked = sorted(causes.values(), key=lambda c: (-c["workloads"], -c["pods"], c["code"] == "", c["code"]))
    return {"meshes": dict(sorted(per_mesh.items())), "own_manifest": own, "lacking_by_cause": ranked}


_UNEXPLAINED = (
    "no finding explains it: the pods predate the current decision, or what blocks them is outside what "
    "the snapshot shows (compare with a dry-run probe)"
)
