# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which platform runs the cluster, from what a snapshot shows, and the exact commands that let its
control plane reach a webhook port (SI305).

    info = detect_platform(view)      # stable keys, JSON-serialisable (the snapshot summary uses it)
    {"name": "eks"|"gke"|"aks"|"openshift"|"self-managed"|"unknown",
     "flavor": "fargate"|"autopilot"|"k3s"|"rke2"|"kubeadm"|"kops"|"",
     "private": True|False|None,        # GKE: no node has an ExternalIP (private nodes)
     "cni": {"name": str, "overlay": True|False|None},
     "kubernetes_version": str, "kubelet_versions": [str],
     "cluster_name": str, "region": str, "zone": str, "instance_id": str,
     "apiserver_pod": "kube-system/kube-apiserver-x" | "",
     "evidence": [{"object", "field", "value"}]}

Signals, strongest first: node labels and providerID (eks.amazonaws.com/*, cloud.google.com/gke-*,
kubernetes.azure.com/*, node.openshift.io/os_id), version strings (`v1.29.6-eks-…`, `-gke.`, `+k3s`,
`+rke2`), a readable kube-apiserver static pod (self-managed: on managed platforms the control plane
is not a pod you can see), and the CNI DaemonSets (aws-node is the routable AWS VPC CNI; Calico,
Cilium, Weave or Flannel without aws-node on EKS is an overlay the managed control plane cannot route
to). Absent evidence gives "unknown" or None, never a guess.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.constants import WEBHOOK_PORTS
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence, object_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of, namespace_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.versions import parse_kubernetes
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

LINKERD_VIZ_TAP_PORT = 8089  # viz tap APIService (tap-injector is on 8443)

# CNI DaemonSet name -> CNI name (any namespace: calico-system, kube-system, ...).
CNI_DAEMONSETS = {
    "aws-node": "aws-vpc-cni",
    "calico-node": "calico",
    "cilium": "cilium",
    "weave-net": "weave",
    "kube-flannel-ds": "flannel",
    "kube-flannel": "flannel",
    "anetd": "gke-dataplane-v2",
    "azure-cns": "azure-cni",
    "azure-cni": "azure-cni",
    "ovnkube-node": "ovn-kubernetes",
    "sdn": "openshift-sdn",
    "canal": "canal",
    "antrea-agent": "antrea",
}
OVERLAY_CAPABLE = ("calico", "cilium", "weave", "flannel", "canal", "antrea")


def _version_string(view: SnapshotView) -> str:
    version = view.raw.get("version") or {}
    return str(version.get("gitVersion") or "") if isinstance(version, dict) else str(version)


def _node_info(node: Dict[str, Any]) -> Dict[str, Any]:
    return (node.get("status") or {}).get("nodeInfo") or {}


def kube_apiserver_pods(view: SnapshotView) -> List[Dict[str, Any]]:
    """Readable kube-apiserver static pods (self-managed control planes only)."""
    return [
        p
        for p in view.in_namespace("pods", "kube-system")
        if labels(p).get("component") == "kube-apiserver" or name_of(p).startswith("kube-apiserver-")
    ]


def _cni(view: SnapshotView, out: List[Dict[str, Any]]) -> Dict[str, Any]:
    found: List[Tuple[str, str]] = []
    for ds in view.items("daemonsets"):
        cni = CNI_DAEMONSETS.get(name_of(ds))
        if cni and (cni, namespace_of(ds)) not in found:
            found.append((cni, namespace_of(ds)))
            out.append(evidence(object_ref("DaemonSet", namespace_of(ds), name_of(ds)), "metadata.name", name_of(ds)))
    names = [name for name, unused in found]
    primary = names[0] if names else ""
    if "aws-vpc-cni" in names:
        primary = "aws-vpc-cni"  # Calico policy-only / Cilium chaining on top of it still route VPC IPs
    elif any(n in OVERLAY_CAPABLE for n in names):
        primary = next(n for n in names if n in OVERLAY_CAPABLE)
    return {"name": primary, "all": names, "overlay": None}


def _gke_cluster_name(node_name: str, pool: str) -> str:
    """GKE node names are gke-<cluster>-<pool>-<hash>-<suffix>."""
    marker = "-%s-" % pool
    if node_name.startswith("gke-") and pool and marker in node_name:
        return node_name[4 : node_name.index(marker)]
    return ""


def detect_platform(view: SnapshotView) -> Dict[str, Any]:
    """What runs this cluster (see the module docstring for the keys)."""
    ev: List[Dict[str, Any]] = []
    info: Dict[str, Any] = {
        "name": "unknown",
        "flavor": "",
        "private": None,
        "cni": {"name": "", "all": [], "overlay": None},
        "kubernetes_version": _version_string(view),
        "kubelet_versions": [],
        "cluster_name": "",
        "region": "",
        "zone": "",
        "instance_id": "",
        "apiserver_pod": "",
        "evidence": ev,
    }
    nodes = view.items("nodes")
    votes: Dict[str, int] = {}

    def vote(name: str, obj: str, path: str, value: Any) -> None:
        votes[name] = votes.get(name, 0) + 1
        ev.append(evidence(obj, path, value))

    version = info["kubernetes_version"]
    if "-eks-" in version:
        vote("eks", "/version", "gitVersion", version)
    elif "-gke." in version:
        vote("gke", "/version", "gitVersion", version)
    elif "+k3s" in version or "+rke2" in version:
        info["flavor"] = "k3s" if "+k3s" in version else "rke2"
        vote("self-managed", "/version", "gitVersion", version)

    kubelets = sorted({str(_node_info(n).get("kubeletVersion") or "") for n in nodes} - {""})
    info["kubelet_versions"] = kubelets
    node = nodes[0] if nodes else None
    if node is not None:
        ref = object_ref("Node", "", name_of(node))
        node_labels = labels(node)
        provider = str((node.get("spec") or {}).get("providerID") or "")
        kubelet = str(_node_info(node).get("kubeletVersion") or "")
        info["region"] = node_labels.get("topology.kubernetes.io/region", "")
        info["zone"] = node_labels.get("topology.kubernetes.io/zone", "")
        if any(k.startswith("eks.amazonaws.com/") for k in node_labels) or "-eks-" in kubelet:
            key = next((k for k in sorted(node_labels) if k.startswith("eks.amazonaws.com/")), "")
            vote(
                "eks",
                ref,
                "metadata.labels" if key else "status.nodeInfo.kubeletVersion",
                "%s=%s" % (key, node_labels[key]) if key else kubelet,
            )
            if node_labels.get("eks.amazonaws.com/compute-type") == "fargate":
                info["flavor"] = "fargate"
            info["cluster_name"] = node_labels.get("alpha.eksctl.io/cluster-name", "")
        if any(k.startswith("cloud.google.com/gke-") for k in node_labels) or "-gke." in kubelet:
            pool = node_labels.get("cloud.google.com/gke-nodepool", "")
            vote("gke", ref, "metadata.labels", "cloud.google.com/gke-nodepool=%s" % pool if pool else kubelet)
            info["cluster_name"] = _gke_cluster_name(name_of(node), pool)
            if name_of(node).startswith("gk3-") or "cloud.google.com/gke-provisioning" in node_labels:
                info["flavor"] = "autopilot"
        if any(k.startswith("kubernetes.azure.com/") for k in node_labels) or provider.startswith("azure://"):
            cluster = node_labels.get("kubernetes.azure.com/cluster", "")
            vote(
                "aks",
                ref,
                "metadata.labels" if cluster else "spec.providerID",
                "kubernetes.azure.com/cluster=%s" % cluster if cluster else provider,
            )
        if "node.openshift.io/os_id" in node_labels:
            vote(
                "openshift",
                ref,
                "metadata.labels",
                "node.openshift.io/os_id=%s" % node_labels["node.openshift.io/os_id"],
            )
        if provider.startswith("aws://"):
            info["instance_id"] = provider.rsplit("/", 1)[-1]
            ev.append(evidence(ref, "spec.providerID", provider))
        elif provider.startswith("gce://"):
            ev.append(evidence(ref, "spec.providerID", provider))
        # private GKE nodes have no ExternalIP address
        addresses = (node.get("status") or {}).get("addresses")
        if addresses is not None:
            has_external = any(
                a.get("type") == "ExternalIP" for n in nodes for a in (n.get("status") or {}).get("addresses") or []
            )
            info["private"] = not has_external

    apiservers = kube_apiserver_pods(view)
    if apiservers:
        pod = apiservers[0]
        info["apiserver_pod"] = "%s/%s" % (namespace_of(pod), name_of(pod))
        vote(
            "self-managed",
            object_ref("Pod", namespace_of(pod), name_of(pod)),
            "metadata.labels",
            "component=kube-apiserver",
        )
        info["flavor"] = info["flavor"] or "kubeadm"
    if votes:
        managed = [n for n in ("openshift", "eks", "gke", "aks") if votes.get(n)]
        info["name"] = managed[0] if managed else max(votes, key=lambda n: votes[n])
    elif nodes and info["instance_id"]:
        info["name"], info["flavor"] = "self-managed", "kops"  # AWS instances without EKS markers
    elif nodes:
        info["name"] = "self-managed"
    if info["name"] != "gke":
        info["private"] = None  # only GKE's master firewall depends on it

    info["cni"] = _cni(view, ev)
    if info["name"] == "eks" and info["cni"]["all"]:
        # Pod IPs of an overlay CNI are not VPC addresses: the EKS control plane cannot reach them.
        info["cni"]["overlay"] = info["cni"]["name"] in OVERLAY_CAPABLE
    elif info["cni"]["all"]:
        info["cni"]["overlay"] = None if info["cni"]["name"] in OVERLAY_CAPABLE else False
    return info


# ---- remediation commands ------------------------------------------------------------------------


def ports_for(mesh: str, viz: bool = False) -> List[int]:
    ports = list(WEBHOOK_PORTS.get(mesh, ()))
    if mesh == "linkerd" and viz:
        ports.append(LINKERD_VIZ_TAP_PORT)
    return ports


def _placeholder(value: str, name: str) -> str:
    return value or name


def gke_firewall_steps(info: Dict[str, Any], mesh: str, ports: List[int]) -> List[str]:
    """The GKE master firewall rule commands (istio.io GKE setup page; linkerd.io cluster-configuration)."""
    cluster = _placeholder(info.get("cluster_name", ""), "CLUSTER_NAME")
    location = info.get("zone") or info.get("region") or "LOCATION"
    if mesh == "istio":
        allow = ",".join(["tcp:10250", "tcp:443"] + ["tcp:%d" % p for p in ports])
        return [
            'gcloud compute firewall-rules list --filter="name~gke-%s-[0-9a-z]*-master"' % cluster,
            "gcloud compute firewall-rules update <firewall-rule-name> --allow %s" % allow,
        ]
    allow = ",".join("tcp:%d" % p for p in sorted(set(ports) | {LINKERD_VIZ_TAP_PORT}))
    return [
        "MASTER_IPV4_CIDR=$(gcloud container clusters describe %s --location %s "
        "--format='value(privateClusterConfig.masterIpv4CidrBlock)')" % (cluster, location),
        "NETWORK=$(gcloud container clusters describe %s --location %s --format='value(network)')"
        % (cluster, location),
        'NETWORK_TARGET_TAG=$(gcloud compute firewall-rules list --filter="name~gke-%s-[0-9a-z]*-master" '
        "--format='value(targetTags.list())' | head -n1)" % cluster,
        'gcloud compute firewall-rules create gke-to-linkerd-control-plane --network "$NETWORK" '
        '--allow "%s" --source-ranges "$MASTER_IPV4_CIDR" --target-tags "$NETWORK_TARGET_TAG" --priority 1000' % allow,
    ]


def eks_security_group_steps(info: Dict[str, Any], ports: List[int]) -> List[str]:
    """Open the webhook ports from the EKS cluster security group to the node security group (the rule
    terraform-aws-eks-blueprints' Istio pattern adds). Needed when nodes use their own security group."""
    cluster = _placeholder(info.get("cluster_name", ""), "CLUSTER_NAME")
    region = _placeholder(info.get("region", ""), "REGION")
    instance = _placeholder(info.get("instance_id", ""), "INSTANCE_ID")
    steps = [
        "CLUSTER_SG=$(aws eks describe-cluster --name %s --region %s "
        "--query 'cluster.resourcesVpcConfig.clusterSecurityGroupId' --output text)" % (cluster, region),
        "NODE_SG=$(aws ec2 describe-instances --instance-ids %s --region %s "
        "--query 'Reservations[0].Instances[0].SecurityGroups[0].GroupId' --output text)" % (instance, region),
    ]
    for port in ports:
        steps.append(
            'aws ec2 authorize-security-group-ingress --group-id "$NODE_SG" --protocol tcp --port %d '
            '--source-group "$CLUSTER_SG" --region %s' % (port, region)
        )
    return steps


def describe(info: Dict[str, Any]) -> str:
    """ "EKS (fargate), CNI calico (overlay)" style one-liner for messages."""
    text = (
        str(info.get("name") or "unknown").upper()
        if info.get("name") in ("eks", "gke", "aks")
        else str(info.get("name") or "unknown")
    )
    if info.get("flavor"):
        text += " (%s)" % info["flavor"]
    if info.get("private"):
        text += ", private nodes"
    cni = info.get("cni") or {}
    if cni.get("name"):
        text += ", CNI %s%s" % (cni["name"], " (overlay)" if cni.get("overlay") else "")
    return text


def version_tuple(text: str) -> Optional[Tuple[int, int]]:
    """(1, 29) from a kubelet/gitVersion string, for callers that only need the minor."""
    parsed = parse_kubernetes(text)
    return parsed[:2] if parsed else None
