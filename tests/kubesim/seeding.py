"""Seeding: load objects from files/dicts and put them straight into the store, skipping admission and
controllers (the bulk path for large fixtures; 50k pods in about a second).

Files: .yaml/.yml (multi-document) and .json; directories are walked recursively; `kind: List` (and any
`<Kind>List` with items) is flattened. Seeded objects keep their uid, creationTimestamp and status; missing ones
are filled in: metadata.namespace defaults to "default", pods without status get a Running/Ready one (steered by
the podstatus annotations), services get a cluster IP, namespaces referenced but not given are created.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from .conversions import events_to_core
from .defaults import apply_defaults
from .meta import new_uid, now, random_suffix
from .patches import clone
from .podstatus import completed_exits, pod_status, runs_to_completion, signature
from .resources import BY_GVK, BY_STRING
from .store import Store
from .strategies import Allocator

try:
    YAML_LOADER: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    YAML_LOADER = yaml.SafeLoader

_EXTENSIONS = (".yaml", ".yml", ".json")
# Kinds that must exist before others are prepared (namespaces for implicit creation, nodes for scheduling).
_FIRST = ("v1/namespaces", "v1/nodes")


def flatten(doc: Any) -> Iterable[dict]:
    if doc is None:
        return
    if isinstance(doc, list):
        for item in doc:
            yield from flatten(item)
        return
    if not isinstance(doc, dict):
        raise ValueError(f"seed documents must be objects, got {type(doc).__name__}")
    if is_version_document(doc):
        return  # `kubectl version -o json` output in a cluster dump: it sets /version, it is not an object
    if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            yield from flatten(item)
        return
    yield doc


def is_version_document(doc: dict) -> bool:
    return "kind" not in doc and isinstance(doc.get("serverVersion"), dict)


def seed_server_version(sources: Iterable[Any]) -> str | None:
    """The serverVersion.gitVersion of a `kubectl version -o json` file among the seed paths, if any."""
    for src in sources:
        if not isinstance(src, (str, os.PathLike)):
            continue
        p = Path(src)
        files = sorted(f for f in p.rglob("*.json") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            if f.suffix != ".json":
                continue
            try:
                doc = json.loads(f.read_text(encoding="utf-8"))
            except ValueError:
                continue
            if isinstance(doc, dict) and is_version_document(doc) and doc["serverVersion"].get("gitVersion"):
                return str(doc["serverVersion"]["gitVersion"])
    return None


def load_file(path: str | os.PathLike) -> list[dict]:
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".json"):
        return list(flatten(json.loads(text)))
    return [obj for doc in yaml.load_all(text, Loader=YAML_LOADER) for obj in flatten(doc)]


def load_sources(sources: Iterable[Any]) -> list[dict]:
    """Paths (files or directories), dicts, or lists of dicts → flat object list (file order kept)."""
    out: list[dict] = []
    for src in sources:
        if isinstance(src, (str, os.PathLike)):
            p = Path(src)
            if p.is_dir():
                for f in sorted(p.rglob("*")):
                    if f.is_file() and f.suffix in _EXTENSIONS:
                        out.extend(load_file(f))
            elif p.is_file():
                out.extend(load_file(p))
            else:
                raise FileNotFoundError(f"seed path not found: {src}")
        else:
            # In-memory objects are copied: seeding fills in fields and the caller keeps its data.
            out.extend(clone(o) for o in flatten(src))
    return out


class GcPause:
    freeze = False


@contextlib.contextmanager
def gc_paused() -> Iterator[GcPause]:
    """Building 100k+ small dicts triggers many full cyclic-GC passes: pause the collector meanwhile. Setting
    `.freeze` moves everything alive into the permanent generation afterwards, so later collections (which
    requests trigger) do not walk the whole store again; stored objects are acyclic, nothing leaks."""
    state = GcPause()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield state
    finally:
        if state.freeze:
            gc.freeze()
        if enabled:
            gc.enable()


class Seeder:
    def __init__(
        self,
        store: Store,
        alloc: Allocator,
        kubelet_managed: dict[str, tuple] | None = None,
        kubelet_exits: dict[str, dict] | None = None,
    ):
        self.store = store
        self.alloc = alloc
        self.kubelet_managed = kubelet_managed if kubelet_managed is not None else {}
        self.kubelet_exits = kubelet_exits if kubelet_exits is not None else {}
        self._rr = 0
        self._nodes: list[tuple[str, str]] | None = None

    def _node(self) -> tuple[str, str]:
        if self._nodes is None:
            self._nodes = [
                (
                    n["metadata"]["name"],
                    next(
                        (
                            a["address"]
                            for a in (n.get("status") or {}).get("addresses") or ()
                            if a.get("type") == "InternalIP"
                        ),
                        "172.18.0.2",
                    ),
                )
                for n in self.store.objects("v1/nodes")
            ]
        if not self._nodes:
            return "kubesim-node", "172.18.0.2"
        self._rr += 1
        return self._nodes[self._rr % len(self._nodes)]

    def seed(self, objs: list[dict], defaults: bool = True, implicit_namespaces: bool = True) -> dict[str, int]:
        """Store the objects; returns counts per resource. Objects are used as-is (callers pass copies)."""
        stamp = now()
        grouped: dict[str, list[dict]] = {}
        for obj in objs:
            key = (str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
            rt = BY_GVK.get(key)
            if rt is None or rt.verbs == ("create",):
                raise ValueError(
                    f"kubesim does not serve {key[0]}/{key[1]} (in seed object "
                    f"{(obj.get('metadata') or {}).get('name')!r})"
                )
            if rt.stored_as:
                obj = events_to_core(obj)
                rt = BY_STRING[rt.stored_as]
            grouped.setdefault(rt.storage, []).append(obj)
        counts: dict[str, int] = {}
        ordered = [s for s in _FIRST if s in grouped] + [s for s in grouped if s not in _FIRST]
        if implicit_namespaces:
            wanted = {
                (o.get("metadata") or {}).get("namespace") or "default"
                for s, group in grouped.items()
                if BY_STRING[s].namespaced
                for o in group
            }
            given = {(o.get("metadata") or {}).get("name") for o in grouped.get("v1/namespaces", ())}
            extra = [
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                for ns in sorted(wanted - given)
                if self.store.get("v1/namespaces", None, ns) is None
            ]
            if extra:
                grouped.setdefault("v1/namespaces", []).extend(extra)
                if "v1/namespaces" not in ordered:
                    ordered.insert(0, "v1/namespaces")
        # The ServiceAccounts controller's `default` ServiceAccount, which pod admission needs.
        seeded_sas = {
            ((o.get("metadata") or {}).get("namespace") or "default", (o.get("metadata") or {}).get("name"))
            for o in grouped.get("v1/serviceaccounts", ())
        }
        defaults_sa = [
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}}
            for name in sorted(
                {str((o.get("metadata") or {}).get("name") or "") for o in grouped.get("v1/namespaces", ())}
            )
            if name
            and (name, "default") not in seeded_sas
            and self.store.get("v1/serviceaccounts", name, "default") is None
        ]

        for storage in ordered:
            rt = BY_STRING[storage]
            self._nodes = None
            prepared = [
                self._prepare(storage, rt.namespaced, bool(rt.generation_fields), obj, stamp, defaults)
                for obj in grouped[storage]
            ]
            self.store.bulk_load(storage, prepared)
            counts[storage] = len(prepared)
        if defaults_sa:  # not counted: the cluster made them, not the seed
            self.store.bulk_load(
                "v1/serviceaccounts",
                [self._prepare("v1/serviceaccounts", True, False, o, stamp, defaults) for o in defaults_sa],
            )
        return counts

    def _prepare(
        self, storage: str, namespaced: bool, has_generation: bool, obj: dict, stamp: str, defaults: bool
    ) -> dict:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        if namespaced:
            meta["namespace"] = meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise ValueError(f"seed {storage} object without metadata.name")
            meta["name"] = meta["generateName"] + random_suffix()
        if not meta.get("uid"):
            meta["uid"] = new_uid()
        if not meta.get("creationTimestamp"):
            meta["creationTimestamp"] = stamp
        if has_generation and not meta.get("generation"):
            meta["generation"] = 1
        if defaults:
            apply_defaults(storage, obj)
        if storage == "v1/pods" and not obj.get("status"):
            spec = obj["spec"]
            if not spec.get("nodeName"):
                spec["nodeName"], host_ip = self._node()
            else:
                host_ip = "172.18.0.2"
            # A run-to-completion pod seeded without status has run: its containers have exited (proxies aside).
            exits = completed_exits(obj, stamp) if runs_to_completion(obj) else None
            obj["status"] = pod_status(obj, self.alloc.pod_ip(), host_ip, stamp, exits)
            self.kubelet_managed[meta["uid"]] = (*signature(obj), tuple(sorted(exits or ())))
            if exits is not None:
                self.kubelet_exits[meta["uid"]] = dict(exits)
        elif storage == "v1/namespaces" and not obj.get("status"):
            obj["status"] = {"phase": "Active"}
        elif storage == "v1/services":
            spec = obj.setdefault("spec", {})
            if spec.get("type", "ClusterIP") != "ExternalName" and not spec.get("clusterIP"):
                spec["clusterIP"] = self.alloc.service_ip()
                spec["clusterIPs"] = [spec["clusterIP"]]
        return obj
