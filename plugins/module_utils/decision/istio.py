# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Istio's two decisions, reproduced exactly.

* `inject_required(...)`: istiod's policy stage (`injectRequired`, pkg/kube/inject/inject.go):
  hostNetwork, ignored namespaces, the `sidecar.istio.io/inject` label over the annotation with
  exact "true"/"false" (anything else falls back to the defaults), neverInjectSelector, then
  alwaysInjectSelector, then the ConfigMap `policy` (any value but enabled/disabled disables all
  injection, explicit "true" included). Returns a `PolicyResult` with reason ids and texts.
* `check_inject(webhooks, pod_labels, namespace_labels)`: `istioctl x check-inject`'s per-MWC
  analysis (istioctl/pkg/checkinject), same injected yes/no and the same reason strings, quirks
  included. It looks at labels and selectors only (research/istio.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import selectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.constants import (
    IGNORED_NAMESPACES,
    ISTIO_INJECT,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import NEVER_MATCH

INJECT_KEY = ISTIO_INJECT
# pkg/kube/inject/initializer.go IgnoredNamespaces (same set 1.20 .. master)


@dataclass
class PolicyResult:
    inject: bool
    ids: List[str] = field(default_factory=list)
    texts: List[str] = field(default_factory=list)

    def add(self, reason_id, text):
        self.ids.append(reason_id)
        self.texts.append(text)


def inject_required(
    namespace: str,
    pod_labels: Mapping[str, str],
    pod_annotations: Mapping[str, str],
    host_network: bool,
    config: Any,
    missing: str = "not in snapshot",
) -> PolicyResult:
    """istiod's injectRequired. `config` is the revision's InjectorConfig, or None when the
    ConfigMap is unknown (then policy `enabled`, Istio's default, is assumed; `missing` says why)."""
    result = PolicyResult(inject=False)
    if host_network:
        result.add("istio.host-network", "spec.hostNetwork is true → istiod never injects host-network pods")
        return result
    if namespace in IGNORED_NAMESPACES:
        result.add("istio.ignored-namespace", "namespace %s is in istiod's ignored list → not injected" % namespace)
        return result
    value = (pod_annotations or {}).get(INJECT_KEY, "")
    source = "annotation"
    if INJECT_KEY in (pod_labels or {}):  # the label wins over the annotation when both exist
        value, source = pod_labels[INJECT_KEY], "label"
    use_default, inject = False, False
    if value == "true":
        inject = True
        result.add("istio.inject-true", "pod %s %s=true" % (source, INJECT_KEY))
    elif value == "false":
        result.add("istio.inject-false", "pod %s %s=false" % (source, INJECT_KEY))
    elif value == "":
        use_default = True
    else:
        use_default = True
        result.add(
            "istio.inject-invalid",
            "pod %s %s=%s is not exactly true/false → istiod falls back to the "
            "default policy" % (source, INJECT_KEY, value),
        )
    never = config.never_inject_selector if config is not None else []
    always = config.always_inject_selector if config is not None else []
    if use_default:
        for sel in never:
            if sel and not selectors.selector_error(sel) and selectors.matches(sel, pod_labels):
                use_default, inject = False, False
                result.add(
                    "istio.never-inject-selector",
                    "pod labels match neverInjectSelector %s of %s" % (selectors.render(sel), config.name),
                )
                break
    if use_default:
        for sel in always:
            if sel and not selectors.selector_error(sel) and selectors.matches(sel, pod_labels):
                use_default, inject = False, True
                result.add(
                    "istio.always-inject-selector",
                    "pod labels match alwaysInjectSelector %s of %s" % (selectors.render(sel), config.name),
                )
                break
    policy = config.policy if config is not None else "enabled"
    where = config.name if config is not None else "the injector ConfigMap (%s, Istio's default assumed)" % missing
    if policy == "enabled":
        result.inject = True if use_default else inject
        if use_default:
            result.add("istio.policy-enabled", "policy enabled in %s" % where)
    elif policy == "disabled":
        result.inject = False if use_default else inject
        if use_default:
            result.add(
                "istio.policy-disabled",
                "policy disabled in %s → pods without an explicit "
                "sidecar.istio.io/inject=true are not injected" % where,
            )
    else:
        result.inject = False
        result.add(
            "istio.policy-invalid",
            "policy %r in %s is neither enabled nor disabled → istiod disables all injection" % (policy, where),
        )
    return result


# ---------------------------------------------------------------------------------------------
# istioctl x check-inject


def _matched_selector_info(selector, obj_labels):
    """(matched, "key=value" of the first In/NotIn expression whose key the object has)."""
    if selector is None:
        return True, ""
    if selectors.selector_error(selector):
        return False, ""
    if not selectors.matches(selector, obj_labels):
        return False, ""
    for expr in selector.get("matchExpressions") or []:
        if expr.get("operator") in ("In", "NotIn") and expr.get("key") in obj_labels:
            return True, "%s=%s" % (expr["key"], obj_labels[expr["key"]])
    return True, ""


def _webhooks_match_status(hooks, pod_labels, ns_labels):
    for hook in hooks:
        ns_matched, ns_label = _matched_selector_info(hook.namespace_selector, ns_labels)
        pod_matched, pod_label = _matched_selector_info(hook.object_selector, pod_labels)
        if ns_matched and pod_matched:
            if ns_label and pod_label:
                return "Namespace label %s matches, and pod label %s matches" % (ns_label, pod_label), True
            if ns_label:
                text = "Namespace label %s matches" % ns_label
                if "kubernetes.io/metadata.name" in ns_label:
                    text += " (Automatic injection is enabled in all namespaces)."
                return text, True
            if pod_label:
                return "Pod label %s matches" % pod_label, True
            # neither selector names a label the objects carry: istioctl keeps looking (quirk)
        elif ns_matched:
            for expr in (hook.object_selector or {}).get("matchExpressions") or []:
                key = expr.get("key")
                if key not in pod_labels:
                    continue
                if expr.get("operator") == "DoesNotExist" or (
                    expr.get("operator") == "NotIn" and pod_labels[key] in (expr.get("values") or [])
                ):
                    return "Pod has %s=%s label, preventing injection" % (key, pod_labels[key]), False
        elif pod_matched:
            value = ns_labels.get("istio-injection")
            if value is not None and value != "enabled":
                return "Namespace has istio-injection=%s label, preventing injection" % value, False
    deactivated = False
    ns_in, pod_in = [], []
    for hook in hooks:
        if hook.namespace_selector == NEVER_MATCH and hook.object_selector == NEVER_MATCH:
            deactivated = True
        ns_in += _in_pairs(hook.namespace_selector)
        pod_in += _in_pairs(hook.object_selector)
    if deactivated:
        return "The injection webhook is deactivated, and will never match labels.", False
    return "No matching namespace labels (%s) or pod labels (%s)" % (", ".join(ns_in), ", ".join(pod_in)), False


def _in_pairs(selector):
    out = []
    for expr in (selector or {}).get("matchExpressions") or []:
        if expr.get("operator") == "In":
            out += ["%s=%s" % (expr.get("key"), v) for v in expr.get("values") or []]
    return out


def check_inject(
    webhooks: List[Any], pod_labels: Optional[Mapping[str, str]], namespace_labels: Optional[Mapping[str, str]]
) -> List[Dict[str, Any]]:
    """One row per Istio MWC (any webhook named *istio.io), sorted by MWC name:
    {webhook, revision, injected, reason}. `webhooks`: mesh_model.Webhook list (any order)."""
    pod_labels = dict(pod_labels or {})
    namespace_labels = dict(namespace_labels or {})
    by_config: Dict[str, List[Any]] = {}
    for hook in webhooks:
        by_config.setdefault(hook.config, []).append(hook)
    rows = []
    for config in sorted(by_config):
        hooks = sorted(by_config[config], key=lambda h: h.index)
        if not any(h.name.endswith("istio.io") for h in hooks):
            continue
        reason, injected = _webhooks_match_status(hooks, pod_labels, namespace_labels)
        rows.append(
            {
                "webhook": config,
                "revision": hooks[0].config_labels.get("istio.io/rev", ""),
                "injected": injected,
                "reason": reason,
            }
        )
    return rows
