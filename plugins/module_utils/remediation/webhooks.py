# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declared webhook settings (`webhooks` of webhook_settings) as edits of one webhook configuration.

Per webhook (all of a configuration, or the one named): timeoutSeconds; failurePolicy (Ignore fails
open: pods are then created without a sidecar while the injector is unreachable, so it needs the
acknowledgement); namespaces excluded through `kubernetes.io/metadata.name NotIn` in the
namespaceSelector (the injector's own namespace: the bootstrap deadlock of SI209). Each edit is
guarded by the webhook's name at its index, so a reordered configuration is refused, not mis-patched.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Sequence

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import ABSENT
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import (
    Edit,
    PlanError,
    Target,
)

KINDS = {"mutating": "MutatingWebhookConfiguration", "validating": "ValidatingWebhookConfiguration"}
NAME_KEY = "kubernetes.io/metadata.name"
MAX_TIMEOUT = 30  # the API server's limit for admissionregistration/v1

SETTINGS_SPEC: Dict[str, Any] = {
    "type": "list",
    "elements": "dict",
    "default": [],
    "options": {
        "configuration": {"type": "str", "required": True},
        "kind": {"type": "str", "choices": list(KINDS), "default": "mutating"},
        "webhook": {"type": "str"},
        "timeout_seconds": {"type": "int"},
        "failure_policy": {"type": "str", "choices": ["Fail", "Ignore"]},
        "exclude_namespaces": {"type": "list", "elements": "str", "default": []},
    },
}


def ref_of(setting: Dict[str, Any]) -> ObjectRef:
    return ObjectRef(KINDS[setting.get("kind") or "mutating"], setting["configuration"])


def fail_open(settings: Sequence[Dict[str, Any]]) -> List[str]:
    """The settings that ask for failurePolicy Ignore, described for the refusal message."""
    return [
        "%s %s" % (ref_of(s).text(), "webhook %s" % s["webhook"] if s.get("webhook") else "(all webhooks)")
        for s in settings
        if s.get("failure_policy") == "Ignore"
    ]


def validate(settings: Sequence[Dict[str, Any]]) -> None:
    for index, setting in enumerate(settings):
        where = "webhooks[%d] (%s)" % (index, setting.get("configuration"))
        if not setting.get("configuration"):
            raise PlanError("webhooks[%d] needs configuration, the name of the webhook configuration" % index)
        timeout = setting.get("timeout_seconds")
        if timeout is not None and not 1 <= timeout <= MAX_TIMEOUT:
            raise PlanError("%s: timeout_seconds must be between 1 and %d, got %s" % (where, MAX_TIMEOUT, timeout))
        if timeout is None and not setting.get("failure_policy") and not setting.get("exclude_namespaces"):
            raise PlanError("%s sets nothing: give timeout_seconds, failure_policy or exclude_namespaces" % where)


def _excluded(selector: Any, namespaces: Sequence[str]) -> Any:
    """The namespaceSelector with `namespaces` added to a `kubernetes.io/metadata.name NotIn` requirement
    (an existing one is extended, sorted; other requirements are kept as they are)."""
    out = copy.deepcopy(selector) if isinstance(selector, dict) else {}
    expressions = list(out.get("matchExpressions") or [])
    for index, expr in enumerate(expressions):
        if expr.get("key") == NAME_KEY and expr.get("operator") == "NotIn":
            values = sorted(set(expr.get("values") or []) | set(namespaces))
            expressions[index] = dict(expr, values=values)
            break
    else:
        expressions.append({"key": NAME_KEY, "operator": "NotIn", "values": sorted(set(namespaces))})
    out["matchExpressions"] = expressions
    return out


def targets(settings: Sequence[Dict[str, Any]], live: Dict[ObjectRef, Dict[str, Any]]) -> List[Target]:
    """One target per configuration; `live` holds each configuration as read (PlanError when missing)."""
    out: Dict[ObjectRef, Target] = {}
    for index, setting in enumerate(settings):
        ref = ref_of(setting)
        obj = live.get(ref)
        if obj is None:
            raise PlanError("webhooks[%d]: %s does not exist" % (index, ref.text()))
        hooks = obj.get("webhooks") or []
        chosen = [
            (i, h) for i, h in enumerate(hooks) if not setting.get("webhook") or h.get("name") == setting["webhook"]
        ]
        if not chosen:
            names = ", ".join(h.get("name", "?") for h in hooks) or "none"
            raise PlanError(
                "webhooks[%d]: %s has no webhook %s (it has: %s)" % (index, ref.text(), setting["webhook"], names)
            )
        target = out.setdefault(ref, Target(ref))
        for i, hook in chosen:
            base = "/webhooks/%d" % i
            target.edits.append(Edit(base + "/name", hook.get("name"), hook.get("name"), "guard"))
            if setting.get("timeout_seconds") is not None:
                target.edits.append(
                    Edit(base + "/timeoutSeconds", setting["timeout_seconds"], reason="declared timeout")
                )
            if setting.get("failure_policy"):
                why = (
                    "fails open: pods are admitted without a sidecar while the injector is unreachable"
                    if setting["failure_policy"] == "Ignore"
                    else "fails closed: no pod without its sidecar"
                )
                target.edits.append(
                    Edit(
                        base + "/failurePolicy",
                        setting["failure_policy"],
                        reason=why
                        if setting["failure_policy"] == "Ignore"
                        else "fails closed: no pod without its sidecar",
                    )
                )
            if setting.get("exclude_namespaces"):
                current = hook.get("namespaceSelector")
                target.edits.append(
                    Edit(
                        base + "/namespaceSelector",
                        _excluded(current, setting["exclude_namespaces"]),
                        copy.deepcopy(current) if current is not None else ABSENT,
                        "namespaces %s excluded (their pods, the injector's own included, skip this webhook)"
                        % ", ".join(sorted(setting["exclude_namespaces"])),
                        "SI209",
                    )
                )
                target.resolves.append(("SI209", ref))
    return list(out.values())
