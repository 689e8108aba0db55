# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The short, JSON-serialisable summary `injection_facts` returns for a snapshot.

Cluster version, platform (platform.detect_platform), meshes with versions and revisions
(mesh_model.build_model(view).summary()), object counts per kind, coverage gaps, the control-plane
namespaces, request count and duration. Both helpers are imported lazily: a snapshot can always be
summarised, even by a build that lacks them (then `platform` is unknown and `meshes` empty).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.gather import ControlPlane
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

UNKNOWN_PLATFORM = {"name": "unknown"}


def _meshes(view: SnapshotView) -> List[Dict[str, Any]]:
    try:
        from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import build_model
    except ImportError:
        return []
    return build_model(view).summary()


def _platform(view: SnapshotView) -> Dict[str, Any]:
    try:
        from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.platform import detect_platform
    except ImportError:
        # TODO(platform.py): detect_platform(view) -> dict is being written alongside; until it
        # lands the summary says "unknown" rather than guessing.
        return dict(UNKNOWN_PLATFORM)
    return detect_platform(view)


def summarize(
    snapshot: Dict[str, Any],
    duration: Optional[float] = None,
    extra: Optional[Dict[str, Any]] = None,
    control_plane_namespaces: Optional[List[str]] = None,
) -> Dict[str, Any]:
    """The summary of one snapshot; `extra` (e.g. offline file statistics) is merged in."""
    view = SnapshotView(snapshot)
    resources = snapshot.get("resources") or {}
    version = snapshot.get("version") or {}
    control_plane = ControlPlane(
        resources.get("mutatingwebhookconfigurations") or (),
        resources.get("deployments") or (),
        control_plane_namespaces,
    )
    summary: Dict[str, Any] = {
        "cluster": dict(snapshot.get("cluster") or {}),
        "kubernetes_version": version.get("gitVersion"),
        "platform": _platform(view),
        "meshes": _meshes(view),
        "counts": {key: len(items) for key, items in resources.items()},
        "gaps": list(snapshot.get("gaps") or []),
        "control_plane_namespaces": control_plane.namespaces,
        "requests": snapshot.get("requests", 0),
        "gathered_at": snapshot.get("gathered_at"),
        "duration_seconds": round(duration, 3) if duration is not None else None,
    }
    if extra:
        summary.update(extra)
    return summary
