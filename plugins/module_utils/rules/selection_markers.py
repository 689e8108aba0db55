# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI104-SI107: injection markers of the wrong type, on the wrong object, with a wrong value, or
opting a workload out of an enabled namespace. Reported once per workload (rules/workloads.py).

Namespace findings affect the namespace and its workloads; workload findings the workload (a pod by
its top owner) and its namespace. SI104 plans move the marker (action label_namespace); the others
are manual, with the concrete label/annotation changes as operations.
"""

from __future__ import annotations

from typing import Callable, Iterator, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding, evidence
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    Operation,
    Plan,
    note,
    remove_annotation,
    remove_label,
    set_annotation,
    set_label,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    annotations as annotations_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.linkerd import VALID_VALUES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import (
    ADMISSION_WEBHOOKS,
    ISTIO_INJECT,
    LINKERD_INJECT,
    MESH_NAMES,
    RECREATE_NOTE,
    current,
    index,
    ns_finding,
    ns_ref,
    ref,
    subject_finding,
    template_ops,
    template_path,
    template_plan,
    tmpl_meta,
    verdict_scope,
    what,
)

FALSE_LIKE = ("false", "no", "n", "off", "disabled")


def _meant(value: str, on: str, off: str) -> str:
    """The valid value an invalid marker most likely meant: `off` for false-like spellings."""
    return off if value.lower() in FALSE_LIKE else on


# ---------------------------------------------------------------------------------------------
# SI104


@rule(
    codes=["SI104"],
    needs=["namespaces"],
    uses=["pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def inject_marker_wrong_type(ctx: RuleContext) -> Iterator[Finding]:
    """A marker given as the wrong metadata type: linkerd.io/inject (or config.linkerd.io/*) as a
    label, config.linkerd.io/admission-webhooks as a namespace annotation, sidecar.istio.io/inject=true
    only as an annotation where no Istio webhook selects the pod (the webhook reads the label)."""
    idx = index(ctx)
    for ns in ctx.view.items("namespaces"):
        name = name_of(ns)
        target = namespace_ref(name)
        ns_labels, ns_annos = labels(ns), annotations_of(ns)
        if LINKERD_INJECT in ns_labels and LINKERD_INJECT not in ns_annos:
            value = ns_labels[LINKERD_INJECT]
            yield ns_finding(
                "SI104",
                name,
                "namespace %s has linkerd.io/inject=%s as a label; Linkerd only reads the annotation" % (name, value),
                mesh="linkerd",
                evidence=[evidence(ns_ref(name), "metadata.labels.linkerd.io/inject", value)],
                plan=Plan(
                    "label_namespace",
                    target,
                    [
                        set_annotation(target, LINKERD_INJECT, value, current(ns_annos, LINKERD_INJECT)),
                        remove_label(target, LINKERD_INJECT, value),
                        note(RECREATE_NOTE),
                    ],
                    reason="move linkerd.io/inject to the annotation Linkerd reads",
                ),
                affects=idx.namespace_scope(name),
            )
        if ADMISSION_WEBHOOKS in ns_annos and ADMISSION_WEBHOOKS not in ns_labels:
            value = ns_annos[ADMISSION_WEBHOOKS]
            yield ns_finding(
                "SI104",
                name,
                "namespace %s has %s=%s as an annotation; the webhook namespaceSelector only "
                "reads labels, so it has no effect" % (name, ADMISSION_WEBHOOKS, value),
                mesh="linkerd",
                evidence=[evidence(ns_ref(name), "metadata.annotations." + ADMISSION_WEBHOOKS, value)],
                plan=Plan(
                    "label_namespace",
                    target,
                    [
                        set_label(target, ADMISSION_WEBHOOKS, value, current(ns_labels, ADMISSION_WEBHOOKS)),
                        remove_annotation(target, ADMISSION_WEBHOOKS, value),
                    ],
                    reason="give %s as the label the webhook namespaceSelector reads" % ADMISSION_WEBHOOKS,
                ),
                affects=idx.namespace_scope(name),
            )
    for verdict in idx.subjects():
        meta = tmpl_meta(verdict)
        tmpl_labels, tmpl_annos = meta.get("labels") or {}, meta.get("annotations") or {}
        path = template_path(verdict)
        for key in sorted(tmpl_labels):
            if key == LINKERD_INJECT or key.startswith(("config.linkerd.io/", "config.alpha.linkerd.io/")):
                if key == ADMISSION_WEBHOOKS or key in tmpl_annos:
                    continue
                yield subject_finding(
                    "SI104",
                    verdict,
                    "%s has %s=%s as a pod label; Linkerd only reads it as an annotation"
                    % (what(verdict), key, tmpl_labels[key]),
                    mesh="linkerd",
                    evidence=[evidence(ref(verdict), "%s.labels.%s" % (path, key), tmpl_labels[key])],
                    plan=template_plan(
                        idx,
                        verdict,
                        "annotations",
                        key,
                        tmpl_labels[key],
                        action="label_namespace",
                        reason="give %s as the pod annotation Linkerd reads" % key,
                    ),
                    affects=verdict_scope([verdict]),
                )
        if (
            ctx.model.istio is not None
            and tmpl_annos.get(ISTIO_INJECT) == "true"
            and ISTIO_INJECT not in tmpl_labels
            and "istio" not in verdict.decision.matched_meshes
        ):
            yield subject_finding(
                "SI104",
                verdict,
                "%s opts in with the annotation sidecar.istio.io/inject=true, but Istio's webhooks select on the "
                "label, and no webhook is called for it: the annotation alone injects nothing" % what(verdict),
                mesh="istio",
                evidence=[
                    evidence(ref(verdict), path + ".annotations." + ISTIO_INJECT, "true"),
                    evidence(ref(verdict), path + ".labels", selectors.label_string(tmpl_labels)),
                ]
                + [evidence(ref(verdict), "verdict", r) for r in verdict.decision.reasons[:3]],
                plan=template_plan(
                    idx,
                    verdict,
                    "labels",
                    ISTIO_INJECT,
                    "true",
                    action="label_namespace",
                    reason="opt in with the pod label Istio's webhooks select on",
                ),
                affects=verdict_scope([verdict]),
            )


# ---------------------------------------------------------------------------------------------
# SI105


CONTROLLER_MARKERS = (
    ("annotations", ISTIO_INJECT),
    ("labels", ISTIO_INJECT),
    ("labels", "istio.io/rev"),
    ("annotations", LINKERD_INJECT),
    ("labels", LINKERD_INJECT),
)
POD_ONLY_ON_TEMPLATE = (("labels", "istio-injection"), ("labels", ADMISSION_WEBHOOKS))


@rule(
    codes=["SI105"],
    needs=["namespaces"],
    uses=["deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def inject_marker_wrong_object(ctx: RuleContext) -> Iterator[Finding]:
    """Injection markers on the controller's own metadata (pods only see the template's), namespace
    markers on a pod template, or sidecar.istio.io/inject on a Namespace (istioctl IST0107)."""
    idx = index(ctx)
    for ns in ctx.view.items("namespaces"):
        name = name_of(ns)
        target = namespace_ref(name)
        for section, values in (("labels", labels(ns)), ("annotations", annotations_of(ns))):
            if ISTIO_INJECT not in values:
                continue
            value = values[ISTIO_INJECT]
            wanted = {"true": "enabled", "false": "disabled"}.get(value, "enabled")
            remove = (remove_label if section == "labels" else remove_annotation)(target, ISTIO_INJECT, value)
            relabel = [remove, set_label(target, "istio-injection", wanted, current(labels(ns), "istio-injection"))]
            yield ns_finding(
                "SI105",
                name,
                "Misplaced annotation: sidecar.istio.io/inject can only be applied to Pod; "
                "namespace %s ignores it (namespaces use the istio-injection label)" % name,
                mesh="istio",
                evidence=[evidence(ns_ref(name), "metadata.%s.%s" % (section, ISTIO_INJECT), value)],
                plan=Plan(
                    "manual",
                    target,
                    [remove],
                    reason="remove the marker namespaces ignore",
                    alternatives=[
                        Plan(
                            "manual",
                            target,
                            relabel + ([note(RECREATE_NOTE)] if wanted == "enabled" else []),
                            reason="if namespace-wide injection was meant: istio-injection=%s instead" % wanted,
                        )
                    ],
                ),
                affects=idx.namespace_scope(name),
            )
    for verdict in idx.subjects():
        if not verdict.template:
            continue
        meta = tmpl_meta(verdict)
        tmpl = {"labels": meta.get("labels") or {}, "annotations": meta.get("annotations") or {}}
        own = {"labels": labels(verdict.obj), "annotations": annotations_of(verdict.obj)}
        path = template_path(verdict)
        for section, key in CONTROLLER_MARKERS:
            if key not in own[section]:
                continue
            value = own[section][key]
            # where the marker works on a pod: Istio's webhooks select on labels (an annotation is read
            # only once the webhook is called), Linkerd's injector reads the annotation
            where = "labels" if key in (ISTIO_INJECT, "istio.io/rev") else "annotations"
            if tmpl[where].get(key) == value:
                continue  # repeated where it works on the template: harmless
            yield subject_finding(
                "SI105",
                verdict,
                "%s has %s=%s on its own metadata.%s; only the pod template (%s) reaches the pods, so it has no "
                "effect on injection" % (what(verdict), key, value, section, path),
                mesh="linkerd" if key == LINKERD_INJECT else "istio",
                evidence=[
                    evidence(ref(verdict), "metadata.%s.%s" % (section, key), value),
                    evidence(ref(verdict), "%s.%s" % (path, where), selectors.label_string(tmpl[where])),
                ],
                plan=template_plan(idx, verdict, where, key, value, reason="put %s on the pod template" % key),
                affects=verdict_scope([verdict]),
            )
        for section, key in POD_ONLY_ON_TEMPLATE:
            if key in tmpl[section]:
                value = tmpl[section][key]
                ns_target = namespace_ref(verdict.namespace)
                namespace_wide = Plan(
                    "manual",
                    ns_target,
                    [set_label(ns_target, key, value, current(idx.namespace_labels(verdict.namespace), key))]
                    + template_ops(idx, verdict, section, key, None),
                    reason="if the whole namespace is meant: label it %s=%s" % (key, value),
                )
                plan = template_plan(idx, verdict, section, key, None, reason="remove the label pods do not use")
                plan.alternatives = [namespace_wide]
                yield subject_finding(
                    "SI105",
                    verdict,
                    "%s has %s=%s on its pod template; that label is only read on Namespaces"
                    % (what(verdict), key, tmpl[section][key]),
                    mesh="linkerd" if key == ADMISSION_WEBHOOKS else "istio",
                    evidence=[evidence(ref(verdict), "%s.%s.%s" % (path, section, key), tmpl[section][key])],
                    plan=plan,
                    affects=verdict_scope([verdict]),
                )


# ---------------------------------------------------------------------------------------------
# SI106


def _valid_value_plan(
    target: ObjectRef, setter: Callable[..., Operation], key: str, value: str, on: str, off: str
) -> Plan:
    """Replace an invalid namespace marker by the value it most likely meant; the other one as the
    alternative. Only enabling changes which new pods get a proxy, so only it needs re-created pods."""
    wanted = _meant(value, on, off)
    other = off if wanted == on else on

    def ops(new: str) -> List[Operation]:
        return [setter(target, key, new, value)] + ([note(RECREATE_NOTE)] if new == on else [])

    return Plan(
        "manual",
        target,
        ops(wanted),
        reason="set %s=%s" % (key, wanted),
        alternatives=[Plan("manual", target, ops(other), reason="set %s=%s" % (key, other))],
    )


@rule(
    codes=["SI106"],
    needs=["namespaces"],
    uses=["pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def inject_marker_invalid_value(ctx: RuleContext) -> Iterator[Finding]:
    """Values outside the accepted set: sidecar.istio.io/inject other than exactly true/false,
    istio-injection other than enabled/disabled, linkerd.io/inject other than enabled/disabled/ingress."""
    idx = index(ctx)
    for ns in ctx.view.items("namespaces"):
        name = name_of(ns)
        target = namespace_ref(name)
        ns_labels, ns_annos = labels(ns), annotations_of(ns)
        value = ns_labels.get("istio-injection")
        if value is not None and value not in ("enabled", "disabled"):
            yield ns_finding(
                "SI106",
                name,
                "namespace %s has istio-injection=%s: only 'enabled' selects the namespace, and any "
                "value stops the revision and object webhooks, so nothing is injected" % (name, value),
                mesh="istio",
                evidence=[evidence(ns_ref(name), "metadata.labels.istio-injection", value)],
                plan=_valid_value_plan(target, set_label, "istio-injection", value, "enabled", "disabled"),
                affects=idx.namespace_scope(name),
            )
        value = ns_annos.get(LINKERD_INJECT)
        if value and value not in VALID_VALUES:
            yield ns_finding(
                "SI106",
                name,
                "namespace %s has linkerd.io/inject=%s: invalid value for annotation "
                '"linkerd.io/inject" at namespace, which blocks injection of every pod in it, even pods '
                "annotated enabled" % (name, value),
                mesh="linkerd",
                evidence=[evidence(ns_ref(name), "metadata.annotations.linkerd.io/inject", value)],
                plan=_valid_value_plan(target, set_annotation, LINKERD_INJECT, value, "enabled", "disabled"),
                affects=idx.namespace_scope(name),
            )
    for verdict in idx.subjects():
        meta = tmpl_meta(verdict)
        tmpl_labels, tmpl_annos = meta.get("labels") or {}, meta.get("annotations") or {}
        path = template_path(verdict)
        section = "labels" if ISTIO_INJECT in tmpl_labels else "annotations"
        value = (tmpl_labels if section == "labels" else tmpl_annos).get(ISTIO_INJECT)
        if value and value not in ("true", "false"):
            effect = (
                "it is still injected" if verdict.should_inject and verdict.mesh == "istio" else "it is not injected"
            )
            fixed = _meant(value, "true", "false")
            yield subject_finding(
                "SI106",
                verdict,
                "%s has sidecar.istio.io/inject=%s: Istio accepts exactly true or false, ignores this value and "
                "falls back to the default, so %s" % (what(verdict), value, effect),
                mesh="istio",
                evidence=[evidence(ref(verdict), "%s.%s.%s" % (path, section, ISTIO_INJECT), value)]
                + [evidence(ref(verdict), "verdict", r) for r in verdict.decision.reasons[:3]],
                # the label wins over the annotation in istiod, so setting it is enough wherever the typo is
                plan=template_plan(
                    idx, verdict, "labels", ISTIO_INJECT, fixed, reason="set sidecar.istio.io/inject=%s" % fixed
                ),
                affects=verdict_scope([verdict]),
            )
        value = tmpl_annos.get(LINKERD_INJECT)
        if value and value not in VALID_VALUES:
            yield subject_finding(
                "SI106",
                verdict,
                '%s has linkerd.io/inject=%s: invalid value for annotation "linkerd.io/inject" at workload, so '
                "the proxy-injector skips it" % (what(verdict), value),
                mesh="linkerd",
                evidence=[evidence(ref(verdict), path + ".annotations.linkerd.io/inject", value)],
                plan=template_plan(
                    idx,
                    verdict,
                    "annotations",
                    LINKERD_INJECT,
                    _meant(value, "enabled", "disabled"),
                    reason="set linkerd.io/inject to an accepted value",
                ),
                affects=verdict_scope([verdict]),
            )


# ---------------------------------------------------------------------------------------------
# SI107


@rule(
    codes=["SI107"],
    needs=["namespaces"],
    uses=["pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def pod_opted_out(ctx: RuleContext) -> Iterator[Finding]:
    """A workload opts out (sidecar.istio.io/inject=false, linkerd.io/inject=disabled) inside a
    namespace where a plain pod would be injected."""
    idx = index(ctx)
    for verdict in idx.subjects():
        if verdict.should_inject:
            continue
        probe = idx.probe(verdict.namespace)
        if not probe.should_inject:
            continue
        meta = tmpl_meta(verdict)
        tmpl_labels, tmpl_annos = meta.get("labels") or {}, meta.get("annotations") or {}
        path = template_path(verdict)
        if probe.mesh == "istio":
            section = "labels" if ISTIO_INJECT in tmpl_labels else "annotations"
            if (tmpl_labels if section == "labels" else tmpl_annos).get(ISTIO_INJECT) != "false":
                continue
            key, value = ISTIO_INJECT, "false"
        elif probe.mesh == "linkerd" and tmpl_annos.get(LINKERD_INJECT) == "disabled":
            section, key, value = "annotations", LINKERD_INJECT, "disabled"
        else:
            continue
        yield subject_finding(
            "SI107",
            verdict,
            "%s opts out of injection (%s=%s) in a namespace that is enabled for %s"
            % (what(verdict), key, value, MESH_NAMES[probe.mesh]),
            mesh=probe.mesh,
            evidence=[
                evidence(ref(verdict), "%s.%s.%s" % (path, section, key), value),
                evidence(ns_ref(verdict.namespace), "new plain pod would get", probe.reasons[0]),
            ],
            plan=template_plan(
                idx,
                verdict,
                section,
                key,
                None,
                reason="mesh it: remove the opt-out",
                lead=(note("nothing to do if the opt-out is intended; to mesh it:"),),
            ),
            affects=verdict_scope([verdict]),
        )
