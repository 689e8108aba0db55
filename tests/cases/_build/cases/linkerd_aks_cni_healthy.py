"""linkerd/linkerd2#11073, once the pods stuck on the new node were deleted: Linkerd with linkerd-cni
on AKS, linkerd-cni Ready on every node, every meshed pod past linkerd-network-validator. The
snapshot uses the HA values (failurePolicy Fail, kube-system labelled out as the HA docs require)."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.linkerd import Linkerd, cni_daemonset, injected_pods

CASE = "linkerd-aks-cni-healthy"
INSTALLED = "2023-06-20T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.26.6"), "2023-07-06T12:00:00Z", "2023-06-01T08:00:00Z")
    platforms.aks(c, "v1.26.6", count=3, cluster="workloads")
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2023-06-01T08:00:00Z")
    c.namespace(
        "kube-system",
        {
            "config.linkerd.io/admission-webhooks": "disabled",
            "control-plane": "true",
            "kubernetes.azure.com/managedby": "aks",
        },
        created="2023-06-01T08:00:00Z",
    )
    c.namespace(
        "linkerd-cni",
        {
            "config.linkerd.io/admission-webhooks": "disabled",
            "linkerd.io/cni-resource": "true",
            "pod-security.kubernetes.io/enforce": "privileged",
        },
        created=INSTALLED,
    )
    c.namespace("orders", annotations={"linkerd.io/inject": "enabled"}, created="2023-06-21T08:00:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2023-06-20"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2023-06-20"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2023-06-20"))
    linkerd = Linkerd(c, "stable-2.13.5", INSTALLED, ha=True, anchor=anchor)
    linkerd.control_plane(cert, issuer, cni=True)
    mwc = linkerd.mwc(ca=cert.b64)
    for hook in mwc["webhooks"]:  # the AKS admissions enforcer's additions
        hook["namespaceSelector"]["matchExpressions"] += [
            {"key": "control-plane", "operator": "NotIn", "values": ["true"]},
            {"key": "kubernetes.azure.com/managedby", "operator": "NotIn", "values": ["aks"]},
        ]
    cni_daemonset(c, linkerd, INSTALLED, nodes=3)
    _deploy, rs = c.deployment(
        "orders",
        "orders-worker",
        app("orders-worker", "registry.example.com/orders/worker:8.4"),
        replicas=4,
        created="2023-06-21T09:00:00Z",
    )
    injected_pods(c, linkerd, rs, 4, created="2023-07-06T11:00:00Z", cni=True)
    return c
