"""Response compression like kube-apiserver's APIResponseCompression: only when asked, only above 128 KiB,
and the access log records the body size and the bytes sent."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.kubesim import compression

from .helpers import call

BIG = "x" * (compression.GZIP_THRESHOLD_BYTES + 1000)


@pytest.fixture
def big_configmap(kubesim):
    meta = {"name": "big", "namespace": "default"}
    kubesim.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": BIG}})
    kubesim.clear_requests()
    return "/api/v1/namespaces/default/configmaps/big"


def test_gzip_when_asked_and_large(kubesim, big_configmap):
    reply = call(kubesim, "GET", big_configmap, headers={"Accept-Encoding": "gzip"})
    assert reply.status == 200
    assert reply.headers["content-encoding"] == "gzip"
    assert reply.headers["vary"] == "Accept-Encoding"
    plain = gzip.decompress(reply.body)
    assert json.loads(plain)["data"]["k"] == BIG
    (entry,) = kubesim.requests
    assert entry["bytes"] == len(plain)
    assert entry["wire_bytes"] == len(reply.body)
    assert entry["wire_bytes"] < entry["bytes"] // 50  # one repeated character compresses to almost nothing


def test_no_gzip_unless_asked(kubesim, big_configmap):
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, identity"}):
        reply = call(kubesim, "GET", big_configmap, headers=headers)
        assert reply.status == 200
        assert "content-encoding" not in reply.headers
        assert json.loads(reply.body)["data"]["k"] == BIG
    entries = kubesim.requests
    assert len(entries) == 3
    assert all(e["wire_bytes"] == e["bytes"] > compression.GZIP_THRESHOLD_BYTES for e in entries)


def test_no_gzip_at_or_below_threshold(kubesim):
    reply = call(kubesim, "GET", "/api/v1/namespaces/default", headers={"Accept-Encoding": "gzip, deflate"})
    assert reply.status == 200
    assert "content-encoding" not in reply.headers
    assert json.loads(reply.body)["metadata"]["name"] == "default"
    (entry,) = kubesim.requests
    assert entry["wire_bytes"] == entry["bytes"] == len(reply.body)


def test_error_status_logged_uncompressed(kubesim):
    reply = call(kubesim, "GET", "/api/v1/namespaces/default/configmaps/absent", headers={"Accept-Encoding": "gzip"})
    assert reply.status == 404 and "content-encoding" not in reply.headers
    (entry,) = kubesim.requests
    assert entry["status"] == 404 and entry["wire_bytes"] == entry["bytes"] == len(reply.body)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("gzip", True), ("GZIP", True), ("br, gzip;q=0.5", True), ("gzip;q=0", False), ("deflate", False), (None, False)],
)
def test_accepts_gzip(header, expected):
    assert compression.accepts_gzip(header) is expected


def test_threshold_is_strictly_greater():
    assert not compression.should_compress("gzip", compression.GZIP_THRESHOLD_BYTES)
    assert compression.should_compress("gzip", compression.GZIP_THRESHOLD_BYTES + 1)
