# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`<host>.md`: one cluster's report for people (a merge request comment, a wiki page, a ticket).

A view over the report document, nothing computed that the JSON does not hold: the cluster, the
findings table, then every finding with its evidence, what it affects and its fix, the per-workload
answers (when the report has them), the pods missing a sidecar, the certificates and what the
diagnosis could not see.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.document import describe_object

SEVERITY_ICON = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}


def cell(value: Any) -> str:
    """A table cell: one line, pipes escaped."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return " ".join(text.split()).replace("|", "\\|") or " "


def table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> List[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    return lines


def _ref(ref: Dict[str, Any]) -> str:
    ns = ref.get("namespace") or ""
    return "%s %s/%s" % (ref.get("kind"), ns, ref.get("name")) if ns else "%s %s" % (ref.get("kind"), ref.get("name"))


def finding_section(finding: Dict[str, Any]) -> List[str]:
    lines = [
        "### %s %s: %s" % (finding.get("code"), finding.get("slug"), describe_object(finding)),
        "",
        "**%s** (%s). %s"
        % (
            SEVERITY_ICON.get(str(finding.get("severity")), "?"),
            finding.get("mesh") or "any mesh",
            " ".join(str(finding.get("message") or "").split()),
        ),
        "",
    ]
    if finding.get("evidence"):
        lines.append("Evidence:")
        lines.append("")
        for item in finding["evidence"]:
            lines.append("- `%s` `%s`: %s" % (item.get("object"), item.get("field"), cell(item.get("value"))))
        lines.append("")
    if finding.get("affects"):
        lines.append("Affects: " + ", ".join(_ref(r) for r in finding["affects"]))
        lines.append("")
    remediation = finding.get("remediation") or {}
    plan = finding.get("plan") or {}
    lines.append(
        "Fix: `%s`%s" % (remediation.get("action") or "manual", " (risk %s)" % plan["risk"] if plan.get("risk") else "")
    )
    steps = remediation.get("steps") or []
    if steps:
        lines.extend(["", "```sh"] + [str(s) for s in steps] + ["```"])
    if finding.get("docs"):
        lines.extend(["", "See [%s](%s)." % (finding.get("code"), finding["docs"])])
    lines.append("")
    return lines


def workload_rows(workloads: List[Dict[str, Any]]) -> List[List[Any]]:
    rows = []
    for w in workloads:
        intent = w.get("intent") or {}
        current = w.get("current") or {}
        nxt = w.get("next_pod") or {}
        restart = w.get("restart") or {}
        rows.append(
            [
                _ref(w.get("ref") or {}) + (" (control plane)" if w.get("control_plane") else ""),
                ("%s %s" % (intent.get("mesh") or "", intent.get("revision") or "")).strip()
                if intent.get("wants")
                else "no",
                "%s/%s" % (current.get("with_proxy", 0), current.get("pods", 0)),
                nxt.get("outcome") or "",
                w.get("root_cause") or "",
                "yes" if restart.get("helps") else "no",
            ]
        )
    return rows


def render(document: Dict[str, Any]) -> str:
    cluster = document.get("cluster") or {}
    summary = document.get("summary") or {}
    name = cluster.get("name") or "cluster"
    findings = document.get("findings") or []
    sev = summary.get("severities") or {}
    pods = summary.get("pods") or {}
    meshes = ", ".join("%s %s" % (m.get("mesh"), m.get("version") or "?") for m in summary.get("meshes") or [])
    lines = ["# Sidecar injection report: %s" % name, ""]
    lines += table(
        ["", ""],
        [
            ["source", "%s %s" % (cluster.get("source") or "", cluster.get("server") or cluster.get("path") or "")],
            ["platform", summary.get("platform") or "unknown"],
            ["Kubernetes", summary.get("kubernetes_version") or "unknown"],
            ["meshes", meshes or "none detected"],
            [
                "pods",
                "%d checked, %d should carry a sidecar, %d carry one, %d missing one"
                % (pods.get("total", 0), pods.get("should_inject", 0), pods.get("injected", 0), pods.get("missing", 0)),
            ],
            [
                "findings",
                "%d error, %d warning, %d info" % (sev.get("error", 0), sev.get("warning", 0), sev.get("info", 0)),
            ],
        ],
    )
    lines += ["", "## Findings", ""]
    if findings:
        lines += table(
            ["severity", "code", "object", "message"],
            [[f.get("severity"), f.get("code"), describe_object(f), f.get("message")] for f in findings],
        )
        lines.append("")
        for finding in findings:
            lines += finding_section(finding)
    else:
        lines += ["No findings.", ""]
    if "workloads" in document:
        lines += ["## Workloads", ""]
        lines += table(
            ["workload", "wants a sidecar", "pods with proxy", "next pod", "root cause", "restart helps"],
            workload_rows(document.get("workloads") or []),
        )
        lines.append("")
    missing = [
        v
        for v in document.get("verdicts") or []
        if v.get("kind") == "Pod" and v.get("should_inject") and v.get("injected") is False
    ]
    if missing:
        lines += ["## Pods missing a sidecar", ""]
        lines += table(
            ["pod", "mesh", "why"],
            [
                ["%s/%s" % (v.get("namespace"), v.get("name")), v.get("mesh"), "; ".join(v.get("reasons") or [])]
                for v in missing
            ],
        )
        lines.append("")
    certificates = summary.get("certificates") or []
    if certificates:
        lines += ["## Certificates", ""]
        lines += table(
            ["object", "role", "subject", "not after", "days left"],
            [[c["object"], c["role"], c["subject"], c["not_after"], c["seconds_left"] // 86400] for c in certificates],
        )
        lines.append("")
    gaps = summary.get("gaps") or []
    checks = summary.get("checks") or {}
    if gaps or checks.get("skipped") or checks.get("narrowed"):
        lines += ["## What the diagnosis could not see", ""]
        for gap in gaps:
            lines.append(
                "- %s not read (%s): %s" % (gap.get("resource"), gap.get("reason"), cell(gap.get("message") or ""))
            )
        for item in checks.get("skipped") or []:
            lines.append("- check %s skipped (missing %s)" % (item.get("rule"), ", ".join(item.get("missing") or [])))
        for item in checks.get("narrowed") or []:
            lines.append("- check %s narrowed (without %s)" % (item.get("rule"), ", ".join(item.get("missing") or [])))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
