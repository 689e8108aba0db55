# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who else writes an object, so a remediation can say when its change will be reverted and what
the lasting fix is.

Two sources: `metadata.managedFields` (the field manager that owns the very field being changed:
istiod as `pilot-discovery` re-patches caBundle and, for its validating webhook, failurePolicy;
`helm`, Argo CD and Flux re-apply what their source says) and the owner labels and annotations
Helm, Argo CD, Flux and the Istio operator put on what they render (they re-apply the whole object
on the next sync, even fields they do not own yet).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.writes import split_pointer

# (label or annotation, value or None for any, owner, how it reverts, the lasting fix); the first that
# matches wins: istioctl renders Istio's Helm charts, so its objects carry managed-by=Helm as well.
MARKERS: Tuple[Tuple[str, Optional[str], str, str, str], ...] = (
    (
        "install.operator.istio.io/owning-resource",
        "unknown",
        "istioctl",
        "the next istioctl install or upgrade renders the webhook again from its settings",
        "give the value to istioctl install/upgrade (an IstioOperator overlay file or --set), not the live object",
    ),
    (
        "install.operator.istio.io/owning-resource",
        None,
        "Istio operator",
        "the Istio operator reconciles IstioOperator {value} and renders the webhook again",
        "set it in IstioOperator {value}",
    ),
    (
        "app.kubernetes.io/managed-by",
        "Helm",
        "Helm",
        "the next helm upgrade of release {release} renders the chart's value again",
        "set the value in the Helm values of release {release} and upgrade",
    ),
    (
        "argocd.argoproj.io/instance",
        None,
        "Argo CD",
        "Argo CD application {value} reverts it on its next sync (at once with self-heal)",
        "change it in the Git source of Argo CD application {value}",
    ),
    (
        "kustomize.toolkit.fluxcd.io/name",
        None,
        "Flux",
        "Flux Kustomization {value} re-applies its source on the next reconciliation",
        "change it in the Git source of Flux Kustomization {value}",
    ),
    (
        "helm.toolkit.fluxcd.io/name",
        None,
        "Flux",
        "Flux HelmRelease {value} re-renders the chart on the next reconciliation",
        "set the value in the values of Flux HelmRelease {value}",
    ),
)

# Field managers and what they are.
MANAGERS = {
    "pilot-discovery": "istiod",
    "istiod": "istiod",
    "helm": "Helm",
    "argocd-controller": "Argo CD",
    "argocd-application-controller": "Argo CD",
    "kustomize-controller": "Flux",
    "helm-controller": "Flux",
    "operator": "Istio operator",
    "cainjector": "cert-manager cainjector",
}
# Fields the mesh controllers rewrite at run time, whatever the owner labels say.
CONTROLLER_FIELDS = {
    ("istiod", "caBundle"): "istiod patches caBundle of its webhooks with its CA on start and on every change",
    ("istiod", "failurePolicy"): "istiod's webhook controller sets failurePolicy of its validating webhook",
    (
        "cert-manager cainjector",
        "caBundle",
    ): "cert-manager's cainjector writes caBundle from the inject-ca-from Certificate",
}


def _list_item_key(item: Any) -> Optional[str]:
    if isinstance(item, dict) and "name" in item:
        return "k:" + json.dumps({"name": item["name"]}, separators=(",", ":"))
    return None


def field_path(obj: Dict[str, Any], pointer: str) -> List[str]:
    """A JSON pointer as fieldsV1 keys (`f:webhooks`, `k:{"name":"x"}`, `f:timeoutSeconds`); list items
    without a name merge key stop the path (the list is then owned atomically)."""
    node: Any = obj
    out: List[str] = []
    for token in split_pointer(pointer):
        if isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                break
            key = _list_item_key(node[int(token)])
            if key is None:
                break
            out.append(key)
            node = node[int(token)]
        else:
            out.append("f:" + token)
            node = node.get(token) if isinstance(node, dict) else None
    return out


def owners_of(obj: Dict[str, Any], pointer: str, me: str) -> List[str]:
    """Field managers other than `me` that own the field at `pointer` (or a field below it)."""
    path = field_path(obj, pointer)
    found = []
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        manager = entry.get("manager") or ""
        if manager == me:
            continue
        node: Any = entry.get("fieldsV1") or {}
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                break
        if node is not None and manager not in found:
            found.append(manager)
    return found


def _release(marks: Dict[str, str]) -> str:
    for key in ("meta.helm.sh/release-name", "release", "app.kubernetes.io/instance"):
        if marks.get(key):
            namespace = marks.get("meta.helm.sh/release-namespace")
            return "%s (namespace %s)" % (marks[key], namespace) if namespace else marks[key]
    return "that owns it"


def reverts(obj: Dict[str, Any], pointers: List[str], me: str) -> List[Dict[str, Any]]:
    """Who will undo a change of `pointers` on `obj`: one entry per owner with `owner`, the `fields`
    it will put back, `how` and `lasting_fix`."""
    meta = obj.get("metadata") or {}
    marks = dict(meta.get("annotations") or {})
    marks.update(meta.get("labels") or {})
    out: Dict[str, Dict[str, Any]] = {}
    for key, want, owner, how, fix in MARKERS:
        value = marks.get(key)
        if value is None or (want is not None and value != want):
            continue
        fields = {"value": value, "release": _release(marks)}
        out[owner] = {"owner": owner, "fields": list(pointers), "how": how.format(**fields),
                      "lasting_fix": fix.format(**fields)}  # fmt: skip
        break  # the renderer that manages the whole object; field managers below add the run-time writers
    for pointer in pointers:
        tokens = split_pointer(pointer)
        leaf = tokens[-1] if tokens else ""
        for manager in owners_of(obj, pointer, me):
            owner = MANAGERS.get(manager, manager)
            entry = out.get(owner)
            if entry is None:
                how = CONTROLLER_FIELDS.get(
                    (owner, leaf), "field manager %s owns the field and writes it again when it reconciles" % manager
                )
                fix = "configure it where %s takes it from (install values or configuration), not on the live object"
                entry = out[owner] = {"owner": owner, "fields": [], "how": how, "lasting_fix": fix % owner}
            if pointer not in entry["fields"]:
                entry["fields"].append(pointer)
    return list(out.values())
