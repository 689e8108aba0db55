"""Structural schema for field ownership and field validation: how each field merges under server-side apply.

Read from the OpenAPI-derived schemas `kubernetes-validate` ships (`x-kubernetes-list-type`, `-list-map-keys`,
`-map-type`, and the patch strategy for lists that predate list types, as kube-openapi's schemaconv does).
Without that package a small table of the associative lists of the served kinds is used, every map is granular,
other lists are atomic and no field is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..patch_schema import _schema_dir

STRUCT = "struct"  # named fields (unknown ones are reported)
MAP = "map"  # granular map: any key, values of one type
ATOMIC = "atomic"  # replaced as a whole: scalars, atomic maps/structs/lists, free-form objects
SET = "set"  # list of scalars merged as a set
ASSOC = "assoc"  # list of maps keyed by `keys`
LIST = "list"  # atomic list
DYNAMIC = "dynamic"  # fallback: decided by the value's type


@dataclass(frozen=True)
class Node:
    kind: str
    keys: tuple[str, ...] = ()
    schema: Any = None  # object schema (struct/map values) or the item schema (lists)
    name: str = ""  # the field's own name (fallback table lookups)

    @property
    def is_list(self) -> bool:
        return self.kind in (SET, ASSOC, LIST)


ANY = Node(DYNAMIC)
SCALAR = Node(ATOMIC)

# Key fields with an API default: applied configurations may omit them (structured-merge-diff uses the default).
KEY_DEFAULTS = {"protocol": "TCP"}

# Fallback: associative lists and sets of the served kinds (field name → keys; () = set of scalars).
_FALLBACK_LISTS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "volumes": ("name",),
    "env": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "webhooks": ("name",),
    "ownerReferences": ("uid",),
    "finalizers": (),
    "conditions": ("type",),
    "resourceClaims": ("name",),
    "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
}
_FALLBACK_ATOMIC_MAPS = {"selector", "nodeSelector", "labelSelector", "namespaceSelector", "objectSelector"}


class Schema:
    """`root(apiVersion, kind)`, then `field(node, key, value)` / `item(node, value)` to walk an object."""

    def __init__(self, defs: dict[str, Any] | None):
        self.defs = defs
        # Walks ask for the same fields over and over: memoized by the identity of the (immutable) schema dicts.
        self._fields: dict[tuple[int, str, str], Node | None] = {}
        self.by_gvk: dict[tuple[str, str], str] = {}
        for name, schema in (defs or {}).items():
            for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                self.by_gvk[(api_version, gvk["kind"])] = name

    @property
    def typed(self) -> bool:
        return self.defs is not None

    def _resolve(self, node: Any) -> Any:
        assert self.defs is not None
        while isinstance(node, dict) and "$ref" in node:
            node = self.defs[node["$ref"].rpartition("/")[2]]
        return node

    def root(self, api_version: str, kind: str) -> Node:
        if self.defs is None:
            return ANY
        name = self.by_gvk.get((api_version, kind))
        return self._classify(self.defs[name], "") if name else ANY

    def _classify(self, prop: Any, name: str) -> Node:
        resolved = self._resolve(prop)
        if not isinstance(resolved, dict):
            return SCALAR
        types = resolved.get("type")
        types = types if isinstance(types, list) else [types]
        if "array" in types:
            list_type = prop.get("x-kubernetes-list-type") or resolved.get("x-kubernetes-list-type")
            strategy = prop.get("x-kubernetes-patch-strategy", "")
            merge_key = prop.get("x-kubernetes-patch-merge-key")
            items = self._resolve(resolved.get("items"))
            if list_type is None and "merge" in strategy.split(","):
                list_type = "map" if merge_key else "set"
            if list_type == "map":
                keys = tuple(prop.get("x-kubernetes-list-map-keys") or ([merge_key] if merge_key else ()))
                return Node(ASSOC, keys, items, name)
            if list_type == "set":
                return Node(SET, (), items, name)
            return Node(LIST, (), items, name)
        if "object" in types:
            if (prop.get("x-kubernetes-map-type") or resolved.get("x-kubernetes-map-type")) == "atomic":
                return Node(ATOMIC, (), resolved, name)
            if resolved.get("properties"):
                return Node(STRUCT, (), resolved, name)
            extra = resolved.get("additionalProperties")
            if isinstance(extra, dict):
                return Node(MAP, (), extra, name)
            return Node(ATOMIC, (), resolved, name)  # free-form (RawExtension, FieldsV1)
        return SCALAR

    def field(self, node: Node, key: str, value: Any = None) -> Node | None:
        """The child node for `key`; None when the schema does not declare it (an unknown field)."""
        if node.kind == DYNAMIC:
            return self._dynamic(key, value)
        memo = (id(node.schema), node.kind, key)
        if memo in self._fields:
            return self._fields[memo]
        found = self._field(node, key)
        self._fields[memo] = found
        return found

    def _field(self, node: Node, key: str) -> Node | None:
        if node.kind == MAP:
            return self._classify(node.schema, key)
        if node.kind == STRUCT:
            props = node.schema.get("properties") or {}
            if key in props:
                return self._classify(props[key], key)
            return None
        return SCALAR

    def item(self, node: Node, value: Any = None) -> Node:
        if node.schema is None:
            return ANY if isinstance(value, (dict, list)) else SCALAR
        memo = (id(node.schema), "item", "")
        found = self._fields.get(memo)
        if found is None:
            found = self._fields[memo] = self._classify(node.schema, "")
        return found

    @staticmethod
    def _dynamic(key: str, value: Any) -> Node:
        if isinstance(value, list):
            if key in _FALLBACK_LISTS:
                keys = _FALLBACK_LISTS[key]
                return Node(ASSOC, keys, None, key) if keys else Node(SET, (), None, key)
            return Node(LIST, (), None, key)
        if isinstance(value, dict):
            return Node(ATOMIC, (), None, key) if key in _FALLBACK_ATOMIC_MAPS else ANY
        return SCALAR


_CACHE: dict[int, Schema] = {}


def schema_for(minor: int = 31) -> Schema:
    if minor not in _CACHE:
        import json
        import os

        directory = _schema_dir(minor)
        defs = None
        if directory is not None:
            with open(os.path.join(directory, "_definitions.json"), encoding="utf-8") as fh:
                doc = json.load(fh)
            defs = doc.get("$defs") or doc.get("definitions") or {}
        _CACHE[minor] = Schema(defs)
    return _CACHE[minor]
