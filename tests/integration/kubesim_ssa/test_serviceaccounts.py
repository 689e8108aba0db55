"""ServiceAccount admission and the ServiceAccount/token controllers, through the kubernetes client.

kube-apiserver's ServiceAccount admission plugin refuses pods naming a missing ServiceAccount
(`error looking up service account <ns>/<name>: serviceaccount "<name>" not found`, admission.NewForbidden —
a ReplicaSet turns it into a FailedCreate event) and mounts the `kube-api-access-*` projected token volume; the
ServiceAccounts controller keeps a `default` ServiceAccount in every namespace; the legacy tokens controller
fills `kubernetes.io/service-account-token` Secrets with token, ca.crt and namespace."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from kubernetes import client

from tests.kubesim.admission.serviceaccount import MOUNT_PATH, token_volume


def deployment(sa: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"serviceAccountName": sa, "containers": [{"name": "app", "image": "nginx:1.25"}]},
            },
        },
    }


def wait_for(condition, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def test_missing_service_account_is_a_failed_create_until_it_exists(kubesim):
    kubesim.apply(deployment("missing"))
    rs = kubesim.list("apps/v1/replicasets", "default")[0]
    rs_name = rs["metadata"]["name"]
    events = [e for e in kubesim.list("v1/events", "default") if e["reason"] == "FailedCreate"]
    assert [(e["type"], e["involvedObject"]["name"], e["message"]) for e in events] == [
        (
            "Warning",
            rs_name,
            f'Error creating: pods "{rs_name}-" is forbidden: error looking up service account '
            'default/missing: serviceaccount "missing" not found',
        )
    ]
    assert kubesim.list("v1/pods", "default") == []
    failure = next(c for c in kubesim.get("apps/v1/replicasets", "default", rs_name)["status"]["conditions"])
    assert (failure["type"], failure["reason"]) == ("ReplicaFailure", "FailedCreate")
    # Creating the ServiceAccount lets the ReplicaSet's retry through, without another rollout.
    kubesim.apply(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "missing", "namespace": "default"}}
    )
    pods = wait_for(lambda: kubesim.list("v1/pods", "default"))
    assert pods[0]["spec"]["serviceAccountName"] == "missing"


def test_token_volume_is_mounted_unless_automount_is_off(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    pod = core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "p"},
            "spec": {
                "initContainers": [{"name": "init", "image": "busybox"}],
                "containers": [{"name": "app", "image": "nginx:1.25"}],
            },
        },
    )
    raw = kubesim.get("v1/pods", "default", "p")
    volume = raw["spec"]["volumes"][-1]
    assert volume["name"].startswith("kube-api-access-") and len(volume["name"]) == len("kube-api-access-") + 5
    assert volume == token_volume(volume["name"])
    mount = {"name": volume["name"], "readOnly": True, "mountPath": MOUNT_PATH}
    assert [c["volumeMounts"] for c in raw["spec"]["initContainers"] + raw["spec"]["containers"]] == [[mount], [mount]]
    assert pod.spec.service_account_name == "default"
    core.create_namespaced_service_account(
        "default", {"metadata": {"name": "quiet"}, "automountServiceAccountToken": False}
    )
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "q"},
            "spec": {"serviceAccountName": "quiet", "containers": [{"name": "a", "image": "x:1"}]},
        },
    )
    quiet = kubesim.get("v1/pods", "default", "q")
    assert "volumes" not in quiet["spec"] and "volumeMounts" not in quiet["spec"]["containers"][0]


def test_every_new_namespace_gets_a_default_service_account(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    core.create_namespace({"metadata": {"name": "fresh"}})
    assert [sa.metadata.name for sa in core.list_namespaced_service_account("fresh").items] == ["default"]
    core.delete_namespaced_service_account("default", "fresh")
    kubesim.settle()
    assert core.read_namespaced_service_account("default", "fresh").metadata.name == "default"


def test_legacy_token_secret_is_filled_and_authenticates_as_the_service_account(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    core.create_namespace({"metadata": {"name": "mesh"}})
    sa = core.create_namespaced_service_account("mesh", {"metadata": {"name": "diag"}})
    core.create_namespaced_secret(
        "mesh",
        {
            "metadata": {"name": "diag-token", "annotations": {"kubernetes.io/service-account.name": "diag"}},
            "type": "kubernetes.io/service-account-token",
        },
    )
    kubesim.settle()
    secret = core.read_namespaced_secret("diag-token", "mesh")
    assert sorted(secret.data) == ["ca.crt", "namespace", "token"]
    assert base64.b64decode(secret.data["ca.crt"]) == Path(kubesim.ca_file).read_bytes()
    assert base64.b64decode(secret.data["namespace"]) == b"mesh"
    assert secret.metadata.annotations["kubernetes.io/service-account.uid"] == sa.metadata.uid
    token = base64.b64decode(secret.data["token"]).decode()
    assert token.count(".") == 2  # JWT-shaped

    cfg = client.Configuration()
    cfg.host, cfg.ssl_ca_cert = kubesim.url, kubesim.ca_file
    cfg.api_key = {"authorization": f"Bearer {token}"}
    as_sa = client.CoreV1Api(client.ApiClient(cfg))
    with pytest.raises(client.ApiException) as denied:
        as_sa.list_namespaced_pod("mesh")
    assert denied.value.status == 403
    assert json.loads(denied.value.body)["message"] == (
        'pods is forbidden: User "system:serviceaccount:mesh:diag" cannot list resource "pods" in API group "" '
        'in the namespace "mesh"'
    )
    rbac = client.RbacAuthorizationV1Api(kubesim.kube_client())
    rbac.create_namespaced_role(
        "mesh", {"metadata": {"name": "r"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]}
    )
    rbac.create_namespaced_role_binding(
        "mesh",
        {
            "metadata": {"name": "r"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "diag", "namespace": "mesh"}],
        },
    )
    assert as_sa.list_namespaced_pod("mesh").items == []


def test_token_secret_for_a_missing_service_account_is_deleted(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    core.create_namespaced_secret(
        "default",
        {
            "metadata": {"name": "orphan", "annotations": {"kubernetes.io/service-account.name": "nobody"}},
            "type": "kubernetes.io/service-account-token",
        },
    )
    kubesim.settle()
    assert kubesim.get("v1/secrets", "default", "orphan") is None
