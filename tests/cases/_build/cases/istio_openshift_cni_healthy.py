"""istio-ecosystem/sail-operator#16, with the openshift profile working: istio-cni runs on every
node, the injector renders `istio-validation` instead of `istio-init`, and restricted-v2 admits
the bookinfo pods."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app, container
from tests.cases._build.istio import HUB, Istio, injected_pods

CASE = "istio-openshift-cni-healthy"
INSTALLED = "2024-04-10T08:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.28.7+f1b5f6c"), "2024-04-10T12:00:00Z", "2024-03-01T08:00:00Z")
    platforms.openshift(c, "v1.28.7+f1b5f6c", count=3)
    c.namespaces(["default", "kube-system", "openshift-operators", "istio-system"], "2024-03-01T08:00:00Z")
    c.namespace("istio-cni", {"pod-security.kubernetes.io/enforce": "privileged"}, created="2024-04-10T08:00:00Z")
    c.namespace(
        "bookinfo",
        {"istio-injection": "enabled"},
        {"openshift.io/sa.scc.uid-range": "1000680000/10000"},
        created="2024-04-04T09:00:00Z",
    )
    istio = Istio(c, "1.20.3", INSTALLED, root=Authority("", valid_from("2024-04-10"), org="cluster.local"))
    istio.control_plane(cni=True)
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    cni = c.workload(
        "DaemonSet",
        "istio-cni",
        "istio-cni-node",
        {
            "metadata": {"labels": {"k8s-app": "istio-cni-node"}},
            "spec": {"containers": [container("install-cni", "%s/install-cni:1.20.3" % HUB)], "hostNetwork": True},
        },
        created=INSTALLED,
        replicas=3,
    )
    cni["metadata"]["labels"] = {"k8s-app": "istio-cni-node"}
    for index in range(3):
        c.pod(cni, created=INSTALLED, node=index)
    for name in ("productpage-v1", "details-v1", "ratings-v1"):
        _deploy, rs = c.deployment(
            "bookinfo",
            name,
            app(
                name, "docker.io/istio/examples-bookinfo-%s:1.18.0" % name.replace("-v1", ""), labels={"version": "v1"}
            ),
            created="2024-04-04T10:05:00Z",
        )
        injected_pods(c, istio, rs, 1, created="2024-04-10T09:30:00Z", cni=True)
    return c
