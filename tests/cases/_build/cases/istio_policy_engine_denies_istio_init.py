"""deckhouse/deckhouse#7414: the platform's admission-policy-engine (a Gatekeeper-based validating
webhook) enforces the baseline Pod Security policy on namespaces labelled for it; with the sidecar
injected, every pod of an enabled namespace is denied because istio-init adds NET_ADMIN/NET_RAW."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app, container, template
from tests.cases._build.istio import Istio, plain_pods

CASE = "istio-policy-engine-denies-istio-init"
INSTALLED = "2024-01-15T10:00:00Z"
FAILURE = (
    'admission webhook "admission-policy-engine.deckhouse.io" denied the request: '
    "[d8-pod-security-baseline-deny-default] "
    'init container <istio-init> has a disallowed capability. Allowed capabilities are ["AUDIT_WRITE", "CHOWN", '
    '"DAC_OVERRIDE", '
    '"FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.27.10"), "2024-02-07T12:00:00Z", "2024-01-10T08:00:00Z")
    platforms.kubeadm(c, "v1.27.10", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease", "d8-istio"], "2024-01-10T08:00:00Z")
    c.namespace("d8-admission-policy-engine", created="2024-01-10T08:00:00Z")
    c.namespace(
        "test-istio",
        {"istio-injection": "enabled", "security.deckhouse.io/pod-policy": "baseline"},
        created="2024-02-07T11:00:00Z",
    )
    istio = Istio(
        c, "1.19.7", INSTALLED, namespace="d8-istio", root=Authority("", valid_from("2024-01-15"), org="cluster.local")
    )
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    engine = template(
        {"app": "gatekeeper", "control-plane": "controller-manager"},
        [container("manager", "registry.deckhouse.io/gatekeeper:v3.14.0", ports=[(8443, "webhook-server")])],
    )
    _d, engine_rs = c.deployment(
        "d8-admission-policy-engine",
        "gatekeeper-controller-manager",
        engine,
        replicas=2,
        created="2024-01-10T08:30:00Z",
    )
    engine_pods = plain_pods(c, engine_rs, 2, created="2024-01-10T08:31:00Z")
    svc = c.service(
        "d8-admission-policy-engine",
        "gatekeeper-webhook-service",
        [("https-webhook-server", 443, "webhook-server")],
        {"control-plane": "controller-manager"},
        created="2024-01-10T08:30:00Z",
    )
    c.endpoints(svc, engine_pods, [("https-webhook-server", 8443)])
    c.webhook_config(
        "ValidatingWebhookConfiguration",
        "d8-admission-policy-engine-config",
        [
            {
                "admissionReviewVersions": ["v1", "v1beta1"],
                "clientConfig": {
                    "service": {
                        "name": "gatekeeper-webhook-service",
                        "namespace": "d8-admission-policy-engine",
                        "path": "/v1/admit",
                        "port": 443,
                    }
                },
                "failurePolicy": "Ignore",
                "matchPolicy": "Exact",
                "name": "admission-policy-engine.deckhouse.io",
                "namespaceSelector": {
                    "matchExpressions": [{"key": "admission.gatekeeper.sh/ignore", "operator": "DoesNotExist"}]
                },
                "objectSelector": {},
                "rules": [
                    {
                        "apiGroups": ["*"],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["*"],
                        "scope": "*",
                    }
                ],
                "sideEffects": "None",
                "timeoutSeconds": 10,
            }
        ],
        created="2024-01-10T08:30:00Z",
    )
    _deploy, rs = c.deployment(
        "test-istio",
        "echo",
        app("echo", "registry.example.com/echo:1.0"),
        ready=0,
        created="2024-02-07T11:30:00Z",
        failure="Error creating: " + FAILURE,
    )
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=14, first="2024-02-07T11:55:00Z")
    return c
