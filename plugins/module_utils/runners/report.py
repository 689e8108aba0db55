# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the injection_report action does, as plain Python: the run's diagnosis results → the reports.

results (one per inventory host, as `injection_diagnose` registered them, failed ones included) →
one `ClusterEntry` per host (the `<host>.json` the module wrote is the document of record; in check
mode, or when none was written, the document is taken from the result itself) → the fleet roll-up →
every renderer of report/ → files in `report_dir` (atomic, never in check mode) and the result:
fleet document, outcome, file paths, summary lines and the `set_stats` data for workflows.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from typing import Any, Dict, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import fleet as fleet_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import gate
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import html as html_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import junit as junit_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import markdown as markdown_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import prometheus as prom_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import sarif as sarif_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.document import SCHEMA
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.names import file_stem

VERSION = "0.1.0"
FORMATS = ("markdown", "html", "fleet", "junit", "prometheus", "sarif")
DEFAULT_FORMATS = ["markdown", "html", "fleet", "junit", "prometheus", "sarif"]
FILE_NAMES = {
    "html": "fleet.html",
    "fleet": "fleet.json",
    "junit": "junit.xml",
    "prometheus": "sidecar_injection.prom",
    "sarif": "sidecar_injection.sarif",
}
DOCUMENT_KEYS = ("cluster", "summary", "findings", "verdicts", "workloads", "provenance")
NO_RESULT = "no diagnosis result: the host did not run the diagnosis task"

REPORT_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = {
    "report_dir": {"type": "path", "required": True},
    "hosts": {"type": "list", "elements": "str", "required": True},
    "results": {"type": "dict", "default": {}},
    "fail_on": {"type": "str", "choices": list(gate.FAIL_ON), "default": "never"},
    "formats": {"type": "list", "elements": "str", "choices": list(FORMATS), "default": DEFAULT_FORMATS},
    "top": {"type": "int", "default": 5},
}


class ReportError(Exception):
    """The reports could not be written; the message names the file and the cause."""


def document_from_result(result: Dict[str, Any]) -> Dict[str, Any]:
    """The report document the module's result carries (verdicts as returned: the problems ones)."""
    doc: Dict[str, Any] = {"schema": SCHEMA}
    for key in DOCUMENT_KEYS:
        if key in result:
            doc[key] = result[key]
    return doc


def entry_for(host: str, result: Optional[Dict[str, Any]]) -> fleet_mod.ClusterEntry:
    if not isinstance(result, dict) or not result:
        return fleet_mod.ClusterEntry(host, error=NO_RESULT)
    if result.get("failed") or result.get("unreachable"):
        return fleet_mod.ClusterEntry(host, error=str(result.get("msg") or "the diagnosis failed"))
    if result.get("skipped"):
        return fleet_mod.ClusterEntry(
            host, error="the diagnosis was skipped: %s" % (result.get("skip_reason") or "condition false")
        )
    path = result.get("report_path")
    if path and os.path.isfile(path):
        try:
            with open(path) as handle:
                return fleet_mod.ClusterEntry(host, document=json.load(handle), report=os.path.basename(path))
        except (OSError, ValueError) as exc:
            return fleet_mod.ClusterEntry(host, error="cannot read the report %s: %s" % (path, exc))
    return fleet_mod.ClusterEntry(host, document=document_from_result(result))


def write_text(path: str, text: str) -> None:
    """Atomic: a reader (or a dashboard scraping the .prom file) never sees half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temp = tempfile.mkstemp(prefix=".report-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def stats(fleet: Dict[str, Any], files: Dict[str, str], report_dir: str, top: int) -> Dict[str, Any]:
    """`set_stats` data for AWX / Automation Controller workflow nodes (artifacts → extra vars)."""
    return {
        "meshops_outcome": fleet["outcome"],
        "meshops_fleet": {
            "totals": fleet["totals"],
            "fail_on": fleet["fail_on"],
            "clusters": {
                c["name"]: {"status": c["status"], "severities": c.get("severities") or {}} for c in fleet["clusters"]
            },
            "not_diagnosed": [c["name"] for c in fleet["not_diagnosed"]],
        },
        "meshops_reports": {"dir": report_dir, "files": files},
        "meshops_top_causes": [
            {"code": c["code"], "slug": c["slug"], "workloads": c["workloads"], "clusters": c["clusters"]}
            for c in fleet["top_root_causes"][:top]
        ],
    }


def run(
    params: Dict[str, Any],
    check_mode: bool = False,
    now: Optional[datetime.datetime] = None,
) -> Dict[str, Any]:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    generated = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    report_dir = params["report_dir"]
    formats = params.get("formats") or DEFAULT_FORMATS
    results = params.get("results") or {}
    fail_on = params.get("fail_on") or "never"
    entries = [entry_for(host, results.get(host)) for host in params["hosts"]]
    fleet = fleet_mod.roll_up(entries, fail_on=fail_on, generated=generated)
    texts: Dict[str, str] = {}
    if "markdown" in formats:
        for item in entries:
            if item.document is not None:
                texts["%s.md" % file_stem(item.name)] = markdown_mod.render(item.document)
    if "html" in formats:
        texts[FILE_NAMES["html"]] = html_mod.render(fleet, entries)
    if "fleet" in formats:
        texts[FILE_NAMES["fleet"]] = json.dumps(fleet, indent=2) + "\n"
    if "junit" in formats:
        texts[FILE_NAMES["junit"]] = junit_mod.render(entries, fail_on, now.strftime("%Y-%m-%dT%H:%M:%S"))
    if "prometheus" in formats:
        texts[FILE_NAMES["prometheus"]] = prom_mod.render(entries, now.timestamp())
    manifests = any(((item.document or {}).get("summary") or {}).get("manifests") for item in entries)
    if "sarif" in formats and manifests:  # SARIF locates findings in files: the pre-deployment check
        texts[FILE_NAMES["sarif"]] = json.dumps(sarif_mod.render(entries, VERSION, "docs/findings.md"), indent=2) + "\n"
    files = {name: os.path.join(report_dir, name) for name in sorted(texts)}
    for item in entries:
        if item.report:
            files[item.report] = os.path.join(report_dir, item.report)
    if not check_mode:
        try:
            os.makedirs(report_dir, exist_ok=True)
            for name, text in texts.items():
                write_text(os.path.join(report_dir, name), text)
        except OSError as exc:
            raise ReportError("cannot write the reports to %s: %s" % (report_dir, exc)) from None
    return {
        "changed": False,
        "written": not check_mode,
        "outcome": fleet["outcome"],
        "fleet": fleet,
        "files": dict(sorted(files.items())),
        "summary_lines": fleet_mod.summary_lines(fleet),
        "stats": stats(fleet, dict(sorted(files.items())), report_dir, params.get("top") or 5),
    }
