"""linkerd/linkerd2#10232: on EKS 1.24 the user meshes gatekeeper-system (annotate the namespace,
rollout restart); the namespace enforces Pod Security `restricted`, so the new pods are rejected:
`violates PodSecurity "restricted:v1.24": unrestricted capabilities (container "linkerd-init" must
not include "NET_ADMIN", "NET_RAW" ...), runAsNonRoot != true ..., seccompProfile ...`. The old
replicas keep running without a proxy; a restart only removes them."""

from __future__ import annotations

from tests.cases._build import platforms
from tests.cases._build.certs import Authority, serving, valid_from
from tests.cases._build.cluster import Cluster, container, template
from tests.cases._build.linkerd import Linkerd

CASE = "linkerd-psa-restricted-eks"
INSTALLED = "2023-01-20T10:00:00Z"
FAILURE = (
    'pods "gatekeeper-audit-d4f56788f-9xqz9" is forbidden: violates PodSecurity "restricted:v1.24": unrestricted '
    "capabilities "
    '(container "linkerd-init" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add), '
    "runAsNonRoot != "
    'true (pod or container "linkerd-proxy" must set securityContext.runAsNonRoot=true), seccompProfile (pod or '
    "containers "
    '"linkerd-init", "linkerd-proxy" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
)


def build() -> Cluster:
    c = Cluster(CASE, platforms.version("v1.24.8-eks-ffeb93d"), "2023-01-31T16:00:00Z", "2023-01-05T08:00:00Z")
    platforms.eks(c, "v1.24.7-eks-fb459a0", count=2, cluster="platform", region="us-west-2")
    c.namespaces(["default", "kube-system", "kube-public", "kube-node-lease"], "2023-01-05T08:00:00Z")
    c.namespace(
        "gatekeeper-system",
        {
            "admission.gatekeeper.sh/ignore": "no-self-managing",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "v1.24",
        },
        {"linkerd.io/inject": "enabled"},
        created="2023-01-05T09:00:00Z",
    )
    anchor = Authority("root.linkerd.cluster.local", valid_from("2023-01-20"))
    issuer = Authority("identity.linkerd.cluster.local", valid_from("2023-01-20"), issuer=anchor)
    cert = serving("linkerd-proxy-injector.linkerd.svc", valid_from("2023-01-20"))
    linkerd = Linkerd(c, "stable-2.12.4", INSTALLED, anchor=anchor)
    linkerd.control_plane(cert, issuer)
    linkerd.mwc(ca=cert.b64)
    for name in ("gatekeeper-audit", "gatekeeper-controller-manager"):
        tmpl = template(
            {"app": "gatekeeper", "control-plane": name.split("-", 1)[1]},
            [container("manager", "openpolicyagent/gatekeeper:v3.11.0", security={"runAsNonRoot": True})],
            annotations={"kubectl.kubernetes.io/restartedAt": "2023-01-31T15:40:00Z"},
        )
        _deploy, new_rs = c.deployment(
            "gatekeeper-system", name, tmpl, replicas=1, ready=0, created="2023-01-05T09:10:00Z", failure=FAILURE
        )
        c.event(
            new_rs,
            "FailedCreate",
            "(combined from similar events): Error creating: "
            + FAILURE.replace("gatekeeper-audit-d4f56788f", new_rs["metadata"]["name"]),
            count=16,
            first="2023-01-31T15:40:02Z",
        )
        old_tmpl = template(dict(tmpl["metadata"]["labels"]), tmpl["spec"]["containers"])
        old = dict(
            new_rs,
            metadata=dict(new_rs["metadata"], name=name + "-7b9c5d8f6", uid=new_rs["metadata"]["uid"][:-4] + "0ld0"),
            spec=dict(new_rs["spec"], template=old_tmpl),
        )
        old["metadata"] = dict(old["metadata"], creationTimestamp="2023-01-05T09:10:00Z")
        c.add(old)
        c.pod(old, created="2023-01-05T09:10:05Z")
    return c
