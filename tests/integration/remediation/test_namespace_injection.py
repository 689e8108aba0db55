# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""namespace_injection's runner on the live Istio scenario: converge, idempotence, check mode, the
codes it resolves (verified by re-diagnosing), plans from findings, and the errors a user sees."""

from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import namespace_injection
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import run as diagnose_run
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import RemediationError

from .helpers import annotations_of, auth, istio_cluster, labels_of, namespace, store, writes

BROKEN = [
    namespace("both", {"istio-injection": "enabled", "istio.io/rev": "default", "team": "x"}),  # SI102
    namespace("gone", {"istio.io/rev": "1-19"}),  # SI103: no injector serves 1-19
    namespace("amb", {"istio-injection": "enabled", "istio.io/dataplane-mode": "ambient"}),  # SI112
    namespace("lk", {"linkerd.io/inject": "enabled"}),  # SI104: a label the proxy injector ignores
    namespace("team-a"),
    namespace("team-b", {"istio-injection": "disabled"}),
]
DESIRED = [
    {"name": "both"},
    {"name": "gone", "revision": "default"},
    {"name": "amb"},
    {"name": "lk", "mesh": "linkerd"},
    {"pattern": "team-*", "mesh": "istio"},
    {"pattern": "nothing-*"},
]


def params(sim, tmp_path, **extra):
    out = auth(sim)
    out.update(findings=[], backup_dir=str(tmp_path / "backup"), verify=True, field_manager="meshops-sidecar-injection",
               control_plane_namespaces=[], retries=0, desired_namespaces=DESIRED)  # fmt: skip
    out.update(extra)
    return out


def namespace_findings(sim, desired=()):
    report = diagnose_run(dict(auth(sim), src=None, manifests=[], namespaces=[], exclude_namespaces=[],
                               control_plane_namespaces=[], limit=500, retries=0, min_severity="info",
                               desired_namespaces=list(desired)))  # fmt: skip
    return report["findings"]


def test_converge_verify_and_second_run_changes_nothing(kubesim_factory, tmp_path):
    sim = istio_cluster(kubesim_factory, *BROKEN)
    declared = [{"name": n, "mesh": "istio"} for n in ("both", "amb", "team-a", "team-b")]
    declared += [{"name": "gone", "mesh": "istio", "revision": "default"}, {"name": "lk", "mesh": "linkerd"}]
    broken = {(f["code"], f["name"]) for f in namespace_findings(sim, declared) if f["kind"] == "Namespace"}
    result = namespace_injection.run(params(sim, tmp_path))

    assert result["changed"] is True
    assert [o["name"] for o in result["changed_objects"]] == ["amb", "both", "gone", "lk", "team-a", "team-b"]
    assert labels_of(sim, "both") == {"istio-injection": "enabled", "team": "x"}
    assert labels_of(sim, "gone") == {"istio.io/rev": "default"}
    assert labels_of(sim, "amb") == {"istio-injection": "enabled"}
    assert labels_of(sim, "lk") == {}
    assert annotations_of(sim, "lk") == {"linkerd.io/inject": "enabled"}
    assert labels_of(sim, "team-a") == {"istio-injection": "enabled"}
    assert labels_of(sim, "team-b") == {"istio-injection": "enabled"}
    assert result["unmatched"] == [{"index": 5, "pattern": "nothing-*"}]
    resolved = {(f["code"], f["object"]["name"]): f["gone"] for f in result["verification"]["findings"]}
    assert resolved == {
        ("SI112", "amb"): True,
        ("SI102", "both"): True,
        ("SI103", "gone"): True,
        ("SI101", "gone"): True,
        ("SI104", "lk"): True,
        ("SI101", "team-a"): True,
        ("SI108", "team-b"): True,
    }
    # Each was there before: the verification is not vacuous.
    assert set(resolved) <= broken
    assert result["verification"]["ok"] is True
    assert len(result["backups"]["files"]) == 6

    before = store(sim, ["v1/namespaces"])
    sim.clear_requests()
    again = namespace_injection.run(params(sim, tmp_path))
    assert again["changed"] is False
    assert {p["status"] for p in again["plan"]} == {"unchanged"}
    assert writes(sim) == []
    assert store(sim, ["v1/namespaces"]) == before


def test_check_mode_leaves_the_store_byte_identical(kubesim_factory, tmp_path):
    sim = istio_cluster(kubesim_factory, *BROKEN)
    before = store(sim, ["v1/namespaces"])
    result = namespace_injection.run(params(sim, tmp_path), check_mode=True)
    assert result["changed"] is True
    assert {p["status"] for p in result["plan"]} == {"would_change"}
    assert result["verification"] == {"objects": [], "findings": [], "ok": None}
    assert store(sim, ["v1/namespaces"]) == before
    assert writes(sim) == []
    assert not (tmp_path / "backup").exists()
    both = next(d for d in result["diff"] if d["before_header"] == "Namespace both")
    assert "istio.io/rev: default" in both["before"] and "istio.io/rev" not in both["after"]


def test_plans_of_the_diagnosis_are_executed(kubesim_factory, tmp_path):
    sim = istio_cluster(kubesim_factory, *BROKEN)
    chosen = [f for f in namespace_findings(sim) if f["code"] in ("SI102", "SI112") and f["name"] in ("both", "amb")]
    assert sorted((f["code"], f["name"]) for f in chosen) == [("SI102", "both"), ("SI112", "amb")]
    result = namespace_injection.run(params(sim, tmp_path, desired_namespaces=[], findings=chosen))
    assert [o["name"] for o in result["changed_objects"]] == ["both", "amb"]
    assert labels_of(sim, "both") == {"istio-injection": "enabled", "team": "x"}
    assert labels_of(sim, "amb") == {"istio.io/dataplane-mode": "ambient"}  # the plan's default: ambient only
    assert {(f["code"], f["object"]["name"], f["gone"]) for f in result["verification"]["findings"]} == {
        ("SI102", "both", True),
        ("SI112", "amb", True),
    }


@pytest.mark.parametrize(
    "desired, message",
    [
        ([{"name": "nope"}], "desired_namespaces[0] (nope): namespace nope does not exist"),
        (
            [{"name": "both", "revision": "canary"}],
            "desired_namespaces[0] (both): Istio revision or tag 'canary' is served by no injector webhook "
            "(served: default)",
        ),
        (
            [{"name": "lk", "mesh": "linkerd", "revision": "x"}],
            "desired_namespaces[0]: revision applies to Istio only (mesh is linkerd)",
        ),
        ([{"name": "both", "pattern": "b*"}], "desired_namespaces[0] needs exactly one of name or pattern"),
        (
            [{"pattern": "team-*"}, {"name": "team-a", "state": "disabled"}],
            "namespace team-a is declared twice with different states: desired_namespaces[0] (pattern team-*) and "
            "desired_namespaces[1] (team-a)",
        ),
        ([], "nothing to do: give desired_namespaces or findings with label_namespace plans"),
    ],
)
def test_bad_desired_state_fails_before_any_write(kubesim_factory, tmp_path, desired, message):
    sim = istio_cluster(kubesim_factory, *BROKEN)
    with pytest.raises(RemediationError) as caught:
        namespace_injection.run(params(sim, tmp_path, desired_namespaces=desired))
    assert str(caught.value) == message
    assert writes(sim) == []
