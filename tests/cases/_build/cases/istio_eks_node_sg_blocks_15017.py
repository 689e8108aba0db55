"""istio/istio#36955: EKS 1.21 built with terraform-aws-modules/eks 18.x, whose node security group
no longer admits the control plane on 15017; every pod create in an enabled namespace times out."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio

CASE = "istio-eks-node-sg-blocks-15017"
INSTALLED = "2022-01-10T09:00:00Z"
CAPTURED = "2022-01-12T15:40:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": '
    'Post "https://istiod.istio-system.svc:443/inject?timeout=10s": context deadline exceeded'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.21.5-eks-bc4871b"), CAPTURED, "2022-01-10T08:00:00Z")
    platforms.eks(c, "v1.21.5-eks-9017834", count=2, cluster="product-cluster", region="eu-west-1", group="main-worker")
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"], "2022-01-10T08:00:00Z")
    c.namespace("product", {"istio-injection": "enabled"}, created="2022-01-12T15:00:00Z")
    istio = Istio(c, "1.12.1", INSTALLED, root=Authority("", valid_from("2022-01-10"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    for name in ("api", "web"):
        _deploy, rs = c.deployment(
            "product",
            name,
            app(name, "registry.example.com/product/%s:1.4.0" % name),
            replicas=2,
            ready=0,
            created="2022-01-12T15:10:00Z",
            failure="Error creating: " + FAILURE,
        )
        c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=17, first="2022-01-12T15:10:05Z")
    return c
