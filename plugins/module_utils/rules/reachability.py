# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI3xx: can the API server call the injector, and what happened when it did.

The path is webhook -> Service (clientConfig.service) -> ready endpoints -> pod port (targetPort,
named or numbered) -> NetworkPolicy -> platform network (SI305, platform_rules.py). Webhooks that
share a Service (Istio's four) are checked once per Service. Events carry what the API server
actually saw (SI303, SI307); their message is attached verbatim.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import netpol
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import (
    Finding,
    evidence,
    object_ref,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    ABSENT,
    Operation,
    Plan,
    external,
    inspect,
    note,
    patch,
    scale,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.controlplane import (
    MAX_EVIDENCE,
    MESH_TITLE,
    bundle_step,
    event_affects,
    event_evidence,
    group_by_service,
    live_injectors,
    merge_affects,
    mwc_target,
    not_ready_reason,
    pod_ready,
    pseudo_pods,
    rejections,
    resolve_target_port,
    service_port,
    webhook_affects,
    webhooks_named,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule

# The port each injector listens on (istiod --httpsAddr :15017; linkerd proxy-injector -addr=:8443).
INJECTOR_PORTS = {"istio": 15017, "linkerd": 8443}


def _backends(ctx: RuleContext) -> Iterator[Tuple[Any, List[Any], Any]]:
    """(first webhook, all webhooks, Backend) per Service that active injectors call."""
    for _key, hooks in sorted(group_by_service(live_injectors(ctx)).items()):
        backend = ctx.model.injector_backends(hooks[0])
        yield hooks[0], hooks, backend


def _names(hooks: List[Any]) -> str:
    return ", ".join(sorted({w.name for w in hooks}))


def _logs_step(webhook: Any, backend: Any) -> Operation:
    ns = webhook.service.namespace
    if backend.deployments:
        name = name_of(backend.deployments[0])
        return inspect(
            ObjectRef("Deployment", name, ns), "logs", "-n", ns, "deploy/%s" % name, "--all-containers", "--tail=100"
        )
    return inspect(
        namespace_ref(ns),
        "logs",
        "-n",
        ns,
        "-l",
        selectors.label_string(backend.selector),
        "--all-containers",
        "--tail=100",
    )


def _pods_step(webhook: Any, backend: Any, *extra: str) -> Operation:
    ns = webhook.service.namespace
    return inspect(namespace_ref(ns), "get", "pods", "-n", ns, "-l", selectors.label_string(backend.selector), *extra)


# ---- SI301 ----------------------------------------------------------------------------------------


@rule(codes=["SI301"], needs=["mutatingwebhookconfigurations", "services", "deployments", "pods"])
def injector_unavailable(ctx: RuleContext) -> Iterator[Finding]:
    """The injector Deployment behind an active webhook has no available replica, or none of its pods
    is Ready. With failurePolicy Fail pod creation fails in every selected namespace; with Ignore pods
    start silently without a sidecar."""
    for webhook, hooks, backend in _backends(ctx):
        if backend.service is None or not backend.deployments:
            continue
        ns = webhook.service.namespace
        ready_pods = [p for p in backend.pods if pod_ready(p)]
        available = sum(int((d.get("status") or {}).get("availableReplicas") or 0) for d in backend.deployments)
        if available > 0 and ready_pods:
            continue
        deploy = backend.deployments[0]
        desired = int((deploy.get("spec") or {}).get("replicas", 1) or 0)
        ref = object_ref("Deployment", ns, name_of(deploy))
        ev = [
            evidence(ref, "spec.replicas", desired),
            evidence(ref, "status.availableReplicas", available),
        ]
        for pod in backend.pods[:MAX_EVIDENCE]:
            ev.append(evidence(object_ref("Pod", ns, name_of(pod)), "status", not_ready_reason(pod)))
        for condition in (deploy.get("status") or {}).get("conditions") or []:
            if condition.get("status") == "False":
                ev.append(
                    evidence(
                        ref,
                        "status.conditions[%s]" % condition.get("type"),
                        "%s: %s" % (condition.get("reason", ""), condition.get("message", "")),
                    )
                )
        scaled_down = desired == 0
        effect = (
            "pod creation fails in every namespace it selects"
            if any(w.failure_policy == "Fail" for w in hooks)
            else "pods start without a sidecar (failurePolicy Ignore)"
        )
        why = (
            "is scaled to 0 replicas"
            if scaled_down
            else "has no available replica (%d desired, %d pods, %d ready)"
            % (desired, len(backend.pods), len(ready_pods))
        )
        deploy_ref = ObjectRef("Deployment", name_of(deploy), ns)
        ops = [scale(deploy_ref, 1, desired)] if scaled_down else []
        ops += [
            inspect(deploy_ref, "describe", "deployment", name_of(deploy), "-n", ns),
            _pods_step(webhook, backend, "-o", "wide"),
            _logs_step(webhook, backend),
            inspect(
                namespace_ref(ns),
                "get",
                "events",
                "-n",
                ns,
                "--field-selector",
                "type=Warning",
                "--sort-by=.lastTimestamp",
            ),
        ]
        yield Finding(
            code="SI301",
            kind="Deployment",
            namespace=ns,
            name=name_of(deploy),
            mesh=webhook.mesh,
            message="%s injector Deployment %s/%s %s: %s (webhooks %s)"
            % (MESH_TITLE[webhook.mesh], ns, name_of(deploy), why, effect, _names(hooks)),
            evidence=ev,
            plan=Plan("manual", deploy_ref, ops, reason="bring the injector back"),
            affects=webhook_affects(ctx, hooks),
        )


# ---- SI302 ----------------------------------------------------------------------------------------


def ready_endpoint_count(view: Any, namespace: str, service: str, pods: List[Dict[str, Any]]) -> Tuple[int, int, str]:
    """(ready, not ready, source) addresses of a Service: its EndpointSlices, else its Endpoints object,
    else (no endpoint object in the snapshot) the readiness of the pods its selector matches."""
    if view.has("endpointslices"):
        slices = [
            s
            for s in view.in_namespace("endpointslices", namespace)
            if labels(s).get("kubernetes.io/service-name") == service
        ]
        if slices:
            ready = not_ready = 0
            for item in slices:
                for endpoint in item.get("endpoints") or []:
                    if (endpoint.get("conditions") or {}).get("ready", True) is False:
                        not_ready += len(endpoint.get("addresses") or [])
                    else:
                        ready += len(endpoint.get("addresses") or [])
            return ready, not_ready, "EndpointSlice"
    obj = view.get("endpoints", namespace, service) if view.has("endpoints") else None
    if obj is not None:
        ready = sum(len(s.get("addresses") or []) for s in obj.get("subsets") or [])
        not_ready = sum(len(s.get("notReadyAddresses") or []) for s in obj.get("subsets") or [])
        return ready, not_ready, "Endpoints"
    ready = sum(1 for p in pods if pod_ready(p))
    return ready, len(pods) - ready, "Pods"


@rule(
    codes=["SI302"],
    needs=["mutatingwebhookconfigurations", "services", "pods"],
    uses=["deployments", "endpoints", "endpointslices"],
)
def injector_no_endpoints(ctx: RuleContext) -> Iterator[Finding]:
    """The webhook Service has no ready endpoint. Says which: the selector matches no pod (mismatch,
    with the Deployment's template labels), or the matching pods are not Ready."""
    view = ctx.view
    for webhook, hooks, backend in _backends(ctx):
        if backend.service is None or not backend.selector:
            continue
        ns, svc_name = webhook.service.namespace, webhook.service.name
        ready, not_ready, source = ready_endpoint_count(view, ns, svc_name, backend.pods)
        if ready > 0:
            continue
        svc_ref = object_ref("Service", ns, svc_name)
        ev = [
            evidence(svc_ref, "spec.selector", selectors.label_string(backend.selector)),
            evidence(
                object_ref(source, ns, svc_name) if source != "Pods" else "Pods in %s matching the selector" % ns,
                "ready addresses" if source != "Pods" else "status.conditions[Ready] (no Endpoints object)",
                "%d ready, %d not ready" % (ready, not_ready),
            ),
        ]
        if not backend.pods:
            cause = "its selector %s matches no pod" % selectors.label_string(backend.selector)
            for deploy in [d for d in view.in_namespace("deployments", ns) if (d.get("spec") or {}).get("template")][
                :MAX_EVIDENCE
            ]:
                tmpl = ((deploy.get("spec") or {}).get("template") or {}).get("metadata") or {}
                if any(k in (tmpl.get("labels") or {}) for k in backend.selector) or name_of(deploy) == svc_name:
                    ev.append(
                        evidence(
                            object_ref("Deployment", ns, name_of(deploy)),
                            "spec.template.metadata.labels",
                            selectors.label_string(tmpl.get("labels")),
                        )
                    )
            ops = [
                _pods_step(webhook, backend),
                inspect(
                    ObjectRef("Service", svc_name, ns),
                    "get",
                    "service",
                    svc_name,
                    "-n",
                    ns,
                    "-o",
                    "jsonpath={.spec.selector}",
                ),
                note("fix the Service selector or the pod template labels so they match (re-render the chart)"),
            ]
        else:
            cause = "the %d pod(s) it selects are not Ready" % len(backend.pods)
            ev += [
                evidence(object_ref("Pod", ns, name_of(p)), "status", not_ready_reason(p))
                for p in backend.pods[:MAX_EVIDENCE]
            ]
            ops = [_pods_step(webhook, backend, "-o", "wide"), _logs_step(webhook, backend)]
        yield Finding(
            code="SI302",
            kind="Service",
            namespace=ns,
            name=svc_name,
            mesh=webhook.mesh,
            message="Service %s/%s behind webhook(s) %s has no ready endpoint: %s; the API server reports "
            '`no endpoints available for service "%s"`' % (ns, svc_name, _names(hooks), cause, svc_name),
            evidence=ev,
            plan=Plan("manual", ObjectRef("Service", svc_name, ns), ops, reason="give the Service a ready endpoint"),
            affects=webhook_affects(ctx, hooks),
        )


# ---- SI306 ----------------------------------------------------------------------------------------


def target_ports(
    backend: Any, entry: Dict[str, Any], namespace: str
) -> List[Tuple[Dict[str, Any], Optional[int], str]]:
    out: List[Tuple[Dict[str, Any], Optional[int], str]] = []
    for pod in pseudo_pods(backend, namespace):
        number, how = resolve_target_port(entry, pod)
        out.append((pod, number, how))
    return out


@rule(codes=["SI306"], needs=["mutatingwebhookconfigurations", "services", "pods"], uses=["deployments"])
def webhook_port_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    """The Service port the webhook calls has a targetPort the injector pods do not serve: a named
    targetPort no container declares (the endpoints controller then leaves the pod out), or a number
    no container declares while the injector declares its real webhook port elsewhere (error), or
    declares nothing (warning: an undeclared port may still be listened on)."""
    for webhook, hooks, backend in _backends(ctx):
        if backend.service is None:
            continue
        ns = webhook.service.namespace
        entry = service_port(backend.service, webhook.service.port)
        if entry is None:
            continue  # SI202
        target = entry.get("targetPort", entry.get("port"))
        svc_ref = object_ref("Service", ns, webhook.service.name)
        service = ObjectRef("Service", webhook.service.name, ns)
        affects = webhook_affects(ctx, hooks)
        for pod, number, how in target_ports(backend, entry, ns):
            declared = list(_ports(pod))
            pod_ref = object_ref("Pod", ns, name_of(pod))
            ports_text = ", ".join("%s/%s" % (p.get("containerPort"), p.get("name") or "-") for p in declared) or "none"
            ev = [
                evidence(svc_ref, "spec.ports[port=%d].targetPort" % webhook.service.port, target),
                evidence(pod_ref, "spec.containers[*].ports", ports_text),
            ]
            if number is None:
                yield Finding(
                    code="SI306",
                    kind="Service",
                    namespace=ns,
                    name=webhook.service.name,
                    mesh=webhook.mesh,
                    message="Service %s/%s port %d targets %s, which no container of %s declares: the pod gets no "
                    "endpoint for it (webhooks %s)"
                    % (ns, webhook.service.name, webhook.service.port, how, name_of(pod), _names(hooks)),
                    evidence=ev,
                    plan=Plan(
                        "manual",
                        service,
                        [
                            _ports_step(pod, ns),
                            note(
                                "rename the Service targetPort or the container port so they match "
                                "(re-render the chart)"
                            ),
                        ],
                        reason="make the Service and the injector name the same port",
                    ),
                    affects=affects,
                )
                break
            if any(int(p.get("containerPort") or 0) == number for p in declared):
                continue
            expected = INJECTOR_PORTS.get(webhook.mesh)
            serves_elsewhere = expected is not None and any(
                int(p.get("containerPort") or 0) == expected for p in declared
            )
            yield Finding(
                code="SI306",
                kind="Service",
                namespace=ns,
                name=webhook.service.name,
                mesh=webhook.mesh,
                severity="error" if serves_elsewhere else "warning",
                message="Service %s/%s port %d targets port %d, which %s does not declare%s (webhooks %s)"
                % (
                    ns,
                    webhook.service.name,
                    webhook.service.port,
                    number,
                    name_of(pod),
                    "; the injector listens on %d" % (expected or 0)
                    if serves_elsewhere
                    else " (it may still listen there undeclared)",
                    _names(hooks),
                ),
                evidence=ev,
                plan=_target_port_plan(service, backend.service, webhook.service.port, expected, serves_elsewhere, pod),
                affects=affects,
            )
            break


def _ports(pod: Dict[str, Any]) -> List[Dict[str, Any]]:
    spec = pod.get("spec") or {}
    out: List[Dict[str, Any]] = []
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        out.extend(container.get("ports") or [])
    return out


def _port_index(service: Dict[str, Any], port: int) -> int:
    for index, entry in enumerate((service.get("spec") or {}).get("ports") or []):
        if int(entry.get("port") or 0) == port:
            return index
    return 0


def _ports_step(pod: Dict[str, Any], ns: str) -> Operation:
    if "(pod template)" in name_of(pod):  # no pod yet: its Deployment's template (pseudo_pods)
        deploy = name_of(pod).split(" ", 1)[0]
        return inspect(
            ObjectRef("Deployment", deploy, ns),
            "get",
            "deployment",
            deploy,
            "-n",
            ns,
            "-o",
            "jsonpath={.spec.template.spec.containers[*].ports}",
        )
    return inspect(
        ObjectRef("Pod", name_of(pod), ns),
        "get",
        "pod",
        name_of(pod),
        "-n",
        ns,
        "-o",
        "jsonpath={.spec.containers[*].ports}",
    )


def _target_port_plan(
    service: ObjectRef,
    svc: Dict[str, Any],
    port: int,
    expected: Optional[int],
    serves_elsewhere: bool,
    pod: Dict[str, Any],
) -> Plan:
    """Point the Service port at the injector's own port when the injector declares it; otherwise the
    port may be served undeclared, and only inspecting tells."""
    if not serves_elsewhere or expected is None:
        return Plan(
            "manual",
            service,
            [
                _ports_step(pod, service.namespace),
                note("declare the port the injector listens on, or point the Service targetPort at it"),
            ],
            reason="make the Service target the port the injector listens on",
        )
    index = _port_index(svc, port)
    entry = ((svc.get("spec") or {}).get("ports") or [{}])[index]
    fix = patch(
        service,
        "/spec/ports/%d/targetPort" % index,
        expected,
        entry.get("targetPort", ABSENT),
        guards=[("/spec/ports/%d/port" % index, port)],
    )
    return Plan("manual", service, [fix], reason="target the port the injector listens on")


# ---- SI304 ----------------------------------------------------------------------------------------


def _policy_text(policy: Dict[str, Any]) -> str:
    spec = policy.get("spec") or {}
    rules = spec.get("ingress")
    parts = [
        "podSelector %s" % selectors.render(spec.get("podSelector")),
        "policyTypes %s" % ",".join(netpol.policy_types(policy)),
    ]
    if not rules:
        parts.append("no ingress rules (denies all ingress)")
    else:
        for rule_obj in rules:
            ports = (
                ",".join(
                    "%s/%s%s"
                    % (p.get("protocol") or "TCP", p.get("port", "*"), "-%s" % p["endPort"] if p.get("endPort") else "")
                    for p in rule_obj.get("ports") or []
                )
                or "all ports"
            )
            peers = []
            for peer in rule_obj.get("from") or []:
                if peer.get("ipBlock"):
                    peers.append("ipBlock %s" % peer["ipBlock"].get("cidr"))
                else:
                    peers.append("selector peer")
            parts.append("allow %s from %s" % (ports, ", ".join(peers) or "anywhere"))
    return "; ".join(parts)


@rule(
    codes=["SI304"],
    needs=["mutatingwebhookconfigurations", "services", "pods", "networkpolicies"],
    uses=["deployments"],
)
def networkpolicy_blocks_webhook(ctx: RuleContext) -> Iterator[Finding]:
    """NetworkPolicies in the injector's namespace isolate its pods and no rule admits the API server
    on the webhook's target port (see netpol.py for the exact semantics; selector peers never admit
    the API server). "unknown" (only ipBlocks that may or may not hold the API server) is a warning."""
    view = ctx.view
    for webhook, hooks, backend in _backends(ctx):
        if backend.service is None:
            continue
        ns = webhook.service.namespace
        entry = service_port(backend.service, webhook.service.port)
        policies = view.in_namespace("networkpolicies", ns)
        if entry is None or not policies:
            continue
        pods = pseudo_pods(backend, ns)
        resolved = [(p, n) for p, n, unused in target_ports(backend, entry, ns) if n is not None]
        if not resolved:
            continue
        port = resolved[0][1]
        result = netpol.apiserver_ingress(policies, [p for p, unused in resolved], port)
        if result["verdict"] not in ("blocked", "partial", "unknown"):
            continue
        by_name = {name_of(p): p for p in policies}
        ev = [
            evidence(object_ref("NetworkPolicy", ns, n), "spec", _policy_text(by_name[n]))
            for n in result["policies"][:MAX_EVIDENCE]
        ]
        if result["blocked_pods"]:
            first = result["blocked_pods"][0]
            blocked = [p for p in pods if name_of(p) == first]
            ev.append(
                evidence(
                    object_ref("Pod", ns, first),
                    "metadata.labels",
                    selectors.label_string(labels(blocked[0]) if blocked else {}),
                )
            )
        uncertain = result["verdict"] == "unknown"
        pod_selector = selectors.label_string(backend.selector) if backend.selector else ""
        allow = _allow_policy(webhook.service.name, ns, backend.selector, port, policies)
        what = (
            "only through ipBlocks that may not contain the API server's address"
            if uncertain
            else "blocks it"
            if result["verdict"] == "blocked"
            else "blocks it for pod(s) %s" % ", ".join(result["blocked_pods"][:MAX_EVIDENCE])
        )
        yield Finding(
            code="SI304",
            kind="NetworkPolicy",
            namespace=ns,
            name=result["policies"][0] if result["policies"] else "",
            mesh=webhook.mesh,
            severity="warning" if uncertain else "error",
            message="NetworkPolicy in %s admits the API server to port %d of the %s injector (%s) %s; webhooks %s"
            % (ns, port, MESH_TITLE[webhook.mesh], pod_selector or "its pods", what, _names(hooks))
            if uncertain
            else "NetworkPolicy %s in %s isolates the %s injector pods behind Service %s and %s: the API server cannot "
            "reach port %d (webhooks %s)"
            % (
                ", ".join(result["policies"]),
                ns,
                MESH_TITLE[webhook.mesh],
                webhook.service.name,
                what,
                port,
                _names(hooks),
            ),
            evidence=ev,
            plan=Plan(
                "allow_webhook_ingress",
                allow.target,
                [
                    allow,
                    note(
                        "the API server is outside the pod network: namespaceSelector/podSelector peers never "
                        "admit it; allow the port from all sources, or from the control plane's CIDR as an ipBlock"
                    ),
                ],
                reason="admit the API server to port %d of the injector" % port,
            ),
            affects=webhook_affects(ctx, hooks),
        )


def _allow_policy(
    service: str, ns: str, selector: Dict[str, str], port: int, policies: List[Dict[str, Any]]
) -> Operation:
    """A NetworkPolicy that admits every source to the webhook's target port of the injector pods,
    named after the Service (two injectors in one namespace get one each) and never over an existing
    policy's name."""
    taken = {name_of(p) for p in policies}
    name = ("allow-apiserver-to-%s" % service)[:63].rstrip("-.")
    suffix = 2
    while name in taken:
        name = ("allow-apiserver-to-%s" % service)[: 63 - len(str(suffix)) - 1].rstrip("-.") + "-%d" % suffix
        suffix += 1
    manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "podSelector": {"matchLabels": dict(sorted(selector.items()))} if selector else {},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": port}]}],
        },
    }
    return Operation(
        "create",
        ObjectRef("NetworkPolicy", name, ns),
        manifest=manifest,
        why="admits port %d from anywhere: the API server's address is not known here" % port,
    )


# ---- SI303 ----------------------------------------------------------------------------------------

CLASS_HINTS = {
    "timeout": "the API server reached no answer in time: injector down or overloaded, NetworkPolicy (SI304), "
    "platform firewall (SI305), or an API-server proxy (SI703)",
    "connection-refused": "nothing listens on the target port: injector not ready or targetPort wrong (SI306)",
    "no-endpoints": "the Service has no ready endpoint (SI302)",
    "x509-unknown-authority": "the webhook caBundle does not sign the injector's certificate (SI404)",
    "x509-expired": "a certificate of the chain is expired (SI402/SI405)",
    "x509-wrong-name": "the serving certificate does not name <service>.<namespace>.svc (SI406)",
    "address-not-allowed": "the managed control plane may not dial that address: EKS with an overlay CNI (SI305)",
    "service-unavailable": "the Service is missing or has no such port (SI202), or answered 503",
    "eof": "the connection was closed mid-call: injector crashed, TLS version mismatch, or a proxy in between",
    "other": "see the message",
}


@rule(codes=["SI303"], needs=["events"], uses=["mutatingwebhookconfigurations"])
def webhook_call_failed(ctx: RuleContext) -> Iterator[Finding]:
    """Events where the API server failed to call a webhook (any webhook: a failing one blocks pod
    creation whatever it is), grouped per webhook and failure class, with the exact messages."""
    groups: Dict[Tuple[str, str], List[Tuple[Dict[str, Any], Dict[str, Any]]]] = {}
    for event, parsed in rejections(ctx):
        if parsed["kind"] == "webhook-call-failed":
            groups.setdefault((parsed["webhook"], parsed["class"]), []).append((event, parsed))
    for (name, cls), items in sorted(groups.items()):
        newest = items[0][1]
        hooks = webhooks_named(ctx, name, newest["url"])
        mesh = hooks[0].mesh if hooks and hooks[0].mesh in ("istio", "linkerd") else "any"
        total = sum(int(e.get("count") or 1) for e, unused in items)
        ops = [note(CLASS_HINTS[cls])]
        if hooks and hooks[0].service is not None:
            ref = hooks[0].service
            svc = ObjectRef("Service", ref.name, ref.namespace)
            ops += [
                inspect(svc, "get", "endpoints", ref.name, "-n", ref.namespace, "-o", "wide"),
                inspect(namespace_ref(ref.namespace), "get", "pods", "-n", ref.namespace, "-o", "wide"),
            ]
            if cls.startswith("x509"):
                ops.append(bundle_step(hooks[0]))
            if cls in ("timeout", "connection-refused", "eof"):
                ops.append(
                    inspect(
                        svc,
                        "run",
                        "webhook-probe",
                        "-n",
                        "default",
                        "--rm",
                        "-i",
                        "--restart=Never",
                        "--image=curlimages/curl",
                        "--labels=sidecar.istio.io/inject=false",
                        "--annotations=linkerd.io/inject=disabled",
                        "--",
                        "curl",
                        "-skv",
                        "--max-time",
                        "5",
                        "https://%s.%s.svc:%d%s" % (ref.name, ref.namespace, ref.port, ref.path or "/"),
                        why="a throw-away pod calls it from inside the cluster; the API server's path may still differ",
                    )
                )
        target = mwc_target(hooks[0]) if hooks else ObjectRef("Event", name)
        yield Finding(
            code="SI303",
            kind="MutatingWebhookConfiguration" if hooks else "Event",
            name=hooks[0].config if hooks else name,
            mesh=mesh,
            message="the API server failed to call webhook %s (%s) %d time(s); last error: %s"
            % (name, cls, total, newest["error"]),
            evidence=event_evidence(items),
            plan=Plan("manual", target, ops, reason="find out why the call to %s fails" % name),
            # what was refused (the events' objects), and what else the webhook decides
            affects=merge_affects(event_affects(ctx, items), webhook_affects(ctx, hooks)),
        )


# ---- SI307 ----------------------------------------------------------------------------------------


@rule(codes=["SI307"], needs=["events"], uses=["mutatingwebhookconfigurations"])
def injection_denied(ctx: RuleContext) -> Iterator[Finding]:
    """The injector was reached and denied the pod (invalid annotations, template errors, an injector
    that cannot read its config): `admission webhook "<injector>" denied the request: ...`. Linkerd
    answers Allowed=false on handler errors even with failurePolicy Ignore."""
    groups: Dict[str, List[Tuple[Dict[str, Any], Dict[str, Any]]]] = {}
    for event, parsed in rejections(ctx):
        if parsed["kind"] != "webhook-denied":
            continue
        hooks = webhooks_named(ctx, parsed["webhook"])
        if any(w.injector for w in hooks) or (
            not hooks and parsed["webhook"].endswith(("sidecar-injector.istio.io", "linkerd-proxy-injector.linkerd.io"))
        ):
            groups.setdefault(parsed["webhook"], []).append((event, parsed))
    for name, items in sorted(groups.items()):
        hooks = webhooks_named(ctx, name)
        mesh = "linkerd" if name.endswith("linkerd.io") else "istio"
        reason = items[0][1]["reason"]
        if mesh == "istio":
            ns = hooks[0].service.namespace if hooks and hooks[0].service else "istio-system"
            deploy = _injector_name(ctx, hooks, "istiod")
            ops = [
                note(
                    "'Injection failed due to invalid annotations': fix the named sidecar.istio.io/* or "
                    "traffic.sidecar.istio.io/* annotation on the pod template"
                ),
                note(
                    "a template error (e.g. function ... not defined): istiod and its injector ConfigMap come from "
                    "different versions; re-install that revision"
                ),
                external("istioctl x precheck"),
                inspect(
                    ObjectRef("Deployment", deploy, ns),
                    "logs",
                    "-n",
                    ns,
                    "deploy/%s" % deploy,
                    "--tail=200",
                    pipe="grep -i inject",
                ),
            ]
        else:
            ns = hooks[0].service.namespace if hooks and hooks[0].service else "linkerd"
            deploy = _injector_name(ctx, hooks, "linkerd-proxy-injector")
            ops = [
                inspect(
                    ObjectRef("Deployment", deploy, ns),
                    "logs",
                    "-n",
                    ns,
                    "deploy/%s" % deploy,
                    "-c",
                    "proxy-injector",
                    "--tail=200",
                ),
                inspect(
                    ObjectRef("ConfigMap", "linkerd-config", ns),
                    "get",
                    "configmap",
                    "linkerd-config",
                    "-n",
                    ns,
                    "-o",
                    "jsonpath={.data.values}",
                    why="must parse",
                ),
                external("linkerd check"),
            ]
        target = mwc_target(hooks[0]) if hooks else ObjectRef("Event", name)
        yield Finding(
            code="SI307",
            kind="MutatingWebhookConfiguration" if hooks else "Event",
            name=hooks[0].config if hooks else name,
            mesh=mesh,
            message="the %s injector %s denied %d pod create(s): %s"
            % (
                MESH_TITLE[mesh],
                name,
                sum(int(e.get("count") or 1) for e, unused in items),
                reason or "without explanation",
            ),
            evidence=event_evidence(items),
            plan=Plan("manual", target, ops, reason="find out why the injector denies pods"),
            affects=merge_affects(event_affects(ctx, items), webhook_affects(ctx, hooks)),
        )


def _injector_name(ctx: RuleContext, hooks: List[Any], default: str) -> str:
    """The injector Deployment behind the webhooks (the model's backend), else the mesh's usual name."""
    if hooks and hooks[0].service is not None:
        backend = ctx.model.injector_backends(hooks[0])
        if backend.deployments:
            return name_of(backend.deployments[0])
    return default
