"""Deletion machinery: the namespace controller (empties a Terminating namespace, then removes it), the garbage
collector (deletes dependents whose owners are all gone, strips dangling owner references) and the
foregroundDeletion / orphan finalizers."""

from __future__ import annotations

from ..resources import BY_STRING, STORED
from .base import CONTROLLER_MANAGER, NAMESPACES, Ctx


async def sync_namespace(ctx: Ctx, _ns: str, name: str) -> None:
    namespace = ctx.store.get(NAMESPACES.storage, None, name)
    if namespace is None or not namespace["metadata"].get("deletionTimestamp"):
        return
    remaining = 0
    for rt in STORED:
        if not rt.namespaced:
            continue
        for obj in list(ctx.store.objects(rt.storage, name)):
            remaining += 1
            if not obj["metadata"].get("deletionTimestamp"):
                await ctx.api.delete_as(rt, obj, CONTROLLER_MANAGER)
    if remaining and any(ctx.store.objects(rt.storage, name) for rt in STORED if rt.namespaced):
        # Objects held by finalizers: come back when they are gone.
        ctx.queue.add_after(("namespace", "", name), 0.2)
        return
    spec_finalizers = (namespace.get("spec") or {}).get("finalizers") or []
    if spec_finalizers:
        new = dict(namespace, spec=dict(namespace.get("spec") or {}, finalizers=[]))
        namespace = await ctx.api.write(NAMESPACES, namespace, new, user=CONTROLLER_MANAGER, raw=True)
    if not namespace["metadata"].get("finalizers"):
        ctx.store.remove(NAMESPACES.storage, None, name)


async def sync_gc(ctx: Ctx, _ns: str, owner_uid: str) -> None:
    """An owner went away: delete dependents that have no other live owner, drop the dangling reference
    from the others."""
    if owner_uid in ctx.store.by_uid:
        return
    for storage, ns, name in sorted(ctx.store.dependents.get(owner_uid, ())):
        obj = ctx.store.get(storage, ns or None, name)
        if obj is None:
            continue
        refs = obj["metadata"].get("ownerReferences") or []
        alive = [r for r in refs if r.get("uid") != owner_uid and r.get("uid") in ctx.store.by_uid]
        rt = BY_STRING[storage]
        if not alive:
            if not obj["metadata"].get("deletionTimestamp"):
                await ctx.api.delete_as(rt, obj, CONTROLLER_MANAGER)
        else:
            new = dict(obj)
            new["metadata"] = dict(obj["metadata"], ownerReferences=[r for r in refs if r.get("uid") != owner_uid])
            await ctx.api.write(rt, obj, new, user=CONTROLLER_MANAGER, raw=True)


async def sync_finalize(ctx: Ctx, where: str, name: str) -> None:
    storage, _, ns = where.partition("|")
    rt = BY_STRING[storage]
    obj = ctx.store.get(storage, ns or None, name)
    if obj is None or not obj["metadata"].get("deletionTimestamp"):
        return
    uid = obj["metadata"]["uid"]
    finalizers = list(obj["metadata"].get("finalizers") or ())
    dependents = list(ctx.store.dependents.get(uid, ()))
    if "foregroundDeletion" in finalizers:
        if dependents:
            for dep_storage, dep_ns, dep_name in sorted(dependents):
                dep = ctx.store.get(dep_storage, dep_ns or None, dep_name)
                if dep is not None and not dep["metadata"].get("deletionTimestamp"):
                    await ctx.api.delete_as(BY_STRING[dep_storage], dep, CONTROLLER_MANAGER, "Foreground")
            ctx.queue.add_after(("finalize", where, name), 0.05)
            return
        finalizers.remove("foregroundDeletion")
    if "orphan" in finalizers:
        for dep_storage, dep_ns, dep_name in sorted(dependents):
            dep = ctx.store.get(dep_storage, dep_ns or None, dep_name)
            if dep is None:
                continue
            new = dict(dep)
            new["metadata"] = dict(
                dep["metadata"],
                ownerReferences=[r for r in dep["metadata"].get("ownerReferences") or () if r.get("uid") != uid],
            )
            await ctx.api.write(BY_STRING[dep_storage], dep, new, user=CONTROLLER_MANAGER, raw=True)
        finalizers.remove("orphan")
    new = dict(obj)
    new["metadata"] = dict(obj["metadata"], finalizers=finalizers)
    if not finalizers:
        new["metadata"].pop("finalizers")
    await ctx.api.write(rt, obj, new, user=CONTROLLER_MANAGER, raw=True)
