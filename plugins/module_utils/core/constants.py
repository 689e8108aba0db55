# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names the meshes and Kubernetes define, each written once (research/istio.md, research/linkerd.md)."""

from __future__ import annotations

MESH_TITLES = {"istio": "Istio", "linkerd": "Linkerd", "other": "other", "any": "any mesh"}

# Istio: namespace labels, pod label/annotation, the injector's status annotation.
ISTIO_INJECTION_LABEL = "istio-injection"
ISTIO_REV_LABEL = "istio.io/rev"
ISTIO_DATAPLANE_MODE = "istio.io/dataplane-mode"
ISTIO_INJECT = "sidecar.istio.io/inject"
ISTIO_STATUS = "sidecar.istio.io/status"

# Linkerd: the inject annotation (never a label), the namespace opt-out label, the proxy's version.
LINKERD_INJECT = "linkerd.io/inject"
LINKERD_ADMISSION_WEBHOOKS = "config.linkerd.io/admission-webhooks"
LINKERD_PROXY_VERSION = "linkerd.io/proxy-version"

# Set by the API server on every namespace (Kubernetes 1.21+), which webhook selectors match.
METADATA_NAME_LABEL = "kubernetes.io/metadata.name"

# Namespaces istiod never injects (pkg/kube/inject IgnoredNamespaces); Linkerd's webhook skips kube-system.
IGNORED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "local-path-storage")

# Ports the injectors listen on: istiod --httpsAddr :15017 (Service 443 -> 15017); linkerd proxy-injector
# -addr=:8443 (sp-validator 8443, policy-validator 9443 also serve webhooks).
INJECTOR_PORTS = {"istio": 15017, "linkerd": 8443}
WEBHOOK_PORTS = {"istio": (15017,), "linkerd": (8443, 9443)}
