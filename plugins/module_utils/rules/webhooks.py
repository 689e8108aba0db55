# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI2xx: the injector's MutatingWebhookConfiguration (and the API server's admission chain).

Every rule reads webhooks as the model parsed them from the cluster (never the model's assumed
standard webhooks, which exist only when MWCs were not read). Evidence names the configuration and
the `webhooks[i].<field>` path, so `kubectl get mutatingwebhookconfiguration <name> -o
jsonpath='{.webhooks[i].<field>}'` shows the same value.
"""

from __future__ import annotations

import shlex
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import (
    Finding,
    evidence,
    object_ref,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    ABSENT,
    Plan,
    delete,
    external,
    inspect,
    note,
    remove_label,
    set_annotation,
    set_label,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    annotations as annotations_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, meta, name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.platform import kube_apiserver_pods
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.controlplane import (
    MAX_EVIDENCE,
    MESH_TITLE,
    MWC,
    asks_for,
    event_affects,
    event_evidence,
    hook_field,
    hook_value,
    istio_ca_source,
    live_injectors,
    merge_affects,
    meshed_namespaces,
    mwc_ref,
    mwc_target,
    namespace_labels,
    namespaces_affects,
    pod_ready,
    pseudo_pods,
    rejections,
    resync_from,
    service_port,
    set_hooks,
    webhook_affects,
    webhook_patch,
    webhooks_named,
    workload_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule

# ---- SI201 ----------------------------------------------------------------------------------------


def _running_istio_revisions(ctx: RuleContext) -> Dict[str, Any]:
    istio = ctx.model.istio
    out = {}
    for name, rev in sorted((istio.revisions if istio else {}).items()):
        ready_pods = [p for p in (ctx.view.get("pods", rev.namespace, n) for n in rev.pods) if p and pod_ready(p)]
        if rev.ready_replicas > 0 or ready_pods:
            out[name] = rev
    return out


def _istio_running_evidence(rev: Any) -> Dict[str, Any]:
    if rev.deployments:
        return evidence(
            object_ref("Deployment", rev.namespace, rev.deployments[0]), "status.readyReplicas", rev.ready_replicas
        )
    return evidence(object_ref("Pod", rev.namespace, rev.pods[0]), "status.conditions[Ready]", "True")


def _asking(ctx: RuleContext, mesh: str) -> List[str]:
    """Namespaces that get (or ask for) `mesh`'s sidecars: what a missing webhook leaves unserved."""
    return sorted(n for n, meshes in meshed_namespaces(ctx).items() if mesh in meshes)


def _istio_revision_namespaces(ctx: RuleContext, revision: str) -> List[str]:
    return sorted(name_of(ns) for ns in ctx.view.items("namespaces") if labels(ns).get("istio.io/rev") == revision)


@rule(codes=["SI201"], needs=["mutatingwebhookconfigurations"], uses=["deployments", "pods"])
def webhook_missing(ctx: RuleContext) -> Iterator[Finding]:
    """A mesh control plane runs but no injector webhook is active for it: missing, or every webhook
    deactivated with istioctl's never-match selectors. For Istio also per running revision that no
    webhook forwards to, when other revisions have one (warning)."""
    model = ctx.model
    if not model.webhooks_read:
        return
    if model.istio is not None:
        running = _running_istio_revisions(ctx)
        hooks = [w for w in model.webhooks if w.mesh == "istio" and w.injector]
        active = [w for w in hooks if not w.deactivated]
        if running and not active:
            ev = [_istio_running_evidence(r) for r in running.values()]
            ev += [
                evidence(mwc_ref(w), hook_field(w, "namespaceSelector"), selectors.render(w.namespace_selector))
                for w in hooks[:MAX_EVIDENCE]
            ]
            if not hooks:
                ev.append(evidence(MWC, "webhooks[*].name", "no webhook named *.istio.io in any configuration"))
            rev = sorted(running)[0]
            state = (
                "every Istio injector webhook is deactivated (never-match selectors)"
                if hooks
                else ("no Istio injector MutatingWebhookConfiguration exists")
            )
            target = mwc_target(hooks[0]) if hooks else ObjectRef(MWC, "istio-revision-tag-default")
            yield Finding(
                code="SI201",
                kind=MWC,
                name=hooks[0].config if hooks else "",
                mesh="istio",
                message="istiod runs (revision %s) but %s: the API server never calls it and no pod gets a sidecar"
                % (", ".join(sorted(running)), state),
                evidence=ev,
                plan=Plan(
                    "manual",
                    target,
                    [
                        external(
                            "istioctl tag set default --revision %s --overwrite" % rev,
                            why="creates istio-revision-tag-default",
                        ),
                        external("istioctl x injector list", why="shows which revision each namespace now gets"),
                        external(
                            "helm upgrade istiod istio/istiod -n %s --reuse-values" % running[rev].namespace,
                            why="Helm installs re-render the MWC",
                        ),
                    ],
                    reason="give istiod an active injector webhook",
                ),
                # no namespace asking for Istio: nothing is blocked yet (affects stays empty)
                affects=namespaces_affects(ctx, _asking(ctx, "istio")),
            )
        elif active:
            served = {w.target_revision for w in active}
            for name, rev in running.items():
                if name in served:
                    continue
                yield Finding(
                    code="SI201",
                    kind="Deployment",
                    namespace=rev.namespace,
                    name=rev.deployments[0] if rev.deployments else name,
                    mesh="istio",
                    severity="warning",
                    message="istiod revision %s runs but no active injector webhook forwards to it: namespaces "
                    "labelled istio.io/rev=%s get no sidecar" % (name, name),
                    evidence=[_istio_running_evidence(rev)]
                    + [
                        evidence(mwc_ref(w), "metadata.labels[istio.io/rev]", w.revision or "<none>")
                        for w in active[:MAX_EVIDENCE]
                    ],
                    plan=Plan(
                        "manual",
                        ObjectRef("Deployment", rev.deployments[0] if rev.deployments else name, rev.namespace),
                        [
                            external(
                                "istioctl install --set revision=%s" % name,
                                why="or: helm upgrade istiod-%s istio/istiod -n %s --reuse-values --set revision=%s"
                                % (name, rev.namespace, name),
                            ),
                            external("istioctl tag set <tag> --revision %s" % name, why="to serve it under a tag"),
                        ],
                        reason="re-create the webhook of revision %s" % name,
                    ),
                    # none labelled for it: the finding's Deployment and namespace (the default)
                    affects=namespaces_affects(ctx, _istio_revision_namespaces(ctx, name)),
                )
    linkerd = model.linkerd
    if linkerd is not None and linkerd.injector_deployments:
        hooks = [w for w in model.webhooks if w.mesh == "linkerd" and w.injector]
        if not [w for w in hooks if not w.deactivated]:
            ns, _unused, deploy = linkerd.injector_deployments[0].partition("/")
            yield Finding(
                code="SI201",
                kind=MWC,
                name="linkerd-proxy-injector-webhook-config",
                mesh="linkerd",
                message="the Linkerd proxy-injector runs but MutatingWebhookConfiguration "
                "linkerd-proxy-injector-webhook-config is missing: no pod gets a proxy",
                evidence=[
                    evidence(object_ref("Deployment", ns, deploy), "status.readyReplicas", linkerd.ready_replicas),
                    evidence(MWC, "metadata.name", "linkerd-proxy-injector-webhook-config not found"),
                ],
                plan=Plan(
                    "manual",
                    ObjectRef(MWC, "linkerd-proxy-injector-webhook-config"),
                    [
                        external("linkerd upgrade", into=("apply", "-f", "-"), why="CLI installs re-create it"),
                        external(
                            "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n %s --reuse-values" % ns
                        ),
                        external("linkerd check", why="'control plane MutatingWebhookConfigurations exist'"),
                    ],
                    reason="re-create the proxy-injector webhook",
                ),
                # no namespace asking for Linkerd: nothing is blocked yet (affects stays empty)
                affects=namespaces_affects(ctx, _asking(ctx, "linkerd")),
            )


# ---- SI202 ----------------------------------------------------------------------------------------


@rule(codes=["SI202"], needs=["mutatingwebhookconfigurations", "services"], uses=["namespaces"])
def webhook_service_missing(ctx: RuleContext) -> Iterator[Finding]:
    """clientConfig.service names a namespace, Service or port that does not exist (istioctl IST0139's
    service check, plus the port). The API server then fails every call with `service "<name>" not found`
    or `no service port <port> found`. One finding per configuration and Service."""
    view = ctx.view
    groups: Dict[Tuple[str, str, str, int], List[Any]] = {}
    for webhook in live_injectors(ctx, active=False):
        ref = webhook.service
        if ref is None or webhook.deactivated:
            continue  # rules are not required: a dangling reference is broken either way (as IST0139)
        groups.setdefault((webhook.config, ref.namespace, ref.name, ref.port), []).append(webhook)
    for (config, ns, name, port), hooks in groups.items():
        webhook = hooks[0]
        names = ", ".join(w.name for w in hooks)
        where = [
            evidence(mwc_ref(w), hook_field(w, "clientConfig.service"), "%s/%s:%d" % (ns, name, port))
            for w in hooks[:MAX_EVIDENCE]
        ]
        affects = webhook_affects(ctx, hooks)
        if view.has("namespaces") and view.namespace(ns) is None:
            yield Finding(
                code="SI202",
                kind=MWC,
                name=config,
                mesh=webhook.mesh,
                message="webhook(s) %s call Service %s/%s but namespace %s does not exist" % (names, ns, name, ns),
                evidence=where + [evidence(object_ref("Namespace", "", ns), "metadata.name", "not found")],
                plan=_service_plan(ctx, webhook, []),
                affects=affects,
            )
            continue
        svc = view.get("services", ns, name)
        if svc is None:
            yield Finding(
                code="SI202",
                kind=MWC,
                name=config,
                mesh=webhook.mesh,
                message="Injector refers to a control plane service that does not exist: %s/%s (webhooks %s)"
                % (ns, name, names),
                evidence=where + [evidence(object_ref("Service", ns, name), "metadata.name", "not found")],
                plan=_service_plan(ctx, webhook, []),
                affects=affects,
            )
            continue
        # a Service with no ports at all cannot exist in a cluster (trimmed test data): only the name is judged
        if (svc.get("spec") or {}).get("ports") and service_port(svc, port) is None:
            ports = ", ".join(str(p.get("port")) for p in (svc.get("spec") or {}).get("ports") or [])
            served = _served_port(svc)
            fix = set_hooks(ctx, hooks, "clientConfig/service/port", served) if served else []
            yield Finding(
                code="SI202",
                kind=MWC,
                name=config,
                mesh=webhook.mesh,
                message="webhook(s) %s call port %d of Service %s/%s, which has no such port (ports: %s)"
                % (names, port, ns, name, ports),
                evidence=where + [evidence(object_ref("Service", ns, name), "spec.ports[*].port", ports)],
                plan=_service_plan(ctx, webhook, fix),
                affects=affects,
            )


def by_config(hooks: List[Any]) -> List[List[Any]]:
    """Webhooks grouped by their configuration, in call order (one finding per MWC)."""
    groups: Dict[str, List[Any]] = {}
    for webhook in hooks:
        groups.setdefault(webhook.config, []).append(webhook)
    return list(groups.values())


def _served_port(service: Dict[str, Any]) -> Optional[int]:
    """The port to point the webhook at: 443 (the API default) when the Service has it, else its only
    port; None when that is a guess between several."""
    ports = [int(p.get("port") or 0) for p in (service.get("spec") or {}).get("ports") or []]
    if 443 in ports:
        return 443
    return ports[0] if len(ports) == 1 else None


def _service_plan(ctx: RuleContext, webhook: Any, fix: List[Any]) -> Plan:
    """`fix` (the port patch, when there is one), then what re-creates the Service; deleting the
    configuration only as the alternative for a control plane removed on purpose."""
    ref = webhook.service
    ops = fix + [
        inspect(
            ObjectRef("Service", ref.name, ref.namespace), "get", "service", ref.name, "-n", ref.namespace, "-o", "wide"
        )
    ]
    if webhook.mesh == "istio":
        rev = webhook.target_revision or "default"
        running = sorted(_running_istio_revisions(ctx))
        ops += [
            external(
                "istioctl tag set %s --revision %s --overwrite"
                % (webhook.tag or "default", running[0] if running else "<running revision>"),
                why="if this is a revision tag",
            ),
            external(
                "istioctl install" if rev == "default" else "istioctl install --set revision=%s" % rev,
                why="or helm upgrade of istiod: re-creates Service %s" % ref.name,
            ),
        ]
    elif webhook.mesh == "linkerd":
        ops.append(
            external(
                "linkerd upgrade", into=("apply", "-f", "-"), why="or helm upgrade linkerd-control-plane --reuse-values"
            )
        )
    target = mwc_target(webhook)
    return Plan(
        "manual",
        target,
        ops,
        reason="point the webhooks at a Service that exists",
        alternatives=[
            Plan(
                "manual",
                target,
                [delete(target, why="only if the control plane it belongs to was removed on purpose")],
                reason="delete the configuration",
            )
        ],
    )


# ---- SI203 ----------------------------------------------------------------------------------------


@rule(codes=["SI203"], needs=["mutatingwebhookconfigurations"])
def webhook_fail_open(ctx: RuleContext) -> Iterator[Finding]:
    """failurePolicy Ignore on an active injector webhook: any error calling the injector (down, TLS,
    network, timeout) admits the pod without a sidecar, visible only in the API server's log."""
    for hooks in by_config([w for w in live_injectors(ctx) if w.failure_policy == "Ignore"]):
        webhook = hooks[0]
        default = (
            " (Linkerd's default webhookFailurePolicy; its HA values use Fail)" if webhook.mesh == "linkerd" else ""
        )
        if webhook.mesh == "linkerd":
            persistent = external(
                "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n %s --reuse-values "
                "--set webhookFailurePolicy=Fail" % (webhook.service.namespace if webhook.service else "linkerd"),
                why="so the next upgrade keeps it",
            )
        else:
            persistent = note(
                "Istio renders failurePolicy Fail; re-render the MWC (helm upgrade istiod / istioctl install)"
            )
        yield Finding(
            code="SI203",
            kind=MWC,
            name=webhook.config,
            mesh=webhook.mesh,
            message="webhook(s) %s fail open: when the injector cannot be called, pods start without a sidecar "
            "and nothing but the API server log records it%s" % (", ".join(w.name for w in hooks), default),
            evidence=[evidence(mwc_ref(w), hook_field(w, "failurePolicy"), "Ignore") for w in hooks],
            plan=Plan(
                "set_webhook",
                mwc_target(webhook),
                [note("first make sure the injector's own namespace and kube-system are excluded (SI209), then:")]
                # fail closed: while the injector is down, pods in the selected namespaces are not created
                + set_hooks(ctx, hooks, "failurePolicy", "Fail", risk="disruptive")
                + [persistent],
                reason="fail closed instead of starting pods without a sidecar",
            ),
            affects=webhook_affects(ctx, hooks),
        )


# ---- SI204 ----------------------------------------------------------------------------------------


DEFAULT_WEBHOOK_TIMEOUT = 10  # admissionregistration/v1 timeoutSeconds default


@rule(codes=["SI204"], needs=["mutatingwebhookconfigurations"], uses=["events"])
def webhook_timeout_low(ctx: RuleContext) -> Iterator[Finding]:
    """timeoutSeconds below Options.webhook_timeout_floor, or events showing calls to the webhook that
    timed out (the API server waits timeoutSeconds, default 10, maximum 30). One finding per MWC."""
    floor = ctx.options.webhook_timeout_floor
    timeouts: Dict[str, List[Tuple[Dict[str, Any], Dict[str, Any]]]] = {}
    if ctx.view.has("events"):
        for event, parsed in rejections(ctx):
            if parsed["kind"] == "webhook-call-failed" and parsed["class"] == "timeout":
                for webhook in webhooks_named(ctx, parsed["webhook"], parsed["url"]):
                    timeouts.setdefault(webhook.key, []).append((event, parsed))
    # Calls timing out at Kubernetes' default of 10 s or more say the injector is unreachable or stuck,
    # not that the timeout is low: raising it changes nothing (the SI30x findings name the cause).
    flagged = [
        w
        for w in live_injectors(ctx)
        if w.timeout_seconds < floor or (timeouts.get(w.key) and w.timeout_seconds < DEFAULT_WEBHOOK_TIMEOUT)
    ]
    for hooks in by_config(flagged):
        webhook = hooks[0]
        observed = [item for w in hooks for item in timeouts.get(w.key, [])]
        low = [w for w in hooks if w.timeout_seconds < floor]
        ev = [evidence(mwc_ref(w), hook_field(w, "timeoutSeconds"), w.timeout_seconds) for w in hooks]
        ev += event_evidence(observed)
        parts = []
        if low:
            parts.append(
                "timeoutSeconds %s is below the floor of %d"
                % ("/".join(sorted({str(w.timeout_seconds) for w in low})), floor)
            )
        if observed:
            parts.append("%d event(s) show calls timing out after %ds" % (len(observed), webhook.timeout_seconds))
        target = max(floor, 10)
        ops = set_hooks(ctx, [w for w in hooks if w.timeout_seconds < target], "timeoutSeconds", target)
        if ops and webhook.mesh == "linkerd":
            ops.append(
                external(
                    "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n %s --reuse-values "
                    "--set proxyInjector.timeoutSeconds=%d"
                    % (webhook.service.namespace if webhook.service else "linkerd", target),
                    why="so the next upgrade keeps it",
                )
            )
        if observed:
            ops.append(
                note(
                    "calls that time out at a sane timeout mean the injector is unreachable or overloaded: "
                    "see SI301/SI302/SI304/SI305 for this webhook"
                )
            )
        yield Finding(
            code="SI204",
            kind=MWC,
            name=webhook.config,
            mesh=webhook.mesh,
            message="webhook(s) %s: %s" % (", ".join(w.name for w in hooks), "; ".join(parts)),
            evidence=ev,
            # timing out at a sane timeout: nothing to set here, the cause is elsewhere (a manual plan)
            plan=Plan(
                "set_webhook" if any(op.mutates for op in ops) else "manual",
                mwc_target(webhook),
                ops,
                reason="give the injector time to answer",
            ),
            affects=merge_affects(webhook_affects(ctx, hooks), event_affects(ctx, observed)),
        )


# ---- SI205 ----------------------------------------------------------------------------------------


def _rules_text(webhook: Any) -> str:
    return (
        "; ".join(
            "operations=%s apiGroups=%s apiVersions=%s resources=%s scope=%s"
            % (
                ",".join(r.get("operations") or []),
                ",".join(repr(g) for g in r.get("apiGroups") or []),
                ",".join(r.get("apiVersions") or []),
                ",".join(r.get("resources") or []),
                r.get("scope", "*"),
            )
            for r in webhook.rules
        )
        or "no rules"
    )


@rule(codes=["SI205"], needs=["mutatingwebhookconfigurations"])
def webhook_rules_exclude_pods(ctx: RuleContext) -> Iterator[Finding]:
    """An injector webhook (not deactivated) whose rules do not match CREATE of core v1 pods: the API
    server never sends it a pod. One finding per MWC."""
    broken = [w for w in live_injectors(ctx, active=False) if not w.deactivated and not w.intercepts_pod_create]
    pod_rule = [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]
    for hooks in by_config(broken):
        webhook = hooks[0]
        yield Finding(
            code="SI205",
            kind=MWC,
            name=webhook.config,
            mesh=webhook.mesh,
            message="webhook(s) %s never see pods: their rules do not cover CREATE of v1 pods (%s)"
            % (", ".join(w.name for w in hooks), _rules_text(webhook)),
            evidence=[evidence(mwc_ref(w), hook_field(w, "rules"), _rules_text(w)) for w in hooks],
            plan=Plan(
                "manual",
                mwc_target(webhook),
                set_hooks(ctx, hooks, "rules", pod_rule)
                + [note("or re-render it from the mesh's chart (helm upgrade / istioctl install / linkerd upgrade)")],
                reason="send pod creates to the injector again",
            ),
            # it decides nothing now: every workload in the namespaces it should serve
            affects=namespaces_affects(ctx, [r.name for r in webhook_affects(ctx, hooks) if r.kind == "Namespace"]),
        )


# ---- SI206 ----------------------------------------------------------------------------------------

Requirement = Tuple[str, str, Tuple[str, ...]]


def requirements(selector: Optional[Dict[str, Any]]) -> Set[Requirement]:
    out: Set[Requirement] = set()
    for key, value in ((selector or {}).get("matchLabels") or {}).items():
        out.add((key, "In", (value,)))
    for expr in (selector or {}).get("matchExpressions") or []:
        out.add((expr.get("key") or "", expr.get("operator") or "", tuple(sorted(expr.get("values") or []))))
    return out


def _as_selector(reqs: Set[Requirement]) -> Dict[str, Any]:
    return {
        "matchExpressions": [
            {"key": k, "operator": o, "values": list(v)} if v else {"key": k, "operator": o} for k, o, v in sorted(reqs)
        ]
    }


def canonical_selectors(webhook: Any) -> Optional[List[Tuple[Set[Requirement], Set[Requirement]]]]:
    """The (namespaceSelector, objectSelector) requirement sets the mesh itself renders for this webhook;
    several when installers differ (Linkerd's CLI renders objectSelector null). None when unknown."""
    if webhook.mesh == "istio":
        rev = webhook.rev_values[0] if webhook.rev_values else "default"
        for raw in standard_istio_webhooks(rev, auto=True)["webhooks"]:
            if raw["name"] == webhook.name:
                return [(requirements(raw["namespaceSelector"]), requirements(raw["objectSelector"]))]
        return None
    if webhook.mesh == "linkerd":
        raw = standard_linkerd_webhooks()["webhooks"][0]
        ns_reqs = requirements(raw["namespaceSelector"])
        return [(ns_reqs, requirements(raw["objectSelector"])), (ns_reqs, set())]
    return None


def _satisfied(req: Requirement, obj_labels: Dict[str, str]) -> bool:
    key, operator, values = req
    return selectors.expression_matches({"key": key, "operator": operator, "values": list(values)}, obj_labels)


AKS_ENFORCER_OPT_OUT = "admissions.enforcer/disabled"
METADATA_NAME = "kubernetes.io/metadata.name"


def _aks_note(extra: List[Requirement]) -> str:
    if any(req[0] == "control-plane" for req in extra):
        return (
            " (the AKS admissions enforcer adds `control-plane DoesNotExist` to webhooks without the "
            "annotation admissions.enforcer/disabled=true)"
        )
    return ""


@rule(codes=["SI206"], needs=["mutatingwebhookconfigurations", "namespaces"])
def webhook_selector_modified(ctx: RuleContext) -> Iterator[Finding]:
    """The injector's selectors carry requirements the mesh does not render (AKS admissions enforcer,
    hand edits, custom values) and those requirements exclude namespaces that ask for injection."""
    view = ctx.view
    for webhook in live_injectors(ctx):
        variants = canonical_selectors(webhook)
        if not variants:
            continue
        actual_ns = requirements(webhook.namespace_selector)
        canonical_ns = variants[0][0]
        extra_ns = sorted(actual_ns - canonical_ns)
        excluded = []
        if extra_ns:
            for ns in view.items("namespaces"):
                if not asks_for(ns, webhook.mesh):
                    continue
                ns_labels = namespace_labels(view, name_of(ns))
                if not all(_satisfied(r, ns_labels) for r in canonical_ns):
                    continue  # the mesh's own selector does not pick it either: not this rule's business
                failing = [r for r in extra_ns if not _satisfied(r, ns_labels)]
                if failing:
                    excluded.append((name_of(ns), ns_labels, failing))
        if not excluded:
            continue
        extra_text = selectors.render(_as_selector(set(extra_ns)))
        ev = [
            evidence(
                mwc_ref(webhook), hook_field(webhook, "namespaceSelector"), selectors.render(webhook.namespace_selector)
            )
        ]
        for name, ns_labels, _failing in excluded[:MAX_EVIDENCE]:
            ev.append(
                evidence(
                    object_ref("Namespace", "", name),
                    "metadata.labels",
                    selectors.label_string({k: v for k, v in ns_labels.items() if k != "kubernetes.io/metadata.name"}),
                )
            )
        failing_all = sorted({r for entry in excluded for r in entry[2]})
        target = mwc_target(webhook)
        ops = []
        if any(req[0] == "control-plane" for req in failing_all):
            ops.append(
                set_annotation(
                    target,
                    AKS_ENFORCER_OPT_OUT,
                    "true",
                    annotations_of(view.get("mutatingwebhookconfigurations", "", webhook.config) or {}).get(
                        AKS_ENFORCER_OPT_OUT, ABSENT
                    ),
                    why="stop AKS from re-adding it",
                )
            )
        ops += set_hooks(ctx, [webhook], "namespaceSelector", _as_selector(canonical_ns))
        alternatives = []
        for name, ns_labels, failing in excluded[:MAX_EVIDENCE]:
            # Only a label the namespace carries can be the cause that removing it cures.
            for key in sorted({req[0] for req in failing if req[0] in ns_labels and req[0] != METADATA_NAME}):
                alternatives.append(
                    Plan(
                        "manual",
                        namespace_ref(name),
                        [remove_label(namespace_ref(name), key, ns_labels[key])],
                        reason="if the label is the cause and not needed: remove %s from namespace %s" % (key, name),
                    )
                )
        yield Finding(
            code="SI206",
            kind=MWC,
            name=webhook.config,
            mesh=webhook.mesh,
            message="webhook %s requires %s beyond %s's own selector, which excludes %d namespace(s) that ask "
            "for injection: %s%s"
            % (
                webhook.name,
                extra_text,
                MESH_TITLE[webhook.mesh],
                len(excluded),
                ", ".join(n for n, unused, unused in excluded[:MAX_EVIDENCE]),
                _aks_note(failing_all),
            ),
            evidence=ev,
            plan=Plan(
                "manual",
                target,
                ops,
                reason="restore %s's own selector" % MESH_TITLE[webhook.mesh],
                alternatives=alternatives,
            ),
            affects=namespaces_affects(ctx, [n for n, unused, unused in excluded]),
        )


# ---- SI207 ----------------------------------------------------------------------------------------


def _selects_some(webhook: Any, view: Any, namespaces: List[str]) -> List[str]:
    out = []
    for name in namespaces:
        if not selectors.matches(webhook.namespace_selector, namespace_labels(view, name)):
            continue
        pods = view.in_namespace("pods", name)
        if (
            webhook.object_selector
            and pods
            and not any(selectors.matches(webhook.object_selector, labels(p)) for p in pods)
        ):
            continue
        out.append(name)
    return out


@rule(codes=["SI207"], needs=["mutatingwebhookconfigurations"], uses=["namespaces", "validatingwebhookconfigurations"])
def webhook_ordering_conflict(ctx: RuleContext) -> Iterator[Finding]:
    """Another mutating webhook changes pods in meshed namespaces: it runs after the injector while the
    injector has reinvocationPolicy Never (so the injector never sees what it adds), or it has
    failurePolicy Fail and its Service has no ready endpoints (every pod create there fails)."""
    model, view = ctx.model, ctx.view
    if not model.webhooks_read:
        return
    meshed = sorted(meshed_namespaces(ctx))
    if not meshed:
        return
    injectors = live_injectors(ctx)
    order = {w.key: i for i, w in enumerate(model.webhooks)}
    for other in model.webhooks:
        if other.injector or other.mesh != "other" or not other.intercepts_pod_create:
            continue
        hit = _selects_some(other, view, meshed)
        if not hit:
            continue
        before = [w for w in injectors if order[w.key] < order[other.key] and w.reinvocation_policy == "Never"]
        ev_other = [
            evidence(mwc_ref(other), hook_field(other, "rules"), "CREATE pods"),
            evidence(mwc_ref(other), hook_field(other, "reinvocationPolicy"), other.reinvocation_policy),
        ]
        if before:
            ev = ev_other + [
                evidence(mwc_ref(w), hook_field(w, "reinvocationPolicy"), w.reinvocation_policy)
                for w in before[:MAX_EVIDENCE]
            ]
            injector = before[0]
            if injector.mesh == "istio":
                fix = external(
                    "helm upgrade istiod istio/istiod -n %s --reuse-values --set "
                    "sidecarInjectorWebhook.reinvocationPolicy=IfNeeded"
                    % (injector.service.namespace if injector.service else "istio-system"),
                    why="istioctl: --set values.sidecarInjectorWebhook.reinvocationPolicy=IfNeeded",
                )
            else:
                fix = note("Linkerd has no value for it: the patch above is undone by the next linkerd/helm upgrade")
            yield Finding(
                code="SI207",
                kind=MWC,
                name=other.config,
                mesh=injector.mesh,
                message="webhook %s (%s) mutates pods in meshed namespaces (%s) after the %s injector %s, whose "
                "reinvocationPolicy is Never: containers or settings it adds are never seen by the injector"
                % (other.name, other.config, ", ".join(hit[:MAX_EVIDENCE]), MESH_TITLE[injector.mesh], injector.name),
                evidence=ev,
                plan=Plan(
                    "manual",
                    mwc_target(injector),
                    set_hooks(ctx, before, "reinvocationPolicy", "IfNeeded") + [fix],
                    reason="let the injector see what %s adds" % other.name,
                ),
                affects=[r for r in webhook_affects(ctx, before) if (r.namespace or r.name) in hit]
                or namespaces_affects(ctx, hit),
            )
        if other.failure_policy == "Fail" and other.service is not None and view.has("services"):
            backend = model.injector_backends(other)
            if backend.service is None or not backend.selector:
                continue
            ready = [p for p in backend.pods if pod_ready(p)]
            if ready:
                continue
            yield Finding(
                code="SI207",
                kind=MWC,
                name=other.config,
                mesh="any",
                message="webhook %s has failurePolicy Fail and no ready pod behind Service %s/%s: every pod create "
                "in %s fails before the mesh injector can help"
                % (other.name, other.service.namespace, other.service.name, ", ".join(hit[:MAX_EVIDENCE])),
                evidence=ev_other[:1]
                + [
                    evidence(mwc_ref(other), hook_field(other, "failurePolicy"), "Fail"),
                    evidence(
                        object_ref("Service", other.service.namespace, other.service.name),
                        "spec.selector",
                        selectors.label_string(backend.selector),
                    ),
                    evidence(
                        object_ref("Pod", other.service.namespace, "*"),
                        "status.conditions[Ready]",
                        "%d matching pod(s), none ready" % len(backend.pods),
                    ),
                ],
                plan=Plan(
                    "manual",
                    ObjectRef("Service", other.service.name, other.service.namespace),
                    [
                        inspect(
                            ObjectRef("Service", other.service.name, other.service.namespace),
                            "get",
                            "pods",
                            "-n",
                            other.service.namespace,
                            "-l",
                            selectors.label_string(backend.selector),
                        ),
                        inspect(
                            namespace_ref(other.service.namespace),
                            "get",
                            "events",
                            "-n",
                            other.service.namespace,
                            "--field-selector",
                            "type=Warning",
                        ),
                        note(
                            "repair the webhook's backend: every pod create in these namespaces fails until one of "
                            "its pods is Ready"
                        ),
                    ],
                    reason="bring a pod behind %s back" % other.name,
                    alternatives=[
                        Plan(
                            "manual",
                            mwc_target(other),
                            set_hooks(ctx, [other], "failurePolicy", "Ignore", risk="weakens-safety"),
                            reason="let pods through while its backend is down (they then miss what %s adds)"
                            % other.name,
                        )
                    ],
                ),
                affects=namespaces_affects(ctx, hit),
            )


# ---- SI208 ----------------------------------------------------------------------------------------


def apiserver_flags(pod: Dict[str, Any]) -> Dict[str, str]:
    """--flag=value and --flag value pairs of the kube-apiserver container (command + args)."""
    flags: Dict[str, str] = {}
    for container in (pod.get("spec") or {}).get("containers") or []:
        tokens = list(container.get("command") or []) + list(container.get("args") or [])
        if len(tokens) == 1 and " " in tokens[0]:
            tokens = shlex.split(tokens[0])
        index = 0
        while index < len(tokens):
            token = str(tokens[index])
            if token.startswith("--"):
                if "=" in token:
                    key, value = token[2:].split("=", 1)
                elif index + 1 < len(tokens) and not str(tokens[index + 1]).startswith("-"):
                    key, value = token[2:], str(tokens[index + 1])
                    index += 1
                else:
                    key, value = token[2:], "true"
                flags[key] = value
            index += 1
    return flags


def _plugin_list(value: str) -> List[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def mutating_plugin_state(flags: Dict[str, str]) -> Optional[Tuple[bool, str, str]]:
    """(enabled, flag, value) for MutatingAdmissionWebhook, or None when the flags say nothing.
    It is on by default; --disable-admission-plugins removes it; the deprecated --admission-control
    is the complete list of enabled plugins."""
    if "disable-admission-plugins" in flags and "MutatingAdmissionWebhook" in _plugin_list(
        flags["disable-admission-plugins"]
    ):
        return False, "--disable-admission-plugins", flags["disable-admission-plugins"]
    if "admission-control" in flags and "MutatingAdmissionWebhook" not in _plugin_list(flags["admission-control"]):
        return False, "--admission-control", flags["admission-control"]
    for flag in ("enable-admission-plugins", "admission-control"):
        if flag in flags:
            return True, "--" + flag, flags[flag]
    return None


def _created(obj: Dict[str, Any]) -> str:
    return str(meta(obj).get("creationTimestamp") or "")


def _labels_changed(view: Any, namespace: str) -> str:
    """When the namespace's labels last changed (its managedFields; "" when unknown)."""
    ns = view.namespace(namespace) or {}
    times = [str(e.get("time") or "") for e in meta(ns).get("managedFields") or [] if isinstance(e, dict)]
    return max(times, default="")


@rule(codes=["SI208"], needs=["mutatingwebhookconfigurations", "pods"], uses=["events", "namespaces"])
def admission_plugin_disabled(ctx: RuleContext) -> Iterator[Finding]:
    """kube-apiserver without the MutatingAdmissionWebhook plugin: read from a visible static-pod
    manifest (error), or inferred (warning) when, with failurePolicy Fail, pods the injector would
    inject were created after the webhook without a sidecar and no pod created since carries one."""
    view = ctx.view
    for pod in kube_apiserver_pods(view):
        state = mutating_plugin_state(apiserver_flags(pod))
        if state is not None and not state[0]:
            _unused, flag, value = state
            yield Finding(
                code="SI208",
                kind="Pod",
                namespace="kube-system",
                name=name_of(pod),
                message="kube-apiserver runs without the MutatingAdmissionWebhook admission plugin (%s=%s): "
                "no mutating webhook, so no injector, is ever called" % (flag, value),
                evidence=[
                    evidence(
                        object_ref("Pod", "kube-system", name_of(pod)),
                        "spec.containers[0].command",
                        "%s=%s" % (flag, value),
                    )
                ],
                plan=Plan(
                    "manual",
                    ObjectRef("Pod", name_of(pod), "kube-system"),
                    [
                        note(
                            "edit /etc/kubernetes/manifests/kube-apiserver.yaml on each control-plane node: remove "
                            "MutatingAdmissionWebhook from %s (the kubelet restarts the static pod)" % flag
                        ),
                        inspect(
                            ObjectRef("Pod", name_of(pod), "kube-system"),
                            "get",
                            "pod",
                            name_of(pod),
                            "-n",
                            "kube-system",
                            "-o",
                            "jsonpath={.spec.containers[0].command}",
                        ),
                    ],
                    reason="run mutating admission webhooks again",
                ),
                # no injector is called at all: every workload an injector would decide
                affects=webhook_affects(ctx, live_injectors(ctx)),
            )
            return
    hooks = [w for w in live_injectors(ctx) if w.failure_policy == "Fail"]
    if not hooks:
        return
    configs = {name_of(c): c for c in view.items("mutatingwebhookconfigurations")}
    created = sorted(_created(configs[w.config]) for w in hooks if _created(configs.get(w.config, {})))
    if not created:
        return
    since = created[0]
    later = [v for v in ctx.verdicts if not v.template and not v.control_plane and _created(v.obj) > since]
    if any(v.injected for v in later):
        return  # some pod created after the webhook got its sidecar: admission works
    # a pod created before its namespace's labels last changed may predate its injection label: a
    # restart (SI604), not a skipped webhook, explains it
    missing = [
        v
        for v in later
        if v.should_inject and not v.injected and v.running and _created(v.obj) >= _labels_changed(view, v.namespace)
    ]
    if not missing:
        return
    config = hooks[0].config
    yield Finding(
        code="SI208",
        kind=MWC,
        name=config,
        mesh=hooks[0].mesh,
        severity="warning",
        message="%d pod(s) created after %s (failurePolicy Fail) would be injected but carry no sidecar, there was "
        "no webhook error, and no pod created since has one: the API server is probably not running "
        "mutating admission webhooks (inferred; the kube-apiserver flags are not visible)" % (len(missing), config),
        evidence=[evidence(object_ref(MWC, "", config), "metadata.creationTimestamp", since)]
        + [
            evidence(object_ref("Pod", v.namespace, v.name), "metadata.creationTimestamp", _created(v.obj))
            for v in missing[:MAX_EVIDENCE]
        ],
        plan=Plan(
            "manual",
            mwc_target(hooks[0]),
            [
                inspect(
                    namespace_ref(missing[0].namespace),
                    "run",
                    "sidecar-probe",
                    "-n",
                    missing[0].namespace,
                    "--image=registry.k8s.io/pause:3.9",
                    "--restart=Never",
                    "--dry-run=server",
                    "-o",
                    "yaml",
                    pipe="grep -E 'istio-proxy|linkerd-proxy'",
                    why="nothing stored; no output means no injector was called",
                ),
                note(
                    "ask the platform provider (managed) or check --enable/--disable-admission-plugins of "
                    "kube-apiserver (self-managed)"
                ),
            ],
            reason="find out whether the API server calls mutating webhooks",
        ),
        affects=merge_affects(webhook_affects(ctx, hooks), [workload_of(v) for v in missing]),
    )


# ---- SI209 ----------------------------------------------------------------------------------------

LINKERD_ADMISSION_WEBHOOKS = "config.linkerd.io/admission-webhooks"
# Labels that name a control-plane component, most specific first: the key the exclusion uses.
COMPONENT_LABELS = ("app", "app.kubernetes.io/name", "linkerd.io/control-plane-component", "istio")


def _exclude_pods(ctx: RuleContext, webhook: Any, pod_labels: Dict[str, str]) -> Any:
    """The webhook's objectSelector plus `<component label> NotIn (<its value>)`, tested against the
    selector the diagnosis saw (existing requirements are kept)."""
    key = next((k for k in COMPONENT_LABELS if k in pod_labels), "")
    if not key:
        return note("the injector pods carry no label to exclude them by: give them one, then exclude it")
    current = hook_value(ctx, webhook, "objectSelector")
    selector = dict(current) if isinstance(current, dict) else {}
    expressions = list(selector.get("matchExpressions") or [])
    expressions.append({"key": key, "operator": "NotIn", "values": [pod_labels[key]]})
    selector["matchExpressions"] = expressions
    return webhook_patch(webhook, "objectSelector", selector, current)


@rule(codes=["SI209"], needs=["mutatingwebhookconfigurations", "namespaces"], uses=["deployments", "pods", "services"])
def injector_bootstrap_deadlock(ctx: RuleContext) -> Iterator[Finding]:
    """A failurePolicy Fail injector webhook selects its own namespace and pods: while the injector is
    down, its replacement pods are sent to it, fail, and the injector never comes back. Or it selects
    kube-system: coredns, the CNI and kube-proxy pods the injector itself depends on cannot be
    recreated while it is down (linkerd/linkerd2#10817). Judged whether or not it is down now."""
    view, model = ctx.view, ctx.model
    for webhook in live_injectors(ctx):
        if webhook.failure_policy != "Fail" or webhook.service is None:
            continue
        if webhook.service.namespace != KUBE_SYSTEM:
            found = _kube_system_deadlock(ctx, webhook)
            if found is not None:
                yield found
        ns = webhook.service.namespace
        ns_labels = namespace_labels(view, ns)
        if not selectors.matches(webhook.namespace_selector, ns_labels):
            continue
        backend = model.injector_backends(webhook)
        pods = pseudo_pods(backend, ns)
        caught = [p for p in pods if selectors.matches(webhook.object_selector, labels(p))]
        if not caught:
            continue
        pod = caught[0]
        ev = _fail_closed_catches(webhook, ns, ns_labels, pod)
        ns_obj = namespace_ref(ns)
        if webhook.mesh == "linkerd":
            ops = [
                set_label(
                    ns_obj,
                    LINKERD_ADMISSION_WEBHOOKS,
                    "disabled",
                    ns_labels.get(LINKERD_ADMISSION_WEBHOOKS, ABSENT),
                    why="Linkerd's webhook skips namespaces labelled so",
                )
            ]
        elif webhook.mesh == "istio":
            ops = [
                remove_label(ns_obj, key, ns_labels[key], why="the control-plane namespace must not ask for injection")
                for key in ("istio-injection", "istio.io/rev")
                if key in ns_labels
            ]
            ops.append(
                note(
                    "istiod pods carry sidecar.istio.io/inject=false; restore it on the Deployment template if "
                    "it was removed"
                )
            )
        else:
            ops = []
        exclude = _exclude_pods(ctx, webhook, labels(pod))
        alternatives = [Plan("manual", mwc_target(webhook), [exclude], reason="exclude the injector pods by label")]
        if not ops:
            ops, alternatives = [exclude], []
        backend_refs = [ObjectRef("Deployment", name_of(d), ns) for d in backend.deployments]
        yield Finding(
            code="SI209",
            kind=MWC,
            name=webhook.config,
            mesh=webhook.mesh,
            message="webhook %s (failurePolicy Fail) selects its own injector: namespace %s and pod %s match, so "
            "when the injector is down its own pods cannot be created" % (webhook.name, ns, name_of(pod)),
            evidence=ev,
            plan=Plan(
                "manual",
                ns_obj if webhook.mesh in ("istio", "linkerd") else mwc_target(webhook),
                ops,
                reason="keep the injector out of its own webhook",
                alternatives=alternatives,
            ),
            # the injector itself, and while it is down everything it decides
            affects=merge_affects(backend_refs, webhook_affects(ctx, [webhook])),
        )


KUBE_SYSTEM = "kube-system"


def _fail_closed_catches(webhook: Any, ns: str, ns_labels: Dict[str, str], pod: Dict[str, Any]) -> List[Dict[str, Any]]:
    """SI209's evidence: the Fail webhook, its selectors, and the namespace and pod they match."""
    own_labels = {k: v for k, v in ns_labels.items() if k != "kubernetes.io/metadata.name"}
    return [
        evidence(mwc_ref(webhook), hook_field(webhook, "failurePolicy"), "Fail"),
        evidence(
            mwc_ref(webhook), hook_field(webhook, "namespaceSelector"), selectors.render(webhook.namespace_selector)
        ),
        evidence(mwc_ref(webhook), hook_field(webhook, "objectSelector"), selectors.render(webhook.object_selector)),
        evidence(object_ref("Namespace", "", ns), "metadata.labels", selectors.label_string(own_labels)),
        evidence(object_ref("Pod", ns, name_of(pod)), "metadata.labels", selectors.label_string(labels(pod))),
    ]


def _kube_system_pods(ctx: RuleContext) -> List[Dict[str, Any]]:
    """kube-system's pods, and the templates of its workloads standing in for pods not yet created."""
    pods = [p for p in ctx.view.items("pods") if (p.get("metadata") or {}).get("namespace") == KUBE_SYSTEM]
    for resource in ("deployments", "daemonsets", "statefulsets"):
        for workload in ctx.view.items(resource):
            if (workload.get("metadata") or {}).get("namespace") != KUBE_SYSTEM:
                continue
            meta = dict((((workload.get("spec") or {}).get("template") or {}).get("metadata")) or {})
            meta["name"] = "%s (pod template)" % name_of(workload)
            pods.append({"metadata": meta})
    return pods


def _kube_system_deadlock(ctx: RuleContext, webhook: Any) -> Optional[Finding]:
    """SI209 for kube-system: the namespace (present in the snapshot) and one of its pods selected."""
    if ctx.view.namespace(KUBE_SYSTEM) is None:
        return None  # filtered out of the snapshot: nothing to judge
    ns_labels = namespace_labels(ctx.view, KUBE_SYSTEM)
    if not selectors.matches(webhook.namespace_selector, ns_labels):
        return None
    caught = [p for p in _kube_system_pods(ctx) if selectors.matches(webhook.object_selector, labels(p))]
    if not caught:
        return None
    pod = caught[0]
    ns_obj = namespace_ref(KUBE_SYSTEM)
    current = hook_value(ctx, webhook, "namespaceSelector")
    selector = dict(current) if isinstance(current, dict) else {}
    selector["matchExpressions"] = list(selector.get("matchExpressions") or []) + [
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": [KUBE_SYSTEM]}
    ]
    exclude = webhook_patch(webhook, "namespaceSelector", selector, current)
    if webhook.mesh == "linkerd":
        ops = [
            set_label(
                ns_obj,
                LINKERD_ADMISSION_WEBHOOKS,
                "disabled",
                ns_labels.get(LINKERD_ADMISSION_WEBHOOKS, ABSENT),
                why="Linkerd's webhook skips namespaces labelled so (its chart labels kube-system so)",
            )
        ]
        plan = Plan(
            "manual",
            ns_obj,
            ops,
            reason="keep kube-system out of the injector's webhook",
            alternatives=[Plan("manual", mwc_target(webhook), [exclude], reason="exclude kube-system by name")],
        )
    else:
        ops = [
            remove_label(ns_obj, key, ns_labels[key], why="kube-system must not ask for injection")
            for key in ("istio-injection", "istio.io/rev")
            if key in ns_labels
        ]
        if ops:
            plan = Plan(
                "manual",
                ns_obj,
                ops,
                reason="keep kube-system out of the injector's webhook",
                alternatives=[Plan("manual", mwc_target(webhook), [exclude], reason="exclude kube-system by name")],
            )
        else:
            plan = Plan("manual", mwc_target(webhook), [exclude], reason="exclude kube-system by name")
    return Finding(
        code="SI209",
        kind=MWC,
        name=webhook.config,
        mesh=webhook.mesh,
        message="webhook %s (failurePolicy Fail) selects kube-system: namespace kube-system and pod %s match, so "
        "while the injector is down kube-system pods (DNS, CNI, kube-proxy) cannot be created, and the injector "
        "may need them to come back" % (webhook.name, name_of(pod)),
        evidence=_fail_closed_catches(webhook, KUBE_SYSTEM, ns_labels, pod),
        plan=plan,
        # kube-system's workloads, and while the injector is down everything it decides
        affects=merge_affects(namespaces_affects(ctx, [KUBE_SYSTEM]), webhook_affects(ctx, [webhook])),
    )


# ---- SI210 ----------------------------------------------------------------------------------------


@rule(codes=["SI210"], needs=["mutatingwebhookconfigurations", "deployments", "pods"])
def webhook_revision_orphaned(ctx: RuleContext) -> Iterator[Finding]:
    """An active Istio injector webhook whose MWC label istio.io/rev names no running istiod revision:
    istiod only patches the caBundle of MWCs labelled with its own revision, so this one goes stale."""
    if ctx.model.istio is None:
        return
    running = _running_istio_revisions(ctx)
    seen = set()
    hooks_of: Dict[str, List[Any]] = {}
    for webhook in live_injectors(ctx, mesh="istio"):
        if not webhook.url and webhook.service is not None:
            hooks_of.setdefault(webhook.config, []).append(webhook)
    for webhook in live_injectors(ctx, mesh="istio"):
        if webhook.url or webhook.config in seen:
            continue  # remote/external control planes set caBundle and url themselves
        seen.add(webhook.config)
        if webhook.revision in running:
            continue
        if webhook.revision and webhook.revision in ctx.model.istio.revisions:
            continue  # its istiod exists but is down: SI301 says so; the label is not orphaned
        legacy = ctx.model.istio.revisions.get(webhook.target_revision)
        if not webhook.revision and legacy is not None and legacy.legacy:
            continue  # Istio <= 1.5: no istio.io/rev labels yet; its injector patches this caBundle itself
        label = webhook.revision or "<none>"
        hooks = hooks_of.get(webhook.config, [webhook])
        yield Finding(
            code="SI210",
            kind=MWC,
            name=webhook.config,
            mesh="istio",
            message="%s carries istio.io/rev=%s but no istiod of that revision runs (running: %s): nobody keeps "
            "its caBundle current" % (webhook.config, label, ", ".join(sorted(running)) or "none"),
            evidence=[evidence(mwc_ref(webhook), "metadata.labels[istio.io/rev]", label)],
            plan=_orphan_plan(ctx, webhook, hooks, running),
            affects=webhook_affects(ctx, hooks),
        )


def _orphan_plan(ctx: RuleContext, webhook: Any, hooks: List[Any], running: Dict[str, Any]) -> Plan:
    """Re-sync the bundle now from the running revision's mesh root and relabel the configuration so
    that istiod keeps it current; deleting it is the alternative."""
    target = mwc_target(webhook)
    drop = Plan("manual", target, [delete(target, why="if no namespace should use it any more")], reason="delete it")
    if not running:
        # No istiod runs at all: there is no mesh root to trust and no revision to hand it to.
        return Plan(
            "manual",
            target,
            [note("no istiod revision runs: install one (or restore the one this configuration belongs to)")],
            reason="run an istiod for it",
            alternatives=[drop],
        )
    revision = sorted(running)[0]
    source, key = istio_ca_source(ctx, running[revision].namespace)
    ops = []
    if webhook.tag:
        ops.append(external("istioctl tag set %s --revision %s --overwrite" % (webhook.tag, revision)))
    ops += [
        resync_from(hooks, source, key, why="the mesh root of revision %s" % revision),
        set_label(
            target,
            "istio.io/rev",
            revision,
            webhook.config_labels.get("istio.io/rev", ABSENT),
            why="then istiod %s keeps its caBundle current" % revision,
        ),
    ]
    return Plan("resync_ca", target, ops, reason="hand it to istiod %s" % revision, alternatives=[drop])
