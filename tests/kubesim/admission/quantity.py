"""Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource) with exact arithmetic.

Admission messages print quantities in their canonical form ("2000m" -> "2", "1024Mi" -> "1Gi",
"1000" in binary format -> "1k"), so LimitRanger and ResourceQuota need the same rules to produce
the same strings as kube-apiserver.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {v: k for k, v in _DECIMAL.items()}
_BINARY_BY_EXP = {v: k for k, v in _BINARY.items()}
_RE = re.compile(r"^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")


class QuantityError(ValueError):
    pass


@dataclass(frozen=True)
class Quantity:
    value: Fraction
    format: str = DECIMAL_SI

    @classmethod
    def parse(cls, raw: Any) -> Quantity:
        if isinstance(raw, Quantity):
            return raw
        if isinstance(raw, bool):
            raise QuantityError(f"quantities must be numbers or strings, got {raw!r}")
        if isinstance(raw, int):
            return cls(Fraction(raw), DECIMAL_SI)
        if isinstance(raw, float):
            return cls(Fraction(str(raw)), DECIMAL_SI)
        match = _RE.match(str(raw).strip())
        if not match:
            raise QuantityError(
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            )
        number, suffix = Fraction(match.group(1)), match.group(2) or ""
        if suffix in _BINARY:
            return cls(number * 1024 ** _BINARY[suffix], BINARY_SI)
        if suffix[:1] in ("e", "E"):
            return cls(number * Fraction(10) ** int(suffix[1:]), DECIMAL_EXPONENT)
        return cls(number * Fraction(10) ** _DECIMAL[suffix], DECIMAL_SI)

    @classmethod
    def zero(cls) -> Quantity:
        return cls(Fraction(0), DECIMAL_SI)

    def __add__(self, other: Quantity) -> Quantity:
        # resource.Quantity.Add keeps the receiver's format unless the receiver is zero.
        fmt = other.format if self.value == 0 else self.format
        return Quantity(self.value + other.value, fmt)

    def __sub__(self, other: Quantity) -> Quantity:
        fmt = other.format if self.value == 0 else self.format
        return Quantity(self.value - other.value, fmt)

    def cmp(self, other: Quantity) -> int:
        return (self.value > other.value) - (self.value < other.value)

    def milli_value(self) -> int:
        # MilliValue rounds up, like the Go implementation.
        return math.ceil(self.value * 1000)

    def int_value(self) -> int:
        return math.ceil(self.value)

    def __str__(self) -> str:
        return format_quantity(self)


def _decimal_parts(value: Fraction) -> tuple[int, int]:
    """Mantissa and base-10 exponent (a multiple of 3), values finer than 1n rounded up."""
    nanos = math.ceil(abs(value) * 10**9)
    sign = -1 if value < 0 else 1
    mantissa, exponent = nanos, -9
    while mantissa and mantissa % 1000 == 0 and exponent < 18:
        mantissa //= 1000
        exponent += 3
    return sign * mantissa, exponent


def format_quantity(q: Quantity) -> str:
    value = q.value
    if value == 0:
        return "0"
    fmt = q.format
    if fmt == BINARY_SI and (-1024 < value < 1024 or value.denominator != 1):
        # Small or fractional binary values print in decimal form ("1000" Bi -> "1k").
        fmt = DECIMAL_SI
    if fmt == BINARY_SI:
        amount, exponent = int(value), 0
        while amount % 1024 == 0 and exponent < 6:
            amount //= 1024
            exponent += 1
        return f"{amount}{_BINARY_BY_EXP.get(exponent, '')}"
    mantissa, exponent = _decimal_parts(value)
    if fmt == DECIMAL_EXPONENT:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    return f"{mantissa}{_DECIMAL_BY_EXP[exponent]}"


def canonical(raw: Any) -> Any:
    """Canonical string for a quantity, or the input unchanged when it does not parse."""
    try:
        return format_quantity(Quantity.parse(raw))
    except QuantityError:
        return raw


ResourceList = dict[str, Quantity]


def parse_list(raw: Any) -> ResourceList:
    out: ResourceList = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            try:
                out[str(key)] = Quantity.parse(value)
            except QuantityError:
                continue
    return out


def add_lists(a: ResourceList, b: ResourceList) -> ResourceList:
    """quota.Add: keys of a (in order) summed with b, then keys only in b."""
    out = {k: (v + b[k] if k in b else v) for k, v in a.items()}
    for k, v in b.items():
        if k not in out:
            out[k] = v
    return out


def max_lists(a: ResourceList, b: ResourceList) -> ResourceList:
    out = dict(a)
    for k, v in b.items():
        if k not in out or v.cmp(out[k]) > 0:
            out[k] = v
    return out


def pretty(items: ResourceList) -> str:
    """quota prettyPrint: sorted key=value joined by commas."""
    return ",".join(f"{k}={items[k]}" for k in sorted(items))
