# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline snapshots: the same snapshot as live gathering, read from files instead of a cluster.

`src` is a file or a directory, read recursively in sorted order (hidden entries skipped) so the
result is deterministic. Files ending in .yaml/.yml/.json hold, in any mix:
  * single objects or multi-document YAML (`---`);
  * `kind: List` and `<Kind>List` documents (`kubectl get -o yaml/json`, raw API LIST responses);
  * `kubectl version -o json|yaml` output (its `serverVersion`), or a raw `/version` response;
and a bundle (bundle.py; gzip, any name) is read too. A bundle given as `src` itself comes back
exactly as it was saved unless namespace filters are given.

Every object goes through the live path's selection and projection (gather.select, projection),
including the control-plane rules (services, endpoints, policies and RBAC only in the mesh
control-plane namespaces, only mesh ConfigMaps and certificate Secrets, Warning and
InjectionSkipped events), so the same cluster state gives the same snapshot either way.

A kind counts as read when at least one object of it appears, when a `<Kind>List` (even an empty
one) appears, or when a file is named after it (`cronjobs.yaml` holding `items: []`). Kinds not
read are coverage gaps with reason "absent" (finding SI803). Unknown kinds are ignored and counted.
A file that does not parse fails with its path and the parser's line and column.

Hostile and careless input (limits.py, shapes.py): only regular files are read, each within the
size, document, alias and gzip limits; a gzip file that is not a bundle is a gzip'd plain dump
(`pods.yaml.gz`, `dump.json.gz`: its inner name or content says YAML or JSON), and one that is
neither fails with its path (a bundle corrupted near its start is never skipped). Every object's
fields are checked against shapes.SHAPES; a wrong type fails naming the file, the document (and
List item), the object and the field. Objects that appear more than once are reported with both
places (the last copy in file order is kept). A source in which nothing is recognised (an empty
directory, a directory of unrelated files) is an error naming what was read, never an empty cluster.
"""

from __future__ import annotations

import json
import os
from collections import Counter, OrderedDict
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

try:
    import yaml

    _BaseLoader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    HAS_YAML = True
except ImportError:  # reported by the module with missing_required_lib
    yaml = None  # type: ignore[assignment]
    _BaseLoader = object
    HAS_YAML = False

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle, shapes
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import limits as input_limits
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.gather import (
    ControlPlane,
    NamespaceFilter,
    gap,
    gc_paused,
    select,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.projection import (
    Memo,
    project,
    sort_key,
)

DATA_EXTENSIONS = (".yaml", ".yml", ".json")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class OfflineError(input_limits.InputError):
    """A snapshot source that cannot be read; the message names the file (and line/column)."""


if HAS_YAML:

    class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
        """Safe loader that keeps timestamps as strings, as the API server's JSON has them."""

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


def _expanded_nodes(root: Any) -> Tuple[int, int]:
    """(distinct nodes, nodes once every alias is expanded) of a composed YAML document. Aliases
    compose to the same node object, so the expanded count is a sum over a DAG, memoised by id."""
    sizes: Dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        value = node.value
        children: List[Any] = []
        if isinstance(value, list):
            for item in value:
                children.extend(item if isinstance(item, tuple) else (item,))
        if not done:
            sizes.setdefault(key, -1)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        if any(sizes.get(id(child)) == -1 for child in children):
            return len(sizes), -1  # a recursive alias (`&a [*a]`): a node inside itself
        sizes[key] = 1 + sum(sizes[id(child)] for child in children)
    return len(sizes), sizes[id(root)]


def _yaml_documents(path: str, text: str, limits: input_limits.Limits) -> List[Any]:
    docs: List[Any] = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            if "*" in text:  # only a document with an alias can expand
                distinct, expanded = _expanded_nodes(node)
                if expanded < 0:
                    raise OfflineError(
                        "%s: document %d: a YAML alias refers to itself (a recursive structure)" % (path, len(docs) + 1)
                    )
                if expanded - distinct > limits.max_alias_nodes:
                    raise limits.refuse(
                        path,
                        "document %d: YAML aliases expand %d nodes to %d" % (len(docs) + 1, distinct, expanded),
                        "max_yaml_alias_nodes",
                    )
            doc = loader.construct_document(node)
            if doc is not None:
                limits.count_documents(path)
                docs.append(doc)
        return docs
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise OfflineError("%s: %s" % (path, problem)) from None
        raise OfflineError("%s: line %d, column %d: %s" % (path, mark.line + 1, mark.column + 1, problem)) from None
    except yaml.YAMLError as exc:
        raise OfflineError("%s: %s" % (path, exc)) from None
    except RecursionError:
        raise OfflineError("%s: the YAML is nested too deeply to read" % path) from None
    except (TypeError, ValueError) as exc:  # e.g. a mapping used as a mapping key
        raise OfflineError("%s: %s" % (path, exc)) from None
    finally:
        loader.dispose()


def _json_documents(path: str, text: str, limits: input_limits.Limits) -> List[Any]:
    try:
        doc = json.loads(text)
    except RecursionError:
        raise OfflineError("%s: the JSON is nested too deeply to read" % path) from None
    except ValueError as exc:
        lineno, colno, msg = getattr(exc, "lineno", 0), getattr(exc, "colno", 0), getattr(exc, "msg", str(exc))
        raise OfflineError("%s: line %d, column %d: %s" % (path, lineno, colno, msg)) from None
    limits.count_documents(path)
    return [doc]


def _inner_name(path: str) -> str:
    """`pods.yaml.gz` -> `pods.yaml`: what a gzip'd plain dump was called before compression."""
    return path[:-3] if path.endswith(".gz") else path


def read_documents(path: str, limits: Optional[input_limits.Limits] = None) -> List[Any]:
    """The documents in one data file (YAML or JSON by extension; sniffed otherwise), read within
    `limits`. A gzip file (not a bundle) is a gzip'd plain dump, decompressed within the limits."""
    limits = limits or input_limits.Limits()
    if path.endswith((".yaml", ".yml")):  # refused before reading
        raw = input_limits.read_regular(path, limits, max_bytes=limits.max_yaml, option="max_yaml_mb")
    else:
        raw = input_limits.read_regular(path, limits)
    name = path
    if raw[:2] == b"\x1f\x8b":
        raw = input_limits.gunzip(path, raw, limits, limits.max_file, "max_file_mb")
        name = _inner_name(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OfflineError("%s: not UTF-8 text (byte %d)" % (path, exc.start)) from None
    if name.endswith(".json") or (not name.endswith((".yaml", ".yml")) and text.lstrip()[:1] in ("{", "[")):
        return _json_documents(path, text, limits)
    if len(raw) > limits.max_yaml:
        raise limits.refuse(
            path, "%d bytes of YAML, more than %d MiB" % (len(raw), limits.max_yaml // input_limits.MIB), "max_yaml_mb"
        )
    return _yaml_documents(path, text, limits)


def _wanted(path: str, name: str) -> bool:
    """A data file by name (read, or refused if it is not a regular file), or any regular gzip file
    (a bundle or a gzip'd dump, whatever its name). Other files are never opened."""
    if name.endswith(DATA_EXTENSIONS) or name.endswith(".gz"):
        return True
    return bundle.is_gzip(path)


def walk(src: str) -> Iterator[str]:
    """Data files and gzip files under `src`, sorted, hidden entries skipped."""
    if not os.path.isdir(src):
        yield src
        return
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            if _wanted(path, name):
                yield path


class _Collector(object):
    def __init__(self) -> None:
        self.objects: Dict[str, Dict[Tuple[str, str], Dict[str, Any]]] = {key: OrderedDict() for key in snap.RESOURCES}
        self.origin: Dict[Tuple[str, str, str], str] = {}
        self.read: set = set()
        self.version: Optional[Dict[str, Any]] = None
        self.unknown: Counter = Counter()
        self.duplicates: List[Dict[str, str]] = []
        self.carried_gaps: Dict[str, Dict[str, Any]] = {}
        self.files = 0
        self.names: List[str] = []

    def add(self, doc: Any, where: str) -> None:
        if isinstance(doc, list):
            for index, item in enumerate(doc):
                self.add(item, "%s, item %d" % (where, index + 1))
            return
        if not isinstance(doc, dict):
            self.unknown["<not an object>"] += 1
            return
        kind = doc.get("kind")
        if kind is None and isinstance(doc.get("serverVersion"), dict):
            self.version = doc["serverVersion"]  # kubectl version -o json|yaml
            return
        if kind is None and "gitVersion" in doc and "major" in doc:
            self.version = doc  # a raw /version response
            return
        if isinstance(kind, str) and kind.endswith("List") and "items" in doc:
            items = doc["items"]
            if items is not None and not isinstance(items, list):
                raise shapes.ShapeError(
                    "%s: %s: field items must be a list, got %s" % (where, kind, type(items).__name__)
                )
            resource = snap.KIND_TO_RESOURCE.get(kind[:-4])
            if resource is not None:
                self.read.add(resource)
            for index, item in enumerate(items or ()):
                if isinstance(item, dict) and resource is not None and not item.get("kind"):
                    item = dict(item, kind=kind[:-4])  # raw API LIST items carry no kind
                self.add(item, "%s, item %d" % (where, index + 1))
            return
        resource = snap.KIND_TO_RESOURCE.get(kind) if isinstance(kind, str) else None
        if resource is None or (resource == "events" and doc.get("apiVersion", "v1") != "v1"):
            self.unknown[str(kind) if kind else "<no kind>"] += 1
            return
        shapes.check(resource, doc, where)
        self.read.add(resource)
        self._keep(resource, doc, where)

    def _keep(self, resource: str, doc: Dict[str, Any], where: str) -> None:
        key = (snap.namespace_of(doc), snap.name_of(doc))
        origin = (resource, key[0], key[1])
        if key in self.objects[resource]:
            self.duplicates.append(
                {
                    "kind": snap.RESOURCES[resource].kind,
                    "namespace": key[0],
                    "name": key[1],
                    "first": self.origin[origin],
                    "kept": where,
                }
            )
        self.origin[origin] = where
        self.objects[resource][key] = doc

    def add_bundle(self, loaded: Dict[str, Any], where: str) -> None:
        shapes.check_snapshot(loaded, where)
        for resource, items in (loaded.get("resources") or {}).items():
            if resource in snap.RESOURCES:
                self.read.add(resource)
                for index, item in enumerate(items):
                    self._keep(resource, item, "%s: resources.%s[%d]" % (where, resource, index))
        if loaded.get("version"):
            self.version = loaded["version"]
        for entry in loaded.get("gaps") or []:
            self.carried_gaps[entry.get("resource")] = entry


def _nothing_recognised(src: str, collector: _Collector) -> OfflineError:
    """The error for a source with no object of a kind the snapshot holds and no server version."""
    if not collector.files:
        return OfflineError(
            "src %s: no data files found (looked for %s files and gzip bundles or dumps; hidden entries are skipped)"
            % (src, ", ".join(DATA_EXTENSIONS))
        )
    shown = ", ".join(collector.names[:5]) + (
        " and %d more" % (len(collector.names) - 5) if len(collector.names) > 5 else ""
    )
    unknown = dict(sorted(collector.unknown.items()))
    return OfflineError(
        "src %s: no Kubernetes objects of the kinds this collection reads in %d file(s) (%s); found %s"
        % (src, collector.files, shown, "only %s" % unknown if unknown else "no objects at all")
    )


def duplicate_lines(duplicates: Sequence[Dict[str, str]], limit: int = 5) -> List[str]:
    """One line per duplicated object (the first `limit`), for warnings."""
    lines = [
        "%s %s appears more than once: %s, then %s (the last copy is used)"
        % (d["kind"], "%s/%s" % (d["namespace"], d["name"]) if d["namespace"] else d["name"], d["first"], d["kept"])
        for d in duplicates[:limit]
    ]
    if len(duplicates) > limit:
        lines.append("... and %d more duplicated objects" % (len(duplicates) - limit))
    return lines


def _cluster_name(src: str) -> str:
    base = os.path.basename(os.path.normpath(src))
    for suffix in (".gz", ".json", ".yaml", ".yml", ".bundle"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base or src


def load(
    src: str,
    namespaces: Optional[Sequence[str]] = None,
    exclude_namespaces: Optional[Sequence[str]] = None,
    control_plane_namespaces: Optional[Sequence[str]] = None,
    log: Optional[Callable[[str], None]] = None,
    stats: Optional[Dict[str, Any]] = None,
    limits: Optional[input_limits.Limits] = None,
    warn: Optional[Callable[[str], None]] = None,
) -> Dict[str, Any]:
    """An offline snapshot from `src` (see the module docstring), read within `limits` (defaults:
    limits.LIMIT_OPTIONS). Raises an InputError (OfflineError, BundleError, InputLimitError,
    ShapeError) naming the input.

    `stats`, when given, receives {"files", "unknown_kinds", "duplicates"}; `warn` the duplicates."""
    log = log or (lambda msg: None)
    warn = warn or log
    stats = stats if stats is not None else {}
    limits = limits or input_limits.Limits()
    if not os.path.lexists(src):
        raise OfflineError("src %s does not exist" % src)
    if not os.path.isdir(src):
        input_limits.regular_size(src)  # a FIFO or a device as src is refused before any open
    filtered = bool(namespaces or exclude_namespaces or control_plane_namespaces)
    loaded = None
    if os.path.isfile(src) and bundle.is_bundle(src):
        loaded = bundle.read(src, limits)
        shapes.check_snapshot(loaded, src)
        stats.update(files=1, unknown_kinds={}, duplicates=0)
        if not filtered:
            return loaded
    if not HAS_YAML:
        raise OfflineError("the PyYAML Python library is required to read %s" % src)
    collector = _Collector()
    for path in walk(src):
        collector.files += 1
        collector.names.append(os.path.relpath(path, src) if path != src else os.path.basename(path))
        if bundle.is_bundle(path):
            collector.add_bundle(bundle.read(path, limits), path)
            continue
        stem = os.path.basename(_inner_name(path)).rsplit(".", 1)[0]
        if stem in snap.RESOURCES:
            collector.read.add(stem)
        for index, doc in enumerate(read_documents(path, limits)):
            collector.add(doc, "%s: document %d" % (path, index + 1))
    if not collector.read and collector.version is None:
        raise _nothing_recognised(src, collector)
    if collector.unknown:
        log("ignored objects of unknown kinds: %s" % dict(sorted(collector.unknown.items())))
    for line in duplicate_lines(collector.duplicates):
        warn(line)
    stats.update(
        files=collector.files,
        unknown_kinds=dict(sorted(collector.unknown.items())),
        duplicates=len(collector.duplicates),
    )
    with gc_paused():
        result = _assemble(src, collector, namespaces, exclude_namespaces, control_plane_namespaces)
    if loaded is not None:  # a filtered bundle keeps where it came from
        for key in ("cluster", "gathered_at", "requests"):
            result[key] = loaded[key]
    return result


def _assemble(
    src: str,
    collector: _Collector,
    namespaces: Optional[Sequence[str]],
    exclude_namespaces: Optional[Sequence[str]],
    control_plane_namespaces: Optional[Sequence[str]],
) -> Dict[str, Any]:
    objects = collector.objects
    control_plane = ControlPlane(
        objects["mutatingwebhookconfigurations"].values(),
        objects["deployments"].values(),
        control_plane_namespaces,
    )
    namespace_filter = NamespaceFilter(namespaces, exclude_namespaces)
    namespace_filter.always.update(control_plane.namespaces)
    result = snap.empty(name=_cluster_name(src), source="offline")
    result["cluster"]["path"] = src
    result["version"] = collector.version
    resources: Dict[str, List[Dict[str, Any]]] = OrderedDict()
    gaps = []
    memo = Memo()
    for resource in snap.RESOURCES:
        if resource not in collector.read and resource in snap.OPTIONAL_RESOURCES:
            if resource in collector.carried_gaps:
                gaps.append(collector.carried_gaps[resource])
            else:
                resources[resource] = []  # an API old clusters serve: no file of it means none
            continue
        if resource not in collector.read:
            carried = collector.carried_gaps.get(resource)
            gaps.append(
                carried or gap(resource, "absent", "no %s objects in %s" % (snap.RESOURCES[resource].kind, src))
            )
            continue
        items = [
            project(resource, obj, memo)
            for obj in objects[resource].values()
            if select(resource, obj, namespace_filter, control_plane)
        ]
        resources[resource] = sorted(items, key=sort_key)
    if collector.version is None:
        gaps.append(collector.carried_gaps.get("version") or gap("version", "absent", "no server version in %s" % src))
    result["resources"] = resources
    result["gaps"] = sorted(gaps, key=lambda g: g["resource"])
    return result
