"""linkerd/linkerd2#10817 (and #3104, where the maintainers first discussed it), as Linkerd later
fixed it: from edge-24.3.4 the proxy-injector's namespaceSelector excludes kube-system and
cert-manager by name, so an HA install (failurePolicy Fail) no longer holds kube-system hostage.
EKS, Linkerd 2.16 HA, all replicas up, the meshed namespace fully injected."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, container, template
from tests.cases._build.istio import plain_pods
from tests.cases._build.linkerd import Linkerd, injected_pods

CASE = "linkerd-eks-ha-kube-system-excluded-healthy"
INSTALLED = "2024-09-02T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.29.6-eks-db838b0"), "2024-09-10T09:00:00Z", "2024-08-20T08:00:00Z")
    platforms.eks(c, "v1.29.3-eks-ae9a62a", count=3, cluster="prod", region="us-east-1")
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease"], "2024-08-20T08:00:00Z")
    c.namespace("payments", annotations={"linkerd.io/inject": "enabled"}, created="2024-09-02T12:00:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2024-09-02"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2024-09-02"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2024-09-02"))
    linkerd = Linkerd(c, "edge-24.8.2", INSTALLED, ha=True, anchor=anchor)
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64)
    coredns = template(
        {"k8s-app": "kube-dns"},
        [container("coredns", "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.1")],
    )
    _d, rs = c.deployment(
        "kube-system", "coredns", coredns, replicas=2, labels={"k8s-app": "kube-dns"}, created="2024-08-20T08:05:00Z"
    )
    plain_pods(c, rs, 2, created="2024-09-09T22:00:00Z")
    _deploy, rs = c.deployment(
        "payments",
        "ledger",
        app("ledger", "registry.example.com/payments/ledger:4.0"),
        replicas=2,
        created="2024-09-02T12:10:00Z",
    )
    injected_pods(c, linkerd, rs, 2, created="2024-09-09T22:05:00Z")
    return c
