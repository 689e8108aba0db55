"""The OpenAPI v2 document in gnostic's protobuf encoding (google/gnostic openapiv2/OpenAPIv2.proto), which
is what kubectl downloads from /openapi/v2 (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`).

A hand-written encoder for the messages a kube-apiserver document uses: Document, Info, Paths, PathItem,
Operation, parameters (body, query, path), Responses, Definitions and Schema. Vendor extensions are
NamedAny values whose Any carries the value as YAML, as gnostic writes them. Proto3: default values
(empty strings, false, zero) are not written.
"""

from __future__ import annotations

import struct
from typing import Any

import yaml

MEDIA_TYPE = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"  # what clients ask for
CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"  # what kube-openapi answers with


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _bytes(field: int, data: bytes) -> bytes:
    return _key(field, 2) + _varint(len(data)) + data


def _str(field: int, value: Any) -> bytes:
    if value is None or value == "":
        return b""
    return _bytes(field, str(value).encode())


def _bool(field: int, value: Any) -> bytes:
    return _key(field, 0) + b"\x01" if value else b""


def _int(field: int, value: Any) -> bytes:
    return _key(field, 0) + _varint(int(value)) if value else b""


def _double(field: int, value: Any) -> bytes:
    return _key(field, 1) + struct.pack("<d", float(value)) if value else b""


def _msg(field: int, data: bytes, always: bool = False) -> bytes:
    return _bytes(field, data) if data or always else b""


def _any(value: Any) -> bytes:
    """Any{yaml: ...}"""
    text = (
        yaml.safe_dump(value, default_flow_style=False, sort_keys=True)
        if isinstance(value, (dict, list))
        else (yaml.safe_dump(value).removesuffix("...\n").strip() + "\n")
    )
    return _str(2, text)


def _extensions(field: int, node: dict[str, Any]) -> bytes:
    out = b""
    for name, value in node.items():
        if name.startswith("x-"):
            out += _msg(field, _str(1, name) + _msg(2, _any(value), always=True), always=True)
    return out


def schema(node: dict[str, Any]) -> bytes:
    out = _str(1, node.get("$ref"))
    out += _str(2, node.get("format")) + _str(3, node.get("title")) + _str(4, node.get("description"))
    if "default" in node:
        out += _msg(5, _any(node["default"]), always=True)
    out += _double(6, node.get("multipleOf")) + _double(7, node.get("maximum"))
    out += _bool(8, node.get("exclusiveMaximum")) + _double(9, node.get("minimum"))
    out += _bool(10, node.get("exclusiveMinimum")) + _int(11, node.get("maxLength")) + _int(12, node.get("minLength"))
    out += _str(13, node.get("pattern")) + _int(14, node.get("maxItems")) + _int(15, node.get("minItems"))
    out += _bool(16, node.get("uniqueItems")) + _int(17, node.get("maxProperties"))
    out += _int(18, node.get("minProperties"))
    for name in node.get("required") or ():
        out += _bytes(19, str(name).encode())
    for value in node.get("enum") or ():
        out += _msg(20, _any(value), always=True)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out += _msg(21, _msg(1, schema(extra), always=True), always=True)
    elif isinstance(extra, bool):
        out += _msg(21, _key(2, 0) + (b"\x01" if extra else b"\x00"), always=True)
    kind = node.get("type")
    if kind:
        kinds = kind if isinstance(kind, list) else [kind]
        out += _msg(22, b"".join(_bytes(1, str(k).encode()) for k in kinds))
    items = node.get("items")
    if isinstance(items, dict):
        out += _msg(23, _msg(1, schema(items), always=True), always=True)
    for part in node.get("allOf") or ():
        out += _msg(24, schema(part), always=True)
    props = node.get("properties")
    if isinstance(props, dict):
        named = b"".join(_msg(1, _str(1, n) + _msg(2, schema(p), always=True), always=True) for n, p in props.items())
        out += _msg(25, named, always=True)
    out += _str(26, node.get("discriminator")) + _bool(27, node.get("readOnly"))
    if "example" in node:
        out += _msg(30, _any(node["example"]), always=True)
    return out + _extensions(31, node)


def _parameter(param: dict[str, Any]) -> bytes:
    if "$ref" in param:
        return _msg(2, _str(1, param["$ref"]), always=True)  # ParametersItem.json_reference
    where = param.get("in")
    if where == "body":
        body = _str(1, param.get("description")) + _str(2, param.get("name")) + _str(3, "body")
        body += _bool(4, param.get("required")) + _msg(5, schema(param.get("schema") or {}), always=True)
        body += _extensions(6, param)
        return _msg(1, _msg(1, body, always=True), always=True)  # ParametersItem.parameter.body_parameter
    if where == "path":
        sub = _bool(1, param.get("required")) + _str(2, "path") + _str(3, param.get("description"))
        sub += _str(4, param.get("name")) + _str(5, param.get("type")) + _str(6, param.get("format"))
        sub += _bool(19, param.get("uniqueItems")) + _extensions(22, param)
        choice = _msg(4, sub, always=True)
    else:  # query (header/formData do not occur in kube-apiserver's spec)
        sub = _bool(1, param.get("required")) + _str(2, where or "query") + _str(3, param.get("description"))
        sub += _str(4, param.get("name")) + _str(6, param.get("type")) + _str(7, param.get("format"))
        sub += _bool(20, param.get("uniqueItems")) + _extensions(23, param)
        choice = _msg(3, sub, always=True)
    return _msg(1, _msg(2, choice, always=True), always=True)  # parameter.non_body_parameter


def _operation(op: dict[str, Any]) -> bytes:
    out = b"".join(_bytes(1, str(t).encode()) for t in op.get("tags") or ())
    out += _str(2, op.get("summary")) + _str(3, op.get("description")) + _str(5, op.get("operationId"))
    out += b"".join(_bytes(6, str(p).encode()) for p in op.get("produces") or ())
    out += b"".join(_bytes(7, str(c).encode()) for c in op.get("consumes") or ())
    for param in op.get("parameters") or ():
        out += _msg(8, _parameter(param), always=True)
    codes = b""
    for code, response in (op.get("responses") or {}).items():
        body = _str(1, response.get("description"))
        if "schema" in response:
            body += _msg(2, _msg(1, schema(response["schema"]), always=True), always=True)
        value = _msg(1, body, always=True)  # ResponseValue.response
        codes += _msg(1, _str(1, code) + _msg(2, value, always=True), always=True)
    out += _msg(9, codes, always=True)
    out += b"".join(_bytes(10, str(s).encode()) for s in op.get("schemes") or ())
    out += _bool(11, op.get("deprecated"))
    return out + _extensions(13, op)


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def _path_item(item: dict[str, Any]) -> bytes:
    out = b""
    for method, field in _METHODS.items():
        if method in item:
            out += _msg(field, _operation(item[method]), always=True)
    for param in item.get("parameters") or ():
        out += _msg(9, _parameter(param), always=True)
    return out + _extensions(10, item)


def encode_document(doc: dict[str, Any]) -> bytes:
    info = doc.get("info") or {}
    out = _str(1, doc.get("swagger", "2.0"))
    out += _msg(2, _str(1, info.get("title")) + _str(2, info.get("version")), always=True)
    paths = b"".join(
        _msg(2, _str(1, name) + _msg(2, _path_item(item), always=True), always=True)
        for name, item in (doc.get("paths") or {}).items()
    )
    out += _msg(8, paths, always=True)
    definitions = b"".join(
        _msg(1, _str(1, name) + _msg(2, schema(node), always=True), always=True)
        for name, node in (doc.get("definitions") or {}).items()
    )
    out += _msg(9, definitions, always=True)
    security = doc.get("securityDefinitions") or {}
    if security:
        entries = b""
        for name, spec in security.items():
            api_key = _str(1, spec.get("type")) + _str(2, spec.get("name")) + _str(3, spec.get("in"))
            api_key += _str(4, spec.get("description"))
            entries += _msg(1, _str(1, name) + _msg(2, _msg(2, api_key, always=True), always=True), always=True)
        out += _msg(13, entries, always=True)
    for requirement in doc.get("security") or ():
        reqs = b"".join(
            _msg(
                1,
                _str(1, name) + _msg(2, b"".join(_bytes(1, str(s).encode()) for s in scopes), always=True),
                always=True,
            )
            for name, scopes in requirement.items()
        )
        out += _msg(12, reqs, always=True)
    return out + _extensions(16, doc)
