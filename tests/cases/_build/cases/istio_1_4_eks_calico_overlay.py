"""istio/istio#13840 (comment of 2019-11-19): EKS 1.14 with Istio 1.4 and the Calico CNI instead of
the AWS VPC CNI; the managed control plane cannot route to Calico pod IPs, so calls to the
istio-sidecar-injector time out. Running the injector with hostNetwork: true made injection work."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio

CASE = "istio-1-4-eks-calico-overlay"
INSTALLED = "2019-11-18T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "sidecar-injector.istio.io": Post '
    "https://istio-sidecar-injector.istio-system.svc:443/inject?timeout=30s: context deadline exceeded"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.14.8-eks-b8860f"), "2019-11-19T09:00:00Z", "2019-11-18T09:00:00Z")
    platforms.eks(c, "v1.14.7-eks-1861c5", count=2, cni="calico", cluster="calico-eks", region="us-east-1")
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2019-11-18T09:00:00Z")
    for name in ("kube-system", "istio-system"):
        c.namespace(name, {"istio-injection": "disabled"}, created="2019-11-18T09:00:00Z")
    c.namespace("apps", {"istio-injection": "enabled"}, created="2019-11-18T12:00:00Z")
    root = Authority("", valid_from("2019-11-18"), org="cluster.local")
    istio = Istio(c, "1.4.0", INSTALLED, root=root)
    istio.control_plane()
    istio.citadel_workload_secret(
        "istio-sidecar-injector-service-account",
        serving("istio-sidecar-injector.istio-system.svc", valid_from("2019-11-18"), issuer=root),
    )
    istio.mwc(ca=root.b64)
    istio.rbac()
    _deploy, rs = c.deployment(
        "apps",
        "frontend",
        app("frontend", "nginx:1.17"),
        replicas=2,
        ready=0,
        created="2019-11-19T08:30:00Z",
        failure="Error creating: " + FAILURE,
    )
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=11, first="2019-11-19T08:30:04Z")
    return c
