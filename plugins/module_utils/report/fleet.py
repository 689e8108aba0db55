# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet roll-up (`fleet.json`): one document over the per-cluster reports of a run.

Input: one `ClusterEntry` per inventory host of the run — diagnosed (with its report document) or
not (with the reason) — so that a cluster that could not be looked at is listed, never silently
missing. Output (schema `FLEET_SCHEMA`, docs/schemas/fleet.schema.json):

- `clusters`: name, status, gate, counts per severity, pods and workloads lacking a sidecar;
- `not_diagnosed`: the clusters that could not be diagnosed and why;
- `top_root_causes`: the codes that block the most workloads across the fleet, with the clusters and
  workloads they hit — from each report's `workloads[].root_cause` (the per-workload answer); a
  report without `workloads` contributes the workloads its error and warning findings affect, and
  `root_causes_from` says which basis was used;
- `certificates`: the certificates expiring soonest across the fleet;
- `restarts`: namespaces with workloads whose restart would bring the sidecar (restart.helps; for
  reports without `workloads`, the workloads SI604/SI605 name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import (
    SEVERITIES,
    entry,
    severity_rank,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import gate

FLEET_SCHEMA = 1
TOP_CAUSES = 10
TOP_CERTIFICATES = 10
EXAMPLES_PER_CAUSE = 5
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod")
RESTART_CODES = ("SI604", "SI605")


@dataclass
class ClusterEntry:
    """One host of the run: `document` when diagnosed, else `error` says why not."""

    name: str
    document: Optional[Dict[str, Any]] = None
    error: str = ""
    report: str = ""  # the <host>.json file name, when written

    @property
    def diagnosed(self) -> bool:
        return self.document is not None


def _ref_text(ref: Dict[str, Any]) -> str:
    ns = ref.get("namespace") or ""
    return "%s %s/%s" % (ref.get("kind"), ns, ref.get("name")) if ns else "%s %s" % (ref.get("kind"), ref.get("name"))


def lacking_sidecar(document: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Workloads that want a sidecar and lack one (per-workload answer): pods run without it, or none
    runs and a pod created now would not get it (rejected pods leave a workload with none), as
    summary.workloads counts them (rules/answers.py workload_counts)."""
    out = []
    for workload in document.get("workloads") or []:
        current = workload.get("current") or {}
        if not (workload.get("intent") or {}).get("wants") or workload.get("control_plane"):
            continue
        outcome = (workload.get("next_pod") or {}).get("outcome")
        if int(current.get("without_proxy") or 0) > 0 or (not current.get("pods") and outcome != "injected"):
            out.append(workload)
    return out


def blocked_workloads(document: Dict[str, Any]) -> List[Tuple[str, Dict[str, Any]]]:
    """(root cause, workload ref) pairs of one report, and the basis they come from."""
    if "workloads" in document:
        return [(w["root_cause"], w.get("ref") or {}) for w in document.get("workloads") or [] if w.get("root_cause")]
    pairs = []
    for finding in document.get("findings") or []:
        if severity_rank(finding.get("severity") or "info") < severity_rank("warning"):
            continue
        for ref in finding.get("affects") or []:
            if ref.get("kind") in WORKLOAD_KINDS:
                pairs.append((finding["code"], ref))
    return pairs


def _key(ref: Dict[str, Any]) -> Tuple[Any, Any, Any]:
    return (ref.get("kind"), ref.get("namespace"), ref.get("name"))


def restart_candidates(document: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Workload refs whose restart would bring the sidecar. Without the per-workload answer: those
    SI604/SI605 name that no other error or warning finding affects (a restart while something still
    blocks the path would only take replicas down)."""
    if "workloads" in document:
        return [w.get("ref") or {} for w in document.get("workloads") or [] if (w.get("restart") or {}).get("helps")]
    blocked = {
        _key(ref)
        for finding in document.get("findings") or []
        if finding.get("code") not in RESTART_CODES
        and severity_rank(finding.get("severity") or "info") >= severity_rank("warning")
        for ref in finding.get("affects") or []
    }
    refs: List[Dict[str, Any]] = []
    for finding in document.get("findings") or []:
        if finding.get("code") in RESTART_CODES:
            refs.extend(
                r for r in finding.get("affects") or [] if r.get("kind") in WORKLOAD_KINDS and _key(r) not in blocked
            )
    return refs


def _gap_part(gap: Dict[str, Any]) -> str:
    """`pods`, `secrets istio-system/cacerts` or `configmaps in istio-system`: what could not be read."""
    if gap.get("read_namespaces"):
        return "%s at the cluster scope" % gap.get("resource")
    if gap.get("namespace") is None:
        return str(gap.get("resource"))
    if gap.get("name"):
        return "%s %s/%s" % (gap.get("resource"), gap["namespace"], gap["name"])
    return "%s in %s" % (gap.get("resource"), gap["namespace"])


def _cluster_row(item: ClusterEntry, fail_on: str) -> Dict[str, Any]:
    if item.document is None:
        return {
            "name": item.name,
            "status": gate.NOT_DIAGNOSED,
            "error": item.error,
            "gate": {"fail_on": fail_on, "breached": {}, "message": gate.not_diagnosed_message(item.name, item.error)},
        }
    doc = item.document
    summary = doc.get("summary") or {}
    cluster = doc.get("cluster") or {}
    breached = gate.breach(summary, fail_on)
    return {
        "name": item.name,
        "status": gate.BREACHED if breached else gate.PASSED,
        "error": "",
        "source": cluster.get("source") or "",
        "server": cluster.get("server") or "",
        "platform": summary.get("platform") or "",
        "kubernetes_version": summary.get("kubernetes_version") or "",
        "meshes": ["%s %s" % (m.get("mesh"), m.get("version") or "?") for m in summary.get("meshes") or []],
        "severities": {s: int((summary.get("severities") or {}).get(s, 0)) for s in SEVERITIES},
        "findings": len(doc.get("findings") or []),
        "pods": dict(summary.get("pods") or {}),
        "workloads_without_sidecar": len(lacking_sidecar(doc)) if "workloads" in doc else None,
        "gaps": ["%s (%s)" % (_gap_part(g), g.get("reason")) for g in summary.get("gaps") or []],
        "report": item.report,
        "gate": {
            "fail_on": fail_on,
            "breached": breached,
            "message": gate.breach_message(item.name, fail_on, breached, item.report or None) if breached else "",
        },
    }


def _root_causes(entries: List[ClusterEntry]) -> Tuple[List[Dict[str, Any]], str]:
    causes: Dict[str, Dict[str, Any]] = {}
    bases = set()
    for item in entries:
        if item.document is None:
            continue
        bases.add("workloads" if "workloads" in item.document else "findings")
        seen = set()
        for code, ref in blocked_workloads(item.document):
            key = (code, ref.get("kind"), ref.get("namespace"), ref.get("name"))
            if key in seen:
                continue
            seen.add(key)
            cause = causes.setdefault(code, {"code": code, "workloads": 0, "clusters": [], "examples": []})
            cause["workloads"] += 1
            if item.name not in cause["clusters"]:
                cause["clusters"].append(item.name)
            if len(cause["examples"]) < EXAMPLES_PER_CAUSE:
                cause["examples"].append({"cluster": item.name, "workload": _ref_text(ref)})
    ranked = sorted(causes.values(), key=lambda c: (-c["workloads"], -len(c["clusters"]), c["code"]))[:TOP_CAUSES]
    for cause in ranked:
        spec = entry(cause["code"])
        cause.update(slug=spec["slug"], severity=spec["severity"], when=spec["when"])
    basis = "workloads" if bases == {"workloads"} else "findings" if bases == {"findings"} else "mixed" if bases else ""
    return ranked, basis


def _certificates(entries: List[ClusterEntry]) -> List[Dict[str, Any]]:
    out = []
    for item in entries:
        for cert in ((item.document or {}).get("summary") or {}).get("certificates") or []:
            row = {"cluster": item.name}
            row.update(cert)
            out.append(row)
    out.sort(key=lambda c: (c["seconds_left"], c["cluster"], c["object"], c["field"]))
    return out[:TOP_CERTIFICATES]


def _restarts(entries: List[ClusterEntry]) -> List[Dict[str, Any]]:
    rows: Dict[Tuple[str, str], List[str]] = {}
    for item in entries:
        for ref in restart_candidates(item.document or {}):
            names = rows.setdefault((item.name, ref.get("namespace") or ""), [])
            text = "%s/%s" % (ref.get("kind"), ref.get("name"))
            if text not in names:
                names.append(text)
    return [{"cluster": c, "namespace": ns, "workloads": sorted(w)} for (c, ns), w in sorted(rows.items())]


def roll_up(entries: List[ClusterEntry], fail_on: str = "never", generated: str = "") -> Dict[str, Any]:
    """The fleet document over `entries` (in inventory order)."""
    clusters = [_cluster_row(item, fail_on) for item in entries]
    statuses = [c["status"] for c in clusters]
    causes, basis = _root_causes(entries)
    severities = {s: sum(c.get("severities", {}).get(s, 0) for c in clusters) for s in SEVERITIES}
    return {
        "schema": FLEET_SCHEMA,
        "generated": generated,
        "fail_on": fail_on,
        "outcome": gate.fleet_outcome(statuses),
        "totals": {
            "clusters": len(clusters),
            "diagnosed": sum(1 for c in clusters if c["status"] != gate.NOT_DIAGNOSED),
            "not_diagnosed": statuses.count(gate.NOT_DIAGNOSED),
            "gate_breached": statuses.count(gate.BREACHED),
            "severities": severities,
        },
        "clusters": clusters,
        "not_diagnosed": [
            {"name": c["name"], "error": c["error"]} for c in clusters if c["status"] == gate.NOT_DIAGNOSED
        ],
        "root_causes_from": basis,
        "top_root_causes": causes,
        "certificates": _certificates(entries),
        "restarts": _restarts(entries),
    }


def summary_lines(fleet: Dict[str, Any]) -> List[str]:
    """The fleet in a few lines (console, AWX job output)."""
    totals = fleet["totals"]
    sev = totals["severities"]
    lines = [
        "fleet: %d clusters, %d diagnosed, %d not diagnosed, %d over the gate (fail_on %s): outcome %s"
        % (
            totals["clusters"],
            totals["diagnosed"],
            totals["not_diagnosed"],
            totals["gate_breached"],
            fleet["fail_on"],
            fleet["outcome"],
        ),
        "findings: %d error, %d warning, %d info" % (sev.get("error", 0), sev.get("warning", 0), sev.get("info", 0)),
    ]
    for row in fleet["not_diagnosed"]:
        lines.append("  not diagnosed: %s: %s" % (row["name"], " ".join(str(row["error"]).split())))
    for cause in fleet["top_root_causes"][:5]:
        lines.append(
            "  root cause %s %s: %d workload%s in %s"
            % (
                cause["code"],
                cause["slug"],
                cause["workloads"],
                "" if cause["workloads"] == 1 else "s",
                ", ".join(cause["clusters"]),
            )
        )
    for cert in fleet["certificates"][:3]:
        days = abs(cert["seconds_left"]) // 86400
        when = "%d day%s" % (days, "" if days == 1 else "s")
        lines.append(
            "  certificate %s %s (%s, %s): %s"
            % (
                cert["cluster"],
                cert["object"],
                cert["role"],
                cert["not_after"],
                "expired %s ago" % when if cert["seconds_left"] < 0 else "expires in %s" % when,
            )
        )
    return lines
