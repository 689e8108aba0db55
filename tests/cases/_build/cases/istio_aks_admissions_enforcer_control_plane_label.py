"""Azure/kubeflow-aks#18 (background: Azure/AKS#1771): on AKS the admissions enforcer adds
`control-plane DoesNotExist` to the namespaceSelector of every webhook it does not know; the
kubeflow namespace carries `control-plane: kubeflow`, so Istio never injects there. The fix is the
`admissions.enforcer/disabled: "true"` annotation on the MutatingWebhookConfiguration."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, plain_pods

CASE = "istio-aks-admissions-enforcer-control-plane-label"
INSTALLED = "2023-04-10T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.25.6"), "2023-04-20T09:00:00Z", "2023-04-01T08:00:00Z")
    platforms.aks(c, "v1.25.6", count=2, cluster="kubeflow-aks")
    c.namespaces(
        ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system", "auth", "cert-manager"],
        "2023-04-01T08:00:00Z",
    )
    c.namespace("kubeflow", {"istio-injection": "enabled", "control-plane": "kubeflow"}, created="2023-04-10T11:00:00Z")
    istio = Istio(c, "1.16.0", INSTALLED, root=Authority("", valid_from("2023-04-10"), org="cluster.local"))
    istio.control_plane()
    mwc = istio.mwc(ca=istio.root.b64)
    for hook in mwc["webhooks"]:  # what the enforcer appends to every namespaceSelector
        hook["namespaceSelector"].setdefault("matchExpressions", []).extend(
            [
                {"key": "control-plane", "operator": "DoesNotExist"},
                {"key": "kubernetes.azure.com/managedby", "operator": "NotIn", "values": ["aks"]},
            ]
        )
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    for name, image in (
        ("ml-pipeline-ui", "gcr.io/ml-pipeline/frontend:2.0.0-alpha.7"),
        ("centraldashboard", "docker.io/kubeflownotebookswg/centraldashboard:v1.7.0"),
    ):
        _deploy, rs = c.deployment("kubeflow", name, app(name, image), created="2023-04-10T11:30:00Z")
        plain_pods(c, rs, 1, created="2023-04-10T11:30:05Z")
    return c
