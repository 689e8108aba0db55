"""SI501 from PodSecurityPolicy objects: only when no policy in the cluster admits the mesh init
container (NET_ADMIN, NET_RAW, UID 0), since application-namespace RoleBindings are not read."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import podsecuritypolicy as r
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f

APP = {"name": "app", "image": "app:1"}


def psp(name, caps=None, run_as=None, drop=None):
    spec = {"runAsUser": run_as or {"rule": "RunAsAny"}}
    if caps is not None:
        spec["allowedCapabilities"] = caps
    if drop is not None:
        spec["requiredDropCapabilities"] = drop
    return {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": name}, "spec": spec}


def linkerd_app(*policies):
    return (
        f.linkerd_cp()
        + [
            f.namespace("emoji", annotations={"linkerd.io/inject": "enabled"}),
            f.deployment("voting", "emoji", {"app": "voting"}, [APP]),
        ]
        + list(policies)
    )


def test_refusals():
    assert r.refusal(psp("mesh", ["NET_ADMIN", "NET_RAW"], drop=["ALL"])) == ""  # Linkerd's own chart policy
    assert r.refusal(psp("any", ["*"])) == ""
    assert (
        r.refusal(psp("root", ["NET_ADMIN", "NET_RAW"], {"rule": "MustRunAs", "ranges": [{"min": 0, "max": 0}]})) == ""
    )
    assert r.refusal(psp("half", ["NET_ADMIN"])) == "allowedCapabilities lacks NET_RAW"
    assert r.refusal(psp("none")) == "allowedCapabilities lacks NET_ADMIN, NET_RAW"
    assert (
        r.refusal(psp("drop", ["NET_ADMIN", "NET_RAW"], drop=["NET_RAW"])) == "requiredDropCapabilities drops NET_RAW"
    )
    assert r.refusal(psp("nonroot", ["*"], {"rule": "MustRunAsNonRoot"})) == (
        "runAsUser MustRunAsNonRoot (the init container runs as UID 0)"
    )
    assert r.refusal(psp("range", ["*"], {"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]})) == (
        "runAsUser MustRunAs 1000-2000 excludes UID 0"
    )


def test_no_policy_admits_the_init_container():
    objects = linkerd_app(
        psp("restricted", run_as={"rule": "MustRunAsNonRoot"}, drop=["ALL"]), psp("half", ["NET_ADMIN"])
    )
    [finding] = f.run(r.psp_refuses_init, objects)
    assert (finding.code, finding.kind, finding.name, finding.mesh, finding.severity) == (
        "SI501",
        "Namespace",
        "emoji",
        "linkerd",
        "error",
    )
    assert finding.message == (
        "no PodSecurityPolicy in the cluster admits the linkerd-init init container the Linkerd injector adds "
        "(capabilities NET_ADMIN, NET_RAW, UID 0): injected pods in emoji are rejected with unable to validate "
        "against any pod security policy"
    )
    assert finding.evidence == [
        EV("PodSecurityPolicy restricted", "spec", "allowedCapabilities lacks NET_ADMIN, NET_RAW"),
        EV("PodSecurityPolicy half", "spec", "allowedCapabilities lacks NET_RAW"),
    ]
    assert finding.affects == [namespace_ref("emoji"), ObjectRef("Deployment", "voting", "emoji")]
    assert [op.op for op in finding.plan.operations] == ["external", "note", "note"]


def test_a_policy_that_admits_it_or_no_policy_at_all_is_no_finding():
    assert f.run(r.psp_refuses_init, linkerd_app(psp("restricted"), psp("mesh", ["NET_ADMIN", "NET_RAW"]))) == []
    assert f.run(r.psp_refuses_init, linkerd_app(), read=f.ALL_READ + ("podsecuritypolicies",)) == []
