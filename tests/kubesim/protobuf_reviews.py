"""Protobuf request bodies for the access reviews: kubectl 1.32+ sends `auth can-i`'s
SelfSubjectAccessReview as `application/vnd.kubernetes.protobuf` (the "k8s\\0" envelope around a
runtime.Unknown holding the object, k8s.io/api/authorization/v1/generated.proto). Only the fields the
reviews carry are decoded; everything else kubesim accepts as JSON or YAML only."""

from __future__ import annotations

from typing import Any

MAGIC = b"k8s\x00"
REVIEW_KINDS = ("SelfSubjectAccessReview", "SubjectAccessReview")


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((field, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            out.append((field, data[pos : pos + size]))
            pos += size
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated protobuf varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _strings(data: bytes, names: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, value in _fields(data):
        if field in names and isinstance(value, bytes):
            out[names[field]] = value.decode()
    return out


_RESOURCE = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"}
_NON_RESOURCE = {1: "path", 2: "verb"}


def decode_review(raw: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded (Self)SubjectAccessReview; ValueError for anything else."""
    if not raw.startswith(MAGIC):
        raise ValueError("not a kubernetes protobuf envelope")
    type_meta: dict[str, Any] = {}
    body = b""
    for field, value in _fields(raw[len(MAGIC) :]):
        if field == 1 and isinstance(value, bytes):
            type_meta = _strings(value, {1: "apiVersion", 2: "kind"})
        elif field == 2 and isinstance(value, bytes):
            body = value
    if type_meta.get("kind") not in REVIEW_KINDS:
        raise ValueError(f"protobuf bodies are only decoded for {', '.join(REVIEW_KINDS)}")
    spec: dict[str, Any] = {}
    for field, value in _fields(body):
        if field != 2 or not isinstance(value, bytes):
            continue
        for sub, part in _fields(value):
            if not isinstance(part, bytes):
                continue
            if sub == 1:
                spec["resourceAttributes"] = _strings(part, _RESOURCE)
            elif sub == 2:
                spec["nonResourceAttributes"] = _strings(part, _NON_RESOURCE)
            elif sub == 3:
                spec["user"] = part.decode()
            elif sub == 4:
                spec.setdefault("groups", []).append(part.decode())
            elif sub == 6:
                spec["uid"] = part.decode()
    return {**type_meta, "metadata": {}, "spec": spec}
