from __future__ import annotations

from decimal import Decimal

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import quantities as q


@pytest.mark.parametrize(
    "text, expected",
    [
        ("100m", Decimal("0.1")),
        ("2", Decimal(2)),
        ("2000m", Decimal(2)),
        ("0.5", Decimal("0.5")),
        (".5", Decimal("0.5")),
        ("1Ki", Decimal(1024)),
        ("128Mi", Decimal(128 * 2**20)),
        ("1Gi", Decimal(2**30)),
        ("1k", Decimal(1000)),
        ("1M", Decimal(10**6)),
        ("1G", Decimal(10**9)),
        ("1e3", Decimal(1000)),
        ("1.5E2", Decimal(150)),
        ("5e-1", Decimal("0.5")),
        ("250u", Decimal("0.00025")),
        ("10n", Decimal("0.00000001")),
        ("+1", Decimal(1)),
        (3, Decimal(3)),
    ],
)
def test_parse_quantity(text, expected):
    assert q.parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["1K", "1mi", "abc", "1.2.3", "", "1 Gi", "Gi", "1KiB", True])
def test_parse_quantity_rejects(text):
    with pytest.raises(q.QuantityError):
        q.parse_quantity(text)


def test_try_parse_unset_and_invalid():
    assert q.try_parse("") is None
    assert q.try_parse(None) is None
    assert q.try_parse("bogus") is None
    assert q.try_parse("20Mi") == Decimal(20 * 2**20)


def test_exact_arithmetic():
    assert q.parse_quantity("100m") + q.parse_quantity("200m") == q.parse_quantity("300m")


@pytest.mark.parametrize(
    "value, text", [(Decimal(2), "2"), (Decimal("0.1"), "100m"), (Decimal("1.5"), "1500m"), (Decimal(0), "0")]
)
def test_format_cpu(value, text):
    assert q.format_cpu(value) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (Decimal(2**30), "1Gi"),
        (Decimal(128 * 2**20), "128Mi"),
        (Decimal(1000), "1000"),
        (Decimal(3072), "3Ki"),
        (Decimal(1536), "1536"),
    ],
)
def test_format_memory(value, text):
    assert q.format_memory(value) == text


def test_format_resource_and_kind():
    assert q.resource_kind("limits.cpu") == "cpu"
    assert q.resource_kind("requests.memory") == "memory"
    assert q.resource_kind("memory") == "memory"
    assert q.format_resource("requests.cpu", Decimal("0.25")) == "250m"
    assert q.format_resource("limits.memory", Decimal(2**20)) == "1Mi"


def test_resource_list_skips_empty():
    assert q.resource_list({"cpu": "100m", "memory": "", "bad": "x"}) == {"cpu": Decimal("0.1")}
    assert q.total([Decimal(1), None, Decimal("0.5")]) == Decimal("1.5")
