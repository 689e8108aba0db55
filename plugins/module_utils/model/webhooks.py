# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mesh model building blocks: parsed MutatingWebhookConfiguration webhooks and small helpers.

Public through mesh_model (its docstring is the API); split out to keep files small.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    annotations as annotations_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    labels,
    name_of,
)

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - yaml ships with ansible-core
    HAS_YAML = False

# istioctl/pkg/util/common.go NeverMatch: what `istioctl tag set default` writes into the old MWC.
NEVER_MATCH = {"matchLabels": {"istio.io/deactivated": "never-match"}}
LINKERD_INJECTOR_WEBHOOK = "linkerd-proxy-injector.linkerd.io"
LINKERD_INJECTOR_SERVICE = "linkerd-proxy-injector"
LINKERD_MWC = "linkerd-proxy-injector-webhook-config"
LEGACY_ISTIO_INJECTOR = "istio-sidecar-injector"  # Deployment and Service of Istio <= 1.5


# ---------------------------------------------------------------------------------------------
# webhooks


@dataclass(frozen=True)
class ServiceRef:
    namespace: str
    name: str
    port: int = 443
    path: str = ""

    def as_dict(self):
        return {"namespace": self.namespace, "name": self.name, "port": self.port, "path": self.path}


@dataclass
class Webhook:
    config: str
    name: str
    index: int
    mesh: str = "other"
    injector: bool = False
    revision: str = ""
    tag: str = ""
    target_revision: str = ""
    namespace_selector: Optional[Dict[str, Any]] = None
    object_selector: Optional[Dict[str, Any]] = None
    rules: List[Dict[str, Any]] = field(default_factory=list)
    intercepts_pod_create: bool = False
    failure_policy: str = "Fail"
    timeout_seconds: int = 10
    reinvocation_policy: str = "Never"
    match_policy: str = "Equivalent"
    side_effects: str = ""
    service: Optional[ServiceRef] = None
    url: Optional[str] = None
    ca_bundle: str = ""
    deactivated: bool = False
    config_labels: Dict[str, str] = field(default_factory=dict)
    config_annotations: Dict[str, str] = field(default_factory=dict)
    assumed: bool = False
    rev_values: Tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return "%s/%s" % (self.config, self.name)

    def intercepts(self, operation: str = "CREATE", resource: str = "pods") -> bool:
        return any(rule_intercepts(r, operation, resource) for r in self.rules)

    def describe(self) -> str:
        """`webhook rev.namespace.sidecar-injector.istio.io of istio-revision-tag-default`."""
        text = "webhook %s of %s" % (self.name, self.config)
        return text + " (assumed standard install)" if self.assumed else text

    def as_dict(self):
        return {
            "config": self.config,
            "name": self.name,
            "index": self.index,
            "mesh": self.mesh,
            "injector": self.injector,
            "revision": self.revision,
            "tag": self.tag,
            "target_revision": self.target_revision,
            "namespace_selector": selectors.render(self.namespace_selector),
            "object_selector": selectors.render(self.object_selector),
            "intercepts_pod_create": self.intercepts_pod_create,
            "failure_policy": self.failure_policy,
            "timeout_seconds": self.timeout_seconds,
            "reinvocation_policy": self.reinvocation_policy,
            "service": self.service.as_dict() if self.service else None,
            "url": self.url,
            "deactivated": self.deactivated,
            "assumed": self.assumed,
        }


def _listed(values, wanted):
    return bool(values) and (wanted in values or "*" in values)


def rule_intercepts(rule: Dict[str, Any], operation: str = "CREATE", resource: str = "pods") -> bool:
    """True when one admission rule covers `operation` of a core v1 resource (not a subresource)."""
    resources = rule.get("resources") or []
    return (
        _listed(rule.get("operations") or [], operation)
        and _listed(rule.get("apiGroups") or [], "")
        and _listed(rule.get("apiVersions") or [], "v1")
        and (resource in resources or "*" in resources or "*/*" in resources)
        and rule.get("scope", "*") in ("*", "Namespaced")
    )


def rule_intercepts_pod_create(rule: Dict[str, Any]) -> bool:
    return rule_intercepts(rule, "CREATE", "pods")


def _rev_values(*sels) -> Tuple[str, ...]:
    out: List[str] = []
    for sel in sels:
        for expr in (sel or {}).get("matchExpressions") or []:
            if expr.get("key") == "istio.io/rev" and expr.get("operator") == "In":
                out.extend(v for v in expr.get("values") or [] if v not in out)
        value = ((sel or {}).get("matchLabels") or {}).get("istio.io/rev")
        if value and value not in out:
            out.append(value)
    return tuple(out)


def _classify(webhook_name: str, service: Optional[ServiceRef], config_labels: Dict[str, str]) -> Tuple[str, bool]:
    """(mesh, injector). Istio: istioctl's test (webhook name ends in istio.io). Linkerd: the
    proxy-injector webhook or service; other linkerd.io webhooks (tap-injector) are not injectors."""
    if webhook_name.endswith("istio.io"):
        return "istio", True
    service_name = service.name if service else ""
    if webhook_name == LINKERD_INJECTOR_WEBHOOK or service_name == LINKERD_INJECTOR_SERVICE:
        return "linkerd", True
    if webhook_name.endswith("linkerd.io") or "linkerd.io/control-plane-ns" in config_labels:
        return "linkerd", False
    return "other", False


def _istio_target_revision(revision: str, service: Optional[ServiceRef]) -> str:
    """The istiod revision a webhook forwards to: its MWC label, else the service name."""
    if revision:
        return revision
    if service is None:
        return ""
    if service.name in ("istiod", LEGACY_ISTIO_INJECTOR):
        # Istio <= 1.5 served injection from Service istio-sidecar-injector, one per install
        return "default"
    if service.name.startswith("istiod-") and not service.name.startswith("istiod-revision-tag-"):
        return service.name[len("istiod-") :]
    return ""


def parse_webhook(config: Dict[str, Any], index: int, raw: Dict[str, Any], assumed: bool = False) -> Webhook:
    cfg_labels = labels(config)
    client = raw.get("clientConfig") or {}
    service = None
    svc = client.get("service")
    if svc:
        service = ServiceRef(
            namespace=svc.get("namespace") or "",
            name=svc.get("name") or "",
            port=int(svc.get("port") or 443),
            path=svc.get("path") or "",
        )
    name = raw.get("name") or ""
    mesh, injector = _classify(name, service, cfg_labels)
    revision = cfg_labels.get("istio.io/rev", "")
    ns_sel = raw.get("namespaceSelector")
    obj_sel = raw.get("objectSelector")
    rules = raw.get("rules") or []
    return Webhook(
        config=name_of(config),
        name=name,
        index=index,
        mesh=mesh,
        injector=injector,
        revision=revision,
        tag=cfg_labels.get("istio.io/tag", ""),
        target_revision=_istio_target_revision(revision, service) if mesh == "istio" else "",
        namespace_selector=ns_sel,
        object_selector=obj_sel,
        rules=rules,
        intercepts_pod_create=any(rule_intercepts_pod_create(r) for r in rules),
        failure_policy=raw.get("failurePolicy") or "Fail",
        timeout_seconds=int(raw.get("timeoutSeconds") or 10),
        reinvocation_policy=raw.get("reinvocationPolicy") or "Never",
        match_policy=raw.get("matchPolicy") or "Equivalent",
        side_effects=raw.get("sideEffects") or "",
        service=service,
        url=client.get("url"),
        ca_bundle=client.get("caBundle") or "",
        deactivated=ns_sel == NEVER_MATCH and obj_sel == NEVER_MATCH,
        config_labels=dict(cfg_labels),
        config_annotations=dict(annotations_of(config)),
        assumed=assumed,
        rev_values=_rev_values(ns_sel, obj_sel),
    )


def parse_webhooks(configs: List[Dict[str, Any]], assumed: bool = False) -> List[Webhook]:
    """All webhooks in the order the API server calls them: MWCs sorted by name, then list order."""
    out: List[Webhook] = []
    for config in sorted(configs, key=name_of):
        for index, raw in enumerate(config.get("webhooks") or []):
            out.append(parse_webhook(config, index, raw, assumed=assumed))
    return out


# ---------------------------------------------------------------------------------------------
# helpers shared by the Istio and Linkerd models


def _image_tag(image: str) -> str:
    """The tag of an image reference (`docker.io/istio/pilot:1.22.3` -> `1.22.3`), "" for digests."""
    last = (image or "").rsplit("/", 1)[-1]
    if "@" in last or ":" not in last:
        return ""
    return last.split(":", 1)[1]


def _container(spec: Dict[str, Any], name: Optional[str] = None) -> Optional[Dict[str, Any]]:
    containers = (spec or {}).get("containers") or []
    for container in containers:
        if name is None or container.get("name") == name:
            return container
    return containers[0] if containers and name is None else None


def _template_spec(workload: Dict[str, Any]) -> Dict[str, Any]:
    return ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}


def _is_istiod(obj_labels: Dict[str, str]) -> bool:
    """An Istio injector Deployment/Pod: istiod (1.5+), or the separate sidecar injector of the
    legacy layout (<= 1.5: `istio: sidecar-injector`). Istio <= 1.4's `istio-pilot` (app=pilot)
    carries `istio: pilot` too but never injects: the istio-sidecar-injector Deployment does."""
    if is_legacy_injector(obj_labels):
        return True
    return obj_labels.get("app") == "istiod" or (
        obj_labels.get("istio") == "pilot" and obj_labels.get("app") != "pilot"
    )


def is_legacy_injector(obj_labels: Dict[str, str]) -> bool:
    """The istio-sidecar-injector Deployment of Istio <= 1.5 (the chart labels it so)."""
    return obj_labels.get("istio") == "sidecar-injector" or obj_labels.get("app") == "sidecarInjectorWebhook"


def _dig(data, *path, default=None):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def _load_yaml(text: str) -> Tuple[Any, str]:
    if not text:
        return {}, ""
    if HAS_YAML:
        try:
            return yaml.safe_load(text) or {}, ""
        except yaml.YAMLError as exc:
            return {}, "cannot parse YAML: %s" % exc
    try:
        return json.loads(text), ""
    except ValueError:
        return {}, "PyYAML is not installed and the text is not JSON"


def _policy_without_yaml(text: str) -> str:
    match = re.search(r"^policy:\s*(\S*)\s*$", text or "", re.MULTILINE)
    return match.group(1).strip("'\"") if match else ""
