"""SI1xx rules: one positive and one negative case each, with the exact evidence."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry, selection
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import selection_injectors as injectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import selection_markers as markers
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    istio_injector_cm,
    istiod,
    mwc,
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


# SI104 ---------------------------------------------------------------------------------------


def test_si104_wrong_metadata_types():
    objects = [
        ISTIO,
        LINKERD,
        namespace("a", {"linkerd.io/inject": "enabled"}),
        namespace("b", annotations={"config.linkerd.io/admission-webhooks": "disabled"}),
        namespace("c"),
        workload("Deployment", "web", "c", tmpl_annotations={"sidecar.istio.io/inject": "true"}),
        workload("Deployment", "api", "c", tmpl_labels={"config.linkerd.io/proxy-cpu-request": "100m"}),
        workload("Deployment", "ok", "c", tmpl_labels={"sidecar.istio.io/inject": "true"}),
    ]
    findings = run(markers.inject_marker_wrong_type, *objects)
    assert [(f["kind"], f["name"], f["mesh"]) for f in findings] == [
        ("Deployment", "api", "linkerd"),
        ("Deployment", "web", "istio"),
        ("Namespace", "a", "linkerd"),
        ("Namespace", "b", "linkerd"),
    ]
    web = findings[1]
    assert web["evidence"][0] == {
        "object": "Deployment c/web",
        "field": "spec.template.metadata.annotations.sidecar.istio.io/inject",
        "value": "true",
    }
    assert findings[2]["remediation"]["steps"][:2] == [
        "kubectl annotate namespace a linkerd.io/inject=enabled --overwrite",
        "kubectl label namespace a linkerd.io/inject-",
    ]


# SI105 ---------------------------------------------------------------------------------------


def test_si105_marker_on_the_controller_or_namespace():
    objects = [
        ISTIO,
        namespace("shop", annotations={"sidecar.istio.io/inject": "true"}),
        workload("Deployment", "web", "shop", annotations={"sidecar.istio.io/inject": "false"}),
        workload("Deployment", "same", "shop", labels={"istio.io/rev": "x"}, tmpl_labels={"istio.io/rev": "x"}),
        workload("CronJob", "job", "shop", tmpl_labels={"istio-injection": "enabled"}),
    ]
    findings = run(markers.inject_marker_wrong_object, *objects)
    assert [(f["kind"], f["name"]) for f in findings] == [
        ("CronJob", "job"),
        ("Deployment", "web"),
        ("Namespace", "shop"),
    ]
    assert findings[1]["evidence"] == [
        {"object": "Deployment shop/web", "field": "metadata.annotations.sidecar.istio.io/inject", "value": "false"},
        {"object": "Deployment shop/web", "field": "spec.template.metadata.labels", "value": "<none>"},
    ]
    assert findings[2]["message"].startswith("Misplaced annotation: sidecar.istio.io/inject can only be applied to Pod")
    assert findings[0]["evidence"][0]["field"] == "spec.jobTemplate.spec.template.metadata.labels.istio-injection"


# SI106 ---------------------------------------------------------------------------------------


def test_si106_invalid_values_with_their_effect():
    objects = [
        ISTIO,
        LINKERD,
        namespace("on", {"istio-injection": "enabled"}),
        namespace("typo", {"istio-injection": "true"}),
        namespace("lk", annotations={"linkerd.io/inject": "Enabled"}),
        workload("Deployment", "web", "on", tmpl_labels={"sidecar.istio.io/inject": "False"}),
        workload("Deployment", "ok", "on", tmpl_labels={"sidecar.istio.io/inject": "false"}),
    ]
    findings = run(markers.inject_marker_invalid_value, *objects)
    assert [(f["kind"], f["name"]) for f in findings] == [
        ("Deployment", "web"),
        ("Namespace", "lk"),
        ("Namespace", "typo"),
    ]
    assert findings[0]["message"] == (
        "deployment/web in namespace on has sidecar.istio.io/inject=False: Istio accepts exactly true or false, "
        "ignores this value and falls back to the default, so it is still injected"
    )
    assert findings[0]["remediation"]["steps"][0].startswith("kubectl patch deployment/web -n on --type merge")
    assert '"sidecar.istio.io/inject": "false"' in findings[0]["remediation"]["steps"][0]


# SI107 ---------------------------------------------------------------------------------------


def test_si107_opt_out_in_enabled_namespace_only():
    objects = [
        ISTIO,
        namespace("on", {"istio-injection": "enabled"}),
        namespace("off"),
        workload("Deployment", "batch", "on", tmpl_labels={"sidecar.istio.io/inject": "false"}),
        workload("Deployment", "other", "off", tmpl_labels={"sidecar.istio.io/inject": "false"}),
    ]
    [f] = run(markers.pod_opted_out, *objects)
    assert (f["code"], f["severity"], f["name"]) == ("SI107", "info", "batch")
    assert f["evidence"][0] == {
        "object": "Deployment on/batch",
        "field": "spec.template.metadata.labels.sidecar.istio.io/inject",
        "value": "false",
    }


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


# SI109 ---------------------------------------------------------------------------------------


def test_si109_host_network_only_when_a_webhook_is_called():
    objects = [
        ISTIO,
        namespace("on", {"istio-injection": "enabled"}),
        namespace("off"),
        workload("DaemonSet", "exporter", "on", hostNetwork=True),
        workload("DaemonSet", "other", "off", hostNetwork=True),
    ]
    [f] = run(injectors.hostnetwork_not_injected, *objects)
    assert (f["name"], f["severity"]) == ("exporter", "info")
    assert f["evidence"] == [
        {"object": "DaemonSet on/exporter", "field": "spec.template.spec.hostNetwork", "value": True}
    ]


# SI110 ---------------------------------------------------------------------------------------


def test_si110_invalid_policy_disabled_policy_and_never_selector():
    objects = [
        ISTIO,
        istio_injector_cm(policy="Enabled", never=[{"matchLabels": {"app": "legacy"}}]),
        namespace("on", {"istio-injection": "enabled"}),
        workload("Deployment", "web", "on"),
    ]
    [f] = run(injectors.injector_policy_excludes, *objects)
    assert (f["kind"], f["namespace"], f["name"], f["severity"]) == (
        "ConfigMap",
        "istio-system",
        "istio-sidecar-injector",
        "error",
    )
    assert f["evidence"][0] == {
        "object": "ConfigMap istio-system/istio-sidecar-injector",
        "field": "data.config policy",
        "value": "Enabled",
    }
    never = [
        ISTIO,
        istio_injector_cm(never=[{"matchLabels": {"app": "legacy"}}]),
        namespace("on", {"istio-injection": "enabled"}),
        workload("Deployment", "old", "on", tmpl_labels={"app": "legacy"}),
        workload("Deployment", "new", "on"),
    ]
    [g] = run(injectors.injector_policy_excludes, *never)
    assert (g["kind"], g["name"], g["severity"]) == ("Deployment", "old", "warning")
    assert g["message"] == (
        "deployment/old in namespace on is not injected: pod labels match neverInjectSelector "
        "app=legacy of istio-sidecar-injector"
    )
    disabled = [ISTIO, istio_injector_cm(policy="disabled"), namespace("on", {"istio-injection": "enabled"})]
    assert run(injectors.injector_policy_excludes, *disabled) == []  # nothing relies on it


# SI111 ---------------------------------------------------------------------------------------


def test_si111_overlapping_configurations_and_cross_mesh_workloads():
    overlap = [
        mwc(
            "a",
            [
                {
                    "name": "a.sidecar-injector.istio.io",
                    "namespaceSelector": {"matchLabels": {"istio-injection": "enabled"}},
                }
            ],
        ),
        mwc(
            "b",
            [
                {
                    "name": "b.sidecar-injector.istio.io",
                    "namespaceSelector": {"matchLabels": {"istio-injection": "enabled"}},
                }
            ],
        ),
    ]
    findings = run(injectors.multiple_injectors, *overlap)
    assert [f["message"] for f in findings] == [
        "Webhook overlaps with others: [b/b.sidecar-injector.istio.io]. This may cause injection to occur twice.",
        "Webhook overlaps with others: [a/a.sidecar-injector.istio.io]. This may cause injection to occur twice.",
    ]
    assert findings[0]["evidence"][0]["value"] == (
        "namespace labels {istio-injection=enabled} + pod labels {<none>} select it and b/b.sidecar-injector.istio.io"
    )
    both = [
        ISTIO,
        LINKERD,
        namespace("both", {"istio-injection": "enabled"}, {"linkerd.io/inject": "enabled"}),
        workload("Deployment", "web", "both"),
    ]
    [f] = run(injectors.multiple_injectors, *both)
    assert (f["kind"], f["name"], f["mesh"]) == ("Namespace", "both", "any")
    assert f["evidence"][0]["value"] == [
        "istio-sidecar-injector/namespace.sidecar-injector.istio.io",
        "linkerd-proxy-injector-webhook-config/linkerd-proxy-injector.linkerd.io",
    ]
    assert run(injectors.multiple_injectors, ISTIO, istiod(), namespace("n", {"istio-injection": "enabled"})) == []


def test_si101_leaves_wrongly_placed_markers_to_si104_and_si105():
    objects = [
        LINKERD,
        namespace("billing", {"linkerd.io/inject": "enabled"}),
        namespace("plain"),
    ]
    assert [f["name"] for f in run(selection.namespace_not_enabled, *objects)] == ["plain"]
    istio = [ISTIO, namespace("shop", annotations={"sidecar.istio.io/inject": "true"}), namespace("plain")]
    assert [f["name"] for f in run(selection.namespace_not_enabled, *istio)] == ["plain"]
