# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot bundles: one gzip file a support engineer can diagnose without access to the cluster.

Layout (gzip, two members with mtime 0 so equal content gives equal bytes), two JSON lines::

    {"format": "meshops.sidecar_injection/snapshot-bundle", "format_version": 1, "schema": 1,
     "content_sha256": "<hex of line 2>", "gathered_at": "...", "requests": 123}
    {<the snapshot without gathered_at and requests, keys sorted, compact>}

`gathered_at` and `requests` live in the header so that the content digest only changes when the
cluster state does: writing a bundle whose digest equals the existing file's leaves the file alone
(`changed: false`), and check mode only reports what would happen. Writes are atomic (temporary
file in the same directory, fsync, rename) and the file is created with mode 0600. A bundle holds
exactly the snapshot, which by construction has no private keys (certificates_reduce.py).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tempfile
import zlib
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import SCHEMA
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import limits as input_limits
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.gather import gc_paused

FORMAT = "meshops.sidecar_injection/snapshot-bundle"
FORMAT_VERSION = 1
VOLATILE = ("gathered_at", "requests")
COMPRESS_LEVEL = 6
_GZIP_MAGIC = b"\x1f\x8b"
_WRITE_BYTES = 1 << 20


class BundleError(input_limits.InputError):
    """A bundle that cannot be read or written; the message names the file."""


def _header_of(path: str) -> Optional[Dict[str, Any]]:
    try:
        input_limits.regular_size(path)  # never open a FIFO or a device
    except input_limits.InputError:
        return None
    try:
        with gzip.open(path, "rb") as handle:
            line = handle.readline(65536)
        header = json.loads(line)
    except (OSError, EOFError, ValueError, zlib.error):
        return None
    if isinstance(header, dict) and header.get("format") == FORMAT:
        return header
    return None


def is_gzip(path: str) -> bool:
    """A regular file that starts with the gzip magic (a FIFO or a device is never opened)."""
    try:
        input_limits.regular_size(path)
        with open(path, "rb") as handle:
            return handle.read(2) == _GZIP_MAGIC
    except (OSError, input_limits.InputError):
        return False


def is_bundle(path: str) -> bool:
    """A gzip file whose first line is a bundle header."""
    return is_gzip(path) and _header_of(path) is not None


def _intact_digest(path: str) -> Optional[str]:
    """The content digest of the bundle at `path` if the whole file checks out against it (a header
    alone is not trusted: a file truncated or edited after its first line must be rewritten). Read
    and hashed in pieces, within the gzip size limit, so checking `dest` costs no snapshot's memory."""
    header = _header_of(path)
    if header is None:
        return None
    limit = input_limits.Limits().max_gzip
    hasher = hashlib.sha256()
    size = 0
    last = b""
    try:
        with gzip.open(path, "rb") as handle:
            handle.readline(65536)  # the header line _header_of read
            while True:
                chunk = handle.read(1 << 20)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    return None
                data = last + chunk
                hasher.update(data[:-1])  # the body's final newline is not part of its digest
                last = data[-1:]
    except (OSError, EOFError, zlib.error):
        return None
    if last != b"\n":
        hasher.update(last)
    digest = header.get("content_sha256")
    return digest if hasher.hexdigest() == digest else None


def _chunks(value: Any, depth: int = 0) -> Iterator[str]:
    """`value` as canonical JSON (sorted keys, compact: exactly json.dumps(value, sort_keys=True,
    separators=(",", ":"))), in pieces of at most one object of a resource list: the snapshot's top two
    levels and its lists are walked here, everything below them is one C-encoder json.dumps call."""
    if depth < 3 and isinstance(value, dict):
        yield "{"
        for index, key in enumerate(sorted(value)):
            yield ("," if index else "") + json.dumps(key) + ":"
            yield from _chunks(value[key], depth + 1)
        yield "}"
    elif depth < 3 and isinstance(value, list):
        yield "["
        for index, item in enumerate(value):
            yield ("," if index else "") + json.dumps(item, sort_keys=True, separators=(",", ":"))
        yield "]"
    else:
        yield json.dumps(value, sort_keys=True, separators=(",", ":"))


def _stable(snapshot: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k not in VOLATILE}


def _header(snapshot: Dict[str, Any], digest: str) -> Dict[str, Any]:
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema": snapshot.get("schema", SCHEMA),
        "content_sha256": digest,
    }
    for key in VOLATILE:
        header[key] = snapshot.get(key)
    return header


def digest(snapshot: Dict[str, Any]) -> str:
    """sha256 of the canonical body, computed piece by piece (the body is never held whole)."""
    hasher = hashlib.sha256()
    for chunk in _chunks(_stable(snapshot)):
        hasher.update(chunk.encode("utf-8"))
    return hasher.hexdigest()


def encode(snapshot: Dict[str, Any]) -> Tuple[Dict[str, Any], bytes]:
    """(header, body) for a snapshot; the body is canonical JSON (sorted keys, compact). Whole, in
    memory: `write` streams the same bytes instead."""
    body = "".join(_chunks(_stable(snapshot))).encode("utf-8")
    return _header(snapshot, hashlib.sha256(body).hexdigest()), body


class _Counter(object):
    """A write-only file that only counts bytes (the compressed size in check mode)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def _gzip_member(handle: Any) -> gzip.GzipFile:
    return gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=COMPRESS_LEVEL, mtime=0)


def _compress_body(handle: Any, snapshot: Dict[str, Any]) -> str:
    """Gzip the canonical body and its newline into `handle` piece by piece; returns its sha256."""
    hasher = hashlib.sha256()
    with _gzip_member(handle) as out:
        pending: List[bytes] = []
        size = 0
        for chunk in _chunks(_stable(snapshot)):
            data = chunk.encode("utf-8")
            hasher.update(data)
            pending.append(data)
            size += len(data)
            if size >= _WRITE_BYTES:  # fewer, larger compressor calls; still a bounded buffer
                out.write(b"".join(pending))
                pending, size = [], 0
        pending.append(b"\n")
        out.write(b"".join(pending))
    return hasher.hexdigest()


def _header_member(header: Dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with _gzip_member(buffer) as out:
        out.write(json.dumps(header, sort_keys=True).encode("utf-8") + b"\n")
    return buffer.getvalue()


def write(dest: str, snapshot: Dict[str, Any], check_mode: bool = False) -> Dict[str, Any]:
    """Write `snapshot` to `dest` unless an equal bundle is already there.

    The body is encoded once, piece by piece, into the compressor and the digest at the same time
    (to a temporary file next to `dest`; in check mode only counted), so neither the body nor the
    compressed file is ever held whole and writing a bundle does not double the memory of a large
    snapshot. The file is two gzip members, the header line then the body (gzip readers read them
    as one stream). An equal bundle already at `dest` is left alone.

    Returns {"path", "changed", "written", "content_sha256", "size"} (size: compressed bytes of
    the file now at `dest`, or that would be written in check mode)."""
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        raise BundleError("dest %s: directory %s does not exist" % (dest, directory))
    if os.path.isdir(dest):
        raise BundleError(
            "dest %s is a directory; give a file name such as %s" % (dest, os.path.join(dest, "snapshot.json.gz"))
        )
    existing = _intact_digest(dest) if os.path.isfile(dest) else None
    temps: List[str] = []
    try:
        if check_mode:
            counter = _Counter()
            with gc_paused():
                content = _compress_body(counter, snapshot)
            body_size = counter.size
        else:
            fd, body_path = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), suffix=".body", dir=directory)
            temps.append(body_path)
            with os.fdopen(fd, "w+b") as body_handle, gc_paused():
                content = _compress_body(body_handle, snapshot)
                body_size = body_handle.tell()
        header = _header(snapshot, content)
        result = {"path": dest, "content_sha256": content, "written": False}
        if existing is not None and existing == content:
            result.update(changed=False, size=os.path.getsize(dest))
            return result
        head = _header_member(header)
        result.update(changed=True, size=len(head) + body_size)
        if check_mode:
            return result
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), suffix=".tmp", dir=directory)
        temps.append(tmp)
        with os.fdopen(fd, "wb") as handle:
            handle.write(head)
            with open(temps[0], "rb") as body_handle:
                shutil.copyfileobj(body_handle, handle, 1 << 20)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, dest)
        result["written"] = True
        return result
    except OSError as exc:
        raise BundleError("dest %s: cannot write: %s" % (dest, exc.strerror or exc)) from None
    finally:
        for path in temps:
            if os.path.exists(path):
                os.unlink(path)


def _split(path: str, limits: input_limits.Limits) -> Tuple[Dict[str, Any], bytes]:
    """(header, body) of the bundle at `path`, read within `limits` (max_gzip_mb, max_gzip_ratio)."""
    try:
        raw = input_limits.read_regular(path, limits, max_bytes=limits.max_gzip, option="max_gzip_mb")
        content = input_limits.gunzip(path, raw, limits, limits.max_gzip, "max_gzip_mb")
    except input_limits.InputLimitError:
        raise
    except input_limits.InputError as exc:  # corrupt or truncated: a damaged bundle
        raise BundleError(str(exc)) from None
    line, _sep, body = content.partition(b"\n")
    try:
        header = json.loads(line)
    except ValueError as exc:
        raise BundleError("%s: not a readable snapshot bundle: %s" % (path, exc)) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BundleError("%s: not a snapshot bundle (no %s header)" % (path, FORMAT))
    return header, body


def read(path: str, limits: Optional[input_limits.Limits] = None) -> Dict[str, Any]:
    """The snapshot saved in a bundle, exactly as it was written; read within `limits`."""
    header, body = _split(path, limits or input_limits.Limits())
    if header.get("format_version") != FORMAT_VERSION or header.get("schema") != SCHEMA:
        raise BundleError(
            "%s: bundle format %s schema %s; this collection reads format %d schema %d"
            % (path, header.get("format_version"), header.get("schema"), FORMAT_VERSION, SCHEMA)
        )
    if hashlib.sha256(body.rstrip(b"\n")).hexdigest() != header.get("content_sha256"):
        raise BundleError("%s: content does not match its checksum (truncated or edited bundle)" % path)
    try:
        with gc_paused():  # a large snapshot is millions of acyclic objects: see gather.gc_paused
            snapshot = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BundleError("%s: the bundle content is not valid JSON: %s" % (path, exc)) from None
    if not isinstance(snapshot, dict):
        raise BundleError("%s: the bundle content is not a snapshot object" % path)
    for key in VOLATILE:
        snapshot[key] = header.get(key)
    return snapshot
