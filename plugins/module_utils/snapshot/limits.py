# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input limits of offline snapshots: what a careless or hostile file may cost before it is refused.

Support bundles come from customers, so every byte read from `src` (and `manifests`) is bounded:

  * only regular files are read: `os.stat` (following symlinks) before `open`, so a FIFO named
    `x.yaml` or a symlink to /dev/zero is refused without blocking; the file is then opened with
    O_NONBLOCK and checked again with `fstat` (it cannot be swapped in between);
  * `max_file_mb`: the size of one data file (JSON), and of the content of a gzip'd plain dump;
  * `max_yaml_mb`: the size of one YAML file: parsing YAML costs about a hundred times its size
    in memory (a 50 MB dump took 6.3 GB), JSON about ten, so YAML has the lower limit (a
    `kubectl get -o json` dump, or a bundle, is the way to hand over a large cluster);
  * `max_total_mb`: everything read from one source, gzip content counted expanded;
  * `max_documents`: YAML/JSON documents plus `List` items in one source;
  * `max_yaml_alias_nodes`: the nodes YAML aliases may add to a document when expanded (the
    "billion laughs" bomb: 607 bytes that expand to hundreds of millions of nodes); Kubernetes
    manifests essentially never use aliases, so the default is generous;
  * `max_gzip_ratio` and `max_gzip_mb`: gzip is expanded in chunks and refused as soon as the
    output is more than `max_gzip_ratio` times the input consumed (past the first MiB) or more than
    `max_gzip_mb` in all, so a 3 MB gzip bomb costs a few MiB, not 3 GB.

Every refusal is an `InputLimitError` naming the file, the limit, its value and the option that
raises it. `InputError` is the base of every error an offline input raises (the loader's
`OfflineError`, `BundleError`, `ShapeError`), so callers catch one type.
"""

from __future__ import annotations

import os
import stat
import zlib
from typing import Any, Dict, Mapping, Optional

MIB = 1024 * 1024
_CHUNK = 256 * 1024
# Below this much output no ratio is judged: small files compress unevenly.
_RATIO_FLOOR = MIB

# The option table (module options and role variables share the names, prefixed diagnose_ there).
LIMIT_OPTIONS: Dict[str, Dict[str, Any]] = {
    "max_file_mb": {"type": "int", "default": 256},
    "max_yaml_mb": {"type": "int", "default": 32},
    "max_total_mb": {"type": "int", "default": 1024},
    "max_documents": {"type": "int", "default": 500000},
    "max_yaml_alias_nodes": {"type": "int", "default": 100000},
    "max_gzip_ratio": {"type": "int", "default": 200},
    "max_gzip_mb": {"type": "int", "default": 1024},
}


class InputError(Exception):
    """The base of every error an offline snapshot input raises; the message names the input."""


class InputLimitError(InputError):
    """An input over one of the limits; the message names the file, the limit and its option."""


class Limits(object):
    """The limits of one loading run, and what that run has consumed so far (`total`, `documents`).
    Keyword arguments are the LIMIT_OPTIONS names; unset ones take their default."""

    def __init__(self, **values: int) -> None:
        unknown = sorted(set(values) - set(LIMIT_OPTIONS))
        if unknown:
            raise InputError("unknown input limits: %s" % ", ".join(unknown))
        merged = {name: values.get(name, option["default"]) for name, option in LIMIT_OPTIONS.items()}
        for name, value in merged.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError("%s must be a positive whole number, got %r" % (name, value))
        self.values = merged
        self.max_file = merged["max_file_mb"] * MIB
        self.max_yaml = merged["max_yaml_mb"] * MIB
        self.max_total = merged["max_total_mb"] * MIB
        self.max_documents = merged["max_documents"]
        self.max_alias_nodes = merged["max_yaml_alias_nodes"]
        self.max_gzip_ratio = merged["max_gzip_ratio"]
        self.max_gzip = merged["max_gzip_mb"] * MIB
        self.total = 0
        self.documents = 0

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "Limits":
        """The limits module parameters set (unset or None: the default)."""
        values = {}
        for name, option in LIMIT_OPTIONS.items():
            value = params.get(name)
            values[name] = option["default"] if value is None else value
        return cls(**values)

    def refuse(self, path: str, what: str, option: str) -> InputLimitError:
        return InputLimitError(
            "%s: %s (limit %s=%s; raise it if the input is trusted)" % (path, what, option, self.values[option])
        )

    def consume(self, path: str, size: int) -> None:
        """Count `size` bytes read from `path` against max_total_mb."""
        self.total += size
        if self.total > self.max_total:
            raise self.refuse(
                path, "the source holds more than %d MiB of data" % (self.max_total // MIB), "max_total_mb"
            )

    def count_documents(self, path: str, count: int = 1) -> None:
        self.documents += count
        if self.documents > self.max_documents:
            raise self.refuse(
                path, "more than %d documents and List items in the source" % self.max_documents, "max_documents"
            )


def kind_of_file(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def regular_size(path: str) -> int:
    """The size of `path` if it is (or a symlink resolves to) a regular file; InputError otherwise.
    Never opens the file, so a FIFO cannot block the run."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise InputError("%s: cannot read: %s" % (path, exc.strerror or exc)) from None
    if not stat.S_ISREG(info.st_mode):
        target = os.path.realpath(path)
        shown = path if target == os.path.abspath(path) else "%s (-> %s)" % (path, target)
        raise InputError("%s: %s; only regular files are read" % (shown, kind_of_file(info.st_mode)))
    return info.st_size


def read_regular(path: str, limits: Limits, max_bytes: Optional[int] = None, option: str = "max_file_mb") -> bytes:
    """The bytes of a regular file of at most `max_bytes` (default: max_file_mb), counted against
    max_total_mb. Refused before reading when the size is over the limit."""
    cap = limits.max_file if max_bytes is None else max_bytes
    size = regular_size(path)
    if size > cap:
        raise limits.refuse(path, "%d bytes, larger than %d MiB" % (size, cap // MIB), option)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError("%s: cannot read: %s" % (path, exc.strerror or exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # replaced between stat and open
            raise InputError("%s: not a regular file; only regular files are read" % path)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            # read(n) allocates n bytes up front: ask for the size the file has (one more byte
            # shows a file that grew), never for the cap
            data = handle.read(min(info.st_size, cap) + 1)
    except OSError as exc:
        raise InputError("%s: cannot read: %s" % (path, exc.strerror or exc)) from None
    finally:
        os.close(fd)
    if len(data) > info.st_size:
        raise InputError("%s: the file grew while it was read; read a copy that is not being written" % path)
    limits.consume(path, len(data))
    return data


def gunzip(path: str, raw: bytes, limits: Limits, max_bytes: int, option: str) -> bytes:
    """The content of the gzip data `raw` (read from `path`), expanded in chunks and refused as soon
    as it exceeds `max_bytes` or max_gzip_ratio; counted against max_total_mb."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = []
    produced = 0
    offset = 0
    try:
        while offset < len(raw) or decoder.unconsumed_tail:
            if decoder.unconsumed_tail:
                data = decoder.unconsumed_tail
            else:
                data = raw[offset : offset + _CHUNK]
                offset += len(data)
            piece = decoder.decompress(data, _CHUNK)
            produced += len(piece)
            out.append(piece)
            if produced > max_bytes:
                raise limits.refuse(path, "gzip content larger than %d MiB" % (max_bytes // MIB), option)
            consumed = offset - len(decoder.unconsumed_tail)
            if produced > _RATIO_FLOOR and produced > limits.max_gzip_ratio * max(consumed, 1):
                raise limits.refuse(
                    path,
                    "gzip expands more than %d times (%d bytes from the first %d)"
                    % (limits.max_gzip_ratio, produced, consumed),
                    "max_gzip_ratio",
                )
            if decoder.eof:
                # concatenated gzip members (gzip's own multi-member files) continue after the first
                rest = decoder.unused_data + raw[offset:]
                if not rest.strip(b"\0"):
                    break
                raw, offset = rest, 0
                decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif not data:
                break
    except zlib.error as exc:
        raise InputError("%s: corrupt gzip data: %s" % (path, exc)) from None
    if not decoder.eof:
        raise InputError("%s: truncated gzip data (the file ends inside the compressed stream)" % path)
    limits.consume(path, produced)
    return b"".join(out)
