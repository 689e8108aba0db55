"""Scheduler + kubelet stand-in: binds new pods to a Node (round robin; the virtual node `kubesim-node` when
there are none) and reports their status at once (see podstatus.py for the annotations that steer it).

Only pods this simulator started are managed: pods created through the API (they arrive Pending with no
conditions) and pods whose steering annotations change afterwards. Seeded pods keep the status they were given.
"""

from __future__ import annotations

from ..meta import now
from ..podstatus import pod_status, signature
from ..rbac import User
from .base import NODES, PODS, Ctx

VIRTUAL_NODE = "kubesim-node"
DEFAULT_HOST_IP = "172.18.0.2"


class Kubelet:
    def __init__(self) -> None:
        self.managed: dict[str, tuple] = {}
        self.pod_ips: dict[str, str] = {}
        self._rr = 0

    def reset(self) -> None:
        self.managed.clear()
        self.pod_ips.clear()

    def _schedule(self, ctx: Ctx) -> str:
        nodes = [n for n in ctx.store.objects(NODES.storage) if not (n.get("spec") or {}).get("unschedulable")]
        if not nodes:
            return VIRTUAL_NODE
        self._rr += 1
        return nodes[self._rr % len(nodes)]["metadata"]["name"]

    @staticmethod
    def _host_ip(ctx: Ctx, node_name: str) -> str:
        node = ctx.store.get(NODES.storage, None, node_name)
        for addr in ((node or {}).get("status") or {}).get("addresses") or ():
            if addr.get("type") == "InternalIP":
                return addr["address"]
        return DEFAULT_HOST_IP

    async def sync(self, ctx: Ctx, ns: str, name: str) -> None:
        pod = ctx.store.get(PODS.storage, ns, name)
        if pod is None:
            return
        meta = pod["metadata"]
        uid = meta["uid"]
        if meta.get("deletionTimestamp"):
            self.managed.pop(uid, None)
            return
        status = pod.get("status") or {}
        fresh = status.get("phase", "Pending") == "Pending" and not status.get("conditions")
        sig = signature(pod)
        known = self.managed.get(uid)
        if (known is None and not fresh) or known == sig:
            return
        spec = dict(pod.get("spec") or {})
        if not spec.get("nodeName"):
            spec["nodeName"] = self._schedule(ctx)
        ip = self.pod_ips.get(uid) or ctx.api.alloc.pod_ip()
        self.pod_ips[uid] = ip
        started = status.get("startTime") or now()
        new = dict(pod, spec=spec)
        new["metadata"] = dict(meta)
        new["status"] = pod_status(new, ip, self._host_ip(ctx, spec["nodeName"]), started)
        user = User(f"system:node:{spec['nodeName']}", ("system:nodes", "system:authenticated"))
        stored = await ctx.api.write(PODS, pod, new, user=user, subresource="status", raw=True)
        self.managed[uid] = signature(stored)
