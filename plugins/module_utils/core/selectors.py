# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes LabelSelector evaluation with the API server's exact semantics.

Used for webhook namespaceSelector/objectSelector, NetworkPolicy selectors and the injector's
never/alwaysInjectSelector. Rules (k8s.io/apimachinery metav1.LabelSelectorAsSelector):
  * a missing (None) selector on a webhook matches everything; an empty selector `{}` too;
  * matchLabels and matchExpressions are ANDed;
  * In: the key exists and its value is listed; NotIn: the key is absent OR its value is not listed;
  * Exists / DoesNotExist look at the key only; values must be empty for them.
An invalid selector (unknown operator, In with no values) never matches and is reported by
`selector_error` so rules can say why instead of guessing.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def selector_error(selector: Optional[Mapping[str, Any]]) -> Optional[str]:
    """Why the API server would reject this selector, or None when it is valid."""
    if not selector:
        return None
    for expr in selector.get("matchExpressions") or []:
        operator = expr.get("operator")
        values = expr.get("values") or []
        if operator not in OPERATORS:
            return "%r is not a valid label selector operator" % (operator,)
        if operator in ("In", "NotIn") and not values:
            return "values: must be specified when `operator` is 'In' or 'NotIn' (key %s)" % expr.get("key")
        if operator in ("Exists", "DoesNotExist") and values:
            return "values: may not be specified when `operator` is 'Exists' or 'DoesNotExist' (key %s)" % (
                expr.get("key"),
            )
    return None


def expression_matches(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key = expr.get("key") or ""
    operator = expr.get("operator")
    values = expr.get("values") or []
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False


def matches(selector: Optional[Mapping[str, Any]], labels: Optional[Mapping[str, str]]) -> bool:
    """True when `labels` satisfy `selector` (None and {} match everything)."""
    if not selector:
        return True
    if selector_error(selector):
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(expression_matches(expr, labels) for expr in selector.get("matchExpressions") or [])


def failing_requirements(selector: Optional[Mapping[str, Any]], labels: Optional[Mapping[str, str]]) -> List[str]:
    """The requirements of `selector` that `labels` do not meet, rendered like kubectl does
    (`istio-injection=enabled`, `istio.io/rev in (canary)`, `!istio.io/rev`), for reason chains."""
    if not selector:
        return []
    labels = labels or {}
    failed = []
    for key, value in sorted((selector.get("matchLabels") or {}).items()):
        if labels.get(key) != value:
            failed.append("%s=%s" % (key, value))
    for expr in selector.get("matchExpressions") or []:
        if not expression_matches(expr, labels):
            failed.append(render_expression(expr))
    return failed


def render_expression(expr: Mapping[str, Any]) -> str:
    key, operator = expr.get("key"), expr.get("operator")
    values = ",".join(expr.get("values") or [])
    if operator == "In":
        return "%s in (%s)" % (key, values)
    if operator == "NotIn":
        return "%s notin (%s)" % (key, values)
    if operator == "Exists":
        return key or ""
    if operator == "DoesNotExist":
        return "!%s" % key
    return "%s %s (%s)" % (key, operator, values)


def render(selector: Optional[Mapping[str, Any]]) -> str:
    """A selector as a kubectl-style string (`a=b,c in (d),!e`); "<all>" for an empty selector."""
    if not selector:
        return "<all>"
    parts = ["%s=%s" % kv for kv in sorted((selector.get("matchLabels") or {}).items())]
    parts += [render_expression(e) for e in selector.get("matchExpressions") or []]
    return ",".join(parts) or "<all>"


def label_string(labels: Optional[Dict[str, str]]) -> str:
    return ",".join("%s=%s" % kv for kv in sorted((labels or {}).items())) or "<none>"
