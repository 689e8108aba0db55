#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: webhook_settings
short_description: Harden the sidecar injector's admission webhooks, per webhook, safely
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - Sets C(timeoutSeconds), C(failurePolicy) and namespace exclusions of the webhooks of a mutating or
    validating webhook configuration, applied per webhook by name (O(webhooks)), and executes the
    C(set_webhook) and C(allow_webhook_ingress) plans of given O(findings) - for SI304 the NetworkPolicy that
    admits the API server to the injector port - and SI209's exclusion of the injector's own namespace.
  - C(failurePolicy=Ignore) fails open (pods are admitted without their sidecar while the injector is
    unreachable); it is refused unless O(allow_fail_open) acknowledges it.
  - Exclusions go into the webhook's C(namespaceSelector) as C(kubernetes.io/metadata.name NotIn [...]) (an
    existing such requirement is extended), which ends the bootstrap deadlock of a fail-closed injector that
    selects its own namespace (SI209).
  - Says who will revert each change (RV(reverts)) - istiod (C(pilot-discovery)) re-patching C(caBundle), Helm,
    Argo CD, Flux or the Istio operator owning the configuration (from C(managedFields) and their labels) - with
    the lasting fix.
  - SI305 (a platform firewall between the API server and the injector) cannot be fixed from the cluster; its
    steps are returned in RV(guidance) for the user to apply.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - meshops.sidecar_injection.remediation
options:
  webhooks:
    description: Declared settings, one entry per webhook configuration (and optionally one webhook of it).
    type: list
    elements: dict
    default: []
    suboptions:
      configuration:
        description: Name of the webhook configuration.
        type: str
        required: true
      kind:
        description: Mutating or validating webhook configuration.
        type: str
        choices: [mutating, validating]
        default: mutating
      webhook:
        description: Only this webhook (C(webhooks[].name)) of the configuration; all of them when omitted.
        type: str
      timeout_seconds:
        description: C(timeoutSeconds), 1 to 30.
        type: int
      failure_policy:
        description: C(failurePolicy). V(Ignore) needs O(allow_fail_open).
        type: str
        choices: [Fail, Ignore]
      exclude_namespaces:
        description: Namespaces whose pods skip the webhook (the injector's own, kube-system).
        type: list
        elements: str
        default: []
  allow_fail_open:
    description: The acknowledgement that V(Ignore) (in O(webhooks) or a finding's plan) may be applied.
    type: bool
    default: false
requirements:
  - kubernetes >= 24.2.0
  - PyYAML (backups)
seealso:
  - module: meshops.sidecar_injection.injection_diagnose
  - module: meshops.sidecar_injection.rollback
"""

EXAMPLES = r"""
- name: Harden the Istio injector
  meshops.sidecar_injection.webhook_settings:
    webhooks:
      - configuration: istio-sidecar-injector
        timeout_seconds: 5
        failure_policy: Fail
        exclude_namespaces: [istio-system, kube-system]
    backup_dir: "backups/{{ inventory_hostname }}"
  register: hardened

- name: Show who will revert the change
  ansible.builtin.debug:
    msg: "{{ item.object.name }} {{ item.fields }}: {{ item.how }} -> {{ item.lasting_fix }}"
  loop: "{{ hardened.reverts }}"

- name: Execute the NetworkPolicy plans of a diagnosis (SI304)
  meshops.sidecar_injection.webhook_settings:
    findings: "{{ diagnosis.findings | selectattr('code', 'eq', 'SI304') }}"
"""

RETURN = r"""
changed:
  description: Whether an object was changed or created (in check mode, would be).
  returned: always
  type: bool
plan:
  description: One entry per object with C(object), C(status) (unchanged, would_change, applied, failed,
    not_attempted), C(edits) (C(pointer), C(value), C(before), C(changes), C(reason)), C(create) (a manifest
    created), C(resolves), C(warnings) (who reverts it) and C(message) when it failed.
  returned: always
  type: list
  elements: dict
backups:
  description: C(dir), the backup C(files) written by this run and the C(manifest) name.
  returned: always
  type: dict
changed_objects:
  description: The objects changed or created (in check mode, that would be).
  returned: always
  type: list
  elements: dict
verification:
  description: After a change - C(objects) re-read, C(findings) re-diagnosed (C(code), C(object), C(gone)), C(ok).
  returned: always
  type: dict
reverts:
  description: Owners that will undo a change - C(object), C(owner), C(fields) (the JSON pointers it puts back),
    C(how), C(lasting_fix).
  returned: always
  type: list
  elements: dict
  sample: [{"object": {"kind": "MutatingWebhookConfiguration", "namespace": "", "name": "istio-sidecar-injector"},
            "fields": ["/webhooks/0/timeoutSeconds"], "owner": "Helm",
            "how": "the next helm upgrade of release istiod (namespace istio-system) renders the chart's value again",
            "lasting_fix": "set the value in the Helm values of release istiod (namespace istio-system) and upgrade"}]
guidance:
  description: Steps the user applies outside the cluster (SI305 platform firewall) - C(code), C(object),
    C(message), C(steps).
  returned: always
  type: list
  elements: dict
not_executed:
  description: Findings or operations this module does not execute.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import webhook_settings
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import execute


def main():
    module = AnsibleModule(argument_spec=webhook_settings.ARGUMENT_SPEC, supports_check_mode=True)
    execute(module, webhook_settings.run)


if __name__ == "__main__":
    main()
