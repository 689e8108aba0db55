"""The four PATCH content types, over HTTPS, with upstream's list-merge semantics."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from tests.kubesim.patches import StrategicMerger

from .helpers import call, configmap, deployment

MWC = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "istio-sidecar-injector"},
    "webhooks": [
        {
            "name": "namespace.sidecar-injector.istio.io",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system", "path": "/inject"}},
            "namespaceSelector": {"matchLabels": {"istio-injection": "enabled"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        },
        {
            "name": "object.sidecar-injector.istio.io",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system", "path": "/inject"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        },
    ],
}
MWC_PATH = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-sidecar-injector"
SMP = "application/strategic-merge-patch+json"


def patch(sim, path: str, doc, content_type: str, query: str = ""):
    return call(
        sim, "PATCH", path + query, json.dumps(doc) if not isinstance(doc, str) else doc, content_type=content_type
    )


def test_strategic_merge_merges_webhooks_by_name(kubesim):
    kubesim.apply(MWC)
    before = kubesim.get(
        "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", None, "istio-sidecar-injector"
    )
    reply = patch(
        kubesim,
        MWC_PATH,
        {"webhooks": [{"name": "object.sidecar-injector.istio.io", "timeoutSeconds": 5, "failurePolicy": "Ignore"}]},
        SMP,
    )
    assert reply.status == 200
    hooks = {h["name"]: h for h in reply.json["webhooks"]}
    assert [h["name"] for h in reply.json["webhooks"]] == [h["name"] for h in before["webhooks"]]
    obj = hooks["object.sidecar-injector.istio.io"]
    assert (obj["timeoutSeconds"], obj["failurePolicy"]) == (5, "Ignore")
    assert obj["clientConfig"]["service"]["path"] == "/inject"  # kept, not replaced
    assert hooks["namespace.sidecar-injector.istio.io"] == {**before["webhooks"][0]}  # untouched sibling
    assert reply.json["metadata"]["generation"] == 2


def test_strategic_merge_directives(kubesim):
    kubesim.apply(MWC)
    reply = patch(
        kubesim, MWC_PATH, {"webhooks": [{"name": "object.sidecar-injector.istio.io", "$patch": "delete"}]}, SMP
    )
    assert [h["name"] for h in reply.json["webhooks"]] == ["namespace.sidecar-injector.istio.io"]
    reply = patch(
        kubesim,
        MWC_PATH,
        {
            "webhooks": [
                {
                    "name": "namespace.sidecar-injector.istio.io",
                    "namespaceSelector": {"$patch": "replace", "matchLabels": {"mesh": "on"}},
                }
            ]
        },
        SMP,
    )
    assert reply.json["webhooks"][0]["namespaceSelector"] == {"matchLabels": {"mesh": "on"}}


def test_strategic_merge_adds_containers_first_and_keeps_lists_of_primitives_merged(kubesim):
    apps = client.AppsV1Api(kubesim.kube_client())
    apps.create_namespaced_deployment("default", deployment("web", replicas=0))
    patched = apps.patch_namespaced_deployment(
        "web",
        "default",
        {
            "metadata": {"finalizers": ["b.example/x"]},
            "spec": {"template": {"spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2"}]}}},
        },
    )
    # Upstream puts items that only the patch has before the server's items.
    assert [c.name for c in patched.spec.template.spec.containers] == ["istio-proxy", "app"]
    assert patched.spec.template.spec.containers[1].ports[0].container_port == 80
    patched = apps.patch_namespaced_deployment("web", "default", {"metadata": {"finalizers": ["a.example/y"]}})
    assert patched.metadata.finalizers == ["a.example/y", "b.example/x"]
    # $setElementOrder (what kubectl apply sends) decides the order instead.
    reply = patch(
        kubesim,
        "/apis/apps/v1/namespaces/default/deployments/web",
        {
            "spec": {
                "template": {
                    "spec": {
                        "$setElementOrder/containers": [{"name": "app"}, {"name": "istio-proxy"}],
                        "containers": [{"name": "istio-proxy", "image": "proxyv2:1.22"}],
                    }
                }
            }
        },
        SMP,
    )
    assert [c["name"] for c in reply.json["spec"]["template"]["spec"]["containers"]] == ["app", "istio-proxy"]
    assert reply.json["spec"]["template"]["spec"]["containers"][1]["image"] == "proxyv2:1.22"


def test_strategic_merge_replaces_lists_without_merge_key(kubesim):
    apps = client.AppsV1Api(kubesim.kube_client())
    apps.create_namespaced_deployment("default", deployment("web", replicas=0))
    apps.patch_namespaced_deployment(
        "web", "default", {"spec": {"template": {"spec": {"containers": [{"name": "app", "args": ["--a", "--b"]}]}}}}
    )
    d = apps.patch_namespaced_deployment(
        "web", "default", {"spec": {"template": {"spec": {"containers": [{"name": "app", "args": ["--c"]}]}}}}
    )
    assert d.spec.template.spec.containers[0].args == ["--c"]


def test_merge_patch_replaces_lists_and_deletes_with_null(kubesim):
    kubesim.apply(MWC)
    reply = patch(
        kubesim,
        MWC_PATH,
        {"metadata": {"labels": {"a": "1"}}, "webhooks": [{**MWC["webhooks"][1], "timeoutSeconds": 3}]},
        "application/merge-patch+json",
    )
    assert [h["name"] for h in reply.json["webhooks"]] == ["object.sidecar-injector.istio.io"]
    reply = patch(kubesim, MWC_PATH, {"metadata": {"labels": {"a": None}}}, "application/merge-patch+json")
    assert "a" not in (reply.json["metadata"].get("labels") or {})


def test_json_patch_and_its_errors(kubesim):
    kubesim.apply(MWC)
    reply = patch(
        kubesim,
        MWC_PATH,
        [
            {"op": "replace", "path": "/webhooks/0/failurePolicy", "value": "Ignore"},
            {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
        ],
        "application/json-patch+json",
    )
    assert reply.status == 200
    assert reply.json["webhooks"][0]["failurePolicy"] == "Ignore" and reply.json["metadata"]["labels"] == {"x": "y"}
    failed = patch(
        kubesim,
        MWC_PATH,
        [{"op": "test", "path": "/webhooks/0/failurePolicy", "value": "Fail"}],
        "application/json-patch+json",
    )
    assert failed.status == 422 and failed.json["reason"] == "Invalid"
    assert failed.json["message"].startswith("the server rejected our request due to an error in our request")


def test_patch_with_stale_resource_version_conflicts(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    cm = core.create_namespaced_config_map("default", configmap("c", data={"a": "1"}))
    core.patch_namespaced_config_map("c", "default", {"data": {"a": "2"}})
    reply = patch(
        kubesim,
        "/api/v1/namespaces/default/configmaps/c",
        {"metadata": {"resourceVersion": cm.metadata.resource_version}, "data": {"a": "3"}},
        "application/merge-patch+json",
    )
    assert reply.status == 409
    assert reply.json["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


def test_apply_patch_creates_then_merges(kubesim):
    path = "/api/v1/namespaces/default/configmaps/applied"
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: '1'\n"
    missing_manager = patch(kubesim, path, doc, "application/apply-patch+yaml")
    assert missing_manager.status == 422
    assert missing_manager.json["message"].endswith("fieldManager: Required value: is required for apply patch")
    created = patch(kubesim, path, doc, "application/apply-patch+yaml", "?fieldManager=test")
    assert created.status == 201 and created.json["data"] == {"a": "1"}
    merged = patch(
        kubesim, path, doc.replace("a: '1'", "b: '2'"), "application/apply-patch+yaml", "?fieldManager=test&force=true"
    )
    # Server-side apply, not a merge: `a` was this manager's alone and is no longer applied, so it is removed.
    assert merged.status == 200 and merged.json["data"] == {"b": "2"}
    again = patch(kubesim, path, doc.replace("a: '1'", "b: '2'"), "application/apply-patch+yaml", "?fieldManager=test")
    assert again.json["metadata"]["resourceVersion"] == merged.json["metadata"]["resourceVersion"]


def test_unsupported_patch_type_is_415(kubesim):
    kubesim.apply(configmap("c"))
    reply = patch(kubesim, "/api/v1/namespaces/default/configmaps/c", {"data": {}}, "application/json")
    assert reply.status == 415 and reply.json["reason"] == "UnsupportedMediaType"


@pytest.mark.parametrize(
    ("original", "patch_doc", "expected"),
    [
        # retainKeys: only the listed keys survive (what kubectl sends for Deployment.spec.strategy).
        (
            {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}},
            {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
            {"spec": {"strategy": {"type": "Recreate"}}},
        ),
        # deleteFromPrimitiveList on a merging list of strings.
        (
            {"metadata": {"finalizers": ["a", "b", "c"]}},
            {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}},
            {"metadata": {"finalizers": ["a", "c"]}},
        ),
        # $patch: replace on a whole list.
        (
            {"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}},
            {"spec": {"template": {"spec": {"containers": [{"name": "c"}, {"$patch": "replace"}]}}}},
            {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}},
        ),
        # Items present on both sides keep the server order around patch-only items.
        (
            {"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}}},
            {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}, {"name": "d"}]}}}},
            {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [{"name": "a"}, {"name": "b"}, {"name": "c", "image": "x"}, {"name": "d"}]
                        }
                    }
                }
            },
        ),
    ],
)
def test_strategic_merge_semantics(original, patch_doc, expected):
    merged = StrategicMerger(31).apply(
        {"apiVersion": "apps/v1", "kind": "Deployment", **original}, patch_doc, "apps/v1", "Deployment"
    )
    merged.pop("apiVersion")
    merged.pop("kind")
    assert merged == expected
