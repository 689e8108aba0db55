"""Response compression the way kube-apiserver does it (the APIResponseCompression feature, on by default).

kube-apiserver (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/writers.go) gzips a response only
when the request's Accept-Encoding names gzip and the body is larger than `defaultGzipThresholdBytes`
(128 KiB), at `defaultGzipContentEncodingLevel` 1 (least CPU, kubernetes/kubernetes#112296); it then sets
`Content-Encoding: gzip` and adds `Vary: Accept-Encoding`. Smaller bodies, and every body a client did not
ask to compress, go out as they are. Watches are streamed and never compressed here.
"""

from __future__ import annotations

import zlib

GZIP_THRESHOLD_BYTES = 128 * 1024
GZIP_LEVEL = 1


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header value asks for gzip (`gzip`, `gzip;q=0.5`; not `gzip;q=0`)."""
    for item in (header or "").split(","):
        token, _, params = item.strip().partition(";")
        if token.strip().lower() != "gzip":
            continue
        quality = params.strip().lower()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def gzip_bytes(body: bytes) -> bytes:
    """A gzip member of `body` at kube-apiserver's level (wbits 31: gzip header and trailer)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    return compressor.compress(body) + compressor.flush()


def should_compress(accept_encoding: str | None, size: int) -> bool:
    return size > GZIP_THRESHOLD_BYTES and accepts_gzip(accept_encoding)
