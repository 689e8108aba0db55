"""istio/istio#7409: the sidecar injector runs under a custom Service name in a custom namespace
(`is-sidecar` in `control`); Citadel's certificate for the injector's service account carries no DNS
name for that Service, so every call fails with `x509: certificate is not valid for any names, but
wanted to match is-sidecar.control.svc` and the injector logs `tls: bad certificate`."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio

CASE = "istio-legacy-injector-cert-wrong-name"
INSTALLED = "2018-07-25T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling admission webhook "sidecar-injector.istio.io": Post '
    "https://is-sidecar.control.svc:443/inject?timeout=30s: x509: certificate is not valid for any names, but wanted "
    "to match "
    "is-sidecar.control.svc"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.10.5"), "2018-07-26T03:10:00Z", "2018-07-01T08:00:00Z")
    platforms.kubeadm(c, "v1.10.5", count=2)
    c.namespaces(["default", "kube-public"], "2018-07-01T08:00:00Z")
    for name in ("kube-system", "control"):
        c.namespace(name, {"istio-injection": "disabled"}, created="2018-07-01T08:00:00Z")
    c.namespace("apps", {"istio-injection": "enabled"}, created="2018-07-25T12:00:00Z")
    root = Authority("", valid_from("2018-07-25"), org="k8s.cluster.local")
    istio = Istio(c, "1.0.0", INSTALLED, namespace="control", root=root, injector_service="is-sidecar")
    istio.control_plane()
    # Citadel's workload certificate: a SPIFFE URI SAN only, no DNS name for the renamed Service
    leaf = Authority("", valid_from("2018-07-25"), issuer=root, is_ca=False)
    istio.citadel_workload_secret("istio-sidecar-injector-service-account", leaf)
    istio.mwc(ca=root.b64)
    istio.rbac()
    _deploy, rs = c.deployment(
        "apps",
        "reviews",
        app("reviews", "istio/examples-bookinfo-reviews-v1:1.5.0", port=9080),
        ready=0,
        created="2018-07-26T03:00:00Z",
        failure="Error creating: " + FAILURE,
    )
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=15, first="2018-07-26T03:00:02Z")
    return c
