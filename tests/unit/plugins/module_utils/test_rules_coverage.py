"""SI801/SI802/SI803: the diagnosis says what it could not see instead of guessing."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import RESOURCES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    hook,
    istiod,
    mwc,
    namespace,
    snapshot,
)

ALL_KINDS = tuple(RESOURCES)
FORBIDDEN = (
    'secrets "istio-ca-secret" is forbidden: User "system:serviceaccount:ops:diag" cannot get resource "secrets" '
    'in API group "" in the namespace "istio-system"'
)


def istio_cluster(read=ALL_KINDS):
    objects = [
        namespace("istio-system"),
        istiod(),
        mwc("istio-sidecar-injector", [hook("namespace.sidecar-injector.istio.io")]),
    ]
    return snapshot(*objects, read=read)


def codes(result):
    return [f.code for f in result["findings"] if f.code.startswith("SI8")]


def test_a_forbidden_kind_names_the_skipped_checks_and_the_missing_permission():
    snap = istio_cluster(read=[k for k in ALL_KINDS if k != "secrets"])
    snap["gaps"] = [
        {
            "resource": "secrets",
            "reason": "forbidden",
            "message": FORBIDDEN,
            "checks": ["SI404", "SI405", "SI406", "SI407"],
        }
    ]
    result = diagnose(snap)
    [finding] = [f for f in result["findings"] if f.code == "SI801"]
    assert finding.severity == "warning"
    assert finding.message == (
        "the diagnosing identity may not get secrets, so these checks were skipped: SI405, SI406, SI407"
    )
    assert finding.evidence == [{"object": "API server", "field": "403 Forbidden", "value": FORBIDDEN}]
    assert finding.steps[0] == "kubectl auth can-i get secrets --all-namespaces"
    assert codes(result) == ["SI801"]


def test_kinds_missing_from_an_offline_snapshot_are_one_info_finding():
    snap = istio_cluster(read=[k for k in ALL_KINDS if k not in ("events", "nodes")])
    snap["gaps"] = [
        {"resource": "events", "reason": "absent", "message": "no Event objects in the snapshot", "checks": []},
        {"resource": "nodes", "reason": "absent", "message": "no Node objects in the snapshot", "checks": []},
    ]
    result = diagnose(snap)
    [finding] = [f for f in result["findings"] if f.code == "SI803"]
    assert finding.severity == "info"
    assert finding.message.startswith("the snapshot does not contain events, nodes, so these checks were skipped: ")
    skipped = finding.message.split(": ", 1)[1].split(", ")
    assert {"SI303", "SI307", "SI305", "SI702"} <= set(skipped)
    assert "events,nodes" in finding.steps[0]


def test_no_mesh_is_reported_once_and_a_complete_mesh_snapshot_has_no_coverage_findings():
    bare = snapshot(namespace("default"), read=ALL_KINDS)
    assert codes(diagnose(bare)) == ["SI802"]
    assert codes(diagnose(istio_cluster())) == []
