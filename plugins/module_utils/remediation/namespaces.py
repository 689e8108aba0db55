# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The declared injection state of namespaces (`desired_namespaces`) as edits of the keys it owns.

Owned keys, and nothing else on a namespace is touched:
  Istio    labels istio-injection and istio.io/rev (exactly one is kept: istio-injection=enabled wins
           over istio.io/rev, SI102), and istio.io/dataplane-mode=ambient when sidecars are wanted
           (ambient and sidecars at once, SI112)
  Linkerd  the linkerd.io/inject annotation, and a linkerd.io/inject label (the proxy injector reads
           only the annotation, SI104), which is removed

  enabled, no revision   istio-injection=enabled, istio.io/rev removed
  enabled, revision R    istio.io/rev=R (a revision or tag an injector webhook serves: SI103), istio-injection removed
  disabled               istio-injection=disabled, istio.io/rev removed / linkerd.io/inject annotation disabled
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import (
    REMOVE,
    Edit,
    PlanError,
    Target,
    metadata_pointer,
)

INJECTION = "istio-injection"
REV = "istio.io/rev"
DATAPLANE = "istio.io/dataplane-mode"
LINKERD = "linkerd.io/inject"
MESHES = ("istio", "linkerd")
STATES = ("enabled", "disabled")

DESIRED_SPEC: Dict[str, Any] = {
    "type": "list",
    "elements": "dict",
    "default": [],
    "options": {
        "name": {"type": "str"},
        "pattern": {"type": "str"},
        "mesh": {"type": "str", "choices": list(MESHES), "default": "istio"},
        "revision": {"type": "str"},
        "state": {"type": "str", "choices": list(STATES), "default": "enabled"},
    },
}


@dataclass(frozen=True)
class Desired:
    index: int
    name: str
    pattern: str
    mesh: str
    revision: str
    state: str

    def what(self) -> str:
        return "desired_namespaces[%d] (%s)" % (self.index, self.name or "pattern %s" % self.pattern)

    def matches(self, namespace: str) -> bool:
        return namespace == self.name if self.name else fnmatch.fnmatchcase(namespace, self.pattern)

    def as_option(self, namespace: str) -> Dict[str, Any]:
        """The entry the diagnosis' desired_namespaces option takes (SI101 judges against it)."""
        out: Dict[str, Any] = {"name": namespace, "mesh": self.mesh}
        if self.revision:
            out["revision"] = self.revision
        return out


def parse(items: Sequence[Dict[str, Any]]) -> List[Desired]:
    """Validated entries; PlanError naming the entry otherwise."""
    out = []
    for index, item in enumerate(items or []):
        if not isinstance(item, dict):
            raise PlanError("desired_namespaces[%d] must be a mapping, got %r" % (index, item))
        name, pattern = item.get("name") or "", item.get("pattern") or ""
        mesh, state = item.get("mesh") or "istio", item.get("state") or "enabled"
        revision = item.get("revision") or ""
        where = "desired_namespaces[%d]" % index
        if bool(name) == bool(pattern):
            raise PlanError("%s needs exactly one of name or pattern" % where)
        if mesh not in MESHES:
            raise PlanError("%s: mesh must be one of %s, got %r" % (where, ", ".join(MESHES), mesh))
        if state not in STATES:
            raise PlanError("%s: state must be one of %s, got %r" % (where, ", ".join(STATES), state))
        if revision and mesh != "istio":
            raise PlanError("%s: revision applies to Istio only (mesh is %s)" % (where, mesh))
        if revision and state == "disabled":
            raise PlanError("%s: revision has no meaning with state disabled" % where)
        out.append(Desired(index, name, pattern, mesh, revision, state))
    return out


def _labels(ns: Dict[str, Any], section: str) -> Dict[str, str]:
    return dict((ns.get("metadata") or {}).get(section) or {})


def istio_edits(want: Desired, have: Dict[str, str]) -> Tuple[List[Edit], List[str]]:
    """(edits, codes they resolve) for one namespace's labels."""
    codes: List[str] = []
    edits: List[Edit] = []

    def label(key: str, value: Any, why: str) -> None:
        edits.append(Edit(metadata_pointer("set_label", key), value, reason=why))

    if want.state == "disabled":
        label(INJECTION, "disabled", "declared not meshed")
        label(REV, REMOVE, "istio-injection=disabled decides; a revision label would only mislead")
        return edits, codes
    if have.get(INJECTION) == "disabled":
        codes.append("SI108")  # declared meshed, yet disabled: no Istio webhook can inject
    elif INJECTION not in have and (REV not in have or (want.revision and have[REV] != want.revision)):
        codes.append("SI101")
    if INJECTION in have and REV in have:
        codes.append("SI102")
    if want.revision:
        if REV in have and have[REV] != want.revision:
            codes.append("SI103")
        label(REV, want.revision, "declared revision %s" % want.revision)
        label(INJECTION, REMOVE, "istio-injection=enabled would win over istio.io/rev")
    else:
        label(INJECTION, "enabled", "declared meshed with the default revision")
        label(REV, REMOVE, "one injection label only (istio-injection wins)")
        if REV in have and INJECTION not in have:
            codes.append("SI103")
    if have.get(DATAPLANE) == "ambient":
        label(DATAPLANE, REMOVE, "sidecars declared: ambient would skip the injected pods")
        codes.append("SI112")
    return edits, codes


def linkerd_edits(want: Desired, labels: Dict[str, str], annos: Dict[str, str]) -> Tuple[List[Edit], List[str]]:
    codes = []
    if LINKERD in labels:
        codes.append("SI104")
    if want.state == "enabled" and LINKERD not in annos and LINKERD not in labels:
        codes.append("SI101")  # no marker at all (a label is SI104's)
    edits = [
        Edit(metadata_pointer("set_annotation", LINKERD), want.state, reason="the proxy injector reads the annotation"),
        Edit(metadata_pointer("remove_label", LINKERD), REMOVE, reason="as a label it is ignored"),
    ]
    return edits, codes


def targets(
    desired: Sequence[Desired], namespaces: Iterable[Dict[str, Any]], served_revisions: Optional[Iterable[str]] = None
) -> Tuple[List[Target], List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(targets, unmatched entries, diagnosis desired_namespaces) for the live namespaces.

    A name that does not exist, a revision no injector serves, or two entries that disagree about a
    namespace are PlanErrors; a pattern that matches nothing is reported as unmatched."""
    by_name = {str((ns.get("metadata") or {}).get("name") or ""): ns for ns in namespaces}
    served = set(served_revisions) if served_revisions is not None else None
    chosen: Dict[str, Desired] = {}
    unmatched = []
    for want in desired:
        if want.revision and served is not None and want.revision not in served:
            raise PlanError(
                "%s: Istio revision or tag %r is served by no injector webhook (served: %s)"
                % (want.what(), want.revision, ", ".join(sorted(served)) or "none")
            )
        names = [n for n in sorted(by_name) if n and want.matches(n)]
        if want.name and not names:
            raise PlanError("%s: namespace %s does not exist" % (want.what(), want.name))
        if not names:
            unmatched.append({"index": want.index, "pattern": want.pattern})
        for name in names:
            other = chosen.get(name)
            if other is not None and (other.mesh, other.revision, other.state) != (
                want.mesh,
                want.revision,
                want.state,
            ):
                raise PlanError(
                    "namespace %s is declared twice with different states: %s and %s"
                    % (name, other.what(), want.what())
                )
            chosen.setdefault(name, want)
    out: List[Target] = []
    options = []
    for name in sorted(chosen):
        want = chosen[name]
        ns = by_name[name]
        ref: ObjectRef = namespace_ref(name)
        if want.mesh == "istio":
            edits, codes = istio_edits(want, _labels(ns, "labels"))
        else:
            edits, codes = linkerd_edits(want, _labels(ns, "labels"), _labels(ns, "annotations"))
        target = Target(ref, edits, resolves=[(code, ref) for code in codes])
        target.notes.append("pods already running keep their state: restart the workloads (restart_workloads)")
        out.append(target)
        if want.state == "enabled":
            options.append(want.as_option(name))
    return out, unmatched, options
