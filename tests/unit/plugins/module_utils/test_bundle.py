# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bundle.py: round trip, change detection, check mode, atomic 0600 writes, damaged files."""

from __future__ import annotations

import copy
import gzip
import json
import os
import stat

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle


def sample():
    s = snap.empty(name="prod", source="live")
    s["cluster"]["server"] = "https://10.0.0.1:6443"
    s["version"] = {"gitVersion": "v1.31.4", "major": "1", "minor": "31"}
    s["gathered_at"] = "2026-11-26T03:41:43Z"
    s["requests"] = 31
    s["resources"] = {
        "namespaces": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"é": "ü"}}}],
        "pods": [],
    }
    s["gaps"] = [{"resource": "secrets", "reason": "forbidden", "message": "no", "checks": ["SI404"]}]
    return s


def test_round_trip_is_identical(tmp_path):
    dest = str(tmp_path / "b.json.gz")
    result = bundle.write(dest, sample())
    assert result["changed"] is True and result["written"] is True
    assert result["size"] == os.path.getsize(dest)
    assert bundle.read(dest) == sample()
    assert bundle.is_bundle(dest)


def test_file_layout_is_a_header_line_then_the_body(tmp_path):
    dest = str(tmp_path / "b.json.gz")
    bundle.write(dest, sample())
    with gzip.open(dest, "rb") as handle:
        header = json.loads(handle.readline())
        body = json.loads(handle.readline())
    assert header["format"] == "meshops.sidecar_injection/snapshot-bundle"
    assert header["format_version"] == 1 and header["schema"] == 1
    assert header["gathered_at"] == "2026-11-26T03:41:43Z" and header["requests"] == 31
    assert "gathered_at" not in body and "requests" not in body


def test_mode_is_0600_and_no_temporary_file_is_left(tmp_path):
    dest = tmp_path / "b.json.gz"
    dest.write_text("old")
    os.chmod(str(dest), 0o644)
    bundle.write(str(dest), sample())
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o600
    assert sorted(os.listdir(str(tmp_path))) == ["b.json.gz"]


def test_same_content_is_unchanged_even_when_time_and_requests_differ(tmp_path):
    dest = str(tmp_path / "b.json.gz")
    bundle.write(dest, sample())
    before = os.stat(dest).st_mtime_ns
    later = sample()
    later["gathered_at"], later["requests"] = "2026-11-27T00:00:00Z", 40
    result = bundle.write(dest, later)
    assert result["changed"] is False and result["written"] is False
    assert os.stat(dest).st_mtime_ns == before
    assert bundle.read(dest)["gathered_at"] == "2026-11-26T03:41:43Z"


def test_different_content_is_changed(tmp_path):
    dest = str(tmp_path / "b.json.gz")
    bundle.write(dest, sample())
    other = sample()
    other["resources"]["pods"].append(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}}
    )
    assert bundle.write(dest, other)["changed"] is True
    assert bundle.read(dest) == other


def test_equal_content_gives_equal_bytes_whatever_the_key_order(tmp_path):
    a, b = str(tmp_path / "a.gz"), str(tmp_path / "b.gz")
    bundle.write(a, sample())
    reordered = sample()
    reordered["resources"] = dict(reversed(list(reordered["resources"].items())))
    bundle.write(b, reordered)
    with open(a, "rb") as fa, open(b, "rb") as fb:
        assert fa.read() == fb.read()


def test_check_mode_writes_nothing(tmp_path):
    dest = str(tmp_path / "b.json.gz")
    result = bundle.write(dest, sample(), check_mode=True)
    assert result["changed"] is True and result["written"] is False
    assert not os.path.exists(dest)
    assert os.listdir(str(tmp_path)) == []
    bundle.write(dest, sample())
    assert bundle.write(dest, sample(), check_mode=True)["changed"] is False


def test_missing_directory_and_directory_dest(tmp_path):
    with pytest.raises(bundle.BundleError) as missing:
        bundle.write(str(tmp_path / "nope" / "b.gz"), sample())
    assert str(missing.value) == "dest %s: directory %s does not exist" % (
        tmp_path / "nope" / "b.gz",
        tmp_path / "nope",
    )
    with pytest.raises(bundle.BundleError) as isdir:
        bundle.write(str(tmp_path), sample())
    assert str(isdir.value).startswith("dest %s is a directory" % tmp_path)


def test_damaged_bundles_fail_with_the_path(tmp_path):
    dest = str(tmp_path / "b.json.gz")
    bundle.write(dest, sample())
    with open(dest, "rb") as handle:
        data = handle.read()
    truncated = str(tmp_path / "t.gz")
    with open(truncated, "wb") as handle:
        handle.write(data[: len(data) // 2])
    with pytest.raises(bundle.BundleError) as exc:
        bundle.read(truncated)
    assert str(exc.value).startswith(truncated + ": ")

    edited = str(tmp_path / "e.gz")
    with gzip.open(dest, "rb") as handle:
        header, body = handle.readline(), handle.read()
    with gzip.open(edited, "wb") as handle:
        handle.write(header + body.replace(b'"shop"', b'"shoq"'))
    with pytest.raises(bundle.BundleError) as exc:
        bundle.read(edited)
    assert str(exc.value) == edited + ": content does not match its checksum (truncated or edited bundle)"


def test_foreign_gzip_files_are_not_bundles(tmp_path):
    path = str(tmp_path / "logs.gz")
    with gzip.open(path, "wb") as handle:
        handle.write(b"just a log line\n")
    assert bundle.is_bundle(path) is False
    with pytest.raises(bundle.BundleError) as exc:
        bundle.read(path)
    assert str(exc.value).startswith(path + ": not a readable snapshot bundle")


def test_other_schema_is_refused(tmp_path):
    dest = str(tmp_path / "b.json.gz")
    header, body = bundle.encode(sample())
    header["schema"] = 2
    with gzip.open(dest, "wb") as handle:
        handle.write(json.dumps(header).encode() + b"\n" + body + b"\n")
    with pytest.raises(bundle.BundleError) as exc:
        bundle.read(dest)
    assert str(exc.value) == "%s: bundle format 1 schema 2; this collection reads format 1 schema 1" % dest


def test_write_does_not_modify_the_snapshot(tmp_path):
    s = sample()
    before = copy.deepcopy(s)
    bundle.write(str(tmp_path / "b.gz"), s)
    assert s == before


def big_sample():
    s = sample()
    s["resources"]["pods"] = [
        {"metadata": {"name": "p%04d" % i, "namespace": "shop", "labels": {"z": "1", "a": "\u2603"}}, "spec": {}}
        for i in range(3000)
    ]
    return s


def test_streamed_body_is_the_canonical_json(tmp_path):
    """write() streams the body piece by piece (never the whole document in memory); the bytes are
    exactly the one-shot canonical encoding, and the digest is the sha256 of them."""
    dest = str(tmp_path / "b.json.gz")
    snapshot = big_sample()
    result = bundle.write(dest, snapshot)
    with gzip.open(dest, "rb") as handle:
        lines = handle.read().split(b"\n")
    stable = {k: v for k, v in snapshot.items() if k not in bundle.VOLATILE}
    canonical = json.dumps(stable, sort_keys=True, separators=(",", ":")).encode("utf-8")
    assert len(lines) == 3 and lines[2] == b""
    assert lines[1] == canonical
    assert json.loads(lines[0])["content_sha256"] == result["content_sha256"] == bundle.digest(snapshot)
    assert bundle.encode(snapshot) == (json.loads(lines[0]), canonical)
    assert bundle.read(dest) == snapshot


def test_check_mode_size_is_the_size_written(tmp_path):
    dest = str(tmp_path / "b.json.gz")
    planned = bundle.write(dest, big_sample(), check_mode=True)
    assert planned["changed"] is True and planned["written"] is False and not os.path.exists(dest)
    written = bundle.write(dest, big_sample())
    assert written["size"] == planned["size"] == os.path.getsize(dest)
