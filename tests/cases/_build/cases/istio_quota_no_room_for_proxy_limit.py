"""istio/istio#14835: namespaces carry a ResourceQuota on requests and limits; the injected proxy
adds a 2-CPU limit (the chart default) to every pod, so after one replica the quota has no room:
`exceeded quota: t111111-test-quota, requested: limits.cpu=3, used: limits.cpu=3, limited:
limits.cpu=4` although the application container's limit is 1 CPU."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, container, meta, template
from tests.cases._build.istio import Istio, injected_pods

CASE = "istio-quota-no-room-for-proxy-limit"
INSTALLED = "2019-06-01T10:00:00Z"
FAILURE = (
    'pods "asdfa-7s0kp-test-details-f757c8f9d-jdfqj" is forbidden: exceeded quota: t111111-test-quota, '
    "requested: limits.cpu=3, used: limits.cpu=3, limited: limits.cpu=4"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.13.5"), "2019-06-14T06:31:40Z", "2019-05-01T08:00:00Z")
    platforms.kubeadm(c, "v1.13.5", count=2)
    c.namespaces(["default", "kube-public"], "2019-05-01T08:00:00Z")
    for name in ("kube-system", "istio-system"):
        c.namespace(name, {"istio-injection": "disabled"}, created="2019-05-01T08:00:00Z")
    c.namespace("t111111-test", {"istio-injection": "enabled"}, created="2019-06-01T12:00:00Z")
    root = Authority("", valid_from("2019-06-01"), org="cluster.local")
    istio = Istio(c, "1.1.7", INSTALLED, root=root)
    istio.control_plane()
    istio.citadel_workload_secret(
        "istio-sidecar-injector-service-account",
        serving("istio-sidecar-injector.istio-system.svc", valid_from("2019-06-01"), issuer=root),
    )
    istio.mwc(ca=root.b64)
    istio.rbac()
    c.add(
        {
            "kind": "ResourceQuota",
            "metadata": meta("ResourceQuota", "t111111-test-quota", "t111111-test", created="2019-06-01T12:00:00Z"),
            "spec": {
                "hard": {"limits.cpu": "4", "limits.memory": "8Gi", "requests.cpu": "2", "requests.memory": "4Gi"}
            },
            "status": {
                "hard": {"limits.cpu": "4", "limits.memory": "8Gi", "requests.cpu": "2", "requests.memory": "4Gi"},
                "used": {
                    "limits.cpu": "3",
                    "limits.memory": "1536Mi",
                    "requests.cpu": "600m",
                    "requests.memory": "640Mi",
                },
            },
        }
    )
    resources = {"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "500m", "memory": "512Mi"}}
    tmpl = template(
        {"app": "asdfa-7s0kp-test-details", "version": "v1"},
        [
            container(
                "details",
                "docker.io/istio/examples-bookinfo-details-v1:1.11.0",
                ports=[(9080, "http")],
                resources=resources,
            )
        ],
    )
    _deploy, rs = c.deployment(
        "t111111-test",
        "asdfa-7s0kp-test-details",
        tmpl,
        replicas=2,
        ready=1,
        created="2019-06-14T06:30:00Z",
        failure=FAILURE,
    )
    injected_pods(c, istio, rs, 1, created="2019-06-14T06:30:10Z")
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=7, first="2019-06-14T06:31:40Z")
    return c
