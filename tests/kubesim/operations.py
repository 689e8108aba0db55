"""The verbs, independent of HTTP: get, list, create, update, patch, delete, deletecollection, scale.

Write pipeline, in kube-apiserver's order: decode → defaults → admission (mutating + validating, via the seam)
→ defaults again → system fields / strategy → validation → optimistic-concurrency commit. A write that changes
nothing returns the stored object with its resourceVersion unchanged. Controllers use the same methods.
"""

from __future__ import annotations

import base64
import bisect
import json
from dataclasses import dataclass
from typing import Any, List

import yaml

from . import errors
from .admission_seam import Admission
from .conversions import from_view, to_view
from .defaults import apply_defaults
from .errors import ExpiredError, StatusError
from .fieldmanager import FieldManager, manager_from_user_agent, schema_for
from .fieldmanager import validation as field_validation
from .meta import new_uid, now, random_suffix, validate_name
from .patches import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    StrategicMerger,
    clone,
    json_patch,
    merge_patch,
)
from .rbac import Authorizer, User
from .resources import BY_STRING, CREATE_ONLY, NAMESPACES, SCALE_API_VERSION, ResourceType
from .selectors import FieldSelector, LabelSelector, fields_match, labels_match, selector_string
from .store import Entry, Store
from .strategies import Allocator, prepare_create, prepare_update, validate

_SYSTEM_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")
_RETRIES = 5


@dataclass(frozen=True)
class WriteOptions:
    """Per-request write options: fieldManager, the User-Agent it defaults from, fieldValidation, force."""

    field_manager: str | None = None
    user_agent: str | None = None
    field_validation: str | None = None
    force: bool | None = None

    @classmethod
    def from_query(cls, query: Any, user_agent: str | None) -> WriteOptions:
        force = query.get("force")
        return cls(
            field_manager=query.get("fieldManager") or None,
            user_agent=user_agent,
            field_validation=query.get("fieldValidation") or None,
            # strconv.ParseBool, as the query parameter decoder uses it.
            force=None if force is None else force in ("1", "t", "T", "TRUE", "true", "True"),
        )

    def manager(self, user: User) -> str:
        """managerOrUserAgent(); in-process writers have no User-Agent: named after the component."""
        if self.field_manager:
            return self.field_manager
        if self.user_agent:
            return manager_from_user_agent(self.user_agent)
        if user.name.startswith("system:node:"):
            return "kubelet"
        if user.name.startswith("system:kube-"):
            return user.name.partition(":")[2]
        return "kubesim"


NO_OPTIONS = WriteOptions()


class _Raced(Exception):
    """The stored object changed between read and commit; the caller retries (like GuaranteedUpdate)."""


@dataclass
class ListPage:
    items: list[Entry]
    resource_version: int
    continue_token: str | None
    remaining: int | None


def _storage_type(rt: ResourceType) -> ResourceType:
    return BY_STRING[rt.stored_as] if rt.stored_as else rt


def encode_continue(rv: int, key: tuple[str, str]) -> str:
    start = f"{key[0]}/{key[1]}\x00" if key[0] else f"{key[1]}\x00"
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if raw.get("v") != "meta.k8s.io/v1":
            raise ValueError("version")
        start = str(raw["start"]).rstrip("\x00")
        ns, _, name = start.rpartition("/")
        return int(raw["rv"]), (ns, name)
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise errors.bad_request(f"continue key is not valid: {exc}") from exc


class Api:
    def __init__(self, store: Store, admission: Admission, authorizer: Authorizer, kubernetes_minor: int = 31):
        self.store = store
        self.admission = admission
        self.authorizer = authorizer
        self.smp = StrategicMerger(kubernetes_minor)
        self.schema = schema_for(kubernetes_minor)
        self.fields = FieldManager(self.schema)
        self.alloc = Allocator()
        # Continue tokens older than this many resourceVersions answer 410 Expired (None: only compaction does).
        self.continue_max_age: int | None = None

    # ------------------------------------------------------------------ reads
    def get(self, rt: ResourceType, ns: str | None, name: str) -> dict:
        obj = self.store.get(rt.storage, ns if rt.namespaced else None, name)
        if obj is None:
            raise errors.not_found(rt.qualified, name)
        return to_view(rt.storage, rt.resource, obj)

    def list(
        self,
        rt: ResourceType,
        ns: str | None,
        labels: LabelSelector = (),
        fields: FieldSelector = (),
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> ListPage:
        bucket = self.store.bucket(rt.storage)
        lo, hi = bucket.key_range(ns if rt.namespaced else None)
        keys, entries = bucket.keys, bucket.entries
        list_rv = self.store.rv
        start = lo
        if continue_token:
            token_rv, after = decode_continue(continue_token)
            too_old = token_rv < self.store.compacted_rv or (
                self.continue_max_age is not None and self.store.rv - token_rv > self.continue_max_age
            )
            if too_old:
                raise ExpiredError(errors.CONTINUE_EXPIRED, encode_continue(self.store.rv, after))
            list_rv = token_rv
            start = max(lo, bisect.bisect_right(keys, after, lo, hi))
        items: list[Entry] = []
        filtered = bool(labels or fields)
        last = None
        i = start
        while i < hi:
            entry = entries[keys[i]]
            obj = entry.obj
            if (not labels or labels_match(labels, obj["metadata"].get("labels"))) and (
                not fields or fields_match(fields, obj)
            ):
                items.append(entry)
                if limit and len(items) >= limit:
                    last = i
                    break
            i += 1
        token = remaining = None
        if last is not None and last + 1 < hi:
            token = encode_continue(list_rv, keys[last])
            if not filtered:
                remaining = hi - last - 1
        return ListPage(items, list_rv, token, remaining)

    # ------------------------------------------------------------------ helpers
    async def _admit(
        self,
        operation: str,
        rt: ResourceType,
        subresource: str | None,
        ns: str | None,
        obj: dict,
        old: dict | None,
        dry_run: bool,
        user: User,
    ) -> dict:
        result = await self.admission.admit(
            operation=operation,
            resource=rt.resource,
            subresource=subresource,
            namespace=ns if rt.namespaced else None,
            obj=obj,
            old=old,
            dry_run=dry_run,
            user=user.info(),
        )
        # The result may embed dicts the chain read from the store; later steps mutate it, so copy.
        return clone(result) if result is not None else obj

    def _check_namespace(self, rt: ResourceType, ns: str | None, name: str) -> None:
        if not rt.namespaced:
            return
        namespace = self.store.get(NAMESPACES.resource, None, ns or "")
        if namespace is None:
            raise errors.not_found("namespaces", ns or "")
        if namespace["metadata"].get("deletionTimestamp"):
            err = errors.forbidden(
                rt.qualified, name, f"unable to create new content in namespace {ns} because it is being terminated"
            )
            assert err.details is not None
            err.details["causes"] = [
                {
                    "reason": "NamespaceTerminating",
                    "field": "metadata.namespace",
                    "message": f"namespace {ns} is being terminated",
                }
            ]
            raise err

    @staticmethod
    def _check_kind(rt: ResourceType, body: dict) -> None:
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != rt.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({rt.api_version})"
            )
        if kind and kind != rt.kind:
            raise errors.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")

    @staticmethod
    def _decode_body(rt: ResourceType, body: Any) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request(f"the body of the request was in an unknown format - expected a {rt.kind} object")
        obj = clone(body)
        meta = obj.get("metadata")
        if meta is None:
            obj["metadata"] = {}
        elif not isinstance(meta, dict):
            raise errors.bad_request("json: cannot unmarshal metadata into Go struct field of type v1.ObjectMeta")
        return obj

    # ------------------------------------------------------------------ create
    async def create(
        self,
        rt: ResourceType,
        ns: str | None,
        body: Any,
        *,
        user: User,
        dry_run: bool = False,
        subresource: str | None = None,
        options: WriteOptions = NO_OPTIONS,
        managed: List[dict] | None = None,
    ) -> dict:
        """`managed`: managedFields already computed (an apply that creates)."""
        if rt.verbs == CREATE_ONLY:
            return self._access_review(rt, body, user)
        self._check_kind(rt, body if isinstance(body, dict) else {})
        srt = _storage_type(rt)
        mode = field_validation.directive(options.field_validation, "CreateOptions")
        obj = from_view(rt.resource, self._decode_body(rt, body))
        obj["apiVersion"], obj["kind"] = srt.api_version, srt.kind
        if managed is None:
            obj = field_validation.check_body(self.schema, obj, mode, srt.kind, srt.version)
        obj["apiVersion"], obj["kind"] = srt.api_version, srt.kind
        meta = obj["metadata"]
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        name = meta.get("name") or ""
        if not name and not meta.get("generateName"):
            raise errors.invalid(
                srt.kind,
                srt.qualified,
                "",
                [
                    {
                        "reason": "FieldValueRequired",
                        "field": "metadata.name",
                        "message": "Required value: name or generateName is required",
                    }
                ],
            )
        self._check_namespace(rt, ns, name)
        for key in _SYSTEM_META + ("selfLink",):
            meta.pop(key, None)
        apply_defaults(srt.storage, obj)
        # Ownership is recorded before admission, as the create handler does: webhook mutations are nobody's.
        if managed is None:
            managed = self.fields.update(None, obj, options.manager(user), has_status=srt.has_status)
        meta.pop("managedFields", None)
        obj = await self._admit("CREATE", rt, subresource, ns, obj, None, dry_run, user)
        apply_defaults(srt.storage, obj)
        meta = obj["metadata"]
        if managed:
            meta["managedFields"] = managed
        else:
            meta.pop("managedFields", None)
        if not meta.get("name"):
            for _ in range(10):
                meta["name"] = f"{meta['generateName']}{random_suffix()}"
                if self.store.get(srt.storage, ns if rt.namespaced else None, meta["name"]) is None:
                    break
        validate_name(srt, meta["name"])
        meta["uid"] = new_uid()
        meta["creationTimestamp"] = now()
        if srt.generation_fields:
            meta["generation"] = 1
        prepare_create(srt.storage, obj, self.alloc)
        validate(srt.storage, obj)
        if dry_run:
            return to_view(srt.storage, rt.resource, obj)
        if self.store.get(srt.storage, ns if rt.namespaced else None, meta["name"]) is not None:
            raise errors.already_exists(rt.qualified, meta["name"])
        stored = self.store.put(srt.storage, obj)
        return to_view(srt.storage, rt.resource, stored)

    def _access_review(self, rt: ResourceType, body: Any, user: User) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        review = clone(body)
        spec = review.get("spec") or {}
        if rt.plural == "selfsubjectaccessreviews":
            subject = user
        else:
            subject = User(spec.get("user", ""), tuple(spec.get("groups") or ()), spec.get("uid", ""), "rbac")
        review["status"] = self.authorizer.review(subject, spec)
        review.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        review["apiVersion"], review["kind"] = rt.api_version, rt.kind
        if rt.plural == "selfsubjectaccessreviews":
            review["spec"] = {k: v for k, v in spec.items() if k not in ("user", "groups", "uid", "extra")}
        return review

    # ------------------------------------------------------------------ update
    @staticmethod
    def _merge_for_update(rt: ResourceType, old: dict, new: dict, subresource: str | None) -> dict:
        if subresource == "status":
            out = dict(old)
            out["metadata"] = dict(old["metadata"])
            if "status" in new:
                out["status"] = new["status"]
            return out
        meta, old_meta = new["metadata"], old["metadata"]
        for key in _SYSTEM_META + ("name", "namespace"):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        meta["resourceVersion"] = old_meta.get("resourceVersion")
        new["apiVersion"], new["kind"] = old["apiVersion"], old["kind"]
        if rt.has_status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        return new

    async def _commit_update(
        self,
        rt: ResourceType,
        old: dict,
        new: dict,
        *,
        user: User,
        dry_run: bool,
        subresource: str | None,
        raw: bool = False,
        options: WriteOptions = NO_OPTIONS,
        managed: List[dict] | None = None,
    ) -> dict:
        """`raw`: a controller's prepared object (e.g. the kubelet's binding + status) skips the update rules.
        `managed`: managedFields already computed (apply); otherwise the write is an Update by its manager."""
        srt = _storage_type(rt)
        storage = srt.storage
        ns = old["metadata"].get("namespace")
        # Callers build `new` from shallow copies of the stored object; defaulting mutates, so work on a copy.
        new = clone(new)
        apply_defaults(storage, new)
        if subresource is None and not raw:
            prepare_update(storage, old, new)
        if managed is None:
            managed = self.fields.update(
                old, new, options.manager(user), subresource=subresource, has_status=srt.has_status
            )
        admitted = await self._admit(
            "UPDATE",
            rt,
            subresource,
            ns,
            to_view(storage, rt.resource, new),
            to_view(storage, rt.resource, old),
            dry_run,
            user,
        )
        new = from_view(rt.resource, admitted)
        apply_defaults(storage, new)
        if not raw:
            # Webhooks cannot change identity or system fields (nor anything but status on /status).
            new = self._merge_for_update(rt, old, new, subresource)
        if subresource is None and not raw:
            validate(storage, new)
        meta, old_meta = new["metadata"], old["metadata"]
        if managed:
            meta["managedFields"] = managed
        else:
            meta.pop("managedFields", None)
        if self._same(old, new):
            return old
        if srt.generation_fields and any(old.get(f) != new.get(f) for f in srt.generation_fields):
            meta["generation"] = int(old_meta.get("generation") or 0) + 1
        if dry_run:
            return new
        current = self.store.get(storage, ns, old_meta["name"])
        if current is not old:
            raise _Raced()
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            removed = self.store.remove(storage, ns, meta["name"])
            assert removed is not None
            return removed
        return self.store.put(storage, new)

    @staticmethod
    def _same(old: dict, new: dict) -> bool:
        if old.keys() != new.keys():
            return False
        for key, value in new.items():
            if key == "metadata":
                a = {k: v for k, v in old["metadata"].items() if k != "resourceVersion"}
                b = {k: v for k, v in value.items() if k != "resourceVersion"}
                if a != b:
                    return False
            elif old[key] != value:
                return False
        return True

    async def update(
        self,
        rt: ResourceType,
        ns: str | None,
        name: str,
        body: Any,
        *,
        user: User,
        dry_run: bool = False,
        subresource: str | None = None,
        options: WriteOptions = NO_OPTIONS,
    ) -> dict:
        if subresource == "scale":
            return await self._update_scale(rt, ns, name, body, user=user, dry_run=dry_run, patch=None, options=options)
        self._check_kind(rt, body if isinstance(body, dict) else {})
        srt = _storage_type(rt)
        ns = ns if rt.namespaced else None
        mode = field_validation.directive(options.field_validation, "UpdateOptions")
        for _ in range(_RETRIES):
            old = self.store.get(srt.storage, ns, name)
            if old is None:
                raise errors.not_found(rt.qualified, name)
            new = from_view(rt.resource, self._decode_body(rt, body))
            new.setdefault("apiVersion", srt.api_version)
            new.setdefault("kind", srt.kind)
            new = field_validation.check_body(self.schema, new, mode, srt.kind, srt.version)
            meta = new["metadata"]
            if meta.get("name") and meta["name"] != name:
                raise errors.bad_request(
                    f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
                )
            if rt.namespaced and meta.get("namespace") and meta["namespace"] != ns:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            want_rv = meta.get("resourceVersion")
            if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.qualified, name)
            merged = self._merge_for_update(rt, old, new, subresource)
            try:
                result = await self._commit_update(
                    rt, old, merged, user=user, dry_run=dry_run, subresource=subresource, options=options
                )
            except _Raced:
                if want_rv:
                    raise errors.conflict(rt.qualified, name) from None
                continue
            return to_view(srt.storage, rt.resource, result)
        raise errors.conflict(rt.qualified, name)

    async def write(
        self, rt: ResourceType, old: dict, new: dict, *, user: User, subresource: str | None = None, raw: bool = False
    ) -> dict:
        """A controller's update of `old` to `new` (admission included); retried by the caller's next sync if
        the object changed meanwhile. Returns the stored object (or `old` when nothing changed)."""
        if not raw:
            new = self._merge_for_update(rt, old, new, subresource)
        try:
            return await self._commit_update(rt, old, new, user=user, dry_run=False, subresource=subresource, raw=raw)
        except _Raced:
            current = self.store.get(rt.storage, old["metadata"].get("namespace"), old["metadata"]["name"])
            return current if current is not None else old

    # ------------------------------------------------------------------ patch
    @staticmethod
    def parse_patch(content_type: str, raw: bytes) -> Any:
        try:
            if content_type == APPLY_PATCH:
                return yaml.safe_load(raw.decode() or "{}")
            return json.loads(raw or b"{}")
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"error decoding patch: {exc}") from exc

    def _apply_patch(self, content_type: str, base: dict, doc: Any) -> dict:
        if content_type == JSON_PATCH:
            return json_patch(clone(base), doc)
        if not isinstance(doc, dict):
            raise errors.bad_request("the body of the request was in an unknown format - patch must be an object")
        if content_type == MERGE_PATCH:
            return merge_patch(base, doc)
        if content_type in (STRATEGIC_PATCH, APPLY_PATCH):
            return self.smp.apply(base, doc, str(base.get("apiVersion", "")), str(base.get("kind", "")))
        raise StatusError(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted "
            f"media types include: {JSON_PATCH}, {MERGE_PATCH}, "
            f"{APPLY_PATCH}, {STRATEGIC_PATCH}",
        )

    async def patch(
        self,
        rt: ResourceType,
        ns: str | None,
        name: str,
        doc: Any,
        content_type: str,
        *,
        user: User,
        dry_run: bool = False,
        subresource: str | None = None,
        field_manager: str | None = None,
        options: WriteOptions = NO_OPTIONS,
    ) -> tuple[dict, bool]:
        """Returns (object, created)."""
        if field_manager and not options.field_manager:
            options = WriteOptions(field_manager, options.user_agent, options.field_validation, options.force)
        self._check_patch_options(content_type, options)
        mode = field_validation.directive(options.field_validation, "PatchOptions")
        if subresource == "scale":
            return await self._update_scale(
                rt, ns, name, None, user=user, dry_run=dry_run, patch=(content_type, doc), options=options
            ), False
        srt = _storage_type(rt)
        ns = ns if rt.namespaced else None
        if content_type == APPLY_PATCH:
            return await self._apply(
                rt, srt, ns, name, doc, user=user, dry_run=dry_run, subresource=subresource, options=options
            )
        for _ in range(_RETRIES):
            old = self.store.get(srt.storage, ns, name)
            if old is None:
                raise errors.not_found(rt.qualified, name)
            base = to_view(srt.storage, rt.resource, old)
            patched = self._apply_patch(content_type, base, doc)
            if not isinstance(patched.get("metadata"), dict):
                patched["metadata"] = {}
            patched = field_validation.check_patched(
                self.schema, patched, mode, doc if content_type == STRATEGIC_PATCH else None
            )
            want_rv = patched["metadata"].get("resourceVersion")
            if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.qualified, name)
            new = from_view(rt.resource, patched)
            merged = self._merge_for_update(rt, old, new, subresource)
            try:
                result = await self._commit_update(
                    rt, old, merged, user=user, dry_run=dry_run, subresource=subresource, options=options
                )
            except _Raced:
                continue
            return to_view(srt.storage, rt.resource, result), False
        raise errors.conflict(rt.qualified, name)

    @staticmethod
    def _check_patch_options(content_type: str, options: WriteOptions) -> None:
        causes = []
        if content_type != APPLY_PATCH and options.force is not None:
            causes.append(
                {
                    "reason": "FieldValueForbidden",
                    "field": "force",
                    "message": "Forbidden: may not be specified for non-apply patch",
                }
            )
        if content_type == APPLY_PATCH and not options.field_manager:
            causes.append(
                {
                    "reason": "FieldValueRequired",
                    "field": "fieldManager",
                    "message": "Required value: is required for apply patch",
                }
            )
        if options.field_manager and len(options.field_manager) > 128:
            causes.append(
                {
                    "reason": "FieldValueTooLong",
                    "field": "fieldManager",
                    "message": "Too long: may not be more than 128 bytes",
                }
            )
        if causes:
            raise errors.invalid("PatchOptions", "PatchOptions.meta.k8s.io", "", causes)

    async def _apply(
        self,
        rt: ResourceType,
        srt: ResourceType,
        ns: str | None,
        name: str,
        doc: Any,
        *,
        user: User,
        dry_run: bool,
        subresource: str | None,
        options: WriteOptions,
    ) -> tuple[dict, bool]:
        """Server-side apply: merge by the schema's list/map types, record ownership, refuse conflicts."""
        if not isinstance(doc, dict):
            raise errors.bad_request("error decoding YAML: the applied configuration must be an object")
        config = clone(doc)
        config.setdefault("apiVersion", rt.api_version)
        config.setdefault("kind", rt.kind)
        self._check_kind(rt, config)
        meta = config.get("metadata")
        if not isinstance(meta, dict):
            meta = config["metadata"] = {}
        if meta.get("managedFields") is not None:
            raise errors.bad_request("metadata.managedFields must be nil")
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        meta["name"] = name
        if rt.namespaced:
            meta.setdefault("namespace", ns)
        field_validation.check_applied(self.schema, config, ns, name)
        manager = options.field_manager or ""
        force = bool(options.force)
        for _ in range(_RETRIES):
            old = self.store.get(srt.storage, ns, name)
            if old is None:
                if subresource is not None:
                    raise errors.not_found(rt.qualified, name)
                merged, managed = self.fields.apply(
                    None, from_view(rt.resource, config), manager, force=force, has_status=srt.has_status
                )
                created = await self.create(
                    rt,
                    ns,
                    to_view(srt.storage, rt.resource, merged),
                    user=user,
                    dry_run=dry_run,
                    options=options,
                    managed=managed,
                )
                return created, True
            want_rv = meta.get("resourceVersion")
            if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.qualified, name)
            merged, managed = self.fields.apply(
                old,
                from_view(rt.resource, config),
                manager,
                force=force,
                subresource=subresource,
                has_status=srt.has_status,
            )
            new = self._merge_for_update(rt, old, merged, subresource)
            try:
                result = await self._commit_update(
                    rt,
                    old,
                    new,
                    user=user,
                    dry_run=dry_run,
                    subresource=subresource,
                    options=options,
                    managed=managed,
                )
            except _Raced:
                continue
            return to_view(srt.storage, rt.resource, result), False
        raise errors.conflict(rt.qualified, name)

    # ------------------------------------------------------------------ scale
    def get_scale(self, rt: ResourceType, ns: str | None, name: str) -> dict:
        obj = self.get(rt, ns, name)
        return self.scale_of(obj)

    @staticmethod
    def scale_of(obj: dict) -> dict:
        meta = obj["metadata"]
        return {
            "kind": "Scale",
            "apiVersion": SCALE_API_VERSION,
            "metadata": {
                k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
            },
            "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
            "status": {
                "replicas": (obj.get("status") or {}).get("replicas", 0),
                "selector": selector_string((obj.get("spec") or {}).get("selector")),
            },
        }

    async def _update_scale(
        self,
        rt: ResourceType,
        ns: str | None,
        name: str,
        body: Any,
        *,
        user: User,
        dry_run: bool,
        patch: tuple[str, Any] | None,
        options: WriteOptions = NO_OPTIONS,
    ) -> dict:
        """/scale: spec.replicas of the parent, recorded as the writer's, with subresource `scale`."""
        if "scale" not in rt.subresources:
            raise errors.not_found_path()
        for _ in range(_RETRIES):
            old = self.store.get(rt.storage, ns, name)
            if old is None:
                raise errors.not_found(rt.qualified, name)
            old_scale = self.scale_of(old)
            if patch is not None:
                content_type, doc = patch
                if isinstance(doc, dict):
                    # kubernetes.core's k8s_scale sends the parent's kind in the patch; only spec matters.
                    doc = {k: v for k, v in doc.items() if k not in ("kind", "apiVersion")}
                new_scale = self._apply_patch(content_type, old_scale, doc)
            else:
                if not isinstance(body, dict):
                    raise errors.bad_request("the body of the request was in an unknown format")
                new_scale = clone(body)
                want_rv = (new_scale.get("metadata") or {}).get("resourceVersion")
                if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                    raise errors.conflict(rt.qualified, name)
            replicas = (new_scale.get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                raise errors.invalid(
                    "Scale",
                    f"{rt.plural}.autoscaling",
                    name,
                    [
                        {
                            "reason": "FieldValueInvalid",
                            "field": "spec.replicas",
                            "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
                        }
                    ],
                )
            admitted = await self._admit("UPDATE", rt, "scale", ns, new_scale, old_scale, dry_run, user)
            replicas = (admitted.get("spec") or {}).get("replicas", replicas)
            new = dict(old)
            new["metadata"] = dict(old["metadata"])
            new["spec"] = dict(old.get("spec") or {}, replicas=replicas)
            if old["spec"].get("replicas") == replicas:
                return old_scale
            if rt.generation_fields:
                new["metadata"]["generation"] = int(old["metadata"].get("generation") or 0) + 1
            managed = self.fields.update(old, new, options.manager(user), subresource="scale", has_status=rt.has_status)
            if managed:
                new["metadata"]["managedFields"] = managed
            else:
                new["metadata"].pop("managedFields", None)
            if dry_run:
                return self.scale_of(new)
            if self.store.get(rt.storage, ns, name) is not old:
                continue
            return self.scale_of(self.store.put(rt.storage, new))
        raise errors.conflict(rt.qualified, name)

    # ------------------------------------------------------------------ delete
    async def delete(
        self,
        rt: ResourceType,
        ns: str | None,
        name: str,
        *,
        user: User,
        dry_run: bool = False,
        options: dict | None = None,
    ) -> dict:
        options = options or {}
        srt = _storage_type(rt)
        ns = ns if rt.namespaced else None
        old = self.store.get(srt.storage, ns, name)
        if old is None:
            raise errors.not_found(rt.qualified, name)
        pre = options.get("preconditions") or {}
        meta = old["metadata"]
        if pre.get("uid") and pre["uid"] != meta.get("uid"):
            raise errors.conflict(
                rt.qualified,
                name,
                f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {meta.get('uid')}",
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != meta.get("resourceVersion"):
            raise errors.conflict(
                rt.qualified,
                name,
                "Precondition failed: ResourceVersion in precondition: "
                f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                f"{meta.get('resourceVersion')}",
            )
        view = to_view(srt.storage, rt.resource, old)
        await self._admit("DELETE", rt, None, ns, clone(view), view, dry_run, user)
        policy = options.get("propagationPolicy") or ("Orphan" if options.get("orphanDependents") else "Background")
        if dry_run:
            return self._delete_response(rt, old, removed=not (meta.get("finalizers") or policy != "Background"))
        return self.delete_now(rt, old, policy)

    async def delete_as(self, rt: ResourceType, obj: dict, user: User, policy: str = "Background") -> dict | None:
        """A controller's delete: admission (DELETE) first, as for API requests. None when refused or gone."""
        srt = _storage_type(rt)
        meta = obj["metadata"]
        view = to_view(srt.storage, rt.resource, obj)
        try:
            await self._admit("DELETE", rt, None, meta.get("namespace"), clone(view), view, False, user)
        except StatusError:
            return None
        current = self.store.get(srt.storage, meta.get("namespace"), meta["name"])
        return None if current is None else self.delete_now(rt, current, policy)

    def delete_now(self, rt: ResourceType, old: dict, policy: str = "Background") -> dict:
        """Delete without admission (also used by the garbage collector and namespace controller)."""
        srt = _storage_type(rt)
        meta = old["metadata"]
        ns = meta.get("namespace")
        finalizers = list(meta.get("finalizers") or ())
        graceful = srt.storage == NAMESPACES.resource
        if policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        elif policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        if finalizers or graceful:
            if meta.get("deletionTimestamp"):
                return self._delete_response(rt, old, removed=False)
            new = dict(old)
            new["metadata"] = dict(meta, deletionTimestamp=now(), deletionGracePeriodSeconds=0)
            if finalizers:
                new["metadata"]["finalizers"] = finalizers
            if meta.get("generation"):
                new["metadata"]["generation"] = int(meta["generation"]) + 1
            if graceful:
                new["status"] = dict(old.get("status") or {}, phase="Terminating")
            return self._delete_response(rt, self.store.put(srt.storage, new), removed=False)
        removed = self.store.remove(srt.storage, ns, meta["name"])
        return self._delete_response(rt, removed or old, removed=True)

    @staticmethod
    def _delete_response(rt: ResourceType, obj: dict, removed: bool) -> dict:
        if rt.return_deleted or not removed:
            return to_view(rt.storage, rt.resource, obj)
        details: dict[str, Any] = {
            "name": obj["metadata"]["name"],
            "kind": rt.plural,
            "uid": obj["metadata"].get("uid"),
        }
        if rt.group:
            details = {"name": details["name"], "group": rt.group, "kind": rt.plural, "uid": details["uid"]}
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    async def delete_collection(
        self,
        rt: ResourceType,
        ns: str | None,
        *,
        user: User,
        labels: LabelSelector = (),
        fields: FieldSelector = (),
        dry_run: bool = False,
        options: dict | None = None,
    ) -> dict:
        page = self.list(rt, ns, labels, fields)
        items = []
        for entry in page.items:
            obj = entry.obj
            try:
                result = await self.delete(
                    rt,
                    obj["metadata"].get("namespace"),
                    obj["metadata"]["name"],
                    user=user,
                    dry_run=dry_run,
                    options=options,
                )
            except StatusError as exc:
                if exc.code == 404:
                    continue
                raise
            items.append(result if result.get("kind") != "Status" else to_view(rt.storage, rt.resource, obj))
        return {
            "kind": rt.list_kind,
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(self.store.rv)},
            "items": items,
        }
