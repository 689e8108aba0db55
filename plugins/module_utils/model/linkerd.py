# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Linkerd part of the mesh model: proxy-injector, `linkerd-config` values, version.

Public through mesh_model (its docstring is the API).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of, namespace_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.versions import LINKERD_EDGE_MAJORS
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.webhooks import (
    Webhook,
    _container,
    _dig,
    _image_tag,
    _load_yaml,
    _template_spec,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView


@dataclass
class LinkerdModel:
    namespace: str = "linkerd"
    version: str = ""
    major: str = ""
    values: Dict[str, Any] = field(default_factory=dict)
    proxy_image: str = ""
    # the version the injector writes into linkerd.io/proxy-version: `proxy.image.version`, else
    # linkerdVersion (they differ where the proxy is versioned on its own or pinned)
    proxy_version: str = ""
    native_sidecar: bool = False
    cni_enabled: bool = False
    token_projection: bool = True
    proxy_resources: Dict[str, Any] = field(default_factory=dict)
    injector_deployments: List[str] = field(default_factory=list)
    ready_replicas: int = 0
    config_found: bool = False
    parse_error: str = ""
    webhooks: List[Webhook] = field(default_factory=list)

    def version_key(self) -> Optional[Tuple[int, ...]]:
        return linkerd_version_key(self.version)


def linkerd_version_key(version: str) -> Optional[Tuple[int, ...]]:
    """Comparable key: edge-24.8.2 -> (24, 8, 2); stable-2.14.10 -> the edge of its major."""
    match = re.match(r"^edge-(\d+)\.(\d+)\.(\d+)", version or "")
    if match:
        return tuple(int(g) for g in match.groups())
    major = linkerd_major(version)
    for edge, mapped in LINKERD_EDGE_MAJORS:
        if "%d.%d" % mapped == major:
            return edge
    if major == "2.14":
        return (23, 11, 0)
    return None


def linkerd_major(version: str) -> str:
    """`2.16` for stable-2.16.1, enterprise-2.16.1, 2.16.1 or an edge release at/after 2.16's edge."""
    match = re.match(r"^edge-(\d+)\.(\d+)\.(\d+)", version or "")
    if match:
        edge = tuple(int(g) for g in match.groups())
        major = "2.14"
        for first_edge, mapped in LINKERD_EDGE_MAJORS:
            if edge >= first_edge:
                major = "%d.%d" % mapped
        return major
    match = re.search(r"(\d+)\.(\d+)\.\d+", version or "")
    return "%s.%s" % match.groups() if match else ""


def build_linkerd(view: SnapshotView, webhooks: List[Webhook]) -> Optional[LinkerdModel]:
    model = LinkerdModel(webhooks=[w for w in webhooks if w.mesh == "linkerd"])
    namespace = ""
    for webhook in model.webhooks:
        namespace = namespace or webhook.config_labels.get("linkerd.io/control-plane-ns", "")
        if webhook.injector and webhook.service and not namespace:
            namespace = webhook.service.namespace
    config = None
    installed_proxy = ""  # linkerd.io/proxy-version of the injector's own pod template
    for cm in view.items("configmaps"):
        if name_of(cm) == "linkerd-config" and (not namespace or namespace_of(cm) == namespace):
            config = cm
            break
    for deploy in view.items("deployments"):
        if labels(deploy).get("linkerd.io/control-plane-component") == "proxy-injector" or (
            name_of(deploy) == "linkerd-proxy-injector"
        ):
            namespace = namespace or namespace_of(deploy)
            model.injector_deployments.append("%s/%s" % (namespace_of(deploy), name_of(deploy)))
            model.ready_replicas += int((deploy.get("status") or {}).get("readyReplicas") or 0)
            image = (_container(_template_spec(deploy), "proxy-injector") or {}).get("image") or ""
            model.version = model.version or _image_tag(image)
            installed_proxy = installed_proxy or str(
                _dig(deploy, "spec", "template", "metadata", "annotations", "linkerd.io/proxy-version") or ""
            )
    if config is None and not model.webhooks and not model.injector_deployments:
        return None
    if config is not None:
        model.config_found = True
        namespace = namespace or namespace_of(config)
        values, error = _load_yaml((config.get("data") or {}).get("values") or "")
        model.parse_error = error
        model.values = values if isinstance(values, dict) else {}
    values = model.values
    model.namespace = namespace or "linkerd"
    model.version = str(values.get("linkerdVersion") or "") or model.version
    proxy_name = _dig(values, "proxy", "image", "name", default="") or "cr.l5d.io/linkerd/proxy"
    # without linkerd-config's versions, the injector's own meshed pod shows the install's proxy
    fallback = model.version if values.get("linkerdVersion") else (installed_proxy or model.version)
    proxy_version = _dig(values, "proxy", "image", "version", default="") or fallback
    model.proxy_version = str(proxy_version)
    model.proxy_image = "%s:%s" % (proxy_name, proxy_version) if proxy_version else proxy_name
    model.major = linkerd_major(model.version)
    native = _dig(values, "proxy", "nativeSidecar")
    if native is None:  # 2.20 made native sidecars the default
        native = model.major == "2.20" or (model.version_key() or (0,)) >= (26, 6, 3)
    model.native_sidecar = bool(native)
    model.cni_enabled = bool(values.get("cniEnabled", False))
    model.token_projection = _dig(values, "identity", "serviceAccountTokenProjection", default=True) is not False
    model.proxy_resources = _dig(values, "proxy", "resources", default={}) or {}
    return model
