#!/usr/bin/python
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: injection_report
short_description: Write the fleet reports of a diagnosis run (HTML, Markdown, JUnit, SARIF, Prometheus)
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - Runs once per run on the controller, after M(meshops.sidecar_injection.injection_diagnose) ran on every
    host, and writes into O(report_dir) one C(<host>.md) per diagnosed cluster, C(fleet.html) (one
    self-contained page), C(fleet.json) (the fleet roll-up), C(junit.xml) (a testsuite per cluster, a
    testcase per check) and C(sidecar_injection.prom) (Prometheus text exposition), and
    C(sidecar_injection.sarif) when manifests were overlaid (the pre-deployment check).
  - Every host named in O(hosts) is in the reports; one without a diagnosis result, or whose diagnosis
    failed, is listed as not diagnosed with the reason, never left out.
  - Returns the fleet roll-up, the outcome of the exit policy and the C(set_stats) data for AWX /
    Automation Controller workflows. In check mode nothing is written and everything is returned.
  - The work is done by the action plugin on the controller, which reads the registered results of the
    hosts from C(hostvars) when O(results) is not given; the module can also run on its own with O(results).
  - See C(docs/reports.md) for the formats.
options:
  report_dir:
    description: Folder of the reports (created when missing).
    type: path
    required: true
  hosts:
    description:
      - The hosts of the run, in order, usually C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  results:
    description:
      - The diagnosis result of each host, by host name. When empty, the action plugin takes
        C(hostvars[host][result_var]) for every host in O(hosts).
    type: dict
    default: {}
  result_var:
    description: The variable each host registered the diagnosis in (action plugin only).
    type: str
    default: diagnose_result
  fail_on:
    description:
      - The gate. A cluster with findings of this severity or worse has breached it (C(junit.xml) failures,
        the C(gate_breached) outcome); V(never) disables it.
    type: str
    choices: [never, info, warning, error]
    default: never
  formats:
    description: Which reports to write besides the per-host JSON the diagnosis wrote.
    type: list
    elements: str
    choices: [markdown, html, fleet, junit, prometheus, sarif]
    default: [markdown, html, fleet, junit, prometheus, sarif]
  top:
    description: How many root causes the C(set_stats) data lists.
    type: int
    default: 5
notes:
  - The outcome is V(not_diagnosed) when any host could not be diagnosed, else V(gate_breached) when any
    breached the gate, else V(passed).
seealso:
  - module: meshops.sidecar_injection.injection_diagnose
"""

EXAMPLES = r"""
- name: Write the fleet reports once, after every cluster was diagnosed
  meshops.sidecar_injection.injection_report:
    report_dir: "{{ report_dir }}"
    hosts: "{{ ansible_play_hosts_all }}"
    fail_on: error
  run_once: true
  register: reports

- name: Publish them for workflow nodes
  ansible.builtin.set_stats:
    data: "{{ reports.stats }}"
  run_once: true
"""

RETURN = r"""
outcome:
  description: C(passed), C(gate_breached) or C(not_diagnosed).
  returned: always
  type: str
  sample: gate_breached
fleet:
  description: The fleet roll-up, as written to C(fleet.json) (schema C(docs/schemas/fleet.schema.json)).
  returned: always
  type: dict
files:
  description: The report files by name (the per-host JSON reports included).
  returned: always
  type: dict
  sample: {"fleet.html": "/runs/42/reports/fleet.html", "junit.xml": "/runs/42/reports/junit.xml"}
written:
  description: Whether the files were written (false in check mode).
  returned: always
  type: bool
summary_lines:
  description: The fleet in a few lines.
  returned: always
  type: list
  elements: str
stats:
  description: "C(set_stats) data: C(meshops_outcome), C(meshops_fleet), C(meshops_reports), C(meshops_top_causes)."
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.report import (
    REPORT_ARGUMENT_SPEC,
    ReportError,
    run,
)


def main():
    spec = dict(REPORT_ARGUMENT_SPEC)
    spec["result_var"] = {"type": "str", "default": "diagnose_result"}
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    try:
        result = run(module.params, check_mode=module.check_mode)
    except ReportError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
