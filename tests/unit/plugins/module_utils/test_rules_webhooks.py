from __future__ import annotations

import copy

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import kubectl
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import NEVER_MATCH
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import webhooks as r
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f

MWC = "MutatingWebhookConfiguration istio-sidecar-injector"
L_MWC = "MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config"
ISTIO_MWC = ObjectRef("MutatingWebhookConfiguration", "istio-sidecar-injector")
LINKERD_MWC = ObjectRef("MutatingWebhookConfiguration", "linkerd-proxy-injector-webhook-config")
WEB = ObjectRef("Deployment", "web", "shop")
VOTING = ObjectRef("Deployment", "voting", "emoji")


def shop():
    """A namespace that asks for Istio, with one workload the injector decides."""
    return [f.namespace("shop", {"istio-injection": "enabled"}), f.deployment("web", "shop", {"app": "web"}, [APP])]


def emoji():
    """The same for Linkerd."""
    return [
        f.namespace("emoji", annotations={"linkerd.io/inject": "enabled"}),
        f.deployment("voting", "emoji", {"app": "voting"}, [APP]),
    ]


APP = {"name": "app", "image": "app:1"}


def ops(finding, kind=None):
    """The plan's operations as dicts (of one kind)."""
    return [op for op in finding.plan.as_dict()["operations"] if kind is None or op["op"] == kind]


def guard(index, name):
    return [["/webhooks/%d/name" % index, name]]


def without(objects, kind, name=None):
    return [o for o in objects if not (o["kind"] == kind and (name is None or o["metadata"]["name"] == name))]


# ---- SI201 -------------------------------------------------------------------------------------


def test_si201_healthy_istio_and_linkerd_give_nothing():
    assert f.run(r.webhook_missing, f.istio_cp() + f.linkerd_cp()) == []


def test_si201_istio_webhook_deleted():
    objects = without(f.istio_cp(), "MutatingWebhookConfiguration") + shop()
    [finding] = f.run(r.webhook_missing, objects)
    assert finding.code == "SI201" and finding.severity == "error" and finding.mesh == "istio"
    assert finding.evidence == [
        EV("Deployment istio-system/istiod", "status.readyReplicas", 1),
        EV("MutatingWebhookConfiguration", "webhooks[*].name", "no webhook named *.istio.io in any configuration"),
    ]
    assert finding.rendered_steps() == [
        "istioctl tag set default --revision default --overwrite   # creates istio-revision-tag-default",
        "istioctl x injector list   # shows which revision each namespace now gets",
        "helm upgrade istiod istio/istiod -n istio-system --reuse-values   # Helm installs re-render the MWC",
    ]
    plan = finding.plan.as_dict()
    assert (plan["action"], plan["target"]["name"], plan["risk"], plan["opt_in"]) == (
        "manual",
        "istio-revision-tag-default",
        "safe",
        [],
    )
    assert [op["op"] for op in plan["operations"]] == ["external"] * 3
    assert finding.affects == [WEB, namespace_ref("shop")]  # the namespace that asks for Istio and its workload


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
    objects.append(f.namespace("canary-ns", {"istio.io/rev": "canary"}))
    [finding] = f.run(r.webhook_missing, objects)
    assert (finding.severity, finding.name) == ("warning", "istiod-canary")
    assert "namespaces labelled istio.io/rev=canary get no sidecar" in finding.message
    assert finding.plan.target == ObjectRef("Deployment", "istiod-canary", "istio-system")
    assert [op["command"] for op in ops(finding)] == [
        "istioctl install --set revision=canary",
        "istioctl tag set <tag> --revision canary",
    ]
    assert finding.affects == [namespace_ref("canary-ns")]


def test_si201_linkerd_webhook_missing():
    objects = without(f.linkerd_cp(), "MutatingWebhookConfiguration") + emoji()
    [finding] = f.run(r.webhook_missing, objects)
    assert finding.mesh == "linkerd"
    assert finding.evidence == [
        EV("Deployment linkerd/linkerd-proxy-injector", "status.readyReplicas", 1),
        EV("MutatingWebhookConfiguration", "metadata.name", "linkerd-proxy-injector-webhook-config not found"),
    ]
    assert finding.rendered_steps() == [
        "linkerd upgrade | kubectl apply -f -   # CLI installs re-create it",
        "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n linkerd --reuse-values",
        "linkerd check   # 'control plane MutatingWebhookConfigurations exist'",
    ]
    assert ops(finding)[0]["args"] == ["apply", "-f", "-"]  # the kubectl half is rendered, not written
    assert finding.affects == [VOTING, namespace_ref("emoji")]


# ---- SI202 -------------------------------------------------------------------------------------


def test_si202_service_missing_and_healthy():
    assert f.run(r.webhook_service_missing, f.istio_cp()) == []
    [finding] = f.run(r.webhook_service_missing, without(f.istio_cp(), "Service") + shop())  # one per MWC and Service
    assert finding.message == (
        "Injector refers to a control plane service that does not exist: istio-system/istiod (webhooks "
        "rev.namespace.sidecar-injector.istio.io, rev.object.sidecar-injector.istio.io, "
        "namespace.sidecar-injector.istio.io, object.sidecar-injector.istio.io)"
    )
    assert finding.evidence == [
        EV(MWC, "webhooks[%d].clientConfig.service" % i, "istio-system/istiod:443") for i in range(4)
    ] + [EV("Service istio-system/istiod", "metadata.name", "not found")]
    assert finding.rendered_steps() == [
        "kubectl get service istiod -n istio-system -o wide",
        "istioctl tag set default --revision default --overwrite   # if this is a revision tag",
        "istioctl install   # or helm upgrade of istiod: re-creates Service istiod",
        "# or: delete the configuration",
        "kubectl delete mutatingwebhookconfiguration istio-sidecar-injector   # only if the control plane it "
        "belongs to was removed on purpose",
    ]
    [alternative] = finding.plan.alternatives
    assert [(op.op, op.target) for op in alternative.operations] == [("delete", ISTIO_MWC)]
    assert (finding.plan.action, alternative.risk) == ("manual", "disruptive")
    assert finding.affects == [WEB, namespace_ref("shop")]


def test_si202_namespace_missing():
    objects = f.istio_cp()
    for hook in f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")["webhooks"]:
        hook["clientConfig"]["service"]["namespace"] = "istio-gone"
    [finding] = f.run(r.webhook_service_missing, objects)
    assert finding.evidence[-1] == EV("Namespace istio-gone", "metadata.name", "not found")


def test_si202_port_missing():
    objects = f.linkerd_cp() + emoji()
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["clientConfig"]["service"]["port"] = 8443
    [finding] = f.run(r.webhook_service_missing, objects)
    assert finding.evidence[1] == EV("Service linkerd/linkerd-proxy-injector", "spec.ports[*].port", "443")
    assert finding.rendered_steps()[0] == (
        "kubectl patch mutatingwebhookconfiguration linkerd-proxy-injector-webhook-config --type json -p "
        '\'[{"op":"test","path":"/webhooks/0/name","value":"linkerd-proxy-injector.linkerd.io"},'
        '{"op":"test","path":"/webhooks/0/clientConfig/service/port","value":8443},'
        '{"op":"replace","path":"/webhooks/0/clientConfig/service/port","value":443}]\''
    )
    assert ops(finding, "json_patch") == [
        {
            "op": "json_patch",
            "target": LINKERD_MWC.as_dict(),
            "path": "/webhooks/0/clientConfig/service/port",
            "value": 443,
            "guards": guard(0, "linkerd-proxy-injector.linkerd.io"),
            "expect": 8443,
            "expect_absent": False,
            "risk": "safe",
        }
    ]
    assert finding.affects == [VOTING, namespace_ref("emoji")]
    # a Service with several ports and no 443: which one is a guess, so no patch
    service = f.find(objects, "Service", "linkerd-proxy-injector")
    service["spec"]["ports"] = [{"port": 9443, "targetPort": 8443}, {"port": 9995, "targetPort": 9995}]
    [guess] = f.run(r.webhook_service_missing, objects)
    assert ops(guess, "json_patch") == [] and guess.plan.operations[0].op == "inspect"


# ---- SI203 -------------------------------------------------------------------------------------


def test_si203_linkerd_default_ignore_and_istio_fail():
    assert f.run(r.webhook_fail_open, f.istio_cp()) == []
    [finding] = f.run(r.webhook_fail_open, f.linkerd_cp() + emoji())
    assert (finding.code, finding.severity, finding.action) == ("SI203", "warning", "set_webhook")
    assert finding.evidence == [EV(L_MWC, "webhooks[0].failurePolicy", "Ignore")]
    plan = finding.plan.as_dict()
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == (
        "set_webhook",
        LINKERD_MWC.as_dict(),
        "disruptive",  # fail closed: while the injector is down, pods are not created
        ["remediate_webhooks"],
    )
    assert ops(finding, "json_patch") == [
        {
            "op": "json_patch",
            "target": LINKERD_MWC.as_dict(),
            "path": "/webhooks/0/failurePolicy",
            "value": "Fail",
            "guards": guard(0, "linkerd-proxy-injector.linkerd.io"),
            "expect": "Ignore",
            "expect_absent": False,
            "risk": "disruptive",
        }
    ]
    assert finding.rendered_steps() == [
        "# first make sure the injector's own namespace and kube-system are excluded (SI209), then:",
        "kubectl patch mutatingwebhookconfiguration linkerd-proxy-injector-webhook-config --type json -p "
        '\'[{"op":"test","path":"/webhooks/0/name","value":"linkerd-proxy-injector.linkerd.io"},'
        '{"op":"test","path":"/webhooks/0/failurePolicy","value":"Ignore"},'
        '{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Fail"}]\'',
        "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n linkerd --reuse-values "
        "--set webhookFailurePolicy=Fail   # so the next upgrade keeps it",
        "# or with this collection: ansible-playbook meshops.sidecar_injection.remediate -i INVENTORY "
        "-e remediate_webhooks=true   # action set_webhook, risk disruptive",
    ]
    assert finding.affects == [VOTING, namespace_ref("emoji")]
    assert f.run(r.webhook_fail_open, f.linkerd_cp(failure_policy="Fail")) == []


def test_si203_istio_webhooks_of_one_configuration_are_patched_in_one_request():
    objects = f.istio_cp() + shop()
    for hook in f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")["webhooks"]:
        hook["failurePolicy"] = "Ignore"
    [finding] = f.run(r.webhook_fail_open, objects)
    assert [(op["path"], op["expect"], op["guards"][0][1]) for op in ops(finding, "json_patch")] == [
        ("/webhooks/0/failurePolicy", "Ignore", "rev.namespace.sidecar-injector.istio.io"),
        ("/webhooks/1/failurePolicy", "Ignore", "rev.object.sidecar-injector.istio.io"),
        ("/webhooks/2/failurePolicy", "Ignore", "namespace.sidecar-injector.istio.io"),
        ("/webhooks/3/failurePolicy", "Ignore", "object.sidecar-injector.istio.io"),
    ]
    patches = [line for line in finding.rendered_steps() if line.startswith("kubectl patch")]
    assert len(patches) == 1  # all four together or none
    assert finding.rendered_steps()[2] == (
        "# Istio renders failurePolicy Fail; re-render the MWC (helm upgrade istiod / istioctl install)"
    )
    assert finding.affects == [WEB, namespace_ref("shop")]


# ---- SI204 -------------------------------------------------------------------------------------


def test_si204_timeout_below_floor():
    objects = f.linkerd_cp() + emoji()
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["timeoutSeconds"] = 2
    [finding] = f.run(r.webhook_timeout_low, objects)
    assert finding.message == "webhook(s) linkerd-proxy-injector.linkerd.io: timeoutSeconds 2 is below the floor of 5"
    assert finding.evidence == [EV(L_MWC, "webhooks[0].timeoutSeconds", 2)]
    plan = finding.plan.as_dict()
    assert (plan["action"], plan["risk"], plan["opt_in"]) == ("set_webhook", "safe", ["remediate_webhooks"])
    assert ops(finding, "json_patch") == [
        {
            "op": "json_patch",
            "target": LINKERD_MWC.as_dict(),
            "path": "/webhooks/0/timeoutSeconds",
            "value": 10,
            "guards": guard(0, "linkerd-proxy-injector.linkerd.io"),
            "expect": 2,
            "expect_absent": False,
            "risk": "safe",
        }
    ]
    assert ops(finding, "external")[0]["command"].endswith("--set proxyInjector.timeoutSeconds=10")
    assert finding.affects == [VOTING, namespace_ref("emoji")]
    assert f.run(r.webhook_timeout_low, objects, options=Options(webhook_timeout_floor=2, now=f.NOW)) == []


def test_si204_observed_timeouts():
    """Calls timing out after a short timeout: raising it to Kubernetes' default is the fix. Calls timing
    out at the default or above are the injector's reachability (SI30x), not a low timeout: no SI204."""
    message = (
        'Error creating: Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io":'
        ' failed to call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=6s": context '
        "deadline exceeded"
    )
    objects = f.istio_cp() + [f.event("shop", "ReplicaSet", "web-5d8f", message, count=7)]
    mwc = f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")
    name = mwc["webhooks"][2]["name"]
    assert name == "namespace.sidecar-injector.istio.io"
    mwc["webhooks"][2]["timeoutSeconds"] = 6
    [finding] = f.run(r.webhook_timeout_low, objects)
    assert finding.message == "webhook(s) %s: 1 event(s) show calls timing out after 6s" % name
    assert finding.evidence == [
        EV(MWC, "webhooks[2].timeoutSeconds", 6),
        EV("ReplicaSet shop/web-5d8f", "event FailedCreate message (x7, last 2026-11-27T11:00:00Z)", message),
    ]
    assert finding.plan.action == "set_webhook"
    [patch] = ops(finding, "json_patch")
    assert (patch["path"], patch["value"], patch["expect"]) == ("/webhooks/2/timeoutSeconds", 10, 6)
    # the events name what was refused: the ReplicaSet (its Deployment is not in this snapshot)
    assert finding.affects == [ObjectRef("ReplicaSet", "web-5d8f", "shop"), namespace_ref("shop")]
    # the same events at timeoutSeconds 10: nothing to raise
    mwc["webhooks"][2]["timeoutSeconds"] = 10
    assert f.run(r.webhook_timeout_low, objects) == []
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
    objects += shop()
    f.hook(objects, "istio-sidecar-injector", 2)["rules"][0]["operations"] = ["UPDATE"]
    [finding] = f.run(r.webhook_rules_exclude_pods, objects)
    assert finding.message.startswith("webhook(s) namespace.sidecar-injector.istio.io never see pods")
    pod_create = [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]
    assert ops(finding, "json_patch") == [
        {
            "op": "json_patch",
            "target": ISTIO_MWC.as_dict(),
            "path": "/webhooks/2/rules",
            "value": pod_create,
            "guards": guard(2, "namespace.sidecar-injector.istio.io"),
            "expect": [dict(pod_create[0], operations=["UPDATE"])],
            "expect_absent": False,
            "risk": "safe",
        }
    ]
    assert finding.plan.action == "manual"
    # the webhook decides nothing now: the namespace it should serve and its workload
    assert finding.affects == [WEB, namespace_ref("shop")]


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
    objects.append(f.deployment("web", "shop", {"app": "web"}, [APP]))
    [finding] = f.run(r.webhook_selector_modified, objects)
    assert finding.rendered_steps() == [
        "kubectl annotate mutatingwebhookconfiguration istio-sidecar-injector "
        "admissions.enforcer/disabled=true --overwrite   # stop AKS from re-adding it",
        "kubectl patch mutatingwebhookconfiguration istio-sidecar-injector --type json -p "
        '\'[{"op":"test","path":"/webhooks/2/name","value":"namespace.sidecar-injector.istio.io"},'
        '{"op":"test","path":"/webhooks/2/namespaceSelector","value":{"matchExpressions":['
        '{"key":"istio-injection","operator":"In","values":["enabled"]},'
        '{"key":"control-plane","operator":"DoesNotExist"}]}},'
        '{"op":"replace","path":"/webhooks/2/namespaceSelector","value":{"matchExpressions":['
        '{"key":"istio-injection","operator":"In","values":["enabled"]}]}}]\'',
        "# or: if the label is the cause and not needed: remove control-plane from namespace shop",
        "kubectl label namespace shop control-plane-",
    ]
    [annotate, selector] = ops(finding)
    assert (selector["op"], selector["path"], selector["guards"]) == (
        "json_patch",
        "/webhooks/2/namespaceSelector",
        guard(2, "namespace.sidecar-injector.istio.io"),
    )
    assert (annotate["op"], annotate["target"], annotate["expect_absent"]) == (
        "set_annotation",
        ISTIO_MWC.as_dict(),
        True,
    )
    [alternative] = finding.plan.alternatives
    assert alternative.as_dict()["operations"][0] == {
        "op": "remove_label",
        "target": namespace_ref("shop").as_dict(),
        "key": "control-plane",
        "scope": "metadata",
        "expect": "true",
        "expect_absent": False,
        "risk": "safe",
    }
    assert finding.affects == [WEB, namespace_ref("shop")]  # the excluded namespace, not web


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
    assert finding.plan.alternatives == []  # the namespace lacks the label: removing a label cannot help
    assert finding.affects == [namespace_ref("shop")]


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
    objects = f.istio_cp() + shop() + [vault_mwc()]
    [finding] = f.run(r.webhook_ordering_conflict, objects)
    assert finding.name == "vault-agent-injector-cfg" and finding.mesh == "istio"
    assert "after the Istio injector rev.namespace.sidecar-injector.istio.io" in finding.message
    # every injector called before it with Never, in one request on the injector's configuration
    assert finding.plan.target == ISTIO_MWC
    assert [(op["path"], op["value"], op["expect"]) for op in ops(finding, "json_patch")] == [
        ("/webhooks/%d/reinvocationPolicy" % i, "IfNeeded", "Never") for i in range(4)
    ]
    assert finding.rendered_steps()[0].startswith(
        "kubectl patch mutatingwebhookconfiguration istio-sidecar-injector --type json -p "
        '\'[{"op":"test","path":"/webhooks/0/name","value":"rev.namespace.sidecar-injector.istio.io"},'
    )
    assert finding.rendered_steps()[1] == (
        "helm upgrade istiod istio/istiod -n istio-system --reuse-values --set "
        "sidecarInjectorWebhook.reinvocationPolicy=IfNeeded   # istioctl: --set "
        "values.sidecarInjectorWebhook.reinvocationPolicy=IfNeeded"
    )
    assert finding.affects == [WEB, namespace_ref("shop")]
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
    objects.append(f.deployment("web", "shop", {"app": "web"}, [APP]))
    [finding] = f.run(r.webhook_ordering_conflict, objects)
    assert finding.message.startswith("webhook vault.hashicorp.com has failurePolicy Fail and no ready pod behind")
    assert finding.evidence[-1] == EV("Pod vault/*", "status.conditions[Ready]", "0 matching pod(s), none ready")
    assert finding.rendered_steps()[:2] == [
        "kubectl get pods -n vault -l app=vault-agent-injector",
        "kubectl get events -n vault --field-selector type=Warning",
    ]
    [fail_open] = finding.plan.alternatives
    assert (fail_open.risk, fail_open.opt_in) == ("weakens-safety", ("remediate_allow_fail_open",))
    assert [(op.path, op.value, op.expect) for op in fail_open.operations] == [
        ("/webhooks/0/failurePolicy", "Ignore", "Fail")
    ]
    assert finding.affects == [WEB, namespace_ref("shop")]  # every pod create there fails


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
    assert finding.rendered_steps() == [
        "# edit /etc/kubernetes/manifests/kube-apiserver.yaml on each control-plane node: remove "
        "MutatingAdmissionWebhook from --disable-admission-plugins (the kubelet restarts the static pod)",
        "kubectl get pod kube-apiserver-cp-1 -n kube-system -o 'jsonpath={.spec.containers[0].command}'",
    ]
    assert finding.plan.action == "manual"
    # no injector is called: nothing here asks for one, so the API server pod and its namespace
    assert finding.affects == [ObjectRef("Pod", "kube-apiserver-cp-1", "kube-system"), namespace_ref("kube-system")]
    [meshed] = f.run(r.admission_plugin_disabled, objects + shop())
    assert meshed.affects == [WEB, namespace_ref("shop")]
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
    assert finding.rendered_steps()[0] == (
        "kubectl run sidecar-probe -n shop --image=registry.k8s.io/pause:3.9 --restart=Never --dry-run=server -o yaml"
        " | grep -E 'istio-proxy|linkerd-proxy'   # nothing stored; no output means no injector was called"
    )
    assert finding.affects == [ObjectRef("Pod", "web-1", "shop"), namespace_ref("shop")]  # a bare pod
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
    # labelled after the pod started (istio/istio#27439): the pod predates its namespace's selection
    relabelled = f.istio_cp() + [
        f.namespace("shop", {"istio-injection": "enabled"}),
        f.pod("web-1", "shop", {"app": "web"}, created=later),
    ]
    f.find(relabelled, "Namespace", "shop")["metadata"]["managedFields"] = [
        {
            "manager": "kubectl-label",
            "operation": "Update",
            "time": "2026-11-21T00:00:00Z",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:istio-injection": {}}}},
        }
    ]
    assert f.run(r.admission_plugin_disabled, relabelled) == []
    f.find(relabelled, "Namespace", "shop")["metadata"]["managedFields"][0]["time"] = "2026-11-19T00:00:00Z"
    assert [x.code for x in f.run(r.admission_plugin_disabled, relabelled)] == ["SI208"]


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
    assert finding.rendered_steps()[:2] == [
        "kubectl label namespace linkerd config.linkerd.io/admission-webhooks=disabled --overwrite   # Linkerd's "
        "webhook skips namespaces labelled so",
        "# or: exclude the injector pods by label",
    ]
    [label] = ops(finding)
    assert (label["op"], label["target"], label["expect_absent"]) == (
        "set_label",
        namespace_ref("linkerd").as_dict(),
        True,
    )
    [exclude] = finding.plan.alternatives[0].operations
    assert (exclude.path, exclude.expect, exclude.guards) == (
        "/webhooks/0/objectSelector",
        None,  # the CLI renders objectSelector null
        (("/webhooks/0/name", "linkerd-proxy-injector.linkerd.io"),),
    )
    assert exclude.value == {
        "matchExpressions": [
            {"key": "linkerd.io/control-plane-component", "operator": "NotIn", "values": ["proxy-injector"]}
        ]
    }
    assert finding.affects == [ObjectRef("Deployment", "linkerd-proxy-injector", "linkerd"), namespace_ref("linkerd")]


def test_si209_exclusion_keeps_the_existing_object_selector():
    objects = f.linkerd_cp(failure_policy="Fail") + emoji()
    f.find(objects, "Namespace", "linkerd")["metadata"]["labels"] = {}
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["objectSelector"] = {
        "matchExpressions": [{"key": "app.kubernetes.io/part-of", "operator": "NotIn", "values": ["vault"]}]
    }
    [finding] = f.run(r.injector_bootstrap_deadlock, objects)
    [exclude] = finding.plan.alternatives[0].operations
    assert exclude.expect == {
        "matchExpressions": [{"key": "app.kubernetes.io/part-of", "operator": "NotIn", "values": ["vault"]}]
    }
    assert exclude.value["matchExpressions"] == [
        {"key": "app.kubernetes.io/part-of", "operator": "NotIn", "values": ["vault"]},
        {"key": "linkerd.io/control-plane-component", "operator": "NotIn", "values": ["proxy-injector"]},
    ]
    assert finding.affects == [
        ObjectRef("Deployment", "linkerd-proxy-injector", "linkerd"),
        VOTING,
        namespace_ref("emoji"),
        namespace_ref("linkerd"),
    ]


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
    plan = finding.plan.as_dict()
    assert (plan["action"], plan["risk"], plan["opt_in"]) == ("resync_ca", "safe", ["remediate_certs"])
    resync, relabel = plan["operations"]
    names = [h["name"] for h in f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")["webhooks"]]
    assert resync == {
        "op": "resync_ca",
        "target": ISTIO_MWC.as_dict(),
        "expect": ["", "", "", ""],  # the bundles seen (empty here)
        "expect_absent": False,
        "source": {"kind": "ConfigMap", "namespace": "istio-system", "name": "istio-ca-root-cert"},
        "source_key": "root-cert.pem",
        "webhooks": names,
        "paths": ["/webhooks/%d" % i for i in range(4)],
        "why": "the mesh root of revision default",
        "risk": "safe",
    }
    assert relabel == {
        "op": "set_label",
        "target": ISTIO_MWC.as_dict(),
        "key": "istio.io/rev",
        "scope": "metadata",
        "value": "default",
        "expect": "1-22",
        "expect_absent": False,
        "why": "then istiod default keeps its caBundle current",
        "risk": "safe",
    }
    assert [op.op for op in finding.plan.alternatives[0].operations] == ["delete"]
    assert finding.rendered_steps()[2] == (
        "kubectl label mutatingwebhookconfiguration istio-sidecar-injector istio.io/rev=default --overwrite   "
        "# then istiod default keeps its caBundle current"
    )
    assert finding.affects == []  # nothing asks for Istio in this snapshot: the webhooks decide nothing
    assert f.run(r.webhook_revision_orphaned, f.istio_cp()) == []


def test_si210_source_is_the_ca_secret_when_istio_ca_root_cert_is_absent_and_affects_what_it_decides():
    objects = f.istio_cp() + shop()
    f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")["metadata"]["labels"]["istio.io/rev"] = (
        "1-22"
    )
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "cacerts", "namespace": "istio-system"},
            "certificates": {"root-cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
        }
    )
    [finding] = f.run(r.webhook_revision_orphaned, objects)
    [resync] = [op for op in finding.plan.operations if op.op == "resync_ca"]
    assert (resync.source, resync.source_key) == (ObjectRef("Secret", "cacerts", "istio-system"), "root-cert.pem")
    assert finding.affects == [WEB, namespace_ref("shop")]


def test_si210_without_any_running_istiod_there_is_nothing_to_resync_from():
    objects = f.istio_cp()
    f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")["metadata"]["labels"]["istio.io/rev"] = (
        "1-22"
    )
    objects = without(objects, "Deployment")
    objects = without(objects, "Pod")
    [finding] = f.run(r.webhook_revision_orphaned, objects)
    assert finding.plan.action == "manual" and not finding.plan.executable
    assert [line for line in kubectl.render(finding.plan) if line.startswith("kubectl")] == [
        "kubectl delete mutatingwebhookconfiguration istio-sidecar-injector   # if no namespace should use it any more"
    ]
