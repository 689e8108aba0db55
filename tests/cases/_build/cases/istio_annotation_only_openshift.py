"""istio/istio#26600: Istio 1.6.7 (istioctl install) on OpenShift 4.5; the namespace has no
istio-injection label and the pod template carries `sidecar.istio.io/inject: 'true'` as an
annotation, which has no effect: the webhook only selects labelled namespaces."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, plain_pods

CASE = "istio-annotation-only-openshift"
INSTALLED = "2020-08-10T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.18.3+2cf11e2"), "2020-08-18T09:00:00Z", "2020-07-01T08:00:00Z")
    platforms.openshift(c, "v1.18.3+2cf11e2", count=3)
    c.namespaces(["default", "kube-system", "openshift-operators", "istio-system"], "2020-07-01T08:00:00Z")
    c.namespace("test", created="2020-08-17T10:00:00Z")
    istio = Istio(c, "1.6.7", INSTALLED, root=Authority("", valid_from("2020-08-10"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    tmpl = app("test-inject", "nginx:1.19", annotations={"sidecar.istio.io/inject": "true"})
    _deploy, rs = c.deployment("test", "test-inject", tmpl, created="2020-08-18T08:00:00Z")
    plain_pods(c, rs, 1, created="2020-08-18T08:00:05Z")
    return c
