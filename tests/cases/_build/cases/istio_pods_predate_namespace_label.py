"""istio/istio#27439: after restarting the machine, Istio runs normally; the user then labels the
default namespace istio-injection=enabled and the running pods still have no sidecar. Labelling
affects only pods created afterwards (IST0103: restart the workloads, istio/istio.io#5291)."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, plain_pods

CASE = "istio-pods-predate-namespace-label"
INSTALLED = "2020-09-20T02:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.18.8"), "2020-09-21T07:30:00Z", "2020-09-01T08:00:00Z")
    platforms.kubeadm(c, "v1.18.8", count=1)
    c.namespaces(["kube-system", "kube-public", "kube-node-lease", "istio-system"], "2020-09-01T08:00:00Z")
    c.namespace("default", {"istio-injection": "enabled"}, created="2020-09-01T08:00:00Z")
    istio = Istio(c, "1.7.2", INSTALLED, root=Authority("", valid_from("2020-09-20"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    for name in ("service-go-v1", "service-go-v2"):
        _deploy, rs = c.deployment(
            "default", name, app(name, "registry.example.com/demo/service-go:1.0"), created="2020-09-19T10:00:00Z"
        )
        plain_pods(c, rs, 1, created="2020-09-21T06:50:00Z")  # restarted with the machine, before the label was set
    c.find("Namespace", "", "default")["metadata"]["managedFields"] = [
        {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:istio-injection": {}}}},
            "manager": "kubectl-label",
            "operation": "Update",
            "time": "2020-09-21T07:05:00Z",
        }
    ]
    return c
