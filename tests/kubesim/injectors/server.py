"""A small HTTPS admission server with the faults tests need.

Plain asyncio streams with TLS started per connection (StreamWriter.start_tls) instead of aiohttp, so a
connection can also be dropped before the handshake (EOF), answered in plain HTTP or with bytes that are
not HTTP, and the serving certificate can change between connections (Linkerd's Secret reload, a cert
from another CA) without restarting the listener.

Modes: "normal", "eof" (close before the TLS handshake), "plaintext" (answer in HTTP, not TLS),
"garbage" (TLS, then bytes that are not an HTTP response). Other controls: `delay` seconds before
answering, `deny_message` (answer allowed: false), `stop()`/`start()` (connection refused while stopped;
the port is kept).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("kubesim.injectors")


class _QuietTLSStreams(logging.Filter):
    """asyncio warns on every TLS stream closed by the peer after start_tls; that is expected here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "eof_received() has no effect when using ssl" not in record.getMessage()


logging.getLogger("asyncio").addFilter(_QuietTLSStreams())

Handler = Callable[[dict, str], Awaitable[dict]]
ContextSource = Callable[[], Awaitable[ssl.SSLContext]]

MODES = ("normal", "eof", "plaintext", "garbage")


def response_for(
    review: dict,
    *,
    allowed: bool = True,
    patch: bytes | None = None,
    message: str | None = None,
    code: int | None = None,
    warnings: list[str] | None = None,
) -> dict:
    """An AdmissionReview response in the request's apiVersion, with the request's uid."""
    request = review.get("request") or {}
    response: dict[str, Any] = {"uid": request.get("uid", ""), "allowed": allowed}
    if patch:
        response["patch"] = base64.b64encode(patch).decode()
        response["patchType"] = "JSONPatch"
    if not allowed:
        status: dict[str, Any] = {"message": message or ""}
        if code:
            status["code"] = code
        response["status"] = status
    if warnings:
        response["warnings"] = warnings
    return {
        "kind": "AdmissionReview",
        "apiVersion": review.get("apiVersion") or "admission.k8s.io/v1",
        "response": response,
    }


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    line = await reader.readline()
    if not line:
        return None
    method, _, rest = line.decode("latin-1").partition(" ")
    path = rest.rsplit(" ", 1)[0]
    length = 0
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        key, _, value = header.decode("latin-1").partition(":")
        if key.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return method, path, body


def _http(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("latin-1") + body


class AdmissionServer:
    def __init__(
        self, name: str, handler: Handler, context_source: ContextSource, host: str = "127.0.0.1", port: int = 0
    ):
        self.name = name
        self.handler = handler
        self.context_source = context_source
        self.host = host
        self.port = port
        self.mode = "normal"
        self.delay = 0.0
        self.deny_message: str | None = None
        self.requests: list[dict] = []
        self._server: asyncio.AbstractServer | None = None
        self._active: set[asyncio.Task] = set()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._connection, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening (connection refused), keeping the port for start()."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)
            self._server = None

    async def close(self) -> None:
        """Stop listening and drop the connections still being answered (e.g. a slow answer)."""
        await self.stop()
        for task in list(self._active):
            task.cancel()
        if self._active:
            await asyncio.wait(list(self._active), timeout=1)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            pass
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, OSError) as exc:
            log.debug("%s: connection ended: %s", self.name, exc)
        except Exception:  # a handler bug must not kill the server; kube-apiserver just sees EOF
            log.exception("%s: handler failed", self.name)
        finally:
            self._active.discard(task)
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(writer.wait_closed(), 0.5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.mode
        if mode == "eof":
            return
        if mode == "plaintext":
            await reader.read(1)
            writer.write(_http("400 Bad Request", b"Client sent an HTTP request to an HTTPS server.\n", "text/plain"))
            await writer.drain()
            return
        await writer.start_tls(await self.context_source())
        if mode == "garbage":
            writer.write(b"garbage\r\n\r\n")
            await writer.drain()
            return
        request = await _read_request(reader)
        if request is None:
            return
        _method, path, body = request
        if self.delay:
            await asyncio.sleep(self.delay)
        try:
            review = json.loads(body or b"{}")
        except ValueError:
            writer.write(_http("400 Bad Request", b"invalid JSON", "text/plain"))
            await writer.drain()
            return
        self.requests.append(review)
        if self.deny_message is not None:
            answer = response_for(review, allowed=False, message=self.deny_message)
        else:
            answer = await self.handler(review, path)
        writer.write(_http("200 OK", json.dumps(answer).encode()))
        await writer.drain()
