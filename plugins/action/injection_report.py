# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes the fleet reports on the controller, from the hosts' registered diagnosis results.

Runs in the controller process (no module is shipped anywhere): the results are read from
`hostvars` instead of being passed as (possibly large) module arguments.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Mapping

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.report import (
    REPORT_ARGUMENT_SPEC,
    ReportError,
    run,
)

SPEC = dict(REPORT_ARGUMENT_SPEC, result_var={"type": "str", "default": "diagnose_result"})


def plain(value: Any) -> Any:
    """Registered results as plain JSON data (ansible-core may hand out its own container types)."""
    return json.loads(json.dumps(value, default=str))


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: Any = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        validation = ArgumentSpecValidator(SPEC).validate(dict(self._task.args))
        if validation.error_messages:
            result.update(failed=True, msg="; ".join(validation.error_messages))
            return result
        params = validation.validated_parameters
        params["report_dir"] = os.path.abspath(params["report_dir"])  # relative: to where the run started
        if not params.get("results"):
            hostvars = task_vars.get("hostvars") or {}
            results = {}
            for host in params["hosts"]:
                if host == task_vars.get("inventory_hostname"):
                    value = task_vars.get(params["result_var"])  # this host (also the implicit localhost)
                else:
                    host_vars = hostvars[host] if hostvars else None
                    value = host_vars.get(params["result_var"]) if isinstance(host_vars, Mapping) else None
                results[host] = plain(value) if value is not None else None
            params["results"] = results
        try:
            result.update(run(params, check_mode=bool(self._task.check_mode)))
        except ReportError as exc:
            result.update(failed=True, msg=str(exc))
        return result
