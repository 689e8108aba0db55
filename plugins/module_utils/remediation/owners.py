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

# (label or annotation, value or None for any) -> (owner, how it reverts, the lasting fix)
MARKERS: Tuple[Tuple[str, Optional[str], str, str, str], ...] = (
    (
        "app.kubernetes.io/managed-by",
        "Helm",
        "Helm",
        "the next helm upgrade of release {release} renders the chart's value again",
        "set the value in the Helm values of release {release} (namespace {release_ns}) and upgrade",
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
    (
        "install.operator.istio.io/owning-resource",
        None,
        "Istio operator",
        "the Istio operator reconciles IstioOperator {value} and renders the webhook again",
        "set it in IstioOperator {value} (spec.values.sidecarInjectorWebhook / spec.components)",
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


def reverts(obj: Dict[str, Any], pointers: List[str], me: str) -> List[Dict[str, str]]:
    """Who will undo a change of `pointers` on `obj`: one entry per owner with `owner`, `field`, `how`
    and `lasting_fix`."""
    meta = obj.get("metadata") or {}
    marks = dict(meta.get("annotations") or {})
    marks.update(meta.get("labels") or {})
    out: List[Dict[str, str]] = []
    seen = set()
    for key, want, owner, how, fix in MARKERS:
        value = marks.get(key)
        if value is None or (want is not None and value != want):
            continue
        fields = {
            "value": value,
            "release": marks.get("meta.helm.sh/release-name", "?"),
            "release_ns": marks.get("meta.helm.sh/release-namespace", "?"),
        }
        for pointer in pointers:
            if (owner, pointer) not in seen:
                seen.add((owner, pointer))
                out.append(
                    {"owner": owner, "field": pointer, "how": how.format(**fields), "lasting_fix": fix.format(**fields)}
                )
    for pointer in pointers:
        leaf = split_pointer(pointer)[-1] if split_pointer(pointer) else ""
        for manager in owners_of(obj, pointer, me):
            owner = MANAGERS.get(manager, manager)
            if (owner, pointer) in seen:
                continue
            seen.add((owner, pointer))
            how = CONTROLLER_FIELDS.get(
                (owner, leaf), "field manager %s owns this field and writes it again when it reconciles" % manager
            )
            fix = (
                "configure it where %s takes it from (its install values or configuration), not on the live object"
                % owner
            )
            out.append({"owner": owner, "field": pointer, "how": how, "lasting_fix": fix})
    return out
