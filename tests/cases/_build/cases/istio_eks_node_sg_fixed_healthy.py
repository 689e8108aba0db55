"""istio/istio#36955, after the fix the thread converged on: the node security group admits the
cluster security group on 15017 (and 15012); the same cluster now injects every new pod."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, injected_pods

CASE = "istio-eks-node-sg-fixed-healthy"
INSTALLED = "2022-01-10T09:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.21.5-eks-bc4871b"), "2022-01-13T10:00:00Z", "2022-01-10T08:00:00Z")
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
            created="2022-01-12T15:10:00Z",
        )
        injected_pods(c, istio, rs, 2, created="2022-01-13T09:20:00Z")
    return c
