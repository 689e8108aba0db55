# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Suppressions, as `istioctl analyze --suppress` and its `galley.istio.io/analyze-suppress`
annotation offer them.

Two sources:

- the `suppress` option, a list of entries: `CODE`, `CODE=Kind name` (cluster-scoped objects, or
  any namespace), `CODE=Kind namespace/name`; CODE, namespace and name may be shell globs (`SI10*`,
  `shop/*`), Kind is matched without regard to case (`deployment` = `Deployment`);
- the annotation `sidecar-injection.meshops.io/suppress` on the object a finding is about, holding
  comma-separated codes or globs (`"SI604,SI10*"`).

A suppressed finding is never dropped silently: it leaves `findings` (so it counts toward neither
the severities nor `fail_on`) and is listed in the report's `suppressed` list with what suppressed
it, and counted in `summary.suppressed`.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import KIND_TO_RESOURCE
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

ANNOTATION = "sidecar-injection.meshops.io/suppress"
_CODE = re.compile(r"^[A-Za-z0-9*?\[\]]+$")


class SuppressError(ValueError):
    """A `suppress` entry that cannot be parsed; the message names the option and the entry."""


@dataclass(frozen=True)
class Suppression:
    code: str  # glob over the code
    kind: str = ""  # "" = any object
    namespace: Optional[str] = None  # None = any namespace (the `CODE=Kind name` form)
    name: str = "*"
    text: str = ""  # the entry as the user wrote it

    def matches(self, finding: Any) -> bool:
        if not fnmatch.fnmatchcase(finding.code, self.code.upper()):
            return False
        if not self.kind:
            return True
        if (finding.kind or "") != self.kind:
            return False
        if self.namespace is not None and not fnmatch.fnmatchcase(finding.namespace or "", self.namespace):
            return False
        return fnmatch.fnmatchcase(finding.name or "", self.name)


def parse(entries: Optional[Sequence[Any]], option: str = "suppress") -> List[Suppression]:
    """The option's entries, or SuppressError naming the option and the first bad entry."""
    out: List[Suppression] = []
    for index, raw in enumerate(entries or []):
        if not isinstance(raw, str) or not raw.strip():
            raise SuppressError(
                "%s[%d]: expected a string CODE, CODE=Kind name or CODE=Kind namespace/name, got %r"
                % (option, index, raw)
            )
        text = raw.strip()
        code, sep, target = text.partition("=")
        code = code.strip()
        if not _CODE.match(code):
            raise SuppressError(
                "%s[%d] %r: %r is not a finding code or a glob over codes (e.g. SI604, SI10*)"
                % (option, index, text, code)
            )
        if not sep:
            out.append(Suppression(code=code, text=text))
            continue
        parts = target.split()
        if len(parts) != 2:
            raise SuppressError(
                "%s[%d] %r: after '=' expected 'Kind name' or 'Kind namespace/name' (e.g. SI604=Deployment shop/cart)"
                % (option, index, text)
            )
        given, ref = parts
        kinds = {k.lower(): k for k in KIND_TO_RESOURCE}
        kind = kinds.get(given.lower(), "")
        if not kind:
            raise SuppressError(
                "%s[%d] %r: unknown kind %r (one of %s)"
                % (option, index, text, given, ", ".join(sorted(KIND_TO_RESOURCE)))
            )
        namespace: Optional[str] = None
        name = ref
        if "/" in ref:
            namespace, _sep, name = ref.partition("/")
            if not namespace or not name or "/" in name:
                raise SuppressError("%s[%d] %r: %r is not namespace/name" % (option, index, text, ref))
        out.append(Suppression(code=code, kind=kind, namespace=namespace, name=name, text=text))
    return out


def _annotated_codes(view: SnapshotView, finding: Any) -> Tuple[List[str], str]:
    """(codes/globs, "Kind ns/name") from the annotation on the finding's own object."""
    kind = finding.kind or ""
    resource = KIND_TO_RESOURCE.get(kind)
    if not resource or not finding.name or not view.has(resource):
        return [], ""
    obj = view.get(resource, finding.namespace or "", finding.name)
    if obj is None:
        return [], ""
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if not isinstance(value, str):
        return [], ""
    where = (
        "%s %s/%s" % (kind, finding.namespace, finding.name) if finding.namespace else "%s %s" % (kind, finding.name)
    )
    return [c.strip() for c in value.split(",") if c.strip()], where


def apply(
    findings: Sequence[Any], rules: Sequence[Suppression], view: SnapshotView
) -> Tuple[List[Any], List[Dict[str, Any]]]:
    """(kept findings, suppressed entries). Each entry is the finding's dict plus `suppressed_by`:
    {"source": "option", "rule": entry} or {"source": "annotation", "rule": code glob, "object": ...}."""
    kept: List[Any] = []
    suppressed: List[Dict[str, Any]] = []
    for finding in findings:
        by: Optional[Dict[str, str]] = None
        for rule in rules:
            if rule.matches(finding):
                by = {"source": "option", "rule": rule.text}
                break
        if by is None:
            codes, where = _annotated_codes(view, finding)
            for glob in codes:
                if fnmatch.fnmatchcase(finding.code, glob.upper()):
                    by = {"source": "annotation", "rule": glob, "object": where, "annotation": ANNOTATION}
                    break
        if by is None:
            kept.append(finding)
            continue
        item = finding.as_dict()
        item["suppressed_by"] = by
        suppressed.append(item)
    return kept, suppressed
