# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs workload_restart; `module_defaults` for group/kubernetes.core.k8s reach it (see __init__.py)."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.action import KubernetesCoreDefaultsAction


class ActionModule(KubernetesCoreDefaultsAction):
    pass
