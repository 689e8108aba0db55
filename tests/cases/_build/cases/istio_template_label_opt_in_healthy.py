"""istio/istio#32853, fixed as the maintainer said: `sidecar.istio.io/inject: "true"` as a pod
template label; the default revision's object webhook selects the pod in the unlabelled namespace
and the new pod carries the proxy."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, injected_pods

CASE = "istio-template-label-opt-in-healthy"
INSTALLED = "2021-05-01T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.20.6"), "2021-05-14T09:00:00Z", "2021-04-20T08:00:00Z")
    platforms.kubeadm(c, "v1.20.6", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"], "2021-04-20T08:00:00Z")
    istio = Istio(c, "1.10.0", INSTALLED, root=Authority("", valid_from("2021-05-01"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    tmpl = app("web", "busybox", labels={"server": "httpd", "sidecar.istio.io/inject": "true"})
    _deploy, rs = c.deployment(
        "default", "httpd", tmpl, created="2021-05-14T08:00:00Z", labels={"app": "web", "server": "httpd"}
    )
    injected_pods(c, istio, rs, 1, created="2021-05-14T08:00:04Z")
    return c
