# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live gathering when things go wrong: 403 gaps, retries on 429/5xx/resets, 410 restarts, fatal errors."""

from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather

from .conftest import example_files
from .helpers import Recorder, api_requests, auth, client, gather_live

ADMIN = "kubernetes-admin"


def _group(resource):
    return snap.RESOURCES[resource].group


def _qualified(resource):
    group = _group(resource)
    return "%s.%s" % (resource, group) if group else resource


@pytest.mark.parametrize("resource", list(snap.RESOURCES))
def test_403_on_any_kind_is_a_gap_with_the_server_message(sim, resource):
    sim.seed(*example_files("istio-broken"))
    verb = "get" if resource == "secrets" else "list"
    sim.add_rule(action="forbid", verbs=[verb], apiGroups=[_group(resource)], resources=[resource])
    live, client_, _unused = gather_live(sim)
    control_plane = snap.RESOURCES[resource].where == "control-plane"
    name = ' "istio-ca-secret"' if resource == "secrets" else ""
    scope = 'in the namespace "istio-system"' if control_plane else "at the cluster scope"
    message = '%s%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
        _qualified(resource),
        name,
        ADMIN,
        verb,
        resource,
        _group(resource),
        scope,
    )
    assert live["gaps"] == [{"resource": resource, "reason": "forbidden", "message": message}]
    assert resource not in live["resources"]
    assert len(live["resources"]) == len(snap.RESOURCES) - 1
    assert client_.requests == len(api_requests(sim))  # nothing retried


def test_429_is_retried_honouring_retry_after(sim):
    sim.seed(*example_files("istio-broken"))
    sim.add_rule(action="throttle", verbs=["list"], resources=["pods"], count=2, retryAfterSeconds=3)
    recorder = Recorder()
    live, client_, _unused = gather_live(sim, recorder)
    assert live["gaps"] == [] and len(live["resources"]["pods"]) == 28
    pods = [r for r in api_requests(sim) if r.get("resource") == "pods"]
    assert [r["status"] for r in pods] == [429, 429, 200]
    assert recorder.sleeps == [3.0, 3.0]
    assert client_.requests == len(api_requests(sim)) == 28 + 2


def test_500_is_retried_with_backoff(sim):
    sim.seed(*example_files("istio-broken"))
    sim.add_rule(action="error", verbs=["list"], resources=["nodes"], count=3, message="etcd timeout")
    recorder = Recorder()
    live, client_, _unused = gather_live(sim, recorder)
    nodes = [r for r in api_requests(sim) if r.get("resource") == "nodes"]
    assert [r["status"] for r in nodes] == [500, 500, 500, 200]
    assert len(recorder.sleeps) == 3
    for attempt, delay in enumerate(recorder.sleeps):
        assert 0.5 * 0.5 * 2**attempt <= delay <= 0.5 * 2**attempt
    assert live["gaps"] == [] and client_.requests == 28 + 3


def test_exhausted_retries_on_one_kind_are_a_gap(sim):
    sim.seed(*example_files("istio-broken"))
    sim.add_rule(action="error", verbs=["list"], resources=["nodes"], message="etcd timeout")
    live, _unused, _unused = gather_live(sim)
    assert live["gaps"] == [
        {
            "resource": "nodes",
            "reason": "error",
            "message": "GET /api/v1/nodes: 500 InternalError: Internal error occurred: etcd timeout",
        }
    ]
    assert len([r for r in api_requests(sim) if r.get("resource") == "nodes"]) == 6  # 1 + 5 retries
    assert len(live["resources"]) == len(snap.RESOURCES) - 1


def test_connection_reset_is_retried(sim):
    sim.seed(*example_files("istio-broken"))
    sim.add_rule(action="reset", verbs=["list"], resources=["deployments"], count=2)
    recorder = Recorder()
    live, client_, _unused = gather_live(sim, recorder)
    assert live["gaps"] == [] and len(live["resources"]["deployments"]) == 21
    deployments = [r for r in api_requests(sim) if r.get("resource") == "deployments"]
    assert [r.get("fault") for r in deployments] == ["reset", "reset", None]
    assert len(recorder.sleeps) == 2 and client_.requests == 28 + 2


def test_expired_continue_token_restarts_the_list(sim):
    sim.seed(*example_files("istio-broken"))
    c = client(sim)
    original = c.pool.request
    state = {"expired": 0}

    def request(method, url, **kwargs):
        if "/api/v1/pods?" in url and "continue=" in url and not state["expired"]:
            state["expired"] += 1
            sim.seed({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bump", "namespace": "default"}})
            sim.compact()
        return original(method, url, **kwargs)

    c.pool.request = request
    gatherer = gather.Gatherer(c, limit=10)
    live = gatherer.run()
    assert live["gaps"] == [] and len(live["resources"]["pods"]) == 28
    pods = [r for r in api_requests(sim) if r.get("resource") == "pods"]
    # page 1, 410 on page 2, then the full list again: 3 pages
    assert [(r["status"], "continue=" in r["path"]) for r in pods] == [
        (200, False),
        (410, True),
        (200, False),
        (200, True),
        (200, True),
    ]
    assert gatherer.pages["/api/v1/pods"] == 5


def test_a_continue_token_that_keeps_expiring_is_a_gap(sim):
    sim.seed(*example_files("istio-broken"))
    c = client(sim)
    original = c.pool.request

    def request(method, url, **kwargs):
        if "/api/v1/pods?" in url and "continue=" in url:
            sim.seed({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bump", "namespace": "default"}})
            sim.compact()
        return original(method, url, **kwargs)

    c.pool.request = request
    live = gather.Gatherer(c, limit=10).run()
    gaps = {g["resource"]: g for g in live["gaps"]}
    assert list(gaps) == ["pods"] and gaps["pods"]["reason"] == "error"
    assert gaps["pods"]["message"].startswith(
        "GET /api/v1/pods: 410 Expired: the continue token of /api/v1/pods expired 3 times in a row (410 Gone): "
        "The provided continue parameter is too old to display a consistent list result."
    )
    assert len([r for r in api_requests(sim) if r.get("resource") == "pods"]) == 6
    assert len(live["resources"]) == len(snap.RESOURCES) - 1


def test_unreachable_host_fails_with_one_clear_message(closed_port):
    params = {name: None for name in kube_client.AUTH_OPTIONS}
    params.update(host="https://127.0.0.1:%d" % closed_port, api_key="secret-token-value")
    c = kube_client.client_from_params(params)
    with pytest.raises(kube_client.KubeClientError) as exc:
        gather.gather(c)
    assert str(exc.value) == (
        "Cannot reach the Kubernetes API server at https://127.0.0.1:%d: connection refused" % closed_port
    )
    assert c.requests == 1


def test_bad_token_fails_with_one_clear_message(sim):
    c = kube_client.client_from_params(
        auth(sim, kubeconfig=None, host=sim.url, api_key="not-the-token", ca_cert=sim.ca_file)
    )
    with pytest.raises(kube_client.KubeClientError) as exc:
        gather.gather(c)
    assert str(exc.value) == (
        "The Kubernetes API server at %s rejected the credentials (401 Unauthorized): Unauthorized" % sim.url
    )
    assert "not-the-token" not in str(exc.value)


def test_tls_verification_failure_names_the_server(sim):
    c = kube_client.client_from_params(auth(sim, kubeconfig=None, host=sim.url, api_key=sim.token))
    with pytest.raises(kube_client.KubeClientError) as exc:
        gather.gather(c)
    assert str(exc.value).startswith(
        "Cannot reach the Kubernetes API server at %s: TLS failure: [SSL: CERTIFICATE_VERIFY_FAILED] "
        "certificate verify failed" % sim.url
    )
    assert sim.token not in str(exc.value)


def test_validate_certs_false_and_explicit_ca_both_work(sim):
    for overrides in ({"validate_certs": False}, {"ca_cert": sim.ca_file}):
        c = kube_client.client_from_params(auth(sim, kubeconfig=None, host=sim.url, api_key=sim.token, **overrides))
        assert c.get("/version")["gitVersion"] == "v1.31.4"


def test_bad_kubeconfig_and_unknown_context(sim, tmp_path):
    broken = tmp_path / "kubeconfig"
    broken.write_text("apiVersion: v1\nclusters: [\n")
    with pytest.raises(kube_client.KubeClientError) as exc:
        kube_client.client_from_params(auth(sim, kubeconfig=str(broken)))
    assert str(exc.value).startswith("Cannot load the Kubernetes client configuration from kubeconfig %s: " % broken)
    with pytest.raises(kube_client.KubeClientError) as exc:
        kube_client.client_from_params(auth(sim, context="nope"))
    assert str(exc.value).startswith(
        "Cannot load the Kubernetes client configuration from kubeconfig %s (context nope): " % sim.kubeconfig_path
    )


def test_impersonation_headers_reach_the_server(sim):
    sim.set_policy({"users": [{"token": "diag", "user": "diag", "authorize": "allow"}]})
    c = kube_client.client_from_params(
        auth(
            sim,
            kubeconfig=None,
            host=sim.url,
            api_key="diag",
            ca_cert=sim.ca_file,
            impersonate_user="alice",
            impersonate_groups=["system:masters"],
        )
    )
    c.get("/api/v1/namespaces")
    assert api_requests(sim)[-1]["user"] == "alice"
