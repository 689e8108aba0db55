# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Linkerd's proxy-injector decision (stage 2), as `pkg/inject/report.go` makes it.

`injectable(...)` returns (bool, [reason ids]) with upstream's ids, in upstream's order
(host network, existing sidecar, unsupported resource, inject annotation, automount); `REASONS`
maps each id to the exact text Linkerd puts in `InjectionSkipped` events and logs. The webhook
origin reads the namespace annotation; the CLI origin (`linkerd inject`) ignores it, only skips a
pod template annotated `disabled`, and uninjects Linkerd's own containers first.
See research/linkerd.md §2 and conformance/linkerd/decision-cases.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.constants import LINKERD_INJECT

INJECT_ANNOTATION = LINKERD_INJECT
VALID_VALUES = ("enabled", "disabled", "ingress")
ENABLING = ("enabled", "ingress")

REASONS = {
    "host_network_enabled": "hostNetwork is enabled",
    "sidecar_already_exists": "pod has a sidecar injected already",
    "unsupported_resource": "this resource kind is unsupported",
    "injection_enable_annotation_absent": (
        'neither the namespace nor the pod have the annotation "linkerd.io/inject:enabled"'
    ),
    "injection_disable_annotation_present": 'pod has the annotation "linkerd.io/inject:disabled"',
    "invalid_inject_annotation_at_workload": 'invalid value for annotation "linkerd.io/inject" at workload',
    "invalid_inject_annotation_at_ns": 'invalid value for annotation "linkerd.io/inject" at namespace',
    "disabled_automount_service_account_token_account": (
        'automountServiceAccountToken set to "false", with Values.identity.serviceAccountTokenProjection set to "false"'
    ),
    "udp_ports_enabled": "UDP port(s) configured on pod spec",
}

# pkg/healthcheck/sidecar.go HasExistingSidecars
PROXY_NAMES = ("linkerd-proxy", "istio-proxy")
PROXY_IMAGE_PREFIXES = ("cr.l5d.io/linkerd/proxy:", "gcr.io/istio-release/proxyv2:")
INIT_NAMES = ("linkerd-init", "istio-init")
INIT_IMAGE_PREFIXES = ("cr.l5d.io/linkerd/proxy-init:", "gcr.io/istio-release/proxy_init:")
# What `linkerd inject` removes before injecting again (uninject).
LINKERD_CONTAINERS = ("linkerd-proxy", "linkerd-init", "linkerd-network-validator", "linkerd-debug")
SA_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def _is_proxy(container: Mapping[str, Any]) -> bool:
    image = container.get("image") or ""
    return container.get("name") in PROXY_NAMES or image.startswith(PROXY_IMAGE_PREFIXES)


def _is_init(container: Mapping[str, Any]) -> bool:
    image = container.get("image") or ""
    return container.get("name") in INIT_NAMES or image.startswith(INIT_IMAGE_PREFIXES)


def has_existing_sidecar(spec: Mapping[str, Any], scan_init_for_proxy: bool = True) -> bool:
    """A known proxy in containers, or a known init container; since 2.16 (edge-24.5.1) the proxy
    test also scans initContainers (native sidecars). Envoy/Consul sidecars are not detected."""
    if any(_is_proxy(c) for c in spec.get("containers") or []):
        return True
    for container in spec.get("initContainers") or []:
        if _is_init(container) or (scan_init_for_proxy and _is_proxy(container)):
            return True
    return False


def has_udp_ports(spec: Mapping[str, Any]) -> bool:
    return any(
        (port.get("protocol") or "") == "UDP"
        for container in spec.get("containers") or []
        for port in container.get("ports") or []
    )


def uninject(spec: Mapping[str, Any]) -> Dict[str, Any]:
    """The spec without Linkerd's own containers, as `linkerd inject` sees it after uninjecting."""
    out = dict(spec)
    for key in ("containers", "initContainers"):
        if key in spec:
            out[key] = [c for c in spec.get(key) or [] if c.get("name") not in LINKERD_CONTAINERS]
    return out


def annotation_decision(
    ns_annotations: Optional[Mapping[str, str]], pod_annotations: Optional[Mapping[str, str]], origin: str = "webhook"
) -> Tuple[bool, str, str]:
    """(disabled, reason id, where the deciding annotation sits: "namespace"|"workload"|"")."""
    pod = (pod_annotations or {}).get(INJECT_ANNOTATION, "")
    if origin == "cli":
        return pod == "disabled", "injection_disable_annotation_present" if pod == "disabled" else "", ""
    ns = (ns_annotations or {}).get(INJECT_ANNOTATION, "")
    if ns and ns not in VALID_VALUES:  # checked first: an invalid namespace value blocks pod opt-ins
        return True, "invalid_inject_annotation_at_ns", ""
    if pod and pod not in VALID_VALUES:
        return True, "invalid_inject_annotation_at_workload", ""
    if ns in ENABLING:
        if pod == "disabled":
            return True, "injection_disable_annotation_present", "workload"
        return False, "", "namespace"
    if pod not in ENABLING:
        return True, "injection_enable_annotation_absent", ""
    return False, "", "workload"


def automount_blocks(
    spec: Mapping[str, Any], token_projection: bool = True, origin: str = "webhook", template: bool = False
) -> bool:
    """True when the missing service-account token blocks injection: only with
    identity.serviceAccountTokenProjection=false (default true). For a pod template the token mount
    is added later by the ServiceAccount admission plugin, so only automount=false counts."""
    if token_projection:
        return False
    if spec.get("automountServiceAccountToken") is False:
        return True
    if origin != "webhook" or template:
        return False
    first = (spec.get("containers") or [{}])[0]
    return not any(m.get("mountPath") == SA_TOKEN_PATH for m in first.get("volumeMounts") or [])


def injectable(
    ns_annotations: Optional[Mapping[str, str]],
    pod_annotations: Optional[Mapping[str, str]],
    spec: Optional[Mapping[str, Any]],
    origin: str = "webhook",
    unsupported: bool = False,
    token_projection: bool = True,
    scan_init_for_proxy: bool = True,
    template: bool = False,
) -> Tuple[bool, List[str]]:
    """Report.Injectable(): (injectable, reason ids in upstream order)."""
    spec = spec or {}
    if origin == "cli":
        spec = uninject(spec)
    reasons: List[str] = []
    if spec.get("hostNetwork") is True:
        reasons.append("host_network_enabled")
    if has_existing_sidecar(spec, scan_init_for_proxy):
        reasons.append("sidecar_already_exists")
    if unsupported:
        reasons.append("unsupported_resource")
    disabled, reason, _where = annotation_decision(ns_annotations, pod_annotations, origin)
    if disabled:
        reasons.append(reason)
    if automount_blocks(spec, token_projection, origin, template):
        reasons.append("disabled_automount_service_account_token_account")
    return not reasons, reasons


def reason_texts(ids: List[str]) -> List[str]:
    return [REASONS.get(i, i) for i in ids]
