"""linkerd/linkerd2#11073 (AKS comment of 2023-07-06): with linkerd-cni, pods scheduled on a node the
node pool scale-out just added start before linkerd-cni has written its configuration; the injected
linkerd-network-validator catches the missing iptables rules and the pod stays in
Init:CrashLoopBackOff for good, even after linkerd-cni is ready. Deleting those pods fixes them."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, crashing, waiting
from tests.cases._build.linkerd import Linkerd, cni_daemonset

CASE = "linkerd-cni-validator-aks-scale-out"
INSTALLED = "2023-06-20T10:00:00Z"
MESSAGE = (
    "2023-07-06T08:41:12.114Z  INFO linkerd_network_validator: Listening for connections on 0.0.0.0:4140\n"
    "2023-07-06T08:41:12.114Z  INFO linkerd_network_validator: Connecting to 1.1.1.1:20001\n"
    "2023-07-06T08:41:22.116Z ERROR linkerd_network_validator: Failed to validate networking configuration. Please "
    "ensure "
    "iptables rules are rewriting traffic as expected. timeout=10s\n"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.26.6"), "2023-07-06T09:30:00Z", "2023-06-01T08:00:00Z")
    platforms.aks(c, "v1.26.6", count=3, cluster="workloads")
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2023-06-01T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2023-06-01T08:00:00Z")
    c.namespace(
        "linkerd-cni",
        {
            "config.linkerd.io/admission-webhooks": "disabled",
            "linkerd.io/cni-resource": "true",
            "pod-security.kubernetes.io/enforce": "privileged",
        },
        created=INSTALLED,
    )
    c.namespace("orders", annotations={"linkerd.io/inject": "enabled"}, created="2023-06-21T08:00:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2023-06-20"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2023-06-20"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2023-06-20"))
    linkerd = Linkerd(c, "stable-2.13.5", INSTALLED, ha=True, anchor=anchor)
    linkerd.control_plane(cert, issuer, cni=True)
    linkerd.mwc(ca=cert.b64)
    cni_daemonset(c, linkerd, INSTALLED, nodes=3)
    c.find(
        "Pod",
        "linkerd-cni",
        [p for p in c.objects["Pod"] if p["metadata"]["namespace"] == "linkerd-cni"][2]["metadata"]["name"],
    )["status"]["startTime"] = "2023-07-06T08:42:30Z"  # on the new node it started after the application pods
    tmpl = app("orders-worker", "registry.example.com/orders/worker:8.4")
    _deploy, rs = c.deployment("orders", "orders-worker", tmpl, replicas=4, ready=2, created="2023-06-21T09:00:00Z")
    spec, labels, annotations = linkerd.inject(tmpl, cni=True)
    labels["linkerd.io/workload-ns"] = "orders"
    for node in (0, 1):
        c.pod(rs, spec, labels, annotations, created="2023-06-21T09:00:05Z", node=node)
    for _ in range(2):  # scheduled on the node that scale-out added
        c.pod(
            rs,
            spec,
            labels,
            annotations,
            created="2023-07-06T08:41:00Z",
            node=2,
            phase="Pending",
            init_statuses=[
                crashing(spec["initContainers"][0], MESSAGE, "2023-07-06T09:25:00Z", restarts=14, exit_code=95)
            ],
            statuses=[waiting(ct) for ct in spec["containers"]],
        )
    return c
