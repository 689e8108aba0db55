"""istio/istio#32853: in an unlabelled namespace the user puts `sidecar.istio.io/inject: "true"` as a
label on the Deployment's own metadata and as an annotation on the pod template; neither selects the
pod. The maintainer: the label belongs in `spec.template.metadata.labels`."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, plain_pods

CASE = "istio-inject-label-on-deployment-metadata"
INSTALLED = "2021-05-01T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.20.6"), "2021-05-14T03:00:00Z", "2021-04-20T08:00:00Z")
    platforms.kubeadm(c, "v1.20.6", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"], "2021-04-20T08:00:00Z")
    istio = Istio(c, "1.10.0", INSTALLED, root=Authority("", valid_from("2021-05-01"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    tmpl = app("web", "busybox", labels={"server": "httpd"}, annotations={"sidecar.istio.io/inject": "true"})
    _deploy, rs = c.deployment(
        "default",
        "httpd",
        tmpl,
        created="2021-05-13T09:00:00Z",
        labels={"app": "web", "server": "httpd", "sidecar.istio.io/inject": "true"},
    )
    plain_pods(c, rs, 1, created="2021-05-13T09:00:04Z")
    return c
