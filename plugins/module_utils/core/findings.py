# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings: what a rule reports, in the shape the report, the remediation roles and the tests share.

A finding always carries a catalogue code. Severity, slug and action default to the catalogue's;
a rule may change the severity (e.g. SI101 at info when the intent to mesh is unknown) but never
invents codes. Evidence items name the object and the exact field (or event) that proves the
finding, so a person can check it with kubectl and a test can assert it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import kubectl
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import (
    entry,
    severity_rank,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import Plan
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref

DOCS_PAGE = "docs/findings.md"


def evidence(obj, path, value):
    """One piece of evidence: `obj` is "Kind name" or "Kind namespace/name", `path` the field
    (e.g. "metadata.labels", "spec.hostNetwork", "event FailedCreate message"), `value` what it holds."""
    return {"object": obj, "field": path, "value": value}


def object_ref(kind, namespace, name):
    """The "Kind [namespace/]name" string used in evidence and messages (istioctl's format)."""
    return "%s %s/%s" % (kind, namespace, name) if namespace else "%s %s" % (kind, name)


@dataclass
class Finding:
    """One problem, about one object (`kind`/`namespace`/`name`; empty for the cluster).

    `affects`: the namespaces and workloads the finding is about or blocks (a webhook finding lists
    the workloads whose next pod it decides); derived from the object when the rule gives none.
    `plan`: the fix as data (core/plan.py); its kubectl steps are rendered, never hand-written.
    `root_cause_of`: the workloads whose next pod this finding is the first to block.
    """

    code: str
    message: str
    kind: str = ""
    namespace: str = ""
    name: str = ""
    mesh: str = ""
    severity: str = ""
    evidence: List[Dict[str, Any]] = field(default_factory=list)
    action: str = ""
    affects: List[ObjectRef] = field(default_factory=list)
    plan: Optional[Plan] = None
    # the workloads whose next pod this finding blocks first (rules/answers.py): it is their root cause
    root_cause_of: List[ObjectRef] = field(default_factory=list)

    def __post_init__(self) -> None:
        spec = entry(self.code)
        if not self.severity:
            self.severity = spec["severity"]
        severity_rank(self.severity)  # rejects typos early, in the rule that made them
        if not self.action:
            self.action = spec["action"]
        if not self.mesh:
            self.mesh = spec["mesh"]
        if self.plan is not None and self.plan.action not in (self.action, "manual"):
            raise ValueError("%s: plan action %s is not the finding's %s" % (self.code, self.plan.action, self.action))
        if not self.affects:
            self.affects = default_affects(self.kind, self.namespace, self.name)

    @property
    def slug(self) -> str:
        return str(entry(self.code)["slug"])

    @property
    def docs(self) -> str:
        """Where docs/findings.md explains the code (its heading anchor)."""
        return "%s#%s" % (DOCS_PAGE, self.code.lower())

    @property
    def ref(self) -> Optional[ObjectRef]:
        return ObjectRef(self.kind, self.name, self.namespace) if self.kind else None

    def rendered_steps(self) -> List[str]:
        """What a person runs: the plan rendered into shell steps (core/kubectl.py), the only source."""
        return kubectl.render(self.plan) if self.plan is not None else []

    def key(self) -> tuple:
        """Identity used to de-duplicate and sort: one finding per code and object and message."""
        return (self.code, self.kind, self.namespace, self.name, self.message)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "code": self.code,
            "slug": self.slug,
            "severity": self.severity,
            "mesh": self.mesh,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "message": self.message,
            "evidence": list(self.evidence),
            "affects": [ref.as_dict() for ref in self.affects],
            "remediation": {"action": self.action, "steps": self.rendered_steps()},
            "plan": self.plan.as_dict() if self.plan is not None else None,
            "root_cause_of": [ref.as_dict() for ref in self.root_cause_of],
            "docs": self.docs,
        }


def default_affects(kind: str, namespace: str, name: str) -> List[ObjectRef]:
    """A namespaced object affects itself and its namespace; a namespace affects itself."""
    if kind == "Namespace":
        return [namespace_ref(name)]
    if namespace:
        return [ObjectRef(kind, name, namespace), namespace_ref(namespace)]
    return []


def at_least(findings: Iterable[Finding], min_severity: str) -> List[Finding]:
    """Findings whose severity is `min_severity` or worse."""
    floor = severity_rank(min_severity)
    return [f for f in findings if severity_rank(f.severity) >= floor]


def ordered(findings: Iterable[Finding]) -> List[Finding]:
    """De-duplicated findings, worst first, then by code and object, so reports are stable."""
    unique: Dict[tuple, Finding] = {}
    for finding in findings:
        unique.setdefault(finding.key(), finding)
    return sorted(unique.values(), key=lambda f: (-severity_rank(f.severity),) + f.key())


def count_by_severity(findings: Iterable[Finding]) -> Dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[finding.severity] += 1
    return counts
