"""linkerd/linkerd2#5888 (also #5551): the proxy-injector's webhook certificate is issued by
cert-manager (24h, renewed 5h before expiry) and the caBundle is injected by cainjector; the Secret
is renewed but the running injector keeps serving the old certificate, and once it expires every
call fails with `x509: certificate has expired or is not yet valid`. Nothing in the Secret or the
caBundle is wrong: restarting the injector is the fix."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.linkerd import Linkerd, injected_pods

CASE = "linkerd-cert-manager-rotated-injector-stale"
INSTALLED = "2021-03-01T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "linkerd-proxy-injector.linkerd.io": Post '
    "https://linkerd-proxy-injector.linkerd.svc:443/?timeout=30s: x509: certificate has expired or is not yet valid"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.19.9"), "2021-03-11T12:00:00Z", "2021-02-20T08:00:00Z")
    platforms.kubeadm(c, "v1.19.9", count=2)
    c.namespaces(["default", "kube-public", "kube-node-lease", "cert-manager"], "2021-02-20T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2021-02-20T08:00:00Z")
    c.namespace("apps", annotations={"linkerd.io/inject": "enabled"}, created="2021-03-01T12:00:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2021-03-01"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2021-03-01"), issuer=anchor)
    webhook_ca = Authority("webhook.linkerd.cluster.local", valid_from("2021-03-01"))
    renewed = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2021-03-11"), issuer=webhook_ca)
    linkerd = Linkerd(c, "stable-2.9.4", INSTALLED, ha=True, anchor=anchor)
    linkerd.control_plane(renewed, issuer)
    secret = c.find("Secret", "linkerd", "linkerd-proxy-injector-k8s-tls")
    secret["data"]["ca.crt"] = secret["data"]["tls.crt"].__class__(webhook_ca.b64)
    secret["metadata"]["annotations"] = {
        "cert-manager.io/certificate-name": "linkerd-proxy-injector",
        "cert-manager.io/issuer-name": "webhook-issuer",
    }
    linkerd.mwc(ca=webhook_ca.b64, annotations={"cert-manager.io/inject-ca-from": "linkerd/linkerd-proxy-injector"})
    _deploy, rs = c.deployment(
        "apps",
        "checkout",
        app("checkout", "registry.example.com/apps/checkout:2.0"),
        replicas=2,
        ready=1,
        created="2021-03-01T13:00:00Z",
        failure="Error creating: " + FAILURE,
    )
    injected_pods(c, linkerd, rs, 1, created="2021-03-02T08:00:00Z")
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=19, first="2021-03-11T10:05:00Z")
    return c
