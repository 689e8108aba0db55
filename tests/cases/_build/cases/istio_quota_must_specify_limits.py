"""deckhouse/deckhouse#8919: a namespace's ResourceQuota tracks limits.cpu; the injected istio-init
and istio-proxy carry no CPU limit in this Istio distribution, so every injected pod is rejected:
`failed quota: mem-cpu-hdd: must specify limits.cpu for: check-linux-kernel,istio-init,istio-proxy`."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, container, meta, template
from tests.cases._build.istio import Istio

CASE = "istio-quota-must-specify-limits"
INSTALLED = "2024-06-20T10:00:00Z"
FAILURE = (
    'pods "test-test" is forbidden: failed quota: mem-cpu-hdd: must specify limits.cpu for: '
    "check-linux-kernel,istio-init,istio-proxy; limits.memory for: check-linux-kernel; requests.cpu for: "
    "check-linux-kernel; requests.memory for: check-linux-kernel"
)
NO_CPU_LIMIT = {"limits": {"memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.27.13"), "2024-07-04T10:00:00Z", "2024-01-10T08:00:00Z")
    platforms.kubeadm(c, "v1.27.13", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease", "d8-istio"], "2024-01-10T08:00:00Z")
    c.namespace("test", {"istio-injection": "enabled"}, created="2024-07-01T08:00:00Z")
    istio = Istio(
        c, "1.19.7", INSTALLED, namespace="d8-istio", root=Authority("", valid_from("2024-06-20"), org="cluster.local")
    )
    istio.control_plane(resources=NO_CPU_LIMIT)
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    c.add(
        {
            "kind": "ResourceQuota",
            "metadata": meta("ResourceQuota", "mem-cpu-hdd", "test", created="2024-07-01T08:00:00Z"),
            "spec": {
                "hard": {
                    "limits.cpu": "4",
                    "limits.memory": "8Gi",
                    "requests.cpu": "2",
                    "requests.memory": "4Gi",
                    "requests.ephemeral-storage": "20Gi",
                }
            },
            "status": {
                "hard": {
                    "limits.cpu": "4",
                    "limits.memory": "8Gi",
                    "requests.cpu": "2",
                    "requests.memory": "4Gi",
                    "requests.ephemeral-storage": "20Gi",
                },
                "used": {
                    "limits.cpu": "0",
                    "limits.memory": "0",
                    "requests.cpu": "0",
                    "requests.memory": "0",
                    "requests.ephemeral-storage": "0",
                },
            },
        }
    )
    tmpl = template(
        {"app": "test-test"}, [container("check-linux-kernel", "registry.example.com/tools/check:1.0", resources={})]
    )
    _deploy, rs = c.deployment("test", "test-test", tmpl, ready=0, created="2024-07-04T09:50:00Z", failure=FAILURE)
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=9, first="2024-07-04T09:50:10Z")
    return c
