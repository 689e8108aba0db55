"""Policy: 403 rules with kube-apiserver's messages, injected faults (500, 429, latency, reset) with counts,
limited tokens authorized by RBAC, impersonation, and changing all of it at run time."""

from __future__ import annotations

import json
import time

import pytest
import urllib3
from kubernetes import client

from .helpers import call, configmap

SA = "system:serviceaccount:mesh:diag"


def body(exc: client.ApiException) -> dict:
    return json.loads(exc.body)


def test_forbid_rule_messages(kubesim):
    kubesim.add_rule(action="forbid", verbs=["list"], resources=["pods"])
    kubesim.add_rule(action="forbid", verbs=["get"], apiGroups=["apps"], resources=["deployments"], namespaces=["mesh"])
    cluster_wide = call(kubesim, "GET", "/api/v1/pods")
    assert cluster_wide.status == 403
    assert cluster_wide.json == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods is forbidden: User "kubernetes-admin" cannot list resource "pods" in API group "" at the '
        "cluster scope",
        "reason": "Forbidden",
        "details": {"kind": "pods"},
        "code": 403,
    }
    namespaced = call(kubesim, "GET", "/api/v1/namespaces/mesh/pods")
    assert namespaced.json["message"] == (
        'pods is forbidden: User "kubernetes-admin" cannot list resource "pods" in API group "" in the namespace "mesh"'
    )
    named = call(kubesim, "GET", "/apis/apps/v1/namespaces/mesh/deployments/web")
    assert named.json["message"] == (
        'deployments.apps "web" is forbidden: User "kubernetes-admin" cannot get '
        'resource "deployments" in API group "apps" in the namespace "mesh"'
    )
    assert named.json["details"] == {"name": "web", "group": "apps", "kind": "deployments"}
    assert call(kubesim, "GET", "/apis/apps/v1/namespaces/other/deployments/web").status == 404  # not matched


def test_limited_token_is_authorized_by_rbac_objects(kubesim_factory):
    sim = kubesim_factory(policy={"users": [{"token": "diag-token", "user": SA}]})
    sim.seed(
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "pod-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "diag", "namespace": "mesh"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-reader"},
                "subjects": [{"kind": "ServiceAccount", "name": "diag", "namespace": "mesh"}],
            },
        ]
    )
    assert call(sim, "GET", "/api/v1/namespaces/mesh/pods", token="diag-token").status == 200
    denied = call(sim, "GET", "/api/v1/pods", token="diag-token")
    assert denied.status == 403
    assert denied.json["message"] == (
        f'pods is forbidden: User "{SA}" cannot list resource "pods" in API group "" at the cluster scope'
    )
    secrets = call(sim, "GET", "/api/v1/namespaces/mesh/secrets", token="diag-token")
    assert secrets.json["message"] == (
        f'secrets is forbidden: User "{SA}" cannot list resource "secrets" in API group "" in the namespace "mesh"'
    )
    assert call(sim, "GET", "/version", token="diag-token").status == 200  # discovery stays open
    # The admin can impersonate the service account and gets the same answer.
    as_sa = call(sim, "GET", "/api/v1/pods", headers={"Impersonate-User": SA})
    assert as_sa.status == 403 and f'User "{SA}"' in as_sa.json["message"]
    review = call(
        sim,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "mesh"}},
        },
        token="diag-token",
    )
    assert review.status == 201 and review.json["status"]["allowed"] is True


def test_internal_error_fault_with_count(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    kubesim.add_rule(
        action="error", verbs=["list"], resources=["configmaps"], count=2, message="etcdserver: request timed out"
    )
    for _ in range(2):
        with pytest.raises(client.ApiException) as err:
            core.list_namespaced_config_map("default")
        assert err.value.status == 500
        assert body(err.value) == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Internal error occurred: etcdserver: request timed out",
            "reason": "InternalError",
            "details": {"causes": [{"message": "etcdserver: request timed out"}]},
            "code": 500,
        }
    assert core.list_namespaced_config_map("default").items == []  # the third one passes
    assert kubesim.policy.rules[0].hits == 2


def test_throttle_sends_retry_after_which_urllib3_honours(kubesim):
    kubesim.add_rule(action="throttle", verbs=["get"], resources=["namespaces"], count=1, retryAfterSeconds=1)
    raw = call(kubesim, "GET", "/api/v1/namespaces/default")
    assert raw.status == 429 and raw.headers["retry-after"] == "1"
    assert raw.json["reason"] == "TooManyRequests" and raw.json["details"] == {"retryAfterSeconds": 1}
    kubesim.add_rule(action="throttle", verbs=["get"], resources=["namespaces"], count=1, retryAfterSeconds=1)
    kubesim.clear_requests()
    started = time.monotonic()
    assert client.CoreV1Api(kubesim.kube_client()).read_namespace("default").metadata.name == "default"
    assert time.monotonic() - started >= 0.9
    assert [r["status"] for r in kubesim.requests] == [429, 200]


def test_latency_fault(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    core.list_namespaced_config_map("default")  # warm the connection
    kubesim.add_rule(action="delay", seconds=0.4, verbs=["list"], resources=["configmaps"], count=1)
    started = time.monotonic()
    core.list_namespaced_config_map("default")
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    core.list_namespaced_config_map("default")
    assert time.monotonic() - started < 0.4


def test_connection_reset_fault(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    kubesim.add_rule(action="reset", verbs=["list"], resources=["secrets"], count=1)
    kubesim.clear_requests()
    # urllib3 retries an idempotent GET after a dropped connection: the caller sees success...
    assert core.list_namespaced_secret("default").items == []
    assert [(r["status"], r.get("fault")) for r in kubesim.requests] == [(0, "reset"), (200, None)]
    # ...until the drops outlast its retries.
    kubesim.add_rule(action="reset", verbs=["list"], resources=["secrets"], count=10)
    with pytest.raises(urllib3.exceptions.MaxRetryError) as err:
        core.list_namespaced_secret("default")
    assert "Connection aborted" in str(err.value)
    # A non-idempotent POST is not retried: the first drop surfaces.
    kubesim.set_policy({"rules": [{"action": "reset", "verbs": ["create"], "count": 1}]})
    with pytest.raises(urllib3.exceptions.ProtocolError):
        core.create_namespaced_config_map("default", configmap("c"))


def test_skip_lets_first_requests_through(kubesim):
    kubesim.add_rule(action="error", verbs=["get"], resources=["namespaces"], skip=1, count=1)
    assert call(kubesim, "GET", "/api/v1/namespaces/default").status == 200
    assert call(kubesim, "GET", "/api/v1/namespaces/default").status == 500
    assert call(kubesim, "GET", "/api/v1/namespaces/default").status == 200


def test_discovery_only_matches_rules_with_paths(kubesim):
    kubesim.add_rule(action="error")  # matches every resource request, not discovery
    assert call(kubesim, "GET", "/apis").status == 200
    assert call(kubesim, "GET", "/api/v1/namespaces").status == 500
    kubesim.set_policy({"rules": [{"action": "error", "paths": ["/version"], "status": 503, "message": "down"}]})
    reply = call(kubesim, "GET", "/version")
    assert reply.status == 503 and reply.json["reason"] == "ServiceUnavailable"


def test_policy_changes_at_run_time_through_admin_endpoints(kubesim):
    assert (
        call(
            kubesim,
            "PUT",
            "/_kubesim/policy",
            "rules:\n- action: forbid\n  resources: [secrets]\n",
            content_type="application/yaml",
            token=None,
        ).status
        == 200
    )
    assert call(kubesim, "GET", "/api/v1/secrets").status == 403
    rules = call(
        kubesim, "POST", "/_kubesim/policy/rules", {"action": "error", "resources": ["configmaps"]}, token=None
    ).json["rules"]
    assert [r["action"] for r in rules] == ["forbid", "error"]
    assert call(kubesim, "GET", "/api/v1/configmaps").status == 500
    assert call(kubesim, "GET", "/_kubesim/policy", token=None).json["rules"][0]["hits"] == 1
    assert call(kubesim, "DELETE", "/_kubesim/policy", token=None).status == 200
    assert call(kubesim, "GET", "/api/v1/secrets").status == 200


def test_policy_file_at_start(kubesim_factory, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  - action: forbid\n    verbs: [list]\n    resources: [secrets]\n    namespaces: ['']\n")
    sim = kubesim_factory(policy=str(policy), base_objects=False)
    assert call(sim, "GET", "/api/v1/secrets").status == 403  # cluster scope only
    sim.seed([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}])
    assert call(sim, "GET", "/api/v1/namespaces/a/secrets").status == 200


def test_bad_policy_is_rejected():
    from tests.kubesim.policy import Policy

    with pytest.raises(ValueError, match="unknown policy action"):
        Policy.from_data({"rules": [{"action": "explode"}]})
    with pytest.raises(ValueError, match="unknown policy rule keys: resource"):
        Policy.from_data({"rules": [{"action": "forbid", "resource": ["pods"]}]})
