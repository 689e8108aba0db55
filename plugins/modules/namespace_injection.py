#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: namespace_injection
short_description: Bring namespaces to a declared Istio or Linkerd sidecar-injection state
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - Sets the injection markers of namespaces to the declared state O(desired_namespaces), and executes the
    C(label_namespace) plans of given O(findings) (SI101, SI102, SI103, SI104, SI112).
  - "Istio: label C(istio-injection=enabled) (no revision) or C(istio.io/rev=<revision or tag>), removing the
    other, which would conflict (C(istio-injection=enabled) wins over C(istio.io/rev)); C(istio.io/dataplane-mode=ambient)
    is removed when sidecars are declared. A revision must be served by an injector webhook."
  - "Linkerd: the C(linkerd.io/inject) annotation; a C(linkerd.io/inject) label, which the proxy injector
    ignores, is removed."
  - Touches only those keys. Pods already running keep their state until their workloads are restarted
    (M(meshops.sidecar_injection.workload_restart) or C(kubectl rollout restart)).
  - Lifecycle - plan (RV(plan), the diff), backup (O(backup_dir)), apply (JSON patch with a resourceVersion
    precondition), verify (re-read and re-diagnose, RV(verification)).
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - meshops.sidecar_injection.remediation
options:
  desired_namespaces:
    description:
      - The declared state, one entry per namespace name or pattern. Entries naming the same namespace must agree.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: A namespace that must exist. Exactly one of O(desired_namespaces[].name) and O(desired_namespaces[].pattern).
        type: str
      pattern:
        description: A shell-style pattern (V(team-*)) over the existing namespaces; matching none is reported in RV(unmatched).
        type: str
      mesh:
        description: The mesh.
        type: str
        choices: [istio, linkerd]
        default: istio
      revision:
        description: Istio revision or tag (C(istio.io/rev)); without it C(istio-injection=enabled).
        type: str
      state:
        description: V(enabled) meshes the namespace, V(disabled) marks it as deliberately not meshed.
        type: str
        choices: [enabled, disabled]
        default: enabled
requirements:
  - kubernetes >= 24.2.0
  - PyYAML (backups)
seealso:
  - module: meshops.sidecar_injection.injection_diagnose
  - module: meshops.sidecar_injection.rollback
"""

EXAMPLES = r"""
- name: Mesh two namespaces with Istio revision stable, one with Linkerd
  meshops.sidecar_injection.namespace_injection:
    desired_namespaces:
      - {pattern: "team-*", mesh: istio, revision: stable}
      - {name: payments, mesh: linkerd}
      - {name: batch, state: disabled}
    backup_dir: "backups/{{ inventory_hostname }}"
  register: labelled

- name: Execute the namespace plans of a diagnosis
  meshops.sidecar_injection.namespace_injection:
    findings: "{{ diagnosis.findings | selectattr('plan.action', 'defined') | selectattr('plan.action', 'eq', 'label_namespace') }}"
    backup_dir: backups/prod
"""

RETURN = r"""
changed:
  description: Whether an object was changed (in check mode, would be).
  returned: always
  type: bool
plan:
  description: One entry per object planned, with C(object), C(status) (unchanged, would_change, applied,
    failed, not_attempted), C(edits) (C(pointer), C(value), C(remove), C(before), C(changes), C(reason)),
    C(resolves) (the findings the change addresses) and C(message) when it failed.
  returned: always
  type: list
  elements: dict
  sample: [{"object": {"kind": "Namespace", "namespace": "", "name": "shop"}, "status": "applied",
            "edits": [{"pointer": "/metadata/labels/istio.io~1rev", "remove": true, "value": null,
                       "before": "canary", "changes": true}],
            "resolves": [{"code": "SI102", "object": {"kind": "Namespace", "namespace": "", "name": "shop"}}]}]
backups:
  description: C(dir), the backup C(files) written by this run (relative to C(dir)) and the C(manifest) name.
  returned: always
  type: dict
  sample: {"dir": "backups/prod", "files": ["namespace._cluster.shop.20261203T130000Z.yaml"], "manifest": "manifest.json"}
changed_objects:
  description: The objects changed (in check mode, that would be), as C(kind), C(namespace), C(name).
  returned: always
  type: list
  elements: dict
verification:
  description: After a change - C(objects) re-read (C(ok), C(checked), C(missed) pointers), C(findings)
    (C(code), C(object), C(gone)) from the re-diagnosis, and C(ok) for all of it; C(ok) is null when
    nothing was applied.
  returned: always
  type: dict
unmatched:
  description: Pattern entries of O(desired_namespaces) that matched no namespace (C(index), C(pattern)).
  returned: always
  type: list
  elements: dict
not_executed:
  description: Operations of the given findings' plans this module does not execute (C(code), C(op) or C(why)).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import namespace_injection
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import execute


def main():
    module = AnsibleModule(argument_spec=namespace_injection.ARGUMENT_SPEC, supports_check_mode=True)
    execute(module, namespace_injection.run)


if __name__ == "__main__":
    main()
