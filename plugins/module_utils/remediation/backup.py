# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups: the YAML of every object as it was before a remediation touched it, and a manifest.

Layout of a backup directory (what `rollback` reads)::

    <backup_dir>/
      namespace._cluster.demo.20261203T130102Z.yaml     <kind>.<namespace|_cluster>.<name>.<stamp>.yaml
      manifest.json                                      {"schema": 1, "entries": [...]}

A manifest entry records the object, its file (None for an object the remediation created:
rollback deletes it), the resourceVersion before and after the change (rollback refuses to restore
over an object that moved on since), the pointers changed and the module that changed it. Entries
are appended, so several runs may share one directory; the first entry of an object holds its
original state. Files are written before the first write to the cluster, atomically, mode 0600
(webhook configurations and Secrets' neighbours are not for everyone).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from typing import Any, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef

try:
    import yaml

    HAS_YAML = True
except ImportError:  # reported by the module with missing_required_lib
    HAS_YAML = False

MANIFEST = "manifest.json"
SCHEMA = 1


class BackupError(Exception):
    """The backup could not be written or read; the message names the directory or file."""


def stamp(now: Optional[float] = None) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))


def file_name(ref: ObjectRef, when: str) -> str:
    safe = [part.replace(os.sep, "_") for part in (ref.kind.lower(), ref.namespace or "_cluster", ref.name)]
    return "%s.%s.%s.%s.yaml" % (safe[0], safe[1], safe[2], when)


def _write(path: str, text: str) -> None:
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_manifest(backup_dir: str) -> Dict[str, Any]:
    path = os.path.join(backup_dir, MANIFEST)
    if not os.path.exists(path):
        return {"schema": SCHEMA, "entries": []}
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise BackupError("Cannot read the backup manifest %s: %s" % (path, exc)) from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise BackupError("The backup manifest %s has no entries list" % path)
    return data


def write_manifest(backup_dir: str, manifest: Dict[str, Any]) -> str:
    path = os.path.join(backup_dir, MANIFEST)
    _write(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def write_objects(
    backup_dir: str, items: List[Dict[str, Any]], module: str, now: Optional[float] = None
) -> List[Dict[str, Any]]:
    """Write each item's `before` object (None: created by us) and append manifest entries; returns
    the new entries. `items`: {"ref", "before", "pointers", "api_version"}."""
    if not HAS_YAML:
        raise BackupError("PyYAML is required to write backups")
    try:
        os.makedirs(backup_dir, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise BackupError("Cannot create the backup directory %s: %s" % (backup_dir, exc)) from None
    manifest = read_manifest(backup_dir)
    when = stamp(now)
    entries = []
    for item in items:
        ref: ObjectRef = item["ref"]
        before = item.get("before")
        name = None
        if before is not None:
            name = file_name(ref, when)
            try:
                _write(os.path.join(backup_dir, name), yaml.safe_dump(before, default_flow_style=False, sort_keys=True))
            except OSError as exc:
                raise BackupError("Cannot write the backup of %s into %s: %s" % (ref.text(), backup_dir, exc)) from None
        entries.append(
            {
                "object": ref.as_dict(),
                "api_version": item.get("api_version") or (before or {}).get("apiVersion") or "",
                "file": name,
                "created": before is None,
                "resource_version_before": ((before or {}).get("metadata") or {}).get("resourceVersion"),
                "resource_version_after": None,
                "pointers": list(item.get("pointers") or []),
                "module": module,
                "time": when,
            }
        )
    manifest["entries"].extend(entries)
    manifest["schema"] = SCHEMA
    try:
        write_manifest(backup_dir, manifest)
    except OSError as exc:
        raise BackupError("Cannot write the backup manifest into %s: %s" % (backup_dir, exc)) from None
    return entries


def record_after(backup_dir: str, entries: List[Dict[str, Any]]) -> None:
    """Store the resourceVersion each written object got (rollback's "changed since" test)."""
    manifest = read_manifest(backup_dir)
    by_key = {(e["time"], json.dumps(e["object"], sort_keys=True)): e for e in entries}
    for entry in manifest["entries"]:
        mine = by_key.get((entry["time"], json.dumps(entry["object"], sort_keys=True)))
        if mine is not None:
            entry["resource_version_after"] = mine.get("resource_version_after")
    write_manifest(backup_dir, manifest)


def load_object(backup_dir: str, name: str) -> Dict[str, Any]:
    path = os.path.join(backup_dir, name)
    try:
        with open(path) as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise BackupError("Cannot read the backup %s: %s" % (path, exc)) from None
    if not isinstance(data, dict) or not data.get("kind"):
        raise BackupError("The backup %s holds no Kubernetes object" % path)
    return data
