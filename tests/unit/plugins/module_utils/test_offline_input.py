# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline input at the boundary: duplicates reported, gzip'd plain dumps read, damaged bundles at
`dest` rewritten, and the limits that hostile_inputs.py does not reach (documents, total bytes)."""

from __future__ import annotations

import gzip
import os

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle, offline
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.limits import (
    InputLimitError,
    Limits,
)

pytest.importorskip("yaml")

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n"
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: %s}}\n"


def test_duplicates_are_warned_with_both_places_and_the_last_copy_kept(tmp_path):
    (tmp_path / "a.yaml").write_text(NAMESPACE % "shop" + "---\n" + POD % "old")
    (tmp_path / "b.yaml").write_text(POD % "new")
    warnings, stats = [], {}
    snapshot = offline.load(str(tmp_path), warn=warnings.append, stats=stats)
    assert warnings == [
        "Pod shop/web appears more than once: %s: document 2, then %s: document 1 (the last copy is used)"
        % (tmp_path / "a.yaml", tmp_path / "b.yaml")
    ]
    assert stats["duplicates"] == 1
    assert [p["metadata"]["labels"] for p in snapshot["resources"]["pods"]] == [{"app": "new"}]


def test_a_gzipped_plain_dump_is_read_by_its_inner_name(tmp_path):
    with gzip.open(str(tmp_path / "pods.yaml.gz"), "wt") as handle:
        handle.write(NAMESPACE % "shop" + "---\n" + POD % "web")
    snapshot = offline.load(str(tmp_path / "pods.yaml.gz"))
    assert [p["metadata"]["name"] for p in snapshot["resources"]["pods"]] == ["web"]
    assert [n["metadata"]["name"] for n in snapshot["resources"]["namespaces"]] == ["shop"]


def test_a_damaged_bundle_at_dest_is_rewritten_not_trusted_by_its_header(tmp_path):
    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "namespaces.yaml").write_text(NAMESPACE % "shop")
    snapshot = offline.load(str(tmp_path / "dump"))
    dest = str(tmp_path / "b.json.gz")
    first = bundle.write(dest, snapshot)
    assert bundle.write(dest, snapshot)["changed"] is False
    with gzip.open(dest, "rb") as handle:
        header, body = handle.readline(), handle.read()
    with gzip.open(dest, "wb") as handle:  # the header intact, the content cut
        handle.write(header + body[: len(body) // 2])
    again = bundle.write(dest, snapshot)
    assert (again["changed"], again["written"]) == (True, True)
    assert bundle.read(dest)["resources"] == snapshot["resources"]
    assert again["content_sha256"] == first["content_sha256"]


def test_too_many_documents_and_too_much_data_are_refused_naming_the_option(tmp_path):
    (tmp_path / "many.yaml").write_text("---\n".join(NAMESPACE % ("ns-%d" % i) for i in range(20)))
    with pytest.raises(InputLimitError) as exc:
        offline.load(str(tmp_path), limits=Limits(max_documents=10))
    assert str(exc.value) == (
        "%s: more than 10 documents and List items in the source (limit max_documents=10; "
        "raise it if the input is trusted)" % (tmp_path / "many.yaml")
    )
    big = "x" * (600 * 1024)
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(NAMESPACE % "shop" + "# " + big + "\n")
    with pytest.raises(InputLimitError) as exc:
        offline.load(str(tmp_path), limits=Limits(max_total_mb=1))
    assert str(exc.value) == (
        "%s: the source holds more than 1 MiB of data (limit max_total_mb=1; raise it if the input is trusted)"
        % (tmp_path / "b.yaml")
    )
    assert os.path.getsize(str(tmp_path / "a.yaml")) < 1024 * 1024


def test_a_fifo_among_manifests_is_refused_without_blocking(tmp_path):
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import source

    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "namespaces.yaml").write_text(NAMESPACE % "shop")
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "pod.yaml").write_text(POD % "web")
    os.mkfifo(str(tmp_path / "manifests" / "x.yaml"))
    with pytest.raises(source.SourceError) as exc:
        source.load({"src": str(tmp_path / "dump"), "manifests": [str(tmp_path / "manifests")]})
    assert str(exc.value) == "%s: a FIFO (named pipe); only regular files are read" % (
        tmp_path / "manifests" / "x.yaml"
    )
    os.unlink(str(tmp_path / "manifests" / "x.yaml"))
    snapshot = source.load({"src": str(tmp_path / "dump"), "manifests": [str(tmp_path / "manifests")]})
    assert [p["metadata"]["name"] for p in snapshot["resources"]["pods"]] == ["web"]
