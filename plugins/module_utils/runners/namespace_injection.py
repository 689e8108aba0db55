# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the namespace_injection module does: desired_namespaces and label_namespace plans of the
given findings → namespace edits → the remediation lifecycle (plan, backup, apply, verify)."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import build_model
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import namespaces
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import (
    PlanError,
    merge_targets,
    targets_from_plans,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.lifecycle import (
    Remediation,
    RemediationFailed,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import (
    RemediationError,
    Session,
    argument_spec,
    finding_plans,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

ARGUMENT_SPEC = argument_spec({"desired_namespaces": namespaces.DESIRED_SPEC})
# Plans of these codes are namespace (and pod-template marker) edits this module may run.
CODES = ("SI101", "SI102", "SI103", "SI104", "SI112")
METADATA_ONLY = ("set_label", "remove_label", "set_annotation", "remove_annotation")


def run(
    params: Dict[str, Any], check_mode: bool = False, debug: Optional[Callable[[str], None]] = None
) -> Dict[str, Any]:
    try:
        desired = namespaces.parse(params.get("desired_namespaces") or [])
        plans, skipped = finding_plans(params.get("findings") or [], ("label_namespace",))
        plans = [(code, plan) for code, plan in plans if code in CODES]
        from_findings, not_run = targets_from_plans(plans, handled=METADATA_ONLY)
    except PlanError as exc:
        raise RemediationError(str(exc)) from None
    if not desired and not plans:
        raise RemediationError("nothing to do: give desired_namespaces or findings with label_namespace plans")
    session = Session(params, debug=debug)
    try:
        snapshot = session.snapshot()
        if "namespaces" not in snapshot.get("resources", {}):
            raise RemediationError("cannot list namespaces: %s" % "; ".join(g["message"] for g in snapshot["gaps"]))
        istio = build_model(SnapshotView(snapshot)).istio
        served = istio.served_rev_values() if istio is not None else set()
        try:
            declared, unmatched, options = namespaces.targets(desired, snapshot["resources"]["namespaces"], served)
            targets = merge_targets(declared, from_findings)
            engine = Remediation(session.writer, "namespace_injection", params.get("backup_dir"), check_mode)
            changes = engine.plan(targets)
        except PlanError as exc:
            raise RemediationError(str(exc)) from None
        verify = session.rediagnose(options) if params.get("verify", True) else None
        try:
            result = engine.run(changes, rediagnose=verify)
        except RemediationFailed as exc:
            raise RemediationError(str(exc), **exc.result) from None
    finally:
        session.close()
    result["unmatched"] = unmatched
    # not "skipped": Ansible would report a task whose result has a non-empty `skipped` as skipped
    result["not_executed"] = skipped + not_run
    return result
