"""istio/istio#29912: a fresh Istio 1.8.1 on a private GKE cluster; the automatic master firewall
rule opens 443 and 10250 only, so the API server's calls to istiod on 15017 time out."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio

CASE = "istio-gke-private-master-firewall"
INSTALLED = "2021-01-07T14:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "sidecar-injector.istio.io": Post '
    "https://istiod.istio-system.svc:443/inject?timeout=30s: net/http: request canceled while waiting for connection "
    "(Client.Timeout exceeded while awaiting headers)"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.17.14-gke.1600"), "2021-01-07T16:35:00Z", "2021-01-07T13:00:00Z")
    platforms.gke(c, "v1.17.14-gke.1600", count=3, private=True, cluster="mesh", zone="us-central1-c")
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"], "2021-01-07T13:00:00Z")
    c.namespace("sample", {"istio-injection": "enabled"}, created="2021-01-07T16:20:00Z")
    istio = Istio(c, "1.8.1", INSTALLED, root=Authority("", valid_from("2021-01-07"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    _deploy, rs = c.deployment(
        "sample",
        "sleep",
        app("sleep", "governmentpaas/curl-ssl"),
        ready=0,
        created="2021-01-07T16:25:00Z",
        failure="Error creating: " + FAILURE,
    )
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=9, first="2021-01-07T16:25:03Z")
    return c
