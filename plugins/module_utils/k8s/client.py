# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Access to the Kubernetes API: raw JSON GETs with bounded, jittered retries, and `send` for the
dry-run probe's writes (the probe decides what it may send; see probe/safety.py).

Authentication is kubernetes.core's own: the same option names, aliases, K8S_AUTH_* environment
variables and precedence (`_create_auth_spec`, `_create_configuration`, `_create_headers`), so a
playbook that already reaches a cluster with kubernetes.core reaches it with this collection. From
that configuration a `kubernetes.client.ApiClient` is built only for its connection pool (TLS, client
certificates, proxy, no_proxy); requests are plain GETs whose bodies are parsed with `json.loads`.
There is no discovery, no DynamicClient and no model objects, which keeps a 50,000-pod LIST cheap.

Failures:
  * connection refused, name resolution, TLS, proxy errors and 401 raise `KubeClientError` at once,
    with one message naming the server URL and the cause (never a token or a stack trace);
  * 429 (honouring a capped Retry-After), 5xx, connection resets and read timeouts are retried by
    the one policy of k8s/retry.py (`retries` times, exponential backoff with jitter, never past the
    per-cluster deadline); a status that still fails is an `ApiError`, a connection that still
    fails an `Unavailable` and a request the deadline no longer allows a `DeadlineExceeded` (both
    ApiErrors with status 0, so the gatherer records that kind as a gap and goes on);
  * every request's timeout is `request_timeout`, shortened to what the deadline leaves;
  * any other HTTP status raises `ApiError` with the API server's Status message; the caller decides
    (403 is a coverage gap, 404 "not there", 410 restarts a paginated list).
"""

from __future__ import annotations

import errno
import json
import os
import threading
import time
import zlib
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlencode

try:
    import urllib3
    from urllib3._collections import HTTPHeaderDict
    from urllib3.exceptions import (
        HTTPError,
        NewConnectionError,
        ProtocolError,
        ProxyError,
        ReadTimeoutError,
        SSLError,
    )

    # urllib3 2.x only; on 1.26 a failed lookup is a plain NewConnectionError.
    NameResolutionError: Any = getattr(urllib3.exceptions, "NameResolutionError", ())
except ImportError:  # reported by the module with missing_required_lib
    urllib3 = None  # type: ignore[assignment]
    HTTPHeaderDict = dict  # type: ignore
    HTTPError = NewConnectionError = ProtocolError = ProxyError = ReadTimeoutError = SSLError = Exception  # type: ignore
    NameResolutionError = ()

# kubernetes.core's option table has no third-party imports: keep it even without the client library,
# so the module still accepts the options and can say which library is missing.
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import fastjson
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import exec_plugin
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.retry import (
    Deadline,
    RetryPolicy,
    parse_retry_after,
    retryable_status,
)

try:
    import kubernetes

    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import (
        _create_auth_spec,
        _create_configuration,
        _create_headers,
    )

    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR: Optional[str] = None
except ImportError as exc:  # reported by the module with missing_required_lib
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = str(exc)

JSON_DECODER = fastjson.NAME  # msgspec when importable (docs/performance.md)
USER_AGENT = "meshops.sidecar_injection/0.1.0"
DEFAULT_REQUEST_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0


class KubeClientError(Exception):
    """The cluster cannot be used at all (unreachable, TLS, bad credentials, bad kubeconfig)."""


class ApiError(Exception):
    """An HTTP error status from the API server, with its Status message."""

    def __init__(self, status: int, reason: str, message: str, path: str) -> None:
        super().__init__("%s %s: %s" % (status, reason, message))
        self.status = status
        self.reason = reason
        self.message = message
        self.path = path


class Unavailable(ApiError):
    """The connection kept failing (reset, read timeout) after the retries: this read, not the cluster."""

    def __init__(self, message: str, path: str, reason: str = "Unavailable") -> None:
        super().__init__(0, reason, message, path)


class DeadlineExceeded(ApiError):
    """The per-cluster deadline ran out before (or while retrying) this request."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(0, "DeadlineExceeded", message, path)


def _status_message(body: bytes, fallback: str) -> Tuple[str, str]:
    """(reason, message) from a metav1.Status body, or the raw text when it is not one."""
    try:
        status = json.loads(body)
    except ValueError:
        status = None
    if isinstance(status, dict) and status.get("message"):
        return status.get("reason") or fallback, status["message"]
    text = body.decode("utf-8", "replace").strip()
    return fallback, text[:300] or fallback


def describe_connection_error(exc: BaseException) -> str:
    """A short cause for a failed connection, without the library's nesting."""
    if isinstance(exc, NameResolutionError) or "Name or service not known" in str(exc):
        return "cannot resolve the host name"
    if isinstance(exc, SSLError):
        return "TLS failure: %s" % (exc.args[0] if exc.args else exc)
    if isinstance(exc, ProxyError):
        return "proxy failure: %s" % (exc.args[0] if exc.args else exc)
    if isinstance(exc, NewConnectionError):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        if "timed out" in str(exc):
            return "connection timed out"
        return "cannot connect: %s" % (cause or exc)
    if isinstance(exc, ReadTimeoutError):
        return "read timed out"
    if isinstance(exc, ProtocolError):
        return "connection reset by the server"
    return str(exc)


def read_body(response: Any) -> Tuple[bytes, int]:
    """(body, bytes on the wire) of a response opened with preload_content=False.

    The request asks for `Accept-Encoding: gzip`; kube-apiserver compresses bodies above 128 KiB (the
    APIResponseCompression feature). The compressed bytes are read as they are, to count them, and
    inflated here (wbits 47: a gzip or zlib header)."""
    headers = getattr(response, "headers", None) or {}
    if (headers.get("Content-Encoding") or "").strip().lower() != "gzip":
        body = response.data
        return body, len(body)
    raw = response.read(decode_content=False)
    try:
        return zlib.decompress(raw, 47), len(raw)
    except zlib.error as exc:
        raise ProtocolError("corrupt gzip body: %s" % exc) from None


class KubeClient(object):
    """GET JSON from one API server. `requests` counts every HTTP request sent (retries included).

    `timeout` is the per-request timeout in seconds (connect at most CONNECT_TIMEOUT of it);
    `deadline` the per-cluster deadline in seconds from the client's creation (None: no deadline)."""

    def __init__(
        self,
        pool: Any,
        host: str,
        headers: Optional[Any] = None,
        auth: Optional[Callable[[], Dict[str, str]]] = None,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        timeout: float = DEFAULT_REQUEST_TIMEOUT,
        deadline: Optional[float] = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Optional[Callable[[str], None]] = None,
        closer: Optional[Callable[[], None]] = None,
    ) -> None:
        self.pool = pool
        self.host = host.rstrip("/")
        self.headers = headers if headers is not None else {}
        self.auth = auth
        self.policy = RetryPolicy(retries=retries, backoff=backoff, max_backoff=max_backoff)
        self.request_timeout = float(timeout)
        self.deadline = Deadline(deadline)
        self.sleep = sleep
        self.log = log or (lambda msg: None)
        self.closer = closer
        self._counting = threading.Lock()  # the probe sends from a thread pool through one client
        self.requests = 0
        self.bytes_received = 0  # bodies as JSON (decompressed)
        self.wire_bytes = 0  # bodies as sent (gzip where the server compressed them)
        self.context: Optional[str] = None  # kubeconfig context, set by client_from_params
        self.sleeps: List[float] = []

    @property
    def retries(self) -> int:
        return self.policy.retries

    def url(self, path: str, params: Optional[Dict[str, Any]] = None) -> str:
        query = urlencode([(k, v) for k, v in (params or {}).items() if v is not None])
        return self.host + path + ("?" + query if query else "")

    def _headers(self) -> Any:
        headers = self.headers.copy()
        if self.auth is not None:
            for key, value in self.auth().items():
                headers[key] = value
        return headers

    def _timeout(self) -> Any:
        seconds = self.deadline.timeout(self.request_timeout)
        if urllib3 is None:  # pragma: no cover - the module reports the missing library first
            return seconds
        return urllib3.Timeout(connect=min(CONNECT_TIMEOUT, seconds), read=seconds, total=seconds)

    def _out_of_time(self, path: str, attempts: int, why: str) -> DeadlineExceeded:
        return DeadlineExceeded(
            "the deadline of %gs for this cluster ran out (GET %s, %d attempt%s%s)"
            % (
                self.deadline.seconds or 0,
                path,
                attempts,
                "" if attempts == 1 else "s",
                ", last: " + why if why else "",
            ),
            path,
        )

    def _count(self, requests: int = 0, received: int = 0, wire: int = 0) -> None:
        with self._counting:
            self.requests += requests
            self.bytes_received += received
            self.wire_bytes += wire

    def get(self, path: str, params: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """GET `path` and return the parsed JSON body; see the module docstring for errors."""
        url = self.url(path, params)
        attempt = 0
        while True:
            if self.deadline.expired():
                raise self._out_of_time(path, attempt, "")
            self._count(requests=1)
            started = time.monotonic()
            try:
                response = self.pool.request(
                    "GET", url, headers=self._headers(), timeout=self._timeout(), retries=False, preload_content=False
                )
                try:
                    body, wire = read_body(response)
                finally:
                    response.release_conn()
            except (ProtocolError, ReadTimeoutError) as exc:
                why = describe_connection_error(exc)
                if self._retry(attempt, None, path, why):
                    attempt += 1
                    continue
                if self.deadline.expired() or attempt < self.policy.retries:
                    raise self._out_of_time(path, attempt + 1, why) from None
                raise Unavailable(
                    "Cannot read from the Kubernetes API server at %s: %s (GET %s, %d attempts)"
                    % (self.host, why, path, attempt + 1),
                    path,
                    reason="Timeout" if isinstance(exc, ReadTimeoutError) else "ConnectionReset",
                ) from None
            except HTTPError as exc:
                if self.deadline.expired():  # a connect cut short by the deadline says nothing about the server
                    raise self._out_of_time(path, attempt + 1, describe_connection_error(exc)) from None
                raise KubeClientError(
                    "Cannot reach the Kubernetes API server at %s: %s" % (self.host, describe_connection_error(exc))
                ) from None
            status = response.status
            self._count(received=len(body), wire=wire)
            self.log("GET %s -> %d (%d bytes, %.3fs)" % (path, status, len(body), time.monotonic() - started))
            if 200 <= status < 300:
                try:
                    return fastjson.loads(body)
                except ValueError as exc:
                    raise ApiError(status, "InvalidJSON", "response is not JSON: %s" % exc, path) from None
            reason, message = _status_message(body, response.reason or str(status))
            if retryable_status(status):
                why = "%d %s" % (status, reason)
                if self._retry(attempt, parse_retry_after(response.headers.get("Retry-After")), path, why):
                    attempt += 1
                    continue
                if attempt < self.policy.retries:  # attempts left, but no time to wait for them
                    raise self._out_of_time(path, attempt + 1, "%s: %s" % (why, message))
            if status == 401:
                raise KubeClientError(
                    "The Kubernetes API server at %s rejected the credentials (401 Unauthorized): %s"
                    % (self.host, message)
                )
            raise ApiError(status, reason, message, path)

    def send(
        self,
        method: str,
        path: str,
        body: Optional[Dict[str, Any]] = None,
        params: Optional[Dict[str, Any]] = None,
        read_timeout: Optional[float] = None,
        content_type: str = "application/json",
        retry_statuses: Tuple[int, ...] = (429,),
    ) -> Dict[str, Any]:
        """A write (POST, PUT, PATCH, DELETE) with a JSON body; returns the parsed answer.

        Unlike `get`, only `retry_statuses` are retried (429; remediation adds 503): a 5xx answer to a
        write is the API server's verdict (a failed webhook call is a 500 InternalError), which the
        caller reads. A connection that fails is a `KubeClientError`, never retried (a write whose answer
        was lost may have been applied: the caller re-reads); so is a read that outlasts `read_timeout`
        (the caller's deadline)."""
        url = self.url(path, params)
        headers = self._headers()
        headers["Content-Type"] = content_type
        payload = json.dumps(body).encode("utf-8") if body is not None else None
        timeout = self._timeout()
        if read_timeout is not None and urllib3 is not None:
            timeout = urllib3.Timeout(connect=min(CONNECT_TIMEOUT, self.request_timeout), read=max(read_timeout, 0.1))
        attempt = 0
        while True:
            self._count(requests=1)
            started = time.monotonic()
            try:
                response = self.pool.request(
                    method, url, body=payload, headers=headers, timeout=timeout, retries=False, preload_content=False
                )
                try:
                    data = response.data
                finally:
                    response.release_conn()
            except HTTPError as exc:
                raise KubeClientError(
                    "%s %s at %s failed: %s" % (method, path, self.host, describe_connection_error(exc))
                ) from None
            status = response.status
            self._count(received=len(data))
            self.log("%s %s -> %d (%d bytes, %.3fs)" % (method, path, status, len(data), time.monotonic() - started))
            if 200 <= status < 300:
                try:
                    return json.loads(data) if data else {}
                except ValueError as exc:
                    raise ApiError(status, "InvalidJSON", "response is not JSON: %s" % exc, path) from None
            reason, message = _status_message(data, response.reason or str(status))
            if status in retry_statuses and self._retry(
                attempt,
                parse_retry_after(response.headers.get("Retry-After")),
                path,
                "%d %s" % (status, reason),
                method,
            ):
                attempt += 1
                continue
            if status == 401:
                raise KubeClientError(
                    "The Kubernetes API server at %s rejected the credentials (401 Unauthorized): %s"
                    % (self.host, message)
                )
            raise ApiError(status, reason, message, path)

    def _retry(self, attempt: int, retry_after: Optional[float], path: str, why: str, method: str = "GET") -> bool:
        """Wait before the next attempt as the policy says; False when it says give up."""
        delay = self.policy.delay(attempt, retry_after, self.deadline)
        if delay is None:
            return False
        self.log("%s %s: %s, retry %d/%d in %.2fs" % (method, path, why, attempt + 1, self.policy.retries, delay))
        self.sleeps.append(delay)
        self.sleep(delay)
        return True

    def list_pages(
        self, path: str, params: Optional[Dict[str, Any]] = None, limit: int = 500
    ) -> Iterator[Dict[str, Any]]:
        """Yield each page of a paginated LIST. A 410 on a continue token surfaces as ApiError(410)."""
        query = dict(params or {})
        query["limit"] = limit
        while True:
            page = self.get(path, query)
            yield page
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return
            query["continue"] = token

    def close(self) -> None:
        if self.closer is not None:
            self.closer()


AUTH_OPTIONS = tuple(AUTH_ARG_SPEC)


def _describe_source(auth: Dict[str, Any]) -> str:
    kubeconfig = auth.get("kubeconfig")
    if isinstance(kubeconfig, dict):
        where = "the kubeconfig given as a dictionary"
    elif kubeconfig:
        where = "kubeconfig %s" % kubeconfig
    elif auth.get("host"):
        where = "host %s" % auth["host"]
    else:
        where = "the in-cluster service account or the default kubeconfig (~/.kube/config, $KUBECONFIG)"
    if auth.get("context"):
        where += " (context %s)" % auth["context"]
    return where


def _context_name(auth: Dict[str, Any]) -> Optional[str]:
    """The kubeconfig context in use: the `context` option, else the kubeconfig's current-context."""
    if auth.get("context"):
        return auth["context"]
    if auth.get("host") or isinstance(auth.get("kubeconfig"), dict):
        return None
    try:
        _contexts, current = kubernetes.config.list_kube_config_contexts(config_file=auth.get("kubeconfig"))
    except Exception:  # in-cluster, or nothing to name: the server URL names the cluster then
        return None
    return (current or {}).get("name")


def _auth_headers(configuration: Any) -> Callable[[], Dict[str, str]]:
    """Per-request auth header: bearer token (refreshed by the kubeconfig loader's hook for exec
    plugins and token files) or HTTP basic auth from username/password."""

    def headers() -> Dict[str, str]:
        for setting in (configuration.auth_settings() or {}).values():
            if setting.get("in") == "header" and setting.get("value"):
                return {setting["key"]: setting["value"]}
        if configuration.username and configuration.password:
            return {"authorization": configuration.get_basic_auth_token()}
        return {}

    return headers


def client_from_params(params: Dict[str, Any], **kwargs: Any) -> KubeClient:
    """A KubeClient from kubernetes.core-style auth options (module.params or a plain dict).

    `kwargs` go to KubeClient (retries, backoff, sleep, log, timeout)."""
    if not HAS_KUBERNETES:
        raise KubeClientError("The kubernetes Python library is required: %s" % KUBERNETES_IMPORT_ERROR)
    auth_params = {k: params.get(k) for k in AUTH_OPTIONS}
    auth = _create_auth_spec(None, **auth_params)
    kubeconfig = auth.get("kubeconfig")
    if isinstance(kubeconfig, str):
        for path in kubeconfig.split(os.pathsep):
            if path and not os.path.exists(os.path.expanduser(path)):
                raise KubeClientError(
                    "Cannot load the Kubernetes client configuration: kubeconfig %s does not exist" % path
                )
    if not auth.get("host") and not auth.get("api_key"):
        missing = exec_plugin.missing_plugin(kubeconfig, auth.get("context"))
        if missing:  # otherwise the loader logs it and the API server answers 401
            raise KubeClientError("Cannot load the Kubernetes client configuration: %s" % missing)
    # Start from a pristine default: the loaders keep the last kubeconfig (and its token refresh hook)
    # as the process-wide default, which must not leak into a second client made in the same process.
    kubernetes.client.Configuration.set_default(kubernetes.client.Configuration())
    try:
        configuration = _create_configuration(auth)
    except Exception as exc:  # the loader raises ConfigException, OSError, yaml errors, ...
        cause = " ".join(str(exc).split())  # yaml errors span lines; keep one
        raise KubeClientError(
            "Cannot load the Kubernetes client configuration from %s: %s" % (_describe_source(auth), cause)
        ) from None
    if not configuration.host:
        raise KubeClientError("No Kubernetes API server URL in %s" % _describe_source(auth))
    try:
        api_client = kubernetes.client.ApiClient(configuration)
    except Exception as exc:  # e.g. unreadable ca_cert / client_cert paths
        raise KubeClientError(
            "Cannot set up the connection to the Kubernetes API server at %s: %s" % (configuration.host, exc)
        ) from None
    headers = HTTPHeaderDict()
    headers["Accept"] = "application/json"
    headers["Accept-Encoding"] = "gzip"
    headers["User-Agent"] = USER_AGENT
    for name, value in _create_headers(None, **auth_params).items():
        for item in value if isinstance(value, list) else [value]:
            headers.add(name, item)
    client = KubeClient(
        api_client.rest_client.pool_manager,
        configuration.host,
        headers=headers,
        auth=_auth_headers(configuration),
        closer=api_client.close,
        **kwargs,
    )
    client.context = _context_name(auth)
    return client
