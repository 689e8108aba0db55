# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edits: one field of one object brought to a value (or removed), with what the diagnosis saw.

Both sources of change end here: a finding's typed plan (core/plan.py, as the Plan or its
serialised `as_dict()` form a report carries) and a module's declared desired state. An edit is
a JSON pointer, the value wanted (REMOVE deletes the field) and optionally `expect`, the value the
diagnosis judged (ABSENT: the field was missing; ANY: no expectation, the resourceVersion read
just before the write is the only precondition).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import ABSENT, Operation, Plan
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.writes import escape_pointer, split_pointer


class _Marker(object):
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


REMOVE: Any = _Marker("REMOVE")
ANY: Any = _Marker("ANY")

# Plan operations compiled to field edits here; the others (restart, resync_ca, rotate_cert,
# delete_pods, delete) belong to the modules that execute them and are reported as not handled.
FIELD_OPS = ("set_label", "remove_label", "set_annotation", "remove_annotation", "json_patch", "scale")


class PlanError(ValueError):
    """A plan or desired state that cannot be executed as it stands; the message names the object."""


@dataclass
class Edit:
    pointer: str
    value: Any
    expect: Any = ANY
    reason: str = ""
    code: str = ""

    def as_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"pointer": self.pointer, "remove": self.value is REMOVE}
        out["value"] = None if self.value is REMOVE else self.value
        if self.expect is not ANY:
            out["expect"] = None if self.expect is ABSENT else self.expect
            out["expect_absent"] = self.expect is ABSENT
        if self.reason:
            out["reason"] = self.reason
        if self.code:
            out["code"] = self.code
        return out


@dataclass
class Target:
    """What should change on one object: its edits, or a manifest to create; `resolves` are the
    (code, object) findings the change should make disappear."""

    ref: ObjectRef
    edits: List[Edit] = field(default_factory=list)
    create: Optional[Dict[str, Any]] = None
    resolves: List[Tuple[str, ObjectRef]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


def metadata_pointer(kind: str, key: str, scope: str = "metadata") -> str:
    section = "labels" if kind.endswith("label") else "annotations"
    base = "/spec/template/metadata" if scope == "template" else "/metadata"
    return "%s/%s/%s" % (base, section, escape_pointer(key))


def lookup(obj: Any, pointer: str) -> Any:
    """The value at `pointer`, or ABSENT."""
    node = obj
    for token in split_pointer(pointer):
        if isinstance(node, dict):
            if token not in node:
                return ABSENT
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                return ABSENT
            node = node[int(token)]
        else:
            return ABSENT
    return node


def reached(obj: Any, edit: Edit) -> bool:
    current = lookup(obj, edit.pointer)
    if edit.value is REMOVE:
        return current is ABSENT
    return current is not ABSENT and current == edit.value


def patch_operations(obj: Dict[str, Any], edits: Sequence[Edit]) -> List[Dict[str, Any]]:
    """RFC 6902 operations taking `obj` to the edits (missing parent maps are added first)."""
    work = copy.deepcopy(obj)
    out: List[Dict[str, Any]] = []
    for edit in edits:
        if reached(work, edit):
            continue
        tokens = split_pointer(edit.pointer)
        if edit.value is REMOVE:
            ops: List[Dict[str, Any]] = [{"op": "remove", "path": edit.pointer}]
        else:
            ops = []
            for depth in range(1, len(tokens)):
                parent = "/" + "/".join(escape_pointer(t) for t in tokens[:depth])
                if lookup(work, parent) is ABSENT:
                    ops.append({"op": "add", "path": parent, "value": {}})
            verb = "add" if lookup(work, edit.pointer) is ABSENT else "replace"
            ops.append({"op": verb, "path": edit.pointer, "value": copy.deepcopy(edit.value)})
        for op in ops:
            apply_operation(work, op)
        out.extend(ops)
    return out


def apply_operation(obj: Dict[str, Any], op: Dict[str, Any]) -> None:
    tokens = split_pointer(op["path"])
    node: Any = obj
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    last = tokens[-1]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op["op"] == "remove":
            del node[index]
        elif op["op"] == "add":
            node.insert(index, copy.deepcopy(op["value"]))
        else:
            node[index] = copy.deepcopy(op["value"])
    elif op["op"] == "remove":
        node.pop(last, None)
    else:
        node[last] = copy.deepcopy(op["value"])


def applied(obj: Dict[str, Any], operations: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    out = copy.deepcopy(obj)
    for op in operations:
        apply_operation(out, op)
    return out


# ---- plans → targets --------------------------------------------------------------------------


def _operation(data: Any) -> Operation:
    if isinstance(data, Operation):
        return data
    target = ObjectRef.from_dict(data.get("target") or {})
    expect = ABSENT if data.get("expect_absent") else data.get("expect", ABSENT)
    kwargs: Dict[str, Any] = {}
    for name in ("key", "value", "scope", "path", "why", "text", "command"):
        if name in data and data[name] is not None:
            kwargs[name] = data[name]
    kwargs["guards"] = tuple(tuple(g) for g in data.get("guards") or ())
    if data.get("manifest") is not None:
        kwargs["manifest"] = data["manifest"]
    try:
        return Operation(str(data.get("op")), target, expect=expect, **kwargs)
    except (TypeError, ValueError) as exc:
        raise PlanError("plan operation on %s: %s" % (target.text(), exc)) from None


def edits_of(op: Operation, code: str = "") -> List[Edit]:
    """The field edits of one plan operation (PlanError for an operation this engine cannot run)."""
    why = op.why or ""
    if op.op in ("set_label", "set_annotation"):
        return [Edit(metadata_pointer(op.op, op.key, op.scope), op.value, op.expect, why, code)]
    if op.op in ("remove_label", "remove_annotation"):
        return [Edit(metadata_pointer(op.op, op.key, op.scope), REMOVE, op.expect, why, code)]
    if op.op == "json_patch":
        guards = [Edit(path, value, value, "guard", code) for path, value in op.guards]
        value = REMOVE if op.value is None else op.value
        return guards + [Edit(op.path, value, op.expect, why, code)]
    if op.op == "scale":
        return [Edit("/spec/replicas", op.value, op.expect, why, code)]
    raise PlanError("%s: the %s operation is not a field edit" % (op.target.text(), op.op))


def targets_from_plans(
    plans: Sequence[Tuple[str, Any]], handled: Sequence[str] = FIELD_OPS + ("create",)
) -> Tuple[List[Target], List[Dict[str, Any]]]:
    """(targets, skipped): the executable operations of (code, plan) pairs grouped by object, and
    one entry for every operation left to a person or another module."""
    targets: Dict[ObjectRef, Target] = {}
    skipped: List[Dict[str, Any]] = []
    for code, plan in plans:
        data = plan.as_dict() if isinstance(plan, Plan) else plan
        if not isinstance(data, dict):
            raise PlanError("finding %s: its plan is not a mapping" % code)
        for raw in data.get("operations") or []:
            op = _operation(raw)
            if op.op not in handled or not op.mutates:
                skipped.append({"code": code, "op": op.op, "target": op.target.as_dict(), "why": op.why or op.text})
                continue
            if op.op == "create":
                manifest = op.manifest or {}
                ref = ObjectRef.from_dict(dict(manifest.get("metadata") or {}, kind=manifest.get("kind")))
                target = targets.setdefault(ref, Target(ref))
                target.create = manifest
            else:
                target = targets.setdefault(op.target, Target(op.target))
                target.edits.extend(edits_of(op, code))
            finding_ref = ObjectRef.from_dict(data.get("target") or {})
            if (code, finding_ref) not in target.resolves:
                target.resolves.append((code, finding_ref))
    return list(targets.values()), skipped


def merge_targets(first: List[Target], second: List[Target]) -> List[Target]:
    """One target per object; two sources wanting different values for one field is a PlanError."""
    out: Dict[ObjectRef, Target] = {}
    for target in first + second:
        have = out.get(target.ref)
        if have is None:
            out[target.ref] = Target(
                target.ref, list(target.edits), target.create, list(target.resolves), list(target.notes)
            )
            continue
        wanted = {e.pointer: e.value for e in have.edits}
        for edit in target.edits:
            if edit.pointer in wanted and wanted[edit.pointer] != edit.value:
                raise PlanError(
                    "%s: the declared state and finding %s want different values for %s"
                    % (target.ref.text(), edit.code or "?", edit.pointer)
                )
            if edit.pointer not in wanted:
                have.edits.append(edit)
        have.resolves.extend(r for r in target.resolves if r not in have.resolves)
    return list(out.values())
