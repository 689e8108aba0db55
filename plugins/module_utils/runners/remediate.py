# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every remediation module's runner shares: its options, its main() body, the client and
writer, the snapshot it plans from, the findings it was given, and the re-diagnosis that verifies it."""

from __future__ import annotations

import copy
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.writes import FIELD_MANAGER, KubeWriter
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import PlanError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather

REMEDIATION_OPTIONS: Dict[str, Dict[str, Any]] = {
    "findings": {"type": "list", "elements": "dict", "default": []},
    "backup_dir": {"type": "path"},
    "verify": {"type": "bool", "default": True},
    "field_manager": {"type": "str", "default": FIELD_MANAGER},
    "control_plane_namespaces": {"type": "list", "elements": "str", "default": []},
    "retries": {"type": "int", "default": 5},
}


def argument_spec(extra: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    spec: Dict[str, Dict[str, Any]] = copy.deepcopy(kube_client.AUTH_ARG_SPEC)
    spec.update(copy.deepcopy(REMEDIATION_OPTIONS))
    spec.update(copy.deepcopy(extra))
    return spec


class RemediationError(Exception):
    """A failure the module reports with `msg`; `details` become extra result keys."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


def execute(module: Any, run: Callable[..., Dict[str, Any]], libraries: Sequence[Tuple[bool, str]] = ()) -> None:
    """The body every remediation module's main() shares: required libraries, run, fail or exit (the
    diff only under --diff). `module` is the AnsibleModule the module built from its runner's spec."""
    if not kube_client.HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=kube_client.KUBERNETES_IMPORT_ERROR)
    for present, name in libraries:
        if not present:
            module.fail_json(msg=missing_required_lib(name))
    try:
        result = run(module.params, check_mode=module.check_mode, debug=module.debug)
    except RemediationError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


class Session(object):
    """One cluster for one remediation run: the client, the writer, snapshots on demand."""

    def __init__(self, params: Dict[str, Any], debug: Optional[Callable[[str], None]] = None) -> None:
        self.params = params
        self.debug = debug or (lambda msg: None)
        if params.get("retries") is not None and params["retries"] < 0:
            raise RemediationError("retries must be zero or more, got %s" % params["retries"])
        try:
            self.client = kube_client.client_from_params(params, retries=params.get("retries", 5), log=self.debug)
        except kube_client.KubeClientError as exc:
            raise RemediationError(str(exc)) from None
        self.writer = KubeWriter(self.client, field_manager=params.get("field_manager") or FIELD_MANAGER)

    def snapshot(self) -> Dict[str, Any]:
        try:
            return gather.gather(
                self.client,
                context=self.params.get("context"),
                control_plane_namespaces=self.params.get("control_plane_namespaces") or [],
                log=self.debug,
            )
        except kube_client.KubeClientError as exc:
            raise RemediationError(str(exc)) from None

    def diagnose(self, desired: Sequence[Dict[str, Any]] = ()) -> Dict[str, Any]:
        return diagnose(self.snapshot(), Options(desired_namespaces=[dict(d) for d in desired]))

    def rediagnose(self, desired: Sequence[Dict[str, Any]] = ()) -> Callable[[], List[Dict[str, Any]]]:
        def run() -> List[Dict[str, Any]]:
            started = time.monotonic()
            findings = [f.as_dict() for f in self.diagnose(desired)["findings"]]
            self.debug("re-diagnosed in %.3fs: %d findings" % (time.monotonic() - started, len(findings)))
            return findings

        return run

    def close(self) -> None:
        self.client.close()


def finding_plans(
    findings: Sequence[Dict[str, Any]], actions: Sequence[str]
) -> Tuple[List[Tuple[str, Any]], List[Dict[str, Any]]]:
    """((code, plan) of the given findings whose plan has one of `actions`, the others as skipped)."""
    plans = []
    skipped = []
    for index, finding in enumerate(findings or []):
        if not isinstance(finding, dict) or not finding.get("code"):
            raise PlanError("findings[%d] is not a finding of the diagnosis report (no code)" % index)
        plan = finding.get("plan")
        action = (plan or {}).get("action") if isinstance(plan, dict) else None
        if action in actions:
            plans.append((finding["code"], plan))
        else:
            skipped.append(
                {
                    "code": finding["code"],
                    "object": {k: finding.get(k) for k in ("kind", "namespace", "name")},
                    "why": "plan action %s is not executed by this module" % (action or "none"),
                }
            )
    return plans, skipped
