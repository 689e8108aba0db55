# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI109-SI111: the injector side of selection: host-network pods it skips, its ConfigMap policy and
neverInjectSelector, and more than one injector selecting the same pods (istioctl IST0139's overlap).

All three are manual (catalogue): the plans carry the concrete pod-template and namespace changes,
the istioctl/helm commands as `external`, and affect the workloads the injector skips or decides.
"""

from __future__ import annotations

import shlex
from typing import Any, Dict, Iterator, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import (
    Finding,
    evidence,
    object_ref,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    Operation,
    Plan,
    external,
    inspect,
    note,
    remove_annotation,
    remove_label,
    restart,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    annotations as annotations_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.controlplane import (
    MWC,
    mwc_target,
    served_by,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import (
    ISTIO_INJECT,
    LINKERD_INJECT,
    MAX_EVIDENCE,
    MESH_NAMES,
    Index,
    index,
    names_text,
    ns_finding,
    ns_ref,
    ref,
    restart_ops,
    subject_finding,
    template_ops,
    template_path,
    template_plan,
    tmpl_meta,
    verdict_scope,
    what,
    workload_ref,
    workload_scope,
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
    idx = index(ctx)
    for verdict in idx.subjects():
        ids = verdict.decision.skip_ids
        if verdict.should_inject or not ({"istio.host-network", "host_network_enabled"} & set(ids)):
            continue
        mesh = verdict.mesh
        if mesh == "istio":
            plan = template_plan(
                idx,
                verdict,
                "labels",
                ISTIO_INJECT,
                "false",
                reason="keep the webhook from being called for these pods",
                lead=(
                    note(
                        'expected; label the pod template sidecar.istio.io/inject="false" so the webhook is not '
                        "called at all (then an unavailable istiod cannot block these pods):"
                    ),
                ),
            )
        else:
            plan = Plan(
                "manual",
                workload_ref(verdict),
                [note("nothing to do: Linkerd never injects host-network pods")],
                reason="expected",
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
            plan=plan,
            affects=verdict_scope([verdict]),
        )


def _istio_install_cmd(revision: str, namespace: str, setting: str) -> List[Operation]:
    """The same Istio install value set with istioctl or with Helm (the revision's own release)."""
    rev = [] if revision in ("", "default") else ["--revision", revision]
    release = "istiod" if not rev else "istiod-%s" % revision
    istioctl = ["istioctl", "install"] + rev + ["--set", "values." + setting]
    helm = ["helm", "upgrade", release, "istio/istiod", "-n", namespace, "--reuse-values", "--set", setting]
    return [
        external(" ".join(shlex.quote(w) for w in istioctl)),
        external(" ".join(shlex.quote(w) for w in helm), why="if Istio was installed with Helm"),
    ]


def _auto_inject_plan(istio: Any, revision: str, config: Any) -> Plan:
    """Turn default injection back on for a revision: the install value, then istiod restarted."""
    cm = ObjectRef("ConfigMap", config.name, config.namespace)
    ops = _istio_install_cmd(revision, config.namespace, "global.proxy.autoInject=enabled")
    rev = istio.revisions.get(revision or "default")
    deployments = [ObjectRef("Deployment", d, rev.namespace) for d in rev.deployments] if rev is not None else []
    if deployments:
        ops.append(restart(deployments, why="istiod reads the ConfigMap"))
    else:
        ops.append(note("then restart istiod of revision %s: it reads the ConfigMap" % (revision or "default")))
    return Plan("manual", cm, ops, reason="set values.global.proxy.autoInject=enabled in the Istio install")


def _opt_in_plan(idx: Index, affected: List[Any], auto_inject: Plan) -> Plan:
    """policy disabled: opt the workloads in one by one; or turn default injection on again."""
    ops: List[Operation] = [note('label the pod templates that should be meshed sidecar.istio.io/inject="true":')]
    for verdict in affected[:MAX_EVIDENCE]:
        ops += template_ops(idx, verdict, "labels", ISTIO_INJECT, "true")
    if len(affected) > MAX_EVIDENCE:
        ops.append(note("and the same for the other %d workloads listed" % (len(affected) - MAX_EVIDENCE)))
    return Plan(
        "manual",
        auto_inject.target,
        ops,
        reason="opt the workloads in explicitly",
        alternatives=[auto_inject],
    )


def _never_inject_plan(idx: Index, verdict: Any, config: Any) -> Plan:
    """An explicit sidecar.istio.io/inject=true wins over neverInjectSelector; or narrow the selector."""
    plan = template_plan(
        idx,
        verdict,
        "labels",
        ISTIO_INJECT,
        "true",
        reason="opt the workload in explicitly (an explicit value wins over the selectors)",
    )
    cm = ObjectRef("ConfigMap", config.name, config.namespace)
    plan.alternatives = [
        Plan(
            "manual",
            cm,
            [
                note(
                    "remove the matching entry from values.sidecarInjectorWebhook.neverInjectSelector in the Istio "
                    "install (istioctl install / helm upgrade), or change the workload's labels"
                )
            ],
            reason="stop excluding it",
        )
    ]
    return plan


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
        auto_inject = _auto_inject_plan(istio, revision, config)
        # with no workload relying on the revision, the finding keeps its default: the ConfigMap and its namespace
        affects = verdict_scope(affected)
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
                plan=auto_inject,
                affects=affects,
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
                plan=_opt_in_plan(idx, affected, auto_inject),
                affects=affects,
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
            plan=_never_inject_plan(idx, verdict, config),
            affects=verdict_scope([verdict]),
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


def _overlap_plan(model: Any, config: Any) -> Plan:
    """Deactivate the old istio-sidecar-injector webhooks by (re)setting the default tag (to the
    revision it serves today, or the configuration's own), or remove the stale configuration."""
    hooks = [h for h in model.webhooks if h.config == config and h.injector]
    revision = (model.istio.tags.get("default") if model.istio else "") or next(
        (h.target_revision for h in hooks if h.target_revision), "default"
    )
    target = ObjectRef(MWC, config) if not hooks else mwc_target(hooks[0])
    return Plan(
        "manual",
        target,
        [
            inspect(
                target, "get", "mutatingwebhookconfiguration", config, "-o", "yaml", why="which revision it serves"
            ),
            external(
                "istioctl tag set default --revision %s --overwrite" % shlex.quote(revision),
                why="revision %s serves the default tag; deactivates the old istio-sidecar-injector webhooks"
                % revision,
            ),
            note("or delete MutatingWebhookConfiguration %s if its revision was removed" % config),
        ],
        reason="keep one injector per revision",
    )


def _one_injector_plan(ctx: RuleContext, idx: Index, namespace: str, members: List[Any]) -> Plan:
    """Remove one of the namespace's mesh markers (each choice an alternative), then re-create the pods
    of the workloads both injectors selected."""
    target = namespace_ref(namespace)
    ns_obj = ctx.view.namespace(namespace) or {}
    ns_labels, ns_annos = labels(ns_obj), annotations_of(ns_obj)
    choices = [remove_label(target, k, ns_labels[k]) for k in ("istio-injection", "istio.io/rev") if k in ns_labels]
    if LINKERD_INJECT in ns_annos:
        choices.append(remove_annotation(target, LINKERD_INJECT, ns_annos[LINKERD_INJECT]))
    owners = sorted({workload_scope(v) for v in members})
    recreate = [
        op
        for owner in owners
        for op in restart_ops(
            owner.kind, namespace, owner.name, idx.pods_by_owner.get((owner.kind, namespace, owner.name), [])
        )
    ]
    decide = note("decide which mesh or revision owns namespace %s and remove the other marker:" % namespace)
    if not choices:
        return Plan(
            "manual",
            target,
            [note("the pod templates select more than one injector: remove the other mesh's marker from them")],
            reason="keep one injector per pod",
        )

    def removal(op: Operation) -> str:
        return "remove %s=%s" % (op.key, op.expect)

    return Plan(
        "manual",
        target,
        [decide, choices[0]] + recreate,
        reason=removal(choices[0]),
        alternatives=[Plan("manual", target, [c] + recreate, reason=removal(c)) for c in choices[1:]],
    )


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
            plan=_overlap_plan(model, config),
            # the workloads whose next pod this configuration decides; none selected now: nothing is affected yet
            affects=served_by(ctx, [h for h in model.webhooks if h.config == config and h.injector]),
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
            plan=_one_injector_plan(ctx, idx, namespace, members),
            affects=verdict_scope(members),
        )
