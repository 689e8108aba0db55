"""Webhook namespaceSelector/objectSelector evaluation, on top of the core's label-selector evaluator.

Matching itself is tests.kubesim.selectors (In/NotIn/Exists/DoesNotExist with kube semantics: NotIn and
DoesNotExist match objects that lack the key). What differs for webhooks:
- kube-apiserver defaults a webhook's selectors to `{}` on write, so a null selector (Linkerd's CLI
  renders `objectSelector: null`) matches everything here, where the core's nil selector matches nothing;
- an invalid selector (unknown operator, In/NotIn without values, Exists with values) is an error that
  the webhook matcher turns into a 500 InternalError, as LabelSelectorAsSelector's error would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.kubesim.selectors import from_label_selector, labels_match


class SelectorError(ValueError):
    pass


def validate(selector: Mapping[str, Any] | None) -> None:
    for expr in (selector or {}).get("matchExpressions") or []:
        op, values = expr.get("operator"), expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                raise SelectorError(
                    "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"
                )
        elif op in ("Exists", "DoesNotExist"):
            if values:
                raise SelectorError(
                    f"values: Invalid value: {list(values)!r}: values set must be empty for exists and does not exist"
                )
        else:
            raise SelectorError(f'"{op}" is not a valid label selector operator')


def is_empty(selector: Mapping[str, Any] | None) -> bool:
    return not selector or (not selector.get("matchLabels") and not selector.get("matchExpressions"))


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """True when labels satisfy the selector; null and {} match everything."""
    if is_empty(selector):
        return True
    validate(selector)
    requirements = from_label_selector(dict(selector or {}))
    return labels_match(requirements or (), dict(labels or {}))
