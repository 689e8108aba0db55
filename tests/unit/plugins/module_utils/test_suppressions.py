"""Suppressions (istioctl analyze --suppress style): the option's forms and errors, the annotation on
an object, and that suppressed findings are listed and counted but leave the severities (fail_on)."""

from __future__ import annotations

import os
import shutil

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import suppressions as s
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import (
    DIAGNOSE_ARGUMENT_SPEC,
    DiagnoseError,
    run,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4))
# a revision-only install: SI103 on namespaces proj1 and kubevirt (tests/cases, see its README)
CASE = os.path.join(ROOT, "tests", "cases", "istio-injection-enabled-revision-only-install", "snapshot")
# tests/cases is not shipped: ansible-test units, which runs on the built collection, skips these
needs_case = pytest.mark.skipif(not os.path.isdir(CASE), reason="tests/cases is not in the built collection")


def params(**overrides):
    out = {name: spec.get("default") for name, spec in DIAGNOSE_ARGUMENT_SPEC.items()}
    out.update(src=CASE, cluster_name="case")
    out.update(overrides)
    return out


def finding(code, kind="Deployment", namespace="shop", name="cart"):
    return Finding(code=code, kind=kind, namespace=namespace, name=name, message="m")


def test_the_option_forms():
    rules = s.parse(["SI604", "SI10*=namespace proj*", "SI2*=MutatingWebhookConfiguration istio-*", "SI501=Pod a/b"])
    assert [(r.code, r.kind, r.namespace, r.name) for r in rules] == [
        ("SI604", "", None, "*"),
        ("SI10*", "Namespace", None, "proj*"),  # the kind is matched without regard to case
        ("SI2*", "MutatingWebhookConfiguration", None, "istio-*"),
        ("SI501", "Pod", "a", "b"),
    ]
    assert rules[0].matches(finding("SI604")) and not rules[0].matches(finding("SI605"))
    assert rules[1].matches(finding("SI103", "Namespace", "", "proj1"))
    assert not rules[1].matches(finding("SI103", "Namespace", "", "kubevirt"))
    assert rules[2].matches(finding("SI209", "MutatingWebhookConfiguration", "", "istio-sidecar-injector"))
    assert rules[3].matches(finding("SI501", "Pod", "a", "b")) and not rules[3].matches(
        finding("SI501", "Pod", "c", "b")
    )
    # `CODE=Kind name` matches in any namespace
    assert s.parse(["SI604=Deployment cart"])[0].matches(finding("SI604"))


@pytest.mark.parametrize(
    "entries, message",
    [
        (["SI604", ""], "suppress[1]: expected a string CODE, CODE=Kind name or CODE=Kind namespace/name, got ''"),
        (["SI 604"], "suppress[0] 'SI 604': 'SI 604' is not a finding code or a glob over codes (e.g. SI604, SI10*)"),
        (
            ["SI604=Deployment"],
            "suppress[0] 'SI604=Deployment': after '=' expected 'Kind name' or 'Kind namespace/name' "
            "(e.g. SI604=Deployment shop/cart)",
        ),
        (["SI604=Gadget shop/cart"], "suppress[0] 'SI604=Gadget shop/cart': unknown kind 'Gadget' (one of "),
        (["SI604=Deployment /cart"], "suppress[0] 'SI604=Deployment /cart': '/cart' is not namespace/name"),
        ([7], "suppress[0]: expected a string CODE, CODE=Kind name or CODE=Kind namespace/name, got 7"),
    ],
)
def test_bad_entries_name_the_option_and_the_entry(entries, message):
    with pytest.raises(DiagnoseError) as err:
        run(params(suppress=entries))
    assert str(err.value).startswith(message)


@needs_case
def test_without_suppressions_both_namespaces_are_reported():
    result = run(params())
    assert sorted(f["name"] for f in result["findings"] if f["code"] == "SI103") == ["kubevirt", "proj1"]
    assert result["suppressed"] == [] and result["summary"]["suppressed"] == 0


@needs_case
def test_the_option_moves_findings_to_suppressed_and_out_of_the_severities():
    before = run(params())
    result = run(params(suppress=["SI103=Namespace proj1"]))
    assert [f["name"] for f in result["findings"] if f["code"] == "SI103"] == ["kubevirt"]
    [hidden] = result["suppressed"]
    assert (hidden["code"], hidden["kind"], hidden["name"]) == ("SI103", "Namespace", "proj1")
    assert hidden["suppressed_by"] == {"source": "option", "rule": "SI103=Namespace proj1"}
    assert result["summary"]["suppressed"] == 1
    # fail_on reads summary.severities: the suppressed error no longer counts
    assert result["summary"]["severities"]["error"] == before["summary"]["severities"]["error"] - 1
    assert result["summary"]["codes"]["SI103"] == 1
    assert result["summary_lines"][-1] == "suppressed: 1 finding(s) (SI103), listed in the report"


@needs_case
def test_a_glob_suppresses_every_matching_code():
    result = run(params(suppress=["SI10*"]))
    assert not [f for f in result["findings"] if f["code"].startswith("SI10")]
    assert {f["code"] for f in result["suppressed"]} >= {"SI101", "SI103"}
    assert result["summary"]["suppressed"] == len(result["suppressed"])


@needs_case
def test_the_annotation_on_the_object(tmp_path):
    folder = tmp_path / "snapshot"
    shutil.copytree(CASE, str(folder))
    path = folder / "namespaces.yaml"
    doc = yaml.safe_load(path.read_text())
    [kubevirt] = [n for n in doc["items"] if n["metadata"]["name"] == "kubevirt"]
    kubevirt["metadata"].setdefault("annotations", {})[s.ANNOTATION] = "SI604, SI10*"
    path.write_text(yaml.safe_dump(doc))
    result = run(params(src=str(folder)))
    assert [f["name"] for f in result["findings"] if f["code"] == "SI103"] == ["proj1"]
    [hidden] = [f for f in result["suppressed"] if f["code"] == "SI103"]
    assert hidden["suppressed_by"] == {
        "source": "annotation",
        "rule": "SI10*",
        "object": "Namespace kubevirt",
        "annotation": "sidecar-injection.meshops.io/suppress",
    }
    # only the annotated object's own findings are suppressed
    assert all(f["name"] == "kubevirt" and f["kind"] == "Namespace" for f in result["suppressed"])
