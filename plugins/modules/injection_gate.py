#!/usr/bin/python
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: injection_gate
short_description: End a cluster's run by the exit policy, keeping "gate breached" and "not diagnosed" apart
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - The last task of a diagnosis run, per host, after the reports were written. It reads the host's
    registered M(meshops.sidecar_injection.injection_diagnose) result and ends the host in one of three ways.
  - Diagnosed and below the gate O(fail_on) - ok.
  - "Diagnosed, with findings at O(fail_on) or worse - B(failed), with a message naming the counts per
    severity and the report, e.g. C(prod-eu: gate breached: 5 findings at warning or worse, 2 error and 3
    warning; see reports/prod-eu.json) (the real message puts the counts in parentheses).
    C(ansible-playbook) exits with 2."
  - Not diagnosed (no result, or the diagnosis failed - unreachable API server, bad credentials,
    unreadable snapshot) - B(unreachable), the way Ansible reports a host it could not reach, with the
    cause. C(ansible-playbook) exits with 4 (4 wins over 2 when both happen), and AWX / Automation
    Controller shows the host as unreachable.
  - The action plugin does this on the controller; run as a plain module it can only fail, so both
    outcomes end as failed there.
options:
  result_var:
    description: The variable the host registered the diagnosis in.
    type: str
    default: diagnose_result
  result:
    description: The diagnosis result itself, instead of O(result_var).
    type: dict
  fail_on:
    description: The gate; V(never) disables it (a diagnosed host is then always ok).
    type: str
    choices: [never, info, warning, error]
    default: never
seealso:
  - module: meshops.sidecar_injection.injection_diagnose
  - module: meshops.sidecar_injection.injection_report
"""

EXAMPLES = r"""
- name: End the host by the gate
  meshops.sidecar_injection.injection_gate:
    fail_on: error
"""

RETURN = r"""
outcome:
  description: C(passed), C(gate_breached) or C(not_diagnosed).
  returned: always
  type: str
breached:
  description: The counts per severity at or above the gate.
  returned: always
  type: dict
  sample: {"error": 2, "warning": 3}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.gate import FAIL_ON, decide

SPEC = {
    "result_var": {"type": "str", "default": "diagnose_result"},
    "result": {"type": "dict"},
    "fail_on": {"type": "str", "choices": list(FAIL_ON), "default": "never"},
}


def main():
    module = AnsibleModule(argument_spec=SPEC, supports_check_mode=True)
    verdict = decide("localhost", module.params.get("result"), module.params["fail_on"])
    if verdict["outcome"] != "passed":
        module.fail_json(**verdict)
    module.exit_json(changed=False, **verdict)


if __name__ == "__main__":
    main()
