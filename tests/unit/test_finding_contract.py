"""The finding contract on the two example clusters: every finding names what it affects, every
actionable finding carries an executable plan whose rendered steps are what people see, and two
clusters diagnosed in one process give exactly what each gives alone (no per-run module state)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import kubectl
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import CATALOGUE
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import (
    DIAGNOSE_ARGUMENT_SPEC,
    run,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import offline

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
EXAMPLES = {
    # the inventory host vars of examples/inventory.yml
    "istio-broken": [{"name": "orders", "mesh": "istio"}],
    "linkerd-broken": [],
}


def example_path(name):
    path = os.path.join(ROOT, "examples", name)
    if not os.path.isdir(path):
        pytest.skip("examples/ is not in this copy")
    return path


def params(name):
    out = {option: spec.get("default") for option, spec in DIAGNOSE_ARGUMENT_SPEC.items()}
    out.update(src=example_path(name), desired_namespaces=EXAMPLES[name], return_verdicts="all", cluster_name=name)
    return out


@pytest.fixture(scope="module")
def findings():
    out = []
    for name, desired in EXAMPLES.items():
        result = diagnose(offline.load(example_path(name)), Options(desired_namespaces=desired))
        out.extend((name, f) for f in result["findings"])
    assert len(out) > 50  # both examples plant findings of every group (59 when this test was written)
    return out


def test_every_finding_says_what_it_affects(findings):
    missing = [(name, f.code, f.kind, f.namespace, f.name) for name, f in findings if not f.affects]
    assert missing == []
    for _name, finding in findings:
        for ref in finding.affects:
            assert ref.kind and ref.name, (finding.code, ref)
            assert ref.kind == "Namespace" or ref.namespace, (finding.code, ref)


def test_every_actionable_finding_has_an_executable_plan_rendered_into_its_steps(findings):
    actionable = [(name, f) for name, f in findings if CATALOGUE[f.code]["action"] != "manual"]
    # SI101-SI104, SI203, SI204, SI210, SI304, SI4xx; no SI604/SI605: every workload they named in the
    # examples is blocked upstream (SI304, SI305, SI301), where a restart does not help (rules/answers.py)
    assert len({f.code for _n, f in actionable}) >= 11
    for name, finding in actionable:
        plan = finding.plan
        assert plan is not None, (name, finding.code, finding.name)
        assert plan.action == finding.action and plan.executable, (name, finding.code)
        assert finding.as_dict()["remediation"]["steps"] == kubectl.render(plan)


def test_every_finding_has_a_plan_and_prints_only_what_it_renders(findings):
    """Every step a person sees comes from a plan (findings have no other way to carry steps)."""
    for name, finding in findings:
        assert finding.plan is not None, (name, finding.code)
        assert finding.rendered_steps() == kubectl.render(finding.plan)
    assert not hasattr(findings[0][1], "steps")


def _document(result):
    out = json.loads(json.dumps({k: result[k] for k in ("cluster", "summary", "findings", "verdicts")}))
    out["summary"].pop("duration_seconds", None)
    for cert in out["summary"].get("certificates") or []:
        cert.pop("seconds_left")  # measured from the moment of each run, like duration_seconds
    return out


def test_two_clusters_in_one_process_give_what_each_gives_alone():
    together = [_document(run(params(name))) for name in ("istio-broken", "linkerd-broken", "istio-broken")]
    assert together[0] == together[2]
    for index, name in enumerate(("istio-broken", "linkerd-broken")):
        code = (
            "import json, sys\n"
            "from ansible_collections.meshops.sidecar_injection.tests.unit import test_finding_contract as t\n"
            "json.dump(t._document(t.run(t.params(%r))), sys.stdout)\n" % name
        )
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        alone = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
        assert json.loads(alone.stdout) == together[index], name
