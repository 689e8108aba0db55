# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mesh model: what is installed for sidecar injection, read from a snapshot (pure, no I/O).

API (stable; verdicts, rules and the snapshot summary build on it)::

    model = build_model(view)                  # view: snapshot.SnapshotView
    model.webhooks          -> [Webhook]       # every MWC webhook, in API-server call order
                                               # (MWC name, then list index)
    model.webhooks_read     -> bool            # False: MWCs absent from the snapshot; `webhooks`
                                               # then holds the mesh's standard webhooks, assumed=True
    model.injectors(mesh=None, active=True) -> [Webhook]   # Istio/Linkerd proxy injectors
    model.webhook(key)      -> Webhook | None  # key "config/name"
    model.injector_backends(webhook) -> Backend(service, deployments, pods, selector, problem)
    model.istio             -> IstioModel | None
    model.linkerd           -> LinkerdModel | None
    model.meshes()          -> ["istio", "linkerd"] (those detected)
    model.summary()         -> [{mesh, version, namespace, revisions, tags, webhooks}]  (JSON)
    model.relevant_label_keys -> frozenset of label keys any injector selector reads (memo keys)

    Webhook: config, name, index, key, mesh ("istio"|"linkerd"|"other"), injector (bool),
        revision (MWC label istio.io/rev, "" if absent), tag (istio.io/tag), target_revision (the
        istiod revision it forwards to), namespace_selector, object_selector (None = match all),
        rules, intercepts_pod_create, failure_policy ("Fail"), timeout_seconds (10),
        reinvocation_policy ("Never"), match_policy ("Equivalent"), side_effects, service
        (ServiceRef namespace/name/port=443/path) or url, ca_bundle, deactivated (both selectors are
        istioctl's never-match), config_labels, config_annotations, assumed, rev_values (the
        istio.io/rev values it selects on).
    IstioModel: revisions {name: IstioRevision}, tags {tag: revision}, namespaces, injectors
        {revision: InjectorConfig}, ambient (Ambient), resolve(rev_or_tag) -> revision | None,
        served_rev_values() -> set of istio.io/rev values some active webhook selects,
        injector_for(revision) -> InjectorConfig | None.
    IstioRevision: name, namespace, deployments, pods, image, version, replicas, ready_replicas,
        env (istiod discovery container env, plain values).
    InjectorConfig (ConfigMap istio-sidecar-injector[-<rev>]): name, namespace, revision, policy,
        never_inject_selector, always_inject_selector, values, hub, tag, proxy_image_name,
        expected_proxy_image (IST0158 logic), auto_inject, enable_namespaces_by_default,
        cni_enabled, proxy_resources, native_sidecars (hint or None), parse_error.
    LinkerdModel: namespace, version, major, values, proxy_image, native_sidecar, cni_enabled,
        token_projection, proxy_resources, injector_deployments, config_found.

The code is split into mesh_base.py (webhooks, shared helpers), mesh_istio.py and mesh_linkerd.py;
import everything from this module.

Facts come from ../shared/research (istio.md §1, linkerd.md §1-§3); where a snapshot lacks a
kind, the model says so (webhooks_read, config_found) instead of guessing silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    annotations as annotations_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import (
    labels,
    meta,
    name_of,
    namespace_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.istio import (
    Ambient,
    InjectorConfig,
    IstioModel,
    IstioRevision,
    _istio_revision_of,
    build_istio,
    parse_injector_configmap,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.linkerd import (
    LINKERD_EDGE_MAJORS,
    LinkerdModel,
    build_linkerd,
    linkerd_major,
    linkerd_version_key,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.webhooks import (
    LINKERD_INJECTOR_SERVICE,
    LINKERD_INJECTOR_WEBHOOK,
    LINKERD_MWC,
    NEVER_MATCH,
    ServiceRef,
    Webhook,
    _is_istiod,
    parse_webhook,
    parse_webhooks,
    rule_intercepts,
    rule_intercepts_pod_create,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

__all__ = [
    "LINKERD_EDGE_MAJORS",
    "LINKERD_INJECTOR_SERVICE",
    "LINKERD_INJECTOR_WEBHOOK",
    "LINKERD_MWC",
    "NEVER_MATCH",
    "POD_CREATE_RULE",
    "Ambient",
    "Backend",
    "InjectorConfig",
    "IstioModel",
    "IstioRevision",
    "LinkerdModel",
    "MeshModel",
    "ServiceRef",
    "Webhook",
    "assumed_webhook_configs",
    "build_istio",
    "build_linkerd",
    "build_model",
    "linkerd_major",
    "linkerd_version_key",
    "parse_injector_configmap",
    "parse_webhook",
    "parse_webhooks",
    "rule_intercepts",
    "rule_intercepts_pod_create",
    "selector_keys",
    "standard_istio_webhooks",
    "standard_linkerd_webhooks",
]


# ---------------------------------------------------------------------------------------------
# assumed webhooks (MWCs not in the snapshot)


def _expr(key, operator, values=None):
    expr: Dict[str, Any] = {"key": key, "operator": operator}
    if values is not None:
        expr["values"] = list(values)
    return expr


POD_CREATE_RULE = {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}


def standard_istio_webhooks(revision: str, namespace: str = "istio-system", auto: bool = False) -> Dict[str, Any]:
    """The MWC Istio's chart renders for one revision (research/istio.md §1.2), as a raw object."""
    rev = revision or "default"
    service = {
        "name": "istiod" if rev == "default" else "istiod-%s" % rev,
        "namespace": namespace,
        "path": "/inject",
        "port": 443,
    }
    no_inject_false = _expr("sidecar.istio.io/inject", "NotIn", ["false"])

    def hook(name, ns_exprs, obj_exprs):
        return {
            "name": name,
            "clientConfig": {"service": dict(service)},
            "rules": [dict(POD_CREATE_RULE)],
            "failurePolicy": "Fail",
            "sideEffects": "None",
            "reinvocationPolicy": "Never",
            "namespaceSelector": {"matchExpressions": ns_exprs},
            "objectSelector": {"matchExpressions": obj_exprs},
        }

    hooks = [
        hook(
            "rev.namespace.sidecar-injector.istio.io",
            [_expr("istio.io/rev", "In", [rev]), _expr("istio-injection", "DoesNotExist")],
            [no_inject_false],
        ),
        hook(
            "rev.object.sidecar-injector.istio.io",
            [_expr("istio.io/rev", "DoesNotExist"), _expr("istio-injection", "DoesNotExist")],
            [no_inject_false, _expr("istio.io/rev", "In", [rev])],
        ),
    ]
    if rev == "default":
        hooks += [
            hook(
                "namespace.sidecar-injector.istio.io", [_expr("istio-injection", "In", ["enabled"])], [no_inject_false]
            ),
            hook(
                "object.sidecar-injector.istio.io",
                [_expr("istio-injection", "DoesNotExist"), _expr("istio.io/rev", "DoesNotExist")],
                [_expr("sidecar.istio.io/inject", "In", ["true"]), _expr("istio.io/rev", "DoesNotExist")],
            ),
        ]
        if auto:
            hooks.append(
                hook(
                    "auto.sidecar-injector.istio.io",
                    [
                        _expr("istio-injection", "DoesNotExist"),
                        _expr("istio.io/rev", "DoesNotExist"),
                        _expr(
                            "kubernetes.io/metadata.name",
                            "NotIn",
                            ["kube-system", "kube-public", "kube-node-lease", "local-path-storage"],
                        ),
                    ],
                    [_expr("sidecar.istio.io/inject", "DoesNotExist"), _expr("istio.io/rev", "DoesNotExist")],
                )
            )
    name = "istio-sidecar-injector" if rev == "default" else "istio-sidecar-injector-%s" % rev
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name, "labels": {"app": "sidecar-injector", "istio.io/rev": rev}},
        "webhooks": hooks,
    }


def standard_linkerd_webhooks(namespace: str = "linkerd") -> Dict[str, Any]:
    """The MWC Linkerd's Helm chart renders (research/linkerd.md §1.1), as a raw object."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {
            "name": LINKERD_MWC,
            "labels": {
                "linkerd.io/control-plane-component": "proxy-injector",
                "linkerd.io/control-plane-ns": namespace,
            },
        },
        "webhooks": [
            {
                "name": LINKERD_INJECTOR_WEBHOOK,
                "namespaceSelector": {
                    "matchExpressions": [
                        _expr("config.linkerd.io/admission-webhooks", "NotIn", ["disabled"]),
                        _expr("kubernetes.io/metadata.name", "NotIn", ["kube-system", "cert-manager"]),
                    ]
                },
                "objectSelector": {
                    "matchExpressions": [
                        _expr("linkerd.io/control-plane-component", "DoesNotExist"),
                        _expr("linkerd.io/cni-resource", "DoesNotExist"),
                    ]
                },
                "clientConfig": {"service": {"name": LINKERD_INJECTOR_SERVICE, "namespace": namespace, "path": "/"}},
                "failurePolicy": "Ignore",
                "sideEffects": "None",
                "timeoutSeconds": 10,
                "rules": [dict(POD_CREATE_RULE, resources=["pods", "services"], scope="Namespaced")],
            }
        ],
    }


def _istio_evidence(view: SnapshotView) -> Tuple[bool, List[str]]:
    """(Istio seems installed or wanted, revisions seen) when the MWCs themselves were not read."""
    revisions: List[str] = []
    for resource in ("deployments", "pods"):
        for obj in view.items(resource):
            if _is_istiod(labels(obj)):
                rev = _istio_revision_of(labels(obj))
                if rev not in revisions:
                    revisions.append(rev)
    for cm in view.items("configmaps"):
        name = name_of(cm)
        if name == "istio-sidecar-injector" or name.startswith("istio-sidecar-injector-"):
            rev = parse_injector_configmap(cm).revision
            if rev not in revisions:
                revisions.append(rev)
    wanted = any("istio-injection" in labels(ns) or "istio.io/rev" in labels(ns) for ns in view.items("namespaces"))
    return bool(revisions) or wanted, revisions


def _linkerd_evidence(view: SnapshotView) -> Tuple[bool, str]:
    for cm in view.items("configmaps"):
        if name_of(cm) == "linkerd-config":
            return True, namespace_of(cm)
    for deploy in view.items("deployments"):
        if "linkerd.io/control-plane-component" in labels(deploy):
            return True, namespace_of(deploy)
    for ns in view.items("namespaces"):
        if "linkerd.io/inject" in annotations_of(ns):
            return True, "linkerd"
    for resource in ("deployments", "statefulsets", "daemonsets", "pods"):
        for obj in view.items(resource):
            tmpl = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or meta(obj)
            if "linkerd.io/inject" in (tmpl.get("annotations") or {}):
                return True, "linkerd"
    return False, ""


def assumed_webhook_configs(view: SnapshotView) -> List[Dict[str, Any]]:
    """Standard injector MWCs for the meshes the snapshot shows signs of, used only when the
    snapshot does not contain MutatingWebhookConfigurations (e.g. manifests checked in CI)."""
    configs = []
    istio, revisions = _istio_evidence(view)
    if istio:
        auto = False
        for cm in view.items("configmaps"):
            if name_of(cm) == "istio-sidecar-injector":
                auto = parse_injector_configmap(cm).enable_namespaces_by_default
        configs.append(standard_istio_webhooks("default", auto=auto))
        configs.extend(standard_istio_webhooks(rev) for rev in revisions if rev != "default")
    linkerd, namespace = _linkerd_evidence(view)
    if linkerd:
        configs.append(standard_linkerd_webhooks(namespace or "linkerd"))
    return configs


# ---------------------------------------------------------------------------------------------
# the model


@dataclass
class Backend:
    """What serves one webhook's clientConfig.service (for the reachability rules)."""

    service: Optional[Dict[str, Any]] = None
    selector: Dict[str, str] = field(default_factory=dict)
    deployments: List[Dict[str, Any]] = field(default_factory=list)
    pods: List[Dict[str, Any]] = field(default_factory=list)
    problem: str = ""  # "url" | "no-service-ref" | "service-not-read" | "service-missing" | ""


class MeshModel(object):
    def __init__(
        self,
        view: SnapshotView,
        webhooks: List[Webhook],
        webhooks_read: bool,
        istio: Optional[IstioModel],
        linkerd: Optional[LinkerdModel],
    ) -> None:
        self.view = view
        self.webhooks = webhooks
        self.webhooks_read = webhooks_read
        self.istio = istio
        self.linkerd = linkerd
        self._by_key = {w.key: w for w in webhooks}
        keys = set()
        for webhook in self.injectors(active=False):
            for sel in (webhook.namespace_selector, webhook.object_selector):
                keys.update(selector_keys(sel))
        if istio is not None:
            for cfg in istio.injectors.values():
                for sel in cfg.never_inject_selector + cfg.always_inject_selector:
                    keys.update(selector_keys(sel))
        self.relevant_label_keys: FrozenSet[str] = frozenset(keys)

    def meshes(self) -> List[str]:
        return [m for m, present in (("istio", self.istio), ("linkerd", self.linkerd)) if present is not None]

    def webhook(self, key: str) -> Optional[Webhook]:
        return self._by_key.get(key)

    def injectors(self, mesh: Optional[str] = None, active: bool = True) -> List[Webhook]:
        """Proxy-injector webhooks (in call order); `active` drops deactivated ones and those
        whose rules do not cover pod CREATE (the API server never calls them for a pod)."""
        out = []
        for webhook in self.webhooks:
            if not webhook.injector or (mesh and webhook.mesh != mesh):
                continue
            if active and (webhook.deactivated or not webhook.intercepts_pod_create):
                continue
            out.append(webhook)
        return out

    def injector_backends(self, webhook: Webhook) -> Backend:
        if webhook.url:
            return Backend(problem="url")
        if webhook.service is None:
            return Backend(problem="no-service-ref")
        if not self.view.has("services"):
            return Backend(problem="service-not-read")
        svc = self.view.get("services", webhook.service.namespace, webhook.service.name)
        if svc is None:
            return Backend(problem="service-missing")
        selector = (svc.get("spec") or {}).get("selector") or {}
        backend = Backend(service=svc, selector=dict(selector))
        if not selector:  # a Service without selector is backed by hand-made endpoints only
            return backend
        sel = {"matchLabels": selector}
        for deploy in self.view.in_namespace("deployments", webhook.service.namespace):
            tmpl_labels = (((deploy.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels")
            if selectors.matches(sel, tmpl_labels or {}):
                backend.deployments.append(deploy)
        backend.pods = [
            p for p in self.view.in_namespace("pods", webhook.service.namespace) if selectors.matches(sel, labels(p))
        ]
        return backend

    def summary(self) -> List[Dict[str, Any]]:
        out = []
        if self.istio is not None:
            out.append(
                {
                    "mesh": "istio",
                    "version": self.istio.version(),
                    "namespace": ",".join(self.istio.namespaces),
                    "revisions": [r.as_dict() for unused, r in sorted(self.istio.revisions.items())],
                    "tags": dict(sorted(self.istio.tags.items())),
                    "webhooks": [w.key for w in self.webhooks if w.mesh == "istio"],
                    "webhooks_assumed": not self.webhooks_read,
                    "injectors": [c.as_dict() for unused, c in sorted(self.istio.injectors.items())],
                    "ambient": bool(self.istio.ambient.ztunnel),
                }
            )
        if self.linkerd is not None:
            out.append(
                {
                    "mesh": "linkerd",
                    "version": self.linkerd.version,
                    "namespace": self.linkerd.namespace,
                    "revisions": [
                        {
                            "name": self.linkerd.major,
                            "version": self.linkerd.version,
                            "namespace": self.linkerd.namespace,
                            "deployments": list(self.linkerd.injector_deployments),
                            "ready_replicas": self.linkerd.ready_replicas,
                        }
                    ]
                    if self.linkerd.version
                    else [],
                    "tags": {},
                    "webhooks": [w.key for w in self.webhooks if w.mesh == "linkerd"],
                    "webhooks_assumed": not self.webhooks_read,
                    "native_sidecar": self.linkerd.native_sidecar,
                    "cni_enabled": self.linkerd.cni_enabled,
                }
            )
        return out


def selector_keys(selector: Optional[Dict[str, Any]]) -> List[str]:
    if not selector:
        return []
    keys = list((selector.get("matchLabels") or {}).keys())
    keys += [e.get("key") for e in selector.get("matchExpressions") or [] if e.get("key")]
    return keys


def build_model(view: SnapshotView) -> MeshModel:
    webhooks_read = view.has("mutatingwebhookconfigurations")
    if webhooks_read:
        webhooks = parse_webhooks(view.items("mutatingwebhookconfigurations"))
    else:
        webhooks = parse_webhooks(assumed_webhook_configs(view), assumed=True)
    return MeshModel(view, webhooks, webhooks_read, build_istio(view, webhooks), build_linkerd(view, webhooks))
