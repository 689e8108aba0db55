# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI104-SI107: injection markers of the wrong type, on the wrong object, with a wrong value, or
opting a workload out of an enabled namespace. Reported once per workload (rules/common.py).
"""

from __future__ import annotations

from typing import Iterator

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding, evidence
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
    index,
    ns_finding,
    ns_ref,
    patch_template,
    ref,
    subject_finding,
    template_path,
    tmpl_meta,
    what,
)

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
        ns_labels, ns_annos = labels(ns), annotations_of(ns)
        if LINKERD_INJECT in ns_labels and LINKERD_INJECT not in ns_annos:
            value = ns_labels[LINKERD_INJECT]
            yield ns_finding(
                "SI104",
                name,
                "namespace %s has linkerd.io/inject=%s as a label; Linkerd only reads the annotation" % (name, value),
                mesh="linkerd",
                evidence=[evidence(ns_ref(name), "metadata.labels.linkerd.io/inject", value)],
                steps=[
                    "kubectl annotate namespace %s linkerd.io/inject=%s --overwrite" % (name, value),
                    "kubectl label namespace %s linkerd.io/inject-" % name,
                    "kubectl rollout restart deployment,statefulset,daemonset -n %s" % name,
                ],
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
                steps=[
                    "kubectl label namespace %s %s=%s --overwrite" % (name, ADMISSION_WEBHOOKS, value),
                    "kubectl annotate namespace %s %s-" % (name, ADMISSION_WEBHOOKS),
                ],
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
                    steps=patch_template(verdict, "annotations", key, tmpl_labels[key]),
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
                steps=patch_template(verdict, "labels", ISTIO_INJECT, "true"),
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
        for section, values in (("labels", labels(ns)), ("annotations", annotations_of(ns))):
            if ISTIO_INJECT not in values:
                continue
            value = values[ISTIO_INJECT]
            target = {"true": "enabled", "false": "disabled"}.get(value, "enabled")
            yield ns_finding(
                "SI105",
                name,
                "Misplaced annotation: sidecar.istio.io/inject can only be applied to Pod; "
                "namespace %s ignores it (namespaces use the istio-injection label)" % name,
                mesh="istio",
                evidence=[evidence(ns_ref(name), "metadata.%s.%s" % (section, ISTIO_INJECT), value)],
                steps=[
                    "kubectl %s namespace %s %s-"
                    % ("label" if section == "labels" else "annotate", name, ISTIO_INJECT),
                    "kubectl label namespace %s istio-injection=%s --overwrite   # if that was the intent"
                    % (name, target),
                ],
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
            if tmpl["labels"].get(key) == value or tmpl["annotations"].get(key) == value:
                continue  # repeated on the template as well: harmless
            where = "labels" if key in (ISTIO_INJECT, "istio.io/rev") else "annotations"
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
                steps=patch_template(verdict, where, key, value),
            )
        for section, key in POD_ONLY_ON_TEMPLATE:
            if key in tmpl[section]:
                yield subject_finding(
                    "SI105",
                    verdict,
                    "%s has %s=%s on its pod template; that label is only read on Namespaces"
                    % (what(verdict), key, tmpl[section][key]),
                    mesh="linkerd" if key == ADMISSION_WEBHOOKS else "istio",
                    evidence=[evidence(ref(verdict), "%s.%s.%s" % (path, section, key), tmpl[section][key])],
                    steps=[
                        "kubectl label namespace %s %s=%s --overwrite   # if the whole namespace is meant"
                        % (verdict.namespace, key, tmpl[section][key])
                    ]
                    + patch_template(verdict, section, key, None),
                )


# ---------------------------------------------------------------------------------------------
# SI106


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
                steps=[
                    "kubectl label namespace %s istio-injection=enabled --overwrite" % name,
                    "kubectl rollout restart deployment,statefulset,daemonset -n %s" % name,
                ],
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
                steps=[
                    "kubectl annotate namespace %s linkerd.io/inject=enabled --overwrite" % name,
                    "kubectl rollout restart deployment,statefulset,daemonset -n %s" % name,
                ],
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
            fixed = "false" if value.lower() in ("false", "no", "n", "off", "disabled") else "true"
            yield subject_finding(
                "SI106",
                verdict,
                "%s has sidecar.istio.io/inject=%s: Istio accepts exactly true or false, ignores this value and "
                "falls back to the default, so %s" % (what(verdict), value, effect),
                mesh="istio",
                evidence=[evidence(ref(verdict), "%s.%s.%s" % (path, section, ISTIO_INJECT), value)]
                + [evidence(ref(verdict), "verdict", r) for r in verdict.decision.reasons[:3]],
                steps=patch_template(verdict, "labels", ISTIO_INJECT, fixed),
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
                steps=patch_template(verdict, "annotations", LINKERD_INJECT, "enabled"),
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
            steps=["nothing to do if the opt-out is intended; to mesh it:"]
            + patch_template(verdict, section, key, None),
        )
