"""linkerd/linkerd2#4889 (comment of 2020-08-20): a Linkerd 2.8 install hit the expiry of
`linkerd-proxy-injector-tls`, the pre-2.9 webhook Secret (`crt.pem`), one year after install.
With the default failurePolicy Ignore the API server fails open: new pods start without a proxy
and only the API server log says why."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, expired, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.linkerd import Linkerd, injected_pods

CASE = "linkerd-2-8-legacy-injector-tls-expired"
INSTALLED = "2019-08-19T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.17.9"), "2020-08-20T16:00:00Z", "2019-08-01T08:00:00Z")
    platforms.kubeadm(c, "v1.17.9", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease"], "2019-08-01T08:00:00Z")
    c.namespace("shop", annotations={"linkerd.io/inject": "enabled"}, created="2019-08-20T08:00:00Z")
    anchor = Authority("identity.linkerd.cluster.local", valid_from("2019-08-19"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2019-08-19"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", expired("2019-08-19", "2020-08-18"))
    linkerd = Linkerd(
        c, "stable-2.8.1", INSTALLED, anchor=anchor
    )  # upgraded in place from 2.5; the webhook cert never renewed
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64, helm=False)
    tmpl = app("cart", "registry.example.com/shop/cart:6.0")
    _deploy, rs = c.deployment("shop", "cart", tmpl, replicas=3, created="2019-08-20T09:00:00Z")
    injected_pods(c, linkerd, rs, 1, created="2020-08-10T09:00:00Z")
    for _ in range(2):  # created after the expiry: admitted without a proxy
        c.pod(rs, created="2020-08-20T14:30:00Z")
    return c
