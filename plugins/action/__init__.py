# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared base of this collection's action plugins for modules that talk to a cluster.

ansible-core applies `module_defaults: {group/kubernetes.core.k8s: ...}` only to the modules that
kubernetes.core itself lists in that group (a group's members are read from the collection that
defines it), so a play that sets its cluster's auth options that way would silently not reach these
modules. The base closes that gap the way collections do: when the task carries no auth option of
its own (none in its arguments, and none from `group/meshops.sidecar_injection.k8s` or the module's
own defaults, which ansible-core has already merged), it takes the `group/kubernetes.core.k8s`
entries of the task's module_defaults, templates them and passes kubernetes.core's auth options
among them to the module. All or nothing: mixing a task's `host` with a default `kubeconfig` would
make a client neither of them meant.

The base also resolves relative paths (`src`, `dest`, `report_path`, `manifests`, a `kubeconfig`
file) against the directory ansible-playbook was started from: the module itself runs in a
temporary directory, where `-e snapshot_path=dump/` would never be found. The module then sees,
and every message shows, the absolute path.
"""

from __future__ import annotations

import os
from typing import Any, Dict, FrozenSet, List, Mapping

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
except ImportError:  # the module itself reports the missing collection
    AUTH_ARG_SPEC = {}

KUBERNETES_CORE_GROUP = "group/kubernetes.core.k8s"
PATH_OPTIONS = ("src", "dest", "report_path", "kubeconfig")
PATH_LIST_OPTIONS = ("manifests",)


def resolve(path: Any, start: str) -> Any:
    """A relative path (after ~) made absolute against `start`; anything else as it is."""
    if not isinstance(path, str) or not path:
        return path
    expanded = os.path.expanduser(path)
    return expanded if os.path.isabs(expanded) else os.path.normpath(os.path.join(start, expanded))


def resolve_paths(args: Dict[str, Any], start: str) -> Dict[str, Any]:
    """The task's path options resolved against `start` (kubeconfig may also be a dict: untouched)."""
    out = dict(args)
    for name in PATH_OPTIONS:
        if name in out:
            out[name] = resolve(out[name], start)
    for name in PATH_LIST_OPTIONS:
        if isinstance(out.get(name), list):
            out[name] = [resolve(item, start) for item in out[name]]
    return out


def auth_option_names(spec: Mapping[str, Mapping[str, Any]]) -> FrozenSet[str]:
    """kubernetes.core's auth option names and their aliases (verify_ssl, ssl_ca_cert, ...)."""
    names = set(spec)
    for option in spec.values():
        names.update(option.get("aliases") or ())
    return frozenset(names)


AUTH_OPTIONS = auth_option_names(AUTH_ARG_SPEC)


def group_defaults(module_defaults: Any, group: str) -> Any:
    """The value of `group` in a task's module_defaults list (a later entry replaces an earlier one,
    as ansible-core merges them); None when no entry sets it."""
    found = None
    for defaults in module_defaults if isinstance(module_defaults, list) else [module_defaults]:
        if isinstance(defaults, dict) and group in defaults:
            found = defaults[group]
    return found


def auth_from(values: Any) -> Dict[str, Any]:
    """Only kubernetes.core's auth options (other keys of the group, e.g. `kind`, are not ours)."""
    if not isinstance(values, Mapping):
        return {}
    return {key: value for key, value in values.items() if key in AUTH_OPTIONS}


class KubernetesCoreDefaultsAction(ActionBase):
    """Runs the module of the same name, falling back on `group/kubernetes.core.k8s` for auth."""

    _supports_check_mode = True
    _supports_async = True

    def kubernetes_core_auth(self) -> Dict[str, Any]:
        """The auth options `group/kubernetes.core.k8s` sets for this task, templated."""
        raw = group_defaults(self._task.module_defaults, KUBERNETES_CORE_GROUP)
        if raw is None:
            return {}
        return auth_from(self._templar.template(raw))

    def module_arguments(self) -> Dict[str, Any]:
        args = dict(self._task.args)
        if not AUTH_OPTIONS.intersection(args):
            args.update(self.kubernetes_core_auth())
        # the controller's working directory is where ansible-playbook was started
        return resolve_paths(args, os.getcwd())

    def run(self, tmp: Any = None, task_vars: Any = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # no effect since ansible-core 2.5
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(
            result,
            self._execute_module(
                module_name=self._task.resolved_action or self._task.action,
                module_args=self.module_arguments(),
                task_vars=task_vars,
                wrap_async=wrap_async,
            ),
        )
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result


__all__: List[str] = ["AUTH_OPTIONS", "KUBERNETES_CORE_GROUP", "KubernetesCoreDefaultsAction", "resolve_paths"]
