# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Intent: does anything ask for a sidecar for this workload, which mesh and revision, and from where.

Read from what people set, not from what the injector decides (a namespace labelled for a revision
that no webhook serves still asks for Istio): the namespace's label or annotation, the pod
template's, the workload's own metadata (SI105: the wrong object, but the wish is clear),
`desired_namespaces`, injection enabled by default (the decision injects with no marker at all),
and pods that already carry a proxy the injector added. An explicit opt-out on the pod template
(sidecar.istio.io/inject=false, linkerd.io/inject=disabled) is the workload's own answer and wins
over its namespace, and host-network pods are never injected by design. Mesh control-plane pods
carry their proxy from their own manifest: they never "want" one from an injector and are counted
apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.constants import (
    ISTIO_INJECT,
    ISTIO_INJECTION_LABEL,
    ISTIO_REV_LABEL,
    LINKERD_INJECT,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import (
    Verdict,
    pod_template_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import Index

OPT_OUT = ("false", "disabled")
ISTIO_OFF = ("disabled", "false")


@dataclass
class Intent:
    wants: bool = False
    mesh: str = ""
    revision: str = ""
    sources: List[str] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return {"wants": self.wants, "mesh": self.mesh, "revision": self.revision, "sources": list(self.sources)}


def _asks(found: List[Tuple[str, str, str]], mesh: str, revision: str, source: str) -> None:
    found.append((mesh, revision, source))


def _namespace_asks(idx: Index, namespace: str) -> List[Tuple[str, str, str]]:
    """(mesh, revision, source) for every marker on the namespace and every desired_namespaces entry."""
    found: List[Tuple[str, str, str]] = []
    ns_obj = idx.view.namespace(namespace) or {}
    ns_labels = (ns_obj.get("metadata") or {}).get("labels") or {}
    ns_annos = (ns_obj.get("metadata") or {}).get("annotations") or {}
    injection = ns_labels.get(ISTIO_INJECTION_LABEL)
    if injection == "enabled":
        _asks(found, "istio", "", "namespace label %s=enabled" % ISTIO_INJECTION_LABEL)
    elif ns_labels.get(ISTIO_REV_LABEL) and injection not in ISTIO_OFF:
        revision = ns_labels[ISTIO_REV_LABEL]
        _asks(found, "istio", revision, "namespace label %s=%s" % (ISTIO_REV_LABEL, revision))
    elif injection and injection not in ISTIO_OFF:
        _asks(found, "istio", "", "namespace label %s=%s" % (ISTIO_INJECTION_LABEL, injection))
    for where, mapping in (("annotation", ns_annos), ("label", ns_labels)):
        value = mapping.get(LINKERD_INJECT)
        if value and value not in OPT_OUT:
            _asks(found, "linkerd", "", "namespace %s %s=%s" % (where, LINKERD_INJECT, value))
    desired = idx.desired(namespace)
    if desired is not None:
        mesh = str(desired.get("mesh") or "istio")
        _asks(found, mesh, str(desired.get("revision") or ""), "desired_namespaces")
    return found


def _marker_asks(mapping: Dict[str, str], where: str) -> Tuple[List[Tuple[str, str, str]], List[str]]:
    """(asks, opt-outs) of one metadata section (pod template or the workload's own metadata)."""
    asks: List[Tuple[str, str, str]] = []
    outs: List[str] = []
    istio = mapping.get(ISTIO_INJECT)
    if istio is not None:
        if istio.lower() == "false":
            outs.append("%s %s=%s" % (where, ISTIO_INJECT, istio))
        else:
            _asks(asks, "istio", mapping.get(ISTIO_REV_LABEL, ""), "%s %s=%s" % (where, ISTIO_INJECT, istio))
    elif mapping.get(ISTIO_REV_LABEL):
        _asks(asks, "istio", mapping[ISTIO_REV_LABEL], "%s %s=%s" % (where, ISTIO_REV_LABEL, mapping[ISTIO_REV_LABEL]))
    linkerd = mapping.get(LINKERD_INJECT)
    if linkerd is not None:
        if linkerd in OPT_OUT:
            outs.append("%s %s=%s" % (where, LINKERD_INJECT, linkerd))
        else:
            _asks(asks, "linkerd", "", "%s %s=%s" % (where, LINKERD_INJECT, linkerd))
    return asks, outs


def intent_of(idx: Index, verdict: Verdict, pods: List[Verdict]) -> Intent:
    """What is asked for the workload `verdict` stands for (its pods: `pods`)."""
    if verdict.control_plane:
        return Intent(sources=["control plane: the proxy comes from its own manifest"])
    pod = pod_template_of(verdict)
    if (pod.get("spec") or {}).get("hostNetwork"):
        return Intent(sources=["hostNetwork: true: neither injector injects host-network pods (by design)"])
    template = pod.get("metadata") or {}
    found = _namespace_asks(idx, verdict.namespace)
    outs: List[str] = []
    for section in ("labels", "annotations"):
        asks, opted = _marker_asks(dict(template.get(section) or {}), "pod template %s" % section[:-1])
        found += asks
        outs += opted
    if verdict.template:
        own = verdict.obj.get("metadata") or {}
        for section in ("labels", "annotations"):
            asks, _unused = _marker_asks(dict(own.get(section) or {}), "%s metadata %s" % (verdict.kind, section[:-1]))
            found += asks
    if verdict.should_inject and not found and not outs:
        _asks(found, verdict.mesh, verdict.revision, "injection enabled by default")
    carried = sorted({p.proxy.mesh for p in pods if p.injected and p.proxy is not None})
    for mesh in carried:
        if not any(m == mesh for m, _r, _s in found):
            _asks(found, mesh, "", "its pods already carry the %s proxy" % mesh)
    if outs and not any(s == "desired_namespaces" for _m, _r, s in found):
        return Intent(False, "", "", outs)
    if not found:
        return Intent()
    mesh, revision = _pick(found, verdict)
    return Intent(True, mesh, revision, [s for _m, _r, s in found])


def _pick(found: List[Tuple[str, str, str]], verdict: Verdict) -> Tuple[str, str]:
    """The mesh asked for: the one the injector would use when it is among those asked, else the first
    asked (the pod template's word, which comes after the namespace's, wins when they differ)."""
    meshes = [m for m, _r, _s in found]
    if verdict.mesh and verdict.mesh in meshes:
        mesh = verdict.mesh
    else:
        template_asks = [m for m, _r, s in found if s.startswith("pod template")]
        mesh = template_asks[0] if template_asks else meshes[0]
    if mesh != "istio":  # Linkerd has no revisions; its version is in `current`
        return mesh, ""
    revision: Optional[str] = None
    for m, rev, _s in found:
        if m == mesh and rev:
            revision = rev
    if revision is None and mesh == verdict.mesh:
        revision = verdict.revision
    return mesh, revision or ""
