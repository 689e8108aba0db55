# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation lifecycle every remediation module runs: plan → backup → apply → verify.

    engine = Remediation(writer, module="namespace_injection", backup_dir=..., check_mode=...)
    changes = engine.plan(targets)        # reads every object; PlanError when any plan is stale
    result = engine.run(changes)          # backup, apply, verify; the module's result keys

* plan: every target object is read once; each edit is either reached already (nothing to do),
  stale (the live value is neither what the diagnosis saw nor the wanted one: refused, since the
  finding was about another state) or pending. All objects are planned before anything is written,
  so a stale or unreadable object stops the run with nothing applied.
* backup: the live YAML of every object about to change, and the manifest (backup.py), before the
  first write. Check mode writes nothing.
* apply: one JSON patch per object, led by `replace /metadata/resourceVersion` with the value
  read while planning: kube-apiserver answers 409 Conflict when another writer changed the object
  in between, and the patch is atomic per object. The first failure (409, 403, invalid) stops the
  run: that object keeps its state, later objects are not attempted, earlier ones stay applied and
  are listed (with their backups) for `rollback`.
* verify: every applied object is re-read and each edit checked; `findings` re-diagnoses and says
  for every (code, object) the change was meant to resolve whether the finding is gone.
* changed: true only when an object was (or in check mode would be) written.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import ABSENT
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import ApiError, KubeClientError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.writes import KubeWriter
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import backup
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import (
    ANY,
    REMOVE,
    Edit,
    PlanError,
    Target,
    applied,
    lookup,
    patch_operations,
    reached,
)

try:
    import yaml

    HAS_YAML = True
except ImportError:  # diffs fall back on JSON
    HAS_YAML = False

# Fields a diff or a comparison never shows: the server's bookkeeping.
SERVER_FIELDS = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")


class RemediationFailed(Exception):
    """A write failed after planning; `result` is the module result so far (what was applied)."""

    def __init__(self, message: str, result: Dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class Change:
    target: Target
    before: Optional[Dict[str, Any]]
    operations: List[Dict[str, Any]] = field(default_factory=list)
    after: Optional[Dict[str, Any]] = None
    status: str = "pending"  # unchanged | pending | would_change | applied | failed | not_attempted
    message: str = ""
    warnings: List[str] = field(default_factory=list)
    backup: Optional[str] = None

    @property
    def ref(self) -> ObjectRef:
        return self.target.ref

    @property
    def writes(self) -> bool:
        return bool(self.operations) or (self.target.create is not None and self.before is None)

    def as_dict(self) -> Dict[str, Any]:
        edits = []
        for edit in self.target.edits:
            if edit.reason == "guard":
                continue
            item = edit.as_dict()
            current = lookup(self.before, edit.pointer) if self.before is not None else ABSENT
            item["before"] = None if current is ABSENT else current
            item["changes"] = self.before is not None and not reached(self.before, edit)
            edits.append(item)
        out: Dict[str, Any] = {
            "object": self.ref.as_dict(),
            "status": self.status,
            "edits": edits,
            "resolves": [{"code": c, "object": r.as_dict()} for c, r in self.target.resolves],
        }
        if self.target.create is not None:
            out["create"] = self.target.create
        for name in ("message", "backup"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.target.notes:
            out["notes"] = list(self.target.notes)
        return out


def clean(obj: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The object without status and server bookkeeping: what diffs show and rollback compares."""
    if obj is None:
        return {}
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in SERVER_FIELDS:
        meta.pop(key, None)
    return out


def shown(obj: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """`clean(obj)` as a person may see it: a Secret's values (private keys among them) replaced by
    their SHA-256, so a diff still shows which key changed and never what it holds."""
    out = clean(obj)
    if out.get("kind") == "Secret":
        for section in ("data", "stringData"):
            values = out.get(section)
            if isinstance(values, dict):
                out[section] = {
                    key: "<not shown: sha256 %s>" % hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:16]
                    for key, value in values.items()
                }
    return out


def _subset(want: Any, have: Any) -> bool:
    """`want` is contained in `have` (maps by key, lists item by item): a created object matches
    its manifest although the server defaulted fields."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _subset(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(_subset(a, b) for a, b in zip(want, have))
    return bool(want == have)


def _describe_stale(ref: ObjectRef, edit: Edit, current: Any) -> str:
    seen = "absent" if edit.expect is ABSENT else repr(edit.expect)
    now = "absent" if current is ABSENT else repr(current)
    return (
        "%s changed since the diagnosis: %s is %s, the diagnosis saw %s. Nothing was changed; "
        "re-run the diagnosis and remediate from its findings." % (ref.text(), edit.pointer, now, seen)
    )


def describe_api_error(ref: ObjectRef, exc: ApiError, verb: str = "patch") -> str:
    if exc.status == 409:
        return (
            "%s was modified by another writer after it was read (409 Conflict: %s). It was left as it is; "
            "re-run to plan against its current state." % (ref.text(), exc.message)
        )
    if exc.status == 403:
        return "Not allowed to %s %s (403 Forbidden: %s). Grant the identity %s on it." % (
            verb,
            ref.text(),
            exc.message,
            verb,
        )
    return "Cannot %s %s (%s %s: %s)" % (verb, ref.text(), exc.status, exc.reason, exc.message)


class Remediation(object):
    def __init__(
        self,
        writer: KubeWriter,
        module: str,
        backup_dir: Optional[str] = None,
        check_mode: bool = False,
        now: Optional[float] = None,
    ) -> None:
        self.writer = writer
        self.module = module
        self.backup_dir = backup_dir
        self.check_mode = check_mode
        self.now = now

    # ---- plan ----------------------------------------------------------------------------------

    def plan(self, targets: Sequence[Target]) -> List[Change]:
        """Read and plan every target; PlanError (nothing written) when any cannot be applied."""
        changes: List[Change] = []
        problems: List[str] = []
        for target in targets:
            try:
                live = self.writer.read(target.ref)
            except ApiError as exc:
                problems.append(describe_api_error(target.ref, exc, "read"))
                continue
            change = Change(target, live)
            if target.create is not None:
                if live is not None and not _subset(target.create, live):
                    problems.append(
                        "%s exists and differs from the manifest to create; it was left as it is." % target.ref.text()
                    )
                change.after = copy.deepcopy(target.create) if live is None else live
            elif live is None:
                problems.append("%s does not exist." % target.ref.text())
                continue
            else:
                for edit in target.edits:
                    current = lookup(live, edit.pointer)
                    if reached(live, edit) or edit.expect is ANY:
                        continue
                    if not (current is ABSENT and edit.expect is ABSENT) and current != edit.expect:
                        problems.append(_describe_stale(target.ref, edit, current))
                change.operations = patch_operations(live, target.edits)
                change.after = applied(live, change.operations)
            change.status = "would_change" if change.writes else "unchanged"
            changes.append(change)
        if problems:
            raise PlanError(" ".join(problems))
        return changes

    # ---- backup, apply ---------------------------------------------------------------------------

    def _backup(self, changes: List[Change]) -> List[Dict[str, Any]]:
        pending = [c for c in changes if c.writes]
        if not pending or self.check_mode or not self.backup_dir:
            return []
        items = [
            {
                "ref": c.ref,
                "before": c.before,
                "pointers": [e.pointer for e in c.target.edits if e.reason != "guard"],
                "api_version": (c.before or c.target.create or {}).get("apiVersion"),
            }
            for c in pending
        ]
        try:
            entries = backup.write_objects(self.backup_dir, items, self.module, now=self.now)
        except backup.BackupError as exc:
            raise PlanError("%s Nothing was changed." % exc) from None
        for change, entry in zip(pending, entries):
            change.backup = entry["file"]
        return entries

    def _write(self, change: Change) -> Dict[str, Any]:
        if change.target.create is not None:
            return self.writer.create(change.target.create)
        rv = ((change.before or {}).get("metadata") or {}).get("resourceVersion")
        ops = [{"op": "replace", "path": "/metadata/resourceVersion", "value": rv}] + change.operations
        return self.writer.json_patch(change.ref, ops)

    def apply(self, changes: List[Change]) -> Tuple[List[Dict[str, Any]], Optional[str]]:
        """(backup entries, failure message or None)."""
        entries = self._backup(changes)
        if self.check_mode:
            return entries, None
        by_ref = {json_key(e["object"]): e for e in entries}
        failure = None
        for change in changes:
            if not change.writes:
                continue
            if failure is not None:
                change.status = "not_attempted"
                continue
            try:
                result = self._write(change)
            except ApiError as exc:
                change.status = "failed"
                change.message = describe_api_error(change.ref, exc, "create" if change.target.create else "patch")
                failure = change.message
                continue
            except KubeClientError as exc:
                change.status = "failed"
                change.message = str(exc)
                failure = change.message
                continue
            change.status = "applied"
            change.after = result
            entry = by_ref.get(json_key(change.ref.as_dict()))
            if entry is not None:
                entry["resource_version_after"] = (result.get("metadata") or {}).get("resourceVersion")
        if entries and self.backup_dir:
            backup.record_after(self.backup_dir, entries)
        return entries, failure

    # ---- verify ----------------------------------------------------------------------------------

    def verify_objects(self, changes: List[Change]) -> List[Dict[str, Any]]:
        out = []
        for change in changes:
            if change.status != "applied":
                continue
            live = self.writer.read(change.ref)
            if change.target.create is not None:
                ok = live is not None and _subset(change.target.create, live)
                out.append({"object": change.ref.as_dict(), "ok": ok, "checked": ["created"]})
                continue
            missed = [e.pointer for e in change.target.edits if live is None or not reached(live, e)]
            out.append(
                {
                    "object": change.ref.as_dict(),
                    "ok": not missed,
                    "checked": [e.pointer for e in change.target.edits if e.reason != "guard"],
                    "missed": missed,
                }
            )
        return out

    @staticmethod
    def verify_findings(changes: List[Change], findings: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """For each (code, object) an applied change was meant to resolve: is the finding gone?"""
        present = set()
        for finding in findings:  # a report's finding names its object by kind, namespace, name
            present.add((finding.get("code"), finding.get("kind"), finding.get("namespace") or "", finding.get("name")))
        out = []
        for change in changes:
            if change.status not in ("applied", "unchanged"):
                continue
            for code, ref in change.target.resolves:
                gone = (code, ref.kind, ref.namespace, ref.name) not in present
                out.append({"code": code, "object": ref.as_dict(), "gone": gone})
        return out

    # ---- the whole lifecycle ---------------------------------------------------------------------

    def run(
        self,
        changes: List[Change],
        rediagnose: Optional[Callable[[], List[Dict[str, Any]]]] = None,
        extra: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        """Backup, apply, verify; the module result. RemediationFailed carries it on a failed write."""
        entries, failure = self.apply(changes)
        result = self.result(changes, entries)
        if extra:
            result.update(extra)
        if failure is not None:
            result["msg"] = failure
            raise RemediationFailed(failure, result)
        if not self.check_mode and any(c.status == "applied" for c in changes):
            objects = self.verify_objects(changes)
            verification: Dict[str, Any] = {"objects": objects, "findings": [], "ok": all(o["ok"] for o in objects)}
            if rediagnose is not None:
                verification["findings"] = self.verify_findings(changes, rediagnose())
                verification["ok"] = verification["ok"] and all(f["gone"] for f in verification["findings"])
            result["verification"] = verification
        return result

    def result(self, changes: List[Change], entries: List[Dict[str, Any]]) -> Dict[str, Any]:
        written = [c for c in changes if c.status in ("applied", "would_change")]
        files = [e["file"] for e in entries if e.get("file")]
        return {
            "changed": bool(written),
            "plan": [c.as_dict() for c in changes],
            "changed_objects": [c.ref.as_dict() for c in written],
            "backups": {
                "dir": self.backup_dir if entries else None,
                "files": files,
                "manifest": backup.MANIFEST if entries else None,
            },
            "verification": {"objects": [], "findings": [], "ok": None},
            "diff": [diff_of(c) for c in changes if c.writes],
        }


def json_key(obj: Dict[str, Any]) -> Tuple[str, str, str]:
    return (obj.get("kind") or "", obj.get("namespace") or "", obj.get("name") or "")


def dump_yaml(obj: Dict[str, Any]) -> str:
    if not obj:
        return ""
    if HAS_YAML:
        return str(yaml.safe_dump(obj, default_flow_style=False, sort_keys=True))
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def diff_of(change: Change) -> Dict[str, Any]:
    """Ansible's diff of one object (YAML of the object without status and bookkeeping)."""
    return {
        "before_header": change.ref.text(),
        "after_header": change.ref.text(),
        "before": dump_yaml(shown(change.before)),
        "after": dump_yaml(shown(change.after)),
    }


__all__ = ["REMOVE", "Change", "PlanError", "Remediation", "RemediationFailed", "clean", "describe_api_error", "shown"]
