"""Field sets as structured-merge-diff keeps them: a set of paths, each a tuple of path elements in their
fieldsV1 spelling — `f:<field>`, `k:<key fields as JSON>` (associative list items), `v:<JSON value>` (set
members), `i:<index>`. A path in the set is owned; its ancestors are not, unless listed themselves (list items
are: `.` in fieldsV1 marks a member that also has owned children).

`fields_of` is ToFieldSet, `compare` is TypedValue.Compare (added / modified / removed leaves and list items),
`encode`/`decode` the fieldsV1 JSON (members and children interleaved in structured-merge-diff's element order:
fields, then keys, then values, then indexes), `path_string` the `.spec.containers[name="app"].image` form of
conflict messages.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from .schema import ASSOC, ATOMIC, KEY_DEFAULTS, LIST, SET, Node, Schema

Path = tuple[str, ...]
FieldSet = set[Path]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def item_key(item: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for k in keys:
        if isinstance(item, dict) and k in item:
            out[k] = item[k]
        elif k in KEY_DEFAULTS:
            out[k] = KEY_DEFAULTS[k]
    return out


def element(node: Node, item: Any, index: int) -> str:
    """The path element of a list item."""
    if node.kind == ASSOC:
        return "k:" + _dumps(item_key(item, node.keys))
    if node.kind == SET:
        return "v:" + _dumps(item)
    return f"i:{index}"


def is_leaf(node: Node, value: Any) -> bool:
    # Empty maps and lists are leaves, which keeps the empty/absent distinction (as structured-merge-diff does).
    if node.kind in (ATOMIC, LIST) or not isinstance(value, (dict, list)):
        return True
    return not value


def fields_of(schema: Schema, node: Node, value: Any, prefix: Path = ()) -> FieldSet:
    out: FieldSet = set()
    _walk(schema, node, value, prefix, out)
    return out


def _walk(schema: Schema, node: Node, value: Any, path: Path, out: FieldSet) -> None:
    if is_leaf(node, value):
        if path:
            out.add(path)
        return
    if isinstance(value, dict):
        for key, child in value.items():
            sub = schema.field(node, key, child)
            if sub is None or child is None:
                continue
            _walk(schema, sub, child, (*path, "f:" + key), out)
        return
    item_node_kind = node.kind
    for i, item in enumerate(value):
        pe = element(node, item, i)
        out.add((*path, pe))
        if item_node_kind == ASSOC:
            sub = schema.item(node, item)
            if isinstance(item, dict) and item:
                for key, child in item.items():
                    f = schema.field(sub, key, child)
                    if f is None or child is None:
                        continue
                    _walk(schema, f, child, (*path, pe, "f:" + key), out)


def subtree(schema: Schema, node: Node, value: Any, path: Path) -> FieldSet:
    """What a comparison reports for a value present on one side only: its fields and, unlike ToFieldSet,
    every map and struct in it (the compare walker inserts each non-leaf node that is missing on the other side)."""
    out = fields_of(schema, node, value, path)
    _nodes(schema, node, value, path, out)
    return out


def _nodes(schema: Schema, node: Node, value: Any, path: Path, out: FieldSet) -> None:
    if is_leaf(node, value):
        return
    if path:
        out.add(path)
    if isinstance(value, dict):
        for key, child in value.items():
            sub = schema.field(node, key, child)
            if sub is not None and child is not None:
                _nodes(schema, sub, child, (*path, "f:" + key), out)
    elif node.kind == ASSOC:
        for i, item in enumerate(value):
            if isinstance(item, dict):
                _nodes(schema, schema.item(node, item), item, (*path, element(node, item, i)), out)


def list_items(node: Node, value: Any) -> dict[str, Any]:
    """Path element → item (the first of duplicates wins, as upstream's index does)."""
    out: dict[str, Any] = {}
    for i, item in enumerate(value or ()):
        out.setdefault(element(node, item, i), item)
    return out


def compare(schema: Schema, node: Node, old: Any, new: Any) -> tuple[FieldSet, FieldSet, FieldSet]:
    added: FieldSet = set()
    modified: FieldSet = set()
    removed: FieldSet = set()
    _cmp(schema, node, old, new, (), added, modified, removed)
    return added, modified, removed


def _cmp(
    schema: Schema,
    node: Node,
    old: Any,
    new: Any,
    path: Path,
    added: FieldSet,
    modified: FieldSet,
    removed: FieldSet,
) -> None:
    if old is None and new is None:
        return
    if old is None:
        added.update(subtree(schema, node, new, path))
        return
    if new is None:
        removed.update(subtree(schema, node, old, path))
        return
    # A leaf: scalars, atomic values, a type change, or empty on both sides; otherwise descend (an empty map
    # that gains keys is not itself added, as in structured-merge-diff's compare walker).
    if (
        type(old) is not type(new)
        or not isinstance(new, (dict, list))
        or node.kind in (ATOMIC, LIST)
        or (not old and not new)
    ):
        if old != new and path:
            modified.add(path)
        return
    if isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            sub = schema.field(node, key, new.get(key, old.get(key)))
            if sub is None:
                continue
            _cmp(schema, sub, old.get(key), new.get(key), (*path, "f:" + key), added, modified, removed)
        return
    olds, news = list_items(node, old), list_items(node, new)
    for pe in list(olds) + [p for p in news if p not in olds]:
        a, b = olds.get(pe), news.get(pe)
        item_path = (*path, pe)
        if a is None:
            added.add(item_path)
        elif b is None:
            removed.add(item_path)
        if node.kind != ASSOC:
            continue
        sub = schema.item(node, b if b is not None else a)
        if isinstance(a, dict) or isinstance(b, dict):
            _cmp_fields(schema, sub, a or {}, b or {}, item_path, added, modified, removed, a is None, b is None)


def _cmp_fields(
    schema: Schema,
    node: Node,
    old: dict,
    new: dict,
    path: Path,
    added: FieldSet,
    modified: FieldSet,
    removed: FieldSet,
    old_missing: bool,
    new_missing: bool,
) -> None:
    for key in list(old) + [k for k in new if k not in old]:
        sub = schema.field(node, key, new.get(key, old.get(key)))
        if sub is None:
            continue
        a = None if old_missing else old.get(key)
        b = None if new_missing else new.get(key)
        _cmp(schema, sub, a, b, (*path, "f:" + key), added, modified, removed)


# ---------------------------------------------------------------- ordering, fieldsV1, path strings

_RANK = {"f": 0, "k": 1, "v": 2, "i": 3}


def _value_key(value: Any) -> tuple:
    # value.Compare: by type first, then within the type.
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (3, value)
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, str):
        return (4, value)
    if isinstance(value, list):
        return (5, tuple(_value_key(v) for v in value))
    return (6, tuple((k, _value_key(v)) for k, v in sorted(value.items())))


def element_sort_key(pe: str) -> tuple:
    kind, _, rest = pe.partition(":")
    if kind == "f":
        return (0, rest)
    if kind == "k":
        fields = json.loads(rest)
        return (1, tuple((k, _value_key(v)) for k, v in sorted(fields.items())))
    if kind == "v":
        return (2, _value_key(json.loads(rest)))
    return (3, int(rest))


def encode(paths: Iterable[Path]) -> dict:
    """fieldsV1 JSON of a field set."""
    tree: dict = {}
    members: set[Path] = set()
    for path in paths:
        members.add(path)
        node = tree
        for pe in path:
            node = node.setdefault(pe, {})
    return _emit(tree, (), members)


def _emit(tree: dict, prefix: Path, members: set[Path]) -> dict:
    out: dict = {}
    if prefix and prefix in members and tree:
        out["."] = {}
    for pe in sorted(tree, key=element_sort_key):
        out[pe] = _emit(tree[pe], (*prefix, pe), members)
    return out


def decode(doc: Any, prefix: Path = ()) -> FieldSet:
    out: FieldSet = set()
    if not isinstance(doc, dict):
        return out
    for pe, child in doc.items():
        if pe == ".":
            if prefix:
                out.add(prefix)
            continue
        path = (*prefix, pe)
        if not child:
            out.add(path)
        else:
            out.update(decode(child, path))
    return out


def _go_value(value: Any) -> str:
    # value.ToString: strings quoted, numbers and booleans bare.
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return _dumps(value)


def element_string(pe: str) -> str:
    kind, _, rest = pe.partition(":")
    if kind == "f":
        return "." + rest
    if kind == "k":
        fields = json.loads(rest)
        return "[" + ",".join(f"{k}={_go_value(v)}" for k, v in sorted(fields.items())) + "]"
    if kind == "v":
        return f"[={_go_value(json.loads(rest))}]"
    return f"[{rest}]"


def path_string(path: Path) -> str:
    return "".join(element_string(pe) for pe in path)


def path_sort_key(path: Path) -> tuple:
    return tuple(element_sort_key(pe) for pe in path)


def has_prefix(paths: FieldSet, prefix: Path) -> bool:
    n = len(prefix)
    return any(len(p) > n and p[:n] == prefix for p in paths)
