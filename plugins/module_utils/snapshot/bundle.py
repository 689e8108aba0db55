# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot bundles: one gzip file a support engineer can diagnose without access to the cluster.

Layout (gzip, member mtime 0 so equal content gives equal bytes), two JSON lines::

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
import json
import os
import tempfile
import zlib
from typing import Any, Dict, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import SCHEMA
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import limits as input_limits
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.gather import gc_paused

FORMAT = "meshops.sidecar_injection/snapshot-bundle"
FORMAT_VERSION = 1
VOLATILE = ("gathered_at", "requests")
COMPRESS_LEVEL = 6
_GZIP_MAGIC = b"\x1f\x8b"


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
    alone is not trusted: a file truncated or edited after its first line must be rewritten)."""
    if _header_of(path) is None:
        return None
    try:
        header, body = _split(path, input_limits.Limits())
    except input_limits.InputError:
        return None
    digest = header.get("content_sha256")
    return digest if hashlib.sha256(body.rstrip(b"\n")).hexdigest() == digest else None


def encode(snapshot: Dict[str, Any]) -> Tuple[Dict[str, Any], bytes]:
    """(header, body) for a snapshot; the body is canonical JSON (sorted keys, compact)."""
    stable = {k: v for k, v in snapshot.items() if k not in VOLATILE}
    body = json.dumps(stable, sort_keys=True, separators=(",", ":")).encode("utf-8")
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema": snapshot.get("schema", SCHEMA),
        "content_sha256": hashlib.sha256(body).hexdigest(),
    }
    for key in VOLATILE:
        header[key] = snapshot.get(key)
    return header, body


def write(dest: str, snapshot: Dict[str, Any], check_mode: bool = False) -> Dict[str, Any]:
    """Write `snapshot` to `dest` unless an equal bundle is already there.

    Returns {"path", "changed", "written", "content_sha256", "size"} (size: compressed bytes of
    the file now at `dest`, or that would be written in check mode)."""
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        raise BundleError("dest %s: directory %s does not exist" % (dest, directory))
    if os.path.isdir(dest):
        raise BundleError(
            "dest %s is a directory; give a file name such as %s" % (dest, os.path.join(dest, "snapshot.json.gz"))
        )
    with gc_paused():
        header, body = encode(snapshot)
    existing = _intact_digest(dest) if os.path.isfile(dest) else None
    result = {"path": dest, "content_sha256": header["content_sha256"], "written": False}
    if existing is not None and existing == header["content_sha256"]:
        result.update(changed=False, size=os.path.getsize(dest))
        return result
    payload = gzip.compress(
        json.dumps(header, sort_keys=True).encode("utf-8") + b"\n" + body + b"\n",
        compresslevel=COMPRESS_LEVEL,
        mtime=0,
    )
    result.update(changed=True, size=len(payload))
    if check_mode:
        return result
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(dest), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, dest)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise BundleError("dest %s: cannot write: %s" % (dest, exc.strerror or exc)) from None
    result["written"] = True
    return result


def _split(path: str, limits: input_limits.Limits) -> Tuple[Dict[str, Any], bytes]:
    """(header, body) of the bundle at `path`, read within `limits` (max_gzip_mb, max_gzip_ratio)."""
    try:
        raw = input_limits.read_regular(path, limits, max_bytes=limits.max_gzip, option="max_gzip_mb")
        content = input_limits.gunzip(path, raw, limits, limits.max_gzip, "max_gzip_mb")
    except input_limits.InputLimitError:
        raise
    except input_limits.InputError as exc:  # corrupt or truncated: a damaged bundle
        raise BundleError(str(exc)) from None
    line, _, body = content.partition(b"\n")
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
