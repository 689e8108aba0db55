# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the injection_facts module does, as plain Python the tests can call without Ansible.

params → snapshot (offline file/directory/bundle, or live gathering) → summary (cluster version,
platform, meshes with versions and revisions, object counts per kind, coverage gaps with the checks
each one costs, control-plane namespaces, request count, duration) → optional bundle.
"""

from __future__ import annotations

import copy
import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import build_model
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.platform import detect_platform
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import gaps as gap_costs
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import source as snapshot_source
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.gather import ControlPlane
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

FACTS_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = copy.deepcopy(snapshot_source.SOURCE_ARGUMENT_SPEC)
FACTS_ARGUMENT_SPEC.update(
    dest={"type": "path"},
    return_snapshot={"type": "bool", "default": False},
)


class FactsError(Exception):
    """A failure the module reports with `msg`; `details` become extra result keys."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


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
        "platform": detect_platform(view),
        "meshes": build_model(view).summary(),
        "counts": {key: len(items) for key, items in resources.items()},
        "gaps": [gap_costs.describe(g) for g in snapshot.get("gaps") or []],
        "control_plane_namespaces": control_plane.namespaces,
        "requests": snapshot.get("requests", 0),
        "gathered_at": snapshot.get("gathered_at"),
        "duration_seconds": round(duration, 3) if duration is not None else None,
    }
    if extra:
        summary.update(extra)
    return summary


def run(
    params: Dict[str, Any],
    check_mode: bool = False,
    warn: Optional[Callable[[str], None]] = None,
    debug: Optional[Callable[[str], None]] = None,
) -> Dict[str, Any]:
    started = time.monotonic()
    stats: Dict[str, Any] = {}
    try:
        snapshot = snapshot_source.load(params, debug=debug, stats=stats, warn=warn)
    except snapshot_source.SourceError as exc:
        raise FactsError(str(exc)) from None
    for text in gap_costs.warnings(snapshot):
        if warn is not None:
            warn(text)
    summary = summarize(
        snapshot, time.monotonic() - started, stats, control_plane_namespaces=params.get("control_plane_namespaces")
    )
    result: Dict[str, Any] = {"changed": False, "summary": summary}
    if params.get("dest"):
        try:
            result["bundle"] = bundle.write(params["dest"], snapshot, check_mode=check_mode)
        except bundle.BundleError as exc:
            raise FactsError(str(exc), summary=summary) from None
        result["changed"] = result["bundle"]["changed"]
    if params.get("return_snapshot"):
        result["snapshot"] = snapshot
    return result
