# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ends the host by the exit policy: ok, failed (gate breached) or unreachable (not diagnosed).

Only an action plugin can report a host unreachable, which is what makes `ansible-playbook` exit 4
for "could not look" and 2 for "looked and found too much".
"""

from __future__ import annotations

from typing import Any, Dict

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.gate import (
    BREACHED,
    FAIL_ON,
    NOT_DIAGNOSED,
    decide,
)

SPEC = {
    "result_var": {"type": "str", "default": "diagnose_result"},
    "result": {"type": "dict"},
    "fail_on": {"type": "str", "choices": list(FAIL_ON), "default": "never"},
}


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: Any = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        validation = ArgumentSpecValidator(SPEC).validate(dict(self._task.args))
        if validation.error_messages:
            result.update(failed=True, msg="; ".join(validation.error_messages))
            return result
        params = validation.validated_parameters
        registered = params.get("result")
        if registered is None:
            registered = (task_vars or {}).get(params["result_var"])
        host = (task_vars or {}).get("inventory_hostname") or "localhost"
        verdict = decide(host, registered, params["fail_on"])
        result.update(changed=False, **verdict)
        if verdict["outcome"] == BREACHED:
            result["failed"] = True
        elif verdict["outcome"] == NOT_DIAGNOSED:
            result["unreachable"] = True
        return result
