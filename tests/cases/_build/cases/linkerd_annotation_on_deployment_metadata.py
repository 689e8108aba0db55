"""linkerd/website#466: `linkerd.io/inject: enabled` on the Deployment's own metadata is not seen by
the injector, which only receives the pod; moved to the pod template it works."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.linkerd import Linkerd

CASE = "linkerd-annotation-on-deployment-metadata"
INSTALLED = "2019-08-01T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.14.3"), "2019-08-14T10:00:00Z", "2019-07-20T08:00:00Z")
    platforms.kubeadm(c, "v1.14.3", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease"], "2019-07-20T08:00:00Z")
    c.namespace("web", created="2019-08-01T12:00:00Z")
    anchor = Authority("identity.linkerd.cluster.local", valid_from("2019-08-01"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2019-08-01"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2019-08-01"))
    linkerd = Linkerd(c, "stable-2.4.0", INSTALLED, anchor=anchor)
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64, helm=False)
    _deploy, rs = c.deployment(
        "web",
        "frontend",
        app("frontend", "registry.example.com/web/frontend:1.2"),
        replicas=2,
        annotations={"linkerd.io/inject": "enabled"},
        created="2019-08-14T09:00:00Z",
    )
    for _ in range(2):
        c.pod(rs, created="2019-08-14T09:00:05Z")
    c.event(
        rs,
        "InjectionSkipped",
        "Linkerd sidecar proxy injection skipped: neither the namespace nor the pod have the annotation "
        '"linkerd.io/inject:enabled"',
        etype="Normal",
        component="linkerd-proxy-injector",
        count=2,
    )
    return c
