"""Server-side apply's merge of an applied configuration into the live object (structured-merge-diff's
TypedValue.Merge) and the removal of fields an applier stopped applying (Updater.prune).

Maps and structs merge field by field; atomic values and atomic lists are replaced; sets and associative lists
merge item by item. Item order follows upstream: live-only items keep their place, items the configuration
names come in its order.
"""

from __future__ import annotations

from typing import Any

from ..patches import clone
from .fieldset import Path, element, has_prefix, is_leaf, list_items
from .schema import ASSOC, ATOMIC, LIST, SET, Node, Schema


def merge(schema: Schema, node: Node, live: Any, config: Any) -> Any:
    if config is None:
        return clone(live)
    if (
        live is None
        or node.kind in (ATOMIC, LIST)
        or not isinstance(config, (dict, list))
        or type(live) is not type(config)
    ):
        return clone(config)
    if isinstance(config, dict) and isinstance(live, dict):
        out = dict(live)
        for key, value in config.items():
            if value is None:
                continue
            sub = schema.field(node, key, value)
            out[key] = clone(value) if sub is None else merge(schema, sub, live.get(key), value)
        return out
    if isinstance(live, list) and isinstance(config, list):
        return _merge_list(schema, node, live, config)
    return clone(config)


def _merge_list(schema: Schema, node: Node, live: list, config: list) -> list:
    if node.kind not in (SET, ASSOC):
        return clone(config)
    lhs = [(element(node, item, i), item) for i, item in enumerate(live)]
    rhs = [(element(node, item, i), item) for i, item in enumerate(config)]
    lmap, rmap = list_items(node, live), list_items(node, config)
    shared = [pe for pe, _ in rhs if pe in lmap]
    done: set[str] = set()
    out: list = []

    def merged(pe: str) -> Any:
        a, b = lmap.get(pe), rmap.get(pe)
        if node.kind == SET or a is None:
            return clone(b)
        return merge(schema, schema.item(node, b), a, b)

    li = ri = 0
    next_shared = shared.pop(0) if shared else None
    while li < len(lhs) or ri < len(rhs):
        if li < len(lhs) and ri < len(rhs):
            pe = lhs[li][0]
            if pe == rhs[ri][0]:
                if pe not in done:
                    out.append(merged(pe))
                    done.add(pe)
                li += 1
                ri += 1
                next_shared = shared.pop(0) if shared else None
                continue
            if pe in rmap and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(lhs):
            pe, item = lhs[li]
            if pe not in rmap:
                out.append(clone(item))
                li += 1
                continue
            if pe in done:
                li += 1
                continue
        if ri < len(rhs):
            pe = rhs[ri][0]
            if pe not in done:
                out.append(merged(pe))
                done.add(pe)
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop(0) if shared else None
    return out


def prune(schema: Schema, node: Node, obj: dict, last: set[Path], owned: set[Path]) -> dict:
    """Remove what the applier owned before (`last`) that nobody owns now (`owned`, the new configuration
    included), unless something below it is still owned."""
    doomed = {p for p in last if p not in owned and not has_prefix(owned, p)}
    if not doomed:
        return obj
    return _remove(schema, node, obj, doomed, ())


def _remove(schema: Schema, node: Node, value: Any, doomed: set[Path], path: Path) -> Any:
    if isinstance(value, dict) and not is_leaf(node, value):
        out = {}
        for key, child in value.items():
            sub_path = (*path, "f:" + key)
            if sub_path in doomed:
                continue
            sub = schema.field(node, key, child)
            if sub is not None and any(p[: len(sub_path)] == sub_path for p in doomed):
                out[key] = _remove(schema, sub, child, doomed, sub_path)
            else:
                out[key] = child
        return out
    if isinstance(value, list) and node.kind in (SET, ASSOC):
        out_list = []
        for i, item in enumerate(value):
            item_path = (*path, element(node, item, i))
            if item_path in doomed:
                continue
            if node.kind == ASSOC and any(p[: len(item_path)] == item_path for p in doomed):
                item = _remove(schema, schema.item(node, item), item, doomed, item_path)
            out_list.append(item)
        return out_list
    return value
