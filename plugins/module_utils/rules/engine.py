# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every rule sees and how rules are declared.

A rule is a small pure function `check(ctx) -> iterable of Finding`, declared with `@rule(...)`:
the codes it may emit (checked against the catalogue at import) and the snapshot resources it
needs. The engine skips a rule whose resources were not read (403 or absent from an offline
snapshot) instead of letting it guess; the coverage rules turn those gaps into SI801/SI803 naming
the skipped checks. Rules never do I/O and never mutate the context.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import entry
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import RESOURCES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView


@dataclass
class Options:
    """User-facing knobs of the diagnosis (module options of injection_diagnose)."""

    # [{"name": "shop", "mesh": "istio", "revision": "1-22"}]: namespaces meant to be meshed (SI101 intent)
    desired_namespaces: List[Dict[str, Any]] = field(default_factory=list)
    cert_warning_days: int = 60
    webhook_timeout_floor: int = 5
    now: Optional[datetime.datetime] = None

    def current_time(self) -> datetime.datetime:
        return self.now or datetime.datetime.now(datetime.timezone.utc)


@dataclass
class RuleContext:
    view: SnapshotView
    model: Any  # mesh_model.MeshModel
    verdicts: List[Any]  # verdicts.Verdict, pods first, then workload templates
    options: Options


@dataclass(frozen=True)
class Rule:
    name: str
    codes: Tuple[str, ...]
    needs: Tuple[str, ...]
    check: Callable[[RuleContext], Iterable[Finding]]
    doc: str

    def missing(self, view: SnapshotView) -> List[str]:
        """The resources this rule needs that the snapshot does not have."""
        return [r for r in self.needs if not view.has(r)]


CheckFunction = Callable[[RuleContext], Iterable[Finding]]


def rule(codes: Iterable[str], needs: Iterable[str] = ()) -> Callable[[CheckFunction], Rule]:
    """Declare a rule. Unknown codes or resources fail at import, not in a user's run."""
    code_list = tuple(codes)
    need_list = tuple(needs)
    for code in code_list:
        entry(code)
    for resource in need_list:
        if resource not in RESOURCES:
            raise KeyError("rule needs unknown resource %r" % resource)

    def wrap(func: CheckFunction) -> Rule:
        return Rule(name=func.__name__, codes=code_list, needs=need_list, check=func, doc=(func.__doc__ or "").strip())

    return wrap


def run_rules(rules: Iterable[Rule], ctx: RuleContext) -> Tuple[List[Finding], List[Dict[str, Any]]]:
    """Run every rule whose inputs are present. Returns (findings, skipped) where skipped lists
    {rule, codes, missing} for the coverage rules."""
    findings: List[Finding] = []
    skipped: List[Dict[str, Any]] = []
    for item in rules:
        missing = item.missing(ctx.view)
        if missing:
            skipped.append({"rule": item.name, "codes": list(item.codes), "missing": missing})
            continue
        for finding in item.check(ctx):
            if finding.code not in item.codes:
                raise ValueError("rule %s emitted %s, which it does not declare" % (item.name, finding.code))
            findings.append(finding)
    return findings, skipped
