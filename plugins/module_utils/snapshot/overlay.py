# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pre-deployment check: rendered manifests laid over a snapshot, as `istioctl analyze` merges
local files with the live cluster.

`manifests` are files or directories of YAML or JSON (`helm template`, `kustomize build`, plain
`kubectl apply -f` files; `kind: List` flattened). Each object of a kind the snapshot holds replaces
the cluster's object of the same namespace and name, or is added: the diagnosis then sees the
cluster as it would be once they are applied, and its verdicts and root causes speak for the
workloads the manifests would create. A namespaced object without a namespace goes to `default`,
as `kubectl apply` without `-n` does. Objects go through the same projection as gathered ones (a
Secret keeps only its public certificates). Where each object came from (file and line of its
document) is recorded in `snapshot["manifests"]`, so SARIF can point at it.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Sequence, Tuple

try:
    import yaml

    _Loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    HAS_YAML = True
except ImportError:  # reported by the module with missing_required_lib
    yaml = None  # type: ignore[assignment]
    _Loader = object
    HAS_YAML = False

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import limits as input_limits
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.offline import walk
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.projection import (
    Memo,
    project,
    sort_key,
)


class OverlayError(Exception):
    """A manifest could not be read; the message names the file and the parser's position."""


def documents(path: str) -> List[Tuple[int, Any]]:
    """(line, object) for every document of a file, `kind: List` items with their own line."""
    # a regular file within the offline limits: a FIFO or /dev/zero among manifests must not hang
    raw = input_limits.read_regular(path, input_limits.Limits(), max_bytes=input_limits.Limits().max_yaml)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OverlayError("manifest %s is not UTF-8 text (byte %d)" % (path, exc.start)) from None
    if path.endswith(".json"):
        try:
            return [(1, json.loads(text))]
        except ValueError as exc:
            raise OverlayError("manifest %s is not valid JSON: %s" % (path, exc)) from None
    if not HAS_YAML:
        raise OverlayError("the PyYAML Python library is required to read %s" % path)
    out: List[Tuple[int, Any]] = []
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if node is None:
                continue
            value = yaml.load(yaml.serialize(node), Loader=_Loader)
            line = node.start_mark.line + 1
            items = (
                value.get("items") if isinstance(value, dict) and str(value.get("kind", "")).endswith("List") else None
            )
            if isinstance(items, list):
                item_nodes = [v for k, v in node.value if getattr(k, "value", None) == "items"]
                lines = [n.start_mark.line + 1 for n in item_nodes[0].value] if item_nodes else [line] * len(items)
                out.extend(zip(lines, items))
            else:
                out.append((line, value))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = " (line %d, column %d)" % (mark.line + 1, mark.column + 1) if mark is not None else ""
        raise OverlayError(
            "manifest %s is not valid YAML: %s%s" % (path, getattr(exc, "problem", exc), where)
        ) from None
    return out


def apply(snapshot: Dict[str, Any], manifests: Sequence[str]) -> Dict[str, Any]:
    """Lay `manifests` over `snapshot` (in place; also returned). Raises OverlayError."""
    resources = snapshot.setdefault("resources", {})
    origins: List[Dict[str, Any]] = []
    memo = Memo()
    for source in manifests:
        if not os.path.exists(source):
            raise OverlayError("manifest %s does not exist" % source)
        for path in walk(source):
            for line, obj in documents(path):
                if not isinstance(obj, dict):
                    continue
                resource = snap.KIND_TO_RESOURCE.get(str(obj.get("kind")))
                if resource is None:
                    continue  # CRDs, ConfigMaps of the app ...: nothing the injection path reads
                obj = dict(obj, metadata=dict(obj.get("metadata") or {}))
                if snap.RESOURCES[resource].namespaced and not obj["metadata"].get("namespace"):
                    obj["metadata"]["namespace"] = "default"
                projected = project(resource, obj, memo)
                key = (snap.namespace_of(projected), snap.name_of(projected))
                items = [o for o in resources.get(resource) or [] if (snap.namespace_of(o), snap.name_of(o)) != key]
                items.append(projected)
                resources[resource] = sorted(items, key=sort_key)
                origins.append(
                    {
                        "file": path,
                        "line": line,
                        "kind": snap.RESOURCES[resource].kind,
                        "namespace": key[0],
                        "name": key[1],
                    }
                )
    snapshot["manifests"] = origins
    return snapshot
