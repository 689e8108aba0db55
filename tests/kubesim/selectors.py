"""Label and field selectors with kube-apiserver semantics.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, comma = AND.
`!=` and `notin` also match objects without the label, as upstream. Field selectors: `=`, `==`, `!=` on the
fields each kind supports upstream (others answer 400 `field label not supported: ...`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from .errors import bad_request

_KEY_RE = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_VALUE_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and labels[self.key] in self.values
        if self.op in ("!=", "notin"):
            return not present or labels[self.key] not in self.values
        if not present:
            return False
        try:
            have, want = int(labels[self.key]), int(self.values[0])
        except ValueError:
            return False
        return have > want if self.op == "gt" else have < want


LabelSelector = tuple[Requirement, ...]


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside `( )` value sets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _check_key(key: str) -> str:
    if not _KEY_RE.match(key) or len(key.rpartition("/")[2]) > 63:
        raise bad_request(
            f'unable to parse requirement: invalid label key "{key}": name part must consist of '
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character"
        )
    return key


def _check_value(value: str) -> str:
    if not _VALUE_RE.match(value) or len(value) > 63:
        raise bad_request(
            f'unable to parse requirement: values[0]: Invalid value: "{value}": a valid label must '
            "be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character"
        )
    return value


_SET_RE = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")


def parse_label_selector(text: str | None) -> LabelSelector:
    if not text or not text.strip():
        return ()
    reqs: list[Requirement] = []
    for part in _split_top_level(text):
        m = _SET_RE.match(part)
        if m:
            values = tuple(_check_value(v.strip()) for v in m.group(3).split(","))
            reqs.append(Requirement(_check_key(m.group(1)), m.group(2), values))
        elif part.startswith("!"):
            reqs.append(Requirement(_check_key(part[1:].strip()), "!"))
        elif "!=" in part:
            k, _, v = part.partition("!=")
            reqs.append(Requirement(_check_key(k.strip()), "!=", (_check_value(v.strip()),)))
        elif "==" in part:
            k, _, v = part.partition("==")
            reqs.append(Requirement(_check_key(k.strip()), "=", (_check_value(v.strip()),)))
        elif "=" in part:
            k, _, v = part.partition("=")
            reqs.append(Requirement(_check_key(k.strip()), "=", (_check_value(v.strip()),)))
        elif ">" in part or "<" in part:
            op = ">" if ">" in part else "<"
            k, _, v = part.partition(op)
            if not v.strip().lstrip("-").isdigit():
                raise bad_request(
                    f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: {v.strip()}"
                )
            reqs.append(Requirement(_check_key(k.strip()), "gt" if op == ">" else "lt", (v.strip(),)))
        elif " " in part:
            raise bad_request(
                f"unable to parse requirement: found '{part.split()[1]}', expected: in, notin, =, ==, !=, gt, lt"
            )
        else:
            reqs.append(Requirement(_check_key(part), "exists"))
    return tuple(reqs)


def labels_match(selector: LabelSelector, labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in selector)


_EXPR_OPS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def from_label_selector(sel: dict[str, Any] | None) -> LabelSelector | None:
    """metav1.LabelSelector → requirements. None (a nil selector) selects nothing; {} selects everything."""
    if sel is None:
        return None
    reqs = [Requirement(k, "=", (str(v),)) for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for expr in sel.get("matchExpressions") or []:
        reqs.append(Requirement(expr["key"], _EXPR_OPS[expr["operator"]], tuple(expr.get("values") or ())))
    return tuple(reqs)


def selector_matches(sel: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    reqs = from_label_selector(sel)
    return reqs is not None and labels_match(reqs, labels)


def selector_string(sel: dict[str, Any] | None) -> str:
    """metav1.FormatLabelSelector, as used in Scale.status.selector."""
    parts = []
    for r in from_label_selector(sel) or ():
        if r.op == "=":
            parts.append(f"{r.key}={r.values[0]}")
        elif r.op in ("in", "notin"):
            parts.append(f"{r.key} {r.op} ({','.join(r.values)})")
        elif r.op == "exists":
            parts.append(r.key)
        else:
            parts.append(f"!{r.key}")
    return ",".join(parts)


# ---------------------------------------------------------------- field selectors


def _path(*keys: str) -> Callable[[dict], str]:
    def get(obj: dict) -> str:
        cur: Any = obj
        for k in keys:
            if not isinstance(cur, dict):
                return ""
            cur = cur.get(k)
        if cur is None:
            return ""
        if isinstance(cur, bool):
            return "true" if cur else "false"
        return str(cur)

    return get


_COMMON = {"metadata.name": _path("metadata", "name"), "metadata.namespace": _path("metadata", "namespace")}
_EVENT_FIELDS = {
    **{
        f"involvedObject.{k}": _path("involvedObject", k)
        for k in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
    },
    "reason": _path("reason"),
    "type": _path("type"),
    "source": _path("source", "component"),
    "reportingComponent": _path("reportingComponent"),
}
FIELDS: dict[str, dict[str, Callable[[dict], str]]] = {
    "v1/pods": {
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": lambda o: "true" if (o.get("spec") or {}).get("hostNetwork") else "false",
        "status.phase": _path("status", "phase"),
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    "v1/events": _EVENT_FIELDS,
    # events.k8s.io selectors are evaluated on the stored core form; `regarding.*` maps to involvedObject.*.
    "events.k8s.io/v1/events": {
        **_EVENT_FIELDS,
        **{f"regarding.{k}": _path("involvedObject", k) for k in ("kind", "namespace", "name", "uid", "apiVersion")},
        "reportingController": _path("reportingComponent"),
    },
    "v1/secrets": {"type": _path("type")},
    "v1/namespaces": {"status.phase": _path("status", "phase")},
    "v1/nodes": {"spec.unschedulable": lambda o: "true" if (o.get("spec") or {}).get("unschedulable") else "false"},
    "v1/services": {"spec.clusterIP": _path("spec", "clusterIP"), "spec.type": _path("spec", "type")},
    "apps/v1/replicasets": {"status.replicas": _path("status", "replicas")},
    "batch/v1/jobs": {"status.successful": _path("status", "succeeded")},
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    getter: Callable[[dict], str]
    equal: bool
    value: str

    def matches(self, obj: dict) -> bool:
        return (self.getter(obj) == self.value) == self.equal


FieldSelector = tuple[FieldRequirement, ...]


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, cur, escaped = [], [], False
    for ch in text:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            cur.append(ch)
            escaped = True
        elif ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def parse_field_selector(text: str | None, resource: str) -> FieldSelector:
    if not text or not text.strip():
        return ()
    known = {**_COMMON, **FIELDS.get(resource, {})}
    reqs = []
    for part in _split_unescaped(text, ","):
        if not part:
            continue
        for op, is_equal in (("!=", False), ("==", True), ("=", True)):
            idx = part.find(op)
            if idx > 0:
                field, value, equal = part[:idx].strip(), _unescape(part[idx + len(op) :]), is_equal
                break
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        if field not in known:
            raise bad_request(f"field label not supported: {field}")
        reqs.append(FieldRequirement(field, known[field], equal, value))
    return tuple(reqs)


def fields_match(selector: FieldSelector, obj: dict) -> bool:
    return all(r.matches(obj) for r in selector)
