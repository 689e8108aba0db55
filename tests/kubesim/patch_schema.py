"""Strategic-merge metadata (patch strategy and merge key per field), read from the OpenAPI-derived JSON schemas
that `kubernetes-validate` ships (they keep `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`).

If that package is missing, a small table of the merge keys for the kinds kubesim serves is used instead.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Node = Any  # a schema dict, or a tuple path in fallback mode


@dataclass(frozen=True)
class FieldMeta:
    strategy: str  # "", "merge", "replace", "retainKeys", "merge,retainKeys"
    merge_key: str | None
    child: Node  # schema of the value (for lists: of the items)

    @property
    def merges(self) -> bool:
        return "merge" in self.strategy.split(",")

    @property
    def replaces(self) -> bool:
        return self.strategy == "replace"


NO_META = FieldMeta("", None, None)


def _schema_dir(minor: int) -> str | None:
    try:
        import kubernetes_validate  # optional: only its bundled schema files are used
    except ImportError:
        return None
    base = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    have = sorted(int(m.group(1)) for d in os.listdir(base) if (m := re.fullmatch(r"v1\.(\d+)\.0-local", d)))
    if not have:
        return None
    best = min(have, key=lambda v: (abs(v - minor), -v))
    return os.path.join(base, f"v1.{best}.0-local")


class SchemaPatchMeta:
    def __init__(self, defs: dict[str, Any]):
        self.defs = defs
        self.by_gvk: dict[tuple[str, str], str] = {}
        for name, schema in defs.items():
            for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                self.by_gvk[(api_version, gvk["kind"])] = name

    def _resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            node = self.defs[node["$ref"].rpartition("/")[2]]
        return node

    def root(self, api_version: str, kind: str) -> Node:
        name = self.by_gvk.get((api_version, kind))
        return self.defs[name] if name else None

    def field(self, node: Node, key: str) -> FieldMeta:
        node = self._resolve(node)
        if not isinstance(node, dict):
            return NO_META
        props = node.get("properties")
        if props and key in props:
            prop = props[key]
        elif isinstance(node.get("additionalProperties"), dict):
            prop = node["additionalProperties"]
        else:
            return NO_META
        resolved = self._resolve(prop)
        types = resolved.get("type") if isinstance(resolved, dict) else None
        is_array = types == "array" or (isinstance(types, list) and "array" in types)
        child = self._resolve(resolved.get("items")) if is_array else resolved
        return FieldMeta(prop.get("x-kubernetes-patch-strategy", ""), prop.get("x-kubernetes-patch-merge-key"), child)


# Fallback: (parent field, field) → merge key, for lists that merge; None merge key = list of primitives (set).
_FALLBACK: dict[tuple[str, str], str | None] = {
    ("*", "containers"): "name",
    ("*", "initContainers"): "name",
    ("*", "ephemeralContainers"): "name",
    ("*", "volumes"): "name",
    ("*", "env"): "name",
    ("*", "volumeMounts"): "mountPath",
    ("*", "volumeDevices"): "devicePath",
    ("*", "imagePullSecrets"): "name",
    ("*", "hostAliases"): "ip",
    ("*", "topologySpreadConstraints"): "topologyKey",
    ("*", "webhooks"): "name",
    ("*", "ownerReferences"): "uid",
    ("*", "finalizers"): None,
    ("*", "conditions"): "type",
    ("*", "ports"): "containerPort",
    ("spec", "ports"): "port",
    ("*", "secrets"): "name",
    ("*", "resourceClaims"): "name",
}


class TablePatchMeta:
    def root(self, api_version: str, kind: str) -> Node:
        return ("",)

    def field(self, node: Node, key: str) -> FieldMeta:
        parent = node[-1] if node else ""
        child = (*node, key)
        for lookup in ((parent, key), ("*", key)):
            if lookup in _FALLBACK:
                return FieldMeta("merge", _FALLBACK[lookup], child)
        return FieldMeta("", None, child)


@lru_cache(maxsize=4)
def patch_meta(minor: int = 31) -> SchemaPatchMeta | TablePatchMeta:
    directory = _schema_dir(minor)
    if directory is None:
        return TablePatchMeta()
    with open(os.path.join(directory, "_definitions.json"), encoding="utf-8") as fh:
        doc = json.load(fh)
    return SchemaPatchMeta(doc.get("$defs") or doc.get("definitions") or {})
