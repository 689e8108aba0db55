"""istio/istio#41883 (also kubesphere/kubesphere#5359): Istio 1.11.2 installed by the operator as
revision 1-11-2 only; namespaces labelled `istio-injection=enabled` get no sidecar because no
webhook serves that label: there is no default revision and no default tag."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, plain_pods

CASE = "istio-injection-enabled-revision-only-install"
INSTALLED = "2022-08-10T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.23.10"), "2022-11-09T08:00:00Z", "2022-08-01T08:00:00Z")
    platforms.kubeadm(c, "v1.23.10", count=2)
    c.namespaces(
        [
            "default",
            "kube-system",
            "kube-public",
            "kube-node-lease",
            "istio-system",
            "istio-operator",
            "kubesphere-system",
        ],
        "2022-08-01T08:00:00Z",
    )
    for ns in ("kubevirt", "proj1"):
        c.namespace(ns, {"istio-injection": "enabled"}, created="2022-09-15T08:00:00Z")
    istio = Istio(
        c, "1.11.2", INSTALLED, revision="1-11-2", root=Authority("", valid_from("2022-08-10"), org="cluster.local")
    )
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    _deploy, rs = c.deployment("proj1", "nginx", app("nginx", "nginx:latest"), created="2022-11-09T07:30:00Z")
    plain_pods(c, rs, 1, created="2022-11-09T07:30:05Z")
    _deploy, rs = c.deployment(
        "kubevirt",
        "virt-api",
        app("virt-api", "quay.io/kubevirt/virt-api:v0.55.0"),
        replicas=2,
        created="2022-09-15T09:00:00Z",
    )
    plain_pods(c, rs, 2, created="2022-09-15T09:00:05Z")
    return c
