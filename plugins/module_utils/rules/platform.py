# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI305 and SI7xx: the platform between the API server and the injector, and versions.

platform.detect_platform says what runs the cluster; the firewall rule (SI305) is certain only for
EKS with an overlay CNI (the managed control plane cannot route to pod addresses) and is otherwise
backed by what the API server reported (timeouts, `Address is not allowed`). Security groups and
GCP firewall rules are not visible from Kubernetes, so the finding carries the commands that check
and open them.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlparse

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
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model import platform, versions
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.controlplane import (
    MAX_EVIDENCE,
    MESH_TITLE,
    event_affects,
    event_evidence,
    group_by_service,
    live_injectors,
    merge_affects,
    mesh_affects,
    mwc_target,
    rejections,
    webhook_affects,
    webhooks_named,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.webhooks import apiserver_flags
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import index, template_ops

UNREACHABLE = ("timeout", "address-not-allowed")


def _injector_deployment(ctx: RuleContext, webhook: Any) -> Tuple[str, Optional[Dict[str, Any]]]:
    """(name, object) of the injector Deployment; the mesh's usual name (and None) when not seen."""
    backend = ctx.model.injector_backends(webhook)
    if backend.deployments:
        return name_of(backend.deployments[0]), backend.deployments[0]
    return ("istiod" if webhook.mesh == "istio" else "linkerd-proxy-injector"), None


def _firewall_ops(
    info: Dict[str, Any], mesh: str, ports: List[int], ns: str, deploy: str, obj: Optional[Dict[str, Any]]
) -> List[Operation]:
    """The platform's commands (gcloud/aws) as external steps; on EKS with an overlay CNI first the
    hostNetwork workaround, as one JSON patch of the injector's pod template."""
    ops: List[Operation] = []
    if info["name"] == "gke":
        return [external(line) for line in platform.gke_firewall_steps(info, mesh, ports)]
    if (info.get("cni") or {}).get("overlay"):
        spec = (((obj or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
        target = ObjectRef("Deployment", deploy, ns or "NAMESPACE")
        ops += [
            note(
                "preferred: keep the AWS VPC CNI for pod addressing (Calico in policy-only mode, Cilium in "
                "aws-cni chaining or ENI mode) so pod IPs are VPC-routable"
            ),
            note(
                "workaround: run the webhook server on the node network so the control plane can reach port %d"
                % ports[0]
            ),
            patch(target, "/spec/template/spec/hostNetwork", True, spec.get("hostNetwork", ABSENT)),
            # dnsPolicy is not in the snapshot (projection drops it): `add` sets it whatever it is
            patch(target, "/spec/template/spec/dnsPolicy", "ClusterFirstWithHostNet"),
        ]
        if mesh == "linkerd":
            ops.append(
                note(
                    "the injector pod carries linkerd-init/linkerd-proxy: with hostNetwork they would rewrite the "
                    "node's iptables (linkerd/linkerd2#12489); install it without its proxy before switching"
                )
            )
        ops.append(
            note(
                "port %d must then be free on every node and allowed by the node security group "
                "(see the security-group commands)" % ports[0]
            )
        )
    return ops + [external(line) for line in platform.eks_security_group_steps(info, ports)]


@rule(
    codes=["SI305"],
    needs=["mutatingwebhookconfigurations", "nodes"],
    uses=["daemonsets", "deployments", "events", "pods", "services"],
)
def control_plane_firewall(ctx: RuleContext) -> Iterator[Finding]:
    """The platform needs a rule for the API server to reach the webhook port: EKS with an overlay CNI
    (certain, error), EKS/GKE where events show the call timing out or `Address is not allowed`
    (error), a GKE private cluster (the default master rule opens only 443 and 10250): warning when no
    pod carries the mesh's proxy yet, info when injected pods show the rule exists. The commands name
    the port (Istio 15017, Linkerd 8443/9443)."""
    info = platform.detect_platform(ctx.view)
    if info["name"] not in ("eks", "gke"):
        return
    failures: Dict[str, List[Tuple[Dict[str, Any], Dict[str, Any]]]] = {}
    if ctx.view.has("events"):
        for event, parsed in rejections(ctx):
            if parsed["kind"] == "webhook-call-failed" and parsed["class"] in UNREACHABLE:
                for webhook in webhooks_named(ctx, parsed["webhook"], parsed["url"]):
                    if webhook.injector:
                        failures.setdefault(webhook.mesh, []).append((event, parsed))
    for mesh in ("istio", "linkerd"):
        hooks = live_injectors(ctx, mesh=mesh)
        if not hooks:
            continue
        ports = platform.ports_for(mesh)
        webhook = hooks[0]
        ns = webhook.service.namespace if webhook.service else ""
        deploy, deploy_obj = _injector_deployment(ctx, webhook)
        plan = Plan(
            "manual",
            mwc_target(webhook),
            _firewall_ops(info, mesh, ports, ns, deploy, deploy_obj),
            reason="let the control plane reach TCP %s" % ",".join(str(p) for p in ports),
        )
        affects = webhook_affects(ctx, hooks)
        ev = list(info["evidence"][:MAX_EVIDENCE])
        observed = failures.get(mesh, [])
        overlay = info["name"] == "eks" and (info["cni"] or {}).get("overlay")
        if overlay:
            message = (
                "EKS with the %s CNI (overlay, no aws-node): the managed control plane cannot reach pod "
                "addresses, so calls to the %s injector on port %d time out or fail with `Address is not "
                "allowed`" % (info["cni"]["name"], MESH_TITLE[mesh], ports[0])
            )
        elif observed:
            message = (
                "%s: the API server cannot reach the %s injector (%d failed call(s): %s); the platform must allow "
                "the control plane to reach TCP %s on the nodes"
                % (
                    platform.describe(info),
                    MESH_TITLE[mesh],
                    len(observed),
                    observed[0][1]["class"],
                    ",".join(str(p) for p in ports),
                )
            )
        elif info["name"] == "gke" and info["private"]:
            injected = _meshed_pods(ctx, mesh)
            message = (
                "GKE private cluster: the master firewall rule gke-<cluster>-<hash>-master only opens 443 and "
                "10250, so the control plane needs a rule for TCP %s to call the %s injector; %s"
                % (
                    ",".join(str(p) for p in ports),
                    MESH_TITLE[mesh],
                    "injected pods show such a rule exists (or existed when they were created)"
                    if injected
                    else "no pod has been injected yet, so nothing shows that it exists",
                )
            )
            yield Finding(
                code="SI305",
                kind="MutatingWebhookConfiguration",
                name=webhook.config,
                mesh=mesh,
                severity="info" if injected else "warning",
                message=message,
                evidence=ev,
                plan=plan,
                affects=affects,
            )
            continue
        else:
            continue
        yield Finding(
            code="SI305",
            kind="MutatingWebhookConfiguration",
            name=webhook.config,
            mesh=mesh,
            message=message,
            evidence=ev + event_evidence(observed),
            plan=plan,
            affects=merge_affects(affects, event_affects(ctx, observed)),
        )


def _meshed_pods(ctx: RuleContext, mesh: str) -> bool:
    return any(
        v.injected and v.proxy is not None and v.proxy.mesh == mesh and not v.control_plane
        for v in ctx.verdicts
        if not v.template
    )


# ---- SI701 ----------------------------------------------------------------------------------------


def _server_version(ctx: RuleContext) -> str:
    version = ctx.view.raw.get("version") or {}
    return str(version.get("gitVersion") or "") if isinstance(version, dict) else str(version)


@rule(codes=["SI701"], requires=["version"], uses=["deployments", "pods", "nodes"])
def kubernetes_version_unsupported(ctx: RuleContext) -> Iterator[Finding]:
    """The installed mesh release does not support this Kubernetes version: below the minimum its
    tooling enforces (error: istioctl precheck / linkerd check fail, Helm refuses), or outside the
    supported/tested range (warning). Tables and sources: versions.py."""
    k8s = _server_version(ctx)
    if not versions.parse_kubernetes(k8s):
        return
    checks: List[Tuple[str, Tuple[str, str, str], str, Optional[Dict[str, Any]]]] = []
    if ctx.model.istio is not None:
        for name, rev in sorted(ctx.model.istio.revisions.items()):
            if rev.version:
                obj = ("Deployment", rev.namespace, rev.deployments[0] if rev.deployments else name)
                checks.append(("istio", obj, rev.version, versions.istio_support(rev.version, k8s)))
    linkerd = ctx.model.linkerd
    if linkerd is not None and linkerd.version:
        obj = ("ConfigMap", linkerd.namespace, "linkerd-config")
        checks.append(("linkerd", obj, linkerd.version, versions.linkerd_support(linkerd.version, k8s)))
    for mesh, (kind, namespace, name), mesh_version, result in checks:
        ref = object_ref(kind, namespace, name)
        if result is None or result["status"] == "supported":
            continue
        hard = result["status"] == "below-minimum"
        text = {
            "below-minimum": "below the minimum %s enforces (%s)"
            % (
                "istioctl precheck" if mesh == "istio" else "linkerd check / the Helm chart",
                result["minimum_enforced"],
            ),
            "too-old": "older than the supported range %s" % result["supported_range"],
            "too-new": "newer than the supported range %s" % result["supported_range"],
        }[result["status"]]
        yield Finding(
            code="SI701",
            kind=kind,
            namespace=namespace,
            name=name,
            mesh=mesh,
            severity="error" if hard else "warning",
            message="%s %s on Kubernetes %s: %s" % (MESH_TITLE[mesh], mesh_version, result["kubernetes"], text),
            evidence=[
                evidence("/version", "gitVersion", k8s),
                evidence(ref, "image" if mesh == "istio" else "data[values].linkerdVersion", mesh_version),
            ],
            plan=Plan(
                "manual",
                ObjectRef(kind, name, namespace),
                [
                    note("source: %s" % result["source"]),
                    external("istioctl x precheck" if mesh == "istio" else "linkerd check --pre"),
                    note(
                        "upgrade the mesh to a release that supports Kubernetes %s (or the cluster into the range)"
                        % result["kubernetes"]
                    ),
                ],
                reason="run a mesh release that supports this Kubernetes",
            ),
            affects=mesh_affects(ctx, mesh),
        )


# ---- SI702 ----------------------------------------------------------------------------------------

LINKERD_NATIVE_ANNOTATIONS = (
    "config.linkerd.io/proxy-enable-native-sidecar",
    "config.beta.linkerd.io/proxy-enable-native-sidecar",
    "config.alpha.linkerd.io/proxy-enable-native-sidecar",
)
ISTIO_NATIVE_ANNOTATION = "sidecar.istio.io/nativeSidecar"


def _old_nodes(ctx: RuleContext, minimum: Tuple[int, int]) -> List[Tuple[str, str]]:
    out = []
    for node in ctx.view.items("nodes"):
        kubelet = str(((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion") or "")
        parsed = versions.parse_kubernetes(kubelet)
        if parsed and parsed[:2] < minimum:
            out.append((name_of(node), kubelet))
    return out


NativeRequest = Tuple[Tuple[str, str, str], str, str]  # ((kind, namespace, name), field, value)


def _native_requests(ctx: RuleContext) -> Dict[str, List[NativeRequest]]:
    """mesh -> [((kind, namespace, name), field, value)] that ask for native sidecars."""
    out: Dict[str, List[NativeRequest]] = {}
    istio, linkerd = ctx.model.istio, ctx.model.linkerd
    if linkerd is not None and linkerd.config_found and (linkerd.values.get("proxy") or {}).get("nativeSidecar"):
        out.setdefault("linkerd", []).append(
            (("ConfigMap", linkerd.namespace, "linkerd-config"), "data[values].proxy.nativeSidecar", "true")
        )
    if istio is not None:
        for name, rev in sorted(istio.revisions.items()):
            value = str(rev.env.get("ENABLE_NATIVE_SIDECARS", "")).lower()
            if value == "true":
                obj = ("Deployment", rev.namespace, rev.deployments[0] if rev.deployments else name)
                out.setdefault("istio", []).append(
                    (obj, "spec.template.spec.containers[discovery].env[ENABLE_NATIVE_SIDECARS]", "true")
                )
    for verdict in ctx.verdicts:
        if not verdict.template or not verdict.should_inject:
            continue
        annos = (((verdict.obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {}
        ref = (verdict.kind, verdict.namespace, verdict.name)
        if verdict.mesh == "istio" and annos.get(ISTIO_NATIVE_ANNOTATION) == "true":
            out.setdefault("istio", []).append(
                (ref, "spec.template.metadata.annotations[%s]" % ISTIO_NATIVE_ANNOTATION, "true")
            )
        if verdict.mesh == "linkerd":
            for key in LINKERD_NATIVE_ANNOTATIONS:
                if annos.get(key) == "true":
                    out.setdefault("linkerd", []).append((ref, "spec.template.metadata.annotations[%s]" % key, "true"))
    return out


def _ref_of(obj: Tuple[str, str, str]) -> Tuple[str, str, str]:
    """ObjectRef's (kind, name, namespace) from a request's (kind, namespace, name)."""
    kind, namespace, name = obj
    return kind, name, namespace


def _native_off(ctx: RuleContext, mesh: str, requests: List[NativeRequest]) -> Tuple[List[Operation], List[ObjectRef]]:
    """(operations that turn each request off, the workloads it affects): a pod-template annotation is
    set to "false" on its workload; the mesh-wide settings (linkerd-config, istiod's env) are Helm
    values and affect every workload of the mesh."""
    idx = index(ctx)
    ops: List[Operation] = []
    refs: List[ObjectRef] = []
    for obj, field, _value in requests:
        kind, namespace, name = obj
        verdict = idx.templates.get(obj)
        if verdict is not None and field.startswith("spec.template.metadata.annotations["):
            ops += template_ops(
                idx, verdict, "annotations", field[len("spec.template.metadata.annotations[") : -1], "false"
            )
            refs.append(ObjectRef(kind, name, namespace))
        elif kind == "ConfigMap":
            ops.append(
                external(
                    "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n %s --reuse-values "
                    "--set proxy.nativeSidecar=false" % namespace,
                    why="or linkerd upgrade --set proxy.nativeSidecar=false",
                )
            )
            refs += mesh_affects(ctx, mesh)
        else:
            ops.append(
                external(
                    "helm upgrade %s istio/istiod -n %s --reuse-values --set pilot.env.ENABLE_NATIVE_SIDECARS=false"
                    % (name, namespace),
                    why="istioctl: --set values.pilot.env.ENABLE_NATIVE_SIDECARS=false",
                )
            )
            refs += mesh_affects(ctx, mesh)
    return ops, merge_affects(refs)


@rule(
    codes=["SI702"],
    needs=["nodes"],
    uses=["version", "pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"],
)
def native_sidecar_unsupported(ctx: RuleContext) -> Iterator[Finding]:
    """Native sidecars (restartPolicy Always init containers) requested while the API server or some
    kubelet is older than 1.29 (error). Istio 1.27+ `auto` mode needs kubelet >= 1.33 on every node:
    a mixed fleet silently falls back to classic sidecars cluster-wide (info)."""
    server = versions.parse_kubernetes(_server_version(ctx))
    minimum = versions.NATIVE_SIDECAR_MIN_K8S
    old = _old_nodes(ctx, minimum)
    for mesh, requests in sorted(_native_requests(ctx).items()):
        server_old = server is not None and server[:2] < minimum
        if not (server_old or old):
            continue
        ev = [evidence(object_ref(*obj), field, value) for obj, field, value in requests[:MAX_EVIDENCE]]
        if server_old:
            ev.append(evidence("/version", "gitVersion", _server_version(ctx)))
        ev += [evidence(object_ref("Node", "", n), "status.nodeInfo.kubeletVersion", k) for n, k in old[:MAX_EVIDENCE]]
        where = "the API server" if server_old else "node(s) %s" % ", ".join(n for n, unused in old[:MAX_EVIDENCE])
        off, affects = _native_off(ctx, mesh, requests)
        yield Finding(
            code="SI702",
            kind=requests[0][0][0],
            namespace=requests[0][0][1],
            name=requests[0][0][2],
            mesh=mesh,
            message="%s native sidecars are requested (%d place(s)) but %s run(s) Kubernetes older than 1.%d: "
            "injected pods fail or lose their proxy ordering" % (MESH_TITLE[mesh], len(requests), where, minimum[1]),
            evidence=ev,
            plan=Plan(
                "manual",
                ObjectRef(*_ref_of(requests[0][0])),
                [
                    note("upgrade the control plane and every node to >= 1.%d" % minimum[1]),
                    inspect(
                        ObjectRef("Node", ""),
                        "get",
                        "nodes",
                        "-o",
                        "custom-columns=NAME:.metadata.name,KUBELET:.status.nodeInfo.kubeletVersion",
                    ),
                ],
                reason="run Kubernetes that supports native sidecars",
                alternatives=[
                    Plan("manual", ObjectRef(*_ref_of(requests[0][0])), off, reason="turn native sidecars off")
                ],
            ),
            affects=affects,
        )
    istio = ctx.model.istio
    if istio is None:
        return
    auto_min = versions.ISTIO_AUTO_NATIVE_MIN_KUBELET
    old_for_auto = _old_nodes(ctx, auto_min)
    new_nodes = len(ctx.view.items("nodes")) - len(old_for_auto)
    if not old_for_auto or new_nodes <= 0:
        return
    for name, rev in sorted(istio.revisions.items()):
        parsed = versions.parse_istio(rev.version)
        mode = str(rev.env.get("ENABLE_NATIVE_SIDECARS", "auto") or "auto").lower()
        if not parsed or parsed[:2] < versions.ISTIO_AUTO_NATIVE_SINCE or mode != "auto":
            continue
        yield Finding(
            code="SI702",
            kind="Deployment",
            namespace=rev.namespace,
            name=rev.deployments[0] if rev.deployments else name,
            mesh="istio",
            severity="info",
            message="Istio %s (revision %s) injects native sidecars only when every node runs kubelet >= 1.%d; %d "
            "node(s) are older, so all pods get classic sidecars (Jobs keep running, startup order differs)"
            % (rev.version, name, auto_min[1], len(old_for_auto)),
            evidence=[
                evidence(object_ref("Node", "", n), "status.nodeInfo.kubeletVersion", k)
                for n, k in old_for_auto[:MAX_EVIDENCE]
            ],
            plan=Plan(
                "manual",
                ObjectRef("Deployment", rev.deployments[0] if rev.deployments else name, rev.namespace),
                [note("upgrade those nodes, or set ENABLE_NATIVE_SIDECARS=true/false on istiod to decide explicitly")],
                reason="decide the sidecar mode explicitly",
            ),
            affects=mesh_affects(ctx, "istio"),
        )


# ---- SI703 ----------------------------------------------------------------------------------------


def _env(pod: Dict[str, Any]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for container in (pod.get("spec") or {}).get("containers") or []:
        for item in container.get("env") or []:
            if "value" in item:
                out[item.get("name") or ""] = str(item.get("value") or "")
    return out


def redact(url: str) -> str:
    """A proxy URL without its userinfo (credentials never go into a report)."""
    parsed = urlparse(url if "://" in url else "http://" + url)
    if parsed.username or parsed.password:
        netloc = parsed.hostname or ""
        if parsed.port:
            netloc += ":%d" % parsed.port
        return url.replace(parsed.netloc, "***@" + netloc, 1)
    return url


def no_proxy_covers(no_proxy: str, host: str) -> bool:
    """Go's net/http/httpproxy NO_PROXY matching for a host name or IP: `*`, exact names, domain suffixes
    (`svc` and `.svc` both cover `x.ns.svc`), IPs and CIDRs."""
    host = host.lower().rstrip(".")
    try:
        address: Optional[Any] = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        entry = entry.split(":")[0]
        if entry.startswith("*."):
            entry = entry[1:]
        if host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")):
            return True
    return False


@rule(codes=["SI703"], needs=["pods", "mutatingwebhookconfigurations"])
def apiserver_proxy_env(ctx: RuleContext) -> Iterator[Finding]:
    """kube-apiserver (readable static pod) has HTTPS_PROXY set and NO_PROXY does not cover the webhook
    hosts (`<service>.<namespace>.svc`; a service CIDR entry does not help, the host is a name), so
    webhook calls go to the proxy, which cannot resolve cluster names."""
    hosts = []
    calls: Dict[str, List[Any]] = {}  # host -> the webhooks that call it
    for _key, hooks in sorted(group_by_service(live_injectors(ctx)).items()):
        ref = hooks[0].service
        hosts.append("%s.%s.svc" % (ref.name, ref.namespace))
        calls.setdefault(hosts[-1], []).extend(hooks)
    for webhook in live_injectors(ctx):
        if webhook.url:
            hosts.append(urlparse(webhook.url).hostname or "")
            calls.setdefault(hosts[-1], []).append(webhook)
    if not hosts:
        return
    for pod in platform.kube_apiserver_pods(ctx.view):
        env = _env(pod)
        proxy = env.get("HTTPS_PROXY") or env.get("https_proxy")
        if not proxy:
            continue
        no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
        uncovered = [h for h in hosts if h and not no_proxy_covers(no_proxy, h)]
        if not uncovered:
            continue
        cidr = apiserver_flags(pod).get("service-cluster-ip-range", "")
        ref = object_ref("Pod", "kube-system", name_of(pod))
        ev = [
            evidence(ref, "spec.containers[0].env[HTTPS_PROXY]", redact(proxy)),
            evidence(ref, "spec.containers[0].env[NO_PROXY]", no_proxy or "<unset>"),
        ]
        if cidr:
            ev.append(evidence(ref, "spec.containers[0].command[--service-cluster-ip-range]", cidr))
        yield Finding(
            code="SI703",
            kind="Pod",
            namespace="kube-system",
            name=name_of(pod),
            mesh="any",
            message="kube-apiserver sends webhook calls for %s through HTTPS_PROXY %s: NO_PROXY does not cover them"
            % (", ".join(uncovered), redact(proxy)),
            evidence=ev,
            plan=Plan(
                "manual",
                ObjectRef("Pod", name_of(pod), "kube-system"),
                [
                    note(
                        "edit /etc/kubernetes/manifests/kube-apiserver.yaml on each control-plane node: add .svc%s to "
                        "NO_PROXY and no_proxy" % (",%s" % cidr if cidr else "")
                    ),
                    inspect(
                        ObjectRef("Pod", name_of(pod), "kube-system"),
                        "get",
                        "pod",
                        name_of(pod),
                        "-n",
                        "kube-system",
                        "-o",
                        "jsonpath={.spec.containers[0].env}",
                    ),
                ],
                reason="keep webhook calls off the proxy",
            ),
            affects=webhook_affects(ctx, [w for h in uncovered for w in calls.get(h, [])]),
        )
