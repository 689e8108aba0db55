# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reduce a Secret to its public certificates the moment it is read.

The certificate checks (SI404-SI407) need the injector's serving certificate and the mesh CA /
trust anchor / issuer certificates, never a private key. `reduce_secret` keeps only PEM
`CERTIFICATE` blocks, found by an exact pattern whose body may hold nothing but base64 characters,
so no other PEM type (any `... PRIVATE KEY`) and no non-PEM data can pass. Everything else in the
Secret (other data keys, stringData, annotations, which may hold a last-applied copy of the data)
is dropped, so private keys never reach a snapshot, a bundle, a module result or a log.

Result::

    {"apiVersion": "v1", "kind": "Secret",
     "metadata": {name, namespace, uid, resourceVersion, creationTimestamp, labels},
     "type": "kubernetes.io/tls",
     "certificates": {"tls.crt": "-----BEGIN CERTIFICATE-----\\n...\\n-----END CERTIFICATE-----\\n"}}

A data key appears under `certificates` only if it holds at least one certificate.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Dict, List

_CERT_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----[ \t]*\r?\n([A-Za-z0-9+/=\r\n \t]+?)-----END CERTIFICATE-----")
_KEEP_META = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp", "labels")


def certificate_blocks(text: str) -> List[str]:
    """The PEM CERTIFICATE blocks in `text`, normalised to '\\n' line endings."""
    blocks = []
    for match in _CERT_BLOCK.finditer(text):
        body = "".join(match.group(1).split())
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        blocks.append("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(lines))
    return blocks


def _decode(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        raw = base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("ascii", "ignore")


def reduce_secret(obj: Dict[str, Any]) -> Dict[str, Any]:
    """The public part of a Secret (see the module docstring). Idempotent on its own output."""
    meta = obj.get("metadata") or {}
    certificates: Dict[str, str] = {}
    sources = []  # (key, text)
    for key, value in sorted((obj.get("data") or {}).items()):
        sources.append((key, _decode(value)))
    for key, value in sorted((obj.get("stringData") or {}).items()):
        sources.append((key, value if isinstance(value, str) else ""))
    for key, value in sorted((obj.get("certificates") or {}).items()):
        sources.append((key, value if isinstance(value, str) else ""))
    for key, text in sources:
        blocks = certificate_blocks(text)
        if blocks:
            certificates[key] = "".join(blocks)
    out: Dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {k: meta[k] for k in _KEEP_META if meta.get(k) is not None},
    }
    if obj.get("type") is not None:
        out["type"] = obj["type"]
    out["certificates"] = certificates
    return out
