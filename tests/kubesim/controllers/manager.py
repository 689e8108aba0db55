"""The controller manager: a client-go style work queue fed by store changes, drained by a few workers.

Store changes are mapped to keys (controller, namespace, name); a key is never processed by two workers at once
and is coalesced while queued. `wait_idle()` lets API handlers answer only after the controllers have caught
up (bounded), and `settle()` gives tests a deterministic "everything reconciled" point.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Awaitable, Callable, Mapping

from ..errors import StatusError
from ..selectors import selector_matches
from ..store import Store
from .base import Ctx

log = logging.getLogger("kubesim.controllers")

Key = tuple[str, str, str]
Sync = Callable[[Ctx, str, str], Awaitable[None]]


class WorkQueue:
    def __init__(self) -> None:
        self._queue: deque[Key] = deque()
        self._dirty: set[Key] = set()
        self._processing: set[Key] = set()
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        # Timers for work that is due (a Job container about to exit), as opposed to retries: they keep the
        # queue from being idle, so settle() and the catch-up after a write wait for them.
        self._pending: set[Key] = set()
        self._failures: dict[Key, int] = {}
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def add(self, key: Key) -> None:
        if key in self._dirty:
            return
        self._dirty.add(key)
        self._idle.clear()
        if key not in self._processing:
            self._queue.append(key)
            self._ready.set()

    def add_after(self, key: Key, delay: float, pending: bool = False) -> None:
        if key in self._timers:
            if not pending or key in self._pending:
                return
            self._timers.pop(key).cancel()
        loop = asyncio.get_running_loop()
        if pending:
            self._pending.add(key)
            self._idle.clear()

        def fire() -> None:
            self._timers.pop(key, None)
            self._pending.discard(key)
            self.add(key)

        self._timers[key] = loop.call_later(delay, fire)

    def backoff(self, key: Key, base: float, cap: float) -> float:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        # Cap the exponent too: 2**n as a float overflows after ~1000 failures of a busy controller.
        return min(base * (2 ** min(n, 32)), cap)

    def forget(self, key: Key) -> None:
        self._failures.pop(key, None)

    async def get(self) -> Key:
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        key = self._queue.popleft()
        self._dirty.discard(key)
        self._processing.add(key)
        return key

    def done(self, key: Key) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._ready.set()
        elif not self._queue and not self._processing and not self._pending:
            self._idle.set()

    @property
    def idle(self) -> bool:
        return self._idle.is_set()

    async def wait_idle(self, timeout: float | None) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def clear(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._pending.clear()
        self._queue.clear()
        self._dirty.clear()
        self._failures.clear()
        if not self._processing:
            self._idle.set()


class ControllerManager:
    def __init__(self, ctx: Ctx, controllers: Mapping[str, Sync], workers: int = 4):
        self.ctx = ctx
        self.store: Store = ctx.store
        self.queue = ctx.queue
        self.controllers = controllers
        self.workers = workers
        self.enabled = True
        self._tasks: list[asyncio.Task] = []
        self.tokens: Any = None  # the legacy tokens controller (the authenticator asks it)

    def start(self) -> None:
        self.store.listeners.append(self.on_change)
        self._tasks = [asyncio.get_running_loop().create_task(self._worker()) for _ in range(self.workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.on_change in self.store.listeners:
            self.store.listeners.remove(self.on_change)

    async def _worker(self) -> None:
        while True:
            key = await self.queue.get()
            try:
                sync = self.controllers.get(key[0])
                if sync is not None and self.enabled:
                    await sync(self.ctx, key[1], key[2])
            except asyncio.CancelledError:
                raise
            except StatusError as exc:
                # Conflicts and similar: try again shortly, like a rate-limited requeue.
                log.debug("sync %s: %s", key, exc.message)
                self.queue.add_after(key, self.queue.backoff(key, self.ctx.backoff_base, self.ctx.backoff_max))
            except Exception:
                log.exception("controller sync %s failed", key)
            finally:
                self.queue.done(key)

    # ------------------------------------------------------------------ change → keys
    def enqueue_all(self) -> None:
        """Reconcile everything (used after seeding with reconcile=True)."""
        for storage, ctl in (
            ("apps/v1/deployments", "deployment"),
            ("apps/v1/replicasets", "replicaset"),
            ("apps/v1/statefulsets", "statefulset"),
            ("apps/v1/daemonsets", "daemonset"),
            ("batch/v1/jobs", "job"),
            ("batch/v1/cronjobs", "cronjob"),
            ("v1/services", "endpoints"),
            ("v1/pods", "kubelet"),
            ("v1/secrets", "tokens"),
        ):
            for obj in self.store.objects(storage):
                self.queue.add((ctl, obj["metadata"].get("namespace") or "", obj["metadata"]["name"]))
        for obj in self.store.objects("v1/namespaces"):
            if obj["metadata"].get("deletionTimestamp"):
                self.queue.add(("namespace", "", obj["metadata"]["name"]))
            else:
                self.queue.add(("serviceaccount", "", obj["metadata"]["name"]))

    def on_change(self, storage: str, type_: str, old: dict | None, new: dict | None) -> None:
        if not self.enabled:
            return
        obj = new if new is not None else old
        assert obj is not None
        meta = obj["metadata"]
        ns, name = meta.get("namespace") or "", meta["name"]
        add = self.queue.add
        if storage == "v1/pods":
            if new is not None:
                add(("kubelet", ns, name))
            owner = _controller_kind(obj)
            if owner:
                kind, owner_name = owner
                ctl = {
                    "ReplicaSet": "replicaset",
                    "StatefulSet": "statefulset",
                    "DaemonSet": "daemonset",
                    "Job": "job",
                }.get(kind)
                if ctl:
                    add((ctl, ns, owner_name))
            self._pods_changed_for_services(ns, old, new)
        elif storage == "apps/v1/replicasets":
            add(("replicaset", ns, name))
            owner = _controller_kind(obj)
            if owner and owner[0] == "Deployment":
                add(("deployment", ns, owner[1]))
        elif storage == "apps/v1/deployments":
            add(("deployment", ns, name))
        elif storage == "apps/v1/statefulsets":
            add(("statefulset", ns, name))
        elif storage == "apps/v1/daemonsets":
            add(("daemonset", ns, name))
        elif storage == "batch/v1/jobs":
            add(("job", ns, name))
            owner = _controller_kind(obj)
            if owner and owner[0] == "CronJob":
                add(("cronjob", ns, owner[1]))
        elif storage == "batch/v1/cronjobs":
            add(("cronjob", ns, name))
        elif storage == "v1/nodes":
            for ds in self.store.objects("apps/v1/daemonsets"):
                add(("daemonset", ds["metadata"]["namespace"], ds["metadata"]["name"]))
        elif storage == "v1/services":
            add(("endpoints", ns, name))
        elif storage == "v1/namespaces" and new is not None and meta.get("deletionTimestamp"):
            add(("namespace", "", name))
        elif storage == "v1/namespaces" and new is not None:
            add(("serviceaccount", "", name))
        elif storage == "v1/serviceaccounts":
            if type_ == "DELETED" and name == "default":
                add(("serviceaccount", "", ns))
            for secret in self.store.objects("v1/secrets", ns):
                if (secret["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.name") == name:
                    add(("tokens", ns, secret["metadata"]["name"]))
        elif storage == "v1/secrets" and new is not None and new.get("type") == "kubernetes.io/service-account-token":
            add(("tokens", ns, name))
        if type_ == "DELETED" and meta.get("uid") in self.store.dependents:
            add(("gc", "", meta["uid"]))
        if (
            new is not None
            and meta.get("deletionTimestamp")
            and ({"foregroundDeletion", "orphan"} & set(meta.get("finalizers") or ()))
        ):
            add(("finalize", f"{storage}|{ns}", name))

    def _pods_changed_for_services(self, ns: str, old: dict | None, new: dict | None) -> None:
        labels = [p["metadata"].get("labels") for p in (old, new) if p is not None]
        for svc in self.store.objects("v1/services", ns):
            sel = (svc.get("spec") or {}).get("selector")
            if sel and any(selector_matches({"matchLabels": sel}, lab) for lab in labels):
                self.queue.add(("endpoints", ns, svc["metadata"]["name"]))


def _controller_kind(obj: dict) -> tuple[str, str] | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref.get("kind", ""), ref.get("name", "")
    return None
