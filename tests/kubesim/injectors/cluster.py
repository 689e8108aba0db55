"""How injectors read and write cluster state: the simulator's store, or anything shaped like it.

Reads use the admission seam (`get(resource, namespace, name)`, `list(resource, namespace)`). Writes
(istiod's caBundle patcher, Linkerd's events) go through a Writer; `writer_for(store)` adapts the core
store (`put(storage, obj)`) or any object with async/sync `create`/`replace`.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any, Protocol

from tests.kubesim.admission.resolver import maybe_await


class Writer(Protocol):
    async def create(self, resource: str, obj: dict) -> None: ...

    async def replace(self, resource: str, obj: dict) -> None: ...


def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StoreWriter:
    """Writes straight into a store with `put(storage, obj)`, filling the metadata a create would."""

    def __init__(self, store: Any):
        self.store = store

    async def create(self, resource: str, obj: dict) -> None:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_rfc3339())
        await maybe_await(self.store.put(resource, obj))

    async def replace(self, resource: str, obj: dict) -> None:
        await maybe_await(self.store.put(resource, copy.deepcopy(obj)))


class MethodWriter:
    """Delegates to an object that already has create(resource, obj) / replace(resource, obj)."""

    def __init__(self, target: Any):
        self.target = target

    async def create(self, resource: str, obj: dict) -> None:
        await maybe_await(self.target.create(resource, obj))

    async def replace(self, resource: str, obj: dict) -> None:
        await maybe_await(self.target.replace(resource, obj))


def writer_for(store: Any) -> Writer | None:
    if hasattr(store, "create") and hasattr(store, "replace"):
        return MethodWriter(store)
    if hasattr(store, "put"):
        return StoreWriter(store)
    return None


async def owner_workload(store: Any, pod: dict, namespace: str) -> dict | None:
    """The workload a pod belongs to: ReplicaSet -> its Deployment, Job -> its CronJob, else the owner."""
    refs = (pod.get("metadata") or {}).get("ownerReferences") or []
    if len(refs) != 1:
        return None
    ref = refs[0]
    resource = {
        "ReplicaSet": "apps/v1/replicasets",
        "Job": "batch/v1/jobs",
        "StatefulSet": "apps/v1/statefulsets",
        "DaemonSet": "apps/v1/daemonsets",
    }.get(ref.get("kind", ""))
    if resource is None:
        return None
    owner = await maybe_await(store.get(resource, namespace, ref.get("name", "")))
    if owner is None:
        return None
    parents = (owner.get("metadata") or {}).get("ownerReferences") or []
    parent_kind = {"ReplicaSet": ("Deployment", "apps/v1/deployments"), "Job": ("CronJob", "batch/v1/cronjobs")}
    if ref.get("kind") in parent_kind and len(parents) == 1 and parents[0].get("kind") == parent_kind[ref["kind"]][0]:
        parent = await maybe_await(store.get(parent_kind[ref["kind"]][1], namespace, parents[0].get("name", "")))
        if parent is not None:
            return parent
    return owner
