# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Istio part of the mesh model: revisions (istiod), tags, injector ConfigMaps, ambient.

Public through mesh_model (its docstring is the API).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of, namespace_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.webhooks import (
    HAS_YAML,
    Webhook,
    _container,
    _dig,
    _image_tag,
    _is_istiod,
    _load_yaml,
    _policy_without_yaml,
    _template_spec,
    is_legacy_injector,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView


@dataclass
class InjectorConfig:
    name: str
    namespace: str
    revision: str
    policy: str = "enabled"
    never_inject_selector: List[Dict[str, Any]] = field(default_factory=list)
    always_inject_selector: List[Dict[str, Any]] = field(default_factory=list)
    values: Dict[str, Any] = field(default_factory=dict)
    hub: str = ""
    tag: str = ""
    proxy_image_name: str = "proxyv2"
    variant: str = ""
    auto_inject: str = ""
    enable_namespaces_by_default: bool = False
    cni_enabled: bool = False
    proxy_resources: Dict[str, Any] = field(default_factory=dict)
    native_sidecars: Optional[str] = None
    parse_error: str = ""

    @property
    def expected_proxy_image(self) -> str:
        """istio injection ImageAnalyzer (IST0158): `global.proxy.image` as-is when it holds a
        '/', else `<global.hub>/<image>:<global.tag>`."""
        if "/" in self.proxy_image_name:
            return self.proxy_image_name
        if not self.hub or not self.tag:
            return ""
        return "%s/%s:%s" % (self.hub, self.proxy_image_name, self.tag)

    def accepts_proxy_image(self, image: str, image_type: str = "") -> bool:
        """IST0158 acceptance: the expected image, or it plus `-<imageType>`."""
        expected = self.expected_proxy_image
        if not expected:
            return True
        if image == expected:
            return True
        image_type = image_type or self.variant
        return bool(image_type) and image == "%s-%s" % (expected, image_type)

    def as_dict(self):
        return {
            "name": self.name,
            "namespace": self.namespace,
            "revision": self.revision,
            "policy": self.policy,
            "never_inject_selector": [selectors.render(s) for s in self.never_inject_selector],
            "always_inject_selector": [selectors.render(s) for s in self.always_inject_selector],
            "expected_proxy_image": self.expected_proxy_image,
            "enable_namespaces_by_default": self.enable_namespaces_by_default,
            "cni_enabled": self.cni_enabled,
            "native_sidecars": self.native_sidecars,
            "parse_error": self.parse_error,
        }


@dataclass
class IstioRevision:
    name: str
    namespace: str = ""
    deployments: List[str] = field(default_factory=list)
    pods: List[str] = field(default_factory=list)
    image: str = ""
    version: str = ""
    replicas: int = 0
    ready_replicas: int = 0
    env: Dict[str, str] = field(default_factory=dict)
    # Istio <= 1.5's separate istio-sidecar-injector: no istio.io/rev labels anywhere, and it patches
    # its own MWC's caBundle (there is no istiod to do it)
    legacy: bool = False

    def as_dict(self):
        return {
            "name": self.name,
            "legacy": self.legacy,
            "namespace": self.namespace,
            "deployments": list(self.deployments),
            "image": self.image,
            "version": self.version,
            "replicas": self.replicas,
            "ready_replicas": self.ready_replicas,
        }


@dataclass
class Ambient:
    ztunnel: List[str] = field(default_factory=list)  # "ns/name" of ztunnel DaemonSets
    cni: List[str] = field(default_factory=list)  # "ns/name" of istio-cni-node DaemonSets
    namespaces: List[str] = field(default_factory=list)  # labelled istio.io/dataplane-mode=ambient


@dataclass
class IstioModel:
    revisions: Dict[str, IstioRevision] = field(default_factory=dict)
    tags: Dict[str, str] = field(default_factory=dict)
    namespaces: List[str] = field(default_factory=list)
    injectors: Dict[str, InjectorConfig] = field(default_factory=dict)
    ambient: Ambient = field(default_factory=Ambient)
    webhooks: List[Webhook] = field(default_factory=list)
    configmaps_read: bool = False

    def resolve(self, rev_or_tag: str) -> Optional[str]:
        """Revision behind a revision or tag name, or None when nothing serves it."""
        if rev_or_tag in self.tags:
            return self.tags[rev_or_tag]
        if rev_or_tag in self.revisions:
            return rev_or_tag
        for webhook in self.webhooks:
            if not webhook.deactivated and rev_or_tag in webhook.rev_values:
                return webhook.target_revision or rev_or_tag
        return None

    def served_rev_values(self) -> set:
        """istio.io/rev values that some active Istio webhook selects on (revision or tag names)."""
        served: set = set()
        for webhook in self.webhooks:
            if webhook.injector and not webhook.deactivated and webhook.intercepts_pod_create:
                served.update(webhook.rev_values)
        return served

    def injector_for(self, revision: str) -> Optional[InjectorConfig]:
        return self.injectors.get(revision or "default")

    def version(self) -> str:
        versions = sorted({r.version for r in self.revisions.values() if r.version})
        return ",".join(versions)


def parse_injector_configmap(cm: Dict[str, Any]) -> InjectorConfig:
    """ConfigMap istio-sidecar-injector[-<rev>]: `config` (YAML) and `values` (JSON)."""
    name = name_of(cm)
    cm_labels = labels(cm)
    revision = cm_labels.get("istio.io/rev") or (
        name[len("istio-sidecar-injector-") :] if name.startswith("istio-sidecar-injector-") else "default"
    )
    data = cm.get("data") or {}
    cfg = InjectorConfig(name=name, namespace=namespace_of(cm), revision=revision)
    config_text = data.get("config") or ""
    config, error = _load_yaml(config_text)
    if not isinstance(config, dict):
        config, error = {}, "config is not a mapping"
    if error and not HAS_YAML:
        cfg.policy = _policy_without_yaml(config_text)
    else:
        # A missing policy unmarshals to "" in istiod, which injectRequired treats as illegal.
        cfg.policy = str(config.get("policy", "")) if config_text else "enabled"
    cfg.never_inject_selector = [s for s in config.get("neverInjectSelector") or [] if isinstance(s, dict)]
    cfg.always_inject_selector = [s for s in config.get("alwaysInjectSelector") or [] if isinstance(s, dict)]
    values: Dict[str, Any] = {}
    if data.get("values"):
        try:
            values = json.loads(data["values"])
        except ValueError as exc:
            error = error or "cannot parse values JSON: %s" % exc
    cfg.parse_error = error
    cfg.values = values if isinstance(values, dict) else {}
    cfg.hub = str(_dig(cfg.values, "global", "hub", default="") or "")
    tag = _dig(cfg.values, "global", "tag", default="")
    cfg.tag = "" if tag is None else str(tag)
    cfg.proxy_image_name = str(_dig(cfg.values, "global", "proxy", "image", default="") or "proxyv2")
    cfg.variant = str(_dig(cfg.values, "global", "variant", default="") or "")
    cfg.auto_inject = str(_dig(cfg.values, "global", "proxy", "autoInject", default="") or "")
    cfg.enable_namespaces_by_default = (
        _dig(cfg.values, "sidecarInjectorWebhook", "enableNamespacesByDefault", default=False) is True
    )
    cfg.cni_enabled = bool(_dig(cfg.values, "pilot", "cni", "enabled", default=False)) or bool(
        _dig(cfg.values, "istio_cni", "enabled", default=False)
    )
    cfg.proxy_resources = _dig(cfg.values, "global", "proxy", "resources", default={}) or {}
    native = _dig(cfg.values, "pilot", "env", "ENABLE_NATIVE_SIDECARS")
    cfg.native_sidecars = None if native is None else str(native).lower()
    return cfg


def _istio_revision_of(obj_labels):
    return obj_labels.get("istio.io/rev") or "default"


def _attach_legacy_webhooks(model: IstioModel) -> None:
    """Istio <= 1.5 labels neither its MWC nor its Service with a revision, and users rename the
    Service: an unlabelled webhook whose Service lives where a legacy injector runs forwards to it."""
    legacy = {r.namespace: r.name for r in model.revisions.values() if r.legacy and r.namespace}
    for webhook in model.webhooks:
        if not webhook.target_revision and not webhook.revision and webhook.service is not None:
            webhook.target_revision = legacy.get(webhook.service.namespace, "")


def build_istio(view: SnapshotView, webhooks: List[Webhook]) -> Optional[IstioModel]:
    model = IstioModel(webhooks=[w for w in webhooks if w.mesh == "istio"])
    for deploy in view.items("deployments"):
        tmpl_labels = ((deploy.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
        if not (_is_istiod(labels(deploy)) or _is_istiod(tmpl_labels)):
            continue
        rev_name = _istio_revision_of(labels(deploy))
        rev = model.revisions.setdefault(rev_name, IstioRevision(name=rev_name))
        rev.namespace = namespace_of(deploy)
        rev.deployments.append(name_of(deploy))
        rev.legacy = rev.legacy or is_legacy_injector(labels(deploy)) or is_legacy_injector(tmpl_labels)
        container = (
            _container(_template_spec(deploy), "discovery")
            or _container(_template_spec(deploy), "sidecar-injector-webhook")
            or _container(_template_spec(deploy))
            or {}
        )
        rev.image = container.get("image") or ""
        rev.version = _image_tag(rev.image)
        rev.env.update({e.get("name"): e.get("value") for e in container.get("env") or [] if "value" in e})
        status = deploy.get("status") or {}
        rev.replicas += int((deploy.get("spec") or {}).get("replicas", 1) or 0)
        rev.ready_replicas += int(status.get("readyReplicas") or 0)
    for pod in view.items("pods"):
        if not _is_istiod(labels(pod)):
            continue
        rev_name = _istio_revision_of(labels(pod))
        rev = model.revisions.setdefault(rev_name, IstioRevision(name=rev_name, namespace=namespace_of(pod)))
        rev.pods.append(name_of(pod))
        rev.legacy = rev.legacy or is_legacy_injector(labels(pod))
        if not rev.image:
            spec = pod.get("spec") or {}
            container = _container(spec, "discovery") or _container(spec, "sidecar-injector-webhook") or {}
            rev.image = container.get("image") or ""
            rev.version = _image_tag(rev.image)
    _attach_legacy_webhooks(model)
    model.configmaps_read = view.has("configmaps")
    for cm in view.items("configmaps"):
        name = name_of(cm)
        if name == "istio-sidecar-injector" or name.startswith("istio-sidecar-injector-"):
            cfg = parse_injector_configmap(cm)
            model.injectors[cfg.revision] = cfg
    for webhook in model.webhooks:
        if webhook.tag and webhook.revision:
            model.tags[webhook.tag] = webhook.revision
    for ds in view.items("daemonsets"):
        ref = "%s/%s" % (namespace_of(ds), name_of(ds))
        if name_of(ds) == "ztunnel" or labels(ds).get("app") == "ztunnel":
            model.ambient.ztunnel.append(ref)
        elif name_of(ds) == "istio-cni-node" or labels(ds).get("k8s-app") == "istio-cni-node":
            model.ambient.cni.append(ref)
    for ns in view.items("namespaces"):
        if labels(ns).get("istio.io/dataplane-mode") == "ambient":
            model.ambient.namespaces.append(name_of(ns))
    namespaces = {r.namespace for r in model.revisions.values() if r.namespace}
    namespaces |= {c.namespace for c in model.injectors.values() if c.namespace}
    namespaces |= {w.service.namespace for w in model.webhooks if w.service and w.injector}
    model.namespaces = sorted(namespaces)
    if not (model.revisions or model.injectors or model.webhooks or model.ambient.ztunnel):
        return None
    return model
