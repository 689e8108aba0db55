# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs injection_diagnose; `module_defaults` for group/kubernetes.core.k8s reach it, and relative
`src`, `manifests`, `report_path` and `kubeconfig` resolve against the directory the run started in
(both in __init__.py), so the report lands where the user ran ansible-playbook.
"""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.action import KubernetesCoreDefaultsAction


class ActionModule(KubernetesCoreDefaultsAction):
    pass
