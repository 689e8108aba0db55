"""SI103 for istio-injection=enabled on a revision-only install (Helm `revision=1-22`, no default
revision and no default tag): nothing selects the namespace, so it is reported, never silenced."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import standard_istio_webhooks
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import selection as r
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f

APP = {"name": "app", "image": "app:1"}
WEB = ObjectRef("Deployment", "web", "shop")


def revision_only(ns_labels):
    raw = standard_istio_webhooks("1-22")
    raw["metadata"]["name"] = "istio-sidecar-injector-1-22"
    return [
        f.mwc(raw),
        f.namespace("shop", ns_labels),
        f.deployment("web", "shop", {"app": "web"}, [APP]),
    ]


def test_injection_enabled_on_a_revision_only_install():
    [finding] = f.run(r.revision_not_found, revision_only({"istio-injection": "enabled"}))
    assert (finding.code, finding.kind, finding.name, finding.severity) == ("SI103", "Namespace", "shop", "error")
    assert finding.message == (
        "namespace shop is labelled istio-injection=enabled, which asks for the default revision, but no Istio "
        "webhook serves it (no default revision or default tag; revisions served: 1-22): new pods get no sidecar "
        "(0 pods in the namespace)"
    )
    assert finding.evidence == [
        EV("Namespace shop", "metadata.labels.istio-injection", "enabled"),
        EV("MutatingWebhookConfigurations", "istio.io/rev values selected", "1-22"),
        EV(
            "MutatingWebhookConfigurations",
            "namespaceSelector matching namespace shop",
            "none of 2 Istio injector webhooks",
        ),
    ]
    assert [(op.op, op.key, op.value) for op in finding.plan.operations if op.op != "note"] == [
        ("remove_label", "istio-injection", None),
        ("set_label", "istio.io/rev", "1-22"),
    ]
    assert finding.plan.alternatives[0].operations[0].command == "istioctl tag set default --revision 1-22"
    assert finding.affects == [namespace_ref("shop"), WEB]  # namespace_scope: the namespace first


def test_no_si103_where_the_default_revision_or_a_revision_label_serves_it():
    default = f.istio_cp() + [f.namespace("shop", {"istio-injection": "enabled"})]
    assert f.run(r.revision_not_found, default) == []
    assert f.run(r.revision_not_found, revision_only({"istio.io/rev": "1-22"})) == []
    assert f.run(r.revision_not_found, revision_only({"istio-injection": "disabled"})) == []


def test_a_default_tag_serves_istio_injection_enabled():
    tag = standard_istio_webhooks("default")
    tag["metadata"]["name"] = "istio-revision-tag-default"
    objects = revision_only({"istio-injection": "enabled"}) + [f.mwc(tag)]
    assert f.run(r.revision_not_found, objects) == []
