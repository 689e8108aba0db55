# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI5xx: admission that rejects the pod after the injector changed it.

kube-apiserver runs the mutating phase (LimitRanger defaults, then the mutating webhooks, i.e. the
injector) and then the validating phase (LimitRanger limits, PodSecurity, validating webhooks,
ResourceQuota) on the injected pod. So the containers the injector adds get no LimitRange defaults,
but are checked against LimitRange min/max, Pod Security levels and quotas (requests default to limits
when only limits are set, as API defaulting runs again after a webhook patch).
Static checks predict the rejection from labels, quotas and the injector's sidecar resources; event
checks quote the API server's actual rejection.

Every SI5xx is manual (catalogue). The plans carry the concrete changes: sidecar requests/limits
that fit the quota or LimitRange (Istio pod-template annotations, Linkerd namespace annotations,
mesh-wide Helm values as the alternative), the mesh CNI install, the read-only checks. Namespace
findings affect the namespace and the workloads whose injected pods it rejects; SI504 the workloads
its injector serves.
"""

from __future__ import annotations

import shlex
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import (
    admission_errors as webhook_errors,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import quantities as q
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import (
    Finding,
    evidence,
    object_ref,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.kubectl import pointer, resource_name
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    Operation,
    Plan,
    external,
    inspect,
    note,
    set_annotation,
    set_label,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import annotations as annotations_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import Verdict
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.controlplane import (
    MAX_EVIDENCE,
    MESH_TITLE,
    event_evidence,
    event_namespace,
    is_injector_name,
    meshed_namespaces,
    rejections,
    served_by,
    validating_webhook_names,
    webhooks_named,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import (
    RECREATE_NOTE,
    current,
    index,
    meshed_scope,
    template_ops,
    workload_ref,
)

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
# Istio chart defaults (manifests/charts/istio-control/istio-discovery values global.proxy.resources); the
# injection template gives istio-init the same resources as istio-proxy.
ISTIO_DEFAULT_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "2000m", "memory": "1024Mi"},
}
ISTIO_ANNOTATIONS = {
    ("requests", "cpu"): "sidecar.istio.io/proxyCPU",
    ("requests", "memory"): "sidecar.istio.io/proxyMemory",
    ("limits", "cpu"): "sidecar.istio.io/proxyCPULimit",
    ("limits", "memory"): "sidecar.istio.io/proxyMemoryLimit",
}
# Linkerd chart defaults (charts/linkerd-control-plane/values.yaml): proxy.resources all unset,
# proxyInit.resources cpu 100m/100m, memory 20Mi/20Mi.
LINKERD_INIT_DEFAULT = {"cpu": {"request": "100m", "limit": "100m"}, "memory": {"request": "20Mi", "limit": "20Mi"}}
LINKERD_ANNOTATIONS = {
    ("requests", "cpu"): "config.linkerd.io/proxy-cpu-request",
    ("limits", "cpu"): "config.linkerd.io/proxy-cpu-limit",
    ("requests", "memory"): "config.linkerd.io/proxy-memory-request",
    ("limits", "memory"): "config.linkerd.io/proxy-memory-limit",
}

Resources = Dict[str, Dict[str, Decimal]]  # {"requests": {"cpu": ...}, "limits": {...}}

APPLY_STDIN = ("apply", "-f", "-")  # `<tool> ... | kubectl apply -f -`: the kubectl half is rendered


# ---- the containers the injector adds ------------------------------------------------------------


def _defaulted(requests: Dict[str, Decimal], limits: Dict[str, Decimal]) -> Resources:
    """API defaulting: a resource with a limit and no request gets request = limit."""
    out_requests = dict(requests)
    for key, value in limits.items():
        out_requests.setdefault(key, value)
    return {"requests": out_requests, "limits": dict(limits)}


def _istio_resources(ctx: RuleContext, revision: str, annos: Dict[str, str]) -> Tuple[Resources, str]:
    if any(a in annos for a in ISTIO_ANNOTATIONS.values()):
        requests: Dict[str, Decimal] = {}
        limits: Dict[str, Decimal] = {}
        for (section, resource), annotation in ISTIO_ANNOTATIONS.items():
            value = q.try_parse(annos.get(annotation))
            if value is not None:
                (requests if section == "requests" else limits)[resource] = value
        return _defaulted(requests, limits), "pod annotations sidecar.istio.io/proxy*"
    istio = ctx.model.istio
    config = istio.injector_for(revision) if istio is not None else None
    if config is not None and config.proxy_resources:
        raw = config.proxy_resources
        source = "ConfigMap %s values global.proxy.resources" % config.name
    else:
        raw, source = ISTIO_DEFAULT_RESOURCES, "Istio chart defaults"
    return _defaulted(q.resource_list(raw.get("requests")), q.resource_list(raw.get("limits"))), source


def _linkerd_resources(raw: Dict[str, Any], annos: Dict[str, str], table: Dict[Tuple[str, str], str]) -> Resources:
    requests: Dict[str, Decimal] = {}
    limits: Dict[str, Decimal] = {}
    for (section, resource), annotation in table.items():
        key = "request" if section == "requests" else "limit"
        value = q.try_parse(annos.get(annotation)) if annotation else None
        if value is None:
            value = q.try_parse((raw.get(resource) or {}).get(key))
        if value is not None:
            (requests if section == "requests" else limits)[resource] = value
    return _defaulted(requests, limits)


def sidecar_containers(
    ctx: RuleContext, mesh: str, revision: str, annos: Dict[str, str], ns_annos: Dict[str, str]
) -> List[Dict[str, Any]]:
    """[{name, init, resources, source}] for the containers the injector adds to a pod with these
    annotations (Linkerd also reads config.linkerd.io/* from the namespace)."""
    if mesh == "istio":
        resources, source = _istio_resources(ctx, revision, annos)
        istio = ctx.model.istio
        config = istio.injector_for(revision) if istio is not None else None
        init = "istio-validation" if config is not None and config.cni_enabled else "istio-init"
        return [
            {"name": "istio-proxy", "init": False, "resources": resources, "source": source},
            {"name": init, "init": True, "resources": resources, "source": source},
        ]
    linkerd = ctx.model.linkerd
    values = linkerd.values if linkerd is not None else {}
    merged = dict(ns_annos, **annos)
    proxy = _linkerd_resources((linkerd.proxy_resources if linkerd else {}) or {}, merged, LINKERD_ANNOTATIONS)
    out = [
        {
            "name": "linkerd-proxy",
            "init": False,
            "resources": proxy,
            "source": "linkerd-config values proxy.resources and config.linkerd.io/proxy-* annotations",
        }
    ]
    if not (linkerd and linkerd.cni_enabled):
        init_raw = (values.get("proxyInit") or {}).get("resources") or LINKERD_INIT_DEFAULT
        out.append(
            {
                "name": "linkerd-init",
                "init": True,
                "resources": _linkerd_resources(init_raw, {}, {k: "" for k in LINKERD_ANNOTATIONS}),
                "source": "linkerd-config values proxyInit.resources",
            }
        )
    return out


Subject = Tuple[str, str, Dict[str, str], Optional[Verdict]]


def _subjects(ctx: RuleContext, namespace: str, mesh: str) -> List[Subject]:
    """(what, revision, template annotations, template verdict) for the distinct sidecar configurations
    new pods in `namespace` would get: each workload template that should be injected, or a plain pod
    (no verdict)."""
    out: List[Subject] = []
    seen: Set[Tuple[str, Tuple[Tuple[str, str], ...]]] = set()
    for verdict in ctx.verdicts:
        if not verdict.template or verdict.namespace != namespace or verdict.mesh != mesh or not verdict.should_inject:
            continue
        tmpl = ((verdict.obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
        annos = {
            k: v
            for k, v in (tmpl.get("annotations") or {}).items()
            if k in ISTIO_ANNOTATIONS.values() or k in LINKERD_ANNOTATIONS.values()
        }
        key = (verdict.revision, tuple(sorted(annos.items())))
        if key in seen:
            continue
        seen.add(key)
        out.append(("%s %s/%s" % (verdict.kind, namespace, verdict.name), verdict.revision, annos, verdict))
    if not out:
        ns = ctx.view.namespace(namespace) or {}
        rev = labels(ns).get("istio.io/rev", "default") if mesh == "istio" else ""
        istio = ctx.model.istio
        if mesh == "istio" and istio is not None:
            rev = istio.resolve(rev) or rev
        out.append(("a new pod in %s" % namespace, rev, {}, None))
    return out


def _fmt(resource: str, value: Decimal) -> str:
    return q.format_resource(resource, value)


def _resources_text(resources: Resources) -> str:
    parts = []
    for section in ("requests", "limits"):
        for key, value in sorted(resources[section].items()):
            parts.append("%s.%s=%s" % (section, key, _fmt(key, value)))
    return ", ".join(parts) or "no requests or limits"


Changes = Dict[Tuple[str, str], Decimal]  # (section, resource) -> new value


def _clamped(resources: Resources, section: str, resource: str, value: Decimal) -> Changes:
    """Set one request or limit, moving the other side along so that request <= limit stays true."""
    changes = {(section, resource): value}
    if section == "limits" and resources["requests"].get(resource, value) > value:
        changes[("requests", resource)] = value
    if section == "requests" and resources["limits"].get(resource, value) < value:
        changes[("limits", resource)] = value
    return changes


def _rounded(resource: str, value: Decimal, rounding: str) -> Decimal:
    """To whole millicores, or whole Mi of memory: a value the sidecar can be given."""
    unit = Decimal("0.001") if q.resource_kind(resource) == "cpu" else Decimal(2**20)
    return (value / unit).to_integral_value(rounding=rounding) * unit


def _istio_helm(ctx: RuleContext, revision: str, changes: Changes) -> Operation:
    """The revision's mesh-wide sidecar resources (values global.proxy.resources) with Helm."""
    istio = ctx.model.istio
    config = istio.injector_for(revision) if istio is not None else None
    release = "istiod" if revision in ("", "default") else "istiod-%s" % revision
    words = ["helm", "upgrade", release, "istio/istiod", "-n", config.namespace if config else "istio-system"]
    words.append("--reuse-values")
    for (section, resource), value in sorted(changes.items()):
        words += ["--set", "global.proxy.resources.%s.%s=%s" % (section, resource, _fmt(resource, value))]
    return external(
        " ".join(shlex.quote(w) for w in words), why="every pod revision %s injects" % (revision or "default")
    )


def _linkerd_helm(ctx: RuleContext, values: str, changes: Changes) -> Operation:
    namespace = ctx.model.linkerd.namespace if ctx.model.linkerd is not None else "linkerd"
    words = ["helm", "upgrade", "linkerd-control-plane", "linkerd/linkerd-control-plane", "-n", namespace]
    words.append("--reuse-values")
    for (section, resource), value in sorted(changes.items()):
        key = "request" if section == "requests" else "limit"
        words += ["--set", "%s.%s.%s=%s" % (values, resource, key, _fmt(resource, value))]
    return external(" ".join(shlex.quote(w) for w in words), why="mesh-wide")


def _sidecar_plan(
    ctx: RuleContext,
    mesh: str,
    namespace: str,
    subject: Subject,
    containers: List[Dict[str, Any]],
    changes: Dict[str, Changes],
    fallback: ObjectRef,
    lead: List[Operation],
    reason: str,
) -> Plan:
    """Give the injected containers the `changes` ({container name: changes}): Istio per workload with
    the pod-template annotations (once any is set istiod ignores the mesh-wide resources, so all four
    are set), Linkerd per namespace with the proxy annotations (each overrides one value) and with the
    Helm value for linkerd-init (no annotation exists); the mesh-wide Helm values as the alternative."""
    if not any(changes.values()):
        return Plan("manual", fallback, lead, reason=reason)
    annos, verdict = subject[2], subject[3]
    by_name = {c["name"]: c for c in containers}
    if mesh == "istio":
        merged: Changes = {}
        for item in changes.values():
            merged.update(item)
        proxy = by_name.get("istio-proxy") or containers[0]
        wanted = {k: dict(v) for k, v in proxy["resources"].items()}
        for (section, resource), value in merged.items():
            wanted[section][resource] = value
        keys = (
            sorted(merged)
            if annos
            else [(section, resource) for section in ("requests", "limits") for resource in sorted(wanted[section])]
        )
        settings = [(ISTIO_ANNOTATIONS[k], _fmt(k[1], wanted[k[0]][k[1]])) for k in keys if k in ISTIO_ANNOTATIONS]
        ops: List[Operation] = []
        target = fallback
        if verdict is not None and settings:
            # one patch per annotation, and the rollout check (or pod re-creation) once, after the last
            groups = [template_ops(index(ctx), verdict, "annotations", key, value) for key, value in settings]
            changed = [op for group in groups for op in group if op.scope == "template"]
            if changed:
                ops = changed + [op for op in groups[-1] if op.scope != "template"]
            else:
                ops = [op for group in groups for op in group]
            target = workload_ref(verdict)
        elif settings:
            ops = [note("per workload: pod template annotations %s" % ", ".join('%s: "%s"' % s for s in settings))]
        alternative = Plan("manual", fallback, [_istio_helm(ctx, subject[1], merged)], reason="mesh-wide, with Helm")
        return Plan("manual", target, lead + ops, reason=reason, alternatives=[alternative])
    ns_target = namespace_ref(namespace)
    ns_annos = annotations_of(ctx.view.namespace(namespace) or {})
    ops = list(lead)
    proxy_changes = changes.get("linkerd-proxy") or {}
    for (section, resource), value in sorted(proxy_changes.items()):
        key = LINKERD_ANNOTATIONS.get((section, resource), "")
        if key:
            ops.append(
                set_annotation(
                    ns_target,
                    key,
                    _fmt(resource, value),
                    current(ns_annos, key),
                    why="read by the injector for new pods",
                )
            )
    if changes.get("linkerd-init"):
        ops.append(_linkerd_helm(ctx, "proxyInit.resources", changes["linkerd-init"]))
    alternatives = (
        [
            Plan(
                "manual",
                fallback,
                [_linkerd_helm(ctx, "proxy.resources", proxy_changes)],
                reason="mesh-wide, with Helm",
            )
        ]
        if proxy_changes
        else []
    )
    return Plan("manual", ns_target if proxy_changes else fallback, ops, reason=reason, alternatives=alternatives)


# ---- SI501 ----------------------------------------------------------------------------------------

BASELINE_CAPS = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}


def _cni_mode(ctx: RuleContext, mesh: str, revision: str) -> bool:
    if mesh == "linkerd":
        return bool(ctx.model.linkerd and ctx.model.linkerd.cni_enabled)
    istio = ctx.model.istio
    config = istio.injector_for(revision) if istio is not None else None
    if config is not None:
        return config.cni_enabled
    return bool(istio and istio.ambient.cni)


@rule(
    codes=["SI501"],
    needs=["namespaces"],
    uses=["events", "pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def pod_security_blocks_init(ctx: RuleContext) -> Iterator[Finding]:
    """Meshed namespaces whose Pod Security enforce level (baseline, restricted) forbids the NET_ADMIN /
    NET_RAW traffic-redirect init container the injector adds when the mesh CNI is not used; and
    events where Pod Security, PSP, SCC or a policy engine rejected a mesh container."""
    view = ctx.view
    meshed = meshed_namespaces(ctx)
    for ns_name in sorted(meshed):
        ns = view.namespace(ns_name)
        level = labels(ns or {}).get(PSA_ENFORCE, "")
        if level not in ("baseline", "restricted"):
            continue
        for mesh in meshed[ns_name]:
            subjects = _subjects(ctx, ns_name, mesh)
            revision = subjects[0][1]
            if _cni_mode(ctx, mesh, revision):
                continue
            init = "istio-init" if mesh == "istio" else "linkerd-init"
            version = labels(ns or {}).get(PSA_ENFORCE + "-version", "latest")
            yield Finding(
                code="SI501",
                kind="Namespace",
                name=ns_name,
                mesh=mesh,
                message='namespace %s enforces Pod Security "%s:%s", which forbids the %s init container the %s '
                "injector adds (capabilities NET_ADMIN, NET_RAW): every injected pod is rejected with "
                'violates PodSecurity (container "%s" must not include "NET_ADMIN", "NET_RAW" in '
                "securityContext.capabilities.add)" % (ns_name, level, version, init, MESH_TITLE[mesh], init),
                evidence=[evidence(object_ref("Namespace", "", ns_name), "metadata.labels[%s]" % PSA_ENFORCE, level)],
                plan=_psa_plan(ctx, mesh, ns_name),
                affects=meshed_scope(ctx, ns_name, mesh),
            )
    if not view.has("events"):
        return
    groups: Dict[Tuple[str, str], List[Tuple[Dict[str, Any], Dict[str, Any]]]] = {}
    for event, parsed in rejections(ctx):
        if parsed["kind"] in ("pod-security", "psp", "scc") and (
            webhook_errors.touches_mesh_proxy(parsed)
            or (
                parsed["kind"] in ("psp", "scc")
                and event_namespace(event) in meshed
                and webhook_errors.init_by_index_needs_mesh_privileges(parsed)
            )
        ):
            groups.setdefault((event_namespace(event), parsed["kind"]), []).append((event, parsed))
        elif (
            parsed["kind"] == "webhook-denied"
            and not is_injector_name(parsed["webhook"])
            and (webhook_errors.touches_mesh_init(parsed))
        ):
            groups.setdefault((event_namespace(event), "policy-engine %s" % parsed["webhook"]), []).append(
                (event, parsed)
            )
    for (ns_name, what), items in sorted(groups.items()):
        mesh = (
            "istio"
            if "istio-" in items[0][1]["message"]
            else "linkerd"
            if "linkerd-" in items[0][1]["message"]
            # PSP/SCC name the container by index: the namespace's own mesh, when it asks for one
            else meshed[ns_name][0]
            if len(meshed.get(ns_name) or []) == 1
            else "any"
        )
        yield Finding(
            code="SI501",
            kind="Namespace",
            name=ns_name,
            mesh=mesh,
            message="%s rejected %d injected pod(s) in %s because of the mesh containers: %s"
            % (
                what,
                sum(int(e.get("count") or 1) for e, unused in items),
                ns_name,
                items[0][1].get("reason") or items[0][1]["message"],
            ),
            evidence=event_evidence(items),
            plan=_psa_plan(ctx, mesh if mesh != "any" else "istio", ns_name),
            affects=meshed_scope(ctx, ns_name, None if mesh == "any" else mesh),
        )


def _psa_plan(ctx: RuleContext, mesh: str, namespace: str) -> Plan:
    """The mesh CNI replaces the privileged init container; letting the namespace run privileged pods
    is the weaker alternative (it weakens Pod Security for every pod there)."""
    if mesh == "linkerd":
        cni = [
            external("linkerd install-cni", why="or helm install linkerd2-cni linkerd/linkerd2-cni", into=APPLY_STDIN),
            external("linkerd upgrade --linkerd-cni-enabled", why="Helm: --set cniEnabled=true", into=APPLY_STDIN),
        ]
    else:
        cni = [
            external(
                "istioctl install --set components.cni.enabled=true",
                why="Helm: install istio/cni and set pilot.cni.enabled=true (no NET_ADMIN init container; required "
                "on OpenShift)",
            )
        ]
    target = namespace_ref(namespace)
    ns_labels = labels(ctx.view.namespace(namespace) or {})
    privileged = set_label(target, PSA_ENFORCE, "privileged", current(ns_labels, PSA_ENFORCE), risk="weakens-safety")
    return Plan(
        "manual",
        target,
        cni + [note(RECREATE_NOTE)],
        reason="use the mesh CNI instead of the privileged init container",
        alternatives=[Plan("manual", target, [privileged], reason="weaker: let the namespace run privileged pods")],
    )


# ---- SI502 ----------------------------------------------------------------------------------------

QUOTA_KEYS = {
    "requests.cpu": ("requests", "cpu"),
    "cpu": ("requests", "cpu"),
    "limits.cpu": ("limits", "cpu"),
    "requests.memory": ("requests", "memory"),
    "memory": ("requests", "memory"),
    "limits.memory": ("limits", "memory"),
}


def _pod_delta(containers: List[Dict[str, Any]], section: str, resource: str) -> Decimal:
    """What the injected containers add to the pod's quota usage: the regular (and native-sidecar)
    containers add up; an init container counts only above the app's own total, so it adds nothing
    certain and is left out."""
    return q.total(c["resources"][section].get(resource) for c in containers if not c["init"])


@rule(codes=["SI502"], needs=["namespaces", "resourcequotas"], uses=["events"])
def quota_blocks_proxy(ctx: RuleContext) -> Iterator[Finding]:
    """A ResourceQuota in a meshed namespace tracks limits the injected containers do not set (every
    injected pod is rejected: `must specify limits.cpu for: <container>`), or has less headroom left
    than the sidecar alone needs; plus `exceeded quota` / `must specify` events about meshed pods."""
    view = ctx.view
    meshed = meshed_namespaces(ctx)
    for ns_name in sorted(meshed):
        quotas = [
            x
            for x in view.in_namespace("resourcequotas", ns_name)
            if not (x.get("spec") or {}).get("scopes") and not (x.get("spec") or {}).get("scopeSelector")
        ]
        if not quotas:
            continue
        ns_annos = annotations_of(view.namespace(ns_name) or {})
        for mesh in meshed[ns_name]:
            for subject in _subjects(ctx, ns_name, mesh):
                revision, annos = subject[1], subject[2]
                containers = sidecar_containers(ctx, mesh, revision, annos, ns_annos)
                yield from _quota_findings(ctx, ns_name, mesh, subject, containers, quotas)
    if view.has("events"):
        yield from _event_findings(ctx, ("quota-exceeded", "quota-must-specify"), "SI502", meshed)


def _give(
    containers: List[Dict[str, Any]], names: List[str], section: str, resource: str, value: str
) -> Dict[str, Changes]:
    """{container: changes} that set one request/limit of the named injected containers."""
    parsed = q.parse_quantity(value)
    return {c["name"]: _clamped(c["resources"], section, resource, parsed) for c in containers if c["name"] in names}


def _shrunk(containers: List[Dict[str, Any]], section: str, resource: str, over: Decimal) -> Dict[str, Changes]:
    """Lower the proxy's request/limit by what the quota lacks for one pod, when something is left."""
    for container in containers:
        value = container["resources"][section].get(resource)
        if container["init"] or value is None:
            continue
        lowered = _rounded(resource, value - over, ROUND_FLOOR)
        if lowered > 0:
            return {container["name"]: _clamped(container["resources"], section, resource, lowered)}
    return {}


def _quota_findings(
    ctx: RuleContext,
    ns_name: str,
    mesh: str,
    subject: Subject,
    containers: List[Dict[str, Any]],
    quotas: List[Dict[str, Any]],
) -> Iterator[Finding]:
    what = subject[0]
    for quota in quotas:
        status = quota.get("status") or {}
        hard = q.resource_list(status.get("hard") or (quota.get("spec") or {}).get("hard"))
        used = q.resource_list(status.get("used"))
        ref = object_ref("ResourceQuota", ns_name, name_of(quota))
        quota_ref = ObjectRef("ResourceQuota", name_of(quota), ns_name)
        for key in sorted(hard):
            if key not in QUOTA_KEYS:
                continue
            section, resource = QUOTA_KEYS[key]
            if section == "limits":
                missing = [c["name"] for c in containers if resource not in c["resources"]["limits"]]
                if missing:
                    yield Finding(
                        code="SI502",
                        kind="ResourceQuota",
                        namespace=ns_name,
                        name=name_of(quota),
                        mesh=mesh,
                        message="ResourceQuota %s/%s tracks %s but the %s injector adds %s without a %s limit "
                        "(LimitRange defaults do not reach webhook-added containers): %s is rejected with 'must "
                        "specify %s for: %s'"
                        % (
                            ns_name,
                            name_of(quota),
                            key,
                            MESH_TITLE[mesh],
                            ", ".join(missing),
                            resource,
                            what,
                            key,
                            "; ".join(missing),
                        ),
                        evidence=[evidence(ref, "status.hard[%s]" % key, _fmt(key, hard[key]))]
                        + [
                            evidence(
                                "container %s" % c["name"],
                                "resources (%s)" % c["source"],
                                _resources_text(c["resources"]),
                            )
                            for c in containers
                            if c["name"] in missing
                        ],
                        plan=_sidecar_plan(
                            ctx,
                            mesh,
                            ns_name,
                            subject,
                            containers,
                            _give(containers, missing, section, resource, "500m" if resource == "cpu" else "256Mi"),
                            quota_ref,
                            [],
                            reason="give the injected containers a %s limit" % resource,
                        ),
                        affects=meshed_scope(ctx, ns_name, mesh),
                    )
                    continue
            delta = _pod_delta(containers, section, resource)
            if key not in used or not delta:
                continue
            remaining = hard[key] - used[key]
            if remaining >= delta:
                continue
            shrink = _shrunk(containers, section, resource, delta - remaining)
            yield Finding(
                code="SI502",
                kind="ResourceQuota",
                namespace=ns_name,
                name=name_of(quota),
                mesh=mesh,
                message="ResourceQuota %s/%s has %s %s left but the %s sidecar alone needs %s per pod: %s cannot be "
                "created (exceeded quota)"
                % (ns_name, name_of(quota), _fmt(key, remaining), key, MESH_TITLE[mesh], _fmt(key, delta), what),
                evidence=[
                    evidence(ref, "status.hard[%s]" % key, _fmt(key, hard[key])),
                    evidence(ref, "status.used[%s]" % key, _fmt(key, used[key])),
                ]
                + [
                    evidence(
                        "container %s" % c["name"], "resources (%s)" % c["source"], _resources_text(c["resources"])
                    )
                    for c in containers
                    if not c["init"]
                ],
                plan=_sidecar_plan(
                    ctx,
                    mesh,
                    ns_name,
                    subject,
                    containers,
                    shrink,
                    quota_ref,
                    [
                        inspect(quota_ref, "describe", "resourcequota", name_of(quota), "-n", ns_name),
                        note(
                            "raise the quota by at least %s per injected pod%s"
                            % (_fmt(key, delta), ", or lower the sidecar's %s:" % key if shrink else "")
                        ),
                    ],
                    reason="make room for the sidecar",
                ),
                affects=meshed_scope(ctx, ns_name, mesh),
            )


def _event_findings(
    ctx: RuleContext, kinds: Tuple[str, ...], code: str, meshed: Dict[str, List[str]]
) -> Iterator[Finding]:
    groups: Dict[str, List[Tuple[Dict[str, Any], Dict[str, Any]]]] = {}
    for event, parsed in rejections(ctx):
        if parsed["kind"] not in kinds:
            continue
        ns_name = event_namespace(event)
        if ns_name in meshed or webhook_errors.touches_mesh_proxy(parsed):
            groups.setdefault(ns_name, []).append((event, parsed))
    for ns_name, items in sorted(groups.items()):
        meshes = meshed.get(ns_name) or ["any"]
        yield Finding(
            code=code,
            kind="Namespace",
            name=ns_name,
            mesh=meshes[0] if len(meshes) == 1 else "any",
            message="%d pod create(s) in meshed namespace %s were rejected: %s"
            % (sum(int(e.get("count") or 1) for e, unused in items), ns_name, items[0][1]["message"]),
            evidence=event_evidence(items),
            plan=Plan(
                "manual",
                namespace_ref(ns_name),
                [
                    inspect(
                        namespace_ref(ns_name),
                        "describe",
                        "resourcequota" if code == "SI502" else "limitrange",
                        "-n",
                        ns_name,
                    ),
                    inspect(
                        namespace_ref(ns_name),
                        "get",
                        "events",
                        "-n",
                        ns_name,
                        "--field-selector",
                        "reason=FailedCreate",
                    ),
                ],
                reason="see what the %s allows and what was rejected" % ("quota" if code == "SI502" else "LimitRange"),
            ),
            affects=meshed_scope(ctx, ns_name, meshes[0] if len(meshes) == 1 else None),
        )


# ---- SI503 ----------------------------------------------------------------------------------------


def limitrange_violations(item: Dict[str, Any], container: Dict[str, Any]) -> List[str]:
    """LimitRanger's messages (plugin/pkg/admission/limitranger) for one Container-type item."""
    out = []
    res = container["resources"]
    for resource, bound in sorted(q.resource_list(item.get("max")).items()):
        limit = res["limits"].get(resource)
        if limit is None:
            out.append(
                "maximum %s usage per Container is %s.  No limit is specified" % (resource, _fmt(resource, bound))
            )
        elif limit > bound:
            out.append(
                "maximum %s usage per Container is %s, but limit is %s"
                % (resource, _fmt(resource, bound), _fmt(resource, limit))
            )
    for resource, bound in sorted(q.resource_list(item.get("min")).items()):
        request = res["requests"].get(resource)
        if request is None:
            out.append(
                "minimum %s usage per Container is %s.  No request is specified" % (resource, _fmt(resource, bound))
            )
        elif request < bound:
            out.append(
                "minimum %s usage per Container is %s, but request is %s"
                % (resource, _fmt(resource, bound), _fmt(resource, request))
            )
    for resource, ratio in sorted(q.resource_list(item.get("maxLimitRequestRatio")).items()):
        request, limit = res["requests"].get(resource), res["limits"].get(resource)
        if limit is None or not request:
            continue
        if limit / request > ratio:
            out.append(
                "%s max limit to request ratio per Container is %s, but provided ratio is %f"
                % (resource, ratio.normalize(), limit / request)
            )
    return out


def _fitted(item: Dict[str, Any], container: Dict[str, Any]) -> Changes:
    """The requests/limits that put one container inside a Container LimitRange item (LimitRanger's
    checks): limits at most max, requests (and limits) at least min, limit/request within
    maxLimitRequestRatio by raising the request; request <= limit is kept throughout."""
    requests = dict(container["resources"]["requests"])
    limits = dict(container["resources"]["limits"])
    changed: Set[Tuple[str, str]] = set()

    def put(section: str, resource: str, value: Decimal) -> None:
        (requests if section == "requests" else limits)[resource] = value
        changed.add((section, resource))

    for resource, bound in sorted(q.resource_list(item.get("max")).items()):
        if resource not in limits or limits[resource] > bound:
            put("limits", resource, bound)
        if requests.get(resource, bound) > bound:
            put("requests", resource, bound)
    for resource, bound in sorted(q.resource_list(item.get("min")).items()):
        if resource not in requests or requests[resource] < bound:
            put("requests", resource, bound)
        if resource in limits and limits[resource] < requests[resource]:
            put("limits", resource, requests[resource])
    for resource, ratio in sorted(q.resource_list(item.get("maxLimitRequestRatio")).items()):
        request, limit = requests.get(resource), limits.get(resource)
        if limit is not None and request and limit / request > ratio:
            put("requests", resource, _rounded(resource, limit / ratio, ROUND_CEILING))
    return {key: (requests if key[0] == "requests" else limits)[key[1]] for key in sorted(changed)}


def _widen_plan(target: ObjectRef, position: int, item: Dict[str, Any], containers: List[Dict[str, Any]]) -> Plan:
    """The other way round: move the item's bounds to what the injected containers ask for, each patch
    tested against the item's type and the bound the diagnosis saw."""
    guard = ((pointer("spec", "limits", str(position), "type"), "Container"),)
    ops: List[Operation] = []

    def widen(field: str, resource: str, value: str) -> None:
        path = pointer("spec", "limits", str(position), field, resource)
        ops.append(Operation("json_patch", target, path=path, value=value, expect=item[field][resource], guards=guard))

    for field, section, pick in (("max", "limits", max), ("min", "requests", min)):
        for resource, bound in sorted(q.resource_list(item.get(field)).items()):
            asked = [c["resources"][section].get(resource) for c in containers]
            if None in asked:
                continue  # no value to widen to: only the sidecar side can fix a missing limit/request
            wanted = pick(asked + [bound])
            if wanted != bound:
                widen(field, resource, _fmt(resource, wanted))
    for resource, ratio in sorted(q.resource_list(item.get("maxLimitRequestRatio")).items()):
        ratios = [
            c["resources"]["limits"][resource] / c["resources"]["requests"][resource]
            for c in containers
            if c["resources"]["limits"].get(resource) and c["resources"]["requests"].get(resource)
        ]
        wanted = max(ratios + [ratio]).to_integral_value(rounding=ROUND_CEILING)
        if wanted > ratio:
            widen("maxLimitRequestRatio", resource, str(wanted))
    if not ops:
        ops.append(note("widen the LimitRange's bounds for the sidecar's requests and limits"))
    return Plan("manual", target, ops, reason="widen the LimitRange for the sidecar")


@rule(codes=["SI503"], needs=["namespaces", "limitranges"], uses=["events"])
def limitrange_blocks_proxy(ctx: RuleContext) -> Iterator[Finding]:
    """A Container LimitRange in a meshed namespace that the injected containers violate (max, min,
    maxLimitRequestRatio; its defaults are applied before the injector runs, so they do not help);
    plus LimitRanger rejections from events."""
    view = ctx.view
    meshed = meshed_namespaces(ctx)
    for ns_name in sorted(meshed):
        ranges = view.in_namespace("limitranges", ns_name)
        if not ranges:
            continue
        ns_annos = annotations_of(view.namespace(ns_name) or {})
        for mesh in meshed[ns_name]:
            for subject in _subjects(ctx, ns_name, mesh):
                what, revision, annos = subject[:3]
                containers = sidecar_containers(ctx, mesh, revision, annos, ns_annos)
                for limit_range in ranges:
                    for position, item in enumerate((limit_range.get("spec") or {}).get("limits") or []):
                        if item.get("type") != "Container":
                            continue
                        problems = [(c, p) for c in containers for p in limitrange_violations(item, c)]
                        if not problems:
                            continue
                        ref = object_ref("LimitRange", ns_name, name_of(limit_range))
                        range_ref = ObjectRef("LimitRange", name_of(limit_range), ns_name)
                        failing = list({id(c): c for c, unused in problems}.values())
                        plan = _sidecar_plan(
                            ctx,
                            mesh,
                            ns_name,
                            subject,
                            containers,
                            {c["name"]: _fitted(item, c) for c in failing},
                            range_ref,
                            [
                                inspect(range_ref, "describe", "limitrange", name_of(limit_range), "-n", ns_name),
                                note("set the sidecar's requests/limits inside the LimitRange bounds:"),
                            ],
                            reason="fit the sidecar into the LimitRange",
                        )
                        plan.alternatives.append(_widen_plan(range_ref, position, item, failing))
                        yield Finding(
                            code="SI503",
                            kind="LimitRange",
                            namespace=ns_name,
                            name=name_of(limit_range),
                            mesh=mesh,
                            message="LimitRange %s/%s rejects the containers the %s injector adds to %s: %s"
                            % (
                                ns_name,
                                name_of(limit_range),
                                MESH_TITLE[mesh],
                                what,
                                "; ".join("%s: %s" % (c["name"], p) for c, p in problems[:MAX_EVIDENCE]),
                            ),
                            evidence=[evidence(ref, "spec.limits[%d]" % position, _limit_text(item))]
                            + [
                                evidence(
                                    "container %s" % c["name"],
                                    "resources (%s)" % c["source"],
                                    _resources_text(c["resources"]),
                                )
                                for c in failing
                            ],
                            plan=plan,
                            affects=meshed_scope(ctx, ns_name, mesh),
                        )
    if view.has("events"):
        yield from _event_findings(ctx, ("limitrange",), "SI503", meshed)


def _limit_text(item: Dict[str, Any]) -> str:
    parts = ["type %s" % item.get("type")]
    for key in ("min", "max", "default", "defaultRequest", "maxLimitRequestRatio"):
        if item.get(key):
            parts.append("%s %s" % (key, ",".join("%s=%s" % kv for kv in sorted(item[key].items()))))
    return "; ".join(parts)


# ---- SI504 ----------------------------------------------------------------------------------------

# What each injector's ServiceAccount must be allowed (cluster-wide), from the mesh charts' ClusterRoles:
# istiod patches its webhook's caBundle (pkg/webhooks/webhookpatch.go) and watches namespaces; the Linkerd
# proxy-injector reads namespaces (annotations) and workload owners through informers.
REQUIRED = {
    "istio": [
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations", ("get", "list", "watch")),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations", ("update|patch",)),
        ("", "namespaces", ("get", "list", "watch")),
    ],
    "linkerd": [
        ("", "namespaces", ("get", "list", "watch")),
        ("", "pods", ("list", "watch")),
        ("apps", "replicasets", ("list", "watch")),
        ("apps", "deployments", ("list", "watch")),
        ("", "events", ("create",)),
    ],
}
DEFAULT_SA = {"istio": "istiod", "linkerd": "linkerd-proxy-injector"}


def _rule_grants(rule_obj: Dict[str, Any], group: str, resource: str, verb: str) -> bool:
    if rule_obj.get("resourceNames"):
        return False  # name-restricted rules cannot grant list/watch, and webhook names vary: not counted
    groups, resources, verbs = (
        (rule_obj.get("apiGroups") or []),
        (rule_obj.get("resources") or []),
        (rule_obj.get("verbs") or []),
    )
    return (
        (group in groups or "*" in groups)
        and (resource in resources or "*" in resources)
        and (verb in verbs or "*" in verbs)
    )


def _subject_matches(subject: Dict[str, Any], namespace: str, name: str) -> bool:
    kind = subject.get("kind")
    if kind == "ServiceAccount":
        return subject.get("name") == name and (subject.get("namespace") or "") == namespace
    if kind == "Group":
        return subject.get("name") in (
            "system:serviceaccounts",
            "system:serviceaccounts:%s" % namespace,
            "system:authenticated",
        )
    if kind == "User":
        return subject.get("name") == "system:serviceaccount:%s:%s" % (namespace, name)
    return False


def cluster_rules_for(view: Any, namespace: str, name: str) -> Tuple[List[Dict[str, Any]], List[str]]:
    """(rules, bindings) a ServiceAccount gets cluster-wide through ClusterRoleBindings."""
    roles = {name_of(r): r for r in view.items("clusterroles")}
    rules_out: List[Dict[str, Any]] = []
    bindings = []
    for binding in view.items("clusterrolebindings"):
        if not any(_subject_matches(s, namespace, name) for s in binding.get("subjects") or []):
            continue
        role_ref = binding.get("roleRef") or {}
        role = roles.get(role_ref.get("name") or "") if role_ref.get("kind") == "ClusterRole" else None
        if role is not None:
            rules_out.extend(role.get("rules") or [])
            bindings.append("%s -> %s" % (name_of(binding), name_of(role)))
    return rules_out, bindings


@rule(codes=["SI504"], needs=["clusterroles", "clusterrolebindings", "deployments"], uses=["roles", "rolebindings"])
def injector_rbac_missing(ctx: RuleContext) -> Iterator[Finding]:
    """The injector's ServiceAccount lacks a cluster permission it needs (evaluated from ClusterRoles
    and ClusterRoleBindings in the snapshot, as a SubjectAccessReview would): istiod patching
    mutatingwebhookconfigurations (otherwise the caBundle goes stale), the Linkerd proxy-injector
    reading namespaces and workload owners (otherwise it denies or never becomes ready)."""
    view = ctx.view
    if not view.items("clusterroles"):
        return  # every real cluster has system ClusterRoles: an empty list is trimmed data, not a verdict
    targets: List[Tuple[str, str, str, str]] = []  # (mesh, namespace, serviceaccount, deployment)
    istio, linkerd = ctx.model.istio, ctx.model.linkerd
    if istio is not None:
        for rev in istio.revisions.values():
            for deploy_name in rev.deployments:
                targets.append(("istio",) + _sa_of(view, rev.namespace, deploy_name, "istio"))
    if linkerd is not None:
        for ref in linkerd.injector_deployments:
            ns, _unused, deploy_name = ref.partition("/")
            targets.append(("linkerd",) + _sa_of(view, ns, deploy_name, "linkerd"))
    for mesh, ns, sa, deploy_name in targets:
        granted, bindings = cluster_rules_for(view, ns, sa)
        missing: List[str] = []
        checks: List[str] = []
        for group, resource, verbs in REQUIRED[mesh]:
            target = "%s%s" % (resource, "." + group if group else "")
            for verb in verbs:
                options = verb.split("|")
                if not any(any(_rule_grants(r, group, resource, v) for r in granted) for v in options):
                    missing.append("%s %s" % (" or ".join(options), target))
                    checks.append("%s %s" % (options[-1], target))
        if not missing:
            continue
        yield Finding(
            code="SI504",
            kind="Deployment",
            namespace=ns,
            name=deploy_name,
            mesh=mesh,
            message="ServiceAccount %s/%s of the %s injector may not: %s"
            % (ns, sa, MESH_TITLE[mesh], ", ".join(missing)),
            evidence=[
                evidence(object_ref("ServiceAccount", ns, sa), "ClusterRoleBindings", "; ".join(bindings) or "none")
            ]
            + [evidence(object_ref("ServiceAccount", ns, sa), "permission", m) for m in missing[:MAX_EVIDENCE]],
            plan=_rbac_plan(mesh, ns, sa, deploy_name, checks),
            # the workloads this injector serves; with none, the default: the Deployment and its namespace
            affects=served_by(ctx, _injector_hooks(ctx, mesh, ns, deploy_name)),
        )


def _rbac_plan(mesh: str, namespace: str, sa: str, deployment: str, checks: List[str]) -> Plan:
    """Show the gap with `kubectl auth can-i` as the ServiceAccount, then re-apply the mesh's RBAC."""
    account = ObjectRef("ServiceAccount", sa, namespace)
    as_sa = "--as=system:serviceaccount:%s:%s" % (namespace, sa)
    # cluster-wide permissions: --all-namespaces asks for them (and keeps kubectl from warning that a
    # cluster-scoped resource was checked in the default namespace)
    ops = [inspect(account, "auth", "can-i", *(check.split(" ") + ["--all-namespaces", as_sa])) for check in checks[:3]]
    if mesh == "istio":
        ops.append(
            external(
                "helm upgrade istiod istio/istiod -n %s --reuse-values" % shlex.quote(namespace),
                why="re-apply the mesh's RBAC",
            )
        )
    else:
        ops.append(external("linkerd upgrade", why="re-apply the mesh's RBAC", into=APPLY_STDIN))
    return Plan("manual", ObjectRef("Deployment", deployment, namespace), ops, reason="restore the injector's RBAC")


def _injector_hooks(ctx: RuleContext, mesh: str, namespace: str, deployment: str) -> List[Any]:
    """The injector webhooks an injector Deployment answers: Linkerd's; for Istio those forwarding to
    the revision the Deployment runs."""
    if mesh == "linkerd":
        return ctx.model.injectors("linkerd")
    istio = ctx.model.istio
    revisions = [
        r.name
        for r in (istio.revisions.values() if istio is not None else [])
        if r.namespace == namespace and deployment in r.deployments
    ]
    return [w for w in ctx.model.injectors("istio") if (w.target_revision or "default") in revisions]


def _sa_of(view: Any, namespace: str, deployment: str, mesh: str) -> Tuple[str, str, str]:
    deploy = view.get("deployments", namespace, deployment) or {}
    spec = ((deploy.get("spec") or {}).get("template") or {}).get("spec") or {}
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if not sa:
        sa = DEFAULT_SA[mesh] if mesh == "linkerd" or deployment == "istiod" else deployment
    return namespace, sa, deployment


# ---- SI505 ----------------------------------------------------------------------------------------


@rule(codes=["SI505"], needs=["events"], uses=["namespaces", "validatingwebhookconfigurations"])
def policy_engine_denies(ctx: RuleContext) -> Iterator[Finding]:
    """A policy engine's webhook (Gatekeeper, Kyverno, any validating webhook or non-mesh mutating one)
    denied pods in meshed namespaces or mentioning mesh containers. Denials about the NET_ADMIN/NET_RAW
    init container are SI501."""
    meshed = meshed_namespaces(ctx)
    validating = validating_webhook_names(ctx.view)
    groups: Dict[str, List[Tuple[Dict[str, Any], Dict[str, Any]]]] = {}
    for event, parsed in rejections(ctx):
        if parsed["kind"] != "webhook-denied" or is_injector_name(parsed["webhook"]):
            continue
        if any(w.injector for w in webhooks_named(ctx, parsed["webhook"])):
            continue
        if webhook_errors.touches_mesh_init(parsed):
            continue  # SI501
        if event_namespace(event) in meshed or webhook_errors.touches_mesh_proxy(parsed):
            groups.setdefault(parsed["webhook"], []).append((event, parsed))
    for name, items in sorted(groups.items()):
        config = validating.get(name, "")
        kind = "ValidatingWebhookConfiguration" if config else "MutatingWebhookConfiguration"
        hooks = webhooks_named(ctx, name)
        if not config and hooks:
            config = hooks[0].config
        engine = "Gatekeeper" if "gatekeeper" in name else "Kyverno" if "kyverno" in name else "policy webhook"
        yield Finding(
            code="SI505",
            kind=kind if config else "Event",
            name=config or name,
            mesh="any",
            message="%s %s denied %d pod create(s) in meshed namespaces: %s"
            % (
                engine,
                name,
                sum(int(e.get("count") or 1) for e, unused in items),
                items[0][1]["reason"] or "without explanation",
            ),
            evidence=event_evidence(items),
            plan=_exempt_plan(engine, name, kind if config else "", config),
            affects=_denied_scope(ctx, items),
        )


def _exempt_plan(engine: str, webhook: str, kind: str, config: str) -> Plan:
    """Guidance, and where to look: the engine's policies, else the webhook configuration."""
    if engine == "Gatekeeper":
        look = inspect(ObjectRef("", ""), "get", "constraints", why="Gatekeeper")
    elif engine == "Kyverno":
        look = inspect(ObjectRef("", ""), "get", "clusterpolicies,policies", "-A", why="Kyverno")
    elif config:
        look = inspect(ObjectRef(kind, config), "get", resource_name(kind), config, "-o", "yaml")
    else:
        look = inspect(
            ObjectRef("", ""),
            "get",
            "validatingwebhookconfigurations,mutatingwebhookconfigurations",
            why="the configuration that holds webhook %s" % webhook,
        )
    exempt = note(
        "exempt the mesh containers (istio-proxy, istio-init, linkerd-proxy, linkerd-init) or the namespace in "
        "the policy that denied, or make the policy accept the injected fields"
    )
    return Plan(
        "manual", ObjectRef(kind, config) if config else ObjectRef("", ""), [exempt, look], reason="exempt the mesh"
    )


def _denied_scope(ctx: RuleContext, items: List[Tuple[Dict[str, Any], Dict[str, Any]]]) -> List[ObjectRef]:
    """The namespaces the denials happened in, with the workloads there whose injected pods they block."""
    out: List[ObjectRef] = []
    for ns_name in sorted({event_namespace(e) for e, unused in items}):
        out += [r for r in meshed_scope(ctx, ns_name) if r not in out]
    return out
