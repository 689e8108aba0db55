"""The object store: one bucket per stored resource, a global resourceVersion, watch fan-out and history.

Stored dicts are immutable by convention: every write stores a new dict, so list pages, watch events and the
admission seam hand out stored dicts without copying, and each entry caches its JSON encoding.
All methods run on the server's event-loop thread.
"""

from __future__ import annotations

import bisect
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .resources import STORED, ResourceType

Key = tuple[str, str]  # (namespace or "", name)


def encode(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class Entry:
    __slots__ = ("_raw", "obj")

    def __init__(self, obj: dict):
        self.obj = obj
        self._raw: bytes | None = None

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = encode(self.obj)
        return self._raw


class Bucket:
    """Objects of one resource, keyed by (namespace, name), with a sorted key index for paging."""

    def __init__(self, rt: ResourceType):
        self.rt = rt
        self.entries: dict[Key, Entry] = {}
        self._keys: list[Key] = []
        self._sorted = True

    @property
    def keys(self) -> list[Key]:
        if not self._sorted:
            self._keys.sort()
            self._sorted = True
        return self._keys

    def add_key(self, key: Key, bulk: bool = False) -> None:
        if bulk or not self._sorted:
            self._keys.append(key)
            self._sorted = False
        else:
            bisect.insort(self._keys, key)

    def remove_key(self, key: Key) -> None:
        keys = self.keys
        i = bisect.bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            del keys[i]

    def key_range(self, namespace: str | None) -> tuple[int, int]:
        keys = self.keys
        if not namespace:
            return 0, len(keys)
        return bisect.bisect_left(keys, (namespace, "")), bisect.bisect_left(keys, (namespace + "\x00", ""))


@dataclass
class WatchEvent:
    rv: int
    storage: str
    type: str  # ADDED, MODIFIED, DELETED
    entry: Entry
    old: dict | None = None


Listener = Callable[[str, str, dict | None, dict | None], None]


@dataclass
class Store:
    history_limit: int = 200_000
    rv: int = 1
    buckets: dict[str, Bucket] = field(default_factory=dict)
    # resourceVersions at or below this are compacted: continue tokens and watches from before it expire.
    compacted_rv: int = 0
    by_uid: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    dependents: dict[str, set[tuple[str, str, str]]] = field(default_factory=dict)
    history: deque = field(default_factory=deque)
    subscribers: dict[str, list[Callable[[WatchEvent], None]]] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)

    def __post_init__(self) -> None:
        for rt in STORED:
            self.buckets[rt.resource] = Bucket(rt)

    # ------------------------------------------------------------ reads
    def bucket(self, storage: str) -> Bucket:
        return self.buckets[storage]

    def get(self, storage: str, namespace: str | None, name: str) -> dict | None:
        entry = self.buckets[storage].entries.get((namespace or "", name))
        return entry.obj if entry else None

    def entry(self, storage: str, namespace: str | None, name: str) -> Entry | None:
        return self.buckets[storage].entries.get((namespace or "", name))

    def iter_entries(self, storage: str, namespace: str | None = None, start: int | None = None) -> Iterator[Entry]:
        bucket = self.buckets[storage]
        lo, hi = bucket.key_range(namespace)
        keys, entries = bucket.keys, bucket.entries
        for i in range(lo if start is None else max(lo, start), hi):
            yield entries[keys[i]]

    def objects(self, storage: str, namespace: str | None = None) -> list[dict]:
        return [e.obj for e in self.iter_entries(storage, namespace)]

    def owned_by(self, uid: str, storage: str | None = None) -> list[dict]:
        out = []
        for dep_storage, ns, name in sorted(self.dependents.get(uid, ())):
            if storage is None or dep_storage == storage:
                obj = self.get(dep_storage, ns, name)
                if obj is not None:
                    out.append(obj)
        return out

    def by_uid_get(self, uid: str) -> tuple[str, dict] | None:
        loc = self.by_uid.get(uid)
        if not loc:
            return None
        obj = self.get(*loc)
        return (loc[0], obj) if obj is not None else None

    # ------------------------------------------------------------ writes
    def next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def put(self, storage: str, obj: dict, notify: bool = True) -> dict:
        """Store a new version (obj becomes the stored dict); stamps a fresh resourceVersion."""
        meta = obj["metadata"]
        key = (meta.get("namespace") or "", meta["name"])
        bucket = self.buckets[storage]
        old_entry = bucket.entries.get(key)
        rv = self.next_rv()
        meta["resourceVersion"] = str(rv)
        entry = Entry(obj)
        bucket.entries[key] = entry
        if old_entry is None:
            bucket.add_key(key)
        old = old_entry.obj if old_entry else None
        self._index(storage, key, old, obj)
        self._emit(WatchEvent(rv, storage, "MODIFIED" if old else "ADDED", entry, old), notify)
        return obj

    def remove(self, storage: str, namespace: str | None, name: str, notify: bool = True) -> dict | None:
        key = (namespace or "", name)
        bucket = self.buckets[storage]
        entry = bucket.entries.pop(key, None)
        if entry is None:
            return None
        bucket.remove_key(key)
        rv = self.next_rv()
        # The DELETED event carries the last state stamped with the deletion's resourceVersion, as etcd3 does.
        last = dict(entry.obj)
        last["metadata"] = dict(last["metadata"], resourceVersion=str(rv))
        self._index(storage, key, entry.obj, None)
        self._emit(WatchEvent(rv, storage, "DELETED", Entry(last), entry.obj), notify)
        return last

    def bulk_load(self, storage: str, objs: list[dict]) -> None:
        """Fast path for seeding: no listeners, one sort at the end. Objects must be fully prepared."""
        bucket = self.buckets[storage]
        entries = bucket.entries
        for obj in objs:
            meta = obj["metadata"]
            key = (meta.get("namespace") or "", meta["name"])
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            old_entry = entries.get(key)
            entry = Entry(obj)
            entries[key] = entry
            if old_entry is None:
                bucket.add_key(key, bulk=True)
            self._index(storage, key, old_entry.obj if old_entry else None, obj)
            # Into the history too, so that a watch resuming from an older resourceVersion sees seeded objects.
            self._emit(
                WatchEvent(
                    self.rv, storage, "MODIFIED" if old_entry else "ADDED", entry, old_entry.obj if old_entry else None
                ),
                False,
            )

    def _index(self, storage: str, key: Key, old: dict | None, new: dict | None) -> None:
        loc = (storage, key[0], key[1])
        if old is not None:
            old_meta = old["metadata"]
            if new is None and self.by_uid.get(old_meta.get("uid", "")) == loc:
                del self.by_uid[old_meta["uid"]]
            for ref in old_meta.get("ownerReferences") or ():
                deps = self.dependents.get(ref.get("uid", ""))
                if deps is not None:
                    deps.discard(loc)
                    if not deps:
                        del self.dependents[ref["uid"]]
        if new is not None:
            meta = new["metadata"]
            if meta.get("uid"):
                self.by_uid[meta["uid"]] = loc
            for ref in meta.get("ownerReferences") or ():
                if ref.get("uid"):
                    self.dependents.setdefault(ref["uid"], set()).add(loc)

    def _emit(self, event: WatchEvent, notify: bool) -> None:
        self.history.append(event)
        if len(self.history) > self.history_limit:
            dropped = self.history.popleft()
            self.compacted_rv = max(self.compacted_rv, dropped.rv)
        for callback in list(self.subscribers.get(event.storage, ())):
            callback(event)
        if notify:
            for listener in self.listeners:
                listener(event.storage, event.type, event.old, None if event.type == "DELETED" else event.entry.obj)

    # ------------------------------------------------------------ watch support
    def subscribe(self, storage: str, callback: Callable[[WatchEvent], None]) -> None:
        self.subscribers.setdefault(storage, []).append(callback)

    def unsubscribe(self, storage: str, callback: Callable[[WatchEvent], None]) -> None:
        subs = self.subscribers.get(storage, [])
        if callback in subs:
            subs.remove(callback)

    def events_since(self, storage: str, rv: int) -> list[WatchEvent] | None:
        """Events after rv, or None if rv is older than what the history still holds (→ 410 Gone)."""
        if rv < self.compacted_rv:
            return None
        return [e for e in self.history if e.rv > rv and e.storage == storage]

    def compact(self) -> int:
        """Like etcd compaction: forget history up to now, expiring every continue token and watch
        resourceVersion handed out before this call (the counter moves so that "now" is strictly newer)."""
        self.rv += 1
        self.compacted_rv = self.rv
        self.history.clear()
        return self.rv

    def clear(self) -> None:
        for bucket in self.buckets.values():
            bucket.entries.clear()
            bucket._keys.clear()
            bucket._sorted = True
        self.by_uid.clear()
        self.dependents.clear()
        self.history.clear()
        self.compacted_rv = self.rv


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
