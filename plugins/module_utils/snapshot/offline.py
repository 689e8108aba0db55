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
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle
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


class OfflineError(Exception):
    """A snapshot source that cannot be read; the message names the file (and line/column)."""


if HAS_YAML:

    class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
        """Safe loader that keeps timestamps as strings, as the API server's JSON has them."""

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


def _yaml_documents(path: str, text: str) -> List[Any]:
    try:
        return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise OfflineError("%s: %s" % (path, problem)) from None
        raise OfflineError("%s: line %d, column %d: %s" % (path, mark.line + 1, mark.column + 1, problem)) from None
    except yaml.YAMLError as exc:
        raise OfflineError("%s: %s" % (path, exc)) from None


def _json_documents(path: str, text: str) -> List[Any]:
    try:
        return [json.loads(text)]
    except ValueError as exc:
        lineno, colno, msg = getattr(exc, "lineno", 0), getattr(exc, "colno", 0), getattr(exc, "msg", str(exc))
        raise OfflineError("%s: line %d, column %d: %s" % (path, lineno, colno, msg)) from None


def read_documents(path: str) -> List[Any]:
    """The documents in one data file (YAML or JSON by extension; sniffed otherwise)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise OfflineError("%s: cannot read: %s" % (path, exc.strerror or exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OfflineError("%s: not UTF-8 text (byte %d)" % (path, exc.start)) from None
    if path.endswith(".json") or (not path.endswith((".yaml", ".yml")) and text.lstrip()[:1] in ("{", "[")):
        return _json_documents(path, text)
    return _yaml_documents(path, text)


def walk(src: str) -> Iterator[str]:
    """Data files and bundles under `src`, sorted, hidden entries skipped."""
    if not os.path.isdir(src):
        yield src
        return
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            if name.endswith(DATA_EXTENSIONS) or bundle.is_bundle(path):
                yield path


class _Collector(object):
    def __init__(self) -> None:
        self.objects: Dict[str, Dict[Tuple[str, str], Dict[str, Any]]] = {key: OrderedDict() for key in snap.RESOURCES}
        self.read: set = set()
        self.version: Optional[Dict[str, Any]] = None
        self.unknown: Counter = Counter()
        self.duplicates = 0
        self.carried_gaps: Dict[str, Dict[str, Any]] = {}
        self.files = 0

    def add(self, doc: Any) -> None:
        if isinstance(doc, list):
            for item in doc:
                self.add(item)
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
        if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
            resource = snap.KIND_TO_RESOURCE.get(kind[:-4])
            if resource is not None:
                self.read.add(resource)
            for item in doc["items"]:
                if isinstance(item, dict) and resource is not None and not item.get("kind"):
                    item = dict(item, kind=kind[:-4])  # raw API LIST items carry no kind
                self.add(item)
            return
        resource = snap.KIND_TO_RESOURCE.get(kind) if isinstance(kind, str) else None
        if resource is None or (resource == "events" and doc.get("apiVersion", "v1") != "v1"):
            self.unknown[str(kind) if kind else "<no kind>"] += 1
            return
        self.read.add(resource)
        key = (snap.namespace_of(doc), snap.name_of(doc))
        if key in self.objects[resource]:
            self.duplicates += 1
        self.objects[resource][key] = doc

    def add_bundle(self, loaded: Dict[str, Any]) -> None:
        for resource, items in (loaded.get("resources") or {}).items():
            if resource in snap.RESOURCES:
                self.read.add(resource)
                for item in items:
                    self.objects[resource][(snap.namespace_of(item), snap.name_of(item))] = item
        if loaded.get("version"):
            self.version = loaded["version"]
        for entry in loaded.get("gaps") or []:
            self.carried_gaps[entry.get("resource")] = entry


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
) -> Dict[str, Any]:
    """An offline snapshot from `src` (see the module docstring). Raises OfflineError.

    `stats`, when given, receives {"files", "unknown_kinds", "duplicates"}."""
    log = log or (lambda msg: None)
    stats = stats if stats is not None else {}
    if not os.path.exists(src):
        raise OfflineError("src %s does not exist" % src)
    filtered = bool(namespaces or exclude_namespaces or control_plane_namespaces)
    loaded = None
    if os.path.isfile(src) and bundle.is_bundle(src):
        loaded = bundle.read(src)
        stats.update(files=1, unknown_kinds={}, duplicates=0)
        if not filtered:
            return loaded
    if not HAS_YAML:
        raise OfflineError("the PyYAML Python library is required to read %s" % src)
    collector = _Collector()
    for path in walk(src):
        collector.files += 1
        if bundle.is_bundle(path):
            collector.add_bundle(bundle.read(path))
            continue
        stem = os.path.basename(path).rsplit(".", 1)[0]
        if stem in snap.RESOURCES:
            collector.read.add(stem)
        for doc in read_documents(path):
            collector.add(doc)
    if collector.unknown:
        log("ignored objects of unknown kinds: %s" % dict(sorted(collector.unknown.items())))
    if collector.duplicates:
        log("%d objects appeared more than once; the last copy (in file order) was kept" % collector.duplicates)
    stats.update(
        files=collector.files, unknown_kinds=dict(sorted(collector.unknown.items())), duplicates=collector.duplicates
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
