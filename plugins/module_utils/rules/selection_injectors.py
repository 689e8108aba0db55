# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI109-SI111: the injector side of selection: host-network pods it skips, its ConfigMap policy and
neverInjectSelector, and more than one injector selecting the same pods (istioctl IST0139's overlap).
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import (
    Finding,
    evidence,
    object_ref,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import (
    ISTIO_INJECT,
    MAX_EVIDENCE,
    MESH_NAMES,
    index,
    names_text,
    ns_finding,
    ns_ref,
    ref,
    subject_finding,
    template_path,
    tmpl_meta,
    what,
)

# ---------------------------------------------------------------------------------------------
# SI109, SI110


@rule(
    codes=["SI109"],
    needs=["namespaces"],
    uses=["pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def hostnetwork_not_injected(ctx: RuleContext) -> Iterator[Finding]:
    """hostNetwork pods that an injector webhook is called for and skips by design."""
    for verdict in index(ctx).subjects():
        ids = verdict.decision.skip_ids
        if verdict.should_inject or not ({"istio.host-network", "host_network_enabled"} & set(ids)):
            continue
        mesh = verdict.mesh
        hint = (
            'label the pod template sidecar.istio.io/inject="false" so the webhook is not called at all '
            "(then an unavailable istiod cannot block these pods)"
            if mesh == "istio"
            else "nothing to do: Linkerd never injects host-network pods"
        )
        yield subject_finding(
            "SI109",
            verdict,
            "%s uses hostNetwork: true; %s skips host-network pods by design (webhook %s is "
            "still called)" % (what(verdict), MESH_NAMES.get(mesh, mesh), verdict.webhook),
            mesh=mesh,
            evidence=[
                evidence(
                    ref(verdict), "spec.template.spec.hostNetwork" if verdict.template else "spec.hostNetwork", True
                )
            ],
            steps=[hint],
        )


@rule(
    codes=["SI110"],
    needs=["configmaps"],
    uses=["pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def injector_policy_excludes(ctx: RuleContext) -> Iterator[Finding]:
    """The injector ConfigMap's policy is invalid (all injection off) or disabled while selected
    workloads rely on the default; neverInjectSelector matching a workload."""
    istio = ctx.model.istio
    if istio is None:
        return
    idx = index(ctx)
    subjects = idx.subjects()
    for revision, config in sorted(istio.injectors.items()):
        cm_ref = object_ref("ConfigMap", config.namespace, config.name)
        affected = [
            v
            for v in subjects
            if v.mesh == "istio"
            and v.revision == revision
            and not v.should_inject
            and ("istio.policy-invalid" in v.decision.skip_ids or "istio.policy-disabled" in v.decision.skip_ids)
        ]
        restart = "kubectl rollout restart deployment -n %s -l app=istiod   # istiod reads the ConfigMap" % (
            config.namespace
        )
        if config.policy not in ("enabled", "disabled"):
            yield Finding(
                code="SI110",
                kind="ConfigMap",
                namespace=config.namespace,
                name=config.name,
                severity="error",
                message="injector ConfigMap %s/%s has policy %r, which is neither enabled nor disabled: istiod "
                "disables all injection for revision %s, explicit sidecar.istio.io/inject=true included (%d workloads "
                "affected)" % (config.namespace, config.name, config.policy, revision, len(affected)),
                evidence=[evidence(cm_ref, "data.config policy", config.policy)]
                + [evidence(ref(v), "verdict", "not injected") for v in affected[:MAX_EVIDENCE]],
                steps=[
                    "set values.global.proxy.autoInject=enabled in the Istio install (istioctl install --set "
                    "values.global.proxy.autoInject=enabled, or helm upgrade istiod ... --set "
                    "global.proxy.autoInject=enabled)",
                    restart,
                ],
            )
        elif config.policy == "disabled" and affected:
            yield Finding(
                code="SI110",
                kind="ConfigMap",
                namespace=config.namespace,
                name=config.name,
                message="injector ConfigMap %s/%s has policy disabled: %d workloads in enabled namespaces are not "
                "injected unless they set sidecar.istio.io/inject=true (%s)"
                % (config.namespace, config.name, len(affected), names_text(affected)),
                evidence=[evidence(cm_ref, "data.config policy", "disabled")]
                + [evidence(ref(v), "verdict", "not injected") for v in affected[:MAX_EVIDENCE]],
                steps=[
                    'label the pod templates that should be meshed sidecar.istio.io/inject="true"',
                    "or set values.global.proxy.autoInject=enabled in the Istio install",
                    restart,
                ],
            )
    for verdict in subjects:
        if verdict.mesh != "istio" or "istio.never-inject-selector" not in verdict.decision.skip_ids:
            continue
        config = istio.injector_for(verdict.revision)
        text = next((r for r in verdict.decision.reasons if "neverInjectSelector" in r), "")
        yield subject_finding(
            "SI110",
            verdict,
            "%s is not injected: %s" % (what(verdict), text),
            evidence=[
                evidence(
                    object_ref("ConfigMap", config.namespace, config.name),
                    "data.config neverInjectSelector",
                    [selectors.render(s) for s in config.never_inject_selector],
                ),
                evidence(
                    ref(verdict),
                    template_path(verdict) + ".labels",
                    selectors.label_string(tmpl_meta(verdict).get("labels") or {}),
                ),
            ],
            steps=[
                "remove the matching entry from values.sidecarInjectorWebhook.neverInjectSelector, or change "
                'the workload\'s labels, or set sidecar.istio.io/inject="true" on its pod template (an explicit '
                "value wins over the selectors)"
            ],
        )


# ---------------------------------------------------------------------------------------------
# SI111


def _overlap_label_sets(hooks, tags):
    revs = sorted({v for h in hooks for v in h.rev_values} | {h.revision for h in hooks if h.revision} | set(tags))
    ns_sets = [{}, {"istio-injection": "enabled"}, {"istio-injection": "disabled"}]
    obj_sets = [{}, {ISTIO_INJECT: "true"}, {ISTIO_INJECT: "false"}]
    ns_sets = ns_sets + [dict(s, **{"istio.io/rev": r}) for s in ns_sets for r in revs]
    obj_sets = obj_sets + [dict(s, **{"istio.io/rev": r}) for s in obj_sets for r in revs]
    return ns_sets, obj_sets


def istio_overlaps(model: Any) -> Dict[str, Dict[str, Any]]:
    """istioctl IST0139: label combinations that more than one active Istio webhook selects.
    {config: {"others": set of "config/name", "example": (ns labels, pod labels)}}."""
    hooks = [h for h in model.webhooks if h.mesh == "istio" and h.injector and not h.deactivated]
    tags = model.istio.tags if model.istio else {}
    ns_sets, obj_sets = _overlap_label_sets(hooks, tags)
    out: Dict[str, Dict[str, Any]] = {}
    for ns_labels in ns_sets:
        for pod_labels in obj_sets:
            matched = [
                h
                for h in hooks
                if selectors.matches(h.namespace_selector, ns_labels)
                and selectors.matches(h.object_selector, pod_labels)
            ]
            if len({h.config for h in matched}) < 2:
                continue
            for hook in matched:
                entry = out.setdefault(hook.config, {"others": set(), "example": (ns_labels, pod_labels)})
                entry["others"].update(o.key for o in matched if o.config != hook.config)
    return out


@rule(
    codes=["SI111"],
    needs=["mutatingwebhookconfigurations"],
    uses=["namespaces", "pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def multiple_injectors(ctx: RuleContext) -> Iterator[Finding]:
    """Istio webhook configurations whose selectors overlap (istioctl IST0139's enumeration), and
    workloads that more than one injector configuration is called for (two revisions, Istio and
    Linkerd)."""
    model = ctx.model
    idx = index(ctx)
    overlaps = istio_overlaps(model) if model.webhooks_read else {}
    for config, entry in sorted(overlaps.items()):
        ns_labels, pod_labels = entry["example"]
        others = sorted(entry["others"])
        yield Finding(
            code="SI111",
            kind="MutatingWebhookConfiguration",
            name=config,
            mesh="istio",
            message="Webhook overlaps with others: [%s]. This may cause injection to occur twice." % " ".join(others),
            evidence=[
                evidence(
                    object_ref("MutatingWebhookConfiguration", "", config),
                    "webhooks",
                    "namespace labels {%s} + pod labels {%s} select it and %s"
                    % (selectors.label_string(ns_labels), selectors.label_string(pod_labels), ", ".join(others)),
                )
            ],
            steps=[
                "keep one injector per revision: `istioctl tag set default --revision <rev> --overwrite` "
                "deactivates the old istio-sidecar-injector webhooks",
                "or delete the stale configuration: kubectl delete mutatingwebhookconfiguration %s" % config,
            ],
        )
    covered = {(c, o.split("/", 1)[0]) for c, e in overlaps.items() for o in e["others"]}
    groups: Dict[tuple, List[Any]] = {}
    for verdict in idx.subjects():
        configs = []
        for call in verdict.decision.calls:
            name = call.webhook.split("/", 1)[0]
            if name not in configs:
                configs.append(name)
        if len(configs) < 2:
            continue
        if all((a, b) in covered for a in configs for b in configs if a != b):
            continue
        groups.setdefault((verdict.namespace, verdict.decision.matched), []).append(verdict)
    for (namespace, matched), members in sorted(groups.items()):
        meshes = members[0].decision.matched_meshes
        yield ns_finding(
            "SI111",
            namespace,
            "%d workloads in namespace %s are selected by %d injector webhooks (%s): %s"
            % (len(members), namespace, len(matched), ", ".join(matched), names_text(members)),
            mesh=meshes[0] if len(meshes) == 1 else "any",
            evidence=[evidence(ref(v), "webhooks called", list(v.decision.matched)) for v in members[:MAX_EVIDENCE]]
            + [evidence(ns_ref(namespace), "metadata.labels", selectors.label_string(idx.namespace_labels(namespace)))],
            steps=[
                "decide which mesh/revision owns namespace %s and remove the other marker (e.g. "
                "kubectl label namespace %s istio-injection- or kubectl annotate namespace %s linkerd.io/inject-)"
                % (namespace, namespace, namespace),
                "kubectl rollout restart deployment,statefulset,daemonset -n %s" % namespace,
            ],
        )
