"""istio/istio#16536: on GKE, pod creation in enabled namespaces failed for 30-40 minutes with `no
endpoints available for service "istio-sidecar-injector"`; the maintainers: no endpoints means no
injector replica was Ready (evicted or crashing). Legacy layout (separate injector Deployment)."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, container, crashing
from tests.cases._build.istio import HUB, Istio, injected_pods

CASE = "istio-legacy-injector-down-gke"
INSTALLED = "2019-07-01T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "sidecar-injector.istio.io": Post '
    "https://istio-sidecar-injector.istio-system.svc:443/inject?timeout=30s: no endpoints available for service "
    '"istio-sidecar-injector"'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.13.7-gke.8"), "2019-08-24T18:20:00Z", "2019-07-01T09:00:00Z")
    platforms.gke(c, "v1.13.7-gke.8", count=3, cluster="prod", pool="pool-1", zone="europe-west1-d")
    c.namespaces(["default", "kube-public"], "2019-07-01T09:00:00Z")
    for name in ("kube-system", "istio-system"):
        c.namespace(name, {"istio-injection": "disabled"}, created="2019-07-01T09:00:00Z")
    c.namespace("production", {"istio-injection": "enabled"}, created="2019-07-02T09:00:00Z")
    root = Authority("", valid_from("2019-07-01"), org="cluster.local")
    istio = Istio(c, "1.2.4", INSTALLED, root=root)
    injector = container("sidecar-injector-webhook", "%s/sidecar_injector:1.2.4" % HUB)
    istio.control_plane(
        ready=0, pod_statuses=[crashing(injector, "OOMKilled", "2019-08-24T18:15:00Z", restarts=9, exit_code=137)]
    )
    istio.citadel_workload_secret(
        "istio-sidecar-injector-service-account",
        serving("istio-sidecar-injector.istio-system.svc", valid_from("2019-07-01"), issuer=root),
    )
    istio.mwc(ca=root.b64)
    istio.rbac()
    _deploy, rs = c.deployment(
        "production",
        "api",
        app("api", "gcr.io/prod/api:2.7"),
        replicas=3,
        ready=2,
        created="2019-07-02T10:00:00Z",
        failure="Error creating: " + FAILURE,
    )
    injected_pods(c, istio, rs, 2, created="2019-08-20T07:00:00Z")
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=38, first="2019-08-24T17:45:00Z")
    return c
