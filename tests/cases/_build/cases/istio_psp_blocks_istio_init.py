"""istio/istio#11571: Kubernetes with the PodSecurityPolicy admission plugin; the only PSP the
namespace may use allows NET_ADMIN but sets allowPrivilegeEscalation false. Manually injected pods
(istioctl kube-inject) start, automatically injected ones are rejected: `unable to validate against
any pod security policy: [spec.initContainers[0].securityContext.capabilities.add: Invalid value:
"NET_ADMIN": capability may not be added]`."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, meta
from tests.cases._build.istio import Istio

CASE = "istio-psp-blocks-istio-init"
INSTALLED = "2019-02-01T10:00:00Z"
FAILURE = (
    'pods "httpbin-7cf66f94c4-hzhhd" is forbidden: unable to validate against any pod security policy: '
    '[spec.initContainers[0].securityContext.capabilities.add: Invalid value: "NET_ADMIN": capability may not be added]'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.13.2"), "2019-02-06T11:00:00Z", "2019-01-20T08:00:00Z")
    platforms.kubeadm(
        c, "v1.13.2", count=2, extra_args=["--enable-admission-plugins=NodeRestriction,PodSecurityPolicy"]
    )
    c.namespaces(["kube-public"], "2019-01-20T08:00:00Z")
    for name in ("kube-system", "istio-system"):
        c.namespace(name, {"istio-injection": "disabled"}, created="2019-01-20T08:00:00Z")
    c.namespace("default", {"istio-injection": "enabled"}, created="2019-01-20T08:00:00Z")
    root = Authority("", valid_from("2019-02-01"), org="cluster.local")
    istio = Istio(c, "1.0.5", INSTALLED, root=root)
    istio.control_plane()
    istio.citadel_workload_secret(
        "istio-sidecar-injector-service-account",
        serving("istio-sidecar-injector.istio-system.svc", valid_from("2019-02-01"), issuer=root),
    )
    istio.mwc(ca=root.b64)
    istio.rbac()
    c.add(
        {
            "kind": "PodSecurityPolicy",
            "metadata": meta("PodSecurityPolicy", "istio-psp", created="2019-02-06T10:00:00Z"),
            "spec": {
                "allowPrivilegeEscalation": False,
                "allowedCapabilities": ["NET_ADMIN"],
                "fsGroup": {"rule": "RunAsAny"},
                "runAsUser": {"rule": "RunAsAny"},
                "seLinux": {"rule": "RunAsAny"},
                "supplementalGroups": {"rule": "RunAsAny"},
                "volumes": ["*"],
            },
        }
    )
    c.cluster_role(
        "istio-psp",
        [
            {
                "apiGroups": ["extensions"],
                "resourceNames": ["istio-psp"],
                "resources": ["podsecuritypolicies"],
                "verbs": ["use"],
            }
        ],
        created="2019-02-06T10:00:00Z",
    )
    c.cluster_role_binding(
        "istio-psp-default",
        "istio-psp",
        [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:serviceaccounts:default"}],
        created="2019-02-06T10:00:00Z",
    )
    _deploy, rs = c.deployment(
        "default",
        "httpbin",
        app("httpbin", "docker.io/kennethreitz/httpbin", port=8000),
        ready=0,
        created="2019-02-06T10:30:00Z",
        failure=FAILURE,
    )
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=15, first="2019-02-06T10:30:01Z")
    return c
