"""istio/istio#19066: Istio 1.4.0 (separate istio-sidecar-injector Deployment, Service 443 -> 9443)
on a private GKE cluster; the master firewall does not open 9443 and every call times out. Manual
injection works; the fix (kubeflow/kubeflow#3650) was a firewall rule for 9443 from the master CIDR."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio

CASE = "istio-1-4-gke-private-legacy-injector"
INSTALLED = "2019-11-19T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "sidecar-injector.istio.io": Post '
    "https://istio-sidecar-injector.istio-system.svc:443/inject?timeout=30s: net/http: request canceled while waiting "
    "for connection (Client.Timeout exceeded while awaiting headers)"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.14.8-gke.12"), "2019-11-19T14:00:00Z", "2019-11-19T09:00:00Z")
    platforms.gke(c, "v1.14.8-gke.12", count=1, private=True, cluster="cluster1", zone="europe-west3-a")
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2019-11-19T09:00:00Z")
    for name in ("kube-system", "istio-system"):  # the 1.4 installer labels both disabled
        c.namespace(name, {"istio-injection": "disabled"}, created="2019-11-19T09:00:00Z")
    c.namespace("test", {"istio-injection": "enabled"}, created="2019-11-19T13:00:00Z")
    root = Authority("", valid_from("2019-11-19"), org="cluster.local")
    istio = Istio(c, "1.4.0", INSTALLED, root=root)
    istio.control_plane()
    istio.citadel_workload_secret(
        "istio-sidecar-injector-service-account",
        serving("istio-sidecar-injector.istio-system.svc", valid_from("2019-11-19"), issuer=root),
    )
    istio.mwc(ca=root.b64)
    istio.rbac()
    _deploy, rs = c.deployment(
        "test",
        "test",
        app("test", "nginx:1.17"),
        ready=0,
        created="2019-11-19T13:30:00Z",
        failure="Error creating: " + FAILURE,
    )
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=14, first="2019-11-19T13:30:05Z")
    return c
