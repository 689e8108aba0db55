"""The control-plane findings (SI2xx-SI4xx, SI7xx) of both bundled examples: each carries a plan of
its catalogue action (executable when the action is not manual), `affects` names what it blocks, and
every rendered line is valid POSIX shell in which each kubectl command comes from an operation."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import entry
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import (
    DIAGNOSE_ARGUMENT_SPEC,
    run,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4))
GROUPS = ("SI2", "SI3", "SI4", "SI7")
# istio-broken keeps the webhook configuration of an old canary (1-20) that selects no namespace and no
# pod: its findings block nothing, and say so with an empty `affects`.
# The leftover 1-20 configuration decides no workload: its findings are about the control plane it calls.
LEFTOVER = {
    ("istio-broken", "SI202", "istio-sidecar-injector-1-20"),
    ("istio-broken", "SI210", "istio-sidecar-injector-1-20"),
    ("istio-broken", "SI402", "istio-sidecar-injector-1-20"),
    ("istio-broken", "SI404", "istio-sidecar-injector-1-20"),
}


def findings(example):
    path = os.path.join(ROOT, "examples", example)
    if not os.path.isdir(path):
        pytest.skip("examples/%s is not shipped in this copy" % example)
    params = {name: spec.get("default") for name, spec in DIAGNOSE_ARGUMENT_SPEC.items()}
    params.update(src=path, cluster_name=example)
    return [f for f in run(params)["findings"] if f["code"].startswith(GROUPS)]


@pytest.fixture(scope="module")
def both():
    return [(example, f) for example in ("istio-broken", "linkerd-broken") for f in findings(example)]


def test_the_examples_hold_the_expected_control_plane_findings(both):
    assert len(both) == 20
    assert sorted({f["code"] for _unused, f in both}) == [
        "SI202",
        "SI203",
        "SI204",
        "SI210",
        "SI301",
        "SI302",
        "SI303",
        "SI304",
        "SI305",
        "SI307",
        "SI402",
        "SI404",
        "SI406",
        "SI407",
        "SI701",
        "SI702",
    ]


def test_every_finding_has_a_plan_of_its_action(both):
    for _example, finding in both:
        plan, action = finding["plan"], entry(finding["code"])["action"]
        assert plan is not None, finding["code"]
        assert plan["action"] == action, (finding["code"], plan["action"])
        mutating = [op for op in plan["operations"] if op["op"] not in ("inspect", "external", "note")]
        if action != "manual":
            assert mutating, finding["code"]
            assert finding["remediation"]["steps"][-1].startswith("# or with this collection: ")


def test_affects_names_what_is_blocked(both):
    assert all(f["affects"] for _example, f in both)
    control_plane_only = {
        (example, f["code"], f["name"])
        for example, f in both
        if f["affects"] == [{"kind": "Namespace", "namespace": "", "name": "istio-system"}]
    }
    assert control_plane_only >= LEFTOVER
    for _example, finding in both:
        for ref in finding["affects"]:
            assert (ref["kind"] == "Namespace") == (ref["namespace"] == ""), ref  # workloads are namespaced


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_rendered_steps_are_shell_and_their_kubectl_comes_from_operations(both):
    lines = [line for _unused, f in both for line in f["remediation"]["steps"]]
    assert len(lines) > 100
    script = "\n".join(lines)
    result = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr
    for _example, finding in both:
        ops = finding["plan"]["operations"] + [
            op for alt in finding["plan"].get("alternatives", []) for op in alt["operations"]
        ]
        notes = [op["text"] for op in ops if op["op"] == "note"]
        commands = [op["command"] for op in ops if op["op"] == "external"]
        for text in notes + commands:
            assert "kubectl" not in text, (finding["code"], text)  # prose and other tools never spell kubectl
