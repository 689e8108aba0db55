"""linkerd/linkerd2#5697: deployments time out; `linkerd check` passes, but events show the
proxy-injector's webhook certificate (365 days, generated at install) expired: `x509: certificate
has expired or is not yet valid`. With the HA failurePolicy Fail no new pod is created."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, expired, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.linkerd import Linkerd, injected_pods

CASE = "linkerd-webhook-cert-expired"
INSTALLED = "2020-02-05T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "linkerd-proxy-injector.linkerd.io": Post '
    "https://linkerd-proxy-injector.linkerd.svc:443/?timeout=30s: x509: certificate has expired or is not yet valid"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.19.7"), "2021-02-09T14:00:00Z", "2020-02-01T08:00:00Z")
    platforms.kubeadm(c, "v1.19.7", count=2)
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2020-02-01T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2020-02-01T08:00:00Z")
    c.namespace("myapp", annotations={"linkerd.io/inject": "enabled"}, created="2020-02-06T08:00:00Z")
    anchor = Authority("identity.linkerd.cluster.local", valid_from("2020-02-05"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2020-02-05"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", expired("2020-02-05", "2021-02-04"))
    linkerd = Linkerd(c, "stable-2.9.3", INSTALLED, ha=True, anchor=anchor)
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64, helm=False)
    _deploy, rs = c.deployment(
        "myapp",
        "orders",
        app("orders", "registry.example.com/myapp/orders:4.1"),
        replicas=3,
        ready=2,
        created="2020-02-06T09:00:00Z",
        failure="Error creating: " + FAILURE,
    )
    injected_pods(c, linkerd, rs, 2, created="2021-01-20T09:00:00Z")
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=28, first="2021-02-09T11:20:00Z")
    return c
