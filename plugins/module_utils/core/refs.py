# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ObjectRef: how findings, plans and reports name a Kubernetes object."""

from __future__ import annotations

from typing import Any, Dict, NamedTuple

# The kinds a pod template belongs to (what "workload" means in findings, plans and the report).
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController")
# The kinds `kubectl rollout restart` accepts.
ROLLOUT_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


class ObjectRef(NamedTuple):
    kind: str
    name: str
    namespace: str = ""

    def text(self) -> str:
        """istioctl's form: "Kind namespace/name", or "Kind name" for cluster-scoped objects."""
        return (
            "%s %s/%s" % (self.kind, self.namespace, self.name) if self.namespace else "%s %s" % (self.kind, self.name)
        )

    def as_dict(self) -> Dict[str, str]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}

    @property
    def is_workload(self) -> bool:
        return self.kind in WORKLOAD_KINDS

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "ObjectRef":
        return cls(str(data.get("kind") or ""), str(data.get("name") or ""), str(data.get("namespace") or ""))


def namespace_ref(name: str) -> ObjectRef:
    return ObjectRef("Namespace", name)
