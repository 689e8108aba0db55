"""kyverno/kyverno#4521: Kubernetes 1.22.9 self-deployed on AWS with Kyverno 1.7.2 and a verifyImages
policy; as soon as a namespace is meshed, Kyverno's validation rejects the pods: Linkerd's mutation
(the injected proxy and init images) runs after Kyverno's image verification. The thread quotes
Kyverno's log; the event text in this snapshot is Kyverno 1.7's denial format."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, container, template
from tests.cases._build.istio import plain_pods
from tests.cases._build.linkerd import Linkerd

CASE = "linkerd-kyverno-verify-images"
INSTALLED = "2022-08-30T10:00:00Z"
FAILURE = (
    'admission webhook "validate.kyverno.svc-fail" denied the request: \n\npolicy Pod/demo-namespace/ for resource '
    "violation: "
    "\n\ncheck-image-signature:\n  autogen-verify-signature: 'image verification failed for "
    "cr.l5d.io/linkerd/proxy:stable-2.12.0: "
    "image is not verified'\n"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.22.9"), "2022-09-07T08:00:00Z", "2022-08-01T08:00:00Z")
    platforms.plain(
        c,
        "v1.22.9",
        count=3,
        prefix="ip-10-20-1",
        provider="aws:///eu-central-1a/i-0d3e4f5a6b7c8d9e{index}",
        os_image="Flatcar Container Linux by Kinvolk 3227.2.1",
    )
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2022-08-01T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2022-08-01T08:00:00Z")
    c.namespace("kyverno", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2022-08-01T09:00:00Z")
    c.namespace("demo-namespace", annotations={"linkerd.io/inject": "enabled"}, created="2022-09-06T10:00:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2022-08-30"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2022-08-30"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2022-08-30"))
    linkerd = Linkerd(c, "stable-2.12.0", INSTALLED, ha=True, anchor=anchor)
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64)
    kyverno = template(
        {"app.kubernetes.io/name": "kyverno"},
        [container("kyverno", "ghcr.io/kyverno/kyverno:v1.7.2", ports=[(9443, "https")])],
    )
    _d, krs = c.deployment("kyverno", "kyverno", kyverno, created="2022-08-01T09:10:00Z")
    kpods = plain_pods(c, krs, 1, created="2022-08-01T09:10:05Z")
    svc = c.service(
        "kyverno",
        "kyverno-svc",
        [("https", 443, "https")],
        {"app.kubernetes.io/name": "kyverno"},
        created="2022-08-01T09:10:00Z",
    )
    c.endpoints(svc, kpods, [("https", 9443)])
    rule = {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": ["CREATE", "UPDATE"],
        "resources": ["pods"],
        "scope": "*",
    }
    for kind, name, hook, path in (
        (
            "MutatingWebhookConfiguration",
            "kyverno-resource-mutating-webhook-cfg",
            "mutate.kyverno.svc-fail",
            "/mutate/fail",
        ),
        (
            "ValidatingWebhookConfiguration",
            "kyverno-resource-validating-webhook-cfg",
            "validate.kyverno.svc-fail",
            "/validate/fail",
        ),
    ):
        c.webhook_config(
            kind,
            name,
            [
                {
                    "admissionReviewVersions": ["v1beta1"],
                    "clientConfig": {
                        "service": {"name": "kyverno-svc", "namespace": "kyverno", "path": path, "port": 443}
                    },
                    "failurePolicy": "Fail",
                    "matchPolicy": "Equivalent",
                    "name": hook,
                    "namespaceSelector": {
                        "matchExpressions": [
                            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kyverno"]}
                        ]
                    },
                    "objectSelector": {},
                    "rules": [rule],
                    "sideEffects": "NoneOnDryRun",
                    "timeoutSeconds": 10,
                }
                | ({"reinvocationPolicy": "IfNeeded"} if kind.startswith("Mutating") else {})
            ],
            labels={"webhook.kyverno.io/managed-by": "kyverno"},
            created="2022-08-01T09:10:00Z",
        )
    c.add(
        {
            "kind": "ClusterPolicy",
            "metadata": {"name": "check-image-signature", "creationTimestamp": "2022-08-01T09:20:00Z"},
            "spec": {
                "validationFailureAction": "enforce",
                "webhookTimeoutSeconds": 30,
                "rules": [
                    {
                        "name": "verify-signature",
                        "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                        "verifyImages": [
                            {
                                "imageReferences": ["*"],
                                "attestors": [
                                    {"entries": [{"keys": {"publicKeys": "(the cluster's cosign public key)"}}]}
                                ],
                            }
                        ],
                    }
                ],
            },
        }
    )
    _deploy, rs = c.deployment(
        "demo-namespace",
        "signed-app",
        app("signed-app", "registry.example.com/demo/signed-app:1.0"),
        ready=0,
        created="2022-09-07T07:54:50Z",
        failure="Error creating: " + FAILURE,
    )
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=11, first="2022-09-07T07:54:55Z")
    return c
