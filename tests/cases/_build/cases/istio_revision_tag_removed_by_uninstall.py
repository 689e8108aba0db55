"""istio/istio#47423: a canary upgrade with istio-operator/istioctl; uninstalling the canary
control plane also deleted the `istio-revision-tag-<tag>` MutatingWebhookConfiguration, so the
namespaces labelled with the tag silently stopped getting sidecars."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, injected_pods

CASE = "istio-revision-tag-removed-by-uninstall"
INSTALLED = "2023-10-02T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.26.6"), "2023-10-18T09:00:00Z", "2023-09-01T08:00:00Z")
    platforms.kubeadm(c, "v1.26.6", count=2)
    c.namespaces(
        ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system", "istio-operator"],
        "2023-09-01T08:00:00Z",
    )
    c.namespace("app", {"istio.io/rev": "stable"}, created="2023-10-02T12:00:00Z")
    istio = Istio(
        c, "1.18.1", INSTALLED, revision="1-18-1", root=Authority("", valid_from("2023-10-02"), org="cluster.local")
    )
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    tmpl = app("frontend", "registry.example.com/app/frontend:2.3")
    _deploy, rs = c.deployment("app", "frontend", tmpl, replicas=2, created="2023-10-02T12:30:00Z")
    injected_pods(c, istio, rs, 2, created="2023-10-02T12:30:05Z")  # injected through the tag before it vanished
    return c
