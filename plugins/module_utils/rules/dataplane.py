# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI6xx: the injected (or not injected) pod at runtime.

Read from pod status (container states, termination messages), the verdicts and, when gathered,
Warning events. Findings are grouped per owning workload (bare pods on their own), with the first
pods as evidence, so a broken Deployment of 200 replicas is one finding; each affects that workload
and its namespace (SI605, per namespace: the workloads it restarts). SI604/SI605 plans re-create
exactly the pods concerned (action restart_workload); the others are manual guidance.
"""

from __future__ import annotations

import shlex
from typing import Any, Dict, Iterator, List, Optional

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
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    annotations as annotations_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    labels,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.answers import restart_allowed
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import (
    MAX_EVIDENCE,
    index,
    names_text,
    owner_scope,
    restart_plan,
    template_plan,
    workload_scope,
)

FAILING_WAITING = (
    "CrashLoopBackOff",
    "Error",
    "RunContainerError",
    "CreateContainerError",
    "CreateContainerConfigError",
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
)
INIT_CONTAINERS = {"istio-init": "istio", "linkerd-init": "linkerd"}
VALIDATORS = {"istio-validation": "istio", "linkerd-network-validator": "linkerd"}
PROXIES = {"istio-proxy": "istio", "linkerd-proxy": "linkerd"}
MESH_NAMES = {"istio": "Istio", "linkerd": "Linkerd"}
KNOWN_IMAGE_TYPES = ("distroless", "debug")  # istio inject.KnownImageTypes
LINKERD_PROXY_VERSION_OVERRIDE = "config.linkerd.io/proxy-version"  # pod or namespace pin, read by the injector


def container_statuses(pod: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    status = pod.get("status") or {}
    out = {}
    for key in ("initContainerStatuses", "containerStatuses"):
        for item in status.get(key) or []:
            out[item.get("name")] = item
    return out


def describe_status(status: Dict[str, Any]) -> str:
    """`waiting CrashLoopBackOff, restarts 7, last terminated exitCode 1 (Error): <message>`."""
    parts = []
    state = status.get("state") or {}
    if "waiting" in state:
        parts.append("waiting %s" % (state["waiting"] or {}).get("reason", ""))
    elif "terminated" in state:
        term = state["terminated"] or {}
        parts.append("terminated exitCode %s (%s)" % (term.get("exitCode"), term.get("reason", "")))
    elif "running" in state:
        parts.append("running")
    parts.append("ready %s" % str(bool(status.get("ready"))).lower())
    parts.append("restarts %s" % status.get("restartCount", 0))
    last = (status.get("lastState") or {}).get("terminated")
    if last:
        parts.append("last terminated exitCode %s (%s)" % (last.get("exitCode"), last.get("reason", "")))
    message = termination_message(status)
    text = ", ".join(parts)
    return text + (": " + message if message else "")


def termination_message(status: Dict[str, Any]) -> str:
    for where in ("state", "lastState"):
        term = (status.get(where) or {}).get("terminated") or {}
        if term.get("message"):
            return term["message"].strip()
    waiting = (status.get("state") or {}).get("waiting") or {}
    return (waiting.get("message") or "").strip()


def is_failing(status: Dict[str, Any]) -> bool:
    state = status.get("state") or {}
    waiting = state.get("waiting")
    if waiting and waiting.get("reason") in FAILING_WAITING:
        return True
    term = state.get("terminated")
    if term and term.get("exitCode") not in (0, None):
        return True
    last = (status.get("lastState") or {}).get("terminated")
    return bool(waiting and last and last.get("exitCode") not in (0, None))


def _events_for(ctx: RuleContext, pods: List[Any], container: str) -> List[Dict[str, Any]]:
    """Warning events about `container` of these pods (when events were gathered)."""
    if not ctx.view.has("events"):
        return []
    names = {p.name for p in pods}
    out = []
    for pod in pods[:1]:
        for event in ctx.view.in_namespace("events", pod.namespace):
            obj = event.get("involvedObject") or {}
            if obj.get("kind") != "Pod" or obj.get("name") not in names:
                continue
            if container not in (obj.get("fieldPath") or "") and container not in (event.get("message") or ""):
                continue
            out.append(
                evidence(
                    object_ref("Pod", pod.namespace, obj.get("name")),
                    "event %s message" % event.get("reason"),
                    event.get("message"),
                )
            )
            if len(out) >= 3:
                return out
    return out


def _failing_containers(ctx: RuleContext, names: Dict[str, str]) -> Dict[tuple, List[tuple]]:
    """{(namespace, owner kind, owner name): [(pod verdict, container, status)]} for failing ones."""
    groups: Dict[tuple, List[tuple]] = {}
    for verdict in index(ctx).pods:
        if verdict.phase in ("Succeeded", "Failed"):
            continue
        for name, status in container_statuses(verdict.obj).items():
            if name in names and is_failing(status):
                groups.setdefault((verdict.namespace,) + verdict.owner, []).append((verdict, name, status))
    return groups


def _owner_text(namespace, kind, name):
    return "%s/%s in namespace %s" % (kind.lower(), name, namespace)


def _logs(namespace: str, pod: str, container: str, *extra: str, why: str = "") -> Operation:
    return inspect(ObjectRef("Pod", pod, namespace), "logs", pod, "-n", namespace, "-c", container, *extra, why=why)


def _init_hint(mesh: str, message: str) -> List[Operation]:
    text = (message or "").lower()
    ops: List[Operation] = []
    if any(
        word in text
        for word in (
            "iptables",
            "xtables",
            "nf_tables",
            "nft",
            "permission denied",
            "operation not permitted",
            "can't initialize",
        )
    ):
        if mesh == "istio":
            ops.append(
                note(
                    "iptables cannot be set up in the pod: install Istio CNI so pods need no NET_ADMIN init "
                    "container, or check the node's iptables backend and SELinux"
                )
            )
            ops.append(external("istioctl install --set components.cni.enabled=true", why="Istio CNI"))
        else:
            ops.append(
                note(
                    "iptables cannot be set up in the pod: set proxyInit.iptablesMode to what the nodes use "
                    "(legacy or nft), or install linkerd-cni (cniEnabled=true), or set proxyInit.runAsRoot=true "
                    "on Docker-runtime nodes"
                )
            )
    ops.append(
        note(
            "a Pod Security 'baseline'/'restricted' namespace rejects the NET_ADMIN/NET_RAW init container: use "
            "the mesh CNI plugin, or label the namespace pod-security.kubernetes.io/enforce=privileged"
        )
    )
    return ops


@rule(codes=["SI601"], needs=["pods"], uses=["events"])
def init_container_failing(ctx: RuleContext) -> Iterator[Finding]:
    """istio-init / linkerd-init failing or crash-looping, with its termination message."""
    for (namespace, kind, name), items in sorted(_failing_containers(ctx, INIT_CONTAINERS).items()):
        verdict, container, status = items[0]
        mesh = INIT_CONTAINERS[container]
        message = termination_message(status)
        pods = [i[0] for i in items]
        yield Finding(
            code="SI601",
            kind=kind,
            namespace=namespace,
            name=name,
            mesh=mesh,
            message="%s init container fails in %d pods of %s: %s"
            % (container, len(items), _owner_text(namespace, kind, name), message or describe_status(status)),
            evidence=[
                evidence(
                    object_ref("Pod", v.namespace, v.name), "status.initContainerStatuses[%s]" % c, describe_status(s)
                )
                for v, c, s in items[:MAX_EVIDENCE]
            ]
            + _events_for(ctx, pods, container),
            plan=Plan(
                "manual",
                ObjectRef(kind, name, namespace),
                [_logs(namespace, verdict.name, container, "--previous")] + _init_hint(mesh, message),
                reason="read why %s fails" % container,
            ),
            affects=owner_scope(namespace, kind, name),
        )


def _cni_pods_on(ctx: RuleContext, node: str) -> List[Dict[str, Any]]:
    out = []
    for verdict in index(ctx).pods:
        pod_labels = labels(verdict.obj)
        cni = (
            pod_labels.get("k8s-app") in ("istio-cni-node", "linkerd-cni") or pod_labels.get("app") == "istio-cni-node"
        )
        if cni and (verdict.obj.get("spec") or {}).get("nodeName") == node:
            out.append(verdict.obj)
    return out


def _cni_plan(namespace: str, kind: str, name: str, pods: List[Any], container: str, daemonset: str, node: str) -> Plan:
    """Look at the CNI DaemonSet and the validator, fix the chaining, then re-create the failing pods
    (their controller does; a bare pod has none, so it gets no delete step)."""
    owner = ObjectRef(kind, name, namespace)
    ops = [
        inspect(
            ObjectRef("DaemonSet", daemonset),
            "get",
            "daemonset",
            "-A",
            "-l",
            "k8s-app=%s" % daemonset,
            why="must be ready on node %s" % (node or "of the failing pods"),
        ),
        _logs(namespace, pods[0].name, container),
        note(
            "check that the mesh CNI plugin is chained in the node's CNI configuration (Cilium: "
            "cni.exclusive=false), then delete the failing pods so they are re-created"
        ),
    ]
    if kind != "Pod":
        ops.append(Operation("delete_pods", owner, names=tuple(sorted(p.name for p in pods))))
    return Plan("manual", owner, ops, reason="let the CNI plugin set up the pods' redirection")


@rule(codes=["SI602"], needs=["pods"], uses=["daemonsets", "nodes"])
def cni_validation_failing(ctx: RuleContext) -> Iterator[Finding]:
    """istio-validation / linkerd-network-validator failing: the CNI plugin did not set up the pod's
    redirection (CNI pod not ready on that node, chaining order, plugin missing)."""
    for (namespace, kind, name), items in sorted(_failing_containers(ctx, VALIDATORS).items()):
        verdict, container, status = items[0]
        mesh = VALIDATORS[container]
        node = (verdict.obj.get("spec") or {}).get("nodeName") or ""
        ev = [
            evidence(object_ref("Pod", v.namespace, v.name), "status.initContainerStatuses[%s]" % c, describe_status(s))
            for v, c, s in items[:MAX_EVIDENCE]
        ]
        for cni in _cni_pods_on(ctx, node) if node else []:
            ready = all(s.get("ready") for s in (cni.get("status") or {}).get("containerStatuses") or [])
            ev.append(
                evidence(
                    object_ref("Pod", cni["metadata"].get("namespace"), cni["metadata"].get("name")),
                    "ready on node %s" % node,
                    ready,
                )
            )
        ds = "istio-cni-node" if mesh == "istio" else "linkerd-cni"
        yield Finding(
            code="SI602",
            kind=kind,
            namespace=namespace,
            name=name,
            mesh=mesh,
            message="%s fails in %d pods of %s: the %s CNI plugin did not configure the pod network: %s"
            % (
                container,
                len(items),
                _owner_text(namespace, kind, name),
                MESH_NAMES[mesh],
                termination_message(status) or describe_status(status),
            ),
            evidence=ev + _events_for(ctx, [i[0] for i in items], container),
            plan=_cni_plan(namespace, kind, name, [i[0] for i in items], container, ds, node),
            affects=owner_scope(namespace, kind, name),
        )


@rule(codes=["SI603"], needs=["pods"], uses=["events"])
def proxy_not_ready(ctx: RuleContext) -> Iterator[Finding]:
    """The proxy container crash-loops, or is not Ready in a Running pod."""
    groups: Dict[tuple, List[tuple]] = {}
    for verdict in index(ctx).pods:
        if verdict.phase != "Running" and verdict.phase != "Pending":
            continue
        for name, status in container_statuses(verdict.obj).items():
            if name not in PROXIES:
                continue
            running = "running" in (status.get("state") or {})
            if is_failing(status) or (verdict.phase == "Running" and running and not status.get("ready")):
                groups.setdefault((verdict.namespace,) + verdict.owner, []).append((verdict, name, status))
    for (namespace, kind, name), items in sorted(groups.items()):
        verdict, container, status = items[0]
        mesh = PROXIES[container]
        if mesh == "istio":
            ops = [
                external("istioctl proxy-status"),
                _logs(namespace, verdict.name, "istio-proxy", why="xDS/CA reachability (istiod:15012)"),
            ]
        else:
            ops = [
                external("linkerd check --proxy -n %s" % shlex.quote(namespace)),
                _logs(namespace, verdict.name, "linkerd-proxy", why="identity/destination reachability"),
            ]
        yield Finding(
            code="SI603",
            kind=kind,
            namespace=namespace,
            name=name,
            mesh=mesh,
            message="%s is not ready in %d pods of %s: %s"
            % (container, len(items), _owner_text(namespace, kind, name), describe_status(status)),
            evidence=[
                evidence(object_ref("Pod", v.namespace, v.name), "status.containerStatuses[%s]" % c, describe_status(s))
                for v, c, s in items[:MAX_EVIDENCE]
            ]
            + _events_for(ctx, [i[0] for i in items], container),
            plan=Plan("manual", ObjectRef(kind, name, namespace), ops, reason="find why the proxy is not ready"),
            affects=owner_scope(namespace, kind, name),
        )


@rule(
    codes=["SI604"],
    needs=["pods"],
    uses=[
        "namespaces",
        "mutatingwebhookconfigurations",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
    ],
)
def pod_predates_injection(ctx: RuleContext) -> Iterator[Finding]:
    """Running pods without a proxy although a pod created now would be injected (istioctl IST0103's
    case, judged with the full decision): restart the owner so admission runs again."""
    idx = index(ctx)
    missing = [
        v
        for v in idx.pods
        if v.running
        and v.should_inject
        and not v.injected
        and not v.control_plane
        and not (v.obj.get("metadata") or {}).get("deletionTimestamp")
    ]
    for (namespace, kind, name), pods in sorted(idx.owner_groups(missing).items()):
        if not restart_allowed(ctx, ObjectRef(kind, name, namespace)):
            continue  # something on the path blocks a pod created now: its root cause says so (answers.py)
        decision = pods[0].decision
        if kind == "Pod":
            message = (
                "The pod %s/%s is missing the %s proxy although a pod created now would be injected by %s: "
                "restart or re-create it" % (namespace, name, MESH_NAMES[decision.mesh], decision.webhook)
            )
        else:
            message = (
                "%d pods of %s run without the %s proxy although a pod created now would be injected by %s "
                "(revision %s): they predate the namespace's enablement or were created while the injector "
                "was unavailable (%s)"
                % (
                    len(pods),
                    _owner_text(namespace, kind, name),
                    MESH_NAMES[decision.mesh],
                    decision.webhook,
                    decision.revision or "-",
                    names_text(pods),
                )
            )
        ev = [
            evidence(
                object_ref("Pod", p.namespace, p.name),
                "spec.containers",
                [c.get("name") for c in (p.obj.get("spec") or {}).get("containers") or []],
            )
            for p in pods[:MAX_EVIDENCE]
        ]
        ev += [evidence(object_ref("Pod", pods[0].namespace, pods[0].name), "verdict", r) for r in decision.reasons]
        yield Finding(
            code="SI604",
            kind=kind,
            namespace=namespace,
            name=name,
            mesh=decision.mesh,
            message=message,
            evidence=ev,
            plan=restart_plan(
                [(namespace, kind, name, pods)],
                ObjectRef(kind, name, namespace),
                reason="re-create the pods so admission injects them",
            ),
            affects=owner_scope(namespace, kind, name),
        )


def _image_type(annos: Dict[str, str]) -> str:
    if annos.get("sidecar.istio.io/proxyImageType"):
        return annos["sidecar.istio.io/proxyImageType"]
    config = annos.get("proxy.istio.io/config") or ""
    for line in config.splitlines():
        if line.strip().startswith("imageType:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return ""


def _same_build(image: str, expected: str, image_type: str) -> bool:
    """IST0158 acceptance, widened to Istio's published image variants (a -distroless or -debug
    build of the expected version is the same proxy version)."""
    if image == expected:
        return True
    types = (image_type,) + KNOWN_IMAGE_TYPES if image_type else KNOWN_IMAGE_TYPES
    return any(t and image == "%s-%s" % (expected, t) for t in types)


def _istio_skew(ctx: RuleContext, verdict: Any) -> Optional[str]:
    istio = ctx.model.istio
    proxy = verdict.proxy
    annos = (verdict.obj.get("metadata") or {}).get("annotations") or {}
    reasons = []
    if proxy.revision and istio is not None:
        actual = istio.resolve(proxy.revision) or proxy.revision
        if actual != verdict.revision and proxy.revision != verdict.revision:
            reasons.append(
                "proxy from revision %s, namespace now selects revision %s" % (proxy.revision, verdict.revision)
            )
    config = istio.injector_for(verdict.revision) if istio is not None else None
    expected = config.expected_proxy_image if config is not None else ""
    custom = "sidecar.istio.io/proxyImage" in annos  # a custom image was asked for: not skew (as IST0158)
    if expected and proxy.image and not custom and not _same_build(proxy.image, expected, _image_type(annos)):
        reasons.append("proxy image %s, revision %s injects %s" % (proxy.image, verdict.revision, expected))
    return "; ".join(reasons) or None


def _linkerd_skew(ctx: RuleContext, verdict: Any, linkerd: Any) -> Optional[str]:
    """Skew against the proxy version the pod's next incarnation would get: the pod's or its
    namespace's `config.linkerd.io/proxy-version` where one is set, else the injector's configured
    proxy version. Comparing with the control plane's own version instead would advise restarts
    that change nothing wherever the proxy is versioned or pinned on its own."""
    pinned = annotations_of(verdict.obj).get(LINKERD_PROXY_VERSION_OVERRIDE) or annotations_of(
        ctx.view.namespace(verdict.namespace) or {}
    ).get(LINKERD_PROXY_VERSION_OVERRIDE)
    expected = pinned or linkerd.proxy_version  # proxy_version already falls back to linkerdVersion
    if not expected or verdict.proxy.version == expected:
        return None
    source = "%s %s" % (LINKERD_PROXY_VERSION_OVERRIDE, pinned) if pinned else "control plane injects %s" % expected
    return "proxy version %s, %s" % (verdict.proxy.version, source)


@rule(codes=["SI605"], needs=["pods"], uses=["configmaps", "deployments", "replicasets"])
def proxy_version_skew(ctx: RuleContext) -> Iterator[Finding]:
    """Injected pods whose proxy comes from another revision/version than the one their namespace now
    selects (istioctl IST0158 image check, `injector list` NEEDS RESTART, Linkerd proxy-version vs
    the control plane). One finding per namespace, as istioctl does."""
    idx = index(ctx)
    linkerd = ctx.model.linkerd
    per_ns: Dict[str, List[tuple]] = {}
    for verdict in idx.pods:
        if not (verdict.injected and verdict.running and verdict.should_inject) or verdict.control_plane:
            continue
        if verdict.proxy.mesh != verdict.mesh:
            continue
        if verdict.mesh == "istio":
            why = _istio_skew(ctx, verdict)
        elif linkerd is not None and verdict.proxy.version:
            why = _linkerd_skew(ctx, verdict, linkerd)
        else:
            why = None
        if why:
            per_ns.setdefault(verdict.namespace, []).append((verdict, why))
    for namespace, candidates in sorted(per_ns.items()):
        # only the workloads whose next pod gets the current proxy (answers.py): a restart helps those
        items = [(v, why) for v, why in candidates if restart_allowed(ctx, workload_scope(v))]
        if not items:
            continue
        pods = sorted((v for v, unused in items), key=lambda v: v.name)
        mesh = pods[0].mesh
        owners = sorted(idx.owner_groups(pods).items())
        yield Finding(
            code="SI605",
            kind="Namespace",
            namespace="",
            name=namespace,
            mesh=mesh,
            message="The %s proxy of %d pods in namespace %s does not match what the namespace's injector now "
            "injects: [%s]. Restart the workloads to pick up the current proxy."
            % (MESH_NAMES[mesh], len(pods), namespace, " ".join(v.name for v in pods)),
            evidence=[
                evidence(object_ref("Pod", v.namespace, v.name), "proxy", why)
                for v, why in sorted(items, key=lambda i: i[0].name)[:MAX_EVIDENCE]
            ],
            plan=restart_plan(
                [(ns, kind, name, members) for (ns, kind, name), members in owners],
                namespace_ref(namespace),
                reason="restart the workloads so their pods get the current proxy",
            ),
            affects=[ObjectRef(kind, name, ns) for (ns, kind, name), unused in owners] + [namespace_ref(namespace)],
        )


def _main_containers_done(pod: Dict[str, Any]) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    main = [s for s in statuses if s.get("name") not in PROXIES]
    return bool(main) and all("terminated" in (s.get("state") or {}) for s in main)


def _native_sidecar_plan(idx: Any, namespace: str, kind: str, name: str, mesh: str) -> Plan:
    """Istio: the nativeSidecar pod annotation on the template (a CronJob's next Job gets it; a Job's
    template is immutable, so it is guidance); Linkerd's key depends on its version: guidance."""
    if mesh == "istio":
        lead = (
            note(
                'annotate the pod template sidecar.istio.io/nativeSidecar="true" (Istio 1.24+, Kubernetes 1.29+) or '
                "enable native sidecars on istiod (ENABLE_NATIVE_SIDECARS=true):"
            ),
        )
        tail = note("or end the proxy when the job is done: curl -fsI -X POST http://localhost:15020/quitquitquit")
        template = idx.templates.get((kind, namespace, name))
        if template is not None:
            plan = template_plan(
                idx,
                template,
                "annotations",
                "sidecar.istio.io/nativeSidecar",
                "true",
                reason="use a native sidecar",
                lead=lead,
            )
            plan.operations.append(tail)
            return plan
        return Plan("manual", ObjectRef(kind, name, namespace), list(lead) + [tail], reason="use a native sidecar")
    ops = [
        note(
            'annotate the pod template config.linkerd.io/proxy-enable-native-sidecar="true" (2.20; '
            "config.beta.linkerd.io/... on 2.19, config.alpha.linkerd.io/... on 2.15-2.18; Kubernetes 1.29+)"
        ),
        note("or wrap the command with linkerd-await --shutdown, or POST http://localhost:4191/shutdown"),
    ]
    return Plan("manual", ObjectRef(kind, name, namespace), ops, reason="use a native sidecar")


@rule(codes=["SI606"], needs=["pods"], uses=["jobs", "cronjobs"])
def job_sidecar_blocks_completion(ctx: RuleContext) -> Iterator[Finding]:
    """Job/CronJob pods whose main containers finished while a classic (non-native) proxy keeps the
    pod Running, so the Job never completes."""
    idx = index(ctx)
    stuck = [
        v
        for v in idx.pods
        if v.phase == "Running"
        and v.injected
        and not v.proxy.native
        and v.owner[0] in ("Job", "CronJob")
        and _main_containers_done(v.obj)
    ]
    for (namespace, kind, name), pods in sorted(idx.owner_groups(stuck).items()):
        mesh = pods[0].proxy.mesh
        yield Finding(
            code="SI606",
            kind=kind,
            namespace=namespace,
            name=name,
            mesh=mesh,
            message="%d pods of %s finished their work but stay Running because the %s proxy is a classic sidecar "
            "container: %s"
            % (len(pods), _owner_text(namespace, kind, name), pods[0].proxy.container, names_text(pods)),
            evidence=[
                evidence(
                    object_ref("Pod", p.namespace, p.name),
                    "status.containerStatuses",
                    [
                        "%s: %s" % (s.get("name"), describe_status(s))
                        for s in (p.obj.get("status") or {}).get("containerStatuses") or []
                    ],
                )
                for p in pods[:MAX_EVIDENCE]
            ],
            plan=_native_sidecar_plan(idx, namespace, kind, name, mesh),
            affects=owner_scope(namespace, kind, name),
        )
