"""/openapi/v2 and /openapi/v3 for the kinds a server serves, shaped like kube-apiserver's.

Definitions come from the OpenAPI-derived JSON schemas that `kubernetes-validate` ships (descriptions,
required fields, formats and the x-kubernetes-* extensions survive there), turned back into OpenAPI:
`type: [t, "null"]` → `type: t`, the apiVersion/kind enums the converter added are dropped, IntOrString
and Quantity get their real `format`s. Custom resources use their CRD's `openAPIV3Schema`.

Paths are generated per served resource the way the apiserver's installer does: operations with
operationId, `x-kubernetes-action`, `x-kubernetes-group-version-kind` and the query parameters
(dryRun, fieldManager, fieldValidation, force on patch) that clients probe for - kubectl's
`fieldValidation` support check reads exactly that.

v2 is served as JSON or, when asked (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`,
what kubectl always asks for), as the gnostic protobuf message (openapiv2.proto), see openapi_proto.py.
v3 is a root (`/openapi/v3` → `{"paths": {"api/v1": {"serverRelativeURL": ...?hash=...}}}`) and one
document per group-version holding the schemas its paths reach.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from .resources import ResourceType

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
PRODUCES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"

_PARAMS: dict[str, dict[str, Any]] = {
    "dryRun": {
        "type": "string",
        "description": "When present, indicates that modifications should not be persisted. An invalid or "
        "unrecognized dryRun directive will result in an error response and no further processing of the request. "
        "Valid values are: - All: all dry run stages will be processed",
    },
    "fieldManager": {
        "type": "string",
        "description": "fieldManager is a name associated with the actor or entity that is making these changes. "
        "The value must be less than or 128 characters long, and only contain printable characters, as defined by "
        "https://golang.org/pkg/unicode/#IsPrint.",
    },
    "fieldValidation": {
        "type": "string",
        "description": "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
        "containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields "
        "that are silently dropped from the object, and will ignore all but the last duplicate field that the "
        "decoder encounters. - Warn: This will send a warning via the standard warning response header for each "
        "unknown field that is dropped from the object, and for each duplicate field that is encountered. - "
        "Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the "
        "object, or if any duplicate fields are present. The error returned from the server will contain all "
        "unknown and duplicate fields encountered.",
    },
    "force": {
        "type": "boolean",
        "description": 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields '
        "owned by other people. Force flag must be unset for non-apply patch requests.",
    },
    "pretty": {
        "type": "string",
        "description": "If 'true', then the output is pretty printed.",
    },
    "labelSelector": {
        "type": "string",
        "description": "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
    },
    "fieldSelector": {
        "type": "string",
        "description": "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
    },
    "limit": {"type": "integer", "description": "limit is a maximum number of responses to return for a list call."},
    "continue": {
        "type": "string",
        "description": "The continue option should be set when retrieving more results from the server.",
    },
    "watch": {"type": "boolean", "description": "Watch for changes to the described resources."},
    "resourceVersion": {
        "type": "string",
        "description": "resourceVersion sets a constraint on what resource versions a request may be served from.",
    },
    "timeoutSeconds": {"type": "integer", "description": "Timeout for the list/watch call."},
    "propagationPolicy": {"type": "string", "description": "Whether and how garbage collection will be performed."},
    "gracePeriodSeconds": {
        "type": "integer",
        "description": "The duration in seconds before the object should be deleted.",
    },
}


# ---------------------------------------------------------------------- built-in definitions


def _schema_dir(minor: int) -> str | None:
    try:
        import kubernetes_validate  # optional: only its bundled schema files are used
    except ImportError:
        return None
    base = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    have = sorted(int(m.group(1)) for d in os.listdir(base) if (m := re.fullmatch(r"v1\.(\d+)\.0-local", d)))
    if not have:
        return None
    best = min(have, key=lambda v: (abs(v - minor), -v))
    return os.path.join(base, f"v1.{best}.0-local")


def _to_openapi(node: Any, ref_prefix: str, top: bool = False) -> Any:
    if isinstance(node, list):
        return [_to_openapi(x, ref_prefix) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = ref_prefix + str(value).rpartition("/")[2]
        elif key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            if kinds:
                out[key] = kinds[0]
        elif key == "properties" and isinstance(value, dict):
            props = {}
            for name, prop in value.items():
                prop = _to_openapi(prop, ref_prefix)
                if top and name in ("apiVersion", "kind") and isinstance(prop, dict):
                    prop.pop("enum", None)  # added by the JSON-schema converter, not in kube-apiserver's spec
                props[name] = prop
            out[key] = props
        else:
            out[key] = _to_openapi(value, ref_prefix)
    return out


@lru_cache(maxsize=4)
def builtin_definitions(minor: int) -> dict[str, dict[str, Any]] | None:
    """Definition name → OpenAPI schema (refs as `#/definitions/<name>`), or None without kubernetes-validate."""
    directory = _schema_dir(minor)
    if directory is None:
        return None
    with open(os.path.join(directory, "_definitions.json"), encoding="utf-8") as fh:
        raw = json.load(fh)
    defs = raw.get("$defs") or raw.get("definitions") or {}
    out = {name: _to_openapi(schema, "#/definitions/", top=True) for name, schema in defs.items()}
    if _INT_OR_STRING in out:
        out[_INT_OR_STRING] = {
            "description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
            "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for "
            "example, a JSON field that can accept a name or number.",
            "format": "int-or-string",
            "type": "string",
        }
    if _QUANTITY in out:
        out[_QUANTITY] = {
            "description": "Quantity is a fixed-point representation of a number. It provides convenient "
            "marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.",
            "type": "string",
        }
    for name in (META + "Patch", "io.k8s.apimachinery.pkg.runtime.RawExtension"):
        if name in out:
            out[name].setdefault("type", "object")
    return out


def definition_names(defs: dict[str, dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    """(group, version, kind) → definition name, from x-kubernetes-group-version-kind."""
    names: dict[tuple[str, str, str], str] = {}
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            names.setdefault((gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", "")), name)
    return names


# ---------------------------------------------------------------------- custom resources


def custom_definition_name(group: str, version: str, kind: str) -> str:
    """kube-apiserver's name for a CR schema: the group's labels reversed, then version and kind."""
    return ".".join(reversed(group.split("."))) + f".{version}.{kind}"


def custom_schemas(
    group: str, version: str, kind: str, list_kind: str, schema: dict[str, Any] | None
) -> dict[str, dict[str, Any]]:
    """The object and list definitions a CRD version contributes (v2 refs)."""
    body: dict[str, Any] = copy.deepcopy(schema) if isinstance(schema, dict) else {"type": "object"}
    body.setdefault("type", "object")
    props = body.setdefault("properties", {})
    props["apiVersion"] = {
        "description": "APIVersion defines the versioned schema of this representation of an object.",
        "type": "string",
    }
    props["kind"] = {
        "description": "Kind is a string value representing the REST resource this object represents.",
        "type": "string",
    }
    props["metadata"] = {"$ref": f"#/definitions/{META}ObjectMeta", "description": "Standard object's metadata."}
    gvk = [{"group": group, "kind": kind, "version": version}]
    body["x-kubernetes-group-version-kind"] = gvk
    name = custom_definition_name(group, version, kind)
    listing = {
        "description": f"{list_kind} is a list of {kind}",
        "required": ["items"],
        "type": "object",
        "properties": {
            "apiVersion": props["apiVersion"],
            "items": {
                "description": f"List of {kind.lower()}s.",
                "type": "array",
                "items": {"$ref": f"#/definitions/{name}"},
            },
            "kind": props["kind"],
            "metadata": {"$ref": f"#/definitions/{META}ListMeta", "description": "Standard list metadata."},
        },
        "x-kubernetes-group-version-kind": [{"group": group, "kind": list_kind, "version": version}],
    }
    return {name: body, custom_definition_name(group, version, list_kind): listing}


# ---------------------------------------------------------------------- paths


def _tag(rt: ResourceType) -> str:
    if not rt.group:
        return f"core_{rt.version}"
    return f"{rt.group.split('.')[0] if rt.group.endswith('.k8s.io') else rt.group}_{rt.version}".replace(".", "_")


def _op_prefix(rt: ResourceType) -> str:
    if not rt.group:
        group = "Core"
    else:
        head = rt.group[: -len(".k8s.io")] if rt.group.endswith(".k8s.io") else rt.group
        group = "".join(part[:1].upper() + part[1:] for part in re.split(r"[.-]", head))
    return group + rt.version[:1].upper() + rt.version[1:]


def _query(name: str) -> dict[str, Any]:
    spec = _PARAMS[name]
    param = {"description": spec["description"], "in": "query", "name": name, "type": spec["type"], "uniqueItems": True}
    return param


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "in": "path",
        "name": name,
        "required": True,
        "type": "string",
        "uniqueItems": True,
    }


def _op(
    rt: ResourceType,
    action: str,
    verb_id: str,
    description: str,
    schema_ref: str,
    params: list[dict[str, Any]],
    *,
    body: str | None = None,
    consumes: tuple[str, ...] = ("*/*",),
    codes: tuple[str, ...] = ("200",),
    kind: str | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "consumes": list(consumes),
        "description": description,
        "operationId": verb_id,
        "parameters": ([{"in": "body", "name": "body", "required": True, "schema": {"$ref": body}}] if body else [])
        + params,
        "produces": list(PRODUCES),
        "responses": {
            **{
                code: {
                    "description": {"200": "OK", "201": "Created", "202": "Accepted"}[code],
                    "schema": {"$ref": schema_ref},
                }
                for code in codes
            },
            "401": {"description": "Unauthorized"},
        },
        "schemes": ["https"],
        "tags": [_tag(rt)],
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "kind": kind or rt.kind, "version": rt.version},
    }
    return op


def resource_paths(rt: ResourceType, obj_ref: str, list_ref: str) -> dict[str, dict[str, Any]]:
    """The apiserver installer's paths for one resource (watch paths left out)."""
    prefix = f"/api/{rt.version}" if not rt.group else f"/apis/{rt.group}/{rt.version}"
    scope = "Namespaced" if rt.namespaced else ""
    kind = rt.kind
    opid = _op_prefix(rt)
    write = [_query("dryRun"), _query("fieldManager"), _query("fieldValidation")]
    status_ref = f"#/definitions/{META}Status"
    base = f"{prefix}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{prefix}/{rt.plural}"
    common = (
        [_path_param("namespace", "object name and auth scope, such as for teams and projects")]
        if rt.namespaced
        else []
    )
    pretty = [_query("pretty")]
    name_param = [_path_param("name", f"name of the {kind}")]
    paths: dict[str, dict[str, Any]] = {}
    if rt.verbs == ("create",):
        paths[base] = {
            "post": _op(
                rt,
                "post",
                f"create{opid}{scope}{kind}",
                f"create a {kind}",
                obj_ref,
                [*write, _query("pretty")],
                body=obj_ref,
                codes=("200", "201", "202"),
            ),
            "parameters": common + pretty,
        }
        return paths
    list_params = [
        _query(n)
        for n in ("continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "timeoutSeconds", "watch")
    ]
    collection: dict[str, Any] = {
        "get": _op(
            rt, "list", f"list{opid}{scope}{kind}", f"list or watch objects of kind {kind}", list_ref, list_params
        ),
        "post": _op(
            rt,
            "post",
            f"create{opid}{scope}{kind}",
            f"create a {kind}",
            obj_ref,
            write,
            body=obj_ref,
            codes=("200", "201", "202"),
        ),
        "parameters": common + pretty,
    }
    if "deletecollection" in rt.verbs:
        collection["delete"] = _op(
            rt,
            "deletecollection",
            f"deletecollection{opid}{scope}{kind}",
            f"delete collection of {kind}",
            status_ref,
            [_query("dryRun"), _query("propagationPolicy"), *list_params[:4]],
            body=f"#/definitions/{META}DeleteOptions",
        )
    paths[base] = collection
    item: dict[str, Any] = {
        "get": _op(rt, "get", f"read{opid}{scope}{kind}", f"read the specified {kind}", obj_ref, []),
        "put": _op(
            rt,
            "put",
            f"replace{opid}{scope}{kind}",
            f"replace the specified {kind}",
            obj_ref,
            write,
            body=obj_ref,
            codes=("200", "201"),
        ),
        "patch": _op(
            rt,
            "patch",
            f"patch{opid}{scope}{kind}",
            f"partially update the specified {kind}",
            obj_ref,
            [*write, _query("force")],
            body=f"#/definitions/{META}Patch",
            consumes=PATCH_TYPES,
            codes=("200", "201"),
        ),
        "delete": _op(
            rt,
            "delete",
            f"delete{opid}{scope}{kind}",
            f"delete a {kind}",
            status_ref,
            [_query("dryRun"), _query("gracePeriodSeconds"), _query("propagationPolicy")],
            body=f"#/definitions/{META}DeleteOptions",
            codes=("200", "202"),
        ),
        "parameters": name_param + common + pretty,
    }
    paths[f"{base}/{{name}}"] = item
    for sub in rt.subresources:
        if sub != "status":
            continue
        paths[f"{base}/{{name}}/status"] = {
            "get": _op(
                rt, "get", f"read{opid}{scope}{kind}Status", f"read status of the specified {kind}", obj_ref, []
            ),
            "put": _op(
                rt,
                "put",
                f"replace{opid}{scope}{kind}Status",
                f"replace status of the specified {kind}",
                obj_ref,
                write,
                body=obj_ref,
                codes=("200", "201"),
            ),
            "patch": _op(
                rt,
                "patch",
                f"patch{opid}{scope}{kind}Status",
                f"partially update status of the specified {kind}",
                obj_ref,
                [*write, _query("force")],
                body=f"#/definitions/{META}Patch",
                consumes=PATCH_TYPES,
                codes=("200", "201"),
            ),
            "parameters": name_param + common + pretty,
        }
    if rt.namespaced:
        paths[f"{prefix}/{rt.plural}"] = {
            "get": _op(
                rt,
                "list",
                f"list{opid}{kind}ForAllNamespaces",
                f"list or watch objects of kind {kind}",
                list_ref,
                list_params,
            ),
            "parameters": pretty,
        }
    return paths


# ---------------------------------------------------------------------- documents


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rpartition("/")[2])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _closure(defs: dict[str, dict[str, Any]], roots: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    todo = [r for r in roots if r in defs]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found: set[str] = set()
        _refs(defs[name], found)
        todo.extend(f for f in found if f in defs and f not in seen)
    return sorted(seen)


def _v3_schema(node: Any) -> Any:
    """v2 schema → v3: refs into components, `$ref` with siblings wrapped in allOf (as kube-openapi does)."""
    if isinstance(node, list):
        return [_v3_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = "#/components/schemas/" + str(node["$ref"]).rpartition("/")[2]
        rest = {k: _v3_schema(v) for k, v in node.items() if k != "$ref"}
        if not rest:
            return {"$ref": ref}
        return {"allOf": [{"$ref": ref}], **rest}
    return {k: _v3_schema(v) for k, v in node.items()}


def _v3_operation(op: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: v for k, v in op.items() if k not in ("consumes", "produces", "parameters", "responses", "schemes")
    }
    params = []
    for param in op.get("parameters") or ():
        if param.get("in") == "body":
            schema = _v3_schema(param["schema"])
            out["requestBody"] = {
                "content": {c: {"schema": schema} for c in op.get("consumes") or ()},
                "required": True,
            }
            continue
        params.append(_v3_param(param))
    if params:
        out["parameters"] = params
    responses = {}
    for code, response in op["responses"].items():
        entry: dict[str, Any] = {"description": response["description"]}
        if "schema" in response:
            entry["content"] = {c: {"schema": _v3_schema(response["schema"])} for c in op["produces"]}
        responses[code] = entry
    out["responses"] = responses
    return out


def _v3_param(param: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": param["name"], "in": param["in"], "description": param.get("description", "")}
    if param.get("required"):
        out["required"] = True
    out["schema"] = {"type": param["type"], "uniqueItems": True}
    return out


class OpenAPIBuilder:
    """Documents for one server; `types()` lists what it serves, `custom()` the CRD schemas
    ((group, version, kind, listKind) → openAPIV3Schema). Results are cached until `generation()` moves."""

    def __init__(
        self,
        minor: int,
        types: Callable[[], list[ResourceType]],
        custom: Callable[[], dict[tuple[str, str, str, str], dict[str, Any] | None]],
        generation: Callable[[], int],
    ):
        self.minor = minor
        self._types = types
        self._custom = custom
        self._generation = generation
        self._cache: dict[str, Any] = {}
        self._cached_at = -1

    @property
    def available(self) -> bool:
        return builtin_definitions(self.minor) is not None

    def _fresh(self) -> None:
        gen = self._generation()
        if gen != self._cached_at:
            self._cache.clear()
            self._cached_at = gen

    def _definitions_and_paths(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, dict[str, Any]]]]:
        """(definitions, paths by group-version path key such as "api/v1" / "apis/apps/v1")."""
        self._fresh()
        if "dp" in self._cache:
            return self._cache["dp"]
        base = builtin_definitions(self.minor) or {}
        defs = dict(base)
        for (group, version, kind, list_kind), schema in self._custom().items():
            defs.update(custom_schemas(group, version, kind, list_kind, _v2_from_crd(schema)))
        names = definition_names(defs)
        by_gv: dict[str, dict[str, dict[str, Any]]] = {}
        for rt in self._types():
            obj = names.get((rt.group, rt.version, rt.kind))
            if obj is None:
                continue
            listed = names.get((rt.group, rt.version, rt.list_kind), obj)
            key = f"api/{rt.version}" if not rt.group else f"apis/{rt.group}/{rt.version}"
            by_gv.setdefault(key, {}).update(resource_paths(rt, f"#/definitions/{obj}", f"#/definitions/{listed}"))
        self._cache["dp"] = (defs, by_gv)
        return defs, by_gv

    # ---- v2
    def v2(self) -> dict[str, Any]:
        self._fresh()
        if "v2" not in self._cache:
            defs, by_gv = self._definitions_and_paths()
            paths: dict[str, Any] = {}
            for key in sorted(by_gv):
                paths.update(by_gv[key])
            roots: set[str] = set()
            _refs(paths, roots)
            self._cache["v2"] = {
                "swagger": "2.0",
                "info": {"title": "Kubernetes", "version": self.version_string()},
                "paths": dict(sorted(paths.items())),
                "definitions": {n: defs[n] for n in _closure(defs, roots | _kind_definitions(defs, self._types()))},
                "securityDefinitions": {
                    "BearerToken": {
                        "description": "Bearer Token authentication",
                        "in": "header",
                        "name": "authorization",
                        "type": "apiKey",
                    }
                },
                "security": [{"BearerToken": []}],
            }
        return self._cache["v2"]

    def v2_json(self) -> bytes:
        self._fresh()
        if "v2j" not in self._cache:
            self._cache["v2j"] = json.dumps(self.v2(), separators=(",", ":")).encode()
        return self._cache["v2j"]

    def v2_proto(self) -> bytes:
        from .openapi_proto import encode_document

        self._fresh()
        if "v2p" not in self._cache:
            self._cache["v2p"] = encode_document(self.v2())
        return self._cache["v2p"]

    def version_string(self) -> str:
        return f"v1.{self.minor}.0"

    # ---- v3
    def v3_documents(self) -> dict[str, bytes]:
        self._fresh()
        if "v3" not in self._cache:
            defs, by_gv = self._definitions_and_paths()
            docs: dict[str, bytes] = {}
            for key, paths in sorted(by_gv.items()):
                roots: set[str] = set()
                _refs(paths, roots)
                names = _closure(defs, roots)
                doc = {
                    "openapi": "3.0.0",
                    "info": {"title": "Kubernetes", "version": self.version_string()},
                    "paths": {
                        p: {
                            m: (_v3_operation(op) if m != "parameters" else [_v3_param(x) for x in op])
                            for m, op in item.items()
                        }
                        for p, item in sorted(paths.items())
                    },
                    "components": {
                        "schemas": {n: _v3_schema(defs[n]) for n in names},
                        "securitySchemes": {
                            "BearerToken": {
                                "description": "Bearer Token authentication",
                                "in": "header",
                                "name": "authorization",
                                "type": "apiKey",
                            }
                        },
                    },
                }
                docs[key] = json.dumps(doc, separators=(",", ":")).encode()
            self._cache["v3"] = docs
        return self._cache["v3"]

    def v3_root(self) -> dict[str, Any]:
        docs = self.v3_documents()
        return {
            "paths": {key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={_hash(raw)}"} for key, raw in docs.items()}
        }


def _hash(raw: bytes) -> str:
    return hashlib.sha512(raw).hexdigest().upper()


def _kind_definitions(defs: dict[str, dict[str, Any]], types: list[ResourceType]) -> set[str]:
    names = definition_names(defs)
    return {names[k] for rt in types for k in ((rt.group, rt.version, rt.kind),) if k in names}


_V2_UNSUPPORTED = ("oneOf", "anyOf", "not", "nullable", "x-kubernetes-validations")


def _v2_from_crd(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """A CRD's structural schema as kube-apiserver publishes it in v2 (constructs v2 cannot carry dropped)."""
    if not isinstance(schema, dict):
        return None

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        return {k: walk(v) for k, v in node.items() if k not in _V2_UNSUPPORTED}

    return walk(schema)
