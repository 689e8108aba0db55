"""linkerd/linkerd2#11250: RKE2 1.27.2 with Canal and Multus, Linkerd stable-2.13.6 with cniEnabled;
linkerd-cni was installed with the CNI directory of an earlier Istio setup (`/etc/cni/multus/net.d`),
so no pod gets the redirect rules: linkerd-network-validator exits 95 in every meshed pod, including
the control plane's own (`No running pods for "linkerd-destination"`)."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, crashing, waiting
from tests.cases._build.linkerd import Linkerd, cni_daemonset

CASE = "linkerd-cni-rke2-wrong-conf-dir"
INSTALLED = "2023-08-15T14:40:00Z"
MESSAGE = (
    "2023-08-15T14:52:17.797Z  INFO linkerd_network_validator: Connecting to 1.1.1.1:20001\n"
    "2023-08-15T14:52:27.798011Z ERROR linkerd_network_validator: Failed to validate networking configuration. Please "
    "ensure iptables rules are rewriting traffic as expected. timeout=10s\n"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.27.2+rke2r1"), "2023-08-15T15:00:00Z", "2023-08-01T08:00:00Z")
    platforms.plain(c, "v1.27.2+rke2r1", count=3, prefix="rke2-node", os_image="Red Hat Enterprise Linux 8.8 (Ootpa)")
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2023-08-01T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2023-08-01T08:00:00Z")
    c.namespace(
        "linkerd-cni",
        {"config.linkerd.io/admission-webhooks": "disabled", "linkerd.io/cni-resource": "true"},
        created=INSTALLED,
    )
    anchor = Authority("root.linkerd.cluster.local", valid_from("2023-08-15"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2023-08-15"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2023-08-15"))
    linkerd = Linkerd(c, "stable-2.13.6", INSTALLED, anchor=anchor)
    pods = linkerd.control_plane(cert, issuer, cni=True, injector_ready=0)
    for component in ("destination", "proxy-injector"):
        for pod in pods[component]:
            pod["status"]["phase"] = "Pending"
            pod["status"]["initContainerStatuses"] = [
                crashing(pod["spec"]["initContainers"][0], MESSAGE, "2023-08-15T14:52:27Z", restarts=6, exit_code=95)
            ]
            pod["status"]["containerStatuses"] = [waiting(ct) for ct in pod["spec"]["containers"]]
            for cond in pod["status"]["conditions"]:
                if cond["type"] in ("Ready", "ContainersReady", "Initialized"):
                    cond["status"] = "False"
    destination = c.find("Deployment", "linkerd", "linkerd-destination")
    destination["status"].pop("readyReplicas", None)
    destination["status"].pop("availableReplicas", None)
    linkerd.mwc(ca=cert.b64)
    cni_daemonset(c, linkerd, INSTALLED, nodes=3, conf_dir="/etc/cni/multus/net.d")
    return c
