"""istio/istio#54968: after upgrading Istio 1.23 to 1.24 the injector renders `istio-init` again
although istio-cni-node still runs: the 1.24 charts read `pilot.cni.enabled`, the install still
set the old `istio_cni.enabled`. Namespaces enforcing Pod Security `baseline` reject every new pod
(NET_ADMIN, NET_RAW). The maintainers: `istio-init` in a pod means CNI is not in use."""

from __future__ import annotations

import json

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, valid_from
from tests.cases._build.cluster import Cluster, app, container
from tests.cases._build.istio import HUB, Istio

CASE = "istio-psa-baseline-after-cni-values-change"
INSTALLED = "2025-02-03T10:00:00Z"
FAILURE = (
    'pods "apache-6c7bc88c5b-4qcb6" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities '
    '(container "istio-init" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.32.1"), "2025-02-04T12:40:00Z", "2024-06-01T08:00:00Z")
    platforms.kubeadm(c, "v1.32.1", count=2)
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease"], "2024-06-01T08:00:00Z")
    c.namespace("istio-system", {"pod-security.kubernetes.io/enforce": "privileged"}, created="2024-06-01T09:00:00Z")
    c.namespace(
        "dev",
        {
            "istio-injection": "enabled",
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "latest",
        },
        created="2024-06-02T09:00:00Z",
    )
    istio = Istio(c, "1.24.2", INSTALLED, root=Authority("", valid_from("2024-06-01"), org="cluster.local"))
    istio.control_plane()
    cm = c.find("ConfigMap", "istio-system", "istio-sidecar-injector")
    values = json.loads(cm["data"]["values"])
    values["istio_cni"] = {"enabled": True}  # the pre-1.22 key the 1.24 template no longer reads
    cm["data"]["values"] = json.dumps(values, indent=2, sort_keys=True)
    istio.mwc(ca=istio.root.b64)
    istio.validator(ca=istio.root.b64)
    istio.rbac()
    cni = c.workload(
        "DaemonSet",
        "istio-system",
        "istio-cni-node",
        {
            "metadata": {"labels": {"k8s-app": "istio-cni-node"}},
            "spec": {"containers": [container("install-cni", "%s/install-cni:1.24.2" % HUB)], "hostNetwork": True},
        },
        created=INSTALLED,
        replicas=3,
    )
    cni["metadata"]["labels"] = {"k8s-app": "istio-cni-node"}
    for index in range(3):
        c.pod(cni, created=INSTALLED, node=index)
    # the running replica was injected by 1.23 (istio-validation, CNI in use); its replacement is rejected
    old = Istio(c, "1.23.4", INSTALLED, root=istio.root)
    tmpl = app("apache", "httpd:2.4")
    _deploy, rs = c.deployment(
        "dev", "apache", tmpl, replicas=2, ready=1, created="2024-09-01T10:00:00Z", failure="Error creating: " + FAILURE
    )
    spec, labels, annotations = old.inject(tmpl, cni=True)
    c.pod(rs, spec, labels, annotations, created="2025-01-20T10:00:00Z")
    c.event(rs, "FailedCreate", "Error creating: " + FAILURE, count=12, first="2025-02-04T12:37:27Z")
    return c
