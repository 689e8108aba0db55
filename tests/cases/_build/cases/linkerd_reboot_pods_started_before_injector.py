"""linkerd/linkerd2#13702: after a full cluster reboot (1 controller, 2 workers, all VMs on one host)
many pods came back without linkerd-proxy: they were created before the proxy-injector was up and
the Helm default failurePolicy Ignore admitted them. The injector is healthy again; restarting the
affected workloads fixed them. (The thread's `linkerd check` also warned that the issuer certificate
was close to expiry, a time window this snapshot does not reproduce.)"""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.linkerd import Linkerd, injected_pods

CASE = "linkerd-reboot-pods-started-before-injector"
INSTALLED = "2025-01-10T10:00:00Z"
BOOT = "2025-02-23T07:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.31.4"), "2025-02-23T09:00:00Z", "2024-12-01T08:00:00Z")
    platforms.kubeadm(c, "v1.31.4", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease"], "2024-12-01T08:00:00Z")
    c.namespace("apps", annotations={"linkerd.io/inject": "enabled"}, created="2025-01-11T08:00:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2025-01-10"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2025-01-10"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2025-01-10"))
    linkerd = Linkerd(c, "edge-25.2.1", INSTALLED, anchor=anchor)
    for pod in linkerd.control_plane(cert, issuer)["proxy-injector"]:
        pod["metadata"]["creationTimestamp"] = "2025-02-23T07:04:40Z"  # back up four minutes after the boot
    linkerd.mwc(ca=cert.b64)
    for name, meshed in (("keycloak", False), ("api-gateway", False), ("orders", True)):
        _deploy, rs = c.deployment(
            "apps", name, app(name, "registry.example.com/apps/%s:1.0" % name), created="2025-01-11T09:00:00Z"
        )
        if meshed:
            injected_pods(c, linkerd, rs, 1, created="2025-02-23T07:06:00Z")
        else:
            c.pod(rs, created="2025-02-23T07:01:30Z")
    return c
