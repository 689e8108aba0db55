# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check contract: what every rule sees, what it declares, and how the engine runs them.

A rule is a small pure function `check(ctx) -> iterable of Finding`, declared with `@rule(...)`:
the codes it may emit (checked against the catalogue at import), the snapshot kinds it `needs` and
the capabilities it `requires` (a library present, the server version known, the probe run), and
the inputs it only `uses` to sharpen its answer. The engine skips a rule whose needed or required
inputs are missing instead of letting it guess, runs one that lacks only used inputs as
"narrowed" (the report says so), and everything about
coverage is derived from these declarations: the gap warnings, SI801/SI803/SI804, the skipped-check
list and the "implemented by" lines of docs/findings.md. Rules never do I/O and never mutate the
context; what several rules derive from the same inputs is memoised on the context (`ctx.memo`),
so two diagnoses in one process share nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Tuple, TypeVar

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import x509
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import entry
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import RESOURCES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import Verdict
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import MeshModel
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

# Capabilities a check may require besides snapshot kinds: {name: what it means, for messages}.
CAPABILITIES = {
    "cryptography": "the Python library cryptography (x509 parsing) is importable",
    "version": "the Kubernetes server version is known (GET /version, or version.json offline)",
    "probe": "the dry-run injection probe ran (injection_probe, or the diagnose role's diagnose_probe: true)",
}
# Inputs a user cannot have simply forgotten: a run without them is narrowed, and says so at warning.
REQUIRED_CAPABILITIES = frozenset(("cryptography",))


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


T = TypeVar("T")


def available_capabilities(view: SnapshotView, probe_ran: bool = False) -> FrozenSet[str]:
    """The capabilities this run has."""
    have = set()
    if x509.HAS_CRYPTOGRAPHY:
        have.add("cryptography")
    if view.raw.get("version"):
        have.add("version")
    if probe_ran:
        have.add("probe")
    return frozenset(have)


@dataclass
class RuleContext:
    """Everything a rule may read. Built once per diagnosis; rules treat it as read-only."""

    view: SnapshotView
    model: MeshModel
    verdicts: List[Verdict]  # pods first, then workload templates
    options: Options
    capabilities: FrozenSet[str] = frozenset()
    # the dry-run probe's results (probe/run.py entries), when it ran; the `probe` capability says so
    probe: List[Dict[str, Any]] = field(default_factory=list)
    _memo: Dict[str, Any] = field(default_factory=dict, repr=False)

    def memo(self, key: str, build: Callable[["RuleContext"], T]) -> T:
        """`build(ctx)` once per diagnosis for `key` (indexes several rules share)."""
        if key not in self._memo:
            self._memo[key] = build(self)
        return self._memo[key]


CheckFunction = Callable[[RuleContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    name: str
    module: str  # the file below plugins/module_utils that implements it, e.g. "rules/selection.py"
    codes: Tuple[str, ...]
    needs: Tuple[str, ...]  # snapshot kinds (core.schema.RESOURCES keys): without one the rule is skipped
    requires: Tuple[str, ...]  # CAPABILITIES: without one the rule is skipped
    uses: Tuple[str, ...]  # kinds or capabilities that sharpen it: without one it runs narrowed
    check: CheckFunction
    doc: str

    @property
    def inputs(self) -> Tuple[str, ...]:
        """What the rule cannot run without."""
        return self.needs + self.requires

    @property
    def implemented_by(self) -> str:
        return "%s:%s" % (self.module, self.name)

    def missing(self, view: SnapshotView, capabilities: FrozenSet[str]) -> List[str]:
        """The inputs this rule needs that this run does not have."""
        return [r for r in self.needs if not view.has(r)] + [c for c in self.requires if c not in capabilities]

    def lacking(self, view: SnapshotView, capabilities: FrozenSet[str]) -> List[str]:
        """The inputs this rule only uses that this run does not have (it runs, narrowed)."""
        return [u for u in self.uses if not (view.has(u) if u in RESOURCES else u in capabilities)]


def rule(
    codes: Iterable[str], needs: Iterable[str] = (), requires: Iterable[str] = (), uses: Iterable[str] = ()
) -> Callable[[CheckFunction], Rule]:
    """Declare a rule. Unknown codes, kinds or capabilities fail at import, not in a user's run."""
    code_list = tuple(codes)
    need_list = tuple(needs)
    require_list = tuple(requires)
    use_list = tuple(u for u in uses if u not in need_list and u not in require_list)
    for code in code_list:
        entry(code)
    for resource in need_list:
        if resource not in RESOURCES:
            raise KeyError("rule needs unknown resource %r" % resource)
    for capability in require_list:
        if capability not in CAPABILITIES:
            raise KeyError("rule requires unknown capability %r" % capability)
    for used in use_list:
        if used not in RESOURCES and used not in CAPABILITIES:
            raise KeyError("rule uses unknown resource or capability %r" % used)

    def wrap(func: CheckFunction) -> Rule:
        module = func.__module__.rsplit(".module_utils.", 1)[-1].replace(".", "/") + ".py"
        return Rule(
            name=func.__name__,
            module=module,
            codes=code_list,
            needs=need_list,
            requires=require_list,
            uses=use_list,
            check=func,
            doc=(func.__doc__ or "").strip(),
        )

    return wrap


@dataclass
class RunResult:
    findings: List[Finding]
    skipped: List[Dict[str, Any]]  # {rule, codes, missing}: did not run
    narrowed: List[Dict[str, Any]]  # {rule, codes, missing}: ran without some inputs it uses
    run: int  # rules that ran (narrowed included)


def run_rules(rules: Iterable[Rule], ctx: RuleContext) -> RunResult:
    """Run every rule whose needed inputs are present."""
    findings: List[Finding] = []
    skipped: List[Dict[str, Any]] = []
    narrowed: List[Dict[str, Any]] = []
    run = 0
    for item in rules:
        missing = item.missing(ctx.view, ctx.capabilities)
        if missing:
            skipped.append({"rule": item.name, "codes": list(item.codes), "missing": missing})
            continue
        lacking = item.lacking(ctx.view, ctx.capabilities)
        if lacking:
            narrowed.append({"rule": item.name, "codes": list(item.codes), "missing": lacking})
        run += 1
        for finding in item.check(ctx):
            if finding.code not in item.codes:
                raise ValueError("rule %s emitted %s, which it does not declare" % (item.name, finding.code))
            findings.append(finding)
    return RunResult(findings=findings, skipped=skipped, narrowed=narrowed, run=run)
