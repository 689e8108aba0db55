# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the injection_diagnose module does, as plain Python the tests can call without Ansible.

params → snapshot (offline file/directory/bundle, or live gathering) → diagnosis (model, verdicts,
rules) → findings filtered by severity → report (file + result + summary lines).
"""

from __future__ import annotations

import copy
import datetime
import os
import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import SEVERITIES, severity_rank
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import at_least, count_by_severity
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.platform import detect_platform
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import certificates as cert_inventory
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import document as report_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import suppressions
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import gaps as gap_costs
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.report import VERSION
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import source as snapshot_source
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

DIAGNOSE_OPTIONS: Dict[str, Dict[str, Any]] = {
    "cluster_name": {"type": "str"},
    "min_severity": {"type": "str", "choices": list(SEVERITIES), "default": "info"},
    "desired_namespaces": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "name": {"type": "str", "required": True},
            "mesh": {"type": "str", "choices": ["istio", "linkerd"], "default": "istio"},
            "revision": {"type": "str"},
        },
    },
    "cert_warning_days": {"type": "int", "default": 60},
    "webhook_timeout_floor": {"type": "int", "default": 5},
    "report_path": {"type": "path"},
    "return_verdicts": {"type": "str", "choices": ["all", "problems", "none"], "default": "problems"},
    "return_findings": {"type": "bool", "default": True},
    "summary_limit": {"type": "int", "default": 20},
    "return_workloads": {"type": "bool", "default": True},
    # CODE, CODE=Kind name, CODE=Kind namespace/name (globs allowed): report/suppressions.py
    "suppress": {"type": "list", "elements": "str", "default": []},
}

DIAGNOSE_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = dict(copy.deepcopy(snapshot_source.SOURCE_ARGUMENT_SPEC))
DIAGNOSE_ARGUMENT_SPEC.update(DIAGNOSE_OPTIONS)


COLLECTION = "meshops.sidecar_injection"


def provenance(snapshot: Dict[str, Any], generated_at: str) -> Dict[str, Any]:
    """When and from what a report was made: a report read days later says what it speaks for."""
    cluster = snapshot.get("cluster") or {}
    return {
        "generated_at": generated_at,
        "gathered_at": snapshot.get("gathered_at"),
        "source": cluster.get("source"),
        "from": cluster.get("path") if cluster.get("source") == "offline" else cluster.get("server"),
        "collection": COLLECTION,
        "collection_version": VERSION,
    }


def remove_stale_report(path: Optional[str]) -> Optional[str]:
    """A failed run must not leave the previous run's `<host>.json` looking current: remove it.
    Returns the path removed, or None."""
    if not path or not os.path.isfile(path):
        return None
    try:
        os.unlink(path)
    except OSError:
        return None
    return path


class DiagnoseError(Exception):
    """A failure the module reports with `msg`; `details` become extra result keys."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


def options_from(params: Dict[str, Any]) -> Options:
    for number in ("cert_warning_days", "webhook_timeout_floor", "summary_limit"):
        if params.get(number) is not None and params[number] < 0:
            raise DiagnoseError("%s must be 0 or more, got %s" % (number, params[number]))
    return Options(
        desired_namespaces=[dict(d) for d in params.get("desired_namespaces") or []],
        cert_warning_days=params.get("cert_warning_days", 60),
        webhook_timeout_floor=params.get("webhook_timeout_floor", 5),
    )


def is_problem(verdict: Dict[str, Any]) -> bool:
    """A verdict worth returning by default: a sidecar expected and missing, or present and unexpected."""
    injected = verdict.get("injected")
    return injected is not None and bool(verdict.get("should_inject")) != bool(injected)


def summarise(snapshot: Dict[str, Any], result: Dict[str, Any], findings: List[Any]) -> Dict[str, Any]:
    severities = count_by_severity(findings)
    counts = result["summary"]["verdicts"]
    platform = detect_platform(SnapshotView(snapshot))
    summary = dict(result["summary"])
    summary.update(
        {
            "kubernetes_version": (snapshot.get("version") or {}).get("gitVersion"),
            "platform": platform["name"] + (" (private)" if platform.get("private") else ""),
            "pods": {
                "total": counts["pods"],
                "should_inject": counts["pods_should_inject"],
                "injected": counts["pods_injected"],
                "missing": counts["pods_missing_proxy"],
            },
            "severities": severities,
            "at_or_above": {
                level: sum(n for sev, n in severities.items() if severity_rank(sev) >= severity_rank(level))
                for level in SEVERITIES
            },
            "codes": report_mod.code_counts(findings),
            "gaps": [gap_costs.describe(g) for g in snapshot.get("gaps") or []],
            # "partial" when a live read failed (403, errors after the retries, the deadline): the
            # verdicts and counts cover only what could be read
            "coverage": {
                "complete": not gap_costs.failed(snapshot),
                "message": gap_costs.partial_line(snapshot) or "every kind was read",
            },
            # checks that did not run (an input they need is missing) or ran without an input they use
            "checks": {"skipped": list(result["skipped"]), "narrowed": list(result["narrowed"])},
            "requests": snapshot.get("requests") or 0,
        }
    )
    return summary


def run(
    params: Dict[str, Any], warn: Optional[Callable[[str], None]] = None, check_mode: bool = False
) -> Dict[str, Any]:
    """The module's result. In check mode everything is diagnosed and returned; no file is written."""
    started = time.monotonic()
    generated_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    options = options_from(params)
    try:
        rules = suppressions.parse(params.get("suppress"))
    except suppressions.SuppressError as exc:
        raise DiagnoseError(str(exc)) from None
    try:
        snapshot = snapshot_source.load(params, warn=warn)
    except snapshot_source.SourceError as exc:
        removed = None if check_mode else remove_stale_report(params.get("report_path"))
        if removed:
            raise DiagnoseError(
                "%s (the previous report %s was removed)" % (exc, removed), stale_report_removed=removed
            ) from None
        raise DiagnoseError(str(exc)) from None
    for text in gap_costs.warnings(snapshot):
        if warn is not None:
            warn(text)
    result = diagnose(snapshot, options)
    findings = at_least(result["findings"], params.get("min_severity") or "info")
    # suppressed findings leave `findings` (and so the severities and fail_on) but stay listed
    findings, suppressed = suppressions.apply(findings, rules, SnapshotView(snapshot))
    cluster = dict(snapshot.get("cluster") or {})
    if params.get("cluster_name"):
        cluster["name"] = params["cluster_name"]
    summary = summarise(snapshot, result, findings)
    summary["suppressed"] = len(suppressed)
    # every certificate on the injection path with its expiry (fleet roll-up, Prometheus)
    summary["certificates"] = cert_inventory.inventory(SnapshotView(snapshot), result["model"], options)
    if snapshot.get("manifests") is not None:  # the overlaid manifests: where each object came from
        summary["manifests"] = snapshot["manifests"]
    summary["duration_seconds"] = round(time.monotonic() - started, 3)
    document = report_mod.build(
        cluster, summary, findings, result["verdicts"], result["workloads"], suppressed=suppressed
    )
    document["provenance"] = provenance(snapshot, generated_at)
    verdicts = document["verdicts"]
    out: Dict[str, Any] = {
        "provenance": document["provenance"],
        "cluster": cluster,
        "summary": summary,
        # large on big clusters (8,000 findings for 50,000 pods): every byte of the result is serialised,
        # parsed and wrapped again by Ansible; the report file always has them (docs/performance.md)
        "findings": document["findings"] if params.get("return_findings", True) else [],
        "suppressed": document["suppressed"] if params.get("return_findings", True) else [],
        "summary_lines": report_mod.human_lines(document, limit=params.get("summary_limit", 20)),
    }
    # the per-workload answer is always in the report file; in the result unless it is too large to want
    if params.get("return_workloads", True):
        out["workloads"] = document["workloads"]
    mode = params.get("return_verdicts") or "problems"
    out["verdicts"] = (
        verdicts if mode == "all" else [v for v in verdicts if is_problem(v)] if mode == "problems" else []
    )
    if params.get("report_path") and not check_mode:
        try:
            report_mod.write_json(params["report_path"], document)
        except OSError as exc:
            raise DiagnoseError("cannot write the report to %s: %s" % (params["report_path"], exc)) from None
        out["report_path"] = params["report_path"]
    return out
