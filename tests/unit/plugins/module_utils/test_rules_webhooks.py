from __future__ import annotations

import copy

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import NEVER_MATCH
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import webhooks as r
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f

MWC = "MutatingWebhookConfiguration istio-sidecar-injector"
L_MWC = "MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config"


def without(objects, kind, name=None):
    return [o for o in objects if not (o["kind"] == kind and (name is None or o["metadata"]["name"] == name))]


# ---- SI201 -------------------------------------------------------------------------------------


def test_si201_healthy_istio_and_linkerd_give_nothing():
    assert f.run(r.webhook_missing, f.istio_cp() + f.linkerd_cp()) == []


def test_si201_istio_webhook_deleted():
    objects = without(f.istio_cp(), "MutatingWebhookConfiguration")
    [finding] = f.run(r.webhook_missing, objects)
    assert finding.code == "SI201" and finding.severity == "error" and finding.mesh == "istio"
    assert finding.evidence == [
        EV("Deployment istio-system/istiod", "status.readyReplicas", 1),
        EV("MutatingWebhookConfiguration", "webhooks[*].name", "no webhook named *.istio.io in any configuration"),
    ]
    assert (
        finding.steps[0] == "istioctl tag set default --revision default --overwrite   # creates "
        "istio-revision-tag-default"
    )


def test_si201_istio_every_webhook_deactivated():
    objects = f.istio_cp()
    for hook in f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")["webhooks"]:
        hook["namespaceSelector"] = copy.deepcopy(NEVER_MATCH)
        hook["objectSelector"] = copy.deepcopy(NEVER_MATCH)
    [finding] = f.run(r.webhook_missing, objects)
    assert "every Istio injector webhook is deactivated" in finding.message
    assert finding.evidence[1] == EV(MWC, "webhooks[0].namespaceSelector", "istio.io/deactivated=never-match")


def test_si201_not_when_istiod_is_down():
    objects = f.istio_cp()
    f.find(objects, "Deployment", "istiod")["status"]["readyReplicas"] = 0
    f.find(objects, "Pod", "istiod-7d4b9c-abcde")["status"]["conditions"][0]["status"] = "False"
    assert f.run(r.webhook_missing, without(objects, "MutatingWebhookConfiguration")) == []


def test_si201_revision_without_webhook_is_a_warning():
    objects = f.istio_cp()
    canary_labels = dict(f.ISTIOD_LABELS, **{"istio.io/rev": "canary"})
    objects.append(
        f.deployment("istiod-canary", "istio-system", canary_labels, [f.ISTIOD_CONTAINER], labels=canary_labels)
    )
    [finding] = f.run(r.webhook_missing, objects)
    assert (finding.severity, finding.name) == ("warning", "istiod-canary")
    assert "namespaces labelled istio.io/rev=canary get no sidecar" in finding.message


def test_si201_linkerd_webhook_missing():
    objects = without(f.linkerd_cp(), "MutatingWebhookConfiguration")
    [finding] = f.run(r.webhook_missing, objects)
    assert finding.mesh == "linkerd"
    assert finding.evidence == [
        EV("Deployment linkerd/linkerd-proxy-injector", "status.readyReplicas", 1),
        EV("MutatingWebhookConfiguration", "metadata.name", "linkerd-proxy-injector-webhook-config not found"),
    ]


# ---- SI202 -------------------------------------------------------------------------------------


def test_si202_service_missing_and_healthy():
    assert f.run(r.webhook_service_missing, f.istio_cp()) == []
    [finding] = f.run(r.webhook_service_missing, without(f.istio_cp(), "Service"))  # one per MWC and Service
    assert finding.message == (
        "Injector refers to a control plane service that does not exist: istio-system/istiod (webhooks "
        "rev.namespace.sidecar-injector.istio.io, rev.object.sidecar-injector.istio.io, "
        "namespace.sidecar-injector.istio.io, object.sidecar-injector.istio.io)"
    )
    assert finding.evidence == [
        EV(MWC, "webhooks[%d].clientConfig.service" % i, "istio-system/istiod:443") for i in range(4)
    ] + [EV("Service istio-system/istiod", "metadata.name", "not found")]


def test_si202_namespace_missing():
    objects = f.istio_cp()
    for hook in f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")["webhooks"]:
        hook["clientConfig"]["service"]["namespace"] = "istio-gone"
    [finding] = f.run(r.webhook_service_missing, objects)
    assert finding.evidence[-1] == EV("Namespace istio-gone", "metadata.name", "not found")


def test_si202_port_missing():
    objects = f.linkerd_cp()
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["clientConfig"]["service"]["port"] = 8443
    [finding] = f.run(r.webhook_service_missing, objects)
    assert finding.evidence[1] == EV("Service linkerd/linkerd-proxy-injector", "spec.ports[*].port", "443")
    assert finding.steps[0] == (
        "kubectl patch mutatingwebhookconfiguration linkerd-proxy-injector-webhook-config "
        '--type json -p \'[{"op":"add","path":"/webhooks/0/clientConfig/service/port",'
        '"value":443}]\''
    )


# ---- SI203 -------------------------------------------------------------------------------------


def test_si203_linkerd_default_ignore_and_istio_fail():
    assert f.run(r.webhook_fail_open, f.istio_cp()) == []
    [finding] = f.run(r.webhook_fail_open, f.linkerd_cp())
    assert (finding.code, finding.severity, finding.action) == ("SI203", "warning", "set_webhook")
    assert finding.evidence == [EV(L_MWC, "webhooks[0].failurePolicy", "Ignore")]
    assert (
        "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n linkerd --reuse-values "
        "--set webhookFailurePolicy=Fail"
    ) in finding.steps
    assert finding.steps[-1].endswith("(remediation action set_webhook, harden_webhook_failure_policy: Fail)")
    assert f.run(r.webhook_fail_open, f.linkerd_cp(failure_policy="Fail")) == []


# ---- SI204 -------------------------------------------------------------------------------------


def test_si204_timeout_below_floor():
    objects = f.linkerd_cp()
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["timeoutSeconds"] = 2
    [finding] = f.run(r.webhook_timeout_low, objects)
    assert finding.message == "webhook(s) linkerd-proxy-injector.linkerd.io: timeoutSeconds 2 is below the floor of 5"
    assert finding.evidence == [EV(L_MWC, "webhooks[0].timeoutSeconds", 2)]
    assert f.run(r.webhook_timeout_low, objects, options=Options(webhook_timeout_floor=2, now=f.NOW)) == []


def test_si204_observed_timeouts():
    message = (
        'Error creating: Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io":'
        ' failed to call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=10s": context '
        "deadline exceeded"
    )
    objects = f.istio_cp() + [f.event("shop", "ReplicaSet", "web-5d8f", message, count=7)]
    [finding] = f.run(r.webhook_timeout_low, objects)
    assert finding.message == (
        "webhook(s) namespace.sidecar-injector.istio.io: 1 event(s) show calls timing out after 10s"
    )
    assert finding.evidence == [
        EV(MWC, "webhooks[2].timeoutSeconds", 10),
        EV("ReplicaSet shop/web-5d8f", "event FailedCreate message (x7, last 2026-11-27T11:00:00Z)", message),
    ]
    assert f.run(r.webhook_timeout_low, f.istio_cp()) == []


# ---- SI205 -------------------------------------------------------------------------------------


def test_si205_rules_without_pods():
    objects = f.linkerd_cp()
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["rules"][0]["resources"] = ["services"]
    [finding] = f.run(r.webhook_rules_exclude_pods, objects)
    assert finding.evidence == [
        EV(
            L_MWC,
            "webhooks[0].rules",
            "operations=CREATE apiGroups='' apiVersions=v1 resources=services scope=Namespaced",
        )
    ]
    assert f.run(r.webhook_rules_exclude_pods, f.linkerd_cp()) == []


def test_si205_update_only():
    objects = f.istio_cp()
    f.hook(objects, "istio-sidecar-injector", 2)["rules"][0]["operations"] = ["UPDATE"]
    [finding] = f.run(r.webhook_rules_exclude_pods, objects)
    assert finding.message.startswith("webhook(s) namespace.sidecar-injector.istio.io never see pods")


# ---- SI206 -------------------------------------------------------------------------------------


def test_si206_aks_admissions_enforcer():
    objects = f.istio_cp() + [
        f.namespace("shop", {"istio-injection": "enabled", "control-plane": "true"}),
        f.namespace("web", {"istio-injection": "enabled"}),
    ]
    hook = f.hook(objects, "istio-sidecar-injector", 2)  # namespace.sidecar-injector.istio.io
    hook["namespaceSelector"]["matchExpressions"].append({"key": "control-plane", "operator": "DoesNotExist"})
    [finding] = f.run(r.webhook_selector_modified, objects)
    assert finding.code == "SI206"
    assert finding.message == (
        "webhook namespace.sidecar-injector.istio.io requires !control-plane beyond Istio's own selector, which "
        "excludes 1 namespace(s) that ask for injection: shop (the AKS admissions enforcer adds `control-plane "
        "DoesNotExist` to webhooks without the annotation admissions.enforcer/disabled=true)"
    )
    assert finding.evidence == [
        EV(MWC, "webhooks[2].namespaceSelector", "istio-injection in (enabled),!control-plane"),
        EV("Namespace shop", "metadata.labels", "control-plane=true,istio-injection=enabled"),
    ]
    assert finding.steps[0] == (
        "kubectl annotate mutatingwebhookconfiguration istio-sidecar-injector "
        "admissions.enforcer/disabled=true --overwrite   # stop AKS from re-adding it"
    )


def test_si206_nothing_when_no_asking_namespace_is_excluded():
    objects = f.istio_cp() + [f.namespace("web", {"istio-injection": "enabled"})]
    f.hook(objects, "istio-sidecar-injector", 2)["namespaceSelector"]["matchExpressions"].append(
        {"key": "control-plane", "operator": "DoesNotExist"}
    )
    assert f.run(r.webhook_selector_modified, objects) == []
    assert f.run(r.webhook_selector_modified, f.istio_cp() + [f.namespace("web", {"istio-injection": "enabled"})]) == []


def test_si206_linkerd_opt_in_selector_excludes_annotated_namespace():
    objects = f.linkerd_cp() + [f.namespace("shop", annotations={"linkerd.io/inject": "enabled"})]
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["namespaceSelector"] = {
        "matchExpressions": [{"key": "config.linkerd.io/admission-webhooks", "operator": "In", "values": ["enabled"]}]
    }
    [finding] = f.run(r.webhook_selector_modified, objects)
    assert "requires config.linkerd.io/admission-webhooks in (enabled) beyond Linkerd's own selector" in finding.message


def test_si206_linkerd_cli_null_object_selector_is_not_a_modification():
    objects = f.linkerd_cp() + [f.namespace("shop", annotations={"linkerd.io/inject": "enabled"})]
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["objectSelector"] = None
    assert f.run(r.webhook_selector_modified, objects) == []


# ---- SI207 -------------------------------------------------------------------------------------


def vault_mwc(failure="Ignore", name="vault-agent-injector-cfg"):
    return f.mwc(
        {
            "metadata": {"name": name},
            "webhooks": [
                {
                    "name": "vault.hashicorp.com",
                    "failurePolicy": failure,
                    "sideEffects": "None",
                    "clientConfig": {
                        "service": {"name": "vault-agent-injector-svc", "namespace": "vault", "path": "/mutate"}
                    },
                    "rules": [
                        {
                            "operations": ["CREATE", "UPDATE"],
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "resources": ["pods"],
                        }
                    ],
                }
            ],
        }
    )


def test_si207_other_webhook_after_injector_with_never():
    objects = f.istio_cp() + [f.namespace("shop", {"istio-injection": "enabled"}), vault_mwc()]
    [finding] = f.run(r.webhook_ordering_conflict, objects)
    assert finding.name == "vault-agent-injector-cfg" and finding.mesh == "istio"
    assert "after the Istio injector rev.namespace.sidecar-injector.istio.io" in finding.message
    assert finding.steps[0] == (
        "kubectl patch mutatingwebhookconfiguration istio-sidecar-injector --type json -p "
        '\'[{"op":"add","path":"/webhooks/0/reinvocationPolicy","value":"IfNeeded"}]\''
    )
    # ordered before the injector (name sorts first): the injector sees what it adds
    assert (
        f.run(
            r.webhook_ordering_conflict,
            f.istio_cp() + [f.namespace("shop", {"istio-injection": "enabled"}), vault_mwc(name="a-vault-injector")],
        )
        == []
    )
    # no meshed namespace: nothing to conflict with
    assert f.run(r.webhook_ordering_conflict, f.istio_cp() + [vault_mwc()]) == []


def test_si207_fail_webhook_without_backend():
    svc = f.service("vault-agent-injector-svc", "vault", {"app": "vault-agent-injector"}, [{"port": 443}])
    objects = f.istio_cp() + [
        f.namespace("shop", {"istio-injection": "enabled"}),
        f.namespace("vault"),
        vault_mwc(failure="Fail", name="a-vault"),
        svc,
    ]
    [finding] = f.run(r.webhook_ordering_conflict, objects)
    assert finding.message.startswith("webhook vault.hashicorp.com has failurePolicy Fail and no ready pod behind")
    assert finding.evidence[-1] == EV("Pod vault/*", "status.conditions[Ready]", "0 matching pod(s), none ready")


# ---- SI208 -------------------------------------------------------------------------------------


def apiserver(command):
    obj = f.pod(
        "kube-apiserver-cp-1",
        "kube-system",
        {"component": "kube-apiserver", "tier": "control-plane"},
        containers=[{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.30.4", "command": command}],
    )
    return obj


def test_si208_flags():
    assert r.mutating_plugin_state(
        r.apiserver_flags(
            apiserver(["kube-apiserver", "--disable-admission-plugins=MutatingAdmissionWebhook,PodSecurity"])
        )
    ) == (False, "--disable-admission-plugins", "MutatingAdmissionWebhook,PodSecurity")
    assert r.mutating_plugin_state(
        r.apiserver_flags(apiserver(["kube-apiserver", "--admission-control", "NamespaceLifecycle,LimitRanger"]))
    ) == (False, "--admission-control", "NamespaceLifecycle,LimitRanger")
    assert (
        r.mutating_plugin_state(
            r.apiserver_flags(apiserver(["kube-apiserver", "--enable-admission-plugins=NodeRestriction"]))
        )[0]
        is True
    )
    assert r.mutating_plugin_state(r.apiserver_flags(apiserver(["kube-apiserver"]))) is None


def test_si208_static_pod_disables_plugin():
    objects = f.istio_cp() + [
        f.namespace("kube-system"),
        apiserver(
            [
                "kube-apiserver",
                "--enable-admission-plugins=NodeRestriction",
                "--disable-admission-plugins=MutatingAdmissionWebhook",
            ]
        ),
    ]
    [finding] = f.run(r.admission_plugin_disabled, objects)
    assert (finding.severity, finding.kind, finding.namespace, finding.name) == (
        "error",
        "Pod",
        "kube-system",
        "kube-apiserver-cp-1",
    )
    assert finding.evidence == [
        EV(
            "Pod kube-system/kube-apiserver-cp-1",
            "spec.containers[0].command",
            "--disable-admission-plugins=MutatingAdmissionWebhook",
        )
    ]
    healthy = f.istio_cp() + [apiserver(["kube-apiserver", "--enable-admission-plugins=NodeRestriction"])]
    assert f.run(r.admission_plugin_disabled, healthy) == []


def test_si208_inferred_from_pods():
    later = "2026-11-20T00:00:00Z"
    objects = f.istio_cp() + [
        f.namespace("shop", {"istio-injection": "enabled"}),
        f.pod("web-1", "shop", {"app": "web"}, created=later),
    ]
    [finding] = f.run(r.admission_plugin_disabled, objects)
    assert finding.severity == "warning"
    assert finding.evidence == [
        EV(MWC, "metadata.creationTimestamp", f.CREATED),
        EV("Pod shop/web-1", "metadata.creationTimestamp", later),
    ]
    injected = f.pod(
        "api-1",
        "shop",
        {"app": "api"},
        created=later,
        containers=[{"name": "app"}, {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.2"}],
        annotations={"sidecar.istio.io/status": '{"containers":["istio-proxy"]}'},
    )
    assert f.run(r.admission_plugin_disabled, [*objects, injected]) == []
    older = f.istio_cp() + [
        f.namespace("shop", {"istio-injection": "enabled"}),
        f.pod("web-1", "shop", {"app": "web"}, created="2026-10-01T00:00:00Z"),
    ]
    assert f.run(r.admission_plugin_disabled, older) == []  # predates the webhook: SI604's business


# ---- SI209 -------------------------------------------------------------------------------------


def test_si209_linkerd_fail_without_namespace_label_and_cli_selector():
    objects = f.linkerd_cp(failure_policy="Fail")
    f.find(objects, "Namespace", "linkerd")["metadata"]["labels"] = {}
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["objectSelector"] = None
    [finding] = f.run(r.injector_bootstrap_deadlock, objects)
    assert finding.code == "SI209"
    assert finding.evidence[0] == EV(L_MWC, "webhooks[0].failurePolicy", "Fail")
    assert finding.evidence[-1] == EV(
        "Pod linkerd/linkerd-proxy-injector-5f6d-xyz12",
        "metadata.labels",
        "linkerd.io/control-plane-component=proxy-injector,linkerd.io/control-plane-ns=linkerd",
    )
    assert finding.steps[0] == (
        "kubectl label namespace linkerd config.linkerd.io/admission-webhooks=disabled --overwrite"
    )


def test_si209_healthy_installs():
    assert f.run(r.injector_bootstrap_deadlock, f.linkerd_cp(failure_policy="Fail")) == []
    istio = f.istio_cp()
    f.find(istio, "Namespace", "istio-system")["metadata"]["labels"] = {"istio-injection": "enabled"}
    assert f.run(r.injector_bootstrap_deadlock, istio) == []  # istiod pods carry sidecar.istio.io/inject=false
    linkerd_ignore = f.linkerd_cp()
    f.find(linkerd_ignore, "Namespace", "linkerd")["metadata"]["labels"] = {}
    assert f.run(r.injector_bootstrap_deadlock, linkerd_ignore) == []  # Ignore cannot deadlock


# ---- SI210 -------------------------------------------------------------------------------------


def test_si210_orphaned_revision_label():
    objects = f.istio_cp()
    f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")["metadata"]["labels"]["istio.io/rev"] = (
        "1-22"
    )
    [finding] = f.run(r.webhook_revision_orphaned, objects)
    assert finding.message == (
        "istio-sidecar-injector carries istio.io/rev=1-22 but no istiod of that revision runs "
        "(running: default): nobody keeps its caBundle current"
    )
    assert finding.evidence == [EV(MWC, "metadata.labels[istio.io/rev]", "1-22")]
    assert finding.action == "resync_ca"
    assert f.run(r.webhook_revision_orphaned, f.istio_cp()) == []
