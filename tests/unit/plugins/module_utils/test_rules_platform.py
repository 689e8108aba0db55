from __future__ import annotations

import json
import shlex

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import platform as r
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f


def node(name, labels=None, provider="", kubelet="v1.30.4", addresses=None):
    status = {"nodeInfo": {"kubeletVersion": kubelet}}
    if addresses is not None:
        status["addresses"] = addresses
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": dict(labels or {})},
        "spec": {"providerID": provider} if provider else {},
        "status": status,
    }


def daemonset(name, ns="kube-system"):
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"template": {"metadata": {}, "spec": {"containers": [{"name": name}]}}},
    }


EKS = node(
    "ip-10-0-1-5.ec2.internal",
    {
        "eks.amazonaws.com/nodegroup": "ng-1",
        "topology.kubernetes.io/region": "eu-west-1",
        "alpha.eksctl.io/cluster-name": "prod",
    },
    "aws:///eu-west-1a/i-0abc123",
    "v1.30.4-eks-1552ad0",
)
GKE_LABELS = {"cloud.google.com/gke-nodepool": "default-pool", "topology.kubernetes.io/zone": "europe-west1-b"}
APP = {"name": "app", "image": "app:1"}
WEB = ObjectRef("Deployment", "web", "shop")
VOTING = ObjectRef("Deployment", "voting", "emoji")
MESHED_SHOP = [f.namespace("shop", {"istio-injection": "enabled"}), f.deployment("web", "shop", {"app": "web"}, [APP])]
MESHED_EMOJI = [
    f.namespace("emoji", annotations={"linkerd.io/inject": "enabled"}),
    f.deployment("voting", "emoji", {"app": "voting"}, [APP]),
]


# ---- SI305 -------------------------------------------------------------------------------------


def test_si305_eks_overlay_is_certain():
    objects = f.linkerd_cp() + MESHED_EMOJI + [EKS, daemonset("calico-node", "calico-system")]
    [finding] = f.run(r.control_plane_firewall, objects, version="v1.30.4-eks-db838b0")
    assert finding.severity == "error" and finding.mesh == "linkerd"
    assert finding.message == (
        "EKS with the calico CNI (overlay, no aws-node): the managed control plane cannot reach "
        "pod addresses, so calls to the Linkerd injector on port 8443 time out or fail with "
        "`Address is not allowed`"
    )
    assert EV("DaemonSet calico-system/calico-node", "metadata.name", "calico-node") in finding.evidence
    steps = finding.rendered_steps()
    [patch] = [line for line in steps if line.startswith("kubectl")]
    words = shlex.split(patch)
    assert words[:6] == ["kubectl", "patch", "deployment/linkerd-proxy-injector", "-n", "linkerd", "--type"]
    assert json.loads(words[-1]) == [
        {"op": "add", "path": "/spec/template/spec/hostNetwork", "value": True},
        {"op": "add", "path": "/spec/template/spec/dnsPolicy", "value": "ClusterFirstWithHostNet"},
    ]
    assert (
        'aws ec2 authorize-security-group-ingress --group-id "$NODE_SG" --protocol tcp --port 9443 '
        '--source-group "$CLUSTER_SG" --region eu-west-1'
    ) in steps
    plan = finding.plan
    assert (plan.action, plan.risk) == ("manual", "disruptive")  # hostNetwork rolls the injector's pods
    assert [op.op for op in plan.operations].count("external") == 4  # two SG lookups, two ports
    assert finding.affects == [VOTING, namespace_ref("emoji")]


def test_si305_eks_vpc_cni_needs_evidence():
    healthy = f.istio_cp() + [EKS, daemonset("aws-node")]
    assert f.run(r.control_plane_firewall, healthy, version="v1.30.4-eks-db838b0") == []
    message = (
        'Error creating: Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": '
        'failed to call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=10s": context '
        "deadline exceeded"
    )
    objects = healthy + [f.event("shop", "ReplicaSet", "web-1", message)]
    [finding] = f.run(r.control_plane_firewall, objects, version="v1.30.4-eks-db838b0")
    assert finding.message.startswith(
        "EKS, CNI aws-vpc-cni: the API server cannot reach the Istio injector (1 failed call(s): timeout)"
    )
    assert [op.op for op in finding.plan.operations] == ["external"] * 3  # no overlay: no hostNetwork patch
    assert finding.affects == [ObjectRef("ReplicaSet", "web-1", "shop"), namespace_ref("shop")]
    assert finding.rendered_steps()[-1] == (
        'aws ec2 authorize-security-group-ingress --group-id "$NODE_SG" --protocol tcp '
        '--port 15017 --source-group "$CLUSTER_SG" --region eu-west-1'
    )
    assert finding.evidence[-1]["value"] == message


def test_si305_gke_private_without_meshed_pods():
    private = node(
        "gke-prod-default-pool-1a2b3c4d-x1y2",
        GKE_LABELS,
        kubelet="v1.30.5-gke.1014001",
        addresses=[{"type": "InternalIP", "address": "10.128.0.5"}],
    )
    objects = f.istio_cp() + [private]
    [finding] = f.run(r.control_plane_firewall, objects, version="v1.30.5-gke.1014001")
    assert finding.severity == "warning"
    assert finding.rendered_steps() == [
        'gcloud compute firewall-rules list --filter="name~gke-prod-[0-9a-z]*-master"',
        "gcloud compute firewall-rules update <firewall-rule-name> --allow tcp:10250,tcp:443,tcp:15017",
    ]
    assert finding.plan.target == ObjectRef("MutatingWebhookConfiguration", "istio-sidecar-injector")
    injected = f.pod(
        "web-1",
        "shop",
        {"app": "web"},
        containers=[{"name": "web"}, {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.2"}],
        annotations={"sidecar.istio.io/status": '{"containers":["istio-proxy"]}'},
    )
    [info] = f.run(
        r.control_plane_firewall,
        [*objects, f.namespace("shop", {"istio-injection": "enabled"}), injected],
        version="v1.30.5-gke.1014001",
    )
    assert info.severity == "info" and "injected pods show such a rule exists" in info.message
    assert info.affects == [ObjectRef("Pod", "web-1", "shop"), namespace_ref("shop")]
    public = node(
        "gke-prod-default-pool-1a2b3c4d-x1y2",
        GKE_LABELS,
        kubelet="v1.30.5-gke.1014001",
        addresses=[{"type": "ExternalIP", "address": "34.1.2.3"}],
    )
    assert f.run(r.control_plane_firewall, f.istio_cp() + [public], version="v1.30.5-gke.1014001") == []


def test_si305_not_on_other_platforms():
    assert f.run(r.control_plane_firewall, f.istio_cp() + [node("worker-1")]) == []


# ---- SI701 -------------------------------------------------------------------------------------


def test_si701_istio_too_new_and_supported():
    assert f.run(r.kubernetes_version_unsupported, f.istio_cp(), version="v1.30.4") == []  # 1.24: 1.28-1.31
    [finding] = f.run(r.kubernetes_version_unsupported, f.istio_cp(), version="v1.33.1")
    assert (finding.severity, finding.kind, finding.namespace, finding.name) == (
        "warning",
        "Deployment",
        "istio-system",
        "istiod",
    )
    assert finding.message == "Istio 1.24.2 on Kubernetes 1.33: newer than the supported range 1.28 - 1.31"
    assert finding.evidence == [
        EV("/version", "gitVersion", "v1.33.1"),
        EV("Deployment istio-system/istiod", "image", "1.24.2"),
    ]
    assert finding.rendered_steps() == [
        "# source: istio.io Supported Releases; istioctl precheck MinK8SVersion",
        "istioctl x precheck",
        "# upgrade the mesh to a release that supports Kubernetes 1.33 (or the cluster into the range)",
    ]
    assert (finding.plan.action, finding.plan.target) == ("manual", ObjectRef("Deployment", "istiod", "istio-system"))
    [meshed] = f.run(r.kubernetes_version_unsupported, f.istio_cp() + MESHED_SHOP, version="v1.33.1")
    assert meshed.affects == [WEB, namespace_ref("shop")]  # every workload of the mesh


def test_si701_linkerd_below_minimum():
    [finding] = f.run(r.kubernetes_version_unsupported, f.linkerd_cp() + MESHED_EMOJI, version="v1.20.15")
    assert finding.severity == "error"
    assert finding.rendered_steps()[1] == "linkerd check --pre"
    assert finding.affects == [VOTING, namespace_ref("emoji")]
    assert finding.message == (
        "Linkerd stable-2.14.10 on Kubernetes 1.20: below the minimum linkerd check / the Helm chart enforces (1.21)"
    )


def test_si701_needs_the_server_version_and_is_skipped_without_it():
    ctx = f.context(f.istio_cp(), version=None)
    assert r.kubernetes_version_unsupported.missing(ctx.view, ctx.capabilities) == ["version"]


# ---- SI702 -------------------------------------------------------------------------------------


def test_si702_linkerd_annotation_on_old_nodes():
    deploy = f.deployment(
        "web",
        "shop",
        {"app": "web"},
        [{"name": "web"}],
        tmpl_annotations={"config.alpha.linkerd.io/proxy-enable-native-sidecar": "true"},
    )
    objects = f.linkerd_cp() + [
        f.namespace("shop", annotations={"linkerd.io/inject": "enabled"}),
        deploy,
        node("n1", kubelet="v1.29.2"),
        node("n2", kubelet="v1.28.9"),
    ]
    [finding] = f.run(r.native_sidecar_unsupported, objects, version="v1.29.2")
    assert (finding.kind, finding.namespace, finding.name, finding.severity) == ("Deployment", "shop", "web", "error")
    assert finding.evidence == [
        EV(
            "Deployment shop/web",
            "spec.template.metadata.annotations[config.alpha.linkerd.io/proxy-enable-native-sidecar]",
            "true",
        ),
        EV("Node n2", "status.nodeInfo.kubeletVersion", "v1.28.9"),
    ]
    assert finding.rendered_steps()[:2] == [
        "# upgrade the control plane and every node to >= 1.29",
        "kubectl get nodes -o custom-columns=NAME:.metadata.name,KUBELET:.status.nodeInfo.kubeletVersion",
    ]
    [off] = finding.plan.alternatives
    change = off.operations[0].as_dict()
    assert change == {
        "op": "set_annotation",
        "target": {"kind": "Deployment", "namespace": "shop", "name": "web"},
        "key": "config.alpha.linkerd.io/proxy-enable-native-sidecar",
        "scope": "template",
        "value": "false",
        "expect": "true",
        "expect_absent": False,
        "risk": "disruptive",
    }
    assert (off.reason, off.opt_in) == ("turn native sidecars off", ("remediate_restart_workloads",))
    assert finding.affects == [WEB, namespace_ref("shop")]  # only the workload that asks
    assert f.run(r.native_sidecar_unsupported, objects[:-1], version="v1.29.2") == []


def test_si702_istio_env_on_old_server():
    objects = f.istio_cp()
    container = f.find(objects, "Deployment", "istiod")["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "ENABLE_NATIVE_SIDECARS", "value": "true"}]
    objects += MESHED_SHOP
    [finding] = f.run(r.native_sidecar_unsupported, objects + [node("n1", kubelet="v1.28.3")], version="v1.28.3")
    assert "run(s) Kubernetes older than 1.29" in finding.message
    assert EV("/version", "gitVersion", "v1.28.3") in finding.evidence
    [off] = finding.plan.alternatives
    assert off.operations[0].as_dict() == {
        "op": "external",
        "target": {"kind": "", "namespace": "", "name": ""},
        "command": "helm upgrade istiod istio/istiod -n istio-system --reuse-values "
        "--set pilot.env.ENABLE_NATIVE_SIDECARS=false",
        "why": "istioctl: --set values.pilot.env.ENABLE_NATIVE_SIDECARS=false",
        "risk": "safe",
    }
    assert finding.affects == [WEB, namespace_ref("shop")]  # istiod's setting: every Istio workload


def test_si702_istio_auto_on_mixed_fleet_is_info():
    objects = f.istio_cp()
    for obj in objects:
        if obj["kind"] in ("Deployment", "Pod"):
            spec = obj["spec"]["template"]["spec"] if obj["kind"] == "Deployment" else obj["spec"]
            spec["containers"][0]["image"] = "docker.io/istio/pilot:1.27.1"
    [finding] = f.run(
        r.native_sidecar_unsupported,
        objects + [node("n1", kubelet="v1.33.1"), node("n2", kubelet="v1.32.4")],
        version="v1.33.1",
    )
    assert finding.severity == "info"
    assert finding.evidence == [EV("Node n2", "status.nodeInfo.kubeletVersion", "v1.32.4")]
    assert finding.rendered_steps() == [
        "# upgrade those nodes, or set ENABLE_NATIVE_SIDECARS=true/false on istiod to decide explicitly"
    ]
    # nothing asks for Istio here: the finding's istiod and its namespace
    assert finding.affects == [ObjectRef("Deployment", "istiod", "istio-system"), namespace_ref("istio-system")]
    assert f.run(r.native_sidecar_unsupported, objects + [node("n1", kubelet="v1.33.1")], version="v1.33.1") == []


# ---- SI703 -------------------------------------------------------------------------------------


def apiserver(env, cidr="10.96.0.0/12"):
    return f.pod(
        "kube-apiserver-cp-1",
        "kube-system",
        {"component": "kube-apiserver"},
        containers=[
            {
                "name": "kube-apiserver",
                "command": ["kube-apiserver", "--service-cluster-ip-range=%s" % cidr],
                "env": [{"name": k, "value": v} for k, v in env.items()],
            }
        ],
    )


def test_si703_proxy_without_svc():
    objects = f.istio_cp() + [
        apiserver(
            {
                "HTTPS_PROXY": "http://user:secret@proxy.corp:3128",
                "NO_PROXY": "localhost,127.0.0.1,10.96.0.0/12,.cluster.local",
            }
        )
    ]
    [finding] = f.run(r.apiserver_proxy_env, objects + MESHED_SHOP)
    assert finding.rendered_steps() == [
        "# edit /etc/kubernetes/manifests/kube-apiserver.yaml on each control-plane node: add .svc,10.96.0.0/12 "
        "to NO_PROXY and no_proxy",
        "kubectl get pod kube-apiserver-cp-1 -n kube-system -o 'jsonpath={.spec.containers[0].env}'",
    ]
    assert finding.affects == [WEB, namespace_ref("shop")]  # what the webhooks behind the proxy decide
    assert finding.message == (
        "kube-apiserver sends webhook calls for istiod.istio-system.svc through HTTPS_PROXY "
        "http://***@proxy.corp:3128: NO_PROXY does not cover them"
    )
    assert "secret" not in repr(finding.as_dict())
    assert finding.evidence == [
        EV("Pod kube-system/kube-apiserver-cp-1", "spec.containers[0].env[HTTPS_PROXY]", "http://***@proxy.corp:3128"),
        EV(
            "Pod kube-system/kube-apiserver-cp-1",
            "spec.containers[0].env[NO_PROXY]",
            "localhost,127.0.0.1,10.96.0.0/12,.cluster.local",
        ),
        EV(
            "Pod kube-system/kube-apiserver-cp-1",
            "spec.containers[0].command[--service-cluster-ip-range]",
            "10.96.0.0/12",
        ),
    ]


def test_si703_covered_or_no_proxy():
    covered = f.istio_cp() + [apiserver({"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "localhost,.svc"})]
    assert f.run(r.apiserver_proxy_env, covered) == []
    http_only = f.istio_cp() + [apiserver({"HTTP_PROXY": "http://proxy:3128"})]
    assert f.run(r.apiserver_proxy_env, http_only) == []  # webhooks are https: HTTP_PROXY is not used


def test_no_proxy_matching():
    assert r.no_proxy_covers("svc", "istiod.istio-system.svc")
    assert r.no_proxy_covers(".svc", "istiod.istio-system.svc")
    assert r.no_proxy_covers("*", "anything")
    assert not r.no_proxy_covers(".cluster.local,10.96.0.0/12", "istiod.istio-system.svc")
    assert r.no_proxy_covers("10.96.0.0/12", "10.96.4.2")
    assert r.no_proxy_covers("*.corp.example", "hook.corp.example")
