"""linkerd/linkerd2#8635: on a cluster enforcing PodSecurityPolicy, Linkerd 2.11 installed from the
CLI could not run (NET_ADMIN/NET_RAW not allowed); `linkerd upgrade --set enablePSP=true` solved it.
Kubernetes 1.22 with the PodSecurityPolicy admission plugin; the control plane's PSP plus one for
the meshed namespace (as linkerd.io's using-psp task shows). HA values, kube-system labelled out."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, meta
from tests.cases._build.linkerd import Linkerd, injected_pods

CASE = "linkerd-2-11-psp-enabled-healthy"
INSTALLED = "2022-06-10T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.22.10"), "2022-06-13T12:00:00Z", "2022-05-01T08:00:00Z")
    platforms.kubeadm(
        c, "v1.22.10", count=2, extra_args=["--enable-admission-plugins=NodeRestriction,PodSecurityPolicy"]
    )
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2022-05-01T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2022-05-01T08:00:00Z")
    c.namespace("emojivoto", annotations={"linkerd.io/inject": "enabled"}, created="2022-06-10T12:00:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2022-06-10"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2022-06-10"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2022-06-10"))
    linkerd = Linkerd(c, "stable-2.11.4", INSTALLED, ha=True, anchor=anchor)
    linkerd.control_plane(cert, issuer, psp=True)
    linkerd.mwc(ca=cert.b64, helm=False)
    c.add(
        {
            "kind": "PodSecurityPolicy",
            "metadata": meta("PodSecurityPolicy", "linkerd-emojivoto-data-plane", created="2022-06-10T12:00:00Z"),
            "spec": {
                "allowPrivilegeEscalation": False,
                "allowedCapabilities": ["NET_ADMIN", "NET_RAW"],
                "fsGroup": {"rule": "RunAsAny"},
                "readOnlyRootFilesystem": True,
                "runAsUser": {"rule": "RunAsAny"},
                "seLinux": {"rule": "RunAsAny"},
                "supplementalGroups": {"rule": "RunAsAny"},
                "volumes": ["configMap", "emptyDir", "projected", "secret", "downwardAPI", "persistentVolumeClaim"],
            },
        }
    )
    c.cluster_role(
        "emojivoto-psp",
        [
            {
                "apiGroups": ["policy"],
                "resourceNames": ["linkerd-emojivoto-data-plane"],
                "resources": ["podsecuritypolicies"],
                "verbs": ["use"],
            }
        ],
        created="2022-06-10T12:00:00Z",
    )
    c.cluster_role_binding(
        "emojivoto-psp",
        "emojivoto-psp",
        [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:serviceaccounts:emojivoto"}],
        created="2022-06-10T12:00:00Z",
    )
    for name in ("web", "emoji", "voting"):
        _deploy, rs = c.deployment(
            "emojivoto",
            name,
            app(name, "docker.l5d.io/buoyantio/emojivoto-%s:v11" % name),
            created="2022-06-10T12:10:00Z",
        )
        injected_pods(c, linkerd, rs, 1, created="2022-06-13T10:00:00Z")
    return c
