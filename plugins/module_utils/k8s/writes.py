# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes to the Kubernetes API for the remediation modules: full-object GET, JSON patch, create,
replace and delete of one object, on the connection, auth and error handling of `client.KubeClient`.

Every write the remediation modules make is conditional: a JSON patch carries
`replace /metadata/resourceVersion` (kube-apiserver then refuses it with 409 Conflict when the object
moved on since it was read), a replace carries the resourceVersion read, a delete a `preconditions`
body. Only 429 and 503 are retried (the request was not processed); any other error status is an
`ApiError` for the caller, which names the object (409 "changed since it was read", 403 "forbidden").
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import KIND_TO_RESOURCE, RESOURCES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import (
    ApiError,
    KubeClient,
)

FIELD_MANAGER = "meshops-sidecar-injection"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
WRITE_RETRY_STATUS = frozenset((429, 503))


class UnknownKind(ValueError):
    """A kind the collection has no API path for."""


def api_path(ref: ObjectRef, api_version: str = "") -> str:
    """The REST path of `ref` (collection path when its name is empty)."""
    resource = KIND_TO_RESOURCE.get(ref.kind)
    if resource is None:
        raise UnknownKind("no API path known for kind %r (%s)" % (ref.kind, ref.text()))
    spec = RESOURCES[resource]
    version = api_version or spec.api_version
    base = "/api/%s" % version if "/" not in version else "/apis/%s" % version
    if spec.namespaced:
        if not ref.namespace:
            raise UnknownKind("%s is namespaced: the reference names no namespace" % ref.text())
        base += "/namespaces/%s" % ref.namespace
    base += "/%s" % resource
    return base + ("/%s" % ref.name if ref.name else "")


def escape_pointer(token: str) -> str:
    """One JSON-pointer token (RFC 6901): label keys hold "/" (istio.io/rev -> istio.io~1rev)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_pointer(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class KubeWriter(object):
    """Reads and writes single objects through one KubeClient. `writes` counts write requests sent."""

    def __init__(self, client: KubeClient, field_manager: str = FIELD_MANAGER) -> None:
        self.client = client
        self.field_manager = field_manager
        self.writes = 0

    def read(self, ref: ObjectRef) -> Optional[Dict[str, Any]]:
        """The whole live object (managedFields included), None when it does not exist."""
        try:
            return self.client.get(api_path(ref))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def json_patch(self, ref: ObjectRef, operations: List[Dict[str, Any]], dry_run: bool = False) -> Dict[str, Any]:
        return self._send("PATCH", api_path(ref), operations, JSON_PATCH, dry_run)

    def merge_patch(self, ref: ObjectRef, body: Dict[str, Any], dry_run: bool = False) -> Dict[str, Any]:
        return self._send("PATCH", api_path(ref), body, MERGE_PATCH, dry_run)

    def create(self, manifest: Dict[str, Any], dry_run: bool = False) -> Dict[str, Any]:
        ref = ObjectRef.from_dict(dict(manifest.get("metadata") or {}, kind=manifest.get("kind")))
        collection = api_path(ref._replace(name=""), manifest.get("apiVersion") or "")
        return self._send("POST", collection, manifest, "application/json", dry_run)

    def replace(self, ref: ObjectRef, body: Dict[str, Any], dry_run: bool = False) -> Dict[str, Any]:
        """PUT `body`; its metadata.resourceVersion is the precondition (409 when the object moved on)."""
        return self._send("PUT", api_path(ref, body.get("apiVersion") or ""), body, "application/json", dry_run)

    def delete(self, ref: ObjectRef, resource_version: str = "", dry_run: bool = False) -> Dict[str, Any]:
        body: Dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if resource_version:
            body["preconditions"] = {"resourceVersion": resource_version}
        return self._send("DELETE", api_path(ref), body, "application/json", dry_run)

    def _send(self, method: str, path: str, body: Any, content_type: str, dry_run: bool) -> Dict[str, Any]:
        params: Dict[str, Any] = {}
        if method in ("PATCH", "POST", "PUT"):
            params["fieldManager"] = self.field_manager
        if dry_run:
            params["dryRun"] = "All"
        self.writes += 1
        answer = self.client.send(
            method, path, body, params, content_type=content_type, retry_statuses=WRITE_RETRY_STATUS
        )
        return answer if isinstance(answer, dict) else {}


def split_pointer(pointer: str) -> Tuple[str, ...]:
    if pointer in ("", "/"):
        return ()
    if not pointer.startswith("/"):
        raise ValueError("not a JSON pointer: %r" % pointer)
    return tuple(unescape_pointer(t) for t in pointer[1:].split("/"))
