# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe pod: shaped like the namespace's real workload, so that webhook selectors, the injector,
quotas, LimitRanges and Pod Security judge what that workload's next pod would be.

From the template it keeps the labels (not `pod-template-hash`, which a controller adds), the
annotations, the service account, the pod and container security contexts, resources, ports and
images, and the template's volumes with the mounts that use them (Pod Security judges volume types,
and Istio's `sidecar.istio.io/userVolumeMount` names the pod's volumes). It drops what would make the
pod invalid or bind it: a mount whose volume is not there (a pod's own volumes are not in the snapshot,
and a mount without its volume is a 422), `nodeName`. A namespace without a workload gets a
pause pod that complies with the `restricted` Pod Security level and carries small requests and
limits, so whatever rejects it is about the mesh's additions, not about the stand-in.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Set

GENERATE_NAME = "meshops-probe-"
PROBE_ANNOTATION = "meshops.io/probe"  # marks the (never stored) pod as ours in audit logs
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"
DROPPED_LABELS = ("pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name")

RESTRICTED_CONTAINER_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "runAsUser": 65535,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def plain_template() -> Dict[str, Any]:
    """The stand-in for a namespace without workloads."""
    return {
        "metadata": {},
        "spec": {
            "containers": [
                {
                    "name": "probe",
                    "image": PAUSE_IMAGE,
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"cpu": "10m", "memory": "16Mi"},
                    },
                    "securityContext": copy.deepcopy(RESTRICTED_CONTAINER_CONTEXT),
                }
            ],
        },
    }


def _container(container: Dict[str, Any], volumes: Set[str]) -> Dict[str, Any]:
    out = copy.deepcopy(container)
    mounts = [m for m in out.pop("volumeMounts", None) or () if m.get("name") in volumes]
    if mounts:
        out["volumeMounts"] = mounts
    return out


def build(namespace: str, template: Dict[str, Any]) -> Dict[str, Any]:
    """The Pod body POSTed with dryRun=All."""
    meta = template.get("metadata") or {}
    spec = copy.deepcopy(template.get("spec") or {})
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in DROPPED_LABELS}
    annotations = dict(meta.get("annotations") or {})
    annotations[PROBE_ANNOTATION] = "dry-run"
    spec.pop("nodeName", None)
    volumes = {str(v.get("name")) for v in spec.get("volumes") or () if v.get("name")}
    for key in ("containers", "initContainers"):
        if spec.get(key):
            spec[key] = [_container(c, volumes) for c in spec[key]]
    metadata: Dict[str, Any] = {"generateName": GENERATE_NAME, "namespace": namespace, "annotations": annotations}
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
