"""Where a cluster runs: its /version, its nodes and the pods and DaemonSets that give the platform
away (the signals plugins/module_utils/platform.py reads, as the platforms really set them)."""

from __future__ import annotations

from typing import List, Optional

from tests.cases._build.cluster import Cluster, container, meta, template

BUILD = {
    "buildDate": "2024-01-17T13:37:04Z",
    "compiler": "gc",
    "gitCommit": "4b8e819355d791d96b7e9d9efe4cbafae2311c88",
    "gitTreeState": "clean",
    "goVersion": "go1.21.6",
    "platform": "linux/amd64",
}


def version(git: str) -> dict:
    """`kubectl version` serverVersion for a gitVersion such as v1.29.0-eks-c417bb3."""
    core = git.lstrip("v").split("-")[0].split("+")[0]
    major, minor = core.split(".")[:2]
    suffix = "+" if ("-" in git or "+" in git) else ""
    return dict(BUILD, major=major, minor=minor + suffix, gitVersion=git)


def _node(
    c: Cluster,
    name: str,
    labels: dict,
    kubelet: str,
    addresses: list,
    provider: str = "",
    os_image: str = "Ubuntu 22.04.4 LTS",
    runtime: str = "containerd://1.7.13",
    annotations=None,
) -> None:
    base = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
    }
    base.update(labels)
    spec = {"providerID": provider} if provider else {}
    c.add(
        {
            "kind": "Node",
            "metadata": meta("Node", name, labels=base, annotations=annotations, created=c.nodes_created),
            "spec": spec,
            "status": {
                "addresses": addresses,
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                "nodeInfo": {
                    "architecture": "amd64",
                    "containerRuntimeVersion": runtime,
                    "kernelVersion": "5.15.0-1051",
                    "kubeProxyVersion": kubelet,
                    "kubeletVersion": kubelet,
                    "operatingSystem": "linux",
                    "osImage": os_image,
                },
            },
        }
    )
    c.nodes.append(name)


def _system_daemonset(
    c: Cluster,
    ns: str,
    name: str,
    image: str,
    labels: dict,
    nodes: int,
    host_network: bool = True,
    ready: Optional[int] = None,
) -> None:
    tmpl = template(
        dict(labels), [container(name, image)], hostNetwork=host_network, priorityClassName="system-node-critical"
    )
    ds = c.workload("DaemonSet", ns, name, tmpl, created=c.nodes_created, replicas=nodes, ready=ready)
    ds["metadata"]["labels"] = dict(labels)
    for index in range(nodes):
        c.pod(ds, created=c.nodes_created, node=index)


def eks(
    c: Cluster,
    kubelet: str,
    count: int = 2,
    cni: str = "aws-node",
    region: str = "us-west-2",
    cluster: str = "prod",
    group: str = "ng-1",
) -> None:
    """EKS managed node group. `cni` aws-node (the VPC CNI), or calico / weave for an overlay."""
    for index in range(count):
        ip = "10.0.%d.%d" % (1 + index, 11 + index * 7)
        name = "ip-%s.%s.compute.internal" % (ip.replace(".", "-"), region)
        zone = "%s%s" % (region, "abc"[index % 3])
        _node(
            c,
            name,
            {
                "alpha.eksctl.io/cluster-name": cluster,
                "eks.amazonaws.com/capacityType": "ON_DEMAND",
                "eks.amazonaws.com/nodegroup": group,
                "node.kubernetes.io/instance-type": "m5.large",
                "topology.kubernetes.io/region": region,
                "topology.kubernetes.io/zone": zone,
            },
            kubelet,
            [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            provider="aws:///%s/i-0%015x" % (zone, 0x5A17 + index),
            os_image="Amazon Linux 2",
        )
    if cni == "aws-node":
        _system_daemonset(
            c,
            "kube-system",
            "aws-node",
            "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.15.1",
            {"k8s-app": "aws-node"},
            count,
        )
    elif cni == "calico":
        _system_daemonset(
            c, "kube-system", "calico-node", "docker.io/calico/node:v3.8.1", {"k8s-app": "calico-node"}, count
        )
    elif cni == "weave":
        _system_daemonset(
            c, "kube-system", "weave-net", "docker.io/weaveworks/weave-kube:2.5.2", {"name": "weave-net"}, count
        )
    _system_daemonset(
        c,
        "kube-system",
        "kube-proxy",
        "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1",
        {"k8s-app": "kube-proxy"},
        count,
    )


def gke(
    c: Cluster,
    kubelet: str,
    count: int = 2,
    private: bool = False,
    cluster: str = "prod",
    pool: str = "default-pool",
    zone: str = "europe-west1-b",
) -> None:
    """GKE node pool; private clusters have no ExternalIP on their nodes."""
    for index in range(count):
        name = "gke-%s-%s-%s-%s" % (cluster, pool, "6f3c9a1e", "abcd"[index] + "x7q")
        addresses = [{"type": "InternalIP", "address": "10.132.0.%d" % (10 + index)}]
        if not private:
            addresses.append({"type": "ExternalIP", "address": "34.76.%d.%d" % (100 + index, 20 + index)})
        addresses.append({"type": "Hostname", "address": name})
        _node(
            c,
            name,
            {
                "cloud.google.com/gke-nodepool": pool,
                "cloud.google.com/gke-os-distribution": "cos",
                "cloud.google.com/machine-family": "e2",
                "topology.kubernetes.io/region": zone[:-2],
                "topology.kubernetes.io/zone": zone,
            },
            kubelet,
            addresses,
            provider="gce://my-project/%s/%s" % (zone, name),
            os_image="Container-Optimized OS from Google",
        )
    _system_daemonset(
        c, "kube-system", "kube-proxy-%s" % pool, "gke.gcr.io/kube-proxy-amd64:v1", {"component": "kube-proxy"}, 0
    )


def aks(c: Cluster, kubelet: str, count: int = 2, cluster: str = "prod", pool: str = "nodepool1") -> None:
    for index in range(count):
        name = "aks-%s-12345678-vmss00000%d" % (pool, index)
        _node(
            c,
            name,
            {
                "agentpool": pool,
                "kubernetes.azure.com/agentpool": pool,
                "kubernetes.azure.com/cluster": "MC_rg-%s_%s_westeurope" % (cluster, cluster),
                "kubernetes.azure.com/mode": "system",
                "topology.kubernetes.io/region": "westeurope",
                "topology.kubernetes.io/zone": "westeurope-%d" % (1 + index),
            },
            kubelet,
            [{"type": "InternalIP", "address": "10.224.0.%d" % (4 + index)}, {"type": "Hostname", "address": name}],
            provider="azure:///subscriptions/0000/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/"
            "aks-%s-12345678-vmss/virtualMachines/%d" % (pool, index),
        )
    _system_daemonset(
        c,
        "kube-system",
        "azure-cns",
        "mcr.microsoft.com/containernetworking/azure-cns:v1.5",
        {"k8s-app": "azure-cns"},
        count,
    )


def openshift(c: Cluster, kubelet: str, count: int = 2) -> None:
    for index in range(count):
        name = "worker-%d.ocp.example.com" % index
        _node(
            c,
            name,
            {"node-role.kubernetes.io/worker": "", "node.openshift.io/os_id": "rhcos"},
            kubelet,
            [{"type": "InternalIP", "address": "192.168.126.%d" % (51 + index)}, {"type": "Hostname", "address": name}],
            os_image="Red Hat Enterprise Linux CoreOS 415.92",
            runtime="cri-o://1.28.4",
        )
    _system_daemonset(
        c,
        "openshift-ovn-kubernetes",
        "ovnkube-node",
        "quay.io/openshift-release-dev/ocp-v4.0-art-dev:ovn",
        {"app": "ovnkube-node"},
        count,
    )


def kubeadm(
    c: Cluster,
    git: str,
    count: int = 2,
    cni: str = "calico",
    extra_args: Optional[List[str]] = None,
    env: Optional[List[tuple]] = None,
    os_image: str = "Ubuntu 20.04.6 LTS",
) -> None:
    """Self-managed (kubeadm): a readable kube-apiserver static pod is the tell."""
    kubelet = git.split("+")[0].split("-")[0]
    _node(
        c,
        "master-1",
        {"node-role.kubernetes.io/control-plane": ""},
        kubelet,
        [{"type": "InternalIP", "address": "192.168.1.10"}, {"type": "Hostname", "address": "master-1"}],
        os_image=os_image,
    )
    for index in range(count):
        name = "worker-%d" % (index + 1)
        _node(
            c,
            name,
            {},
            kubelet,
            [{"type": "InternalIP", "address": "192.168.1.%d" % (21 + index)}, {"type": "Hostname", "address": name}],
            os_image=os_image,
        )
    args = [
        "kube-apiserver",
        "--advertise-address=192.168.1.10",
        "--allow-privileged=true",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--service-cluster-ip-range=10.96.0.0/12",
    ] + list(extra_args or [])
    image = "registry.k8s.io/kube-apiserver:%s" % kubelet
    spec = {
        "containers": [container("kube-apiserver", image, args=args, env=env)],
        "hostNetwork": True,
        "priorityClassName": "system-node-critical",
    }
    node_ref = {
        "apiVersion": "v1",
        "controller": True,
        "kind": "Node",
        "name": "master-1",
        "uid": meta("Node", "master-1")["uid"],
    }
    c.pod(
        None,
        spec,
        ns="kube-system",
        name="kube-apiserver-master-1",
        node=0,
        created=c.nodes_created,
        labels={"component": "kube-apiserver", "tier": "control-plane"},
        owner_ref_override=node_ref,
    )
    if cni == "calico":
        _system_daemonset(
            c, "kube-system", "calico-node", "docker.io/calico/node:v3.26.1", {"k8s-app": "calico-node"}, count + 1
        )
    elif cni == "flannel":
        _system_daemonset(
            c, "kube-flannel", "kube-flannel-ds", "docker.io/flannel/flannel:v0.22.0", {"app": "flannel"}, count + 1
        )
    _system_daemonset(
        c, "kube-system", "kube-proxy", "registry.k8s.io/kube-proxy:%s" % kubelet, {"k8s-app": "kube-proxy"}, count + 1
    )


def plain(
    c: Cluster,
    kubelet: str,
    count: int = 2,
    prefix: str = "node",
    labels=None,
    os_image: str = "Ubuntu 20.04.6 LTS",
    provider: str = "",
) -> None:
    """Nodes of a self-managed cluster whose control plane is not visible (RKE, kops, k3s, ...)."""
    for index in range(count):
        name = "%s-%d" % (prefix, index + 1)
        _node(
            c,
            name,
            dict(labels or {}),
            kubelet,
            [{"type": "InternalIP", "address": "172.16.0.%d" % (11 + index)}, {"type": "Hostname", "address": name}],
            provider=provider.format(index=index) if provider else "",
            os_image=os_image,
        )
