"""SI801-SI804: the diagnosis says what it could not see instead of guessing."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import RESOURCES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry
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
    snap = snapshot(*objects, read=read)
    snap["version"] = {"gitVersion": "v1.30.4", "major": "1", "minor": "30"}
    return snap


CLUSTER = {"kind": "", "namespace": "", "name": ""}


def assert_run_level(finding, namespaces=("istio-system",)):
    """Coverage findings are about the run: a manual plan of read-only and guidance steps, affecting
    the diagnosis of every namespace in the snapshot."""
    plan = finding.as_dict()["plan"]
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == ("manual", CLUSTER, "safe", [])
    assert not any(op.mutates for op in finding.plan.operations)
    assert [ref.text() for ref in finding.affects] == ["Namespace %s" % n for n in namespaces]


def codes(result):
    return [f.code for f in result["findings"] if f.code.startswith("SI8")]


def test_a_forbidden_kind_names_the_skipped_and_narrowed_checks_and_the_missing_permission():
    snap = istio_cluster(read=[k for k in ALL_KINDS if k != "secrets"])
    snap["gaps"] = [{"resource": "secrets", "reason": "forbidden", "message": FORBIDDEN}]
    result = diagnose(snap)
    [finding] = [f for f in result["findings"] if f.code == "SI801"]
    assert finding.severity == "warning"
    assert finding.message == (
        "the diagnosing identity may not get secrets, so these checks were skipped: SI405, SI406, SI407; "
        "these ran without it: SI404"
    )
    assert registry.skipped_without("secrets") == ["SI405", "SI406", "SI407"]
    assert registry.narrowed_without("secrets") == ["SI404"]
    assert finding.evidence == [{"object": "API server", "field": "403 Forbidden", "value": FORBIDDEN}]
    assert finding.rendered_steps() == [
        "kubectl auth can-i get secrets --all-namespaces",
        "# grant the diagnosing identity get (and list) on secrets, e.g. in a ClusterRole bound to it, then rerun",
    ]
    assert finding.as_dict()["plan"]["operations"][0]["args"] == ["auth", "can-i", "get", "secrets", "--all-namespaces"]
    assert_run_level(finding)
    assert [s["rule"] for s in result["skipped"]] == ["serving_certificate", "mesh_ca_expiring"]
    assert [n["rule"] for n in result["narrowed"]] == ["cabundle_mismatch"]
    assert codes(result) == ["SI801"]


def test_kinds_missing_from_an_offline_snapshot_are_one_info_finding():
    snap = istio_cluster(read=[k for k in ALL_KINDS if k not in ("events", "nodes")])
    snap["gaps"] = [
        {"resource": "events", "reason": "absent", "message": "no Event objects in the snapshot"},
        {"resource": "nodes", "reason": "absent", "message": "no Node objects in the snapshot"},
    ]
    result = diagnose(snap)
    [finding] = [f for f in result["findings"] if f.code == "SI803"]
    assert finding.severity == "info"
    skipped = sorted(set(registry.skipped_without("events")) | set(registry.skipped_without("nodes")))
    assert skipped == ["SI303", "SI305", "SI307", "SI505", "SI702"]
    assert finding.message.startswith(
        "the snapshot does not contain events, nodes, so these checks were skipped: %s; these ran without them: "
        % ", ".join(skipped)
    )
    assert "SI204" in finding.message.rsplit(": ", 1)[1].split(", ")  # timeouts seen in events
    # one file per kind, named after it, so an empty list still counts as read
    assert finding.rendered_steps() == [
        "kubectl get events -A -o yaml   # save as events.yaml in the snapshot directory",
        "kubectl get nodes -A -o yaml   # save as nodes.yaml in the snapshot directory",
        "# or gather live with meshops.sidecar_injection.injection_facts; then rerun",
    ]
    assert_run_level(finding)


def test_a_missing_library_skips_its_checks_with_a_warning_never_a_false_positive():
    snap = istio_cluster()
    snap["resources"]["mutatingwebhookconfigurations"][0]["webhooks"][0]["clientConfig"]["caBundle"] = "bm90LWEtcGVt"
    with_library = diagnose(snap)
    assert "SI401" in [f.code for f in with_library["findings"]]  # garbage caBundle, with cryptography
    without = diagnose(snap, capabilities=frozenset(["version"]))
    assert not [f for f in without["findings"] if f.code.startswith("SI4")]
    [finding] = [f for f in without["findings"] if f.code == "SI804"]
    assert finding.severity == "warning"
    assert finding.message == (
        "not available on the host running the diagnosis: the Python library cryptography (x509 parsing) is "
        "importable; so these checks were skipped: SI401, SI402, SI403, SI404, SI405, SI406, SI407"
    )
    assert registry.skipped_without("cryptography") == ["SI401", "SI402", "SI403", "SI404", "SI405", "SI406", "SI407"]
    assert finding.rendered_steps() == [
        "pip install -r requirements.txt   # on the host that runs the modules (the controller), or use the "
        "collection's execution environment"
    ]
    assert finding.as_dict()["plan"]["operations"][0]["op"] == "external"
    assert_run_level(finding)


def test_the_unknown_server_version_skips_the_version_checks():
    snap = istio_cluster()
    snap["version"] = None
    snap["gaps"] = [{"resource": "version", "reason": "absent", "message": "no server version in dump/"}]
    [finding] = [f for f in diagnose(snap)["findings"] if f.code == "SI803"]
    assert finding.message.startswith("the snapshot does not contain version, so these checks were skipped: SI701")
    assert finding.rendered_steps() == ["kubectl version -o json   # save as version.json in the snapshot directory"]
    assert_run_level(finding)


def test_no_mesh_is_reported_once_and_a_complete_mesh_snapshot_has_no_coverage_findings():
    bare = snapshot(namespace("default"), read=ALL_KINDS)
    bare["version"] = {"gitVersion": "v1.30.4", "major": "1", "minor": "30"}
    assert codes(diagnose(bare)) == ["SI802"]
    [no_mesh] = [f for f in diagnose(bare)["findings"] if f.code == "SI802"]
    assert no_mesh.rendered_steps() == [
        "# install Istio or Linkerd, or point the diagnosis at the cluster that runs the mesh"
    ]
    assert_run_level(no_mesh, namespaces=("default",))
    assert codes(diagnose(istio_cluster())) == []


def test_a_missing_input_no_gap_explains_is_still_reported():
    snap = istio_cluster(read=[k for k in ALL_KINDS if k != "nodes"])
    snap["version"] = None
    [finding] = [f for f in diagnose(snap)["findings"] if f.code == "SI803"]
    assert finding.message.startswith("the snapshot does not contain nodes, version, so these checks were skipped: ")
    assert finding.evidence[0]["value"] == [
        {"resource": "nodes", "reason": "absent", "message": "not in the snapshot"},
        {"resource": "version", "reason": "absent", "message": "not in the snapshot"},
    ]


def test_a_forbidden_server_version_is_checked_as_the_diagnosing_identity():
    snap = istio_cluster()
    snap["version"] = None
    snap["gaps"] = [{"resource": "version", "reason": "forbidden", "message": "forbidden: GET /version"}]
    [finding] = [f for f in diagnose(snap)["findings"] if f.code == "SI801"]
    assert finding.message.startswith("the diagnosing identity may not read the server version (GET /version), so ")
    assert finding.rendered_steps() == ["kubectl version -o json   # as the diagnosing identity"]
    assert_run_level(finding)


def test_a_live_read_that_kept_failing_is_a_warning_naming_the_skipped_checks():
    snap = istio_cluster(read=[k for k in ALL_KINDS if k != "secrets"])
    message = "GET /api/v1/namespaces/istio-system/secrets/istio-ca-secret: 503 ServiceUnavailable: etcd down"
    snap["gaps"] = [{"resource": "secrets", "reason": "error", "message": message}]
    result = diagnose(snap)
    [finding] = [f for f in result["findings"] if f.code == "SI805"]
    assert finding.severity == "warning"
    assert finding.message == (
        "reading secrets from the API server kept failing, so these checks were skipped: SI405, SI406, SI407; "
        "these ran without it: SI404"
    )
    assert finding.evidence == [{"object": "API server", "field": "error", "value": message}]
    assert finding.rendered_steps() == [
        "kubectl get --raw '/readyz?verbose'   # is the API server healthy",
        "# rerun when the API server answers again, or raise the retries, request_timeout or deadline options if it "
        "is only slow",
    ]
    assert_run_level(finding)
    assert codes(result) == ["SI805"]  # not the offline SI803 (info)


def test_a_kind_the_deadline_left_unread_says_so():
    snap = istio_cluster(read=[k for k in ALL_KINDS if k != "nodes"])
    snap["gaps"] = [{"resource": "nodes", "reason": "deadline", "message": "the deadline of 5s ran out"}]
    [finding] = [f for f in diagnose(snap)["findings"] if f.code == "SI805"]
    assert finding.message.startswith("the per-cluster deadline ran out before nodes could be read, so ")
    assert finding.evidence == [{"object": "API server", "field": "deadline", "value": "the deadline of 5s ran out"}]


def test_one_forbidden_secret_name_is_a_narrow_si801():
    snap = istio_cluster()
    message = (
        'secrets "cacerts" is forbidden: User "diag" cannot get resource "secrets" in the namespace "istio-system"'
    )
    snap["gaps"] = [
        {
            "resource": "secrets",
            "reason": "forbidden",
            "message": message,
            "namespace": "istio-system",
            "name": "cacerts",
        }
    ]
    result = diagnose(snap)
    [finding] = [f for f in result["findings"] if f.code == "SI801"]
    assert finding.severity == "warning"
    assert finding.message == (
        "the diagnosing identity may not get secrets istio-system/cacerts, so these checks ran without it: "
        "SI404, SI405, SI406, SI407"
    )
    assert finding.rendered_steps() == [
        "kubectl auth can-i get secrets/cacerts -n istio-system",
        "# grant the diagnosing identity get on secrets cacerts in namespace istio-system (a Role bound to it "
        "there), then rerun",
    ]
    assert result["skipped"] == []  # the kind was read: nothing skipped, the checks saw part of it


def test_a_control_plane_namespace_forbidden_for_one_kind_is_a_narrow_si801():
    snap = istio_cluster()
    snap["gaps"] = [
        {"resource": "configmaps", "reason": "forbidden", "message": "configmaps is forbidden", "namespace": "linkerd"}
    ]
    [finding] = [f for f in diagnose(snap)["findings"] if f.code == "SI801"]
    assert finding.message.startswith("the diagnosing identity may not list configmaps in namespace linkerd, so ")
    assert finding.rendered_steps()[0] == "kubectl auth can-i list configmaps -n linkerd"
