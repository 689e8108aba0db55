#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: rollback
short_description: Restore the objects a remediation changed from its backup directory
version_added: 0.1.0
author:
  - meshops platform team (@meshops)
description:
  - Reads the C(manifest.json) of a backup directory written by the remediation modules
    (M(meshops.sidecar_injection.namespace_injection), M(meshops.sidecar_injection.webhook_settings)) and puts
    every object back as it was before the first remediation that touched it; objects a remediation created
    (a NetworkPolicy) are deleted.
  - An object that already equals its backup (status and server bookkeeping aside) is left alone, so a second
    run changes nothing.
  - An object changed by someone else since the remediation (another C(resourceVersion) than the one the
    remediation left) is not restored unless O(force); every object is judged before the first write, so one
    refusal restores nothing.
  - Restores are a PUT of the backed-up object with the live C(resourceVersion) (409 Conflict if it moves on
    meanwhile); deletes carry a resourceVersion precondition.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
options:
  backup_dir:
    description: The backup directory (the remediation modules' C(backup_dir)).
    type: path
    required: true
  force:
    description: Restore objects that changed since the remediation too, discarding those later changes.
    type: bool
    default: false
  objects:
    description: Restore only these objects (each field given must match); all of the manifest when empty.
    type: list
    elements: dict
    default: []
    suboptions:
      kind:
        description: Kind, for example V(Namespace).
        type: str
      namespace:
        description: Namespace (empty for cluster-scoped objects).
        type: str
      name:
        description: Name.
        type: str
  retries:
    description: Retries of a read after HTTP 429, 5xx or a reset connection; writes only after 429 and 503.
    type: int
    default: 5
requirements:
  - kubernetes >= 24.2.0
  - PyYAML
notes:
  - Check mode and diff mode are supported.
seealso:
  - module: meshops.sidecar_injection.namespace_injection
  - module: meshops.sidecar_injection.webhook_settings
"""

EXAMPLES = r"""
- name: Undo a remediation run
  meshops.sidecar_injection.rollback:
    backup_dir: backups/prod-eu/20261203T130000Z

- name: Restore one namespace even though it changed since
  meshops.sidecar_injection.rollback:
    backup_dir: backups/prod-eu/20261203T130000Z
    objects: [{kind: Namespace, name: shop}]
    force: true
"""

RETURN = r"""
changed:
  description: Whether an object was restored or deleted (in check mode, would be).
  returned: always
  type: bool
plan:
  description: One entry per object of the manifest with C(object), C(action) (unchanged, restore, create,
    delete), C(status) (unchanged, would_change, applied, failed, not_attempted), C(file), C(forced) and
    C(message) when it failed.
  returned: always
  type: list
  elements: dict
backups:
  description: The backup C(dir), the C(files) of the objects considered and the C(manifest) name.
  returned: always
  type: dict
changed_objects:
  description: The objects restored or deleted (in check mode, that would be).
  returned: always
  type: list
  elements: dict
verification:
  description: C(objects) re-read after the writes (C(ok) when equal to the backup, or gone) and C(ok);
    null C(ok) when nothing was written.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import rollback
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import execute


def main():
    module = AnsibleModule(argument_spec=rollback.ARGUMENT_SPEC, supports_check_mode=True)
    execute(module, rollback.run)


if __name__ == "__main__":
    main()
