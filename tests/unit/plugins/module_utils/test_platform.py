from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model import platform
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView


def node(name, labels=None, provider="", kubelet="v1.30.4", addresses=None):
    status = {"nodeInfo": {"kubeletVersion": kubelet}}
    if addresses is not None:
        status["addresses"] = addresses
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"providerID": provider} if provider else {},
        "status": status,
    }


def ds(name, ns="kube-system"):
    return {"kind": "DaemonSet", "metadata": {"name": name, "namespace": ns}}


def view(nodes=(), daemonsets=(), pods=(), version=None):
    snap = {
        "schema": 1,
        "resources": {"nodes": list(nodes), "daemonsets": list(daemonsets), "pods": list(pods)},
        "version": {"gitVersion": version} if version else None,
    }
    return SnapshotView(snap)


EKS_NODE = node(
    "ip-10-0-1-5.ec2.internal",
    {
        "eks.amazonaws.com/nodegroup": "ng-1",
        "topology.kubernetes.io/region": "eu-west-1",
        "alpha.eksctl.io/cluster-name": "prod",
    },
    "aws:///eu-west-1a/i-0abc123",
    "v1.29.6-eks-1552ad0",
)


def test_eks_with_vpc_cni():
    info = platform.detect_platform(view([EKS_NODE], [ds("aws-node"), ds("kube-proxy")], version="v1.29.6-eks-db838b0"))
    assert info["name"] == "eks" and info["flavor"] == ""
    assert info["cni"] == {"name": "aws-vpc-cni", "all": ["aws-vpc-cni"], "overlay": False}
    assert (info["cluster_name"], info["region"], info["instance_id"]) == ("prod", "eu-west-1", "i-0abc123")
    assert info["private"] is None
    assert {"object": "/version", "field": "gitVersion", "value": "v1.29.6-eks-db838b0"} in info["evidence"]
    assert {
        "object": "Node ip-10-0-1-5.ec2.internal",
        "field": "metadata.labels",
        "value": "eks.amazonaws.com/nodegroup=ng-1",
    } in info["evidence"]
    assert info["kubelet_versions"] == ["v1.29.6-eks-1552ad0"]


def test_eks_with_overlay_calico_and_policy_only_calico():
    overlay = platform.detect_platform(view([EKS_NODE], [ds("calico-node", "calico-system")]))
    assert overlay["cni"]["name"] == "calico" and overlay["cni"]["overlay"] is True
    policy_only = platform.detect_platform(view([EKS_NODE], [ds("aws-node"), ds("calico-node", "calico-system")]))
    assert policy_only["cni"]["name"] == "aws-vpc-cni" and policy_only["cni"]["overlay"] is False


def test_eks_fargate():
    fargate = node("fargate-ip-10-0-2-1", {"eks.amazonaws.com/compute-type": "fargate"}, kubelet="v1.29.6-eks-1")
    assert platform.detect_platform(view([fargate]))["flavor"] == "fargate"


def test_gke_private_and_public():
    labels = {"cloud.google.com/gke-nodepool": "default-pool", "topology.kubernetes.io/zone": "europe-west1-b"}
    private = node(
        "gke-prod-eu-default-pool-1a2b3c4d-x1y2",
        labels,
        "gce://proj/europe-west1-b/gke-prod",
        "v1.30.5-gke.1014001",
        addresses=[{"type": "InternalIP", "address": "10.128.0.5"}],
    )
    info = platform.detect_platform(view([private], [ds("anetd")], version="v1.30.5-gke.1014001"))
    assert info["name"] == "gke" and info["private"] is True
    assert info["cluster_name"] == "prod-eu" and info["zone"] == "europe-west1-b"
    assert info["cni"]["name"] == "gke-dataplane-v2" and info["cni"]["overlay"] is False
    public = node(
        "gke-prod-default-pool-1a2b3c4d-x1y2",
        labels,
        kubelet="v1.30.5-gke.1014001",
        addresses=[{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "ExternalIP", "address": "1.2.3.4"}],
    )
    assert platform.detect_platform(view([public]))["private"] is False
    no_addresses = node("gke-prod-default-pool-1a2b3c4d-x1y2", labels, kubelet="v1.30.5-gke.1014001")
    assert platform.detect_platform(view([no_addresses]))["private"] is None  # not visible: no guess


def test_gke_autopilot():
    ap = node(
        "gk3-prod-pool-2-abc-def",
        {"cloud.google.com/gke-nodepool": "pool-2", "cloud.google.com/gke-provisioning": "standard"},
        kubelet="v1.30.5-gke.1",
    )
    assert platform.detect_platform(view([ap]))["flavor"] == "autopilot"


def test_aks_and_openshift():
    aks = node(
        "aks-nodepool1-123-vmss000000",
        {"kubernetes.azure.com/cluster": "MC_rg_prod_westeurope"},
        "azure:///subscriptions/x/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/a/0",
    )
    assert platform.detect_platform(view([aks]))["name"] == "aks"
    ocp = node("worker-0", {"node.openshift.io/os_id": "rhcos"}, kubelet="v1.29.8+f10c92d")
    info = platform.detect_platform(view([ocp], [ds("ovnkube-node", "openshift-ovn-kubernetes")]))
    assert info["name"] == "openshift" and info["cni"]["name"] == "ovn-kubernetes"


def test_self_managed_from_apiserver_static_pod():
    apiserver = {
        "kind": "Pod",
        "metadata": {
            "name": "kube-apiserver-cp-1",
            "namespace": "kube-system",
            "labels": {"component": "kube-apiserver", "tier": "control-plane"},
        },
    }
    info = platform.detect_platform(view([node("cp-1")], [ds("calico-node")], [apiserver], version="v1.31.4"))
    assert info["name"] == "self-managed" and info["flavor"] == "kubeadm"
    assert info["apiserver_pod"] == "kube-system/kube-apiserver-cp-1"
    assert info["cni"]["overlay"] is None  # calico may or may not encapsulate; self-managed needs no answer


def test_k3s_and_kops_and_unknown():
    assert platform.detect_platform(view([node("n1")], version="v1.30.2+k3s1"))["flavor"] == "k3s"
    kops = platform.detect_platform(view([node("n1", provider="aws:///us-east-1a/i-0123")], version="v1.30.2"))
    assert (kops["name"], kops["flavor"]) == ("self-managed", "kops")
    assert platform.detect_platform(view())["name"] == "unknown"


def test_ports_and_describe():
    assert platform.ports_for("istio") == [15017]
    assert platform.ports_for("linkerd", viz=True) == [8443, 9443, 8089]
    assert platform.describe({"name": "eks", "flavor": "", "cni": {"name": "calico", "overlay": True}}) == (
        "EKS, CNI calico (overlay)"
    )
    assert platform.version_tuple("v1.33.2-eks-1") == (1, 33)
