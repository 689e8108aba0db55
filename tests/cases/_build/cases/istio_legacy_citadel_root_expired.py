"""rancher/rancher#27093: an Istio install one year old; Citadel's self-signed root (the caBundle
of the injector webhook and the issuer of the injector's serving certificate) expired, and no new
pod could be created: `x509: certificate has expired or is not yet valid`. The workaround was the
root-transition procedure. Rancher-managed (RKE) cluster with the legacy injector layout."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, expired, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio

CASE = "istio-legacy-citadel-root-expired"
INSTALLED = "2019-05-14T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "sidecar-injector.istio.io": Post '
    "https://istio-sidecar-injector.istio-system.svc:443/inject?timeout=30s: x509: certificate has expired or is not "
    "yet valid"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.14.6"), "2020-05-15T09:00:00Z", "2019-05-14T09:00:00Z")
    platforms.plain(
        c,
        "v1.14.6",
        count=3,
        prefix="rke-worker",
        labels={"node-role.kubernetes.io/worker": "true"},
        os_image="Ubuntu 18.04.3 LTS",
    )
    c.namespaces(["default", "kube-public", "cattle-system", "ingress-nginx"], "2019-05-14T09:00:00Z")
    for name in ("kube-system", "istio-system"):
        c.namespace(name, {"istio-injection": "disabled"}, created="2019-05-14T09:00:00Z")
    c.namespace("shop", {"istio-injection": "enabled"}, created="2019-05-20T09:00:00Z")
    root = Authority("", expired("2019-05-15", "2020-05-14"), org="k8s.cluster.local")
    istio = Istio(c, "1.1.6", INSTALLED, root=root)
    istio.control_plane()
    # Citadel re-issued the injector's 90-day certificate in April, still signed by the root that then expired
    leaf = serving("istio-sidecar-injector.istio-system.svc", valid_from("2020-04-15"), issuer=root)
    istio.citadel_workload_secret("istio-sidecar-injector-service-account", leaf)
    istio.mwc(ca=root.b64)
    istio.rbac()
    tmpl = app("orders", "registry.example.com/shop/orders:3.2")
    _deploy, rs = c.deployment("shop", "orders", tmpl, replicas=2, ready=1, created="2019-05-20T10:00:00Z")
    spec, labels, annotations = istio.inject(tmpl)
    c.pod(rs, spec, labels, annotations, created="2020-04-30T08:00:00Z")
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=31, first="2020-05-14T09:12:00Z")
    return c
