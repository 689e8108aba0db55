#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: workload_restart
short_description: Rollout-restart the workloads whose pods need re-injection, in proven batches
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - Restarts the workloads of the C(restart) plans of the given O(findings) (SI604 pods that predate injection,
    SI605 proxy version skew) and the O(workloads) named, as C(kubectl rollout restart) does - the pod-template
    annotation C(kubectl.kubernetes.io/restartedAt) - with the workload's C(resourceVersion) as precondition.
  - Never restarts a workload whose next pod would not be injected - a server-side dry-run create of a pod from
    its template (admission and the injector run, nothing is stored) must return it with the proxy; otherwise the
    workload is listed in RV(blocked) with what admission answered, and left alone.
  - Workloads go O(batch_size) at a time; a batch is done when every workload rolled out (updated, ready and
    available replicas) and every new pod carries the proxy. The first batch with more than O(max_unavailable)
    workloads unfinished after O(timeout) fails the task; later batches are not started.
  - A workload none of whose judged pods still exists (they were replaced since the diagnosis) is unchanged, so a
    second run with the same findings restarts nothing.
  - Needs O(allow_restart).
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - meshops.sidecar_injection.remediation
options:
  workloads:
    description: Workloads to restart besides the findings' ones.
    type: list
    elements: dict
    default: []
    suboptions:
      kind:
        description: Workload kind.
        type: str
        choices: [Deployment, StatefulSet, DaemonSet]
        default: Deployment
      namespace:
        description: Its namespace.
        type: str
        required: true
      name:
        description: Its name.
        type: str
        required: true
  report:
    description:
      - A whole diagnosis report; when it has per-workload answers (C(workloads) with C(restart) and C(next_pod))
        those choose the workloads and their blockers instead of the restart plans of O(findings).
      - A workload whose next pod the report found blocked is left alone with the report's reason, unless one of
        its C(blocked_by) findings is in O(findings) - the findings this run fixes before the restarts, as
        C(remediate.yml) passes them - then the live dry-run pod, made after those fixes, decides.
    type: dict
  batch_size:
    description: Workloads restarted together.
    type: int
    default: 1
  pause_seconds:
    description: Pause between batches.
    type: float
    default: 0
  max_unavailable:
    description: Workloads of a batch that may stay unfinished without failing it.
    type: int
    default: 0
  timeout:
    description: Seconds a batch may take to roll out with the proxy.
    type: int
    default: 300
  allow_restart:
    description: The opt-in restarts need (they roll the pods).
    type: bool
    default: false
requirements:
  - kubernetes >= 24.2.0
  - PyYAML (backups)
seealso:
  - module: meshops.sidecar_injection.injection_diagnose
"""

EXAMPLES = r"""
- name: Restart what predates injection, two workloads at a time
  meshops.sidecar_injection.workload_restart:
    findings: "{{ diagnosis.findings | selectattr('code', 'in', ['SI604', 'SI605']) }}"
    allow_restart: true
    batch_size: 2
    pause_seconds: 10
  register: restarted

- name: Workloads left alone because their root cause is unfixed
  ansible.builtin.debug:
    msg: "{{ item.object.namespace }}/{{ item.object.name }}: {{ item.why }}"
  loop: "{{ restarted.blocked }}"
"""

RETURN = r"""
changed:
  description: Whether a workload was restarted (in check mode, would be).
  returned: always
  type: bool
plan:
  description: One entry per workload with C(object), C(codes), C(status) (unchanged, blocked, would_change,
    applied, failed, not_attempted), C(admission) (the dry-run answer), C(message), C(backup).
  returned: always
  type: list
  elements: dict
blocked:
  description: Workloads not restarted because their next pod would not be injected - C(object), C(why).
  returned: always
  type: list
  elements: dict
batches:
  description: Per batch - C(batch), C(ok), C(workloads) (per workload C(rolled_out), C(new_pods), C(proxy), C(ok)).
  returned: always
  type: list
  elements: dict
backups:
  description: C(dir), the backup C(files) written by this run and the C(manifest) name.
  returned: always
  type: dict
changed_objects:
  description: The workloads restarted (in check mode, that would be).
  returned: always
  type: list
  elements: dict
verification:
  description: C(objects) (per restarted workload, rolled out and new pods with the proxy), C(findings) (empty),
    C(ok).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import workload_restart
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import execute


def main():
    module = AnsibleModule(argument_spec=workload_restart.ARGUMENT_SPEC, supports_check_mode=True)
    execute(module, workload_restart.run)


if __name__ == "__main__":
    main()
