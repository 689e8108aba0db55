"""Which webhooks apply to a request (k8s.io/apiserver/pkg/admission/plugin/webhook/{generic,predicates})."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.kubesim.admission import messages, selectors
from tests.kubesim.admission.attributes import Attributes
from tests.kubesim.admission.resolver import maybe_await
from tests.kubesim.errors import StatusError

# Resources that share storage and are served under another group/version. matchPolicy Equivalent
# also matches a rule written for an equivalent. Every resource the simulator serves has a single
# served version (apps/v1 only, no extensions/v1beta1), so this table is empty and Equivalent
# behaves like Exact; add pairs here when the server grows such aliases.
EQUIVALENTS: dict[str, list[str]] = {}

_EXEMPT_KINDS = {
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
}


@dataclass
class Hook:
    configuration: str
    index: int
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec.get("name", ""))

    @property
    def uid(self) -> str:
        return f"{self.configuration}/{self.name}/{self.index}"

    @property
    def failure_policy(self) -> str:
        return str(self.spec.get("failurePolicy") or "Fail")

    @property
    def timeout(self) -> int:
        value = self.spec.get("timeoutSeconds")
        return 10 if value is None else int(value)

    @property
    def reinvocation(self) -> str:
        return str(self.spec.get("reinvocationPolicy") or "Never")


def is_exempt(attrs: Attributes) -> bool:
    """rules.IsExemptAdmissionConfigurationResource: webhooks never see their own configuration."""
    return attrs.group == "admissionregistration.k8s.io" and attrs.kind in _EXEMPT_KINDS


async def load_hooks(store: Any, resource: str) -> list[Hook]:
    """Configurations sorted by name, webhooks in list order (the webhook source's order)."""
    configs = await maybe_await(store.list(resource))
    hooks: list[Hook] = []
    for config in sorted(configs, key=lambda c: (c.get("metadata") or {}).get("name", "")):
        name = (config.get("metadata") or {}).get("name", "")
        for index, spec in enumerate(config.get("webhooks") or []):
            hooks.append(Hook(name, index, spec))
    return hooks


def _exact_or_wildcard(items: list[str] | None, requested: str) -> bool:
    return any(item in ("*", requested) for item in items or [])


def rule_matches(rule: dict[str, Any], attrs: Attributes, group: str, version: str, plural: str) -> bool:
    scope = rule.get("scope") or "*"
    is_namespace = (group, version, plural) == ("", "v1", "namespaces")
    if scope == "Namespaced" and (is_namespace or not attrs.namespace):
        return False
    if scope == "Cluster" and not (is_namespace or not attrs.namespace):
        return False
    if scope not in ("*", "Namespaced", "Cluster"):
        return False
    if not any(op in ("*", attrs.operation) for op in rule.get("operations") or []):
        return False
    if not _exact_or_wildcard(rule.get("apiGroups"), group) or not _exact_or_wildcard(rule.get("apiVersions"), version):
        return False
    for res in rule.get("resources") or []:
        res_name, _, sub = res.partition("/")
        if res_name in ("*", plural) and (sub == "*" or sub == attrs.subresource):
            return True
    return False


def match_rules(hook: Hook, attrs: Attributes) -> tuple[str, str, str] | None:
    """The (group, version, resource) the webhook is invoked for, or None."""
    rules = hook.spec.get("rules") or []
    for rule in rules:
        if rule_matches(rule, attrs, attrs.group, attrs.version, attrs.plural):
            return attrs.group, attrs.version, attrs.plural
    if (hook.spec.get("matchPolicy") or "Equivalent") == "Equivalent":
        for rule in rules:
            for equivalent in EQUIVALENTS.get(attrs.resource, []):
                g, v, p = equivalent.split("/") if equivalent.count("/") == 2 else ("", *equivalent.split("/"))
                if rule_matches(rule, attrs, g, v, p):
                    return g, v, p
    return None


async def namespace_labels(store: Any, attrs: Attributes) -> dict[str, str]:
    if (
        attrs.plural == "namespaces"
        and attrs.group == ""
        and not attrs.subresource
        and attrs.operation in ("CREATE", "UPDATE")
    ):
        return ((attrs.obj or {}).get("metadata") or {}).get("labels") or {}
    ns = await maybe_await(store.get("v1/namespaces", None, attrs.namespace))
    if ns is None:
        raise messages.not_found("v1/namespaces", attrs.namespace)
    return (ns.get("metadata") or {}).get("labels") or {}


def _labels(obj: dict | None) -> dict[str, str] | None:
    if obj is None:
        return None
    return (obj.get("metadata") or {}).get("labels") or {}


async def should_call(store: Any, hook: Hook, attrs: Attributes) -> tuple[str, str, str] | None:
    """generic.Webhook.ShouldCallHook: selectors first, rules next, selector errors only if the rules match."""
    ns_error: StatusError | None = None
    ns_selector = hook.spec.get("namespaceSelector")
    if attrs.namespace or attrs.plural == "namespaces":
        try:
            if not selectors.is_empty(ns_selector):
                selectors.validate(ns_selector)
                if not selectors.matches(ns_selector, await namespace_labels(store, attrs)):
                    return None
        except selectors.SelectorError as exc:
            ns_error = messages.internal_error(str(exc))
        except StatusError as exc:
            ns_error = exc
    obj_error: StatusError | None = None
    obj_selector = hook.spec.get("objectSelector")
    try:
        if not selectors.is_empty(obj_selector):
            selectors.validate(obj_selector)
            new_labels, old_labels = _labels(attrs.obj), _labels(attrs.old)
            hit = (new_labels is not None and selectors.matches(obj_selector, new_labels)) or (
                old_labels is not None and selectors.matches(obj_selector, old_labels)
            )
            if not hit:
                return None
    except selectors.SelectorError as exc:
        obj_error = messages.internal_error(str(exc))
    invocation = match_rules(hook, attrs)
    if invocation is None:
        return None
    if ns_error is not None:
        raise ns_error
    if obj_error is not None:
        raise obj_error
    return invocation
