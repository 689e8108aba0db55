# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only access to the Kubernetes API: raw JSON GETs with bounded, jittered retries.

Authentication is kubernetes.core's own: the same option names, aliases, K8S_AUTH_* environment
variables and precedence (`_create_auth_spec`, `_create_configuration`, `_create_headers`), so a
playbook that already reaches a cluster with kubernetes.core reaches it with this collection. From
that configuration a `kubernetes.client.ApiClient` is built only for its connection pool (TLS, client
certificates, proxy, no_proxy); requests are plain GETs whose bodies are parsed with `json.loads`.
There is no discovery, no DynamicClient and no model objects, which keeps a 50,000-pod LIST cheap.

Failures:
  * connection refused, name resolution, TLS, proxy errors and 401 raise `KubeClientError` at once,
    with one message naming the server URL and the cause (never a token or a stack trace);
  * 429 (honouring Retry-After), 5xx, connection resets and read timeouts are retried with
    exponential backoff and jitter, `retries` times; a connection that still fails is a
    `KubeClientError`, a status that still fails an `ApiError`;
  * any other HTTP status raises `ApiError` with the API server's Status message; the caller decides
    (403 is a coverage gap, 404 "not there", 410 restarts a paginated list).
"""

from __future__ import annotations

import errno
import json
import os
import random
import time
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
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import exec_plugin

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

USER_AGENT = "meshops.sidecar_injection/0.1.0"
RETRY_STATUS = frozenset((429, 500, 502, 503, 504))
MAX_RETRY_AFTER = 60.0


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


def _retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None  # an HTTP date: kube-apiserver only sends seconds


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


class KubeClient(object):
    """GET JSON from one API server. `requests` counts every HTTP request sent (retries included)."""

    def __init__(
        self,
        pool: Any,
        host: str,
        headers: Optional[Any] = None,
        auth: Optional[Callable[[], Dict[str, str]]] = None,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        timeout: Tuple[float, float] = (10.0, 120.0),
        sleep: Callable[[float], None] = time.sleep,
        log: Optional[Callable[[str], None]] = None,
        closer: Optional[Callable[[], None]] = None,
    ) -> None:
        self.pool = pool
        self.host = host.rstrip("/")
        self.headers = headers if headers is not None else {}
        self.auth = auth
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1]) if urllib3 else None
        self.sleep = sleep
        self.log = log or (lambda msg: None)
        self.closer = closer
        self.requests = 0
        self.bytes_received = 0
        self.context: Optional[str] = None  # kubeconfig context, set by client_from_params
        self.sleeps: List[float] = []

    def url(self, path: str, params: Optional[Dict[str, Any]] = None) -> str:
        query = urlencode([(k, v) for k, v in (params or {}).items() if v is not None])
        return self.host + path + ("?" + query if query else "")

    def _headers(self) -> Any:
        headers = self.headers.copy()
        if self.auth is not None:
            for key, value in self.auth().items():
                headers[key] = value
        return headers

    def _delay(self, attempt: int, retry_after: Optional[float]) -> float:
        if retry_after is not None:
            return retry_after
        return min(self.max_backoff, self.backoff * (2**attempt)) * random.uniform(0.5, 1.0)

    def get(self, path: str, params: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """GET `path` and return the parsed JSON body; see the module docstring for errors."""
        url = self.url(path, params)
        attempt = 0
        while True:
            self.requests += 1
            started = time.monotonic()
            try:
                response = self.pool.request(
                    "GET", url, headers=self._headers(), timeout=self.timeout, retries=False, preload_content=False
                )
                try:
                    body = response.data
                finally:
                    response.release_conn()
            except (ProtocolError, ReadTimeoutError) as exc:
                if attempt < self.retries:
                    self._wait(attempt, None, path, describe_connection_error(exc))
                    attempt += 1
                    continue
                raise KubeClientError(
                    "Cannot read from the Kubernetes API server at %s: %s (GET %s, %d attempts)"
                    % (self.host, describe_connection_error(exc), path, attempt + 1)
                ) from None
            except HTTPError as exc:
                raise KubeClientError(
                    "Cannot reach the Kubernetes API server at %s: %s" % (self.host, describe_connection_error(exc))
                ) from None
            status = response.status
            self.bytes_received += len(body)
            self.log("GET %s -> %d (%d bytes, %.3fs)" % (path, status, len(body), time.monotonic() - started))
            if 200 <= status < 300:
                try:
                    return json.loads(body)
                except ValueError as exc:
                    raise ApiError(status, "InvalidJSON", "response is not JSON: %s" % exc, path) from None
            reason, message = _status_message(body, response.reason or str(status))
            if (status in RETRY_STATUS or status >= 500) and attempt < self.retries:
                self._wait(attempt, _retry_after(response.headers.get("Retry-After")), path, "%d %s" % (status, reason))
                attempt += 1
                continue
            if status == 401:
                raise KubeClientError(
                    "The Kubernetes API server at %s rejected the credentials (401 Unauthorized): %s"
                    % (self.host, message)
                )
            raise ApiError(status, reason, message, path)

    def _wait(self, attempt: int, retry_after: Optional[float], path: str, why: str) -> None:
        delay = self._delay(attempt, retry_after)
        self.log("GET %s: %s, retry %d/%d in %.2fs" % (path, why, attempt + 1, self.retries, delay))
        self.sleeps.append(delay)
        self.sleep(delay)

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
