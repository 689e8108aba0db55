# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the control-plane rules (SI2xx-SI5xx, SI7xx): webhook references, events
that carry admission errors, which namespaces ask for injection, and remediation text."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import (
    admission_errors as webhook_errors,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence, object_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import ABSENT, Operation
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import annotations as annotations_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of, namespace_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

MWC = "MutatingWebhookConfiguration"
VWC = "ValidatingWebhookConfiguration"
MAX_EVIDENCE = 10
ROLE = "or with this collection: role meshops.sidecar_injection.%s (remediation action %s%s)"
METADATA_NAME = "kubernetes.io/metadata.name"
MESH_TITLE = {"istio": "Istio", "linkerd": "Linkerd", "other": "other"}


def role_hint(role: str, action: str, variables: str = "") -> str:
    return ROLE % (role, action, ", " + variables if variables else "")


def mwc_ref(webhook: Any) -> str:
    return object_ref(MWC, "", webhook.config)


def hook_field(webhook: Any, path: str) -> str:
    """`webhooks[1].failurePolicy`: the jsonpath a person types to check it with kubectl."""
    return "webhooks[%d].%s" % (webhook.index, path)


def json_patch_cmd(webhook: Any, path: str, value: Any, kind: str = "mutatingwebhookconfiguration") -> str:
    op = [{"op": "add", "path": "/webhooks/%d/%s" % (webhook.index, path), "value": value}]
    return "kubectl patch %s %s --type json -p '%s'" % (kind, webhook.config, json.dumps(op, separators=(",", ":")))


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
