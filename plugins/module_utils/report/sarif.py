# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`sidecar_injection.sarif`: findings as SARIF 2.1.0, for the pre-deployment check of manifests.

Code-scanning UIs (GitHub, GitLab, Azure DevOps) annotate the file and line a result points at, so a
finding about an object the overlaid manifests define (or a workload it affects) points at that
object's document in the manifest file (`summary.manifests` of the report, written by the overlay);
other findings carry a logical location (the Kubernetes object) only. One run per cluster; the rules
are the catalogue entries of the codes found, with their `when`, `detect` and `fix` texts.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import entry
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.document import describe_object
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.fleet import ClusterEntry

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "meshops.sidecar_injection"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}

Origins = Dict[Tuple[str, str, str], Dict[str, Any]]


def _origins(document: Dict[str, Any]) -> Origins:
    return {
        (m.get("kind") or "", m.get("namespace") or "", m.get("name") or ""): m
        for m in (document.get("summary") or {}).get("manifests") or []
    }


def artifact_uri(path: str) -> str:
    """A relative path stays relative (resolved against the checkout by the UI); absolute is file://."""
    return "file://" + path if os.path.isabs(path) else path.replace(os.sep, "/")


def _location(finding: Dict[str, Any], origins: Origins) -> Optional[Dict[str, Any]]:
    keys = [(finding.get("kind") or "", finding.get("namespace") or "", finding.get("name") or "")]
    keys += [(r.get("kind") or "", r.get("namespace") or "", r.get("name") or "") for r in finding.get("affects") or []]
    for key in keys:
        origin = origins.get(key)
        if origin is not None:
            return {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(origin["file"])},
                    "region": {"startLine": int(origin.get("line") or 1)},
                }
            }
    return None


def _result(finding: Dict[str, Any], origins: Origins, rule_index: int) -> Dict[str, Any]:
    location = _location(finding, origins)
    logical = {"name": describe_object(finding), "kind": "resource"}
    if location is None:
        location = {}
    location["logicalLocations"] = [logical]
    steps = (finding.get("remediation") or {}).get("steps") or []
    text = " ".join(str(finding.get("message") or "").split())
    return {
        "ruleId": finding["code"],
        "ruleIndex": rule_index,
        "level": LEVEL.get(str(finding.get("severity")), "note"),
        "message": {"text": text + (" Fix: " + "; ".join(steps) if steps else "")},
        "locations": [location],
        "partialFingerprints": {"meshopsFinding/v1": "%s:%s" % (finding["code"], describe_object(finding))},
        "properties": {"severity": finding.get("severity"), "evidence": finding.get("evidence") or []},
    }


def _rule(code: str, docs_base: str) -> Dict[str, Any]:
    spec = entry(code)
    rule = {
        "id": code,
        "name": spec["slug"],
        "shortDescription": {"text": spec["when"]},
        "fullDescription": {"text": spec["detect"]},
        "help": {"text": spec["fix"]},
        "defaultConfiguration": {"level": LEVEL.get(spec["severity"], "note")},
    }
    if docs_base:
        rule["helpUri"] = "%s#%s" % (docs_base, code.lower())
    return rule


def render(entries: List[ClusterEntry], version: str, docs_base: str = "") -> Dict[str, Any]:
    """The SARIF log (a dict; json.dumps it). Clusters that were not diagnosed become a run with a
    failed invocation, so the pipeline sees that nothing was checked there."""
    runs = []
    for item in entries:
        run: Dict[str, Any] = {
            "tool": {"driver": {"name": TOOL, "version": version, "rules": []}},
            "automationDetails": {"id": "sidecar_injection/%s/" % item.name},
            "results": [],
        }
        if item.document is None:
            run["invocations"] = [
                {
                    "executionSuccessful": False,
                    "toolExecutionNotifications": [
                        {"level": "error", "message": {"text": item.error or "not diagnosed"}}
                    ],
                }
            ]
            runs.append(run)
            continue
        origins = _origins(item.document)
        codes: List[str] = []
        for finding in item.document.get("findings") or []:
            if finding["code"] not in codes:
                codes.append(finding["code"])
        run["tool"]["driver"]["rules"] = [_rule(code, docs_base) for code in codes]
        run["results"] = [_result(f, origins, codes.index(f["code"])) for f in item.document.get("findings") or []]
        run["invocations"] = [{"executionSuccessful": True}]
        runs.append(run)
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}
