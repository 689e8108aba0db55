"""The seam between the server core and the admission chain (tests/kubesim/admission/, built separately).

The core calls, for every create/update/patch/delete (API requests, dry-run ones, and controller writes such as
ReplicaSet-made pods), after defaulting and before validation and storage:

    obj = await admission.admit(operation="CREATE"|"UPDATE"|"DELETE", resource="v1/pods", subresource=None,
                                namespace="ns" or None, obj=..., old=... or None, dry_run=bool,
                                user={"username": ..., "groups": [...]})

PATCH is operation "UPDATE" with `obj` the patched object (or "CREATE" when an apply-patch creates). For DELETE,
`obj` is a copy of the stored object being deleted; the return value is ignored. `obj` is the chain's to mutate
or replace; `old` is the stored object itself and must not be mutated. On CREATE of a
generateName object, metadata.name is still empty and uid/creationTimestamp are not set yet, as upstream.
The chain raises errors.StatusError to reject.

The chain reads cluster state through `StoreView` (resource strings as above; returns stored dicts, which the
chain must not mutate).
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from .conversions import to_view
from .resources import BY_STRING
from .store import Store

# The one wiring line: True once tests/kubesim/admission/chain.py exists. Until then every write passes
# through unchanged. KUBESIM_ADMISSION=chain|passthrough (env) or KubeSim(admission=...) override it.
ADMISSION_CHAIN_ENABLED = True


class Admission(Protocol):
    async def admit(
        self,
        *,
        operation: str,
        resource: str,
        subresource: str | None,
        namespace: str | None,
        obj: dict,
        old: dict | None,
        dry_run: bool,
        user: dict,
    ) -> dict: ...


class PassThroughAdmission:
    """Admits everything unchanged (used until the real chain is wired)."""

    async def admit(
        self,
        *,
        operation: str,
        resource: str,
        subresource: str | None,
        namespace: str | None,
        obj: dict,
        old: dict | None,
        dry_run: bool,
        user: dict,
    ) -> dict:
        return obj


class StoreView:
    """Read access to the store for the admission chain."""

    def __init__(self, store: Store):
        self._store = store

    def get(self, resource: str, namespace: str | None, name: str) -> dict | None:
        rt = BY_STRING[resource]
        obj = self._store.get(rt.storage, namespace if rt.namespaced else None, name)
        return None if obj is None else to_view(rt.storage, resource, obj)

    def list(self, resource: str, namespace: str | None = None) -> list[dict]:
        rt = BY_STRING[resource]
        objs = self._store.objects(rt.storage, namespace if rt.namespaced else None)
        if rt.stored_as:
            return [to_view(rt.storage, resource, o) for o in objs]
        return objs


def build_admission(view: StoreView, mode: Any = None, resolver: Any = None) -> Admission:
    """`mode`: None (module/env default), "chain", "passthrough", an Admission object, or a factory
    `callable(view, resolver) -> Admission`."""
    if mode is None:
        mode = os.environ.get("KUBESIM_ADMISSION") or ("chain" if ADMISSION_CHAIN_ENABLED else "passthrough")
    if mode == "passthrough":
        return PassThroughAdmission()
    if mode == "chain":
        from .admission.chain import AdmissionChain  # built in parallel; only imported when wired

        return AdmissionChain(view, resolver=resolver)
    if hasattr(mode, "admit"):
        return mode
    if callable(mode):
        return mode(view, resolver)
    raise ValueError(f"unknown admission mode {mode!r}")
