# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kube_client.py: retries, error messages and kubernetes.core-compatible auth, without a network."""

from __future__ import annotations

import base64
import json
import os

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client

urllib3 = pytest.importorskip("urllib3")
kubernetes = pytest.importorskip("kubernetes")

from urllib3.exceptions import NewConnectionError, ProtocolError, SSLError  # noqa: E402

HOST = "https://api.example:6443"


class Response(object):
    def __init__(self, status, body, headers=None, reason=""):
        self.status = status
        self.data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = headers or {}
        self.reason = reason
        self.released = False

    def release_conn(self):
        self.released = True


class ScriptedPool(object):
    """Answers requests from a script: a Response, or an exception to raise."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step


def status(code, reason, message):
    return Response(
        code,
        {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason, "code": code},
    )


def client(pool, **kwargs):
    sleeps = []
    kwargs.setdefault("retries", 3)
    c = kube_client.KubeClient(pool, HOST, sleep=sleeps.append, **kwargs)
    return c, sleeps


def reset():
    return ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))


def refused():
    exc = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    exc.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return exc


def test_429_honours_retry_after():
    pool = ScriptedPool(Response(429, b"{}", {"Retry-After": "2"}), Response(200, {"items": []}))
    c, sleeps = client(pool)
    assert c.get("/api/v1/pods", {"limit": 500}) == {"items": []}
    assert c.requests == 2 and sleeps == [2.0]
    assert pool.calls[0][1] == HOST + "/api/v1/pods?limit=500"
    assert pool.calls[0][2]["retries"] is False  # urllib3 must not retry behind our back


def test_5xx_backs_off_exponentially_with_jitter():
    pool = ScriptedPool(
        status(500, "InternalError", "etcd timeout"),
        Response(503, b"upstream connect error", reason="Service Unavailable"),
        Response(200, {"ok": True}),
    )
    c, sleeps = client(pool, backoff=0.5)
    assert c.get("/version") == {"ok": True}
    assert c.requests == 3
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_connection_reset_is_retried():
    pool = ScriptedPool(reset(), reset(), Response(200, {"ok": 1}))
    c, sleeps = client(pool)
    assert c.get("/version") == {"ok": 1} and c.requests == 3 and len(sleeps) == 2


def test_exhausted_status_retries_raise_api_error():
    pool = ScriptedPool(*[status(503, "ServiceUnavailable", "the server is shutting down")] * 4)
    c, sleeps = client(pool, retries=3)
    with pytest.raises(kube_client.ApiError) as exc:
        c.get("/api/v1/nodes")
    assert (exc.value.status, exc.value.reason, exc.value.message) == (
        503,
        "ServiceUnavailable",
        "the server is shutting down",
    )
    assert c.requests == 4 and len(sleeps) == 3


def test_exhausted_resets_are_an_unavailable_read_not_a_fatal_error():
    pool = ScriptedPool(reset(), reset(), reset())
    c, sleeps = client(pool, retries=2)
    with pytest.raises(kube_client.Unavailable) as exc:
        c.get("/api/v1/pods")
    assert isinstance(exc.value, kube_client.ApiError) and not isinstance(exc.value, kube_client.KubeClientError)
    assert (exc.value.status, exc.value.reason, exc.value.path) == (0, "ConnectionReset", "/api/v1/pods")
    assert exc.value.message == (
        "Cannot read from the Kubernetes API server at https://api.example:6443: connection reset by the server "
        "(GET /api/v1/pods, 3 attempts)"
    )
    assert c.requests == 3 and len(sleeps) == 2


class Clock(object):
    """A monotonic clock the fake sleeps and requests move forward."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_retry_after_is_capped_and_no_wait_runs_past_the_deadline():
    clock = Clock()
    throttled = status(429, "TooManyRequests", "slow down")
    throttled.headers = {"Retry-After": "3600"}
    pool = ScriptedPool(*[throttled] * 4)
    c, sleeps = client(pool, retries=5, deadline=100.0)
    c.deadline = kube_client.Deadline(100.0, clock=clock)

    def sleep(seconds):
        sleeps.append(seconds)
        clock.now += seconds

    c.sleep = sleep
    with pytest.raises(kube_client.DeadlineExceeded) as exc:
        c.get("/api/v1/pods")
    # 30 s each (the cap, not the server's hour): after three waits 10 s are left, too few for a
    # fourth, so the client gives up with retries to spare instead of sleeping past the deadline
    assert sleeps == [30.0, 30.0, 30.0]
    assert c.requests == 4
    assert exc.value.message == (
        "the deadline of 100s for this cluster ran out (GET /api/v1/pods, 4 attempts, last: 429 TooManyRequests: "
        "slow down)"
    )


def test_request_timeout_is_shortened_to_what_the_deadline_leaves():
    clock = Clock()
    pool = ScriptedPool(Response(200, {"ok": 1}))
    c, _unused = client(pool, timeout=30.0)
    c.deadline = kube_client.Deadline(10.0, clock=clock)
    clock.now += 8.5
    assert c.get("/version") == {"ok": 1}
    timeout = pool.calls[0][2]["timeout"]
    assert (timeout.connect_timeout, timeout.read_timeout, timeout.total) == (1.5, 1.5, 1.5)


def test_an_expired_deadline_sends_nothing():
    clock = Clock()
    pool = ScriptedPool()
    c, _unused = client(pool)
    c.deadline = kube_client.Deadline(5.0, clock=clock)
    clock.now += 5.0
    with pytest.raises(kube_client.DeadlineExceeded) as exc:
        c.get("/api/v1/nodes")
    assert exc.value.message == "the deadline of 5s for this cluster ran out (GET /api/v1/nodes, 0 attempts)"
    assert c.requests == 0 and pool.calls == []


def test_403_is_not_retried_and_keeps_the_server_message():
    message = 'pods is forbidden: User "ci" cannot list resource "pods" in API group "" at the cluster scope'
    pool = ScriptedPool(status(403, "Forbidden", message))
    c, sleeps = client(pool)
    with pytest.raises(kube_client.ApiError) as exc:
        c.get("/api/v1/pods")
    assert exc.value.status == 403 and exc.value.message == message and exc.value.path == "/api/v1/pods"
    assert c.requests == 1 and sleeps == []


def test_401_is_fatal_and_names_the_server():
    pool = ScriptedPool(status(401, "Unauthorized", "Unauthorized"))
    c, _unused = client(pool)
    with pytest.raises(kube_client.KubeClientError) as exc:
        c.get("/version")
    assert str(exc.value) == (
        "The Kubernetes API server at https://api.example:6443 rejected the credentials "
        "(401 Unauthorized): Unauthorized"
    )


def test_refused_connection_fails_at_once():
    pool = ScriptedPool(refused())
    c, sleeps = client(pool)
    with pytest.raises(kube_client.KubeClientError) as exc:
        c.get("/version")
    assert str(exc.value) == "Cannot reach the Kubernetes API server at https://api.example:6443: connection refused"
    assert c.requests == 1 and sleeps == []


def test_tls_failure_message():
    pool = ScriptedPool(SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"))
    c, _unused = client(pool)
    with pytest.raises(kube_client.KubeClientError) as exc:
        c.get("/version")
    assert str(exc.value) == (
        "Cannot reach the Kubernetes API server at https://api.example:6443: TLS failure: "
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    )


def test_list_pages_follows_continue_tokens():
    pool = ScriptedPool(
        Response(200, {"metadata": {"continue": "t1"}, "items": [1, 2]}),
        Response(200, {"metadata": {"continue": ""}, "items": [3]}),
    )
    c, _unused = client(pool)
    assert [p["items"] for p in c.list_pages("/api/v1/pods", {"fieldSelector": "type=Warning"}, limit=2)] == [
        [1, 2],
        [3],
    ]
    assert [call[1] for call in pool.calls] == [
        HOST + "/api/v1/pods?fieldSelector=type%3DWarning&limit=2",
        HOST + "/api/v1/pods?fieldSelector=type%3DWarning&limit=2&continue=t1",
    ]


# ---- auth: kubernetes.core's options and environment variables --------------------------------


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("K8S_AUTH_") or name == "KUBECONFIG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", "/nonexistent-home")
    kubernetes.client.Configuration.set_default(kubernetes.client.Configuration())


def params(**kwargs):
    base = {k: None for k in kube_client.AUTH_OPTIONS}
    base.update(kwargs)
    return base


def test_token_and_impersonation_headers():
    c = kube_client.client_from_params(
        params(
            host="https://10.0.0.1:6443/", api_key="s3cr3t", impersonate_user="alice", impersonate_groups=["dev", "ops"]
        )
    )
    headers = c._headers()
    assert c.host == "https://10.0.0.1:6443"
    assert headers["authorization"] == "Bearer s3cr3t"
    assert headers["Impersonate-User"] == "alice"
    assert headers.getlist("Impersonate-Group") == ["dev", "ops"]
    assert headers["Accept"] == "application/json"


def test_basic_auth_from_username_and_password():
    c = kube_client.client_from_params(params(host="https://10.0.0.1", username="admin", password="pw"))
    assert c._headers()["authorization"] == "Basic " + base64.b64encode(b"admin:pw").decode()


def test_environment_variables_are_honoured(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", "https://env.example:443")
    monkeypatch.setenv("K8S_AUTH_API_KEY", "envtoken")
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "no")
    c = kube_client.client_from_params(params())
    assert c.host == "https://env.example:443"
    assert c._headers()["authorization"] == "Bearer envtoken"


def test_missing_kubeconfig_file_is_named(tmp_path):
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(kube_client.KubeClientError) as exc:
        kube_client.client_from_params(params(kubeconfig=path))
    assert str(exc.value) == "Cannot load the Kubernetes client configuration: kubeconfig %s does not exist" % path


def test_unparsable_kubeconfig_is_named_on_one_line(tmp_path):
    path = tmp_path / "config"
    path.write_text("apiVersion: v1\nclusters:\n  - name: [a\n")
    with pytest.raises(kube_client.KubeClientError) as exc:
        kube_client.client_from_params(params(kubeconfig=str(path)))
    assert str(exc.value).startswith("Cannot load the Kubernetes client configuration from kubeconfig %s: " % path)
    assert "\n" not in str(exc.value) and "line 4, column 1" in str(exc.value)


def test_unknown_context_is_named(tmp_path):
    path = tmp_path / "config"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: a\n"
        "clusters: [{name: a, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: a, user: {token: t0k3n}}]\n"
        "contexts: [{name: a, context: {cluster: a, user: a}}]\n"
    )
    with pytest.raises(kube_client.KubeClientError) as exc:
        kube_client.client_from_params(params(kubeconfig=str(path), context="prod"))
    message = str(exc.value)
    assert message.startswith(
        "Cannot load the Kubernetes client configuration from kubeconfig %s (context prod): " % path
    )
    assert "t0k3n" not in message


def test_kubeconfig_with_token_and_server(tmp_path):
    path = tmp_path / "config"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: a\n"
        "clusters: [{name: a, cluster: {server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true}}]\n"
        "users: [{name: a, user: {token: t0k3n}}]\n"
        "contexts: [{name: a, context: {cluster: a, user: a}}]\n"
    )
    c = kube_client.client_from_params(params(kubeconfig=str(path)))
    assert c.host == "https://127.0.0.1:6443"
    assert c._headers()["authorization"] == "Bearer t0k3n"


def test_the_private_kubernetes_core_helpers_we_build_on_keep_their_contract():
    """k8s/client.py reuses kubernetes.core's auth precedence through three private helpers, so
    galaxy.yml bounds kubernetes.core to the majors tested here (5 in `make units-min`, 6 in `make
    units`). This test fails on a kubernetes.core whose helpers changed shape."""
    import inspect

    from ansible_collections.kubernetes.core.plugins.module_utils.k8s import client as core_client

    assert str(inspect.signature(core_client._create_auth_spec)) == "(module=None, **kwargs) -> Dict"
    assert list(inspect.signature(core_client._create_configuration).parameters) == ["auth"]
    assert str(inspect.signature(core_client._create_headers)) == "(module=None, **kwargs)"
    auth = core_client._create_auth_spec(None, host="https://k.example:6443", api_key="t", validate_certs=False)
    assert (auth["host"], auth["api_key"], auth["verify_ssl"]) == ("https://k.example:6443", "t", False)
    headers = core_client._create_headers(None, impersonate_user="alice", impersonate_groups=["ops", "dev"])
    assert headers == {"Impersonate-User": "alice", "Impersonate-Group": ["ops", "dev"]}


def test_a_connect_cut_short_by_the_deadline_is_the_deadline_not_an_unreachable_server():
    clock = Clock()
    c, _unused = client(ScriptedPool())
    c.deadline = kube_client.Deadline(5.0, clock=clock)

    class SlowConnect(object):
        calls = []

        def request(self, method, url, **kwargs):
            self.calls.append(kwargs["timeout"])
            clock.now += 5.0  # the shortened connect timeout ran out together with the deadline
            raise NewConnectionError(None, "Failed to establish a new connection: timed out")

    c.pool = SlowConnect()
    with pytest.raises(kube_client.DeadlineExceeded) as exc:
        c.get("/api/v1/pods")
    assert exc.value.message == (
        "the deadline of 5s for this cluster ran out (GET /api/v1/pods, 1 attempt, last: connection timed out)"
    )


def test_send_posts_json_and_retries_only_429():
    pool = ScriptedPool(Response(429, b"{}", {"Retry-After": "1"}), Response(201, {"kind": "Pod"}))
    c, sleeps = client(pool)
    assert c.send("POST", "/api/v1/namespaces/a/pods", {"kind": "Pod"}, {"dryRun": "All"}) == {"kind": "Pod"}
    assert sleeps == [1.0] and c.requests == 2
    method, url, kwargs = pool.calls[1]
    assert (method, url) == ("POST", HOST + "/api/v1/namespaces/a/pods?dryRun=All")
    assert json.loads(kwargs["body"]) == {"kind": "Pod"} and kwargs["headers"]["Content-Type"] == "application/json"
    assert kwargs["retries"] is False


def test_send_returns_a_5xx_verdict_at_once():
    """A failed webhook call is the API server's 500 answer to the write: read, never retried."""
    message = 'Internal error occurred: failed calling webhook "w": context deadline exceeded'
    pool = ScriptedPool(status(500, "InternalError", message))
    c, sleeps = client(pool)
    with pytest.raises(kube_client.ApiError) as raised:
        c.send("POST", "/api/v1/namespaces/a/pods", {}, {"dryRun": "All"})
    assert (raised.value.status, raised.value.reason, raised.value.message) == (500, "InternalError", message)
    assert c.requests == 1 and sleeps == []


def test_send_read_timeout_is_the_callers_deadline():
    pool = ScriptedPool(Response(200, {}))
    c, _sleeps = client(pool)
    c.send("DELETE", "/api/v1/namespaces/a/configmaps/x", read_timeout=2.5)
    timeout = pool.calls[0][2]["timeout"]
    assert (timeout.connect_timeout, timeout.read_timeout) == (10.0, 2.5)
    assert pool.calls[0][2]["body"] is None
