"""SI101-SI103, SI108, SI112 (rules/selection.py): one positive and one negative case each, with the exact
evidence. SI104-SI107 are in test_rules_selection_markers.py, SI109-SI111 in test_rules_selection_injectors.py."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry, selection
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    namespace,
    pod,
    snapshot,
    workload,
)

ISTIO = standard_istio_webhooks("default")
LINKERD = standard_linkerd_webhooks()
ISTIO_PROXY = [{"name": "app"}, {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3"}]
STATUS = {"sidecar.istio.io/status": '{"containers":["istio-proxy"],"revision":"default"}'}


def run(rule, *objects, desired=None, read=()):
    """The rule's own findings; a rule the engine skipped fails the test (a negative assertion must not
    pass just because the rule did not run)."""
    result = diagnose(snapshot(*objects, read=read), Options(desired_namespaces=desired or []), rules=[rule])
    assert result["skipped"] == [], result["skipped"]
    return [f.as_dict() for f in result["findings"] if f.code in rule.codes]


def test_registry_lists_every_selection_and_dataplane_code():
    codes = set(registry.codes())
    assert {"SI1%02d" % i for i in range(1, 13)} <= codes
    assert {"SI60%d" % i for i in range(1, 7)} <= codes


# SI101 ---------------------------------------------------------------------------------------


def test_si101_desired_namespace_without_label_is_a_warning_with_steps():
    findings = run(
        selection.namespace_not_enabled, ISTIO, namespace("shop"), desired=[{"name": "shop", "mesh": "istio"}]
    )
    [f] = findings
    assert (f["code"], f["severity"], f["kind"], f["name"], f["mesh"]) == (
        "SI101",
        "warning",
        "Namespace",
        "shop",
        "istio",
    )
    assert f["message"] == "namespace shop is declared to be meshed with Istio but carries no injection label"
    assert f["evidence"][0] == {"object": "Namespace shop", "field": "metadata.labels", "value": "<none>"}
    assert f["remediation"]["action"] == "label_namespace"
    assert f["remediation"]["steps"] == [
        "kubectl label namespace shop istio-injection=enabled --overwrite",
        "# pods that already run keep their old spec until they are re-created; once this is applied, restart the "
        "workloads a new diagnosis lists under SI604 (remediate_restart_workloads)",
        "# or with this collection: ansible-playbook meshops.sidecar_injection.remediate -i INVENTORY   "
        "# action label_namespace, risk safe",
    ]
    plan = f["plan"]
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == (
        "label_namespace",
        {"kind": "Namespace", "namespace": "", "name": "shop"},
        "safe",
        [],
    )
    assert plan["operations"][0] == {
        "op": "set_label",
        "target": {"kind": "Namespace", "namespace": "", "name": "shop"},
        "key": "istio-injection",
        "scope": "metadata",
        "value": "enabled",
        "expect": None,
        "expect_absent": True,
        "risk": "safe",
    }
    assert f["affects"] == [{"kind": "Namespace", "namespace": "", "name": "shop"}]
    assert f["docs"] == "docs/findings.md#si101"


def test_si101_desired_and_enabled_gives_nothing_and_unlabelled_gives_info():
    findings = run(
        selection.namespace_not_enabled,
        ISTIO,
        namespace("shop", {"istio-injection": "enabled"}),
        namespace("bar"),
        namespace("kube-system"),
        namespace("amb", {"istio.io/dataplane-mode": "ambient"}),
        desired=[{"name": "shop", "mesh": "istio"}],
    )
    assert [(f["name"], f["severity"]) for f in findings] == [("bar", "info")]


def test_si101_injected_pods_that_would_lose_their_proxy_give_a_warning():
    findings = run(
        selection.namespace_not_enabled,
        ISTIO,
        namespace("shop"),
        pod("web-1", "shop", annotations=STATUS, containers=ISTIO_PROXY),
    )
    [f] = findings
    assert (f["severity"], f["mesh"]) == ("warning", "istio")
    assert f["evidence"][1] == {
        "object": "Pod shop/web-1",
        "field": "proxy",
        "value": "carries istio-proxy, revision default, version 1.22.3 (image docker.io/istio/proxyv2:1.22.3)",
    }


def test_si101_linkerd_desired_revision_mismatch_and_linkerd_steps():
    findings = run(
        selection.namespace_not_enabled, LINKERD, namespace("emoji"), desired=[{"name": "emoji", "mesh": "linkerd"}]
    )
    assert (
        findings[0]["remediation"]["steps"][0]
        == "kubectl annotate namespace emoji linkerd.io/inject=enabled --overwrite"
    )
    istio_two = [ISTIO, standard_istio_webhooks("canary"), namespace("shop", {"istio.io/rev": "default"})]
    [f] = run(
        selection.namespace_not_enabled, *istio_two, desired=[{"name": "shop", "mesh": "istio", "revision": "canary"}]
    )
    assert f["message"] == "namespace shop is declared for Istio revision canary but its labels select default"
    assert f["remediation"]["steps"][0] == "kubectl label namespace shop istio.io/rev=canary --overwrite"


# SI102 / SI112 -------------------------------------------------------------------------------


def test_si102_and_si112():
    findings = run(
        selection.namespace_conflicting_labels,
        namespace("busted", {"istio-injection": "enabled", "istio.io/rev": "canary"}),
        namespace("amb", {"istio.io/rev": "x", "istio.io/dataplane-mode": "ambient"}),
        namespace("fine", {"istio-injection": "disabled", "istio.io/rev": "x"}),
    )
    assert [(f["code"], f["name"]) for f in findings] == [("SI102", "busted"), ("SI112", "amb")]
    assert findings[0]["evidence"] == [
        {
            "object": "Namespace busted",
            "field": "metadata.labels",
            "value": "istio-injection=enabled,istio.io/rev=canary",
        }
    ]
    assert findings[0]["remediation"]["steps"][0] == (
        "kubectl label namespace busted istio.io/rev-   # keep what injects today (istio-injection)"
    )
    assert findings[1]["remediation"]["steps"][0] == "kubectl label namespace amb istio.io/rev-   # to use ambient only"


# SI103 ---------------------------------------------------------------------------------------


def test_si103_stale_revision_on_namespace_and_template():
    objects = [
        ISTIO,
        standard_istio_webhooks("1-22"),
        namespace("old", {"istio.io/rev": "1-20"}),
        namespace("ok", {"istio.io/rev": "1-22"}),
        namespace("plain"),
        workload("Deployment", "web", "plain", tmpl_labels={"istio.io/rev": "1-19"}),
    ]
    findings = run(selection.revision_not_found, *objects)
    assert [(f["kind"], f["namespace"], f["name"]) for f in findings] == [
        ("Deployment", "plain", "web"),
        ("Namespace", "", "old"),
    ]
    findings.reverse()
    assert findings[0]["evidence"] == [
        {"object": "Namespace old", "field": "metadata.labels.istio.io/rev", "value": "1-20"},
        {"object": "MutatingWebhookConfigurations", "field": "istio.io/rev values selected", "value": "1-22, default"},
    ]
    assert findings[0]["remediation"]["steps"][0] == "kubectl label namespace old istio.io/rev=default --overwrite"
    assert findings[1]["remediation"]["steps"][:2] == [
        'kubectl patch deployment/web -n plain --type merge -p \'{"spec":{"template":{"metadata":{"labels":'
        '{"istio.io/rev":"default"}}}}}\'',
        "kubectl rollout status deployment/web -n plain   # the changed template rolls the pods",
    ]
    template = findings[1]["plan"]
    assert (template["risk"], template["opt_in"]) == ("disruptive", ["remediate_restart_workloads"])
    assert template["operations"][0]["expect"] == "1-19"
    assert findings[1]["affects"] == [
        {"kind": "Deployment", "namespace": "plain", "name": "web"},
        {"kind": "Namespace", "namespace": "", "name": "plain"},
    ]


def test_si103_skipped_when_webhooks_were_not_read():
    result = diagnose(snapshot(namespace("old", {"istio.io/rev": "1-20"})), rules=[selection.revision_not_found])
    assert result["skipped"][0]["missing"] == ["mutatingwebhookconfigurations"]
    assert [f.code for f in result["findings"] if not f.code.startswith("SI8")] == []
    [coverage] = [f for f in result["findings"] if f.code == "SI803"]  # the skip is reported, never silent
    assert "mutatingwebhookconfigurations" in coverage.message and "skipped: SI103" in coverage.message


# SI108 ---------------------------------------------------------------------------------------


def test_si108_excluded_namespaces_with_intent():
    objects = [
        ISTIO,
        LINKERD,
        namespace("kube-system", {"istio-injection": "enabled"}),
        namespace("cert-manager", annotations={"linkerd.io/inject": "enabled"}),
        namespace("quiet", {"config.linkerd.io/admission-webhooks": "disabled"}, {"linkerd.io/inject": "enabled"}),
        namespace("nointent", {"config.linkerd.io/admission-webhooks": "disabled"}),
    ]
    findings = run(selection.namespace_excluded, *objects)
    assert [(f["name"], f["mesh"]) for f in findings] == [
        ("cert-manager", "linkerd"),
        ("kube-system", "istio"),
        ("quiet", "linkerd"),
    ]
    assert findings[2]["remediation"]["steps"] == [
        "kubectl label namespace quiet config.linkerd.io/admission-webhooks-"
    ]
    assert findings[2]["evidence"][1] == {
        "object": "MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config",
        "field": "webhooks[0].namespaceSelector",
        "value": "config.linkerd.io/admission-webhooks notin (disabled),kubernetes.io/metadata.name notin "
        "(kube-system,cert-manager)",
    }


def test_si101_leaves_wrongly_placed_markers_to_si104_and_si105():
    objects = [
        LINKERD,
        namespace("billing", {"linkerd.io/inject": "enabled"}),
        namespace("plain"),
    ]
    assert [f["name"] for f in run(selection.namespace_not_enabled, *objects)] == ["plain"]
    istio = [ISTIO, namespace("shop", annotations={"sidecar.istio.io/inject": "true"}), namespace("plain")]
    assert [f["name"] for f in run(selection.namespace_not_enabled, *istio)] == ["plain"]
