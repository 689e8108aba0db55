from __future__ import annotations

import json
import shlex

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import reachability as r
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f

ISTIO_URL = "https://istiod.istio-system.svc:443/inject?timeout=10s"
APP = {"name": "app", "image": "app:1"}
WEB = ObjectRef("Deployment", "web", "shop")
VOTING = ObjectRef("Deployment", "voting", "emoji")
ISTIOD = ObjectRef("Deployment", "istiod", "istio-system")


def shop():
    return [f.namespace("shop", {"istio-injection": "enabled"}), f.deployment("web", "shop", {"app": "web"}, [APP])]


def emoji():
    return [
        f.namespace("emoji", annotations={"linkerd.io/inject": "enabled"}),
        f.deployment("voting", "emoji", {"app": "voting"}, [APP]),
    ]


def replicaset(name, ns, deployment):
    """A ReplicaSet owned by `deployment` (what FailedCreate events name)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": ns,
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment, "controller": True}
            ],
        },
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": deployment}}},
    }


def kinds(finding):
    return [op.op for op in finding.plan.operations]


def call_failure(error, hook="namespace.sidecar-injector.istio.io", url=ISTIO_URL):
    return (
        'Error creating: Internal error occurred: failed calling webhook "%s": failed to call webhook: '
        'Post "%s": %s' % (hook, url, error)
    )


def istiod_down(objects):
    f.find(objects, "Deployment", "istiod")["status"].update(readyReplicas=0, availableReplicas=0)
    istiod = f.find(objects, "Pod", "istiod-7d4b9c-abcde")
    istiod["status"] = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "False"}],
        "containerStatuses": [
            {"name": "discovery", "ready": False, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
        ],
    }
    f.find(objects, "Endpoints", "istiod")["subsets"] = [{"notReadyAddresses": [{"ip": "10.0.3.7"}]}]
    return objects


# ---- SI301 -------------------------------------------------------------------------------------


def test_si301_healthy():
    assert f.run(r.injector_unavailable, f.istio_cp() + f.linkerd_cp()) == []


def test_si301_istiod_crashlooping():
    [finding] = f.run(r.injector_unavailable, istiod_down(f.istio_cp()) + shop())
    assert (finding.kind, finding.namespace, finding.name) == ("Deployment", "istio-system", "istiod")
    assert finding.message.startswith(
        "Istio injector Deployment istio-system/istiod has no available replica "
        "(1 desired, 1 pods, 0 ready): pod creation fails in every namespace it selects"
    )
    assert finding.evidence == [
        EV("Deployment istio-system/istiod", "spec.replicas", 1),
        EV("Deployment istio-system/istiod", "status.availableReplicas", 0),
        EV(
            "Pod istio-system/istiod-7d4b9c-abcde",
            "status",
            "phase Running, container discovery waiting CrashLoopBackOff",
        ),
    ]
    assert finding.rendered_steps() == [
        "kubectl describe deployment istiod -n istio-system",
        "kubectl get pods -n istio-system -l app=istiod,istio=pilot -o wide",
        "kubectl logs -n istio-system deploy/istiod --all-containers --tail=100",
        "kubectl get events -n istio-system --field-selector type=Warning --sort-by=.lastTimestamp",
    ]
    assert (finding.plan.action, finding.plan.target, kinds(finding)) == ("manual", ISTIOD, ["inspect"] * 4)
    assert finding.affects == [WEB, namespace_ref("shop")]  # what istiod decides, not istiod itself


def test_si301_linkerd_scaled_to_zero():
    objects = [o for o in f.linkerd_cp() if o["kind"] != "Pod"] + emoji()
    deploy = f.find(objects, "Deployment", "linkerd-proxy-injector")
    deploy["spec"]["replicas"] = 0
    deploy["status"] = {"replicas": 0}
    [finding] = f.run(r.injector_unavailable, objects)
    assert "is scaled to 0 replicas: pods start without a sidecar (failurePolicy Ignore)" in finding.message
    assert finding.rendered_steps()[0] == (
        "kubectl scale deployment/linkerd-proxy-injector -n linkerd --current-replicas=0 --replicas=1"
    )
    assert finding.plan.as_dict()["operations"][0] == {
        "op": "scale",
        "target": {"kind": "Deployment", "namespace": "linkerd", "name": "linkerd-proxy-injector"},
        "value": 1,
        "expect": 0,
        "expect_absent": False,
        "risk": "safe",
    }
    assert finding.affects == [VOTING, namespace_ref("emoji")]


# ---- SI302 -------------------------------------------------------------------------------------


def test_si302_pods_not_ready():
    [finding] = f.run(r.injector_no_endpoints, istiod_down(f.istio_cp()) + shop())
    assert (finding.kind, finding.name) == ("Service", "istiod")
    assert "the 1 pod(s) it selects are not Ready" in finding.message
    assert finding.evidence[:2] == [
        EV("Service istio-system/istiod", "spec.selector", "app=istiod,istio=pilot"),
        EV("Endpoints istio-system/istiod", "ready addresses", "0 ready, 1 not ready"),
    ]
    assert finding.rendered_steps() == [
        "kubectl get pods -n istio-system -l app=istiod,istio=pilot -o wide",
        "kubectl logs -n istio-system deploy/istiod --all-containers --tail=100",
    ]
    assert finding.plan.target == ObjectRef("Service", "istiod", "istio-system")
    assert finding.affects == [WEB, namespace_ref("shop")]


def test_si302_selector_mismatch():
    objects = f.istio_cp()
    f.find(objects, "Service", "istiod")["spec"]["selector"] = {"app": "istiod", "istio": "pilot-old"}
    f.find(objects, "Endpoints", "istiod")["subsets"] = []
    [finding] = f.run(r.injector_no_endpoints, objects)
    assert "its selector app=istiod,istio=pilot-old matches no pod" in finding.message
    assert finding.rendered_steps() == [
        "kubectl get pods -n istio-system -l app=istiod,istio=pilot-old",
        "kubectl get service istiod -n istio-system -o 'jsonpath={.spec.selector}'",
        "# fix the Service selector or the pod template labels so they match (re-render the chart)",
    ]
    assert (
        EV(
            "Deployment istio-system/istiod",
            "spec.template.metadata.labels",
            "app=istiod,istio=pilot,istio.io/rev=default,sidecar.istio.io/inject=false",
        )
        in finding.evidence
    )


def test_si302_endpointslices_and_healthy():
    assert f.run(r.injector_no_endpoints, f.istio_cp()) == []
    objects = [o for o in f.istio_cp() if o["kind"] != "Endpoints"]
    objects.append(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "istiod-abc",
                "namespace": "istio-system",
                "labels": {"kubernetes.io/service-name": "istiod"},
            },
            "endpoints": [{"addresses": ["10.0.3.7"], "conditions": {"ready": False}}],
        }
    )
    findings = f.run(r.injector_no_endpoints, objects, read=f.ALL_READ + ("endpointslices",))
    assert findings[0].evidence[1] == EV("EndpointSlice istio-system/istiod", "ready addresses", "0 ready, 1 not ready")


# ---- SI306 -------------------------------------------------------------------------------------


def test_si306_named_port_missing():
    objects = f.linkerd_cp()
    f.find(objects, "Service", "linkerd-proxy-injector")["spec"]["ports"][0]["targetPort"] = "injector-https"
    [finding] = f.run(r.webhook_port_mismatch, objects)
    assert finding.severity == "error"
    assert (
        "targets named port injector-https, which no container of linkerd-proxy-injector-5f6d-xyz12 declares"
        in finding.message
    )
    assert finding.evidence == [
        EV("Service linkerd/linkerd-proxy-injector", "spec.ports[port=443].targetPort", "injector-https"),
        EV(
            "Pod linkerd/linkerd-proxy-injector-5f6d-xyz12",
            "spec.containers[*].ports",
            "8443/proxy-injector, 9995/injector-admin",
        ),
    ]
    assert finding.rendered_steps() == [
        "kubectl get pod linkerd-proxy-injector-5f6d-xyz12 -n linkerd -o 'jsonpath={.spec.containers[*].ports}'",
        "# rename the Service targetPort or the container port so they match (re-render the chart)",
    ]
    assert (finding.plan.action, kinds(finding)) == ("manual", ["inspect", "note"])


def test_si306_numbered_port_elsewhere_is_error():
    objects = f.istio_cp() + shop()
    f.find(objects, "Service", "istiod")["spec"]["ports"][0]["targetPort"] = 15018
    [finding] = f.run(r.webhook_port_mismatch, objects)
    assert finding.severity == "error" and "the injector listens on 15017" in finding.message
    assert finding.rendered_steps() == [
        "kubectl patch service/istiod -n istio-system --type json -p "
        '\'[{"op":"test","path":"/spec/ports/0/port","value":443},'
        '{"op":"test","path":"/spec/ports/0/targetPort","value":15018},'
        '{"op":"replace","path":"/spec/ports/0/targetPort","value":15017}]\''
    ]
    [patch] = finding.plan.as_dict()["operations"]
    assert (patch["target"], patch["expect"], patch["guards"], patch["value"]) == (
        {"kind": "Service", "namespace": "istio-system", "name": "istiod"},
        15018,
        [["/spec/ports/0/port", 443]],
        15017,
    )
    assert finding.affects == [WEB, namespace_ref("shop")]


def test_si306_undeclared_port_is_a_warning_without_a_patch():
    objects = f.istio_cp()
    istiod = f.find(objects, "Pod", "istiod-7d4b9c-abcde")
    istiod["spec"]["containers"][0]["ports"] = []
    f.find(objects, "Service", "istiod")["spec"]["ports"][0]["targetPort"] = 15018
    [finding] = f.run(r.webhook_port_mismatch, objects)
    assert finding.severity == "warning"
    assert kinds(finding) == ["inspect", "note"]  # it may listen there undeclared: look before changing


def test_si306_healthy_named_and_numbered():
    assert f.run(r.webhook_port_mismatch, f.istio_cp() + f.linkerd_cp()) == []


# ---- SI304 -------------------------------------------------------------------------------------


def policy(name, spec, ns="istio-system"):
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def test_si304_default_deny_blocks():
    objects = f.istio_cp() + shop() + [policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress"]})]
    [finding] = f.run(r.networkpolicy_blocks_webhook, objects)
    assert (finding.severity, finding.kind, finding.name, finding.action) == (
        "error",
        "NetworkPolicy",
        "default-deny",
        "allow_webhook_ingress",
    )
    assert finding.evidence == [
        EV(
            "NetworkPolicy istio-system/default-deny",
            "spec",
            "podSelector <all>; policyTypes Ingress; no ingress rules (denies all ingress)",
        ),
        EV(
            "Pod istio-system/istiod-7d4b9c-abcde",
            "metadata.labels",
            "app=istiod,istio=pilot,istio.io/rev=default,sidecar.istio.io/inject=false",
        ),
    ]
    plan = finding.plan.as_dict()
    assert (plan["action"], plan["risk"], plan["opt_in"]) == ("allow_webhook_ingress", "safe", ["remediate_webhooks"])
    create = plan["operations"][0]
    manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-apiserver-to-istiod", "namespace": "istio-system"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "istiod", "istio": "pilot"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": 15017}]}],
        },
    }
    assert (create["op"], create["target"], create["manifest"]) == (
        "create",
        {"kind": "NetworkPolicy", "namespace": "istio-system", "name": "allow-apiserver-to-istiod"},
        manifest,
    )
    head, body = finding.rendered_steps()[0].split("\n", 1)
    assert head.startswith("kubectl create -f - <<'EOF'")
    assert json.loads(body.rsplit("\nEOF", 1)[0]) == manifest
    assert finding.affects == [WEB, namespace_ref("shop")]
    # a policy of that name already exists (and still blocks): the new one gets another name
    taken = objects + [policy("allow-apiserver-to-istiod", {"podSelector": {"matchLabels": {"app": "nope"}}})]
    [again] = [x for x in f.run(r.networkpolicy_blocks_webhook, taken) if x.name == "default-deny"]
    assert again.plan.operations[0].target.name == "allow-apiserver-to-istiod-2"


def test_si304_selector_peer_only_blocks_and_port_rule_admits():
    from_pods = policy(
        "from-mesh",
        {
            "podSelector": {"matchLabels": {"app": "istiod"}},
            "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 15017}]}],
        },
    )
    [finding] = f.run(r.networkpolicy_blocks_webhook, f.istio_cp() + [from_pods])
    assert finding.evidence[0]["value"] == (
        "podSelector app=istiod; policyTypes Ingress; allow TCP/15017 from selector peer"
    )
    allow = policy(
        "allow-webhook",
        {"podSelector": {"matchLabels": {"app": "istiod"}}, "ingress": [{"ports": [{"port": "https-webhooks"}]}]},
    )
    assert f.run(r.networkpolicy_blocks_webhook, f.istio_cp() + [from_pods, allow]) == []


def test_si304_ipblock_is_uncertain_warning():
    vpc = policy("vpc-only", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})
    [finding] = f.run(r.networkpolicy_blocks_webhook, f.istio_cp() + [vpc])
    assert finding.severity == "warning"


def test_si304_linkerd_named_target_port_resolved():
    deny_8443 = policy("only-admin", {"podSelector": {}, "ingress": [{"ports": [{"port": 9995}]}]}, ns="linkerd")
    [finding] = f.run(r.networkpolicy_blocks_webhook, f.linkerd_cp() + [deny_8443])
    assert "cannot reach port 8443" in finding.message


# ---- SI303 -------------------------------------------------------------------------------------


def test_si303_groups_by_webhook_and_class():
    x509 = call_failure("tls: failed to verify certificate: x509: certificate signed by unknown authority")
    timeout = call_failure("context deadline exceeded")
    objects = f.istio_cp() + [
        f.event("shop", "ReplicaSet", "web-5d8f", x509, count=4, last="2026-11-27T11:00:00Z"),
        f.event("shop", "ReplicaSet", "api-7c9d", x509, count=2, last="2026-11-27T10:00:00Z"),
        f.event("shop", "ReplicaSet", "db-1a2b", timeout, count=1),
        replicaset("web-5d8f", "shop", "web"),
    ]
    findings = f.run(r.webhook_call_failed, objects)
    assert [(x.code, x.name) for x in findings] == [("SI303", "istio-sidecar-injector")] * 2
    timeout_f, x509_f = findings
    assert x509_f.message == (
        "the API server failed to call webhook namespace.sidecar-injector.istio.io "
        "(x509-unknown-authority) 6 time(s); last error: tls: failed to verify certificate: "
        "x509: certificate signed by unknown authority"
    )
    assert x509_f.evidence == [
        EV("ReplicaSet shop/web-5d8f", "event FailedCreate message (x4, last 2026-11-27T11:00:00Z)", x509),
        EV("ReplicaSet shop/api-7c9d", "event FailedCreate message (x2, last 2026-11-27T10:00:00Z)", x509),
    ]
    assert x509_f.mesh == "istio"
    assert x509_f.rendered_steps() == [
        "# the webhook caBundle does not sign the injector's certificate (SI404)",
        "kubectl get endpoints istiod -n istio-system -o wide",
        "kubectl get pods -n istio-system -o wide",
        "kubectl get mutatingwebhookconfiguration istio-sidecar-injector -o "
        "'jsonpath={.webhooks[2].clientConfig.caBundle}' | base64 -d | openssl x509 -noout -subject -enddate "
        "-fingerprint -sha256",
    ]
    # the refused objects: web-5d8f stands for its Deployment; api-7c9d is not in the snapshot
    assert x509_f.affects == [
        ObjectRef("Deployment", "web", "shop"),
        ObjectRef("ReplicaSet", "api-7c9d", "shop"),
        namespace_ref("shop"),
    ]
    assert "(timeout)" in timeout_f.message
    probe = timeout_f.rendered_steps()[-1]
    assert shlex.split(probe.split("   # ")[0])[-1] == "https://istiod.istio-system.svc:443/inject"
    assert probe.startswith("kubectl run webhook-probe -n default --rm -i --restart=Never")
    assert {op.op for op in timeout_f.plan.operations} == {"note", "inspect"}


def test_si303_unknown_webhook_and_nothing():
    message = call_failure(
        "Address is not allowed",
        hook="vault.hashicorp.com",
        url="https://vault-agent-injector-svc.vault.svc:443/mutate?timeout=10s",
    )
    [finding] = f.run(r.webhook_call_failed, [f.event("shop", "ReplicaSet", "web-1", message)])
    assert (finding.kind, finding.name, finding.mesh) == ("Event", "vault.hashicorp.com", "any")
    assert "(address-not-allowed)" in finding.message
    assert finding.rendered_steps() == [
        "# the managed control plane may not dial that address: EKS with an overlay CNI (SI305)"
    ]
    assert finding.affects == [ObjectRef("ReplicaSet", "web-1", "shop"), namespace_ref("shop")]
    assert (
        f.run(
            r.webhook_call_failed,
            [f.event("shop", "Pod", "web-1", "Back-off restarting failed container", reason="BackOff")],
        )
        == []
    )


# ---- SI307 -------------------------------------------------------------------------------------


def test_si307_istio_denial():
    message = (
        'Error creating: admission webhook "namespace.sidecar-injector.istio.io" denied the request: '
        "Injection failed due to invalid annotations: traffic.sidecar.istio.io/includeInboundPorts: port "
        '"abc" is not a valid port'
    )
    objects = (
        f.istio_cp() + shop() + [f.event("shop", "ReplicaSet", "web-1", message), replicaset("web-1", "shop", "web")]
    )
    [finding] = f.run(r.injection_denied, objects)
    assert finding.message.startswith(
        "the Istio injector namespace.sidecar-injector.istio.io denied 1 pod create(s): "
        "Injection failed due to invalid annotations"
    )
    assert finding.evidence == [
        EV("ReplicaSet shop/web-1", "event FailedCreate message (x1, last 2026-11-27T11:00:00Z)", message)
    ]
    assert finding.rendered_steps()[2:] == [
        "istioctl x precheck",
        "kubectl logs -n istio-system deploy/istiod --tail=200 | grep -i inject",
    ]
    assert finding.affects == [WEB, namespace_ref("shop")]


def test_si307_linkerd_denial_reads_the_injector_and_its_config():
    message = (
        'Error creating: admission webhook "linkerd-proxy-injector.linkerd.io" denied the request: '
        "failed to parse linkerd-config"
    )
    objects = f.linkerd_cp() + emoji() + [f.event("emoji", "ReplicaSet", "voting-1", message)]
    [finding] = f.run(r.injection_denied, objects)
    assert finding.rendered_steps() == [
        "kubectl logs -n linkerd deploy/linkerd-proxy-injector -c proxy-injector --tail=200",
        "kubectl get configmap linkerd-config -n linkerd -o 'jsonpath={.data.values}'   # must parse",
        "linkerd check",
    ]
    assert finding.plan.target == ObjectRef("MutatingWebhookConfiguration", "linkerd-proxy-injector-webhook-config")
    assert finding.affects == [VOTING, ObjectRef("ReplicaSet", "voting-1", "emoji"), namespace_ref("emoji")]


def test_si307_policy_engine_denial_is_not_injection_denied():
    message = (
        'Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [psp-capabilities] '
        "container <istio-init> has a disallowed capability"
    )
    assert f.run(r.injection_denied, f.istio_cp() + [f.event("shop", "ReplicaSet", "web-1", message)]) == []


def test_si302_without_endpoint_objects_uses_pod_readiness():
    healthy = [o for o in f.istio_cp() if o["kind"] != "Endpoints"]
    assert f.run(r.injector_no_endpoints, healthy) == []  # no Endpoints object is not "no endpoints"
    down = [o for o in istiod_down(f.istio_cp()) if o["kind"] != "Endpoints"]
    [finding] = f.run(r.injector_no_endpoints, down)
    assert finding.evidence[1] == EV(
        "Pods in istio-system matching the selector",
        "status.conditions[Ready] (no Endpoints object)",
        "0 ready, 1 not ready",
    )
