# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe never writes: proving the server honours `dryRun=All` before sending a single pod.

A server (or a proxy in front of it, or an old aggregated API) that ignores the parameter would
store the probe pods and start workloads. Before probing, a ConfigMap with a random name is created
with `dryRun=All` and then read back: a 404 proves the dry run was honoured; an object that is there
proves it was not - it is deleted (the one write the probe ever makes, of its own throwaway object)
and the probe refuses to run, saying why. After each pod the same read-back is done for the pod
the server answered, so a server that honours dry run for ConfigMaps but not for pods is caught too.
A check that cannot run (the identity may not create ConfigMaps) is not a pass: the probe refuses.
"""

from __future__ import annotations

import uuid
from typing import Any, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import ApiError

CHECK_PREFIX = "meshops-dry-run-check-"
DRY_RUN = {"dryRun": "All"}


class DryRunNotHonoured(Exception):
    """The server stores dry-run writes (or that could not be verified); the probe refuses."""


def _path(namespace: str, resource: str, name: Optional[str] = None) -> str:
    base = "/api/v1/namespaces/%s/%s" % (namespace, resource)
    return base + "/" + name if name else base


def present(client: Any, namespace: str, resource: str, name: str) -> bool:
    try:
        client.get(_path(namespace, resource, name))
    except ApiError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def remove(client: Any, namespace: str, resource: str, name: str) -> str:
    """Delete an object the server stored although asked not to; a note on how that went."""
    try:
        client.send("DELETE", _path(namespace, resource, name))
    except ApiError as exc:
        return "deleting it failed (%s); delete %s %s/%s by hand" % (exc, resource, namespace, name)
    return "it was deleted"


def check(client: Any, namespace: str) -> str:
    """Raise DryRunNotHonoured unless a dry-run ConfigMap create leaves nothing behind; returns how it
    was verified (for the result)."""
    name = CHECK_PREFIX + uuid.uuid4().hex[:10]
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"purpose": "meshops.sidecar_injection injection_probe: dry-run support check"},
    }
    try:
        client.send("POST", _path(namespace, "configmaps"), body, DRY_RUN)
        stored = present(client, namespace, "configmaps", name)
    except ApiError as exc:
        raise DryRunNotHonoured(
            "cannot verify that the API server honours dryRun=All (dry-run create of ConfigMap %s/%s: %s); "
            "the probe does not run against a server it cannot prove to be safe" % (namespace, name, exc)
        ) from None
    if stored:
        note = remove(client, namespace, "configmaps", name)
        raise DryRunNotHonoured(
            "the API server ignores dryRun=All: a dry-run create of ConfigMap %s/%s stored it (%s); "
            "the probe would create real pods, so it does not run" % (namespace, name, note)
        )
    return "a dry-run create of ConfigMap %s/%s left nothing behind" % (namespace, name)
