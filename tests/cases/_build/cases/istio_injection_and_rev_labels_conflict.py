"""istio/istio#43621: during a canary upgrade (1.16 -> 1.17) the user wants a namespace to carry
both `istio.io/rev=1-17` and `istio-injection=enabled`; the maintainers: both on one namespace
conflict, and `istio-injection=enabled` wins (the default revision injects)."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, injected_pods

CASE = "istio-injection-and-rev-labels-conflict"
INSTALLED = "2023-02-20T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.25.6"), "2023-02-26T10:00:00Z", "2022-12-01T08:00:00Z")
    platforms.kubeadm(c, "v1.25.6", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"], "2022-12-01T08:00:00Z")
    c.namespace("orders", {"istio-injection": "enabled", "istio.io/rev": "1-17"}, created="2022-12-05T08:00:00Z")
    root = Authority("", valid_from("2022-12-01"), org="cluster.local")
    stable = Istio(c, "1.16.2", "2022-12-01T10:00:00Z", root=root)
    stable.control_plane()
    stable.mwc(ca=root.b64)
    stable.validator(ca=root.b64)
    stable.rbac()
    canary = Istio(c, "1.17.1", INSTALLED, revision="1-17", root=root)
    canary.control_plane()
    canary.mwc(ca=root.b64)
    canary.rbac()
    _deploy, rs = c.deployment(
        "orders",
        "orders-api",
        app("orders-api", "registry.example.com/orders/api:5.1"),
        replicas=2,
        created="2023-02-26T09:00:00Z",
    )
    injected_pods(c, stable, rs, 2, created="2023-02-26T09:00:05Z")
    return c
