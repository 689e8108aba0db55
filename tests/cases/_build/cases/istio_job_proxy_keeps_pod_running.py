"""istio/istio#11045: Istio 1.0.5 on a kops cluster in AWS (Kubernetes 1.11.6); Jobs in an enabled
namespace never complete: the main container exits, the classic istio-proxy sidecar keeps running
and the Job stays active. The interim answer: opt Jobs out with sidecar.istio.io/inject: "false"."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, completed, container, running, template
from tests.cases._build.istio import Istio

CASE = "istio-job-proxy-keeps-pod-running"
INSTALLED = "2019-01-10T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.11.6"), "2019-01-19T02:30:00Z", "2019-01-05T08:00:00Z")
    platforms.plain(
        c,
        "v1.11.6",
        count=2,
        prefix="ip-172-20-41",
        labels={"kops.k8s.io/instancegroup": "nodes"},
        os_image="Debian GNU/Linux 9 (stretch)",
        provider="aws:///us-west-2a/i-0a1b2c3d4e5f6a7b{index}",
    )
    c.namespaces(["kube-public"], "2019-01-05T08:00:00Z")
    for name in ("kube-system", "istio-system"):
        c.namespace(name, {"istio-injection": "disabled"}, created="2019-01-05T08:00:00Z")
    c.namespace("default", {"istio-injection": "enabled"}, created="2019-01-05T08:00:00Z")
    root = Authority("", valid_from("2019-01-10"), org="cluster.local")
    istio = Istio(c, "1.0.5", INSTALLED, root=root)
    istio.control_plane()
    istio.citadel_workload_secret(
        "istio-sidecar-injector-service-account",
        serving("istio-sidecar-injector.istio-system.svc", valid_from("2019-01-10"), issuer=root),
    )
    istio.mwc(ca=root.b64)
    istio.rbac()
    tmpl = template(
        {"job-name": "pi"},
        [container("pi", "perl", args=["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"])],
        restartPolicy="Never",
    )
    job = c.workload("Job", "default", "pi", tmpl, created="2019-01-19T02:00:00Z")
    spec, labels, annotations = istio.inject(tmpl)
    main, proxy = spec["containers"]
    c.pod(
        job,
        spec,
        labels,
        annotations,
        created="2019-01-19T02:00:02Z",
        statuses=[
            completed(main, "2019-01-19T02:00:10Z", "2019-01-19T02:00:40Z"),
            running(proxy, "2019-01-19T02:00:10Z"),
        ],
    )
    return c
