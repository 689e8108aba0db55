"""istioctl x check-inject conformance: upstream's 11 Test_analyzeRunningWebhooks cases.

Same injected yes/no AND the same reason text per webhook configuration, in the same order.
"""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.istio import (
    check_inject,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import build_model
from ansible_collections.meshops.sidecar_injection.tests.unit.conformance.istio_cli import check_inject_summary
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    load_yaml_files,
    view,
)
from ansible_collections.meshops.sidecar_injection.tests.unit.shared_data import shared_path

pytestmark = pytest.mark.conformance


def _expected():
    folder = shared_path("conformance", "istio", "check-inject")
    with open(os.path.join(folder, "expected.yaml")) as handle:
        data = yaml.safe_load(handle)
    docs = load_yaml_files(*[os.path.join(folder, name) for name in data["webhook_files"]])
    return build_model(view(*docs)), data["cases"]


def _case_ids():
    try:
        return [c["name"] for c in _expected()[1]]
    except BaseException:
        return ["shared-data-absent"]


@pytest.mark.parametrize("name", _case_ids())
def test_check_inject_case(name):
    model, cases = _expected()
    case = next(c for c in cases if c["name"] == name)
    rows = check_inject(model.webhooks, case["pod_labels"], case["namespace_labels"])
    assert rows == case["expected"]


def test_all_eleven_cases_are_present_and_none_injects_twice():
    model, cases = _expected()
    assert len(cases) == 11
    for case in cases:
        rows = check_inject(model.webhooks, case["pod_labels"], case["namespace_labels"])
        assert check_inject_summary(rows) is None
