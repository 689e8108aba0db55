from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import reachability as r
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f

ISTIO_URL = "https://istiod.istio-system.svc:443/inject?timeout=10s"


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
    [finding] = f.run(r.injector_unavailable, istiod_down(f.istio_cp()))
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


def test_si301_linkerd_scaled_to_zero():
    objects = [o for o in f.linkerd_cp() if o["kind"] != "Pod"]
    deploy = f.find(objects, "Deployment", "linkerd-proxy-injector")
    deploy["spec"]["replicas"] = 0
    deploy["status"] = {"replicas": 0}
    [finding] = f.run(r.injector_unavailable, objects)
    assert "is scaled to 0 replicas: pods start without a sidecar (failurePolicy Ignore)" in finding.message
    assert finding.steps[0] == "kubectl scale deployment linkerd-proxy-injector -n linkerd --replicas=1"


# ---- SI302 -------------------------------------------------------------------------------------


def test_si302_pods_not_ready():
    [finding] = f.run(r.injector_no_endpoints, istiod_down(f.istio_cp()))
    assert (finding.kind, finding.name) == ("Service", "istiod")
    assert "the 1 pod(s) it selects are not Ready" in finding.message
    assert finding.evidence[:2] == [
        EV("Service istio-system/istiod", "spec.selector", "app=istiod,istio=pilot"),
        EV("Endpoints istio-system/istiod", "ready addresses", "0 ready, 1 not ready"),
    ]


def test_si302_selector_mismatch():
    objects = f.istio_cp()
    f.find(objects, "Service", "istiod")["spec"]["selector"] = {"app": "istiod", "istio": "pilot-old"}
    f.find(objects, "Endpoints", "istiod")["subsets"] = []
    [finding] = f.run(r.injector_no_endpoints, objects)
    assert "its selector app=istiod,istio=pilot-old matches no pod" in finding.message
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


def test_si306_numbered_port_elsewhere_is_error():
    objects = f.istio_cp()
    f.find(objects, "Service", "istiod")["spec"]["ports"][0]["targetPort"] = 15018
    [finding] = f.run(r.webhook_port_mismatch, objects)
    assert finding.severity == "error" and "the injector listens on 15017" in finding.message
    assert finding.steps == [
        'kubectl patch service istiod -n istio-system --type json -p \'[{"op":"replace","path":'
        '"/spec/ports/0/targetPort","value":15017}]\''
    ]


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
    objects = f.istio_cp() + [policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress"]})]
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
    assert "port: 15017" in finding.steps[0] and "namespace: istio-system" in finding.steps[0]


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
    assert any("openssl x509 -noout -subject -enddate -fingerprint -sha256" in s for s in x509_f.steps)
    assert "(timeout)" in timeout_f.message
    assert any(s.startswith("kubectl run webhook-probe") for s in timeout_f.steps)


def test_si303_unknown_webhook_and_nothing():
    message = call_failure(
        "Address is not allowed",
        hook="vault.hashicorp.com",
        url="https://vault-agent-injector-svc.vault.svc:443/mutate?timeout=10s",
    )
    [finding] = f.run(r.webhook_call_failed, [f.event("shop", "ReplicaSet", "web-1", message)])
    assert (finding.kind, finding.name, finding.mesh) == ("Event", "vault.hashicorp.com", "any")
    assert "(address-not-allowed)" in finding.message
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
    [finding] = f.run(r.injection_denied, f.istio_cp() + [f.event("shop", "ReplicaSet", "web-1", message)])
    assert finding.message.startswith(
        "the Istio injector namespace.sidecar-injector.istio.io denied 1 pod create(s): "
        "Injection failed due to invalid annotations"
    )
    assert finding.evidence == [
        EV("ReplicaSet shop/web-1", "event FailedCreate message (x1, last 2026-11-27T11:00:00Z)", message)
    ]


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
