"""Endpoints and EndpointSlice controllers: a Service with a selector gets addresses from the pods it selects
(ready ones in `addresses`, others in `notReadyAddresses`; slices carry ready/serving/terminating conditions).
Scaling the backing workload to zero empties them."""

from __future__ import annotations

from typing import Any

from ..meta import owner_ref
from ..podstatus import is_ready
from ..selectors import selector_matches
from .base import CONTROLLER_MANAGER, ENDPOINT_SLICES, ENDPOINTS, PODS, SERVICES, Ctx

SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"


def _target_port(svc_port: dict, pod: dict) -> int | None:
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for c in (pod.get("spec") or {}).get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("name") == target and p.get("protocol", "TCP") == svc_port.get("protocol", "TCP"):
                return int(p["containerPort"])
    return None


def _backends(ctx: Ctx, svc: dict) -> list[dict]:
    sel = (svc.get("spec") or {}).get("selector")
    ns = svc["metadata"]["namespace"]
    publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
    out = []
    for pod in ctx.store.objects(PODS.storage, ns):
        status = pod.get("status") or {}
        if not status.get("podIP") or status.get("phase") in ("Succeeded", "Failed"):
            continue
        if pod["metadata"].get("deletionTimestamp") and not publish:
            continue
        if selector_matches({"matchLabels": sel}, pod["metadata"].get("labels")):
            out.append(pod)
    return sorted(out, key=lambda p: p["status"]["podIP"])


def _address(pod: dict) -> dict[str, Any]:
    addr: dict[str, Any] = {"ip": pod["status"]["podIP"]}
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        addr["nodeName"] = node
    addr["targetRef"] = {
        "kind": "Pod",
        "namespace": pod["metadata"]["namespace"],
        "name": pod["metadata"]["name"],
        "uid": pod["metadata"]["uid"],
    }
    return addr


def _subsets(svc: dict, pods: list[dict]) -> list[dict]:
    publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
    groups: dict[tuple, dict[str, list]] = {}
    for pod in pods:
        ports = []
        for sp in (svc.get("spec") or {}).get("ports") or ():
            port = _target_port(sp, pod)
            if port is not None:
                entry = {"port": port, "protocol": sp.get("protocol", "TCP")}
                if sp.get("name"):
                    entry = {"name": sp["name"], **entry}
                if sp.get("appProtocol"):
                    entry["appProtocol"] = sp["appProtocol"]
                ports.append(entry)
        key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
        group = groups.setdefault(key, {"addresses": [], "notReadyAddresses": [], "ports": ports})
        ready = is_ready(pod) or publish
        group["addresses" if ready else "notReadyAddresses"].append(_address(pod))
    subsets = []
    for group in groups.values():
        subset: dict[str, Any] = {}
        for k in ("addresses", "notReadyAddresses", "ports"):
            if group[k]:
                subset[k] = group[k]
        subsets.append(subset)
    return subsets


async def _sync_endpoints(ctx: Ctx, svc: dict, pods: list[dict]) -> None:
    meta = svc["metadata"]
    ns, name = meta["namespace"], meta["name"]
    current = ctx.store.get(ENDPOINTS.storage, ns, name)
    subsets = _subsets(svc, pods)
    labels = dict(meta.get("labels") or {})
    desired: dict[str, Any] = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns}}
    if labels:
        desired["metadata"]["labels"] = labels
    if subsets:
        desired["subsets"] = subsets
    if current is None:
        await ctx.api.create(ENDPOINTS, ns, desired, user=CONTROLLER_MANAGER)
        return
    if current.get("subsets") == desired.get("subsets") and (current["metadata"].get("labels") or {}) == labels:
        return
    new = {k: v for k, v in current.items() if k != "subsets"}
    new["metadata"] = (
        dict(current["metadata"], labels=labels)
        if labels
        else {k: v for k, v in current["metadata"].items() if k != "labels"}
    )
    if subsets:
        new["subsets"] = subsets
    await ctx.api.write(ENDPOINTS, current, new, user=CONTROLLER_MANAGER)


async def _sync_slice(ctx: Ctx, svc: dict, pods: list[dict]) -> None:
    meta = svc["metadata"]
    ns, name = meta["namespace"], meta["name"]
    mine = [
        s
        for s in ctx.store.objects(ENDPOINT_SLICES.storage, ns)
        if (s["metadata"].get("labels") or {}).get(SERVICE_NAME) == name
        and (s["metadata"].get("labels") or {}).get(MANAGED_BY) == SLICE_CONTROLLER
    ]
    endpoints = []
    for pod in pods:
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        ready = is_ready(pod) and not terminating
        ep: dict[str, Any] = {
            "addresses": [pod["status"]["podIP"]],
            "conditions": {"ready": ready, "serving": is_ready(pod), "terminating": terminating},
        }
        if (pod.get("spec") or {}).get("nodeName"):
            ep["nodeName"] = pod["spec"]["nodeName"]
        ep["targetRef"] = _address(pod)["targetRef"]
        endpoints.append(ep)
    ports = []
    for sp in (svc.get("spec") or {}).get("ports") or ():
        port = _target_port(sp, pods[0]) if pods else None
        entry: dict[str, Any] = {"name": sp.get("name", ""), "port": port, "protocol": sp.get("protocol", "TCP")}
        if sp.get("appProtocol"):
            entry["appProtocol"] = sp["appProtocol"]
        ports.append(entry)
    labels = dict(meta.get("labels") or {}, **{SERVICE_NAME: name, MANAGED_BY: SLICE_CONTROLLER})
    body: dict[str, Any] = {"addressType": "IPv4", "endpoints": endpoints or None, "ports": ports or None}
    if not mine:
        created = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "generateName": f"{name}-",
                "namespace": ns,
                "labels": labels,
                "ownerReferences": [owner_ref(svc)],
            },
            **body,
        }
        await ctx.api.create(ENDPOINT_SLICES, ns, created, user=CONTROLLER_MANAGER)
        return
    current = mine[0]
    for extra in mine[1:]:
        await ctx.api.delete_as(ENDPOINT_SLICES, extra, CONTROLLER_MANAGER)
    if all(current.get(k) == v for k, v in body.items()) and current["metadata"].get("labels") == labels:
        return
    new = dict(current, **body)
    new["metadata"] = dict(current["metadata"], labels=labels)
    await ctx.api.write(ENDPOINT_SLICES, current, new, user=CONTROLLER_MANAGER)


async def sync_endpoints(ctx: Ctx, ns: str, name: str) -> None:
    svc = ctx.store.get(SERVICES.storage, ns, name)
    if svc is None:
        current = ctx.store.get(ENDPOINTS.storage, ns, name)
        if current is not None and current["metadata"].get("labels", {}).get(MANAGED_BY) is None:
            # The Endpoints object of a deleted Service goes with it (slices are garbage-collected by owner).
            await ctx.api.delete_as(ENDPOINTS, current, CONTROLLER_MANAGER)
        return
    if not (svc.get("spec") or {}).get("selector") or svc["metadata"].get("deletionTimestamp"):
        return
    pods = _backends(ctx, svc)
    await _sync_endpoints(ctx, svc, pods)
    await _sync_slice(ctx, svc, pods)
