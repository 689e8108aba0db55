"""SI501 from PodSecurityPolicy and OpenShift SCC rejections, which name the injected init container
by index (`spec.initContainers[0]...`) rather than by name: recognised in meshed namespaces only."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import admission_errors as a
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import admission as r
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f

APP = {"name": "app", "image": "app:1"}
PSP = (
    'Error creating: pods "web-756c775dc4-4m99j" is forbidden: unable to validate against any pod security '
    'policy: [spec.initContainers[0].securityContext.capabilities.add: Invalid value: "NET_ADMIN": capability '
    "may not be added]"
)
SCC = (
    'Error creating: pods "details-v1-7fpkxjv66k-" is forbidden: unable to validate against any security context '
    'constraint: [provider "anyuid": Forbidden: not usable by user or serviceaccount, provider restricted-v2: '
    ".initContainers[0].runAsUser: Invalid value: 0: must be in the ranges: [1000680000, 1000689999]]"
)


def meshed(ns, labels, message, kind="ReplicaSet", name="web-756c775dc4"):
    return [
        f.namespace(ns, labels),
        f.deployment("web", ns, {"app": "web"}, [APP]),
        f.event(ns, kind, name, message, count=7),
    ]


def test_index_named_rejections_are_recognised():
    assert a.init_by_index_needs_mesh_privileges(a.classify_rejection(PSP)) is True
    assert a.init_by_index_needs_mesh_privileges(a.classify_rejection(SCC)) is True
    other = PSP.replace("initContainers[0]", "containers[0]")
    assert a.init_by_index_needs_mesh_privileges(a.classify_rejection(other)) is False


def test_psp_rejection_in_a_linkerd_namespace():
    objects = f.linkerd_cp() + meshed("emoji", {}, PSP)
    f.find(objects, "Namespace", "emoji")["metadata"]["annotations"] = {"linkerd.io/inject": "enabled"}
    [finding] = f.run(r.pod_security_blocks_init, objects)
    assert (finding.code, finding.kind, finding.name, finding.mesh) == ("SI501", "Namespace", "emoji", "linkerd")
    assert finding.message.startswith(
        'psp rejected 7 injected pod(s) in emoji because of the mesh containers: pods "web-756c775dc4-4m99j" is '
        "forbidden: unable to validate against any pod security policy"
    )
    assert finding.evidence[0]["object"] == "ReplicaSet emoji/web-756c775dc4"
    assert [op.op for op in finding.plan.operations][:2] == ["external", "external"]  # linkerd CNI
    assert ObjectRef("Deployment", "web", "emoji") in finding.affects and namespace_ref("emoji") in finding.affects


def test_scc_uid_zero_rejection_in_an_istio_namespace():
    objects = f.istio_cp() + meshed("bookinfo", {"istio-injection": "enabled"}, SCC)
    [finding] = f.run(r.pod_security_blocks_init, objects)
    assert (finding.code, finding.name, finding.mesh) == ("SI501", "bookinfo", "istio")
    assert finding.message.startswith("scc rejected 7 injected pod(s) in bookinfo")


def test_the_same_rejection_outside_a_meshed_namespace_is_not_the_mesh():
    assert f.run(r.pod_security_blocks_init, f.istio_cp() + meshed("tools", {}, PSP)) == []
