# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs injection_probe; `module_defaults` for group/kubernetes.core.k8s reach it (see __init__.py).

A relative `report_path` or `diagnosis_report` is made absolute on the controller, as for injection_diagnose.
"""

from __future__ import annotations

import os
from typing import Any, Dict

from ansible_collections.meshops.sidecar_injection.plugins.action import KubernetesCoreDefaultsAction


class ActionModule(KubernetesCoreDefaultsAction):
    def module_arguments(self) -> Dict[str, Any]:
        args = super().module_arguments()
        for option in ("report_path", "diagnosis_report"):
            path = args.get(option)
            if isinstance(path, str) and path and not os.path.isabs(os.path.expanduser(path)):
                args[option] = os.path.abspath(path)
        return args
