"""istio/istio#36687: Istio 1.12.1 on a self-managed Kubernetes 1.20.14; pods in an enabled
namespace fail with `x509: certificate signed by unknown authority`: the injector configuration's
caBundle is not the root istiod signs its webhook certificate with, and restarting istiod did not
help (the maintainers: compare it with istio-ca-root-cert / istio-ca-secret)."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio

CASE = "istio-cabundle-mismatch"
INSTALLED = "2021-12-20T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": Post '
    '"https://istiod.istio-system.svc:443/inject?timeout=10s": x509: certificate signed by unknown authority'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.20.14"), "2022-01-03T11:00:00Z", "2021-06-01T08:00:00Z")
    platforms.kubeadm(c, "v1.20.14", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"], "2021-06-01T08:00:00Z")
    c.namespace("apps", {"istio-injection": "enabled"}, created="2021-12-21T09:00:00Z")
    root = Authority("", valid_from("2021-12-20"), org="cluster.local")
    previous = Authority("", valid_from("2021-06-01"), org="cluster.local")  # the root of an earlier install
    istio = Istio(c, "1.12.1", INSTALLED, root=root)
    istio.control_plane()
    istio.mwc(ca=previous.b64)
    istio.validator(ca=root.b64)
    istio.rbac()
    _deploy, rs = c.deployment(
        "apps",
        "web",
        app("web", "nginx:1.21"),
        replicas=2,
        ready=0,
        created="2022-01-03T10:30:00Z",
        failure="Error creating: " + FAILURE,
    )
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=23, first="2022-01-03T10:30:02Z")
    return c
