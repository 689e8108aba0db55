"""fieldValidation (Ignore / Warn / Strict): unknown fields found while decoding a request, as kube-apiserver
reports them, and the warnings a request collects for its `Warning:` response headers.

- create/update body: Warn → `unknown field "spec.foo"` warnings; Strict → 400 `Deployment in version "v1"
  cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"`.
- strategic-merge / merge / JSON patch: checked on the patched object; Strict → 422 ` "" is invalid: patch:
  Invalid value: "...": strict decoding error: ...` (the patch as Go prints a map, or the patched JSON).
- apply patch: unknown fields always fail typed conversion (500 `failed to create typed patch object (...):
  .spec.foo: field not declared in schema`), whatever the directive.
Unknown fields are dropped from what is stored, in every mode. Without a typed schema nothing is unknown.
"""

from __future__ import annotations

import contextvars
import json
from typing import Any

from .. import errors
from ..errors import StatusError
from .schema import ASSOC, LIST, MAP, SET, STRUCT, Node, Schema

DIRECTIVES = ("Ignore", "Warn", "Strict")
WARNINGS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("kubesim_warnings", default=None)


def warn(text: str) -> None:
    sink = WARNINGS.get()
    if sink is not None and text not in sink:
        sink.append(text)


def directive(value: str | None, options_kind: str) -> str:
    if not value:
        return "Warn"
    if value not in DIRECTIVES:
        raise errors.invalid(
            options_kind,
            f"{options_kind}.meta.k8s.io",
            "",
            [
                {
                    "reason": "FieldValueNotSupported",
                    "field": "fieldValidation",
                    "message": f'Unsupported value: "{value}": supported values: "", "Ignore", "Strict", "Warn"',
                }
            ],
        )
    return value


def find_unknown(schema: Schema, node: Node, value: Any, path: str = "", json_path: bool = False) -> list[str]:
    """Paths of undeclared fields: `spec.foo`, `spec.containers[0].bar` (or `.spec.foo` for apply)."""
    out: list[str] = []
    _scan(schema, node, value, path, out, json_path)
    return out


def _join(path: str, key: str, dotted: bool) -> str:
    if dotted:
        return f"{path}.{key}"
    return f"{path}.{key}" if path else key


def _scan(schema: Schema, node: Node, value: Any, path: str, out: list[str], dotted: bool) -> None:
    if isinstance(value, dict) and node.kind in (STRUCT, MAP):
        for key, child in value.items():
            sub = schema.field(node, key, child)
            if sub is None:
                out.append(_join(path, key, dotted))
            elif child is not None:
                _scan(schema, sub, child, _join(path, key, dotted), out, dotted)
    elif isinstance(value, list) and node.kind in (ASSOC, SET, LIST) and node.schema is not None:
        for i, item in enumerate(value):
            _scan(schema, schema.item(node, item), item, f"{path}[{i}]", out, dotted)


def drop_unknown(schema: Schema, node: Node, value: Any) -> Any:
    if isinstance(value, dict) and node.kind in (STRUCT, MAP):
        out = {}
        for key, child in value.items():
            sub = schema.field(node, key, child)
            if sub is not None:
                out[key] = drop_unknown(schema, sub, child) if child is not None else child
        return out
    if isinstance(value, list) and node.kind in (ASSOC, SET, LIST) and node.schema is not None:
        return [drop_unknown(schema, schema.item(node, item), item) for item in value]
    return value


def strict_message(unknown: list[str]) -> str:
    return "strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown)


def check_body(schema: Schema, obj: dict, mode: str, kind: str, version: str) -> dict:
    """Create/update body: the object with unknown fields dropped (warned about or refused per `mode`)."""
    if not schema.typed:
        return obj
    root = schema.root(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    unknown = find_unknown(schema, root, obj)
    if not unknown:
        return obj
    if mode == "Strict":
        raise errors.bad_request(
            f'{kind} in version "{version}" cannot be handled as a {kind}: {strict_message(unknown)}'
        )
    if mode == "Warn":
        for u in unknown:
            warn(f'unknown field "{u}"')
    return drop_unknown(schema, root, obj)


def check_patched(schema: Schema, patched: dict, mode: str, smp_doc: Any = None) -> dict:
    """A patched object. The Strict error's Invalid value is the strategic-merge patch as Go prints a map
    (`smp_doc`), or the patched object's JSON for JSON and merge patches."""
    if not schema.typed:
        return patched
    root = schema.root(str(patched.get("apiVersion", "")), str(patched.get("kind", "")))
    unknown = find_unknown(schema, root, patched)
    if not unknown:
        return patched
    if mode == "Strict":
        shown = go_format(smp_doc) if smp_doc is not None else json.dumps(patched, separators=(",", ":"))
        message = f"Invalid value: {json.dumps(shown)}: {strict_message(unknown)}"
        raise StatusError(
            422,
            "Invalid",
            f' "" is invalid: patch: {message}',
            {"causes": [{"reason": "FieldValueInvalid", "message": message, "field": "patch"}]},
        )
    if mode == "Warn":
        for u in unknown:
            warn(f'unknown field "{u}"')
    return drop_unknown(schema, root, patched)


def check_applied(schema: Schema, config: dict, namespace: str | None, name: str) -> None:
    if not schema.typed:
        return
    api_version, kind = str(config.get("apiVersion", "")), str(config.get("kind", ""))
    unknown = find_unknown(schema, schema.root(api_version, kind), config, json_path=True)
    if unknown:
        group, _, version = api_version.rpartition("/")
        where = f"{namespace or ''}/{name}; {group}/{version}, Kind={kind}"
        raise StatusError(
            500,
            "",
            f"failed to create typed patch object ({where}): {unknown[0]}: field not declared in schema",
        )


def go_format(value: Any) -> str:
    """fmt's %+v of a decoded JSON value: maps with sorted keys, numbers as float64, nil."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_format(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _go_float(float(value))
    return str(value)


def _go_float(f: float) -> str:
    # strconv.FormatFloat(f, 'g', -1, 64): shortest digits, exponent form from 1e+06 and below 1e-04.
    from decimal import Decimal

    if f == 0:
        return "0"
    sign, digits, exp = Decimal(repr(f)).normalize().as_tuple()
    assert isinstance(exp, int)
    e = len(digits) + exp - 1
    text = "".join(map(str, digits))
    if -4 <= e < 6:
        out = format(Decimal(repr(f)).normalize(), "f")
    else:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        out = f"{'-' if sign else ''}{mantissa}e{'+' if e >= 0 else '-'}{abs(e):02d}"
    return out
