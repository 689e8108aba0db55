"""The corpus of real cases (tests/cases/, see its README): every snapshot diagnosed, its findings
held to what a correct diagnosis names and must not name, and its per-workload answer checked."""

from __future__ import annotations

import base64
import functools
import os
import re
from typing import Any, Dict, List

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    OPTIONAL_RESOURCES,
    RESOURCES,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.document import describe_object
from tests.integration.cases import harness

EXPECTED_CASES = 49
HEALTHY_CONTROLS = 7
KEYS = {
    "id",
    "title",
    "source",
    "mesh",
    "platform",
    "flavor",
    "kubernetes",
    "mesh_version",
    "layout",
    "healthy",
    "options",
    "must",
    "must_not",
    "workloads",
}
OUTCOMES = {"injected", "admitted_without_sidecar", "rejected", "not_selected"}
CODE = re.compile(r"^SI\d{3}$")
CASES = harness.case_ids()


@functools.lru_cache(maxsize=None)
def expected(case_id: str) -> Dict[str, Any]:
    with open(os.path.join(harness.case_dir(case_id), "expected.yaml")) as handle:
        return yaml.safe_load(handle)


@functools.lru_cache(maxsize=None)
def report(case_id: str) -> Dict[str, Any]:
    return harness.diagnose_case(harness.case_dir(case_id), expected(case_id).get("options") or {})


def with_gaps(test: str) -> List[Any]:
    return [
        pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=harness.KNOWN_GAPS[(test, case)]))
        if (test, case) in harness.KNOWN_GAPS
        else case
        for case in CASES
    ]


def matches(finding: Dict[str, Any], item: Dict[str, Any]) -> bool:
    return finding["code"] == item["code"] and (not item.get("object") or describe_object(finding) == item["object"])


def code_problems(case_id: str) -> List[str]:
    exp, findings = expected(case_id), report(case_id)["findings"]
    problems = []
    for item in exp.get("must") or []:
        if not any(matches(f, item) for f in findings):
            problems.append("missing %s on %s" % (item["code"], item.get("object") or "any object"))
    for item in exp.get("must_not") or []:
        hits = [describe_object(f) for f in findings if matches(f, item)]
        if hits:
            problems.append("unexpected %s on %s" % (item["code"], ", ".join(hits)))
    if exp.get("healthy"):
        problems += [
            "%s %s on %s in a healthy control" % (f["severity"], f["code"], describe_object(f))
            for f in findings
            if f["severity"] in ("warning", "error")
        ]
    return problems


def workload_problems(case_id: str) -> List[str]:
    answers = harness.workload_answers(report(case_id))
    if answers is None:
        return ["the report has no `workloads` list"]
    problems = []
    for item in expected(case_id).get("workloads") or []:
        answer = answers.get(item["ref"])
        if answer is None:
            problems.append("no answer for %s" % item["ref"])
            continue
        if answer["next_pod"] != item["next_pod"]:
            problems.append("%s: next_pod %s, expected %s" % (item["ref"], answer["next_pod"], item["next_pod"]))
        if "root_cause" in item:
            wanted = item["root_cause"]
            first = (answer["blocked_by"] or [None])[0]
            allowed = wanted if isinstance(wanted, list) else [wanted]
            if first not in allowed:
                problems.append("%s: root cause %s, expected %s" % (item["ref"], first, " or ".join(map(str, allowed))))
    return problems


def test_the_corpus_has_every_case_with_readme_expectations_and_a_full_snapshot():
    assert len(CASES) == EXPECTED_CASES
    stale = sorted({case for (_test, case) in harness.KNOWN_GAPS} - set(CASES))
    assert stale == []
    for case in CASES:
        folder = harness.case_dir(case)
        assert os.path.isfile(os.path.join(folder, "README.md")), case
        exp = expected(case)
        assert set(exp) <= KEYS and exp["id"] == case, case
        assert exp["source"] and all(s.startswith("https://") for s in exp["source"]), case
        assert exp["mesh"] in ("istio", "linkerd") and isinstance(exp["healthy"], bool), case
        for item in (exp.get("must") or []) + (exp.get("must_not") or []):
            assert CODE.match(item["code"]), (case, item)
        for item in exp.get("workloads") or []:
            assert item["next_pod"] in OUTCOMES, (case, item)
        if not exp["healthy"]:
            assert exp.get("must"), case
        snapshot = os.path.join(folder, "snapshot")
        files = set(os.listdir(snapshot))
        # a removed API (PodSecurityPolicy) has a file only where the cluster served it
        assert {"%s.yaml" % r for r in RESOURCES if r not in OPTIONAL_RESOURCES} | {"version.json"} <= files, case
        for name in files:
            with open(os.path.join(snapshot, name)) as handle:
                assert "PRIVATE KEY" not in handle.read(), (case, name)
        assert secret_payloads_with_keys(snapshot) == [], case


def secret_payloads_with_keys(snapshot: str) -> List[str]:
    """Secret data is base64: decode every value, so a key cannot hide in encoded form."""
    with open(os.path.join(snapshot, "secrets.yaml")) as handle:
        items = yaml.safe_load(handle)["items"]
    return [
        "%s/%s %s" % (item["metadata"]["namespace"], item["metadata"]["name"], key)
        for item in items
        for key, value in (item.get("data") or {}).items()
        if b"PRIVATE KEY" in base64.b64decode(value)
    ]


def test_the_corpus_covers_both_meshes_every_platform_and_healthy_controls():
    exps = [expected(case) for case in CASES]
    assert sum(1 for e in exps if e["healthy"]) == HEALTHY_CONTROLS
    assert {e["mesh"] for e in exps} == {"istio", "linkerd"}
    assert {e["platform"] for e in exps} == {"eks", "gke", "aks", "openshift", "self-managed"}
    assert {e["platform"] for e in exps if e["healthy"]} == {"eks", "gke", "aks", "openshift", "self-managed"}


@pytest.mark.parametrize("case_id", with_gaps("codes"))
def test_case_codes(case_id):
    assert code_problems(case_id) == []


@pytest.mark.parametrize("case_id", with_gaps("workloads"))
def test_case_workloads(case_id):
    if not expected(case_id).get("workloads"):
        pytest.skip("the thread does not say what a pod created now gets")
    assert workload_problems(case_id) == []
