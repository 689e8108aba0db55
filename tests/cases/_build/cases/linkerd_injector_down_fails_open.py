"""linkerd/linkerd2#3885: when the proxy-injector and an application pod restart at the same time,
the pod comes up without a proxy: the webhook's failurePolicy is Ignore (the non-HA default), so
the API server admits it unmeshed. The maintainers: install with --ha or set webhookFailurePolicy
to Fail."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, running
from tests.cases._build.linkerd import Linkerd, injected_pods

CASE = "linkerd-injector-down-fails-open"
INSTALLED = "2019-12-20T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.15.7"), "2020-01-04T08:02:00Z", "2019-12-01T08:00:00Z")
    platforms.kubeadm(c, "v1.15.7", count=2)
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2019-12-01T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2019-12-01T08:00:00Z")
    c.namespace("backend", annotations={"linkerd.io/inject": "enabled"}, created="2019-12-21T08:00:00Z")
    anchor = Authority("identity.linkerd.cluster.local", valid_from("2019-12-20"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2019-12-20"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2019-12-20"))
    linkerd = Linkerd(c, "stable-2.6.1", INSTALLED, anchor=anchor)
    injector = linkerd.control_plane(cert, issuer, injector_ready=0)["proxy-injector"][0]
    injector["metadata"]["creationTimestamp"] = "2020-01-04T08:00:30Z"
    injector["status"]["containerStatuses"] = [
        running(ct, "2020-01-04T08:01:10Z", ready=False) for ct in injector["spec"]["containers"]
    ]
    linkerd.mwc(ca=cert.b64, helm=False)
    tmpl = app("billing", "registry.example.com/backend/billing:3.0")
    _deploy, rs = c.deployment("backend", "billing", tmpl, replicas=2, created="2019-12-21T09:00:00Z")
    injected_pods(c, linkerd, rs, 1, created="2019-12-21T09:00:05Z")
    c.pod(rs, created="2020-01-04T08:00:32Z")  # re-created while the injector was restarting
    return c
