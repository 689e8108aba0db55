"""istio/istio#42262 (and #42157): Kubeflow 1.5.0 on OpenShift 4.10; the injected istio-init fails
on every pod: `iptables-restore: unable to initialize table 'nat'` (the node's kernel has no legacy
nat table for the init container's iptables). The sidecar is injected; the pods never start."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app, crashing, waiting
from tests.cases._build.istio import Istio

CASE = "istio-init-iptables-nat-openshift"
INSTALLED = "2022-11-20T10:00:00Z"
MESSAGE = (
    "2022-12-04T16:12:38.103717Z\terror\tCommand error output: xtables parameter problem: iptables-restore: unable to "
    "initialize table 'nat'\nError occurred at line: 1\nTry `iptables-restore -h' or 'iptables-restore --help' for "
    "more "
    "information.\n2022-12-04T16:12:38.103748Z\terror\tFailed to execute: iptables-restore --noflush "
    "/tmp/iptables-rules-1670170358102470740.txt3948297396, exit status 2\n"
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.23.12+8a6bfe4"), "2022-12-04T16:17:48Z", "2022-11-01T08:00:00Z")
    platforms.openshift(c, "v1.23.12+8a6bfe4", count=3)
    c.namespaces(
        ["default", "kube-system", "openshift-operators", "istio-system", "auth", "cert-manager"],
        "2022-11-01T08:00:00Z",
    )
    c.namespace("kubeflow", {"istio-injection": "enabled", "control-plane": "kubeflow"}, created="2022-11-20T11:00:00Z")
    istio = Istio(c, "1.11.4", INSTALLED, root=Authority("", valid_from("2022-11-20"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    for name, image in (
        ("ml-pipeline", "gcr.io/ml-pipeline/api-server:1.8.1"),
        ("centraldashboard", "docker.io/kubeflownotebookswg/centraldashboard:v1.5.0"),
    ):
        tmpl = app(name, image)
        _deploy, rs = c.deployment("kubeflow", name, tmpl, ready=0, created="2022-11-20T11:30:00Z")
        spec, labels, annotations = istio.inject(tmpl)
        init = spec["initContainers"][0]
        c.pod(
            rs,
            spec,
            labels,
            annotations,
            created="2022-12-04T15:00:00Z",
            phase="Pending",
            init_statuses=[crashing(init, MESSAGE, "2022-12-04T16:12:38Z", restarts=17, exit_code=2)],
            statuses=[waiting(ct) for ct in spec["containers"]],
        )
    return c
