"""istio-ecosystem/sail-operator#16: Istio 1.20.3 on OpenShift with a broken `openshift` profile:
the injector renders `istio-init` (no CNI), and the restricted-v2 SCC rejects it (runAsUser 0,
NET_ADMIN, NET_RAW) for every bookinfo pod."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app
from tests.cases._build.istio import Istio

CASE = "istio-openshift-scc-restricted-v2"
INSTALLED = "2024-04-04T08:00:00Z"
FAILURE = (
    'pods "productpage-v1-78dd566f6f-" is forbidden: unable to validate against any security context constraint: '
    '[provider "anyuid": Forbidden: not usable by user or serviceaccount, provider restricted-v2: '
    ".initContainers[0].runAsUser: "
    "Invalid value: 0: must be in the ranges: [1000680000, 1000689999], provider restricted-v2: "
    '.initContainers[0].capabilities.add: Invalid value: "NET_ADMIN": capability may not be added, provider '
    "restricted-v2: "
    '.initContainers[0].capabilities.add: Invalid value: "NET_RAW": capability may not be added, provider '
    '"restricted": '
    'Forbidden: not usable by user or serviceaccount, provider "nonroot-v2": Forbidden: not usable by user or '
    "serviceaccount, "
    'provider "nonroot": Forbidden: not usable by user or serviceaccount, provider "hostmount-anyuid": Forbidden: '
    "not usable "
    'by user or serviceaccount, provider "hostnetwork-v2": Forbidden: not usable by user or serviceaccount, provider '
    '"hostnetwork": Forbidden: not usable by user or serviceaccount, provider "hostaccess": Forbidden: not usable by '
    "user or "
    'serviceaccount, provider "privileged": Forbidden: not usable by user or serviceaccount]'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.28.7+f1b5f6c"), "2024-04-04T10:15:00Z", "2024-03-01T08:00:00Z")
    platforms.openshift(c, "v1.28.7+f1b5f6c", count=3)
    c.namespaces(["default", "kube-system", "openshift-operators", "istio-system"], "2024-03-01T08:00:00Z")
    c.namespace(
        "bookinfo",
        {"istio-injection": "enabled"},
        {"openshift.io/sa.scc.uid-range": "1000680000/10000"},
        created="2024-04-04T09:00:00Z",
    )
    istio = Istio(c, "1.20.3", INSTALLED, root=Authority("", valid_from("2024-04-04"), org="cluster.local"))
    istio.control_plane()
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    for name in ("productpage-v1", "details-v1", "ratings-v1"):
        _deploy, rs = c.deployment(
            "bookinfo",
            name,
            app(
                name,
                "docker.io/istio/examples-bookinfo-%s:1.18.0" % name.replace("-v1", "") + "",
                labels={"version": "v1"},
            ),
            ready=0,
            created="2024-04-04T10:05:00Z",
            failure="Error creating: " + FAILURE.replace("productpage-v1-78dd566f6f", name + "-78dd566f6f"),
        )
        c.event(
            rs,
            "FailedCreate",
            "Error creating: " + FAILURE.replace("productpage-v1-78dd566f6f-", rs["metadata"]["name"] + "-"),
            count=17,
            first="2024-04-04T10:08:00Z",
        )
    return c
