"""istio/istio#44371: a Namespace applied by Flux with labels `istio-injection: "true"` and
`istio.io/rev: default`; nothing is injected. `kubectl label ... istio-injection=enabled
--overwrite` fixes it: `true` is not a value the webhook selects, and any istio-injection label
keeps the revision webhooks away."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio, plain_pods

CASE = "istio-injection-label-value-true"
INSTALLED = "2023-04-01T10:00:00Z"


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.26.3"), "2023-04-13T11:52:00Z", "2023-03-20T08:00:00Z")
    platforms.kubeadm(c, "v1.26.3", count=2)
    c.namespaces(
        ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system", "flux-system"],
        "2023-03-20T08:00:00Z",
    )
    c.namespace(
        "sample",
        {
            "istio-injection": "true",
            "istio.io/rev": "default",
            "kustomize.toolkit.fluxcd.io/name": "istio-bookinfo",
            "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
        },
        created="2023-04-13T11:51:52Z",
    )
    istio = Istio(c, "1.17.2", INSTALLED, root=Authority("", valid_from("2023-04-01"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64, name="istio-sidecar-injector", deactivated=True)
    istio.mwc(ca=istio.root.b64, tag="default")
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    for name in ("productpage-v1", "reviews-v1"):
        _deploy, rs = c.deployment(
            "sample",
            name,
            app(
                name, "docker.io/istio/examples-bookinfo-%s:1.17.0" % name.replace("-v1", ""), labels={"version": "v1"}
            ),
            created="2023-04-13T11:52:10Z",
        )
        plain_pods(c, rs, 1, created="2023-04-13T11:52:15Z")
    return c
