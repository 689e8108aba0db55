# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the webhook_settings module does: declared webhook settings, and the plans of the given
set_webhook / allow_webhook_ingress findings (and SI209's), through the remediation lifecycle; who
will revert each change (remediation/owners.py); the platform firewall guidance of SI305 as steps
the user runs."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import ApiError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import owners, webhooks
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import (
    PlanError,
    merge_targets,
    targets_from_plans,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.lifecycle import (
    Remediation,
    RemediationFailed,
    describe_api_error,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import (
    RemediationError,
    Session,
    argument_spec,
    finding_plans,
)

ARGUMENT_SPEC = argument_spec(
    {"webhooks": webhooks.SETTINGS_SPEC, "allow_fail_open": {"type": "bool", "default": False}}
)
ACTIONS = ("set_webhook", "allow_webhook_ingress")
# Manual plans this module still executes: SI209's exclusion of the injector's own namespace.
MANUAL_CODES = ("SI209",)
GUIDANCE_CODES = ("SI305",)
FAIL_OPEN = (
    "failurePolicy Ignore fails open: while the injector is unreachable the API server admits pods without "
    "their sidecar, silently. Refused for %s; set allow_fail_open: true (playbooks: remediate_allow_fail_open) "
    "to acknowledge that."
)


def _guidance(findings: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [
        {
            "code": f["code"],
            "object": {k: f.get(k) for k in ("kind", "namespace", "name")},
            "message": f.get("message"),
            "steps": list((f.get("remediation") or {}).get("steps") or []),
        }
        for f in findings
        if isinstance(f, dict) and f.get("code") in GUIDANCE_CODES
    ]


def _fail_open_plans(plans: List[Any]) -> List[str]:
    out = []
    for code, plan in plans:
        if plan.get("risk") == "weakens-safety" or any(
            str(op.get("path", "")).endswith("/failurePolicy") and op.get("value") == "Ignore"
            for op in plan.get("operations") or []
        ):
            out.append("the plan of finding %s" % code)
    return out


def run(
    params: Dict[str, Any], check_mode: bool = False, debug: Optional[Callable[[str], None]] = None
) -> Dict[str, Any]:
    settings = [dict(s) for s in params.get("webhooks") or []]
    given = params.get("findings") or []
    try:
        webhooks.validate(settings)
        plans, skipped = finding_plans(given, ACTIONS + ("manual",))
        plans = [(c, p) for c, p in plans if p.get("action") != "manual" or c in MANUAL_CODES]
        from_findings, not_run = targets_from_plans(plans)
    except PlanError as exc:
        raise RemediationError(str(exc)) from None
    guidance = _guidance(given)
    risky = webhooks.fail_open(settings) + _fail_open_plans(plans)
    if risky and not params.get("allow_fail_open"):
        raise RemediationError(FAIL_OPEN % "; ".join(risky))
    if not settings and not plans:
        if guidance:
            return {
                "changed": False,
                "plan": [],
                "changed_objects": [],
                "reverts": [],
                "guidance": guidance,
                "backups": {"dir": None, "files": [], "manifest": None},
                "verification": {"objects": [], "findings": [], "ok": None},
                "not_executed": skipped + not_run,
            }
        raise RemediationError(
            "nothing to do: give webhooks settings or findings with set_webhook/allow_webhook_ingress plans"
        )
    session = Session(params, debug=debug)
    try:
        live: Dict[ObjectRef, Dict[str, Any]] = {}
        for setting in settings:
            ref = webhooks.ref_of(setting)
            if ref not in live:
                try:
                    obj = session.writer.read(ref)
                except ApiError as exc:
                    raise RemediationError(describe_api_error(ref, exc, "read")) from None
                if obj is not None:
                    live[ref] = obj
        try:
            targets = merge_targets(webhooks.targets(settings, live), from_findings)
            engine = Remediation(session.writer, "webhook_settings", params.get("backup_dir"), check_mode)
            changes = engine.plan(targets)
        except PlanError as exc:
            raise RemediationError(str(exc)) from None
        reverted: List[Dict[str, Any]] = []
        for change in changes:
            if not change.operations or change.before is None:
                continue
            pointers = [e.pointer for e in change.target.edits if e.reason != "guard"]
            for item in owners.reverts(change.before, pointers, session.writer.field_manager):
                change.warnings.append(
                    "%s: %s; lasting fix: %s" % (", ".join(item["fields"]), item["how"], item["lasting_fix"])
                )
                reverted.append(dict(item, object=change.ref.as_dict()))
        verify = session.rediagnose() if params.get("verify", True) else None
        try:
            result = engine.run(changes, rediagnose=verify, extra={"reverts": reverted, "guidance": guidance})
        except RemediationFailed as exc:
            raise RemediationError(str(exc), **exc.result) from None
    finally:
        session.close()
    # not "skipped": Ansible would report a task whose result has a non-empty `skipped` as skipped
    result["not_executed"] = skipped + not_run
    return result
