# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`junit.xml`: the fleet as JUnit XML, the format every CI system shows as test results.

One `<testsuite>` per cluster, one `<testcase>` per check (the rules of rules/registry.py; a code no
rule emits, e.g. the coverage codes, gets a testcase of its own). A check fails (`<failure>`) when it
found something at or above the gate (`fail_on`); findings below the gate are listed in the
testcase's `<system-out>`, so nothing is hidden. A check that did not run is `<skipped>`. A cluster
that could not be diagnosed is a suite with one `<error>` testcase — CI shows "could not run"
apart from "failed", as JUnit intends.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import severity_rank
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.document import describe_object
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.fleet import ClusterEntry
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry

SUITES = "meshops.sidecar_injection"


def _attrs(**values: Any) -> str:
    return "".join(" %s=%s" % (k, quoteattr(str(v))) for k, v in values.items())


def finding_text(finding: Dict[str, Any]) -> str:
    lines = [
        "%s %s %s %s: %s"
        % (
            finding.get("severity"),
            finding.get("code"),
            finding.get("slug"),
            describe_object(finding),
            " ".join(str(finding.get("message") or "").split()),
        )
    ]
    for item in finding.get("evidence") or []:
        lines.append("  evidence: %s %s = %s" % (item.get("object"), item.get("field"), item.get("value")))
    for step in (finding.get("remediation") or {}).get("steps") or []:
        lines.append("  fix: %s" % step)
    return "\n".join(lines)


def _breaches(finding: Dict[str, Any], fail_on: str) -> bool:
    return fail_on != "never" and severity_rank(finding.get("severity") or "info") >= severity_rank(fail_on)


def checks() -> List[Dict[str, Any]]:
    """Every check: name, the file it lives in and its codes."""
    return [
        {"name": r.name, "group": r.module.split("/")[-1][: -len(".py")], "codes": list(r.codes)}
        for r in registry.RULES
    ]


def _testcase(classname: str, name: str, found: List[Dict[str, Any]], fail_on: str, skipped: Optional[str]) -> str:
    head = "    <testcase%s>" % _attrs(classname=classname, name=name, time="0")
    if skipped is not None:
        return head + "<skipped%s/></testcase>" % _attrs(message=skipped)
    failing = [f for f in found if _breaches(f, fail_on)]
    body = ""
    if failing:
        codes = sorted({f["code"] for f in failing})
        body += "<failure%s>%s</failure>" % (
            _attrs(
                type=",".join(codes),
                message="%d finding%s at %s or worse" % (len(failing), "" if len(failing) == 1 else "s", fail_on),
            ),
            escape("\n\n".join(finding_text(f) for f in failing)),
        )
    rest = [f for f in found if not _breaches(f, fail_on)]
    if rest:
        body += "<system-out>%s</system-out>" % escape("\n\n".join(finding_text(f) for f in rest))
    return head + body + "</testcase>"


def _suite(item: ClusterEntry, fail_on: str, timestamp: str) -> Tuple[List[str], Dict[str, int]]:
    """The suite's lines and its counts (tests, failures, errors, skipped)."""
    if item.document is None:
        return [
            "  <testsuite%s>"
            % _attrs(name=item.name, tests=1, failures=0, errors=1, skipped=0, time="0", timestamp=timestamp),
            "    <testcase%s><error%s>%s</error></testcase>"
            % (
                _attrs(classname="%s.%s" % (SUITES, item.name), name="diagnose", time="0"),
                _attrs(type="not_diagnosed", message=" ".join(str(item.error).split())),
                escape(str(item.error)),
            ),
            "  </testsuite>",
        ], {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}
    doc = item.document
    summary = doc.get("summary") or {}
    by_code: Dict[str, List[Dict[str, Any]]] = {}
    for finding in doc.get("findings") or []:
        by_code.setdefault(finding["code"], []).append(finding)
    skipped = {s.get("rule"): s for s in (summary.get("checks") or {}).get("skipped") or []}
    cases, failures, skips = [], 0, 0
    known = set()
    for check in checks():
        found = [f for code in check["codes"] for f in by_code.get(code, [])]
        known.update(check["codes"])
        skip = skipped.get(check["name"])
        reason = "missing %s" % ", ".join(skip.get("missing") or []) if skip is not None else None
        case = _testcase("%s.%s.%s" % (SUITES, item.name, check["group"]), check["name"], found, fail_on, reason)
        failures += "<failure" in case
        skips += reason is not None
        cases.append(case)
    for code in sorted(set(by_code) - known):
        case = _testcase("%s.%s.coverage" % (SUITES, item.name), code, by_code[code], fail_on, None)
        failures += "<failure" in case
        cases.append(case)
    attrs = _attrs(
        name=item.name,
        tests=len(cases),
        failures=failures,
        errors=0,
        skipped=skips,
        time=summary.get("duration_seconds") or 0,
        timestamp=timestamp,
    )
    properties = [
        "    <properties>",
        "      <property%s/>" % _attrs(name="fail_on", value=fail_on),
        "      <property%s/>" % _attrs(name="source", value=(doc.get("cluster") or {}).get("source") or ""),
    ]
    if item.report:
        properties.append("      <property%s/>" % _attrs(name="report", value=item.report))
    properties.append("    </properties>")
    counts = {"tests": len(cases), "failures": failures, "errors": 0, "skipped": skips}
    return ["  <testsuite%s>" % attrs] + properties + cases + ["  </testsuite>"], counts


def render(entries: List[ClusterEntry], fail_on: str, timestamp: str) -> str:
    """`timestamp`: ISO 8601 without zone (the JUnit schema's xs:dateTime form), e.g. 2026-01-01T00:00:00."""
    suites = [_suite(item, fail_on, timestamp) for item in entries]
    text = "\n".join(line for lines, _counts in suites for line in lines)
    totals = {key: sum(counts[key] for _lines, counts in suites) for key in ("tests", "failures", "errors", "skipped")}
    return '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites%s>\n%s\n</testsuites>\n' % (
        _attrs(name=SUITES, **totals),
        text,
    )
