"""linkerd/linkerd2#8707: on a private GKE cluster the API server cannot reach the proxy-injector on
8443 (the master firewall rule opens 443 and 10250 only); with the default failurePolicy Ignore
the API server logs `Failed calling webhook, failing open linkerd-proxy-injector.linkerd.io ...
context deadline exceeded` and every pod starts without a proxy, with no event at all."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.linkerd import Linkerd

CASE = "linkerd-gke-private-fails-open"
INSTALLED = "2022-06-19T17:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.22.8-gke.202"), "2022-06-19T18:45:00Z", "2022-06-01T08:00:00Z")
    platforms.gke(c, "v1.22.8-gke.202", count=3, private=True, cluster="private", zone="europe-west4-a")
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease"], "2022-06-01T08:00:00Z")
    c.namespace("emojivoto", annotations={"linkerd.io/inject": "enabled"}, created="2022-06-19T18:30:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2022-06-19"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2022-06-19"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2022-06-19"))
    linkerd = Linkerd(c, "stable-2.11.2", INSTALLED, anchor=anchor)
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64, helm=False)
    for name in ("web", "emoji", "voting"):
        _deploy, rs = c.deployment(
            "emojivoto",
            name,
            app(name, "docker.l5d.io/buoyantio/emojivoto-%s:v11" % name),
            created="2022-06-19T18:43:11Z",
        )
        c.pod(rs, created="2022-06-19T18:43:21Z")
    return c
