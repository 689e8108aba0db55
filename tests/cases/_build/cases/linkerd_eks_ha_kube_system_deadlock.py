"""linkerd/linkerd2#10817: Linkerd HA (failurePolicy Fail) on EKS; after node patching no
proxy-injector replica was up and the webhook, which (before 2.15) selects every namespace not
labelled `config.linkerd.io/admission-webhooks=disabled`, also blocked kube-system: coredns and
cluster-autoscaler could not be re-created (`no endpoints available for service
"linkerd-proxy-injector"`). The user switched the webhook to Ignore and restarted everything."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, container, template, waiting
from tests.cases._build.linkerd import Linkerd

CASE = "linkerd-eks-ha-kube-system-deadlock"
INSTALLED = "2023-01-15T10:00:00Z"
FAILURE = (
    'Internal error occurred: failed calling webhook "linkerd-proxy-injector.linkerd.io": failed to call webhook: Post '
    '"https://linkerd-proxy-injector.linkerd.svc:443/?timeout=10s": no endpoints available for service '
    '"linkerd-proxy-injector"'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.24.12-eks-ec5523e"), "2023-04-25T07:30:00Z", "2023-01-10T08:00:00Z")
    platforms.eks(c, "v1.24.11-eks-a59e1f0", count=3, cluster="prod", region="us-east-1")
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease"], "2023-01-10T08:00:00Z")
    c.namespace("payments", annotations={"linkerd.io/inject": "enabled"}, created="2023-01-16T08:00:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2023-01-15"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2023-01-15"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2023-01-15"))
    linkerd = Linkerd(c, "stable-2.12.4", INSTALLED, ha=True, anchor=anchor)
    pods = linkerd.control_plane(cert, issuer, injector_ready=0)
    for pod in pods["proxy-injector"]:  # rescheduled onto the patched nodes, still starting
        pod["status"]["phase"] = "Pending"
        pod["status"]["initContainerStatuses"] = [waiting(ct) for ct in pod["spec"]["initContainers"]]
        pod["status"]["containerStatuses"] = [waiting(ct) for ct in pod["spec"]["containers"]]
    linkerd.mwc(ca=cert.b64)
    for name, image in (
        ("coredns", "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.8.7-eksbuild.3"),
        ("cluster-autoscaler", "registry.k8s.io/autoscaling/cluster-autoscaler:v1.24.0"),
    ):
        tmpl = template({"k8s-app": name}, [container(name, image)])
        _deploy, rs = c.deployment(
            "kube-system",
            name,
            tmpl,
            replicas=2,
            ready=0,
            created="2023-01-10T08:05:00Z",
            labels={"k8s-app": name},
            failure="Error creating: " + FAILURE,
        )
        c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=24, first="2023-04-25T06:10:00Z")
    _deploy, rs = c.deployment(
        "payments",
        "ledger",
        app("ledger", "registry.example.com/payments/ledger:3.3"),
        replicas=2,
        ready=0,
        created="2023-01-16T09:00:00Z",
        failure="Error creating: " + FAILURE,
    )
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=21, first="2023-04-25T06:12:00Z")
    return c
