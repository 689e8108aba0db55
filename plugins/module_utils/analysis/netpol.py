# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NetworkPolicy evaluation for one question (SI304): may the API server open a TCP connection to
port P of the injector pods?

Semantics (networking.k8s.io/v1):
  * a policy applies to the pods of its own namespace that its `podSelector` selects ({} = all);
  * `policyTypes` absent: every policy affects Ingress, and Egress too when it has egress rules.
    So a policy with no rules at all (`spec: {podSelector: {}}`) is a default-deny for ingress;
  * a pod selected by at least one Ingress policy is isolated: only what some rule of those policies
    allows gets in (rules are additive, across policies);
  * a rule allows a source when `from` is empty/absent (every source) or one peer matches, and the
    port when `ports` is empty/absent (every port) or one entry matches: protocol (default TCP),
    `port` absent (every port), a number (with `endPort`: the inclusive range), or a name resolved
    against the selected pod's own containerPorts.
  * The API server is not a pod. On managed platforms (EKS, GKE, AKS, OpenShift's hosted control
    planes) it is outside the pod network entirely, and on self-managed clusters it runs with
    hostNetwork: `namespaceSelector`/`podSelector` peers never admit it. Only an `ipBlock` covering its
    address does. When that address is unknown (the usual case), only 0.0.0.0/0 or ::/0 without
    `except` is certain to admit it; any other ipBlock gives "unknown", never a guess.
Ports are the pod's ports (the Service targetPort after resolution), not the Service port.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, Iterable, List, Optional, Sequence

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of, namespace_of

YES, NO, UNKNOWN = "yes", "no", "unknown"
_EVERYWHERE = ("0.0.0.0/0", "::/0")


def policy_types(policy: Dict[str, Any]) -> List[str]:
    """The effective policyTypes of a NetworkPolicy."""
    spec = policy.get("spec") or {}
    declared = spec.get("policyTypes")
    if declared:
        return list(declared)
    types = ["Ingress"]
    if spec.get("egress"):
        types.append("Egress")
    return types


def selects(policy: Dict[str, Any], pod: Dict[str, Any]) -> bool:
    """True when the policy applies to the pod (same namespace, podSelector matches its labels)."""
    if namespace_of(policy) != namespace_of(pod):
        return False
    return selectors.matches((policy.get("spec") or {}).get("podSelector") or {}, labels(pod))


def container_ports(pod: Dict[str, Any]) -> List[Dict[str, Any]]:
    spec = pod.get("spec") or {}
    ports: List[Dict[str, Any]] = []
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        ports.extend(container.get("ports") or [])
    return ports


def named_port(pod: Dict[str, Any], name: str, protocol: str) -> Optional[int]:
    for port in container_ports(pod):
        if port.get("name") == name and (port.get("protocol") or "TCP") == protocol:
            return port.get("containerPort")
    return None


def port_entry_matches(entry: Dict[str, Any], pod: Dict[str, Any], port: int, protocol: str) -> bool:
    if (entry.get("protocol") or "TCP") != protocol:
        return False
    value = entry.get("port")
    if value is None:
        return True
    if isinstance(value, str) and not value.isdigit():
        return named_port(pod, value, protocol) == port
    low = int(value)
    high = entry.get("endPort")
    if high is not None:
        return low <= port <= int(high)
    return low == port


def peer_admits(peer: Dict[str, Any], source_ips: Sequence[str]) -> str:
    """YES/NO/UNKNOWN: does this `from` peer admit the API server (addresses `source_ips`, maybe empty)."""
    block = peer.get("ipBlock")
    if not block:
        return NO  # namespaceSelector / podSelector peers select pods; the API server is not one
    try:
        cidr = ipaddress.ip_network(block.get("cidr", ""), strict=False)
        excepts = [ipaddress.ip_network(e, strict=False) for e in block.get("except") or []]
    except ValueError:
        return NO  # the API server rejects such a policy; it admits nothing
    if source_ips:
        results = []
        for text in source_ips:
            address = ipaddress.ip_address(text)
            inside = address.version == cidr.version and address in cidr
            excluded = any(address.version == e.version and address in e for e in excepts)
            results.append(inside and not excluded)
        return YES if all(results) else NO if not any(results) else UNKNOWN
    if str(cidr) in _EVERYWHERE and not excepts:
        return YES
    return UNKNOWN


def rule_admits(rule: Dict[str, Any], pod: Dict[str, Any], port: int, protocol: str, source_ips: Sequence[str]) -> str:
    entries = rule.get("ports") or []
    if entries and not any(port_entry_matches(e, pod, port, protocol) for e in entries):
        return NO
    peers = rule.get("from") or []
    if not peers:
        return YES
    answers = [peer_admits(p, source_ips) for p in peers]
    return YES if YES in answers else UNKNOWN if UNKNOWN in answers else NO


def evaluate_pod(
    policies: Iterable[Dict[str, Any]],
    pod: Dict[str, Any],
    port: int,
    protocol: str = "TCP",
    source_ips: Sequence[str] = (),
) -> Dict[str, Any]:
    """Ingress decision for one pod: {pod, isolated, admitted (yes/no/unknown), isolating[], admitting[],
    uncertain[]} where the lists hold policy names."""
    isolating: List[str] = []
    admitting: List[str] = []
    uncertain: List[str] = []
    for policy in policies:
        if not selects(policy, pod) or "Ingress" not in policy_types(policy):
            continue
        isolating.append(name_of(policy))
        answers = [
            rule_admits(r, pod, port, protocol, source_ips) for r in (policy.get("spec") or {}).get("ingress") or []
        ]
        if YES in answers:
            admitting.append(name_of(policy))
        elif UNKNOWN in answers:
            uncertain.append(name_of(policy))
    if not isolating:
        admitted = YES
    else:
        admitted = YES if admitting else UNKNOWN if uncertain else NO
    return {
        "pod": name_of(pod),
        "isolated": bool(isolating),
        "admitted": admitted,
        "isolating": sorted(isolating),
        "admitting": sorted(admitting),
        "uncertain": sorted(uncertain),
    }


def apiserver_ingress(
    policies: Iterable[Dict[str, Any]],
    pods: Iterable[Dict[str, Any]],
    port: int,
    protocol: str = "TCP",
    source_ips: Sequence[str] = (),
) -> Dict[str, Any]:
    """Is ingress from the API server to `port` of these pods admitted?

    verdict: "admitted" (every pod), "blocked" (every pod), "partial" (some pods blocked), "unknown"
    (depends on the API server address), or "no-pods". `blocked_pods` names the pods no rule admits and
    `policies` the policies that decided (isolating ones when blocked, admitting ones otherwise)."""
    policies = list(policies)
    results = [evaluate_pod(policies, pod, port, protocol, source_ips) for pod in pods]
    if not results:
        return {"verdict": "no-pods", "pods": [], "blocked_pods": [], "policies": []}
    blocked = [r for r in results if r["admitted"] == NO]
    unknown = [r for r in results if r["admitted"] == UNKNOWN]
    if blocked and len(blocked) == len(results):
        verdict = "blocked"
    elif blocked:
        verdict = "partial"
    elif unknown:
        verdict = "unknown"
    else:
        verdict = "admitted"
    deciding: set = set()
    for result in results:
        if result["admitted"] == NO:
            deciding.update(result["isolating"])
        elif result["admitted"] == UNKNOWN:
            deciding.update(result["uncertain"])
        else:
            deciding.update(result["admitting"])
    return {
        "verdict": verdict,
        "pods": results,
        "blocked_pods": sorted(r["pod"] for r in blocked),
        "policies": sorted(deciding),
    }
