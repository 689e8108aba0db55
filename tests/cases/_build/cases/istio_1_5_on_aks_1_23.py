"""istio/istio#43348: an AKS cluster upgraded from Kubernetes 1.15 to 1.23 while Istio stayed at
1.5.0; Istio stopped working. The maintainers: 1.5 is nearly three years old and does not support
1.23 (istio.io supported releases); upgrade Istio one minor at a time or migrate to a new cluster."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, injected_pods

CASE = "istio-1-5-on-aks-1-23"
INSTALLED = "2020-03-20T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.23.15"), "2023-02-15T10:00:00Z", "2020-03-01T08:00:00Z")
    platforms.aks(c, "v1.23.15", count=2, cluster="legacy-prod")
    c.namespaces(["default", "kube-public", "kube-node-lease", "istio-system"], "2020-03-01T08:00:00Z")
    c.namespace("kube-system", {"istio-injection": "disabled"}, created="2020-03-01T08:00:00Z")
    c.namespace("web", {"istio-injection": "enabled"}, created="2020-03-21T08:00:00Z")
    istio = Istio(c, "1.5.0", INSTALLED, root=Authority("", valid_from("2020-03-20"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    _deploy, rs = c.deployment(
        "web",
        "storefront",
        app("storefront", "registry.example.com/web/storefront:7.2"),
        replicas=2,
        created="2020-03-21T09:00:00Z",
    )
    injected_pods(c, istio, rs, 2, created="2023-02-10T09:00:00Z")
    return c
