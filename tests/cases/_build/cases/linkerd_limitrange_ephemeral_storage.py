"""linkerd/linkerd2#3307: a namespace's LimitRange sets per-Pod minimum and maximum ephemeral-storage;
LimitRanger fills the application containers' defaults before the injector runs, the injected
linkerd-proxy and linkerd-init get none, and the pod is rejected: `minimum ephemeral-storage usage
per Pod is 10Mi.  No request is specified., maximum ephemeral-storage usage per Pod is 10Gi.  No
limit is specified.`"""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, container, meta, template
from tests.cases._build.linkerd import Linkerd

CASE = "linkerd-limitrange-ephemeral-storage"
INSTALLED = "2019-08-20T10:00:00Z"
FAILURE = (
    'pods "tum-tururum-pum-pum-659f5f99cd-xpk4x" is forbidden: [minimum ephemeral-storage usage per Pod is 10Mi.  No '
    "request "
    "is specified., maximum ephemeral-storage usage per Pod is 10Gi.  No limit is specified.]"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.14.6"), "2019-08-22T12:00:00Z", "2019-08-01T08:00:00Z")
    platforms.kubeadm(c, "v1.14.6", count=2)
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2019-08-01T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2019-08-01T08:00:00Z")
    c.namespace("team-a", annotations={"linkerd.io/inject": "enabled"}, created="2019-08-21T08:00:00Z")
    anchor = Authority("identity.linkerd.cluster.local", valid_from("2019-08-20"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2019-08-20"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2019-08-20"))
    linkerd = Linkerd(c, "stable-2.5.0", INSTALLED, anchor=anchor)
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64, helm=False)
    c.add(
        {
            "kind": "LimitRange",
            "metadata": meta("LimitRange", "storage-limits", "team-a", created="2019-08-21T08:00:00Z"),
            "spec": {
                "limits": [
                    {"type": "Pod", "min": {"ephemeral-storage": "10Mi"}, "max": {"ephemeral-storage": "10Gi"}},
                    {
                        "type": "Container",
                        "default": {"ephemeral-storage": "1Gi"},
                        "defaultRequest": {"ephemeral-storage": "100Mi"},
                    },
                ]
            },
        }
    )
    resources = {"limits": {"ephemeral-storage": "1Gi"}, "requests": {"ephemeral-storage": "100Mi"}}
    tmpl = template(
        {"app": "tum-tururum-pum-pum"}, [container("app", "registry.example.com/team-a/app:2.1", resources=resources)]
    )
    _deploy, rs = c.deployment(
        "team-a", "tum-tururum-pum-pum", tmpl, ready=0, created="2019-08-22T11:50:00Z", failure=FAILURE
    )
    c.event(
        rs,
        "FailedCreate",
        "(combined from similar events): Error creating: " + FAILURE,
        count=6,
        first="2019-08-22T11:50:02Z",
    )
    return c
