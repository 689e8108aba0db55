"""Every report format validated: the per-host JSON of real diagnoses and of hand-made documents
with the per-workload answer against docs/schemas/, fleet.json against its schema, junit.xml
against the JUnit XSD, the SARIF of a pre-deployment check (manifests overlaid on a snapshot)
against SARIF 2.1.0, the Prometheus file through prometheus_client's parser. Nothing written in
check mode."""

from __future__ import annotations

import datetime
import json
import os
import textwrap

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import diagnose as diagnose_runner
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import report as report_runner
from tests.unit.plugins.module_utils.report_docs import PROD, STAGING

from . import validate

EXAMPLES = os.path.join(validate.REPO, "examples")
NOW = datetime.datetime(2026, 12, 2, 8, 0, 0, tzinfo=datetime.timezone.utc)
GONE = "Cannot connect to https://127.0.0.1:1: connection refused"

MANIFEST = textwrap.dedent(
    """\
    # helm template orders charts/new-api
    apiVersion: v1
    kind: Service
    metadata:
      name: new-api
      namespace: orders
    spec:
      selector: {app: new-api}
      ports: [{port: 80}]
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: new-api
      namespace: orders
      labels:
        sidecar.istio.io/inject: "true"
    spec:
      selector:
        matchLabels: {app: new-api}
      template:
        metadata:
          labels: {app: new-api}
        spec:
          containers: [{name: app, image: example/new-api:1}]
    """
)


def params(**extra):
    out = {k: v.get("default") for k, v in diagnose_runner.DIAGNOSE_ARGUMENT_SPEC.items()}
    out.update(extra)
    return out


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory):
    """Real diagnoses of the two example snapshots (the istio one with a rendered manifest overlaid)
    as the module returns them, each with its <host>.json written."""
    folder = tmp_path_factory.mktemp("reports")
    manifest = folder.parent / "rendered.yaml"
    manifest.write_text(MANIFEST)
    results = {
        "istio": diagnose_runner.run(
            params(
                src=os.path.join(EXAMPLES, "istio-broken"),
                cluster_name="istio",
                manifests=[str(manifest)],
                report_path=str(folder / "istio.json"),
            )
        ),
        "linkerd": diagnose_runner.run(
            params(
                src=os.path.join(EXAMPLES, "linkerd-broken"),
                cluster_name="linkerd",
                report_path=str(folder / "linkerd.json"),
            )
        ),
        "gone": {"failed": True, "msg": GONE},
    }
    return folder, results, str(manifest)


def test_real_and_hand_made_reports_match_the_published_schema(diagnosed):
    folder, _results, _manifest = diagnosed
    for name in ("istio.json", "linkerd.json"):
        assert validate.report_errors(json.loads((folder / name).read_text())) == [], name
    assert validate.report_errors(PROD) == [] and validate.report_errors(STAGING) == []
    broken = json.loads(json.dumps(PROD))
    broken["workloads"][0]["next_pod"]["outcome"] = "maybe"
    assert validate.report_errors(broken) == [
        "$.workloads[0].next_pod.outcome: 'maybe' is not one of "
        "['injected', 'admitted_without_sidecar', 'rejected', 'not_selected']"
    ]


def test_the_overlay_diagnoses_the_workloads_the_manifests_would_create(diagnosed):
    _folder, results, manifest = diagnosed
    summary = results["istio"]["summary"]
    assert summary["manifests"] == [
        {"file": manifest, "line": 2, "kind": "Service", "namespace": "orders", "name": "new-api"},
        {"file": manifest, "line": 11, "kind": "Deployment", "namespace": "orders", "name": "new-api"},
    ]
    si105 = [f for f in results["istio"]["findings"] if f["code"] == "SI105" and f["name"] == "new-api"]
    assert [(f["kind"], f["namespace"]) for f in si105] == [("Deployment", "orders")]


def test_every_format_of_a_run_validates(diagnosed):
    folder, results, manifest = diagnosed
    hosts = ["istio", "linkerd", "gone"]
    out = report_runner.run(
        {"report_dir": str(folder), "hosts": hosts, "results": results, "fail_on": "error", "formats": None, "top": 5},
        now=NOW,
    )
    assert sorted(os.listdir(folder)) == sorted(
        [
            "istio.json",
            "linkerd.json",
            "istio.md",
            "linkerd.md",
            "fleet.html",
            "fleet.json",
            "junit.xml",
            "sidecar_injection.prom",
            "sidecar_injection.sarif",
        ]
    )
    assert out["outcome"] == "not_diagnosed" and out["written"] is True
    fleet = json.loads((folder / "fleet.json").read_text())
    assert validate.fleet_errors(fleet) == [] and fleet == out["fleet"]
    assert [(c["name"], c["status"]) for c in fleet["clusters"]] == [
        ("istio", "gate_breached"),
        ("linkerd", "gate_breached"),
        ("gone", "not_diagnosed"),
    ]

    root = validate.junit((folder / "junit.xml").read_text())
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    istio_errors = {f["code"] for f in results["istio"]["findings"] if f["severity"] == "error"}
    failing_checks = [r.name for r in registry.RULES if istio_errors & set(r.codes)]
    failed = [c.get("name") for c in suites["istio"].findall("testcase") if c.find("failure") is not None]
    assert failed == failing_checks and len(failed) == int(suites["istio"].get("failures"))
    assert suites["gone"].find("testcase/error").get("message") == GONE

    log = validate.sarif(json.loads((folder / "sidecar_injection.sarif").read_text()))
    run = log["runs"][0]
    assert len(run["results"]) == len(results["istio"]["findings"])
    located = [r for r in run["results"] if "physicalLocation" in r["locations"][0]]
    assert {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in located} >= {
        ("SI105", 11)
    }
    assert all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file://" + manifest for r in located
    )
    assert log["runs"][2]["invocations"][0]["executionSuccessful"] is False

    families = validate.metrics((folder / "sidecar_injection.prom").read_text())
    prefix = "meshops_sidecar_injection_"
    assert sorted(families) == sorted(prefix + name for name in report_runner.prom_mod.METRICS)
    assert families[prefix + "cluster_diagnosed"] == [
        ({"cluster": "istio"}, 1.0),
        ({"cluster": "linkerd"}, 1.0),
        ({"cluster": "gone"}, 0.0),
    ]
    findings = {(s["cluster"], s["code"]): v for s, v in families[prefix + "findings"]}
    assert sum(v for (c, _code), v in findings.items() if c == "istio") == len(results["istio"]["findings"])
    certs = families[prefix + "certificate_expiry_seconds"]
    assert len(certs) == len(results["istio"]["summary"]["certificates"]) + len(
        results["linkerd"]["summary"]["certificates"]
    )
    assert min(v for _labels, v in certs) < 0  # the examples carry an expired caBundle root


def test_check_mode_writes_nothing_and_returns_everything(tmp_path):
    result = diagnose_runner.run(
        params(src=os.path.join(EXAMPLES, "istio-broken"), report_path=str(tmp_path / "x.json")), check_mode=True
    )
    assert "report_path" not in result and result["findings"] and result["summary"]["certificates"]
    out = report_runner.run(
        {
            "report_dir": str(tmp_path / "reports"),
            "hosts": ["x"],
            "results": {"x": result},
            "fail_on": "never",
            "formats": None,
            "top": 5,
        },
        check_mode=True,
    )
    assert os.listdir(tmp_path) == [] and out["written"] is False
    assert sorted(out["files"]) == ["fleet.html", "fleet.json", "junit.xml", "sidecar_injection.prom", "x.md"]
    assert out["fleet"]["clusters"][0]["findings"] == len(result["findings"])
