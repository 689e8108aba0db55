"""metadata.managedFields as kube-apiserver keeps it (k8s.io/apimachinery/pkg/util/managedfields/internal).

Every write goes through `FieldManager`: `update()` for create/update/patch (operation Update: the fields the
write added or changed move to its manager, fields it removed leave every manager) and `apply()` for
server-side apply (operation Apply: the manager's set becomes the configuration's fields, fields it stopped
applying are pruned unless someone else owns them, and changing a field another manager owns is a 409 Conflict
unless `force`, which takes the field over). Never tracked: apiVersion, kind, the server-set metadata
(stripmeta.go), status on the main resource and everything but status on /status (the strategies' reset
fields). Entries are sorted like sortEncodedManagedFields: operation, time, manager, apiVersion, subresource.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import StatusError
from ..meta import now
from ..patches import clone
from .fieldset import FieldSet, Path, compare, decode, encode, fields_of, path_sort_key, path_string
from .merge import merge, prune
from .schema import Schema
from .zero import zero_object

BEFORE_FIRST_APPLY = "before-first-apply"
_STRIP: frozenset[Path] = frozenset(
    {("f:apiVersion",), ("f:kind",), ("f:metadata",)}
    | {
        ("f:metadata", f"f:{k}")
        for k in (
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        )
    }
)


@dataclass
class Entry:
    manager: str
    operation: str
    api_version: str
    time: str | None
    subresource: str = ""
    fields: FieldSet = field(default_factory=set)

    @property
    def ident(self) -> tuple[str, str, str, str]:
        # BuildManagerIdentifier: appliers are one manager whatever apiVersion they apply with.
        return (self.manager, self.operation, "" if self.operation == "Apply" else self.api_version, self.subresource)

    def printed(self) -> str:
        """printManager() of conflict messages."""
        out = json.dumps(self.manager)
        if self.subresource:
            out += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            out += f" using {self.api_version}"
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"manager": self.manager, "operation": self.operation, "apiVersion": self.api_version}
        if self.time:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = encode(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out


def decode_entries(managed: Any) -> list[Entry]:
    if not isinstance(managed, list):
        return []
    out = []
    for raw in managed:
        if not isinstance(raw, dict) or (not raw.get("manager") and not raw.get("fieldsV1")):
            continue
        out.append(
            Entry(
                str(raw.get("manager", "")),
                str(raw.get("operation", "Update")),
                str(raw.get("apiVersion", "")),
                _rfc3339(raw.get("time")),
                str(raw.get("subresource", "")),
                decode(raw.get("fieldsV1")),
            )
        )
    return out


def _rfc3339(value: Any) -> str | None:
    """metav1.Time as the server writes it (clients may send `+00:00` offsets or fractions)."""
    if not value:
        return None
    text = str(value).replace(" ", "T")
    if text.endswith("+00:00"):
        text = text[: -len("+00:00")] + "Z"
    if "." in text:
        text = text.split(".")[0] + "Z"
    return text


def encode_entries(entries: list[Entry]) -> list[dict[str, Any]]:
    kept = [e for e in entries if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    return [e.to_dict() for e in kept]


def _without_managed(obj: dict | None) -> dict:
    if not obj:
        return {}
    out = dict(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def manager_from_user_agent(user_agent: str | None) -> str:
    """prefixFromUserAgent: what precedes the first '/', printable characters only, at most 128."""
    prefix = (user_agent or "").split("/")[0]
    return "".join(c for c in prefix if c.isprintable())[:128]


class ApplyConflict(StatusError):
    def __init__(self, conflicts: list[tuple[Entry, Path]]):
        conflicts = sorted(conflicts, key=lambda c: (json.dumps(c[0].ident), path_sort_key(c[1])))
        causes = [
            {"reason": "FieldManagerConflict", "message": f"conflict with {e.printed()}", "field": path_string(p)}
            for e, p in conflicts
        ]
        if len(conflicts) == 1:
            e, p = conflicts[0]
            message = f"Apply failed with 1 conflict: conflict with {e.printed()}: {path_string(p)}"
        else:
            by_manager: dict[tuple, list[str]] = {}
            printed: dict[tuple, str] = {}
            for e, p in conflicts:
                by_manager.setdefault(e.ident, []).append(path_string(p))
                printed[e.ident] = e.printed()
            lines = []
            for ident in sorted(by_manager, key=lambda i: json.dumps(i)):
                lines.append(f"conflicts with {printed[ident]}:")
                lines.extend(f"- {p}" for p in by_manager[ident])
            message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
        super().__init__(409, "Conflict", message, {"causes": causes})


class FieldManager:
    def __init__(self, schema: Schema):
        self.schema = schema

    def _root(self, obj: dict) -> Any:
        return self.schema.root(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))

    @staticmethod
    def _tracked(paths: FieldSet, subresource: str | None, has_status: bool) -> FieldSet:
        out = {p for p in paths if p not in _STRIP}
        if subresource == "scale":
            return {p for p in out if p == ("f:spec", "f:replicas")}
        if subresource == "status":
            return {p for p in out if p[0] == "f:status"}
        if has_status:
            return {p for p in out if p[0] != "f:status"}
        return out

    def update(
        self,
        old: dict | None,
        new: dict,
        manager: str,
        *,
        subresource: str | None = None,
        has_status: bool = False,
    ) -> list[dict[str, Any]]:
        """managedFields for `new` after an Update-operation write by `manager` (old None: a create)."""
        entries = self._starting_entries(old, new)
        root = self._root(new)
        before = (
            _without_managed(old)
            if old is not None
            else zero_object(str(new.get("apiVersion", "")), str(new.get("kind", "")))
        )
        added, modified, removed = compare(self.schema, root, before, _without_managed(new))
        changed = self._tracked(added | modified, subresource, has_status)
        removed = self._tracked(removed, subresource, has_status)
        if not changed and not removed:
            return encode_entries(entries)
        for e in entries:
            e.fields -= changed
            e.fields -= removed
        if changed:
            api_version = str(new.get("apiVersion", ""))
            ident = (manager, "Update", api_version, subresource or "")
            mine = next((e for e in entries if e.ident == ident), None)
            if mine is None:
                mine = Entry(manager, "Update", api_version, None, subresource or "")
                entries.append(mine)
            mine.fields |= changed
            mine.time = now()
        return encode_entries(entries)

    @staticmethod
    def _starting_entries(old: dict | None, new: dict) -> list[Entry]:
        """The live object's entries, unless the request brought its own (a client may replace them;
        `[{}]` resets them)."""
        sent = (new.get("metadata") or {}).get("managedFields")
        live = ((old or {}).get("metadata") or {}).get("managedFields")
        live_entries = decode_entries(live)
        if isinstance(sent, list) and sent != live:
            if sent and all(not e for e in sent):
                return []
            sent_entries = decode_entries(sent)
            # Clients echo what they read (typed clients re-render the times): only a real change counts.
            if sent and [(e.ident, e.fields) for e in sent_entries] != [(e.ident, e.fields) for e in live_entries]:
                return sent_entries
        return live_entries

    def apply(
        self,
        live: dict | None,
        config: dict,
        manager: str,
        *,
        force: bool = False,
        subresource: str | None = None,
        has_status: bool = False,
    ) -> tuple[dict, list[dict[str, Any]]]:
        """(merged object, managedFields) for an apply by `manager`; ApplyConflict unless `force`."""
        root = self._root(config)
        api_version = str(config.get("apiVersion", ""))
        base = _without_managed(live)
        entries = decode_entries(((live or {}).get("metadata") or {}).get("managedFields"))
        if live is not None and not entries:
            # skipNonAppliedManager: an object nobody tracked yet; its fields become someone's first.
            owned = self._tracked(fields_of(self.schema, root, base), subresource, has_status)
            if owned:
                entries.append(Entry(BEFORE_FIRST_APPLY, "Update", api_version, now(), subresource or "", owned))
        applied = self._tracked(fields_of(self.schema, root, config), subresource, has_status)
        ident = (manager, "Apply", "", subresource or "")
        mine = next((e for e in entries if e.ident == ident), None)
        last: FieldSet = set(mine.fields) if mine is not None else set()
        if mine is None:
            mine = Entry(manager, "Apply", api_version, None, subresource or "")
            entries.append(mine)
        mine.fields = applied
        mine.api_version = api_version
        merged = merge(self.schema, root, base, config)
        owned_now: FieldSet = set().union(*(e.fields for e in entries))
        merged = prune(self.schema, root, merged, last, owned_now)
        added, modified, removed = compare(self.schema, root, base, merged)
        changed = self._tracked(added | modified, subresource, has_status)
        removed = self._tracked(removed, subresource, has_status)
        conflicts = [(e, p) for e in entries if e is not mine for p in sorted(e.fields & changed)]
        if conflicts and not force:
            raise ApplyConflict(conflicts)
        for e in entries:
            if e is not mine:
                e.fields -= changed
                e.fields -= removed
        if added or modified or removed or mine.time is None or last != applied:
            mine.time = now()
        return clone(merged), encode_entries(entries)
