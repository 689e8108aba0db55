# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the rollback module does: a backup directory → the objects restored (remediation/rollback.py)."""

from __future__ import annotations

import copy
import os
from typing import Any, Callable, Dict, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import PlanError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.lifecycle import RemediationFailed
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.rollback import Rollback
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import (
    RemediationError,
    Session,
)

ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = copy.deepcopy(kube_client.AUTH_ARG_SPEC)
ARGUMENT_SPEC.update(
    backup_dir={"type": "path", "required": True},
    force={"type": "bool", "default": False},
    objects={
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"kind": {"type": "str"}, "namespace": {"type": "str"}, "name": {"type": "str"}},
    },
    retries={"type": "int", "default": 5},
)


def run(
    params: Dict[str, Any], check_mode: bool = False, debug: Optional[Callable[[str], None]] = None
) -> Dict[str, Any]:
    backup_dir = params["backup_dir"]
    if not os.path.isdir(backup_dir):
        raise RemediationError("backup_dir %s is not a directory" % backup_dir)
    session = Session(params, debug=debug)
    try:
        engine = Rollback(session.writer, backup_dir, force=bool(params.get("force")), check_mode=check_mode)
        try:
            steps = engine.plan(params.get("objects") or [])
        except PlanError as exc:
            raise RemediationError(str(exc)) from None
        try:
            return engine.run(steps)
        except RemediationFailed as exc:
            raise RemediationError(str(exc), **exc.result) from None
    finally:
        session.close()
