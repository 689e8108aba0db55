"""The injection_diagnose runner: source errors, severity floors, verdict modes and the report file."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import (
    DIAGNOSE_ARGUMENT_SPEC,
    DiagnoseError,
    run,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4))
ISTIO_EXAMPLE = os.path.join(ROOT, "examples", "istio-broken")


def params(**overrides):
    """Module parameters with the argument spec's defaults, as AnsibleModule would pass them."""
    out = {name: spec.get("default") for name, spec in DIAGNOSE_ARGUMENT_SPEC.items()}
    out.update(overrides)
    return out


@pytest.fixture(scope="module")
def example():
    if not os.path.isdir(ISTIO_EXAMPLE):
        pytest.skip("examples/istio-broken is not shipped in this copy")
    return run(params(src=ISTIO_EXAMPLE, cluster_name="demo", return_verdicts="all"))


def test_a_missing_snapshot_path_is_named_in_the_error(tmp_path):
    missing = str(tmp_path / "nope")
    with pytest.raises(DiagnoseError, match="nope"):
        run(params(src=missing))


def test_negative_numbers_are_rejected_with_the_option_name():
    with pytest.raises(DiagnoseError, match="cert_warning_days must be 0 or more, got -1"):
        run(params(src=ISTIO_EXAMPLE, cert_warning_days=-1))


def test_summary_counts_agree_with_the_findings(example):
    summary, findings = example["summary"], example["findings"]
    assert example["cluster"]["name"] == "demo"
    assert summary["severities"] == {
        sev: sum(1 for f in findings if f["severity"] == sev) for sev in ("error", "warning", "info")
    }
    assert summary["at_or_above"]["info"] == len(findings)
    assert summary["at_or_above"]["error"] == summary["severities"]["error"]
    assert sum(summary["codes"].values()) == len(findings)
    assert summary["kubernetes_version"] == "v1.31.4-eks-2d5f260"
    assert summary["platform"].startswith("eks")
    assert example["summary_lines"][0].startswith("cluster demo (offline, Kubernetes v1.31.4-eks-2d5f260, eks")


def test_min_severity_drops_lower_findings_only():
    errors = run(params(src=ISTIO_EXAMPLE, min_severity="error"))
    assert errors["findings"] and {f["severity"] for f in errors["findings"]} == {"error"}
    assert errors["summary"]["severities"]["warning"] == 0


def test_problem_verdicts_are_the_mismatches(example):
    everything = example["verdicts"]
    problems = run(params(src=ISTIO_EXAMPLE))["verdicts"]
    assert problems == [v for v in everything if v["injected"] is not None and v["should_inject"] != v["injected"]]
    assert problems and len(problems) < len(everything)
    assert run(params(src=ISTIO_EXAMPLE, return_verdicts="none"))["verdicts"] == []


def test_return_findings_false_leaves_them_to_the_report_file(example, tmp_path):
    path = tmp_path / "demo.json"
    lean = run(params(src=ISTIO_EXAMPLE, cluster_name="demo", report_path=str(path), return_findings=False))
    assert lean["findings"] == []
    assert lean["summary"]["severities"] == example["summary"]["severities"]
    assert sum(lean["summary"]["severities"].values()) == len(example["findings"]) > 0
    assert lean["summary_lines"] == example["summary_lines"]  # the human summary still lists the top ones
    assert [f["code"] for f in json.loads(path.read_text())["findings"]] == [f["code"] for f in example["findings"]]


def test_the_report_file_holds_everything_and_is_replaced_whole(tmp_path):
    path = tmp_path / "reports" / "demo.json"
    result = run(params(src=ISTIO_EXAMPLE, report_path=str(path), min_severity="warning"))
    document = json.loads(path.read_text())
    assert result["report_path"] == str(path)
    assert set(document) == {
        "schema",
        "cluster",
        "summary",
        "findings",
        "suppressed",
        "verdicts",
        "workloads",
        "provenance",
    }
    assert document["findings"] == result["findings"]
    assert document["workloads"] == result["workloads"]
    assert len(document["verdicts"]) > len(result["verdicts"])
    assert sorted(os.listdir(path.parent)) == ["demo.json"]  # no temp files left behind


def test_return_workloads_false_keeps_them_out_of_the_result_but_in_the_report(tmp_path):
    path = tmp_path / "demo.json"
    result = run(params(src=ISTIO_EXAMPLE, report_path=str(path), return_workloads=False))
    assert "workloads" not in result
    document = json.loads(path.read_text())
    assert len(document["workloads"]) == 25  # every workload of examples/istio-broken, control plane included


def test_an_unwritable_report_path_fails_with_the_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DiagnoseError, match="cannot write the report to %s" % (blocker / "r.json")):
        run(params(src=ISTIO_EXAMPLE, report_path=str(blocker / "r.json")))
