# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape of every field the snapshot stages read, checked once where objects enter.

Objects come from customers' files and from API servers; projection, selection and the rules read
them with `.get()` chains that assume mappings where the API has mappings. A document with
`metadata: "x"`, `labels: "x"`, `spec: "x"` or `webhooks: "bad"` used to end in a bare Python error
naming nothing. `check(resource, obj)` walks the table below and raises `ShapeError` naming the
object (kind, namespace/name) and the field path; the offline loader adds the file and document.

A wrong type is an error, never a skipped object: the checks that object feeds would otherwise pass
silently on a cluster they never saw, and a partial diagnosis must not look like a clean one. Null
is accepted everywhere (the API server omits and nulls fields freely, and projection drops them).
Only fields someone reads are described; anything else is passed through as it is.

Table notation: a dict is a mapping whose listed keys have those shapes; a one-element list is a list
of that shape (whose elements may not be null); `STR`/`INT`/`SCALAR`/`MAP`/`LIST` are leaves;
`TEXTS` is a mapping of strings (labels, annotations, selectors, ConfigMap and Secret data: the API
has them as strings, and kubectl refuses an unquoted `version: 1` label the same way), `STRINGS` a
mapping of scalars (resource quantities, which YAML may give as numbers).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.limits import InputError

STR = "string"
INT = "integer"
SCALAR = "scalar"
MAP = "mapping"
LIST = "list"
STRINGS = "mapping of scalars"
TEXTS = "mapping of strings"

_SCALARS = (str, int, float, bool)

META: Dict[str, Any] = {
    "name": STR,
    "generateName": STR,
    "namespace": STR,
    "uid": STR,
    "labels": TEXTS,
    "annotations": TEXTS,
    "ownerReferences": [{"apiVersion": STR, "kind": STR, "name": STR, "uid": STR}],
    "managedFields": LIST,
    "generation": INT,
}
REF: Dict[str, Any] = {"apiVersion": STR, "apiGroup": STR, "kind": STR, "namespace": STR, "name": STR, "uid": STR}
CONDITION: Dict[str, Any] = {"type": STR, "status": STR, "reason": STR, "message": STR}
SELECTOR: Dict[str, Any] = {
    "matchLabels": TEXTS,
    "matchExpressions": [{"key": STR, "operator": STR, "values": [STR]}],
}
CONTAINER: Dict[str, Any] = {
    "name": STR,
    "image": STR,
    "ports": [MAP],
    "resources": {"limits": STRINGS, "requests": STRINGS},
    "securityContext": MAP,
    "volumeMounts": [{"name": STR, "mountPath": STR}],
    "env": [{"name": STR, "value": STR}],
    "command": [SCALAR],
    "args": [SCALAR],
    "restartPolicy": STR,
}
POD_SPEC: Dict[str, Any] = {
    "containers": [CONTAINER],
    "initContainers": [CONTAINER],
    "securityContext": MAP,
    "serviceAccountName": STR,
    "nodeName": STR,
}
STATE: Dict[str, Any] = {
    "running": {"startedAt": STR},
    "waiting": {"reason": STR, "message": STR},
    "terminated": {"reason": STR, "message": STR, "exitCode": INT},
}
CONTAINER_STATUS: Dict[str, Any] = {
    "name": STR,
    "image": STR,
    "restartCount": INT,
    "state": STATE,
    "lastState": STATE,
}
TEMPLATE: Dict[str, Any] = {"metadata": META, "spec": POD_SPEC}
WORKLOAD_SPEC: Dict[str, Any] = {
    "selector": SELECTOR,
    "template": TEMPLATE,
    "replicas": INT,
    "completions": INT,
    "parallelism": INT,
}
_COUNTS = (
    "replicas",
    "readyReplicas",
    "availableReplicas",
    "updatedReplicas",
    "currentReplicas",
    "observedGeneration",
    "numberReady",
    "numberAvailable",
    "desiredNumberScheduled",
    "currentNumberScheduled",
    "updatedNumberScheduled",
    "active",
    "succeeded",
    "failed",
)
WORKLOAD_STATUS: Dict[str, Any] = dict({key: INT for key in _COUNTS}, conditions=[CONDITION])
WORKLOAD: Dict[str, Any] = {"metadata": META, "spec": WORKLOAD_SPEC, "status": WORKLOAD_STATUS}
PEER: Dict[str, Any] = {"podSelector": SELECTOR, "namespaceSelector": SELECTOR, "ipBlock": MAP}
WEBHOOK: Dict[str, Any] = {
    "name": STR,
    "clientConfig": {
        "service": {"name": STR, "namespace": STR, "path": STR, "port": INT},
        "url": STR,
        "caBundle": STR,
    },
    "namespaceSelector": SELECTOR,
    "objectSelector": SELECTOR,
    "rules": [{"operations": [STR], "apiGroups": [STR], "apiVersions": [STR], "resources": [STR], "scope": STR}],
    "failurePolicy": STR,
    "sideEffects": STR,
    "timeoutSeconds": INT,
    "reinvocationPolicy": STR,
    "matchConditions": [MAP],
}
RBAC_RULE: Dict[str, Any] = {"apiGroups": [STR], "resources": [STR], "verbs": [STR], "resourceNames": [STR]}

SHAPES: Dict[str, Dict[str, Any]] = {
    "namespaces": {"metadata": META, "status": {"phase": STR}},
    "pods": {
        "metadata": META,
        "spec": POD_SPEC,
        "status": {
            "phase": STR,
            "reason": STR,
            "conditions": [CONDITION],
            "containerStatuses": [CONTAINER_STATUS],
            "initContainerStatuses": [CONTAINER_STATUS],
        },
    },
    "deployments": WORKLOAD,
    "replicasets": WORKLOAD,
    "statefulsets": WORKLOAD,
    "daemonsets": WORKLOAD,
    "jobs": WORKLOAD,
    "cronjobs": {
        "metadata": META,
        "spec": {"jobTemplate": {"metadata": META, "spec": WORKLOAD_SPEC}},
        "status": {"conditions": [CONDITION], "active": [REF]},
    },
    "events": {"metadata": META, "involvedObject": REF, "reason": STR, "message": STR, "type": STR, "count": INT},
    "mutatingwebhookconfigurations": {"metadata": META, "webhooks": [WEBHOOK]},
    "validatingwebhookconfigurations": {"metadata": META, "webhooks": [WEBHOOK]},
    "services": {"metadata": META, "spec": {"selector": TEXTS, "ports": [MAP], "type": STR}},
    "endpoints": {"metadata": META, "subsets": [{"addresses": [MAP], "notReadyAddresses": [MAP], "ports": [MAP]}]},
    "endpointslices": {"metadata": META, "endpoints": [{"addresses": [STR], "conditions": MAP}], "ports": [MAP]},
    "configmaps": {"metadata": META, "data": TEXTS},
    "secrets": {"metadata": META, "data": TEXTS, "type": STR},
    "networkpolicies": {
        "metadata": META,
        "spec": {
            "podSelector": SELECTOR,
            "policyTypes": [STR],
            "ingress": [{"from": [PEER], "ports": [MAP]}],
            "egress": [{"to": [PEER], "ports": [MAP]}],
        },
    },
    "resourcequotas": {"metadata": META, "spec": {"hard": STRINGS}, "status": {"hard": STRINGS, "used": STRINGS}},
    "limitranges": {"metadata": META, "spec": {"limits": [MAP]}},
    "nodes": {
        "metadata": META,
        "spec": {"providerID": STR, "podCIDR": STR, "podCIDRs": [STR]},
        "status": {"nodeInfo": TEXTS, "addresses": [{"type": STR, "address": STR}]},
    },
    "roles": {"metadata": META, "rules": [RBAC_RULE]},
    "clusterroles": {"metadata": META, "rules": [RBAC_RULE], "aggregationRule": MAP},
    "rolebindings": {"metadata": META, "roleRef": REF, "subjects": [REF]},
    "clusterrolebindings": {"metadata": META, "roleRef": REF, "subjects": [REF]},
}


class ShapeError(InputError):
    """A field of the wrong type; the message names the object and the field (and, offline, the file
    and document)."""


def type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string %r" % (value if len(value) <= 40 else value[:40] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a %s" % type(value).__name__


def _leaf_name(shape: Any) -> str:
    return MAP if isinstance(shape, dict) else LIST if isinstance(shape, list) else shape


def _field(link: Any) -> str:
    """The dotted field path of a stack entry's (parent, key) chain, built only for the message."""
    parts: List[str] = []
    while link is not None:
        link, key = link
        parts.append("[%d]" % key if isinstance(key, int) else ("[%r]" % key if not isinstance(key, str) else key))
    text = ""
    for part in reversed(parts):
        text += part if part.startswith("[") or not text else "." + part
    return text


def _problem(value: Any, shape: Any, path: str) -> Optional[Tuple[str, str, Any]]:
    """(field, expected, value) of the first misfit of `value` against `shape`, or None. Iterative
    (a document nested a hundred thousand levels deep must not exhaust the stack), and the field
    path is kept as a (parent, key) chain so the common case (no misfit) formats no strings:
    checking every object of a 50,000-pod cluster is part of loading it."""
    stack: List[Tuple[Any, Any, Any]] = [(value, shape, (None, path) if path else None)]
    pop, push = stack.pop, stack.append
    while stack:
        item, want, link = pop()
        if item is None:
            continue
        if want.__class__ is dict:
            if item.__class__ is not dict and not isinstance(item, dict):
                return _field(link), MAP, item
            for key, sub in want.items():
                if key in item:
                    push((item[key], sub, (link, key)))
        elif want.__class__ is list:
            if item.__class__ is not list and not isinstance(item, list):
                return _field(link), LIST, item
            element_shape = want[0]
            for index, element in enumerate(item):
                if element is None:  # a null list element is never what the API sends
                    return _field((link, index)), _leaf_name(element_shape), element
                push((element, element_shape, (link, index)))
        elif want is STR:
            if not isinstance(item, str):
                return _field(link), STR, item
        elif want is INT:
            if not isinstance(item, int) or isinstance(item, bool):
                return _field(link), INT, item
        elif want is SCALAR:
            if not isinstance(item, _SCALARS):
                return _field(link), SCALAR, item
        elif want is MAP:
            if not isinstance(item, dict):
                return _field(link), MAP, item
        elif want is LIST:
            if not isinstance(item, list):
                return _field(link), LIST, item
        else:  # STRINGS or TEXTS
            if not isinstance(item, dict):
                return _field(link), want, item
            kinds = str if want is TEXTS else _SCALARS
            for key, sub in item.items():
                if not isinstance(key, str):
                    return "%s[%r]" % (_field(link), key), "a string key", key
                if sub is not None and not isinstance(sub, kinds):
                    return "%s[%r]" % (_field(link), key), STR if want is TEXTS else SCALAR, sub
    return None


def describe(resource: str, obj: Any) -> str:
    """`Kind namespace/name` of a raw object, as far as its metadata can be trusted."""
    kind = snap.RESOURCES[resource].kind if resource in snap.RESOURCES else resource
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict):
        return "%s (no readable metadata)" % kind
    name = meta.get("name") if isinstance(meta.get("name"), str) else "?"
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
    return "%s %s" % (kind, "%s/%s" % (namespace, name) if namespace else name)


def check(resource: str, obj: Any, where: str = "") -> None:
    """Raise ShapeError when a field `resource`'s stages read has the wrong type. `where` (a file and
    document, or a live request) starts the message."""
    if not isinstance(obj, dict):
        raise ShapeError(
            "%s%s: the object is %s, not a mapping" % (where + ": " if where else "", resource, type_name(obj))
        )
    found = _problem(obj, SHAPES.get(resource, {"metadata": META}), "")
    if found is None:
        return
    field, expected, value = found
    article = "" if expected.startswith("a ") else ("an " if expected[0] in "aeiou" else "a ")
    raise ShapeError(
        "%s%s: field %s must be %s%s, got %s"
        % (where + ": " if where else "", describe(resource, obj), field, article, expected, type_name(value))
    )


def check_snapshot(snapshot: Any, where: str) -> None:
    """The structure of a saved snapshot (a bundle) and the shape of every object in it."""
    if not isinstance(snapshot, dict):
        raise ShapeError("%s: the snapshot is %s, not a mapping" % (where, type_name(snapshot)))
    for key, expected in (("resources", dict), ("gaps", list), ("cluster", dict), ("version", dict)):
        value = snapshot.get(key)
        if value is not None and not isinstance(value, expected):
            raise ShapeError(
                "%s: field %s must be a %s, got %s"
                % (where, key, "mapping" if expected is dict else "list", type_name(value))
            )
    for resource, items in (snapshot.get("resources") or {}).items():
        if resource not in snap.RESOURCES:
            continue
        if not isinstance(items, list):
            raise ShapeError("%s: resources.%s must be a list, got %s" % (where, resource, type_name(items)))
        for index, item in enumerate(items):
            check(resource, item, "%s: resources.%s[%d]" % (where, resource, index))
    for index, entry in enumerate(snapshot.get("gaps") or []):
        if not isinstance(entry, dict):
            raise ShapeError("%s: gaps[%d] must be a mapping, got %s" % (where, index, type_name(entry)))
