"""linkerd/linkerd2#4856: Linkerd 2.8.1; the user *labels* the namespace (`kubectl label namespace api
linkerd.io/inject=enabled`), and the injector logs `skipped pod/...: neither the namespace nor the
pod have the annotation "linkerd.io/inject:enabled"`. The marker is an annotation."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.linkerd import Linkerd

CASE = "linkerd-namespace-label-instead-of-annotation"
INSTALLED = "2020-08-05T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.17.9"), "2020-08-10T08:40:00Z", "2020-08-01T08:00:00Z")
    platforms.aks(c, "v1.17.9", count=2, cluster="openhack")
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease"], "2020-08-01T08:00:00Z")
    c.namespace("api", {"linkerd.io/inject": "enabled"}, created="2020-08-10T08:30:00Z")
    anchor = Authority("identity.linkerd.cluster.local", valid_from("2020-08-05"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2020-08-05"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2020-08-05"))
    linkerd = Linkerd(c, "stable-2.8.1", INSTALLED, anchor=anchor)
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64, helm=False)
    _deploy, rs = c.deployment(
        "api",
        "tripinsights-poi",
        app("tripinsights-poi", "registry.example.com/openhack/poi:1.0"),
        created="2020-08-10T08:33:18Z",
    )
    c.pod(rs, created="2020-08-10T08:33:18Z")
    return c
