# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole diagnosis of one snapshot: view → mesh model → verdicts → rules → ordered findings.

result = diagnose(snapshot_dict, options)   # options: rules.base.Options (or None)
result["summary"]   {"meshes": model.summary(), "verdicts": {...counts}, "rules": {"run", "skipped"}}
result["findings"]  [Finding], de-duplicated, worst first (findings.ordered)
result["verdicts"]  [Verdict] (pods first, then workload templates); Verdict.as_dict() for JSON
result["skipped"]   [{rule, codes, missing}] rules that did not run (an input they need was missing)
result["narrowed"]  [{rule, codes, missing}] rules that ran without some input they use
result["model"]     the MeshModel (for callers that want more than the summary)
result["workloads"] [Answer] one per workload (rules/answers.py); Answer.as_dict() for JSON;
                    result["summary"]["workloads"] their counts (want = have + lack per mesh)

Two phases: every rule but the restart advice runs, the per-workload answers are computed from those
findings, then the restart rules (SI604/SI605) run and advise only workloads whose next pod is
injected with nothing blocking it.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding, ordered
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import compute_verdicts
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import MeshModel, build_model
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import answers as answers_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.coverage import coverage_findings
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import (
    Options,
    Rule,
    RuleContext,
    RunResult,
    available_capabilities,
    run_rules,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.registry import RULES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView


def verdict_counts(verdicts):
    pods = [v for v in verdicts if not v.template]
    return {
        "pods": len(pods),
        "templates": len(verdicts) - len(pods),
        "pods_should_inject": sum(1 for v in pods if v.should_inject),
        "pods_injected": sum(1 for v in pods if v.injected),
        "pods_missing_proxy": sum(1 for v in pods if v.should_inject and not v.injected and v.running),
        "templates_should_inject": sum(1 for v in verdicts if v.template and v.should_inject),
    }


def control_plane_scope(model: MeshModel, finding: Finding) -> List[ObjectRef]:
    """What a finding about a webhook configuration that decides no workload (a leftover that selects
    no namespace and no pod) is about: the namespaces of the backends its webhooks call."""
    namespaces = {w.service.namespace for w in model.webhooks if w.config == finding.name and w.service is not None}
    return [namespace_ref(n) for n in sorted(namespaces)]


def diagnose(
    snapshot: Dict[str, Any],
    options: Optional[Options] = None,
    rules: Optional[List[Rule]] = None,
    capabilities: Optional[FrozenSet[str]] = None,
) -> Dict[str, Any]:
    """`capabilities` overrides what the run detects (tests use it to take a library away)."""
    view = SnapshotView(snapshot)
    model = build_model(view)
    verdicts = compute_verdicts(view, model)
    ctx = RuleContext(
        view=view,
        model=model,
        verdicts=verdicts,
        options=options or Options(),
        capabilities=available_capabilities(view) if capabilities is None else capabilities,
    )
    active = RULES if rules is None else rules
    restarts = [r for r in active if set(r.codes) & set(answers_mod.RESTART_CODES)]
    run = run_rules([r for r in active if r not in restarts], ctx)
    first = ordered(run.findings)
    for finding in first:
        if not finding.affects:
            finding.affects = control_plane_scope(model, finding)
    workloads = answers_mod.compute_answers(ctx, first)
    answers_mod.open_restart_gate(ctx, workloads)
    second = run_rules(restarts, ctx)
    run = RunResult(
        findings=first + second.findings,
        skipped=run.skipped + second.skipped,
        narrowed=run.narrowed + second.narrowed,
        run=run.run + second.run,
    )
    findings = run.findings + coverage_findings(view, model, run, active)
    for finding in findings:
        if not finding.affects:
            finding.affects = control_plane_scope(model, finding)
    answers_mod.finish(workloads, findings)
    return {
        "summary": {
            "meshes": model.summary(),
            "verdicts": verdict_counts(verdicts),
            "rules": {"run": run.run, "skipped": len(run.skipped), "narrowed": len(run.narrowed)},
            "workloads": answers_mod.workload_counts(workloads),
        },
        "findings": ordered(findings),
        "verdicts": verdicts,
        "skipped": run.skipped,
        "narrowed": run.narrowed,
        "model": model,
        "workloads": workloads,
    }
