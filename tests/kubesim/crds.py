"""CustomResourceDefinitions served generically: each served version of a stored CRD becomes a resource
type of this server - discovery, routing, CRUD, watch, the status (and scale) subresources, OpenAPI and
Table columns (additionalPrinterColumns) - until the CRD goes away, which deletes its objects.

As kube-apiserver's CRD controllers do, a new CRD gets the `NamesAccepted` and `Established` conditions,
`status.acceptedNames` and `status.storedVersions`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import resources
from .meta import now
from .resources import CRUD, ResourceType
from .store import Bucket, Store

CRDS = "apiextensions.k8s.io/v1/customresourcedefinitions"


def names_of(crd: dict) -> dict[str, Any]:
    names = dict((crd.get("spec") or {}).get("names") or {})
    kind = str(names.get("kind") or "")
    names.setdefault("singular", kind.lower())
    names.setdefault("listKind", f"{kind}List")
    return names


def served_versions(crd: dict) -> list[dict]:
    return [v for v in (crd.get("spec") or {}).get("versions") or () if v.get("served", True) and v.get("name")]


def types_of(crd: dict) -> list[ResourceType]:
    spec = crd.get("spec") or {}
    names = names_of(crd)
    group = str(spec.get("group") or "")
    if not group or not names.get("plural") or not names.get("kind"):
        return []
    out = []
    for version in served_versions(crd):
        subs = version.get("subresources") or {}
        out.append(
            ResourceType(
                group=group,
                version=str(version["name"]),
                plural=str(names["plural"]),
                singular=str(names["singular"]),
                kind=str(names["kind"]),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                verbs=CRUD,
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=tuple(s for s in ("scale", "status") if s in subs),
                # Approximation: CRs bump generation on spec changes (upstream: anything but metadata/status).
                generation_fields=("spec",),
                custom=True,
            )
        )
    return out


def established_status(crd: dict) -> dict[str, Any]:
    stamp = now()
    names = names_of(crd)
    storage = [v["name"] for v in (crd.get("spec") or {}).get("versions") or () if v.get("storage")]
    stored = list((crd.get("status") or {}).get("storedVersions") or ())
    for version in storage:
        if version not in stored:
            stored.append(version)
    return {
        "acceptedNames": {
            k: names[k] for k in ("kind", "listKind", "plural", "singular", "shortNames", "categories") if names.get(k)
        },
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "lastTransitionTime": stamp,
                "reason": "NoConflicts",
                "message": "no conflicts found",
            },
            {
                "type": "Established",
                "status": "True",
                "lastTransitionTime": stamp,
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
        "storedVersions": stored,
    }


def _established(crd: dict) -> bool:
    return any(
        c.get("type") == "Established" and c.get("status") == "True"
        for c in (crd.get("status") or {}).get("conditions") or ()
    )


class CustomResources:
    """The custom kinds one server serves, kept in step with its CRD objects."""

    def __init__(self, store: Store):
        self.store = store
        self.served: dict[tuple[str, str, str], ResourceType] = {}
        self.versions: dict[tuple[str, str, str], dict] = {}  # (group, version, plural) → CRD version entry
        self.generation = 0
        store.listeners.append(self._changed)

    # ---- lookups
    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self.served.get((group, version, plural))

    def by_gvk(self, api_version: str, kind: str) -> ResourceType | None:
        for rt in self.served.values():
            if rt.api_version == api_version and rt.kind == kind:
                return rt
        return None

    def types(self) -> list[ResourceType]:
        return list(resources.RESOURCES) + sorted(self.served.values(), key=lambda r: (r.group, r.version, r.plural))

    def group_versions(self) -> dict[str, tuple[str, ...]]:
        """Groups in /apis order (built-in first, then custom groups by name), versions as the CRD lists them."""
        out: dict[str, tuple[str, ...]] = {g: resources.GROUP_VERSIONS[g] for g in resources.GROUP_ORDER}
        for group, version, _ in sorted(self.served, key=lambda k: k[0]):
            if version not in out.setdefault(group, ()):
                out[group] = out[group] + (version,)
        return out

    def schemas(self) -> dict[tuple[str, str, str, str], dict[str, Any] | None]:
        out: dict[tuple[str, str, str, str], dict[str, Any] | None] = {}
        for key, rt in self.served.items():
            schema = ((self.versions[key].get("schema") or {}).get("openAPIV3Schema")) or None
            out[(rt.group, rt.version, rt.kind, rt.list_kind)] = schema
        return out

    def printer_columns(self, rt: ResourceType) -> list[dict]:
        entry = self.versions.get((rt.group, rt.version, rt.plural)) or {}
        return list(entry.get("additionalPrinterColumns") or ())

    # ---- keeping in step with the store
    def preregister(self, objs: list[dict]) -> None:
        """Before seeding: CRDs in the batch define the kinds that later objects of the batch use."""
        for obj in objs:
            if obj.get("kind") == "CustomResourceDefinition" and str(obj.get("apiVersion", "")).startswith(
                "apiextensions.k8s.io/"
            ):
                for rt in types_of(obj):
                    self._ensure(rt)

    def _ensure(self, rt: ResourceType) -> None:
        resources.register(rt)
        if rt.resource not in self.store.buckets:
            self.store.buckets[rt.resource] = Bucket(rt)

    def _changed(self, storage: str, _type: str, _old: dict | None, _new: dict | None) -> None:
        if storage == CRDS:
            self.refresh(write_status=False)
            try:
                asyncio.get_running_loop().call_soon(self.refresh)
            except RuntimeError:  # not on the loop (tests driving the store directly)
                self.refresh()

    def refresh(self, write_status: bool = True) -> None:
        served: dict[tuple[str, str, str], ResourceType] = {}
        versions: dict[tuple[str, str, str], dict] = {}
        for crd in self.store.objects(CRDS):
            if crd["metadata"].get("deletionTimestamp"):
                continue
            entries = {str(v.get("name")): v for v in served_versions(crd)}
            for rt in types_of(crd):
                key = (rt.group, rt.version, rt.plural)
                served[key] = rt
                versions[key] = entries.get(rt.version, {})
                self._ensure(rt)
            if write_status and not _established(crd):
                self.store.put(CRDS, dict(crd, status=established_status(crd)))
        gone = [rt for key, rt in self.served.items() if key not in served]
        if served.keys() != self.served.keys() or versions != self.versions:
            self.generation += 1
        self.served, self.versions = served, versions
        for rt in gone:
            if not any(r.resource == rt.resource for r in served.values()) and rt.resource in self.store.buckets:
                for obj in list(self.store.objects(rt.resource)):
                    self.store.remove(rt.resource, obj["metadata"].get("namespace"), obj["metadata"]["name"])
