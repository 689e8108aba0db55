# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity) as exact Decimals.

Used for ResourceQuota headroom and LimitRange checks against the sidecar's requests/limits.
Grammar (resource.ParseQuantity): an optional sign, a decimal number, then either a binary SI
suffix (Ki Mi Gi Ti Pi Ei), a decimal SI suffix (n u m "" k M G T P E) or a decimal exponent
(e3, E-2). `1Gi` = 1073741824, `100m` = 0.1, `1e3` = 1000, `1k` = 1000 (lower-case k only).
Values stay Decimal so comparisons are exact (0.1 + 0.2 == 0.3 for CPUs).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Iterable, Optional

BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
DECIMAL_SUFFIXES = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}

_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|(?P<exp>[eE][+-]?\d+)|(?P<decimal>[numkMGTPE]?))$"
)


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity."""


def parse_quantity(value: Any) -> Decimal:
    """A quantity as an exact Decimal in base units (cores, bytes). Raises QuantityError."""
    if isinstance(value, bool):
        raise QuantityError("%r is not a quantity" % (value,))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    match = _QUANTITY.match(text)
    if not match:
        raise QuantityError("%r is not a valid Kubernetes quantity" % (value,))
    try:
        number = Decimal(match.group("number"))
    except InvalidOperation:  # pragma: no cover - the regex only admits decimals
        raise QuantityError("%r is not a valid Kubernetes quantity" % (value,)) from None
    if match.group("binary"):
        return number * BINARY_SUFFIXES[match.group("binary")]
    if match.group("exp"):
        return number.scaleb(int(match.group("exp")[1:]))
    return number * DECIMAL_SUFFIXES[match.group("decimal") or ""]


def try_parse(value: Any) -> Optional[Decimal]:
    """parse_quantity, or None for missing/empty/invalid values (Linkerd uses "" for unset)."""
    if value is None or value == "":
        return None
    try:
        return parse_quantity(value)
    except QuantityError:
        return None


def format_cpu(value: Decimal) -> str:
    """Cores as kubectl shows them: whole cores as "2", otherwise millicores "150m"."""
    if value == value.to_integral_value():
        return str(int(value))
    millis = (value * 1000).quantize(Decimal(1))
    return "%sm" % int(millis)


def format_memory(value: Decimal) -> str:
    """Bytes with the largest exact binary suffix ("128Mi"), else the plain number."""
    if value == 0:
        return "0"
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = BINARY_SUFFIXES[suffix]
        if value % unit == 0:
            return "%d%s" % (int(value / unit), suffix)
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.normalize())


def format_resource(resource: str, value: Decimal) -> str:
    """Format by resource name: cpu-like names in cores, everything else as memory/bytes."""
    return format_cpu(value) if resource_kind(resource) == "cpu" else format_memory(value)


def resource_kind(resource: str) -> str:
    """ "cpu", "memory" or "ephemeral-storage" for names like requests.cpu, limits.memory, cpu."""
    base = resource.split(".", 1)[1] if resource.startswith(("requests.", "limits.")) else resource
    return base


def total(values: Iterable[Optional[Decimal]]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


def resource_list(obj: Optional[Dict[str, Any]]) -> Dict[str, Decimal]:
    """A ResourceList ({"cpu": "100m"}) parsed; invalid or empty entries are left out."""
    parsed = {}
    for key, raw in (obj or {}).items():
        value = try_parse(raw)
        if value is not None:
            parsed[key] = value
    return parsed
