"""Object-metadata helpers: names, uids, timestamps, hashes and name validation."""

from __future__ import annotations

import itertools
import json
import random
import re
import time
import uuid
from typing import Any

from .errors import invalid
from .resources import ResourceType

# k8s.io/apimachinery/pkg/util/rand alphabet: no vowels, no confusable digits.
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
_rand = random.Random()


def random_suffix(n: int = 5) -> str:
    return "".join(_rand.choice(ALPHANUMS) for _ in range(n))


_UID_PREFIX = str(uuid.uuid4())[:24]
_uid_counter = itertools.count(_rand.getrandbits(32))


def new_uid() -> str:
    """UUID-shaped and unique in this process; much cheaper than uuid4() when seeding 100k objects."""
    return f"{_UID_PREFIX}{next(_uid_counter) & 0xFFFFFFFFFFFF:012x}"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def micro_now() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e6):06d}Z"


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    return "".join(ALPHANUMS[ord(c) % len(ALPHANUMS)] for c in text)


def template_hash(template: dict, collision_count: int = 0) -> str:
    """pod-template-hash / controller-revision-hash: FNV-32a of the template, encoded like upstream
    (the input is our canonical JSON rather than Go's spew dump, so values differ from a real cluster)."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(fnv32a(data)))


_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Kinds whose names must be DNS-1123 labels rather than subdomains.
_LABEL_NAMED = {"v1/namespaces", "v1/services"}
# RBAC names are path segments: anything without '/' or '%' and not '.'/'..'.
_PATH_NAMED = {
    "rbac.authorization.k8s.io/v1/roles",
    "rbac.authorization.k8s.io/v1/rolebindings",
    "rbac.authorization.k8s.io/v1/clusterroles",
    "rbac.authorization.k8s.io/v1/clusterrolebindings",
}


def validate_name(rt: ResourceType, name: str) -> None:
    if rt.storage in _PATH_NAMED:
        bad = name in (".", "..") or "/" in name or "%" in name
        if bad:
            raise invalid(
                rt.kind,
                rt.qualified,
                name,
                [
                    {
                        "reason": "FieldValueInvalid",
                        "field": "metadata.name",
                        "message": f"Invalid value: \"{name}\": may not contain '/'",
                    }
                ],
            )
        return
    if rt.storage in _LABEL_NAMED:
        ok, what, example, regex, limit = (
            _LABEL.match(name),
            "RFC 1123 label",
            "'my-name',  or '123-abc'",
            _LABEL.pattern[1:-1],
            63,
        )
    else:
        ok, what, example, regex, limit = (
            _SUBDOMAIN.match(name),
            "RFC 1123 subdomain",
            "'example.com'",
            _SUBDOMAIN.pattern[1:-1],
            253,
        )
    if ok and len(name) <= limit:
        return
    chars = "'-'" if rt.storage in _LABEL_NAMED else "'-' or '.'"
    message = (
        f'Invalid value: "{name}": a lowercase {what} must consist of lower case alphanumeric characters, '
        f"{chars}, and must start and end with an alphanumeric character (e.g. {example}, regex used for "
        f"validation is '{regex}')"
    )
    if len(name) > limit:
        message = f'Invalid value: "{name}": must be no more than {limit} characters'
    raise invalid(
        rt.kind, rt.qualified, name, [{"reason": "FieldValueInvalid", "field": "metadata.name", "message": message}]
    )


def owner_ref(obj: dict, controller: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def controller_uid(obj: dict) -> str | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref.get("uid")
    return None


def controller_of(obj: dict) -> dict | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None
