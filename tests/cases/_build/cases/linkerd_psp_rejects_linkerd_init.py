"""linkerd/linkerd2#4189: a cluster with PodSecurityPolicy; after enabling injection no pod starts:
`unable to validate against any pod security policy: [spec.initContainers[0].securityContext
.capabilities.add: Invalid value: "NET_ADMIN": capability may not be added ... runAsNonRoot:
Invalid value: false: must be true ... "NET_RAW" ...]`: the application's PSP forbids what
linkerd-init needs (Linkerd ships a PSP for its own control plane only)."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, meta
from tests.cases._build.linkerd import Linkerd

CASE = "linkerd-psp-rejects-linkerd-init"
INSTALLED = "2020-03-18T10:00:00Z"
FAILURE = (
    'pods "web-756c775dc4-4m99j" is forbidden: unable to validate against any pod security policy: '
    '[spec.initContainers[0].securityContext.capabilities.add: Invalid value: "NET_ADMIN": capability may not be added '
    "spec.initContainers[0].securityContext.runAsNonRoot: Invalid value: false: must be true "
    'spec.initContainers[0].securityContext.capabilities.add: Invalid value: "NET_ADMIN": capability may not be added '
    'spec.initContainers[0].securityContext.capabilities.add: Invalid value: "NET_RAW": capability may not be added]'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.16.7"), "2020-03-20T10:00:00Z", "2020-03-01T08:00:00Z")
    platforms.kubeadm(
        c, "v1.16.7", count=2, extra_args=["--enable-admission-plugins=NodeRestriction,PodSecurityPolicy"]
    )
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2020-03-01T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2020-03-01T08:00:00Z")
    c.namespace("emojivoto", annotations={"linkerd.io/inject": "enabled"}, created="2020-03-20T09:00:00Z")
    anchor = Authority("identity.linkerd.cluster.local", valid_from("2020-03-18"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2020-03-18"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2020-03-18"))
    linkerd = Linkerd(c, "stable-2.7.0", INSTALLED, anchor=anchor)
    linkerd.control_plane(cert, issuer, psp=True)
    linkerd.mwc(ca=cert.b64, helm=False)
    c.add(
        {
            "kind": "PodSecurityPolicy",
            "metadata": meta("PodSecurityPolicy", "restricted", created="2020-03-01T08:00:00Z"),
            "spec": {
                "allowPrivilegeEscalation": False,
                "fsGroup": {"ranges": [{"max": 65535, "min": 1}], "rule": "MustRunAs"},
                "requiredDropCapabilities": ["ALL"],
                "runAsUser": {"rule": "MustRunAsNonRoot"},
                "seLinux": {"rule": "RunAsAny"},
                "supplementalGroups": {"ranges": [{"max": 65535, "min": 1}], "rule": "MustRunAs"},
                "volumes": ["configMap", "emptyDir", "projected", "secret", "downwardAPI", "persistentVolumeClaim"],
            },
        }
    )
    c.cluster_role(
        "psp:restricted",
        [
            {
                "apiGroups": ["policy"],
                "resourceNames": ["restricted"],
                "resources": ["podsecuritypolicies"],
                "verbs": ["use"],
            }
        ],
        created="2020-03-01T08:00:00Z",
    )
    c.cluster_role_binding(
        "default:restricted",
        "psp:restricted",
        [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}],
        created="2020-03-01T08:00:00Z",
    )
    _deploy, rs = c.deployment(
        "emojivoto",
        "web",
        app("web", "buoyantio/emojivoto-web:v9"),
        ready=0,
        created="2020-03-20T09:30:00Z",
        failure=FAILURE,
    )
    c.event(
        rs,
        "FailedCreate",
        "(combined from similar events): Error creating: " + FAILURE,
        count=39,
        first="2020-03-20T09:30:02Z",
    )
    _deploy, rs = c.deployment(
        "emojivoto", "emoji", app("emoji", "buoyantio/emojivoto-emoji-svc:v9"), created="2020-03-19T09:30:00Z"
    )
    c.pod(rs, created="2020-03-19T09:30:02Z")  # created before the namespace was annotated
    return c
