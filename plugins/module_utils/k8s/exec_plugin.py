# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A kubeconfig user whose exec credential plugin (`aws`, `gke-gcloud-auth-plugin`, `kubelogin`...)
is not installed.

The kubernetes library runs the plugin while loading the kubeconfig, logs the failure and goes on
without a token, so the user then sees "401 Unauthorized" from the API server: the wrong cause. This
looks the plugin up first, as client-go does (a command with a `/` relative to the kubeconfig's own
directory, otherwise on PATH), and names the kubeconfig, context, user and command.
"""

from __future__ import annotations

import os
import shutil
from typing import Any, Dict, List, Optional, Tuple

try:
    import yaml

    HAS_YAML = True
except ImportError:  # the kubernetes library needs PyYAML anyway
    HAS_YAML = False


def _documents(kubeconfig: Any) -> List[Tuple[str, Dict[str, Any]]]:
    """(where, parsed kubeconfig) in precedence order; unreadable files are left to the loader."""
    if isinstance(kubeconfig, dict):
        return [("", kubeconfig)]
    paths = [p for p in (kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config").split(os.pathsep) if p]
    out = []
    for path in paths:
        path = os.path.expanduser(path)
        try:
            with open(path) as handle:
                doc = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(doc, dict):
            out.append((path, doc))
    return out


def _named(docs: List[Tuple[str, Dict[str, Any]]], key: str, name: str) -> Optional[Tuple[str, Dict[str, Any]]]:
    """The first entry called `name` in the `key` list (clusters, contexts, users): the first file wins."""
    for where, doc in docs:
        for entry in doc.get(key) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                return where, entry
    return None


def missing_plugin(kubeconfig: Any, context: Optional[str] = None) -> Optional[str]:
    """A message naming the missing exec plugin of the context's user, or None when there is none
    (no exec user, the plugin is found, or the kubeconfig cannot be read: the loader says why)."""
    if not HAS_YAML:
        return None
    docs = _documents(kubeconfig)
    if not docs:
        return None
    name = context or next((d.get("current-context") for _w, d in docs if d.get("current-context")), None)
    found = _named(docs, "contexts", name) if name else None
    if found is None or not isinstance(found[1].get("context"), dict):
        return None
    user_name = found[1]["context"].get("user")
    user = _named(docs, "users", user_name) if user_name else None
    if user is None or not isinstance(user[1].get("user"), dict):
        return None
    where, entry = user
    spec = entry["user"].get("exec")
    if not isinstance(spec, dict) or not isinstance(spec.get("command"), str) or not spec["command"]:
        return None
    command = spec["command"]
    if "/" in command:
        path = command if os.path.isabs(command) else os.path.join(os.path.dirname(where) or ".", command)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return None
        looked = path
    else:
        if shutil.which(command):
            return None
        looked = "PATH (%s)" % os.environ.get("PATH", "")
    hint = spec.get("installHint")
    return (
        "kubeconfig %s (context %s): the exec credential plugin %r of user %s is not installed: not found in %s%s"
        % (
            where or "given as a dictionary",
            name,
            command,
            user_name,
            looked,
            ("; " + " ".join(str(hint).split())) if hint else "",
        )
    )
