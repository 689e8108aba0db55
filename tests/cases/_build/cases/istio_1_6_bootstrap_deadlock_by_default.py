"""istio/istio#26380: with injection on by default the injector's namespaceSelector also matches
istio-system (the chart excludes it by a `name` label the API server never sets), failurePolicy is
Fail, and after a complete istiod outage (scaled to 0) the replacement istiod pod cannot be created:
the webhook it serves must be called first."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, injected_pods

CASE = "istio-1-6-bootstrap-deadlock-by-default"
INSTALLED = "2020-08-03T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "sidecar-injector.istio.io": Post '
    'https://istiod.istio-system.svc:443/inject?timeout=30s: no endpoints available for service "istiod"'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.18.6"), "2020-08-11T15:00:00Z", "2020-08-01T09:00:00Z")
    platforms.kubeadm(c, "v1.18.6", count=2)
    c.namespaces(["default", "kube-public", "kube-node-lease", "istio-system", "shop"], "2020-08-01T09:00:00Z")
    c.namespace("kube-system", {"istio-injection": "disabled"}, created="2020-08-01T09:00:00Z")
    istio = Istio(c, "1.6.7", INSTALLED, root=Authority("", valid_from("2020-08-03"), org="cluster.local"))
    istio.control_plane(ready=0, replicas=0, by_default=True)
    istio.mwc(ca=istio.root.b64, by_default=True)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    istiod = c.find("Deployment", "istio-system", "istiod")
    istiod["spec"]["replicas"] = 1
    istiod["status"]["conditions"].append(
        {
            "type": "ReplicaFailure",
            "status": "True",
            "reason": "FailedCreate",
            "message": "Error creating: " + FAILURE,
            "lastTransitionTime": c.captured,
        }
    )
    istiod_rs = c.objects["ReplicaSet"][-1]
    istiod_rs["spec"]["replicas"] = 1
    c.event(istiod_rs, "FailedCreate", "Error creating: " + FAILURE, count=16, first="2020-08-11T14:40:00Z")
    _deploy, rs = c.deployment(
        "shop", "cart", app("cart", "registry.example.com/shop/cart:1.9"), replicas=2, created="2020-08-04T10:00:00Z"
    )
    injected_pods(c, istio, rs, 2, created="2020-08-04T10:01:00Z")
    return c
