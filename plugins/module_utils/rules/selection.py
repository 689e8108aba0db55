# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI1xx, namespace level: is a namespace meant to be meshed, labelled consistently, served, excluded.

Istio semantics follow istioctl analyze where it has a message (IST0102, IST0148, IST0123);
docs/conformance.md lists the mapping. Pod-level markers are in rules/markers.py, the injector
side (hostNetwork, policy, several injectors) in rules/injectors.py.
"""

from __future__ import annotations

import json
from typing import Dict, Iterator, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import (
    Finding,
    evidence,
    object_ref,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    ABSENT,
    Plan,
    external,
    note,
    remove_label,
    set_annotation,
    set_label,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    annotations as annotations_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.istio import IGNORED_NAMESPACES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import (
    ADMISSION_WEBHOOKS,
    ISTIO_INJECT,
    LINKERD_INJECT,
    MAX_EVIDENCE,
    MESH_NAMES,
    RECREATE_NOTE,
    SYSTEM_NAMESPACES,
    current,
    enable_plan,
    index,
    names_text,
    ns_finding,
    ns_ref,
    ref,
    subject_finding,
    template_ops,
    template_path,
    tmpl_meta,
    what,
    workload_ref,
)

# ---------------------------------------------------------------------------------------------
# SI101


def _istio_marker(ns_labels: Dict[str, str], ns_annos: Dict[str, str]) -> bool:
    """An Istio injection marker, including a misplaced sidecar.istio.io/inject (SI105 explains it)."""
    return (
        "istio-injection" in ns_labels
        or "istio.io/rev" in ns_labels
        or ISTIO_INJECT in ns_labels
        or ISTIO_INJECT in ns_annos
    )


def _linkerd_marker(ns_labels: Dict[str, str], ns_annos: Dict[str, str]) -> bool:
    """A Linkerd marker, including the wrong-type ones SI104 explains."""
    return (
        LINKERD_INJECT in ns_annos
        or LINKERD_INJECT in ns_labels
        or ADMISSION_WEBHOOKS in ns_annos
        or ns_labels.get(ADMISSION_WEBHOOKS) == "disabled"
    )


def _enabled_by_default(model):
    istio = model.istio
    if istio is None:
        return False
    config = istio.injector_for("default")
    return bool(config and config.enable_namespaces_by_default) or any(
        h.name == "auto.sidecar-injector.istio.io" for h in model.injectors("istio")
    )


def _mark_plan(target: ObjectRef, key: str, have: Dict[str, str], label: bool) -> Plan:
    """Mesh an unmarked namespace, or mark it as deliberately not meshed (istioctl's two choices)."""
    setter = set_label if label else set_annotation
    enabled = setter(target, key, "enabled", current(have, key), why="to mesh it")
    disabled = setter(target, key, "disabled", current(have, key), why="to mark it as deliberately not meshed")
    return Plan(
        "label_namespace",
        target,
        [enabled, note(RECREATE_NOTE)],
        reason="mesh namespace %s" % target.name,
        alternatives=[Plan("label_namespace", target, [disabled], reason="mark it as deliberately not meshed")],
    )


@rule(codes=["SI101"], needs=["namespaces"], uses=["pods", "mutatingwebhookconfigurations"])
def namespace_not_enabled(ctx: RuleContext) -> Iterator[Finding]:
    """Namespaces meant to be meshed (desired, or running pods that a restart would un-mesh) without
    the injection marker: warning. Unmarked namespaces with no known intent: info, as istioctl's
    IST0102 (IST0148 when Istio enables namespaces by default). System, control-plane and
    ambient-only namespaces are skipped, as istioctl does."""
    idx = index(ctx)
    model = ctx.model
    meshes = model.meshes()
    if not meshes:
        return
    skip = set(SYSTEM_NAMESPACES) | idx.control_plane_namespaces() | {"istio-system"}
    for ns in ctx.view.items("namespaces"):
        name = name_of(ns)
        ns_labels, ns_annos = labels(ns), annotations_of(ns)
        ns_ref_obj = namespace_ref(name)
        markers = {"istio": _istio_marker(ns_labels, ns_annos), "linkerd": _linkerd_marker(ns_labels, ns_annos)}
        label_ev = evidence(ns_ref(name), "metadata.labels", selectors.label_string(ns_labels))
        desired = idx.desired(name)
        probe = idx.probe(name)
        if desired is not None and (name not in skip or desired):
            mesh = desired.get("mesh") or meshes[0]
            revision = desired.get("revision")
            wanted_rev = model.istio.resolve(revision) if (revision and model.istio) else revision
            if probe.should_inject and probe.mesh == mesh and (not revision or probe.revision == wanted_rev):
                continue
            if markers.get(mesh) and not (revision and mesh == "istio"):
                continue  # marked, but excluded or invalid: SI103/SI106/SI108 say why
            if markers.get(mesh):
                message = "namespace %s is declared for Istio revision %s but its labels select %s" % (
                    name,
                    revision,
                    probe.revision or "no revision",
                )
            else:
                message = "namespace %s is declared to be meshed with %s but carries no injection %s" % (
                    name,
                    MESH_NAMES.get(mesh, mesh),
                    "annotation" if mesh == "linkerd" else "label",
                )
            yield ns_finding(
                "SI101",
                name,
                message,
                mesh=mesh,
                evidence=[
                    label_ev,
                    evidence(ns_ref(name), "metadata.annotations", selectors.label_string(ns_annos)),
                    evidence("option desired_namespaces", name, json.dumps(desired, sort_keys=True)),
                ]
                + [evidence(ns_ref(name), "new pod would get", r) for r in probe.reasons[:3]],
                plan=enable_plan(model, mesh, name, ns, revision, reason="namespace %s is declared meshed" % name),
                affects=idx.namespace_scope(name),
            )
            continue
        if name in skip or ns_labels.get("istio.io/dataplane-mode") == "ambient":
            continue
        lost = [
            p
            for p in idx.pods_by_ns.get(name, [])
            if p.injected
            and not p.control_plane
            and not p.should_inject
            and p.running
            and p.proxy.mesh in meshes
            and not markers.get(p.proxy.mesh)
        ]
        if lost:
            mesh = lost[0].proxy.mesh
            yield ns_finding(
                "SI101",
                name,
                "namespace %s runs %d %s-injected pods (%s) but carries no %s injection marker: pods created "
                "now get no proxy" % (name, len(lost), MESH_NAMES[mesh], names_text(lost), MESH_NAMES[mesh]),
                mesh=mesh,
                evidence=[label_ev]
                + [
                    evidence(object_ref("Pod", p.namespace, p.name), "proxy", p.proxy.describe())
                    for p in lost[:MAX_EVIDENCE]
                ],
                plan=enable_plan(model, mesh, name, ns, reason="namespace %s already runs injected pods" % name),
                affects=idx.namespace_scope(name),
            )
            continue
        if any(markers[m] for m in meshes):
            continue
        if meshes == ["istio"] and _enabled_by_default(model):
            yield ns_finding(
                "SI101",
                name,
                "namespace %s is enabled for Istio injection, as Istio is installed with "
                "enableNamespacesByDefault as true" % name,
                severity="info",
                mesh="istio",
                evidence=[label_ev],
                plan=Plan(
                    "label_namespace",
                    ns_ref_obj,
                    [
                        note("nothing to do if that is intended; to opt out:"),
                        set_label(ns_ref_obj, "istio-injection", "disabled", current(ns_labels, "istio-injection")),
                    ],
                    reason="opt namespace %s out of default injection" % name,
                ),
                affects=idx.namespace_scope(name),
            )
            continue
        if meshes == ["istio"]:
            message = (
                "The namespace is not enabled for Istio injection. Run 'kubectl label namespace %s "
                "istio-injection=enabled' to enable it, or 'kubectl label namespace %s "
                "istio-injection=disabled' to explicitly mark it as not needing injection." % (name, name)
            )
            plan = _mark_plan(ns_ref_obj, "istio-injection", ns_labels, label=True)
            mesh = "istio"
        elif meshes == ["linkerd"]:
            message = (
                "namespace %s is not enabled for Linkerd injection (no linkerd.io/inject annotation); "
                "annotate it enabled to mesh it, or disabled to mark it as deliberately not meshed" % name
            )
            plan = _mark_plan(ns_ref_obj, LINKERD_INJECT, ns_annos, label=False)
            mesh = "linkerd"
        else:
            message = "namespace %s carries no Istio or Linkerd injection marker" % name
            plan = enable_plan(model, "istio", name, ns, reason="mesh namespace %s with Istio" % name)
            plan.alternatives = [enable_plan(model, "linkerd", name, ns, reason="or with Linkerd")]
            mesh = "any"
        yield ns_finding(
            "SI101",
            name,
            message,
            severity="info",
            mesh=mesh,
            evidence=[label_ev],
            plan=plan,
            affects=idx.namespace_scope(name),
        )


# ---------------------------------------------------------------------------------------------
# SI102 / SI112


def injection_label_conflict(ns_labels: Dict[str, str]) -> List[str]:
    """IST0123's label list: istio-injection (any value); istio.io/rev and dataplane-mode=ambient
    count only when istio-injection is absent or enabled."""
    parts = []
    injection = ns_labels.get("istio-injection")
    if injection is not None:
        parts.append("istio-injection=%s" % injection)
    if injection is None or injection == "enabled":
        if "istio.io/rev" in ns_labels:
            parts.append("istio.io/rev=%s" % ns_labels["istio.io/rev"])
        if ns_labels.get("istio.io/dataplane-mode") == "ambient":
            parts.append("istio.io/dataplane-mode=ambient")
    return parts if len(parts) > 1 else []


@rule(codes=["SI102", "SI112"], needs=["namespaces"])
def namespace_conflicting_labels(ctx: RuleContext) -> Iterator[Finding]:
    """istioctl's IST0123: more than one kind of injection label. Sidecar labels together (SI102):
    istio-injection=enabled wins over istio.io/rev. Ambient plus a sidecar label (SI112): pods get
    sidecars and the ambient data plane skips them."""
    skip = set(SYSTEM_NAMESPACES) | set(ctx.model.istio.namespaces if ctx.model.istio else ()) | {"istio-system"}
    idx = index(ctx)
    for ns in ctx.view.items("namespaces"):
        name = name_of(ns)
        ns_labels = labels(ns)
        parts = injection_label_conflict(ns_labels)
        if name in skip or not parts:
            continue
        listed = "[%s]" % " ".join(parts)
        keys = ("istio-injection", "istio.io/rev", "istio.io/dataplane-mode")
        ev = [
            evidence(
                ns_ref(name),
                "metadata.labels",
                selectors.label_string({k: v for k, v in ns_labels.items() if k in keys}),
            )
        ]
        sidecar = [p for p in parts if not p.startswith("istio.io/dataplane-mode")]
        target = namespace_ref(name)
        if len(sidecar) > 1:
            rev = ns_labels["istio.io/rev"]
            yield ns_finding(
                "SI102",
                name,
                "The namespace has more than one type of injection labels %s, which may lead to undefined "
                "behavior: istio-injection=enabled wins, so new pods go to the default injector, not revision %s"
                % (listed, rev),
                evidence=ev,
                plan=Plan(
                    "label_namespace",
                    target,
                    [remove_label(target, "istio.io/rev", rev, why="keep what injects today (istio-injection)")],
                    reason="keep one injection label",
                    alternatives=[
                        Plan(
                            "label_namespace",
                            target,
                            [remove_label(target, "istio-injection", ns_labels["istio-injection"])],
                            reason="move the namespace to revision %s" % rev,
                        )
                    ],
                ),
                affects=idx.namespace_scope(name),
            )
        if "istio.io/dataplane-mode=ambient" in parts:
            sidecar_key = "istio-injection" if "istio-injection" in ns_labels else "istio.io/rev"
            yield ns_finding(
                "SI112",
                name,
                "namespace %s is labelled for ambient (istio.io/dataplane-mode=ambient) and for sidecar "
                "injection %s: new pods get sidecars, which the ambient data plane then skips" % (name, listed),
                evidence=ev,
                plan=Plan(
                    "label_namespace",
                    target,
                    [remove_label(target, sidecar_key, ns_labels[sidecar_key], why="to use ambient only")],
                    reason="use ambient only",
                    alternatives=[
                        Plan(
                            "label_namespace",
                            target,
                            [remove_label(target, "istio.io/dataplane-mode", "ambient")],
                            reason="keep sidecars",
                        )
                    ],
                ),
                affects=idx.namespace_scope(name),
            )


# ---------------------------------------------------------------------------------------------
# SI103


@rule(
    codes=["SI103"],
    needs=["namespaces", "mutatingwebhookconfigurations"],
    uses=["pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def revision_not_found(ctx: RuleContext) -> Iterator[Finding]:
    """istio.io/rev on a namespace (without istio-injection) or a pod template (in an unlabelled
    namespace) names a revision or tag that no active Istio webhook selects: injection silently
    stops (`istioctl x injector list` shows MISSING/<rev>)."""
    model = ctx.model
    istio = model.istio
    if istio is None:
        return
    idx = index(ctx)
    served = istio.served_rev_values()
    choices = sorted(served)
    suggestion = "default" if "default" in served else (choices[-1] if choices else "<revision>")
    served_ev = evidence("MutatingWebhookConfigurations", "istio.io/rev values selected", ", ".join(choices) or "none")
    for ns in ctx.view.items("namespaces"):
        name = name_of(ns)
        ns_labels = labels(ns)
        rev = ns_labels.get("istio.io/rev")
        if rev is None or "istio-injection" in ns_labels or rev in served:
            continue
        pods = [p for p in idx.pods_by_ns.get(name, []) if not p.control_plane]
        yield ns_finding(
            "SI103",
            name,
            "namespace %s selects Istio revision %r (label istio.io/rev) but no injector webhook serves it: "
            "new pods get no sidecar (%d pods in the namespace)" % (name, rev, len(pods)),
            evidence=[evidence(ns_ref(name), "metadata.labels.istio.io/rev", rev), served_ev],
            plan=Plan(
                "label_namespace",
                namespace_ref(name),
                [set_label(namespace_ref(name), "istio.io/rev", suggestion, rev), note(RECREATE_NOTE)],
                reason="select a revision that an injector serves",
            ),
            affects=idx.namespace_scope(name),
        )
    yield from _injection_enabled_unserved(ctx, idx, choices, served_ev)
    for verdict in idx.subjects():
        tmpl_labels = tmpl_meta(verdict).get("labels") or {}
        rev = tmpl_labels.get("istio.io/rev")
        ns_labels = idx.namespace_labels(verdict.namespace)
        if rev is None or rev in served or "istio.io/rev" in ns_labels or "istio-injection" in ns_labels:
            continue
        yield subject_finding(
            "SI103",
            verdict,
            "%s selects Istio revision %r (pod label istio.io/rev) but no injector webhook serves it: its pods "
            "get no sidecar" % (what(verdict), rev),
            evidence=[evidence(ref(verdict), template_path(verdict) + ".labels.istio.io/rev", rev), served_ev],
            plan=Plan(
                "label_namespace",
                workload_ref(verdict),
                template_ops(idx, verdict, "labels", "istio.io/rev", suggestion),
                reason="select a revision that an injector serves",
            ),
        )


def _injection_enabled_unserved(ctx: RuleContext, idx, choices: List[str], served_ev) -> Iterator[Finding]:
    """istio-injection=enabled asks for the default revision; a revision-only install (Helm
    `revision=...` without `istioctl tag set default`) has no webhook selecting it, so nothing is
    injected and nothing says so (istio/istio#41883). Never silenced: the label states an intent."""
    hooks = [w for w in ctx.model.injectors("istio") if w.intercepts_pod_create]
    if not [w for w in hooks if not w.deactivated]:
        return  # no active Istio webhook at all: SI201 names that root cause once
    for ns in ctx.view.items("namespaces"):
        name = name_of(ns)
        ns_labels = labels(ns)
        if ns_labels.get("istio-injection") != "enabled":
            continue
        # the label alone (and the name): a webhook that would select it but is kept out by another
        # requirement of its selector is SI206's question, not this one
        minimal = {"istio-injection": "enabled", "kubernetes.io/metadata.name": name}
        if any(selectors.matches(w.namespace_selector, minimal) for w in hooks):
            continue
        revision = choices[-1] if choices else ""
        target = namespace_ref(name)
        pods = [p for p in idx.pods_by_ns.get(name, []) if not p.control_plane]
        ops = [remove_label(target, "istio-injection", "enabled", why="it asks for a default revision none serves")]
        if revision:
            ops.append(set_label(target, "istio.io/rev", revision, ns_labels.get("istio.io/rev", ABSENT)))
        ops.append(note(RECREATE_NOTE))
        alternatives = []
        if revision:
            alternatives.append(
                Plan(
                    "manual",
                    target,
                    [external("istioctl tag set default --revision %s" % revision, why="serve the default tag")],
                    reason="make revision %s the default" % revision,
                )
            )
        yield ns_finding(
            "SI103",
            name,
            "namespace %s is labelled istio-injection=enabled, which asks for the default revision, but no Istio "
            "webhook serves it (no default revision or default tag; revisions served: %s): new pods get no sidecar "
            "(%d pods in the namespace)" % (name, ", ".join(choices) or "none", len(pods)),
            evidence=[
                evidence(ns_ref(name), "metadata.labels.istio-injection", "enabled"),
                served_ev,
                evidence(
                    "MutatingWebhookConfigurations",
                    "namespaceSelector matching namespace %s" % name,
                    "none of %d Istio injector webhooks" % len(hooks),
                ),
            ],
            plan=Plan(
                "label_namespace",
                target,
                ops,
                reason="select a revision that an injector serves",
                alternatives=alternatives,
            ),
            affects=idx.namespace_scope(name),
        )


# ---------------------------------------------------------------------------------------------
# SI108


def _istio_intent(ns_labels, templates, desired):
    if desired and (desired.get("mesh") or "istio") == "istio":
        return "declared in desired_namespaces"
    if ns_labels.get("istio-injection") == "enabled" or "istio.io/rev" in ns_labels:
        return "namespace labels ask for Istio injection"
    for verdict in templates:
        tmpl_labels = tmpl_meta(verdict).get("labels") or {}
        if tmpl_labels.get(ISTIO_INJECT) == "true" or "istio.io/rev" in tmpl_labels:
            return "%s asks for Istio injection" % what(verdict)
    return ""


def _linkerd_intent(ns_annos, templates, desired):
    if desired and desired.get("mesh") == "linkerd":
        return "declared in desired_namespaces"
    if ns_annos.get(LINKERD_INJECT) in ("enabled", "ingress"):
        return "namespace annotation linkerd.io/inject=%s" % ns_annos[LINKERD_INJECT]
    for verdict in templates:
        if (tmpl_meta(verdict).get("annotations") or {}).get(LINKERD_INJECT) in ("enabled", "ingress"):
            return "%s asks for Linkerd injection" % what(verdict)
    return ""


@rule(
    codes=["SI108"],
    needs=["namespaces"],
    uses=[
        "mutatingwebhookconfigurations",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
    ],
)
def namespace_excluded(ctx: RuleContext) -> Iterator[Finding]:
    """A namespace meant to be meshed that can never be injected: Istio's ignored namespaces or
    istio-injection=disabled; a Linkerd webhook namespaceSelector that excludes it (kube-system,
    cert-manager, config.linkerd.io/admission-webhooks=disabled)."""
    idx = index(ctx)
    model = ctx.model
    cp = idx.control_plane_namespaces()
    for ns in ctx.view.items("namespaces"):
        name = name_of(ns)
        ns_labels, ns_annos = labels(ns), annotations_of(ns)
        desired = idx.desired(name)
        if name in cp and desired is None:
            continue
        templates = [v for v in idx.templates_by_ns.get(name, []) if not v.control_plane]
        label_ev = evidence(ns_ref(name), "metadata.labels", selectors.label_string(ns_labels))
        if model.istio is not None:
            intent = _istio_intent(ns_labels, templates, desired)
            why = ""
            if intent and name in IGNORED_NAMESPACES:
                why = "istiod never injects pods in %s (one of its ignored namespaces %s)" % (
                    name,
                    ", ".join(IGNORED_NAMESPACES),
                )
            elif intent and ns_labels.get("istio-injection") == "disabled":
                why = "istio-injection=disabled stops every Istio webhook, whatever the pods ask for"
            if why:
                yield ns_finding(
                    "SI108",
                    name,
                    "namespace %s can never get Istio sidecars: %s (%s)" % (name, why, intent),
                    mesh="istio",
                    evidence=[label_ev, evidence(ns_ref(name), "intent", intent)],
                    plan=Plan(
                        "manual",
                        namespace_ref(name),
                        [set_label(namespace_ref(name), "istio-injection", "enabled", "disabled")]
                        if ns_labels.get("istio-injection") == "disabled"
                        else [note("run these workloads in a namespace outside %s" % ", ".join(IGNORED_NAMESPACES))],
                        reason="let Istio inject namespace %s" % name,
                    ),
                    affects=idx.namespace_scope(name),
                )
        if model.linkerd is not None:
            intent = _linkerd_intent(ns_annos, templates, desired)
            ns_full = dict(ns_labels)
            ns_full.setdefault("kubernetes.io/metadata.name", name)
            for webhook in model.injectors("linkerd") if intent else []:
                failing = selectors.failing_requirements(webhook.namespace_selector, ns_full)
                if not failing:
                    continue
                ops = (
                    [remove_label(namespace_ref(name), ADMISSION_WEBHOOKS, "disabled")]
                    if ns_labels.get(ADMISSION_WEBHOOKS) == "disabled"
                    else [
                        note(
                            "run these workloads in another namespace, or change the proxy-injector "
                            "namespaceSelector (Helm value proxyInjector.namespaceSelector)"
                        )
                    ]
                )
                yield ns_finding(
                    "SI108",
                    name,
                    "namespace %s can never get Linkerd proxies: the namespaceSelector of %s "
                    "excludes it (%s) (%s)" % (name, webhook.describe(), ", ".join(failing), intent),
                    mesh="linkerd",
                    evidence=[
                        label_ev,
                        evidence(
                            "MutatingWebhookConfiguration %s" % webhook.config,
                            "webhooks[%d].namespaceSelector" % webhook.index,
                            selectors.render(webhook.namespace_selector),
                        ),
                    ],
                    plan=Plan("manual", namespace_ref(name), ops, reason="let Linkerd inject namespace %s" % name),
                    affects=idx.namespace_scope(name),
                )
