# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One source of truth for coverage: forbid each gathered kind in turn through the test API server's
policy and check that the module warning, SI801 and the report's skipped/narrowed lists name exactly
the checks the registry says need (or use) that kind."""

from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import (
    DIAGNOSE_ARGUMENT_SPEC,
    run,
)

from .conftest import example_files


def _params(sim):
    out = {name: spec.get("default") for name, spec in DIAGNOSE_ARGUMENT_SPEC.items()}
    out.update(kubeconfig=sim.kubeconfig_path, return_verdicts="none")
    return out


def _codes(entries, resource):
    return sorted({code for item in entries if resource in item["missing"] for code in item["codes"]})


@pytest.mark.parametrize("resource", list(snap.RESOURCES))
def test_a_forbidden_kind_is_named_alike_by_the_warning_si801_and_the_skipped_list(sim, resource):
    sim.seed(*example_files("istio-broken"))
    verb = "get" if resource == "secrets" else "list"
    sim.add_rule(action="forbid", verbs=[verb], apiGroups=[snap.RESOURCES[resource].group], resources=[resource])
    warnings = []
    result = run(_params(sim), warn=warnings.append)

    skipped, narrowed = registry.skipped_without(resource), registry.narrowed_without(resource)
    assert skipped or narrowed, "no check reads %s: it should not be gathered" % resource
    # the module warning
    [warning] = warnings
    assert warning.startswith("could not read %s (forbidden): " % resource)
    assert warning.split("; checks skipped: ", 1)[1].split("; ")[0] == (", ".join(skipped) or "none")
    if narrowed:
        assert warning.endswith("; checks run without it: %s" % ", ".join(narrowed))
    # SI801
    [finding] = [f for f in result["findings"] if f["code"] == "SI801"]
    assert finding["severity"] == "warning"
    expected = "these checks were skipped: %s" % (", ".join(skipped) or "none")
    if narrowed:
        expected += "; these ran without it: %s" % ", ".join(narrowed)
    assert finding["message"].endswith(", so " + expected)
    # the report's lists
    checks = result["summary"]["checks"]
    assert _codes(checks["skipped"], resource) == skipped
    assert sorted(set(_codes(checks["narrowed"], resource)) - set(skipped)) == narrowed
    [gap] = result["summary"]["gaps"]
    assert (gap["resource"], gap["checks"], gap["narrowed"]) == (resource, skipped, narrowed)


def test_a_forbidden_server_version_skips_exactly_the_checks_that_require_it(sim):
    sim.seed(*example_files("istio-broken"))
    sim.add_rule(action="forbid", paths=["/version"])
    warnings = []
    result = run(_params(sim), warn=warnings.append)
    assert registry.skipped_without("version") == ["SI701"]
    assert [w.split(": ", 1)[0] for w in warnings] == ["could not read version (forbidden)"]
    assert warnings[0].split("; checks skipped: ", 1)[1].startswith("SI701")
    [finding] = [f for f in result["findings"] if f["code"] == "SI801"]
    assert finding["message"].startswith("the diagnosing identity may not read the server version (GET /version), so ")
    assert "skipped: SI701" in finding["message"]
    assert _codes(result["summary"]["checks"]["skipped"], "version") == ["SI701"]
