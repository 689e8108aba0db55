# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the injection_probe module does, as plain Python the tests call without Ansible.

params → client → snapshot (the same live gathering as the diagnosis) → the diagnosis of that snapshot
(rules/diagnosis.py: model, verdicts and the per-workload answers, no further reads) →
targets (probe/select.py, each with its workload's next_pod) → dry-run support check (probe/safety.py) →
dry-run pod creates (probe/run.py) → the probe rules (SI308, SI309, SI801) → result. Check mode changes nothing here:
a dry run is already safe, so the probe runs; only the report file is not written.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import SEVERITIES, severity_rank
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import ordered
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe import run as probe_run
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe import safety
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe import select as probe_select
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import document as report_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import (
    Options,
    RuleContext,
    available_capabilities,
    run_rules,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.registry import PROBE_RULES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

PROBE_OPTIONS: Dict[str, Dict[str, Any]] = {
    "namespaces": {"type": "list", "elements": "str", "default": []},
    "like": {"type": "dict", "default": {}},
    "timeout": {"type": "int", "default": 60},
    "concurrency": {"type": "int", "default": 4},
    "cluster_name": {"type": "str"},
    "limit": {"type": "int", "default": gather.DEFAULT_LIMIT},
    "retries": {"type": "int", "default": 5},
    "report_path": {"type": "path"},
    "diagnosis_report": {"type": "path"},
}

PROBE_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = copy.deepcopy(kube_client.AUTH_ARG_SPEC)
PROBE_ARGUMENT_SPEC.update(copy.deepcopy(PROBE_OPTIONS))


PROBE_SI801_PREFIX = "the dry-run injection probe (SI308) was skipped"


class ProbeError(Exception):
    """A failure the module reports with `msg`; `details` become extra result keys."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


def _check_numbers(params: Dict[str, Any]) -> None:
    for name, low in (("timeout", 1), ("concurrency", 1), ("limit", 1), ("retries", 0)):
        value = params.get(name)
        if value is not None and value < low:
            raise ProbeError("%s must be %d or more, got %s" % (name, low, value))


def outcome_counts(results: List[Dict[str, Any]]) -> Dict[str, int]:
    return {name: sum(1 for r in results if r["outcome"] == name) for name in probe_run.OUTCOMES}


def summary_lines(cluster: Dict[str, Any], results: List[Dict[str, Any]], findings: List[Dict[str, Any]]) -> List[str]:
    counts = outcome_counts(results)
    lines = [
        "%s: probed %d namespace(s) with dry-run pods: %s"
        % (
            cluster.get("name") or cluster.get("server") or "cluster",
            len(results),
            ", ".join("%d %s" % (n, k) for k, n in counts.items() if n) or "nothing to probe",
        )
    ]
    for result in results:
        text = "  %s: %s" % (result["namespace"], result["outcome"])
        if result["reason_class"]:
            text += " (%s)" % result["reason_class"]
        if result["proxy"]:
            text += " %s" % (result["proxy"]["image"] or result["proxy"]["container"])
        if result["agrees_with_model"] is False:
            next_pod = result["model"].get("next_pod")
            text += " - disagrees with the model" + (" (next_pod %s)" % next_pod["outcome"] if next_pod else "")
        lines.append(text)
        if result["message"]:
            lines.append("    " + result["message"])
    lines += ["%s %s %s" % (f["severity"].upper(), f["code"], f["message"]) for f in findings]
    return lines


def _from_probe(finding: Dict[str, Any]) -> bool:
    code = finding.get("code")
    return code in ("SI308", "SI309") or (
        code == "SI801" and str(finding.get("message") or "").startswith(PROBE_SI801_PREFIX)
    )


def merge_into_report(path: str, out: Dict[str, Any]) -> Dict[str, Any]:
    """Feed the probe into an injection_diagnose report (`<host>.json`): its findings join the
    diagnosis's (worst first, the summary's severities, at_or_above and codes recounted) and its
    results go under `probe`, so the fleet reports and the gate that read the file see them."""
    try:
        with open(path) as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ProbeError("cannot read the diagnosis report %s: %s" % (path, exc)) from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise ProbeError("%s is not an injection_diagnose report (no findings list)" % path)
    # a report probed before: the earlier probe's findings are replaced (SI308/SI309 come only from the
    # probe; its SI801 names it), and the finding format stays the schema's (no marker key)
    kept = [f for f in document["findings"] if not _from_probe(f)]
    added = list(out["findings"])
    findings = sorted(kept + added, key=lambda f: -severity_rank(f.get("severity") or "info"))
    document["findings"] = findings
    summary = document.setdefault("summary", {})
    severities = {
        level: sum(1 for f in findings if f.get("severity") == level) for level in ("error", "warning", "info")
    }
    summary["severities"] = severities
    summary["at_or_above"] = {
        level: sum(n for sev, n in severities.items() if severity_rank(sev) >= severity_rank(level))
        for level in SEVERITIES
    }
    codes: Dict[str, int] = {}
    for finding in findings:
        codes[finding["code"]] = codes.get(finding["code"], 0) + 1
    summary["codes"] = dict(sorted(codes.items()))
    document["probe"] = {"summary": out["summary"], "results": out["results"]}
    try:
        report_mod.write_json(path, document)
    except OSError as exc:
        raise ProbeError("cannot write the diagnosis report %s: %s" % (path, exc)) from None
    return summary


def run(
    params: Dict[str, Any],
    warn: Optional[Callable[[str], None]] = None,
    log: Optional[Callable[[str], None]] = None,
    check_mode: bool = False,
    client_options: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    started = time.monotonic()
    _check_numbers(params)
    log = log or (lambda text: None)
    options = dict(client_options or {})
    options.setdefault("retries", params.get("retries", 5))
    try:
        client = kube_client.client_from_params(params, **options)
    except kube_client.KubeClientError as exc:
        raise ProbeError(str(exc)) from None
    try:
        try:
            snapshot = gather.gather(
                client, limit=params.get("limit") or gather.DEFAULT_LIMIT, context=params.get("context"), log=log
            )
        except kube_client.KubeClientError as exc:
            raise ProbeError(str(exc)) from None
        view = SnapshotView(snapshot)
        # the static side of the comparison: the whole diagnosis of the snapshot just gathered (pure: no reads)
        diagnosis = diagnose(snapshot)
        model, verdicts = diagnosis["model"], diagnosis["verdicts"]
        try:
            targets = probe_select.select(
                view, model, verdicts, params.get("namespaces") or [], params.get("like") or {}, diagnosis["workloads"]
            )
        except probe_select.SelectionError as exc:
            raise ProbeError(str(exc)) from None
        for gap in snapshot.get("gaps") or []:
            if warn is not None:
                warn("the probe's selection could not read %s (%s)" % (gap.get("resource"), gap.get("reason")))
        dry_run_check = ""
        reachable = [t for t in targets if not t.skip]
        try:
            if reachable:
                dry_run_check = safety.check(client, reachable[0].namespace)
            results = probe_run.probe_all(
                client, model, targets, float(params.get("timeout") or 60), int(params.get("concurrency") or 4), log
            )
        except safety.DryRunNotHonoured as exc:
            raise ProbeError(str(exc), refused=True) from None
        except kube_client.KubeClientError as exc:
            raise ProbeError(str(exc)) from None
        requests = client.requests
    finally:
        client.close()
    for result in results:
        if result["outcome"] == "skipped" and warn is not None:
            warn("probe skipped in namespace %s: %s" % (result["namespace"], result["message"]))
    ctx = RuleContext(
        view=view,
        model=model,
        verdicts=verdicts,
        options=Options(),
        capabilities=available_capabilities(view, probe_ran=True),
        probe=results,
    )
    findings = [f.as_dict() for f in ordered(run_rules(PROBE_RULES, ctx).findings)]
    cluster = dict(snapshot.get("cluster") or {})
    if params.get("cluster_name"):
        cluster["name"] = params["cluster_name"]
    summary = {
        "namespaces": len(results),
        "outcomes": outcome_counts(results),
        "disagreements": sum(1 for r in results if r["agrees_with_model"] is False),
        "dry_run_check": dry_run_check,
        "requests": requests,
        "duration_seconds": round(time.monotonic() - started, 3),
    }
    out: Dict[str, Any] = {
        "cluster": cluster,
        "summary": summary,
        "results": results,
        "findings": findings,
        "summary_lines": summary_lines(cluster, results, findings),
    }
    if params.get("report_path") and not check_mode:
        document = {
            "schema": "meshops.sidecar_injection/probe/v1",
            **{k: out[k] for k in ("cluster", "summary", "results", "findings")},
        }
        try:
            report_mod.write_json(params["report_path"], document)
        except OSError as exc:
            raise ProbeError("cannot write the probe report to %s: %s" % (params["report_path"], exc)) from None
        out["report_path"] = params["report_path"]
    if params.get("diagnosis_report") and not check_mode:
        out["diagnosis_summary"] = merge_into_report(params["diagnosis_report"], out)
        out["diagnosis_report"] = params["diagnosis_report"]
    return out
