# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot as the later stages read it: indexes built once over the plain snapshot dict."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    WORKLOAD_RESOURCES,
    meta,
    name_of,
    namespace_of,
)


class SnapshotView(object):
    """Read-only indexes over a snapshot dict, built once, shared by the model, verdicts and rules."""

    def __init__(self, snapshot: Dict[str, Any]) -> None:
        self.raw = snapshot
        self.resources: Dict[str, List[Dict[str, Any]]] = snapshot.get("resources") or {}
        self._by_name: Dict[str, Dict[tuple, Dict[str, Any]]] = {}
        self._by_namespace: Dict[str, Dict[str, List[Dict[str, Any]]]] = {}
        self._by_uid: Optional[Dict[str, Dict[str, Any]]] = None

    def has(self, resource: str) -> bool:
        """True when the kind was read (even if there are none of it)."""
        return resource in self.resources

    def items(self, resource: str) -> List[Dict[str, Any]]:
        return self.resources.get(resource) or []

    def get(self, resource: str, namespace: Optional[str], name: str) -> Optional[Dict[str, Any]]:
        index = self._by_name.get(resource)
        if index is None:
            index = {(namespace_of(o), name_of(o)): o for o in self.items(resource)}
            self._by_name[resource] = index
        return index.get((namespace or "", name))

    def in_namespace(self, resource: str, namespace: str) -> List[Dict[str, Any]]:
        index = self._by_namespace.get(resource)
        if index is None:
            grouped: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
            for obj in self.items(resource):
                grouped[namespace_of(obj)].append(obj)
            index = self._by_namespace[resource] = dict(grouped)
        return index.get(namespace, [])

    def namespace(self, name: str) -> Optional[Dict[str, Any]]:
        return self.get("namespaces", None, name)

    def by_uid(self, uid: str) -> Optional[Dict[str, Any]]:
        """Any object of a workload kind or pod by uid (to walk ownerReferences)."""
        if self._by_uid is None:
            self._by_uid = {}
            for resource in WORKLOAD_RESOURCES + ("pods",):
                for obj in self.items(resource):
                    obj_uid = meta(obj).get("uid")
                    if obj_uid:
                        self._by_uid[obj_uid] = obj
        return self._by_uid.get(uid)

    def gap(self, resource: str) -> Optional[Dict[str, Any]]:
        for gap in self.raw.get("gaps") or []:
            if gap.get("resource") == resource:
                return gap
        return None
