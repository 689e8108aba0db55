"""Scheduler + kubelet stand-in: binds new pods to a Node (round robin; the virtual node `kubesim-node` when
there are none) and reports their status at once (see podstatus.py for the annotations that steer it).

Run-to-completion pods (Job pods) live: the kubelet starts their containers, lets each exit after its run time
(or when the pod's `kubesim.meshops.io/exit` annotation says so) and completes the pod once every regular
container has exited; a wake-up is queued for the next exit, and it counts as pending work for settle().

Only pods this simulator started are managed: pods created through the API (they arrive Pending with no
conditions) and pods whose steering annotations change afterwards. Seeded pods keep the status they were given.
"""

from __future__ import annotations

import asyncio

from ..meta import now
from ..podstatus import Exits, finishing, pod_status, run_seconds, runs_to_completion, signature, told_exits
from ..rbac import User
from .base import NODES, PODS, Ctx

VIRTUAL_NODE = "kubesim-node"
DEFAULT_HOST_IP = "172.18.0.2"


class Kubelet:
    def __init__(self) -> None:
        self.managed: dict[str, tuple] = {}
        self.pod_ips: dict[str, str] = {}
        self.exits: dict[str, Exits] = {}
        self.started: dict[str, float] = {}
        self._rr = 0

    def reset(self) -> None:
        self.managed.clear()
        self.pod_ips.clear()
        self.exits.clear()
        self.started.clear()

    def _life(self, ctx: Ctx, pod: dict) -> Exits | None:
        """The exits so far of a run-to-completion pod (None for others); queues the next wake-up."""
        if not runs_to_completion(pod):
            return None
        meta = pod["metadata"]
        uid = meta["uid"]
        loop = asyncio.get_running_loop()
        started = self.started.setdefault(uid, loop.time())
        exits = self.exits.setdefault(uid, {})
        stamp = now()
        for name, code in told_exits(pod).items():
            exits.setdefault(name, (code, stamp))
        seconds = run_seconds(pod)
        pending = [n for n in finishing(pod) if n not in exits]
        if seconds is not None and pending:
            due = started + seconds - loop.time()
            if due <= 0:
                for name in pending:
                    exits[name] = (0, stamp)
            else:
                ctx.queue.add_after(("kubelet", meta.get("namespace") or "", meta["name"]), due, pending=True)
        return exits

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
            self.exits.pop(uid, None)
            self.started.pop(uid, None)
            return
        status = pod.get("status") or {}
        fresh = status.get("phase", "Pending") == "Pending" and not status.get("conditions")
        if known_missing := (self.managed.get(uid) is None and not fresh):
            return
        exits = self._life(ctx, pod) if not known_missing else None
        sig = (*signature(pod), tuple(sorted(exits or ())))
        if self.managed.get(uid) == sig:
            return
        spec = dict(pod.get("spec") or {})
        if not spec.get("nodeName"):
            spec["nodeName"] = self._schedule(ctx)
        ip = self.pod_ips.get(uid) or ctx.api.alloc.pod_ip()
        self.pod_ips[uid] = ip
        started = status.get("startTime") or now()
        new = dict(pod, spec=spec)
        new["metadata"] = dict(meta)
        new["status"] = pod_status(new, ip, self._host_ip(ctx, spec["nodeName"]), started, exits)
        user = User(f"system:node:{spec['nodeName']}", ("system:nodes", "system:authenticated"))
        stored = await ctx.api.write(PODS, pod, new, user=user, subresource="status", raw=True)
        self.managed[uid] = (*signature(stored), tuple(sorted(exits or ())))
