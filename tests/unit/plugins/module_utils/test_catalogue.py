"""The catalogue is the project's copy of the finding contract in ../shared/spec/findings.yaml."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import (
    ACTIONS,
    CATALOGUE,
    GROUPS,
    SEVERITIES,
    entry,
    severity_rank,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import (
    Finding,
    at_least,
    ordered,
)
from ansible_collections.meshops.sidecar_injection.tests.unit.shared_data import shared_path


def test_every_entry_is_well_formed():
    for code, spec in CATALOGUE.items():
        assert code[:2] == "SI" and len(code) == 5, code
        assert spec["severity"] in SEVERITIES, code
        assert spec["action"] in ACTIONS, code
        assert spec["group"] in GROUPS, code
        assert spec["mesh"] in ("any", "istio", "linkerd"), code
        assert spec["when"].strip(), code


def test_catalogue_matches_the_shared_spec():
    with open(shared_path("spec", "findings.yaml")) as handle:
        spec = yaml.safe_load(handle)["codes"]
    added = sorted(set(CATALOGUE) - set(spec))
    assert not set(spec) - set(CATALOGUE)  # every code of the contract is covered
    # Codes beyond the shared contract are marked and come after the contract's codes of their group.
    assert added == sorted(code for code, item in CATALOGUE.items() if item.get("origin") == "project")
    assert added == ["SI309", "SI804", "SI805"]
    for code in added:
        group = CATALOGUE[code]["group"]
        assert code > max(c for c in spec if CATALOGUE[c]["group"] == group), code
    for code, want in spec.items():
        have = CATALOGUE[code]
        assert {k: have[k] for k in ("slug", "severity", "mesh", "action")} == {
            k: want[k] for k in ("slug", "severity", "mesh", "action")
        }, code
        assert " ".join(have["when"].split()) == " ".join(want["when"].split()), code


def test_unknown_codes_and_severities_are_named_in_the_error():
    with pytest.raises(KeyError, match="SI999"):
        entry("SI999")
    with pytest.raises(ValueError, match="'fatal'"):
        severity_rank("fatal")
    with pytest.raises(KeyError, match="SI000"):
        Finding(code="SI000", message="x")


def test_findings_default_to_catalogue_values_and_sort_worst_first():
    info = Finding(code="SI101", message="ns a", kind="Namespace", name="a", severity="info")
    err = Finding(code="SI103", message="rev gone", kind="Namespace", name="b")
    warn = Finding(code="SI101", message="ns c", kind="Namespace", name="c")
    assert (err.severity, err.action, err.mesh) == ("error", "label_namespace", "istio")
    assert [f.name for f in ordered([info, warn, err, warn])] == ["b", "c", "a"]
    assert [f.name for f in at_least([info, warn, err], "warning")] == ["c", "b"]
    assert warn.as_dict()["remediation"] == {"action": "label_namespace", "steps": []}
    assert warn.as_dict()["slug"] == "namespace-not-enabled"


def test_every_code_has_an_implementation_and_every_implementation_a_code():
    """docs/findings.md's "Implemented by" lines come from here; every code has one (the probe's SI308
    and SI309 come from rules/probe_outcomes.py, run by injection_probe)."""
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry

    implemented = registry.implementations()
    assert set(implemented) <= set(CATALOGUE)
    assert sorted(set(CATALOGUE) - set(implemented)) == []
    assert implemented["SI308"] == ["rules/probe_outcomes.py:probe_not_injected"]
    assert implemented["SI309"] == ["rules/probe_outcomes.py:probe_disagrees_with_model"]
    assert implemented["SI404"] == ["rules/certificates.py:cabundle_mismatch"]


def test_every_code_has_its_place_on_the_path_of_a_pod_created_now():
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import (
        BLOCKS,
        BLOCKS_FROM,
        PATH,
        PATH_RANK,
        STAGES,
    )

    codes = [code for code, _stage, _blocks in PATH]
    assert len(codes) == len(set(codes)) == len(PATH_RANK)
    for code, spec in CATALOGUE.items():
        assert spec["stage"] in STAGES + ("",), code
        assert spec["blocks"] in BLOCKS, code
        assert bool(spec["stage"]) == (code in PATH_RANK), code
    # path order: stages never go back, so the first blocking code is the earliest cause
    ranks = [STAGES.index(stage) for _code, stage, _blocks in PATH]
    assert ranks == sorted(ranks)
    # the restart advice, the probe, the platform facts and coverage are on no stage: a new code is
    # placed in PATH (or added here) on purpose
    off_path = sorted(c for c, s in CATALOGUE.items() if not s["stage"])
    assert off_path == ["SI308", "SI309", "SI604", "SI605", "SI701", "SI801", "SI802", "SI803", "SI804", "SI805"]
    assert {CATALOGUE[c]["blocks"] for c in ("SI404", "SI301", "SI304", "SI305")} == {"failure_policy"}
    assert {CATALOGUE[c]["blocks"] for c in ("SI501", "SI502", "SI503", "SI505", "SI307")} == {"rejected"}
    assert set(BLOCKS_FROM) <= set(PATH_RANK)
