# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the control-plane rules (SI2xx-SI5xx, SI7xx): webhook references, events
that carry admission errors, which namespaces ask for injection, and remediation text."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import (
    admission_errors as webhook_errors,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence, object_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import ABSENT, Operation, inspect
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import annotations as annotations_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of, namespace_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import index
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

MWC = "MutatingWebhookConfiguration"
VWC = "ValidatingWebhookConfiguration"
MAX_EVIDENCE = 10
METADATA_NAME = "kubernetes.io/metadata.name"
MESH_TITLE = {"istio": "Istio", "linkerd": "Linkerd", "other": "other"}


def mwc_ref(webhook: Any) -> str:
    return object_ref(MWC, "", webhook.config)


def hook_field(webhook: Any, path: str) -> str:
    """`webhooks[1].failurePolicy`: the jsonpath a person types to check it with kubectl."""
    return "webhooks[%d].%s" % (webhook.index, path)


def live_injectors(ctx: Any, mesh: Optional[str] = None, active: bool = True) -> List[Any]:
    """Injector webhooks read from the cluster/snapshot (never the model's assumed standard ones)."""
    if not ctx.model.webhooks_read:
        return []
    return [w for w in ctx.model.injectors(mesh=mesh, active=active) if not w.assumed]


def group_by_service(webhooks: List[Any]) -> Dict[Tuple[str, str, int], List[Any]]:
    """Webhooks sharing one backend Service (Istio's four webhooks all call istiod)."""
    groups: Dict[Tuple[str, str, int], List[Any]] = {}
    for webhook in webhooks:
        if webhook.service is not None:
            key = (webhook.service.namespace, webhook.service.name, webhook.service.port)
            groups.setdefault(key, []).append(webhook)
    return groups


def namespace_labels(view: SnapshotView, name: str) -> Dict[str, str]:
    """Namespace labels as the API server matches them: with the automatic kubernetes.io/metadata.name."""
    out = dict(labels(view.namespace(name) or {}))
    out.setdefault(METADATA_NAME, name)
    return out


def asks_for(ns: Dict[str, Any], mesh: str) -> bool:
    """The namespace carries the mesh's positive injection marker (Istio label, Linkerd annotation)."""
    if mesh == "istio":
        ns_labels = labels(ns)
        return ns_labels.get("istio-injection") == "enabled" or (
            "istio.io/rev" in ns_labels and ns_labels.get("istio-injection") != "disabled"
        )
    return annotations_of(ns).get("linkerd.io/inject") in ("enabled", "ingress")


def meshed_namespaces(ctx: Any) -> Dict[str, List[str]]:
    """namespace -> meshes it gets (or asks for) sidecars from: namespace markers plus every pod or
    template verdict that should be injected."""
    out: Dict[str, List[str]] = {}
    for ns in ctx.view.items("namespaces"):
        for mesh in ("istio", "linkerd"):
            if asks_for(ns, mesh):
                out.setdefault(name_of(ns), []).append(mesh)
    for verdict in ctx.verdicts:
        if verdict.should_inject and verdict.mesh and not getattr(verdict, "control_plane", False):
            meshes = out.setdefault(verdict.namespace, [])
            if verdict.mesh not in meshes:
                meshes.append(verdict.mesh)
    return out


def pod_ready(pod: Dict[str, Any]) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def not_ready_reason(pod: Dict[str, Any]) -> str:
    """`phase Pending, container discovery waiting CrashLoopBackOff` for evidence."""
    status = pod.get("status") or {}
    parts = ["phase %s" % (status.get("phase") or "Unknown")]
    for key in ("initContainerStatuses", "containerStatuses"):
        for cs in status.get(key) or []:
            state = cs.get("state") or {}
            if "waiting" in state:
                parts.append("container %s waiting %s" % (cs.get("name"), (state["waiting"] or {}).get("reason", "")))
            elif "terminated" in state:
                parts.append(
                    "container %s terminated %s" % (cs.get("name"), (state["terminated"] or {}).get("reason", ""))
                )
            elif not cs.get("ready"):
                parts.append("container %s not ready" % cs.get("name"))
    return ", ".join(parts)


# ---- events ----------------------------------------------------------------------------------------


def event_time(event: Dict[str, Any]) -> str:
    series = event.get("series") or {}
    return str(
        event.get("lastTimestamp")
        or series.get("lastObservedTime")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )


def event_count(event: Dict[str, Any]) -> int:
    series = event.get("series") or {}
    return int(event.get("count") or series.get("count") or 1)


def event_object(event: Dict[str, Any]) -> str:
    inv = event.get("involvedObject") or {}
    return object_ref(inv.get("kind") or "Object", inv.get("namespace") or namespace_of(event), inv.get("name") or "")


def event_namespace(event: Dict[str, Any]) -> str:
    return (event.get("involvedObject") or {}).get("namespace") or namespace_of(event)


Rejection = Tuple[Dict[str, Any], Dict[str, Any]]


def _classify_events(ctx: RuleContext) -> List[Rejection]:
    found = []
    for event in ctx.view.items("events"):
        parsed = webhook_errors.classify_rejection(event.get("message") or "")
        if parsed is not None:
            found.append((event, parsed))
    found.sort(key=lambda item: event_time(item[0]), reverse=True)
    return found


def rejections(ctx: RuleContext) -> List[Rejection]:
    """(event, classified rejection) for every event whose message is an admission error, newest first
    (classified once per diagnosis, shared by the rules that read them)."""
    return ctx.memo("controlplane.rejections", _classify_events)


def event_evidence(items: List[Tuple[Dict[str, Any], Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """One evidence line per event (newest first): the involved object, the event reason, and the
    exact message (with the count and last time it was seen)."""
    out = []
    for event, _parsed in items[:MAX_EVIDENCE]:
        field = "event %s message (x%d, last %s)" % (
            event.get("reason") or "Warning",
            event_count(event),
            event_time(event),
        )
        out.append(evidence(event_object(event), field, event.get("message") or ""))
    return out


def webhooks_named(ctx: Any, name: str, url: str = "") -> List[Any]:
    """Model webhooks with this name; when the event's URL names a service host, the ones it matches."""
    found = [w for w in ctx.model.webhooks if w.name == name]
    if url and len(found) > 1:
        narrowed = [
            w
            for w in found
            if (w.service is not None and "//%s.%s.svc" % (w.service.name, w.service.namespace) in url)
            or (w.url and url.startswith(w.url.split("?")[0]))
        ]
        found = narrowed or found
    return found


def validating_webhook_names(view: SnapshotView) -> Dict[str, str]:
    """webhook name -> ValidatingWebhookConfiguration name."""
    out = {}
    for config in view.items("validatingwebhookconfigurations"):
        for hook in config.get("webhooks") or []:
            out[hook.get("name") or ""] = name_of(config)
    return out


def is_injector_name(name: str) -> bool:
    return name.endswith("sidecar-injector.istio.io") or name == "linkerd-proxy-injector.linkerd.io"


# ---- workloads -------------------------------------------------------------------------------------


def template_of(workload: Dict[str, Any]) -> Dict[str, Any]:
    return (workload.get("spec") or {}).get("template") or {}


def pseudo_pods(backend: Any, namespace: str) -> List[Dict[str, Any]]:
    """The injector's pods, or its Deployment templates standing in for them when none exist
    (scaled to zero): enough for selector, port and NetworkPolicy questions."""
    if backend.pods:
        return list(backend.pods)
    out = []
    for deploy in backend.deployments:
        tmpl = template_of(deploy)
        meta = dict(tmpl.get("metadata") or {})
        meta.setdefault("name", "%s (pod template)" % name_of(deploy))
        meta["namespace"] = namespace
        out.append({"metadata": meta, "spec": tmpl.get("spec") or {}})
    return out


def container_ports(pod: Dict[str, Any]) -> List[Dict[str, Any]]:
    spec = pod.get("spec") or {}
    out: List[Dict[str, Any]] = []
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for port in container.get("ports") or []:
            out.append(dict(port, container=container.get("name")))
    return out


def service_port(service: Dict[str, Any], port: int) -> Optional[Dict[str, Any]]:
    for entry in (service.get("spec") or {}).get("ports") or []:
        if int(entry.get("port") or 0) == int(port):
            return entry
    return None


def resolve_target_port(entry: Dict[str, Any], pod: Dict[str, Any]) -> Tuple[Optional[int], str]:
    """(container port number, how) for a Service port on one pod: a named targetPort resolves through
    the pod's containerPorts (None when it has no such name); a number is taken as is."""
    target = entry.get("targetPort", entry.get("port"))
    protocol = entry.get("protocol") or "TCP"
    if isinstance(target, str) and not target.isdigit():
        for port in container_ports(pod):
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return int(port.get("containerPort") or 0), "named port %s" % target
        return None, "named port %s" % target
    return int(target or 0), "port %s" % target


# ---- plans: webhook changes and the workloads a webhook decides ------------------------------------


def mwc_target(webhook: Any, kind: str = MWC) -> ObjectRef:
    return ObjectRef(kind, webhook.config)


def webhook_pointer(webhook: Any) -> str:
    return "/webhooks/%d" % webhook.index


def webhook_patch(
    webhook: Any, field_path: str, value: Any, expect: Any = ABSENT, kind: str = MWC, why: str = "", risk: str = ""
) -> Operation:
    """A JSON patch of one field of one webhook (`failurePolicy`, `clientConfig/service/port`), tested
    against the webhook's name at that index and the value the diagnosis saw."""
    return Operation(
        "json_patch",
        mwc_target(webhook, kind),
        path="%s/%s" % (webhook_pointer(webhook), field_path),
        value=value,
        expect=expect,
        guards=(("%s/name" % webhook_pointer(webhook), webhook.name),),
        why=why,
        risk=risk,
    )


def resync_op(hooks: List[Any], source: ObjectRef, source_key: str, why: str = "") -> Operation:
    """Set the caBundle of `hooks` (one configuration) from a ConfigMap/Secret key."""
    return Operation(
        "resync_ca",
        mwc_target(hooks[0]),
        webhooks=tuple(w.name for w in hooks),
        paths=tuple(webhook_pointer(w) for w in hooks),
        source=source,
        source_key=source_key,
        why=why,
    )


def _served(ctx: RuleContext) -> Dict[str, List[ObjectRef]]:
    """webhook key -> the workloads (pod templates, and pods by their owner) that call it and want a
    sidecar, control plane excluded; built once per diagnosis."""
    out: Dict[str, List[ObjectRef]] = {}
    seen = set()
    for verdict in ctx.verdicts:
        if verdict.control_plane or not verdict.should_inject:
            continue
        ref = workload_of(verdict)
        for call in verdict.decision.calls:
            if (call.webhook, ref) not in seen:
                seen.add((call.webhook, ref))
                out.setdefault(call.webhook, []).append(ref)
    return out


def workload_of(verdict: Any) -> ObjectRef:
    """The workload a verdict stands for: itself for a template, its owner (or itself, bare) for a pod."""
    if verdict.template:
        return ObjectRef(verdict.kind, verdict.name, verdict.namespace)
    kind, name = verdict.owner
    if kind and kind != "Pod" and name:
        return ObjectRef(kind, name, verdict.namespace)
    return ObjectRef("Pod", verdict.name, verdict.namespace)


def served_by(ctx: RuleContext, hooks: List[Any]) -> List[ObjectRef]:
    """The workloads whose next pod these webhooks decide, then their namespaces (a finding about the
    webhooks affects exactly these)."""
    served = ctx.memo("controlplane.served", _served)
    refs: List[ObjectRef] = []
    for webhook in hooks:
        for ref in served.get(webhook.key, ()):
            if ref not in refs:
                refs.append(ref)
    refs.sort()
    namespaces = sorted({r.namespace for r in refs})
    return refs + [namespace_ref(n) for n in namespaces]


# ---- plans and affects of the control-plane rules (SI2xx-SI7xx) -----------------------------------


def raw_hook(ctx: RuleContext, webhook: Any) -> Dict[str, Any]:
    """The webhook as the snapshot holds it (configurations are kept complete): what a JSON patch's
    `test` must find on the live object."""
    config = ctx.view.get("mutatingwebhookconfigurations", "", webhook.config) or {}
    hooks = config.get("webhooks") or []
    return hooks[webhook.index] if 0 <= webhook.index < len(hooks) else {}


def hook_value(ctx: RuleContext, webhook: Any, field_path: str) -> Any:
    """The value at `clientConfig/service/port`-style `field_path` of the webhook, or ABSENT."""
    value: Any = raw_hook(ctx, webhook)
    for part in field_path.split("/"):
        if not isinstance(value, dict) or part not in value:
            return ABSENT
        value = value[part]
    return value


def set_hooks(
    ctx: RuleContext, hooks: List[Any], field_path: str, value: Any, why: str = "", risk: str = ""
) -> List[Operation]:
    """One guarded JSON patch per webhook setting `field_path`, tested against the value each held."""
    return [webhook_patch(w, field_path, value, hook_value(ctx, w, field_path), why=why, risk=risk) for w in hooks]


def resync_from(hooks: List[Any], source: ObjectRef, source_key: str, why: str = "") -> Operation:
    """resync_op with the bundles the diagnosis saw as `expect` (one per webhook, "" when empty)."""
    op = resync_op(hooks, source, source_key, why=why)
    op.expect = tuple(w.ca_bundle or "" for w in hooks)
    return op


def rotate_op(
    hooks: List[Any], secret: ObjectRef, hosts: List[str], workloads: List[ObjectRef], why: str = ""
) -> Operation:
    """A new serving certificate for `hosts` into `secret`, the caBundle of `hooks` (one configuration)
    set to it, and the injector `workloads` restarted."""
    return Operation(
        "rotate_cert",
        mwc_target(hooks[0]),
        webhooks=tuple(w.name for w in hooks),
        paths=tuple(webhook_pointer(w) for w in hooks),
        source=secret,
        source_key="tls.crt",
        hosts=tuple(hosts),
        workloads=tuple(workloads),
        expect=tuple(w.ca_bundle or "" for w in hooks),
        why=why,
    )


ISTIO_CA_SOURCES = (
    ("configmaps", "ConfigMap", "istio-ca-root-cert", "root-cert.pem"),
    ("secrets", "Secret", "cacerts", "root-cert.pem"),
    ("secrets", "Secret", "istio-ca-secret", "ca-cert.pem"),
)


def istio_ca_source(ctx: RuleContext, namespace: str) -> Tuple[ObjectRef, str]:
    """Where the mesh root istiod signs its webhook certificate with is stored (the order SI404 reads
    them in); ConfigMap istio-ca-root-cert, which istiod writes, when the snapshot shows none."""
    for resource, kind, name, key in ISTIO_CA_SOURCES:
        obj = ctx.view.get(resource, namespace, name) if ctx.view.has(resource) else None
        if obj is None:
            continue
        held = (obj.get("data") or {}) if kind == "ConfigMap" else (obj.get("certificates") or {})
        if held.get(key):
            return ObjectRef(kind, name, namespace), key
    return ObjectRef("ConfigMap", "istio-ca-root-cert", namespace), "root-cert.pem"


def merge_affects(*groups: List[ObjectRef]) -> List[ObjectRef]:
    """Workloads (sorted), then every namespace involved (sorted): the order served_by gives."""
    refs = {r for group in groups for r in group}
    workloads = sorted(r for r in refs if r.kind != "Namespace")
    names = {r.name for r in refs if r.kind == "Namespace"} | {r.namespace for r in workloads if r.namespace}
    return workloads + [namespace_ref(n) for n in sorted(names)]


def webhook_affects(ctx: RuleContext, hooks: List[Any]) -> List[ObjectRef]:
    """served_by, plus the namespaces that ask for these webhooks' mesh and that their namespaceSelector
    selects: the next pod created there is theirs to decide, even before any workload exists. Empty
    when they decide nothing at all (a leftover configuration that selects no namespace and no pod)."""
    extra = []
    for ns in ctx.view.items("namespaces"):
        ns_labels = namespace_labels(ctx.view, name_of(ns))
        if any(
            w.mesh in ("istio", "linkerd")
            and asks_for(ns, w.mesh)
            and selectors.matches(w.namespace_selector, ns_labels)
            for w in hooks
        ):
            extra.append(namespace_ref(name_of(ns)))
    return merge_affects(served_by(ctx, hooks), extra)


def namespaces_affects(ctx: RuleContext, names: List[str]) -> List[ObjectRef]:
    """Each namespace and the workloads in it (control plane excluded)."""
    idx = index(ctx)
    return merge_affects(*[idx.namespace_scope(n) for n in names])


def mesh_affects(ctx: RuleContext, mesh: str) -> List[ObjectRef]:
    """The workloads that carry `mesh`'s proxy or should get it (control plane excluded), and their
    namespaces: what a mesh-wide problem (its CA, its version, its native-sidecar mode) touches."""
    refs = []
    for verdict in ctx.verdicts:
        if verdict.control_plane:
            continue
        carries = not verdict.template and verdict.proxy is not None and verdict.proxy.mesh == mesh
        if carries or (verdict.should_inject and verdict.mesh == mesh):
            refs.append(workload_of(verdict))
    return merge_affects(refs)


OWNER_OF = {"ReplicaSet": ("replicasets", "Deployment"), "Job": ("jobs", "CronJob")}


def event_affects(ctx: RuleContext, items: List[Rejection]) -> List[ObjectRef]:
    """The objects the events are about (a ReplicaSet stands for its Deployment, a Job for its CronJob,
    when the snapshot shows the owner) and their namespaces."""
    refs = []
    for event, _parsed in items:
        inv = event.get("involvedObject") or {}
        ref = ObjectRef(inv.get("kind") or "", inv.get("name") or "", event_namespace(event))
        if not ref.kind or not ref.name:
            continue
        resource, owner_kind = OWNER_OF.get(ref.kind, ("", ""))
        obj = ctx.view.get(resource, ref.namespace, ref.name) if resource else None
        for owner in ((obj or {}).get("metadata") or {}).get("ownerReferences") or []:
            if owner.get("controller") and owner.get("kind") == owner_kind:
                ref = ObjectRef(owner_kind, owner.get("name") or "", ref.namespace)
        refs.append(ref)
    return merge_affects(refs)


OPENSSL_SUMMARY = "openssl x509 -noout -subject -enddate -fingerprint -sha256"


def bundle_step(webhook: Any) -> Operation:
    """Read-only: the webhook's caBundle as openssl shows it (subject, expiry, fingerprint)."""
    return inspect(
        mwc_target(webhook),
        "get",
        "mutatingwebhookconfiguration",
        webhook.config,
        "-o",
        "jsonpath={.webhooks[%d].clientConfig.caBundle}" % webhook.index,
        pipe="base64 -d | " + OPENSSL_SUMMARY,
    )
