# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rollback: put every object of a backup directory (backup.py) back as it was before the first
remediation that touched it.

Per object of the manifest: the first entry holds the original (or says the remediation created
the object), the last entry the resourceVersion the last remediation left. Then:

* live equals the original (status and bookkeeping aside), or a created object is gone: nothing to do,
  so a second rollback changes nothing;
* live moved on since the remediation (another resourceVersion): refused unless `force`, since
  restoring would throw away a change nobody here made;
* otherwise the original is PUT with the live resourceVersion (409 if it moves on meanwhile), or the
  created object is deleted with a resourceVersion precondition.

Every object is judged before the first write; one refusal stops the run with nothing restored.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import ApiError, KubeClientError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.writes import KubeWriter
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import backup
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import PlanError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.lifecycle import (
    RemediationFailed,
    clean,
    describe_api_error,
    dump_yaml,
    shown,
)

# Set by the API server on create; a re-created object must not carry them.
CREATE_DROPS = ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "selfLink")


def _key(entry: Dict[str, Any]) -> Tuple[str, str, str]:
    obj = entry.get("object") or {}
    return (obj.get("kind") or "", obj.get("namespace") or "", obj.get("name") or "")


def objects_of(manifest: Dict[str, Any]) -> List[Tuple[ObjectRef, Dict[str, Any], Dict[str, Any]]]:
    """(object, first entry, last entry) per object, in the order they were first backed up."""
    order: List[Tuple[str, str, str]] = []
    first: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
    last: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
    for entry in manifest.get("entries") or []:
        key = _key(entry)
        if key not in first:
            order.append(key)
            first[key] = entry
        last[key] = entry
    return [(ObjectRef(k[0], k[2], k[1]), first[k], last[k]) for k in order]


def _selected(ref: ObjectRef, only: Sequence[Dict[str, Any]]) -> bool:
    if not only:
        return True
    return any(
        all(not sel.get(f) or sel.get(f) == getattr(ref, f) for f in ("kind", "namespace", "name")) for sel in only
    )


class Rollback(object):
    def __init__(self, writer: KubeWriter, backup_dir: str, force: bool = False, check_mode: bool = False) -> None:
        self.writer = writer
        self.backup_dir = backup_dir
        self.force = force
        self.check_mode = check_mode

    def plan(self, only: Sequence[Dict[str, Any]] = ()) -> List[Dict[str, Any]]:
        try:
            manifest = backup.read_manifest(self.backup_dir)
        except backup.BackupError as exc:
            raise PlanError(str(exc)) from None
        if not manifest["entries"]:
            raise PlanError("The backup directory %s holds no backup manifest entries" % self.backup_dir)
        steps: List[Dict[str, Any]] = []
        problems: List[str] = []
        for ref, first, last in objects_of(manifest):
            if not _selected(ref, only):
                continue
            try:
                live = self.writer.read(ref)
            except ApiError as exc:
                problems.append(describe_api_error(ref, exc, "read"))
                continue
            left = last.get("resource_version_after")
            live_rv = ((live or {}).get("metadata") or {}).get("resourceVersion")
            step: Dict[str, Any] = {"ref": ref, "live": live, "original": None, "file": first.get("file")}
            if first.get("created"):
                step["action"] = "unchanged" if live is None else "delete"
            else:
                try:
                    original = backup.load_object(self.backup_dir, first["file"])
                except (backup.BackupError, KeyError, TypeError) as exc:
                    raise PlanError("%s: %s" % (ref.text(), exc)) from None
                step["original"] = original
                if live is None:
                    step["action"] = "create"
                elif clean(live) == clean(original):
                    step["action"] = "unchanged"
                else:
                    step["action"] = "restore"
            moved = step["action"] != "unchanged" and (live is None or live_rv != left)
            if moved and not self.force:
                now = "deleted" if live is None else "at resourceVersion %s" % live_rv
                problems.append(
                    "%s changed since the remediation left it (resourceVersion %s, now %s); not restored. "
                    "Set force to restore the backup over it." % (ref.text(), left, now)
                )
            step["forced"] = bool(moved)
            steps.append(step)
        if problems:
            raise PlanError(" ".join(problems))
        return steps

    def _write(self, step: Dict[str, Any]) -> Dict[str, Any]:
        ref: ObjectRef = step["ref"]
        live_rv = ((step["live"] or {}).get("metadata") or {}).get("resourceVersion") or ""
        if step["action"] == "delete":
            return self.writer.delete(ref, live_rv)
        body = copy.deepcopy(step["original"])
        meta = body.setdefault("metadata", {})
        body.pop("status", None)
        if step["action"] == "create":
            for key in CREATE_DROPS:
                meta.pop(key, None)
            return self.writer.create(body)
        meta.pop("managedFields", None)
        meta["resourceVersion"] = live_rv
        return self.writer.replace(ref, body)

    def run(self, steps: List[Dict[str, Any]]) -> Dict[str, Any]:
        failure: Optional[str] = None
        for step in steps:
            if step["action"] == "unchanged":
                step["status"] = "unchanged"
            elif self.check_mode:
                step["status"] = "would_change"
            elif failure is not None:
                step["status"] = "not_attempted"
            else:
                try:
                    self._write(step)
                    step["status"] = "applied"
                except ApiError as exc:
                    verb = {"delete": "delete", "create": "create"}.get(step["action"], "update")
                    step["status"] = "failed"
                    step["message"] = failure = describe_api_error(step["ref"], exc, verb)
                except KubeClientError as exc:
                    step["status"] = "failed"
                    step["message"] = failure = str(exc)
        result = self.result(steps)
        if failure is not None:
            result["msg"] = failure
            raise RemediationFailed(failure, result)
        if not self.check_mode and any(s["status"] == "applied" for s in steps):
            result["verification"] = self.verify(steps)
        return result

    def verify(self, steps: List[Dict[str, Any]]) -> Dict[str, Any]:
        objects = []
        for step in steps:
            if step["status"] != "applied":
                continue
            live = self.writer.read(step["ref"])
            if step["action"] == "delete":
                ok = live is None
            else:
                ok = live is not None and clean(live) == clean(step["original"])
            objects.append({"object": step["ref"].as_dict(), "ok": ok, "checked": [step["action"]]})
        return {"objects": objects, "findings": [], "ok": all(o["ok"] for o in objects)}

    def result(self, steps: List[Dict[str, Any]]) -> Dict[str, Any]:
        written = [s for s in steps if s["status"] in ("applied", "would_change")]
        plan = []
        for s in steps:
            item = {"object": s["ref"].as_dict(), "action": s["action"], "status": s["status"], "file": s["file"]}
            if s.get("forced"):
                item["forced"] = True
            if s.get("message"):
                item["message"] = s["message"]
            plan.append(item)
        return {
            "changed": bool(written),
            "plan": plan,
            "changed_objects": [s["ref"].as_dict() for s in written],
            "backups": {
                "dir": self.backup_dir,
                "files": [s["file"] for s in steps if s["file"]],
                "manifest": backup.MANIFEST,
            },
            "verification": {"objects": [], "findings": [], "ok": None},
            "diff": [
                {
                    "before_header": s["ref"].text(),
                    "after_header": s["ref"].text(),
                    "before": dump_yaml(shown(s["live"])),
                    "after": dump_yaml(shown(s["original"]) if s["action"] != "delete" else {}),
                }
                for s in written
            ],
        }
