"""AdmissionReview request construction and response checks (webhook/request/admissionreview.go)."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

from tests.kubesim.admission.attributes import Attributes


class InvalidResponse(Exception):
    """VerifyAdmissionResponse failure; str() follows `received invalid webhook response: `."""


@dataclass
class Verdict:
    allowed: bool
    patch: bytes | None
    patch_type: str
    result: dict | None
    warnings: list[str]


def review_version(versions: list[str] | None) -> str | None:
    """CreateAdmissionObjects: the first version in admissionReviewVersions that the server knows."""
    for version in versions or []:
        if version in ("v1", "v1beta1"):
            return version
    return None


def build_request(attrs: Attributes, version: str, invocation: tuple[str, str, str]) -> tuple[str, dict[str, Any]]:
    group, ver, plural = invocation
    uid = str(uuid.uuid4())
    request: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": attrs.group, "version": attrs.version, "kind": attrs.kind},
        "resource": {"group": group, "version": ver, "resource": plural},
        "requestKind": {"group": attrs.group, "version": attrs.version, "kind": attrs.kind},
        "requestResource": {"group": attrs.group, "version": attrs.version, "resource": attrs.plural},
        "operation": attrs.operation,
        "userInfo": {
            k: v
            for k, v in (
                ("username", attrs.user.get("username", "")),
                ("uid", attrs.user.get("uid", "")),
                ("groups", attrs.user.get("groups")),
                ("extra", attrs.user.get("extra") or {}),
            )
            if v not in ("", None)
        },
        "object": attrs.obj,
        "oldObject": attrs.old,
        "dryRun": attrs.dry_run,
        "options": attrs.options() or None,
    }
    if attrs.subresource:
        request["subResource"] = attrs.subresource
        request["requestSubResource"] = attrs.subresource
    if attrs.name:
        request["name"] = attrs.name
    if attrs.namespace:
        request["namespace"] = attrs.namespace
    api_version = "admission.k8s.io/v1" if version == "v1" else "admission.k8s.io/v1beta1"
    return uid, {"kind": "AdmissionReview", "apiVersion": api_version, "request": request}


def verify_response(uid: str, version: str, mutating: bool, review: Any) -> Verdict:
    if not isinstance(review, dict):
        raise InvalidResponse("webhook response was absent")
    response = review.get("response")
    if not isinstance(response, dict):
        raise InvalidResponse("webhook response was absent")
    raw_patch = response.get("patch")
    patch = base64.b64decode(raw_patch) if raw_patch else None
    patch_type = response.get("patchType")
    if version == "v1":
        if response.get("uid") != uid:
            raise InvalidResponse(f'expected response.uid="{uid}", got "{response.get("uid") or ""}"')
        api_version, kind = review.get("apiVersion", ""), review.get("kind", "")
        if (api_version, kind) != ("admission.k8s.io/v1", "AdmissionReview"):
            raise InvalidResponse(
                f"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, "
                f"got {api_version}, Kind={kind}"
            )
        if mutating:
            if patch and patch_type is None:
                raise InvalidResponse("webhook returned response.patch but not response.patchType")
            if not patch and patch_type is not None:
                raise InvalidResponse("webhook returned response.patchType but not response.patch")
            if patch_type is not None and not patch_type:
                raise InvalidResponse(f'webhook returned invalid response.patchType of "{patch_type}"')
        else:
            if patch:
                raise InvalidResponse("validating webhook may not return response.patch")
            if patch_type is not None:
                raise InvalidResponse("validating webhook may not return response.patchType")
    else:
        # v1beta1 responses were never checked for uid or patchType; a patch is always JSONPatch.
        patch_type = "JSONPatch" if (mutating and patch) else ""
        if not mutating:
            patch = None
    return Verdict(
        bool(response.get("allowed")),
        patch,
        str(patch_type or ""),
        response.get("status"),
        [str(w) for w in response.get("warnings") or []],
    )
