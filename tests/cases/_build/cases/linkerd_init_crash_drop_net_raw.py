"""linkerd/linkerd2#6254: an injected workload whose containers drop NET_RAW; linkerd-init then
cannot program iptables and crash-loops (`iptables v1.8.2 (legacy): can't initialize iptables table
'nat': Permission denied`). The maintainers reproduced it by adding `capabilities: drop: [NET_RAW]`
to an injected deployment."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, app, crashing, waiting
from tests.cases._build.linkerd import Linkerd

CASE = "linkerd-init-crash-drop-net-raw"
INSTALLED = "2021-06-01T10:00:00Z"
MESSAGE = (
    'time="2021-06-11T19:05:18Z" level=info msg="iptables-save -t nat"\n'
    'time="2021-06-11T19:05:18Z" level=error msg="aborting firewall configuration" error="exit status 3"\n'
    "iptables v1.8.2 (legacy): can't initialize iptables table `nat': Permission denied (you must be root)\n"
    "Perhaps iptables or your kernel needs to be upgraded.\n"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.20.7"), "2021-06-11T19:10:00Z", "2021-05-20T08:00:00Z")
    platforms.kubeadm(c, "v1.20.7", count=2)
    c.namespaces(["default", "kube-public", "kube-node-lease"], "2021-05-20T08:00:00Z")
    c.namespace("kube-system", {"config.linkerd.io/admission-webhooks": "disabled"}, created="2021-05-20T08:00:00Z")
    c.namespace("test", annotations={"linkerd.io/inject": "enabled"}, created="2021-06-11T18:50:00Z")
    anchor = Authority("root.linkerd.cluster.local", valid_from("2021-06-01"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2021-06-01"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2021-06-01"))
    linkerd = Linkerd(c, "stable-2.10.2", INSTALLED, anchor=anchor)
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64, helm=False)
    tmpl = app("nginx-deployment", "nginx:1.14.2", port=80)
    tmpl["spec"]["containers"][0]["securityContext"] = {"capabilities": {"drop": ["NET_RAW"]}}
    _deploy, rs = c.deployment("test", "nginx-deployment", tmpl, replicas=2, ready=0, created="2021-06-11T19:03:40Z")
    spec, labels, annotations = linkerd.inject(tmpl)
    labels["linkerd.io/workload-ns"] = "test"
    for _ in range(2):
        c.pod(
            rs,
            spec,
            labels,
            annotations,
            created="2021-06-11T19:03:43Z",
            phase="Pending",
            init_statuses=[
                crashing(spec["initContainers"][0], MESSAGE, "2021-06-11T19:05:18Z", restarts=4, exit_code=1)
            ],
            statuses=[waiting(ct) for ct in spec["containers"]],
        )
    return c
