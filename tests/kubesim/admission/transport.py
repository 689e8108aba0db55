"""One HTTPS POST to a webhook, failing with the texts Go's net/http and crypto/tls produce.

A small HTTP/1.1 client over asyncio streams (rather than aiohttp) so that every failure point is
visible and maps to one Go error: the TCP dial, the TLS handshake, certificate verification (done by
tlsverify against the webhook's caBundle and `<svc>.<ns>.svc`, never by OpenSSL), the response.
The whole call runs under the webhook's timeout, like the request context in kube-apiserver.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from tests.kubesim.admission.resolver import Target
from tests.kubesim.admission.tlsverify import verify_server_certificate

DEADLINE = "context deadline exceeded"


class CallError(Exception):
    """Transport failure; str() is the Go error that follows `Post "<url>": `."""


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _client_context() -> ssl.SSLContext:
    # Verification is done by tlsverify with Go's rules; OpenSSL only does the handshake.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


_CTX = _client_context()


async def _read_response(reader: asyncio.StreamReader) -> Response:
    status_line = await reader.readline()
    if not status_line:
        raise CallError("EOF")
    parts = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        shown = status_line.decode("latin-1").rstrip("\r\n")
        raise CallError(f'net/http: HTTP/1.x transport connection broken: malformed HTTP response "{shown}"')
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if not line:
            raise CallError("unexpected EOF")
        if line in (b"\r\n", b"\n"):
            break
        key, _, value = line.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await reader.read()
    return Response(int(parts[1]), body)


async def _post(
    target: Target, server_name: str, path_query: str, host_header: str, body: bytes, roots: list[x509.Certificate]
) -> Response:
    if target.dropped:
        await asyncio.Event().wait()  # SYNs dropped: only the request deadline ends the call
    if target.real is None:
        raise CallError(f"dial tcp {target.visible}: connect: connection refused")
    try:
        reader, writer = await asyncio.open_connection(*target.real)
    except ConnectionRefusedError:
        raise CallError(f"dial tcp {target.visible}: connect: connection refused") from None
    except OSError as exc:
        raise CallError(f"dial tcp {target.visible}: connect: {exc.strerror or exc}") from None
    try:
        try:
            await writer.start_tls(_CTX, server_hostname=server_name)
        except ssl.SSLError as exc:
            if "WRONG_VERSION_NUMBER" in str(exc) or "record layer failure" in str(exc):
                raise CallError("tls: first record does not look like a TLS handshake") from None
            if isinstance(exc, ssl.SSLEOFError):
                raise CallError("EOF") from None
            raise CallError(f"remote error: tls: {exc.reason or exc}") from None
        except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError, EOFError):
            raise CallError("EOF") from None
        ssl_object = writer.get_extra_info("ssl_object")
        leaf = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        if not leaf:
            raise CallError("tls: server sent no certificate")
        problem = verify_server_certificate(leaf, roots, server_name)
        if problem:
            raise CallError(problem)
        request = (
            f"POST {path_query} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: kube-apiserver-admission\r\n"
            f"Content-Type: application/json\r\nAccept: application/json, */*\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1") + body
        writer.write(request)
        try:
            await writer.drain()
            return await _read_response(reader)
        except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError, ssl.SSLError):
            raise CallError("EOF") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 0.5)


async def post(
    target: Target,
    server_name: str,
    path_query: str,
    host_header: str,
    body: bytes,
    roots: list[x509.Certificate],
    timeout: float,
) -> Response:
    """POST body; raises CallError with Go's wording (deadline -> `context deadline exceeded`)."""
    try:
        return await asyncio.wait_for(_post(target, server_name, path_query, host_header, body, roots), timeout)
    except asyncio.TimeoutError:
        raise CallError(DEADLINE) from None
