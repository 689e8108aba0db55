"""Discovery documents and authentication, as clients see them."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.dynamic import DynamicClient

from .helpers import call

SERVED = [
    ("v1", "Namespace"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "Endpoints"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Event"),
    ("v1", "Node"),
    ("v1", "ServiceAccount"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
    ("authorization.k8s.io/v1", "SubjectAccessReview"),
    ("events.k8s.io/v1", "Event"),
]


def test_version_is_configurable(kubesim_factory):
    sim = kubesim_factory(kubernetes_version="v1.29.7", base_objects=False)
    info = client.VersionApi(sim.kube_client()).get_code()
    assert (info.git_version, info.major, info.minor, info.platform) == ("v1.29.7", "1", "29", "linux/amd64")


def test_core_and_group_documents(kubesim):
    api = call(kubesim, "GET", "/api").json
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    groups = call(kubesim, "GET", "/apis").json
    assert groups["kind"] == "APIGroupList"
    apps = next(g for g in groups["groups"] if g["name"] == "apps")
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert call(kubesim, "GET", "/apis/batch").json["kind"] == "APIGroup"

    core = {r["name"]: r for r in call(kubesim, "GET", "/api/v1").json["resources"]}
    assert core["pods"] == {
        "name": "pods",
        "singularName": "pod",
        "namespaced": True,
        "kind": "Pod",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "shortNames": ["po"],
        "categories": ["all"],
    }
    assert core["pods/status"]["kind"] == "Pod" and core["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert core["namespaces"]["namespaced"] is False and "deletecollection" not in core["namespaces"]["verbs"]

    apps_v1 = call(kubesim, "GET", "/apis/apps/v1").json
    assert apps_v1["groupVersion"] == "apps/v1"
    scale = next(r for r in apps_v1["resources"] if r["name"] == "deployments/scale")
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    sar = next(
        r
        for r in call(kubesim, "GET", "/apis/authorization.k8s.io/v1").json["resources"]
        if r["name"] == "selfsubjectaccessreviews"
    )
    assert sar["verbs"] == ["create"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2",
        "/apis/apps/v2",
        "/apis/nope.example.com/v1",
        "/api/v1/widgets",
        "/apis/apps/v1/namespaces/default/widgets",
        "/api/v1/namespaces/default/nodes",
    ],
)
def test_unknown_paths_are_404_status(kubesim, path):
    reply = call(kubesim, "GET", path)
    assert reply.status == 404
    assert reply.json["reason"] == "NotFound"
    assert reply.json["message"] == "the server could not find the requested resource"


def test_dynamic_client_resolves_every_served_kind(kubesim):
    dyn = DynamicClient(kubesim.kube_client())
    for api_version, kind in SERVED:
        res = dyn.resources.get(api_version=api_version, kind=kind)
        assert res.kind == kind and res.group_version == api_version
    deployments = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.subresources["scale"].kind == "Scale"


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_wrong_token_is_401(kubesim, token):
    reply = call(kubesim, "GET", "/api/v1/namespaces", token=token)
    assert reply.status == 401
    assert reply.json == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


def test_tls_certificate_is_for_loopback(kubesim):
    # The kubeconfig CA verifies the serving certificate for 127.0.0.1 (the client checks the IP SAN).
    names = [n.metadata.name for n in client.CoreV1Api(kubesim.kube_client()).list_namespace().items]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
