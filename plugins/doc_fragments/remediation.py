# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options every remediation module shares (plugins/module_utils/runners/remediate.py)."""

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  findings:
    description:
      - Findings of a diagnosis report (RV(meshops.sidecar_injection.injection_diagnose#module:findings), or
        a JMESPath selection of them) whose typed C(plan) this module executes. Plans of other actions are
        listed in the result's C(not_executed) (where the module returns it) and left alone.
      - Every operation is applied only when the object still holds the value the diagnosis saw; otherwise
        the task fails before anything is written.
    type: list
    elements: dict
    default: []
  backup_dir:
    description:
      - Directory for the YAML of every object before it is changed (C(<kind>.<namespace>.<name>.<time>.yaml),
        C(_cluster) for cluster-scoped objects) and C(manifest.json), which
        M(meshops.sidecar_injection.rollback) reads. Written before the first change, mode C(0600).
      - Without it no backup is written.
    type: path
  verify:
    description:
      - After applying, re-read every changed object and re-run the diagnosis, and report for every finding
        the change was meant to resolve whether it is gone (RV(verification)).
    type: bool
    default: true
  field_manager:
    description:
      - The field manager the writes are recorded under (C(metadata.managedFields)).
    type: str
    default: meshops-sidecar-injection
  control_plane_namespaces:
    description:
      - Extra mesh control-plane namespaces for the snapshot the plan and the verification read.
    type: list
    elements: str
    default: []
  retries:
    description:
      - Retries of a read after HTTP 429, 5xx or a reset connection; writes are retried only after 429 and 503.
    type: int
    default: 5
notes:
  - Check mode and diff mode are supported; check mode sends no write and writes no backup.
  - Every write is a JSON patch led by the object's C(metadata.resourceVersion) as read. A concurrent change
    fails that object with 409 Conflict, and the task stops there (objects already changed are listed in
    RV(changed_objects) with their backups).
"""
