"""istio/istio#29912, fixed as istio.io's GKE setup page says: the master firewall rule also allows
tcp:15017. The cluster still has no ExternalIP on its nodes, and every enabled pod carries a proxy."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, injected_pods

CASE = "istio-gke-private-firewall-opened-healthy"
INSTALLED = "2021-01-07T14:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.17.14-gke.1600"), "2021-01-08T09:00:00Z", "2021-01-07T13:00:00Z")
    platforms.gke(c, "v1.17.14-gke.1600", count=3, private=True, cluster="mesh", zone="us-central1-c")
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"], "2021-01-07T13:00:00Z")
    c.namespace("sample", {"istio-injection": "enabled"}, created="2021-01-07T16:20:00Z")
    istio = Istio(c, "1.8.1", INSTALLED, root=Authority("", valid_from("2021-01-07"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    for name in ("sleep", "httpbin"):
        _deploy, rs = c.deployment(
            "sample",
            name,
            app(name, "docker.io/kennethreitz/httpbin" if name == "httpbin" else "governmentpaas/curl-ssl"),
            created="2021-01-07T16:25:00Z",
        )
        injected_pods(c, istio, rs, 1, created="2021-01-07T17:05:00Z")
    return c
