"""Whether NetworkPolicies let kube-apiserver reach a webhook endpoint.

The API server is not a pod: only an ingress rule without `from` peers, or with an `ipBlock` holding the
API server's address (the `kubernetes` Service endpoint, else the node's InternalIP), admits it; podSelector
and namespaceSelector peers never do (as with most CNIs, where the control plane is outside the pod
network). A pod selected by a policy of type Ingress that admits nothing drops the packets: the call
hangs until the webhook's timeout (`context deadline exceeded`), as it does on a real cluster.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from tests.kubesim.admission import selectors
from tests.kubesim.admission.resolver import maybe_await


async def apiserver_addresses(store: Any) -> list[str]:
    out: list[str] = []
    endpoints = await maybe_await(store.get("v1/endpoints", "default", "kubernetes"))
    for subset in (endpoints or {}).get("subsets") or ():
        out.extend(str(a.get("ip")) for a in subset.get("addresses") or () if a.get("ip"))
    for node in await maybe_await(store.list("v1/nodes")):
        for address in (node.get("status") or {}).get("addresses") or ():
            if address.get("type") == "InternalIP" and address.get("address"):
                out.append(str(address["address"]))
    return out


def _in_block(block: dict, address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
        if ip not in ipaddress.ip_network(str(block.get("cidr")), strict=False):
            return False
        return not any(ip in ipaddress.ip_network(str(e), strict=False) for e in block.get("except") or ())
    except ValueError:
        return False


def _port_matches(rule_ports: list[dict] | None, port: int, port_name: str) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if (entry.get("protocol") or "TCP") != "TCP":
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, int) or str(wanted).isdigit():
            low = int(wanted)
            if low <= port <= int(entry.get("endPort") or low):
                return True
        elif wanted == port_name:
            return True
    return False


async def blocked(store: Any, namespace: str, pod: dict | None, port: int, port_name: str = "") -> bool:
    """True when the policies selecting `pod` (Ingress) admit no traffic from the API server on `port`."""
    if pod is None:
        return False
    labels = (pod.get("metadata") or {}).get("labels") or {}
    policies = [
        p
        for p in await maybe_await(store.list("networking.k8s.io/v1/networkpolicies", namespace))
        if "Ingress" in ((p.get("spec") or {}).get("policyTypes") or ["Ingress"])
        and selectors.matches((p.get("spec") or {}).get("podSelector") or {}, labels)
    ]
    if not policies:
        return False
    sources = await apiserver_addresses(store)
    for policy in policies:
        for rule in (policy.get("spec") or {}).get("ingress") or ():
            if not _port_matches(rule.get("ports"), port, port_name):
                continue
            peers = rule.get("from")
            if not peers:
                return False
            for peer in peers:
                block = peer.get("ipBlock")
                if block and any(_in_block(block, s) for s in sources):
                    return False
    return True
