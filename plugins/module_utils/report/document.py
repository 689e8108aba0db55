# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-cluster report: a JSON document for machines and a few lines for people.

Report shape (schema 1), written to `<report_dir>/<inventory_hostname>.json`::

    {"schema": 1, "cluster": {...}, "summary": {...},
     "findings": [{code, slug, severity, mesh, kind, namespace, name, message, evidence[],
                   remediation{action, steps[]}}],
     "verdicts": [{kind, namespace, name, mesh, webhook, revision, should_inject, injected, reasons[]}],
     "workloads": [{ref, control_plane, intent, current, next_pod, blocked_by[], root_cause, restart}]}

Writing is atomic (temp file in the target folder, then rename) so a reader or a concurrent fleet
run never sees half a report.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Dict, Iterable, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import fastjson

SCHEMA = 1
SEVERITY_LABEL = {"error": "ERROR", "warning": "WARN", "info": "INFO"}
CAUSE_LINES = 3  # root causes shown first, with their fix steps
CAUSE_STEPS = 4  # fix steps shown per cause; the report has them all
VERDICT_LINES = 5  # pods that should carry a sidecar and don't, shown with the decisive reason
MESSAGE_WIDTH = 220  # the report has the full text; the terminal summary stays one line per finding


def build(
    cluster: Dict[str, Any],
    summary: Dict[str, Any],
    findings: Iterable[Any],
    verdicts: Iterable[Any],
    workloads: Optional[Iterable[Any]] = None,
    suppressed: Optional[List[Dict[str, Any]]] = None,
) -> Dict[str, Any]:
    """Assemble the report from Finding, Verdict and workload Answer objects (anything with `as_dict()`);
    `suppressed` are finding dicts with their `suppressed_by` (report/suppressions.py)."""
    document = {
        "schema": SCHEMA,
        "cluster": cluster,
        "summary": summary,
        "findings": [f.as_dict() for f in findings],
        "suppressed": list(suppressed or []),
        "verdicts": [v.as_dict() for v in verdicts],
    }
    if workloads is not None:
        document["workloads"] = [w.as_dict() for w in workloads]
    return document


def code_counts(findings: Iterable[Any]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for finding in findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    return dict(sorted(counts.items()))


def write_json(path: str, document: Dict[str, Any]) -> None:
    """Write `document` to `path` atomically; the folder is created when missing."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".report-", suffix=".json", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(fastjson.dumps_indented(document))  # json.dump(indent=2) is pure Python: slow
            stream.write("\n")
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def describe_object(finding: Dict[str, Any]) -> str:
    kind, namespace, name = finding.get("kind"), finding.get("namespace"), finding.get("name")
    if not kind:
        return "cluster"
    return "%s %s/%s" % (kind, namespace, name) if namespace else "%s %s" % (kind, name)


def human_lines(report: Dict[str, Any], limit: int = 20) -> List[str]:
    """A short summary a person can read in a terminal or an AWX job log."""
    summary = report.get("summary") or {}
    cluster = report.get("cluster") or {}
    meshes = (
        ", ".join(
            "%s %s" % (m.get("mesh"), m.get("version") or "(version unknown)") for m in summary.get("meshes") or []
        )
        or "no mesh detected"
    )
    lines = [
        "cluster %s (%s, Kubernetes %s, %s): %s"
        % (
            cluster.get("name") or "?",
            cluster.get("source") or "?",
            summary.get("kubernetes_version") or "unknown",
            summary.get("platform") or "platform unknown",
            meshes,
        )
    ]
    coverage = summary.get("coverage") or {}
    if coverage.get("complete") is False:  # before the counts, which cover only what was read
        lines.append("coverage: %s" % coverage.get("message"))
    lines += cause_lines(summary.get("workloads"))
    pods = summary.get("pods") or {}
    if pods:
        lines.append(
            "pods: %d checked, %d should carry a sidecar, %d carry one; %d missing one"
            % (pods.get("total", 0), pods.get("should_inject", 0), pods.get("injected", 0), pods.get("missing", 0))
        )
    missing = [
        v
        for v in report.get("verdicts") or []
        if v.get("kind") == "Pod" and v.get("should_inject") and v.get("injected") is False
    ]
    for verdict in missing[:VERDICT_LINES]:
        chain = "; ".join(verdict.get("reasons") or [])
        if len(chain) > MESSAGE_WIDTH:
            chain = chain[: MESSAGE_WIDTH - 3] + "..."
        lines.append("  missing sidecar: Pod %s/%s: %s" % (verdict.get("namespace"), verdict.get("name"), chain))
    if len(missing) > VERDICT_LINES:
        lines.append("  ... and %d more pods missing a sidecar in the report" % (len(missing) - VERDICT_LINES))
    counts = summary.get("severities") or {}
    lines.append(
        "findings: %d error, %d warning, %d info"
        % (counts.get("error", 0), counts.get("warning", 0), counts.get("info", 0))
    )
    findings = report.get("findings") or []
    for finding in findings[:limit]:
        message = " ".join(str(finding.get("message") or "").split())  # event texts may span lines
        if len(message) > MESSAGE_WIDTH:
            message = message[: MESSAGE_WIDTH - 3] + "..."
        lines.append(
            "  %-5s %s %-28s %s: %s"
            % (
                SEVERITY_LABEL.get(finding.get("severity"), "?"),
                finding.get("code"),
                finding.get("slug"),
                describe_object(finding),
                message,
            )
        )
    if len(findings) > limit:
        lines.append("  ... and %d more in the report" % (len(findings) - limit))
    hidden = report.get("suppressed") or []
    if hidden:
        codes = sorted({str(s.get("code")) for s in hidden})
        lines.append("suppressed: %d finding(s) (%s), listed in the report" % (len(hidden), ", ".join(codes)))
    return lines


def cause_lines(workloads: Optional[Dict[str, Any]]) -> List[str]:
    """The head of the summary: workloads wanting / having / lacking a sidecar per mesh, then the causes
    that leave the most workloads without one, each with its fix steps (summary.workloads)."""
    if not workloads:
        return []
    lines = []
    for mesh, row in (workloads.get("meshes") or {}).items():
        lines.append(
            "%s: %d workloads want a sidecar, %d have one, %d lack one (pods: %d want, %d have, %d lack)"
            % (
                mesh,
                row.get("want", 0),
                row.get("have", 0),
                row.get("lack", 0),
                row.get("pods_want", 0),
                row.get("pods_have", 0),
                row.get("pods_lack", 0),
            )
        )
    own = workloads.get("own_manifest") or {}
    if own.get("workloads"):
        lines.append("control plane: %d workloads whose proxy comes from their own manifest" % own["workloads"])
    causes = workloads.get("lacking_by_cause") or []
    for rank, cause in enumerate(causes[:CAUSE_LINES], 1):
        count = cause.get("workloads", 0)
        head = (
            "%s %s" % (cause.get("code"), cause.get("slug"))
            if cause.get("code")
            else "no finding explains it (pods predate the current decision?)"
        )
        lines.append(
            "cause %d: %s: %d workload%s without a sidecar (%s)"
            % (rank, head, count, "" if count == 1 else "s", ", ".join(cause.get("examples") or []))
        )
        steps = cause.get("fix") or []
        for step in steps[:CAUSE_STEPS]:
            first = step.splitlines()[0] if step else step
            lines.append("    fix: %s" % first)
        if len(steps) > CAUSE_STEPS:
            lines.append("    ... %d more steps in the report" % (len(steps) - CAUSE_STEPS))
    if len(causes) > CAUSE_LINES:
        lines.append("  ... and %d more causes in the report (summary.workloads)" % (len(causes) - CAUSE_LINES))
    return lines
