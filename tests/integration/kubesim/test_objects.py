"""Object verbs with the kubernetes client: create/get/list/replace/delete, status and scale subresources,
resourceVersion and generation rules, dry-run, deletion semantics, errors in kube-apiserver's words."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from .helpers import call, configmap, deployment, namespace, pod


@pytest.fixture
def core(kubesim):
    return client.CoreV1Api(kubesim.kube_client())


@pytest.fixture
def apps(kubesim):
    return client.AppsV1Api(kubesim.kube_client())


def body(exc: client.ApiException) -> dict:
    return json.loads(exc.body)


def test_create_fills_system_fields_and_conflicts(core):
    cm = core.create_namespaced_config_map("default", configmap("c1", data={"a": "1"}))
    assert cm.metadata.uid and cm.metadata.creation_timestamp and int(cm.metadata.resource_version) > 0
    assert cm.metadata.namespace == "default"
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map("default", configmap("c1"))
    assert err.value.status == 409
    assert body(err.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'configmaps "c1" already exists',
        "reason": "AlreadyExists",
        "details": {"name": "c1", "kind": "configmaps"},
        "code": 409,
    }


def test_generate_name_and_missing_namespace(core, apps):
    made = core.create_namespaced_config_map("default", {"metadata": {"generateName": "gen-"}})
    assert made.metadata.name.startswith("gen-") and len(made.metadata.name) == len("gen-") + 5
    with pytest.raises(client.ApiException) as err:
        apps.create_namespaced_deployment("nowhere", deployment("web", "nowhere"))
    assert err.value.status == 404
    assert body(err.value)["message"] == 'namespaces "nowhere" not found'
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map("default", {"metadata": {}})
    assert err.value.status == 422
    assert body(err.value)["message"] == (
        'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'
    )


def test_not_found_messages(core, apps):
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_pod("x", "default")
    assert body(err.value)["message"] == 'pods "x" not found'
    assert body(err.value)["details"] == {"name": "x", "kind": "pods"}
    with pytest.raises(client.ApiException) as err:
        apps.read_namespaced_deployment("x", "default")
    assert body(err.value)["message"] == 'deployments.apps "x" not found'
    assert body(err.value)["details"] == {"name": "x", "group": "apps", "kind": "deployments"}


def test_invalid_name_is_422(core):
    with pytest.raises(client.ApiException) as err:
        core.create_namespace(namespace("Bad_Name"))
    assert err.value.status == 422
    assert body(err.value)["message"].startswith(
        'Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label'
    )


def test_replace_requires_current_resource_version(core):
    cm = core.create_namespaced_config_map("default", configmap("c", data={"a": "1"}))
    stale = cm.metadata.resource_version
    cm.data = {"a": "2"}
    updated = core.replace_namespaced_config_map("c", "default", cm)
    assert updated.data == {"a": "2"} and int(updated.metadata.resource_version) > int(stale)
    cm.data = {"a": "3"}
    cm.metadata.resource_version = stale
    with pytest.raises(client.ApiException) as err:
        core.replace_namespaced_config_map("c", "default", cm)
    assert err.value.status == 409
    assert body(err.value)["reason"] == "Conflict"
    assert body(err.value)["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been '
        "modified; please apply your changes to the latest version and try again"
    )
    # Without a resourceVersion the update is unconditional.
    cm.metadata.resource_version = None
    assert core.replace_namespaced_config_map("c", "default", cm).data == {"a": "3"}


def test_replace_name_mismatch_and_missing_object(kubesim, core):
    core.create_namespaced_config_map("default", configmap("c"))
    reply = call(kubesim, "PUT", "/api/v1/namespaces/default/configmaps/c", configmap("other"))
    assert reply.status == 400
    assert reply.json["message"] == "the name of the object (other) does not match the name on the URL (c)"
    reply = call(kubesim, "PUT", "/api/v1/namespaces/default/configmaps/absent", configmap("absent"))
    assert reply.status == 404 and reply.json["message"] == 'configmaps "absent" not found'


def test_resource_version_only_moves_on_real_change(core):
    cm = core.create_namespaced_config_map("default", configmap("c", data={"a": "1"}))
    same = core.patch_namespaced_config_map("c", "default", {"data": {"a": "1"}})
    assert same.metadata.resource_version == cm.metadata.resource_version
    replaced = core.replace_namespaced_config_map("c", "default", core.read_namespaced_config_map("c", "default"))
    assert replaced.metadata.resource_version == cm.metadata.resource_version
    changed = core.patch_namespaced_config_map("c", "default", {"data": {"a": "2"}})
    assert int(changed.metadata.resource_version) > int(cm.metadata.resource_version)


def test_generation_counts_spec_changes_only(kubesim, apps):
    kubesim.set_policy(None)
    d = apps.create_namespaced_deployment("default", deployment("web", replicas=1))
    assert d.metadata.generation == 1
    d = apps.patch_namespaced_deployment("web", "default", {"metadata": {"labels": {"team": "a"}}})
    assert d.metadata.generation == 1
    d = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 2}})
    assert d.metadata.generation == 2
    # Pods have no generation in 1.31.
    assert (
        client.CoreV1Api(kubesim.kube_client()).create_namespaced_pod("default", pod("p")).metadata.generation is None
    )


def test_status_subresource_separates_spec_and_status(core):
    # (ResourceQuota: no simulated controller rewrites its status behind the test's back.)
    core.create_namespaced_resource_quota(
        "default", {"metadata": {"name": "q"}, "spec": {"hard": {"pods": "5"}}, "status": {"hard": {"pods": "1"}}}
    )
    assert (
        core.read_namespaced_resource_quota("q", "default").status is None
        or core.read_namespaced_resource_quota("q", "default").status.hard is None
    )
    # A status write cannot change spec; a main-resource write cannot change status.
    patched = core.patch_namespaced_resource_quota_status(
        "q", "default", {"spec": {"hard": {"pods": "9"}}, "status": {"hard": {"pods": "5"}, "used": {"pods": "2"}}}
    )
    assert patched.spec.hard == {"pods": "5"} and patched.status.used == {"pods": "2"}
    patched = core.patch_namespaced_resource_quota("q", "default", {"status": {"used": {"pods": "0"}}})
    assert patched.status.used == {"pods": "2"}


def test_create_ignores_status_and_pods_start_pending(core):
    created = core.create_namespaced_pod("default", {**pod("p"), "status": {"phase": "Succeeded"}})
    assert created.status.phase == "Pending" and created.status.qos_class == "BestEffort"


def test_scale_subresource(kubesim, apps):
    apps.create_namespaced_deployment("default", deployment("web", replicas=1))
    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert (scale.kind, scale.api_version, scale.spec.replicas) == ("Scale", "autoscaling/v1", 1)
    assert scale.status.selector == "app=web"
    scaled = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 3}})
    assert scaled.spec.replicas == 3
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 3
    reply = call(kubesim, "GET", "/api/v1/namespaces/default/configmaps/x/scale")
    assert reply.status == 404


def test_delete_responses(kubesim, core):
    core.create_namespaced_config_map("default", configmap("c"))
    status = call(kubesim, "DELETE", "/api/v1/namespaces/default/configmaps/c")
    assert status.status == 200
    assert status.json["kind"] == "Status" and status.json["status"] == "Success"
    assert status.json["details"]["name"] == "c" and status.json["details"]["kind"] == "configmaps"
    core.create_namespaced_pod("default", pod("p"))
    deleted = call(kubesim, "DELETE", "/api/v1/namespaces/default/pods/p")
    assert deleted.status == 200 and deleted.json["kind"] == "Pod"
    assert call(kubesim, "DELETE", "/api/v1/namespaces/default/pods/p").status == 404


def test_finalizers_hold_deletion(kubesim, core):
    cm = configmap("held")
    cm["metadata"]["finalizers"] = ["example.com/hold"]
    core.create_namespaced_config_map("default", cm)
    reply = call(kubesim, "DELETE", "/api/v1/namespaces/default/configmaps/held")
    assert reply.status == 200 and reply.json["kind"] == "ConfigMap"  # the object, not a Status
    held = core.read_namespaced_config_map("held", "default")
    assert reply.json["metadata"]["deletionTimestamp"] and reply.json["metadata"]["finalizers"] == ["example.com/hold"]
    assert held.metadata.deletion_timestamp is not None
    cm["metadata"]["name"] = "held-too"
    core.create_namespaced_config_map("default", cm)
    assert (
        call(kubesim, "DELETE", "/api/v1/namespaces/default/configmaps/held-too", {"orphanDependents": False}).status
        == 202
    )
    core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_config_map("held", "default")
    assert err.value.status == 404


def test_delete_preconditions(kubesim, core):
    core.create_namespaced_config_map("default", configmap("c"))
    reply = call(
        kubesim, "DELETE", "/api/v1/namespaces/default/configmaps/c", {"preconditions": {"resourceVersion": "1"}}
    )
    assert reply.status == 409
    assert reply.json["message"].startswith(
        'Operation cannot be fulfilled on configmaps "c": Precondition failed: ResourceVersion in precondition: 1'
    )


def test_deletecollection_honours_selector(kubesim, core):
    for i, team in enumerate(["a", "a", "b"]):
        core.create_namespaced_config_map("default", configmap(f"c{i}", labels={"team": team}))
    # kube-apiserver answers with the list of deleted objects.
    gone = call(kubesim, "DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=team%3Da")
    assert gone.status == 200 and gone.json["kind"] == "ConfigMapList"
    assert sorted(i["metadata"]["name"] for i in gone.json["items"]) == ["c0", "c1"]
    core.delete_collection_namespaced_config_map("default", field_selector="metadata.name=c2")
    assert core.list_namespaced_config_map("default").items == []


def test_cascading_and_orphan_deletion(kubesim, apps, core):
    apps.create_namespaced_deployment("default", deployment("web", replicas=2))
    kubesim.settle()
    assert len(core.list_namespaced_pod("default", label_selector="app=web").items) == 2
    apps.delete_namespaced_deployment("web", "default")
    kubesim.settle()
    assert apps.list_namespaced_replica_set("default").items == []
    assert core.list_namespaced_pod("default").items == []

    apps.create_namespaced_deployment("default", deployment("keep", replicas=1))
    kubesim.settle()
    apps.delete_namespaced_deployment("keep", "default", propagation_policy="Orphan")
    kubesim.settle()
    orphans = apps.list_namespaced_replica_set("default").items
    assert len(orphans) == 1 and not orphans[0].metadata.owner_references


def test_namespace_delete_removes_contents(kubesim, core, apps):
    core.create_namespace(namespace("doomed"))
    apps.create_namespaced_deployment("doomed", deployment("web", "doomed", replicas=1))
    core.create_namespaced_config_map("doomed", configmap("c", "doomed"))
    kubesim.settle()
    terminating = core.delete_namespace("doomed")
    assert terminating["status"]["phase"] == "Terminating"  # the client cannot map a 202 Namespace body
    kubesim.settle()
    with pytest.raises(client.ApiException) as err:
        core.read_namespace("doomed")
    assert err.value.status == 404
    assert kubesim.list("v1/pods", "doomed") == [] and kubesim.list("v1/configmaps", "doomed") == []
    # A terminating namespace refuses new content (checked before it disappears).
    core.create_namespace(namespace("closing"))
    cm = configmap("c", "closing")
    cm["metadata"]["finalizers"] = ["example.com/hold"]
    core.create_namespaced_config_map("closing", cm)
    core.delete_namespace("closing")
    kubesim.settle()
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map("closing", configmap("new", "closing"))
    assert err.value.status == 403
    assert body(err.value)["message"] == (
        'configmaps "new" is forbidden: unable to create new content in namespace '
        "closing because it is being terminated"
    )


def test_dry_run_stores_nothing(kubesim, core):
    rv = kubesim.resource_version
    made = core.create_namespaced_config_map("default", configmap("dry", data={"a": "1"}), dry_run="All")
    assert made.metadata.uid and made.metadata.resource_version is None
    with pytest.raises(client.ApiException):
        core.read_namespaced_config_map("dry", "default")
    core.create_namespaced_config_map("default", configmap("real", data={"a": "1"}))
    rv = kubesim.resource_version
    would = core.patch_namespaced_config_map("real", "default", {"data": {"a": "2"}}, dry_run="All")
    assert would.data == {"a": "2"}
    assert core.read_namespaced_config_map("real", "default").data == {"a": "1"}
    core.delete_namespaced_config_map("real", "default", dry_run="All")
    assert core.read_namespaced_config_map("real", "default").data == {"a": "1"}
    assert kubesim.resource_version == rv
    assert call(kubesim, "POST", "/api/v1/namespaces/default/configmaps?dryRun=Some", configmap("x")).status == 400


def test_events_k8s_io_is_a_view_of_core_events(kubesim, core):
    core.create_namespaced_event(
        "default",
        {
            "metadata": {"name": "e1"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
            "reason": "FailedCreate",
            "message": "Error creating: boom",
            "type": "Warning",
            "count": 2,
        },
    )
    events = call(kubesim, "GET", "/apis/events.k8s.io/v1/namespaces/default/events").json
    assert events["kind"] == "EventList" and events["apiVersion"] == "events.k8s.io/v1"
    (e,) = events["items"]
    assert (e["reason"], e["note"], e["regarding"]["name"], e["deprecatedCount"]) == (
        "FailedCreate",
        "Error creating: boom",
        "p",
        2,
    )
    # Legacy events have no eventTime, and kube-apiserver shows it as null in this view; the typed
    # kubernetes client (EventsV1Api) cannot deserialize that, exactly as against a real cluster.
    assert e["eventTime"] is None
    with pytest.raises(ValueError):
        client.EventsV1Api(kubesim.kube_client()).list_namespaced_event("default")


def test_self_subject_access_review(kubesim):
    authz = client.AuthorizationV1Api(kubesim.kube_client())
    review = authz.create_self_subject_access_review(
        {"spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "default"}}}
    )
    assert review.status.allowed is True
    kubesim.seed(
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "pod-reader", "namespace": "mesh"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "diag-pods", "namespace": "mesh"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
                "subjects": [{"kind": "ServiceAccount", "name": "diag", "namespace": "mesh"}],
            },
        ]
    )
    sa = "system:serviceaccount:mesh:diag"

    def sar(verb: str, ns: str, resource: str = "pods") -> object:
        return authz.create_subject_access_review(
            {"spec": {"user": sa, "resourceAttributes": {"verb": verb, "resource": resource, "namespace": ns}}}
        ).status

    allowed = sar("list", "mesh")
    assert allowed.allowed is True
    assert allowed.reason == (
        'RBAC: allowed by RoleBinding "diag-pods/mesh" of Role "pod-reader" to ServiceAccount "diag/mesh"'
    )
    assert sar("delete", "mesh").allowed is False
    assert sar("list", "other").allowed is False
    assert sar("list", "mesh", "secrets").allowed is False


def test_dynamic_client_verbs(kubesim):
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

    dyn = DynamicClient(kubesim.kube_client())
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    created = cms.create(body=configmap("dyn", data={"a": "1"}), namespace="default")
    assert created.metadata.uid
    patched = cms.patch(
        name="dyn", namespace="default", body={"data": {"b": "2"}}, content_type="application/merge-patch+json"
    )
    assert dict(patched.data) == {"a": "1", "b": "2"}
    body = patched.to_dict()
    body["data"] = {"c": "3"}
    replaced = cms.replace(body=body, namespace="default")
    assert dict(replaced.data) == {"c": "3"}
    with pytest.raises(ConflictError):
        cms.replace(body=body, namespace="default")  # body still carries the old resourceVersion
    scale = dyn.resources.get(api_version="apps/v1", kind="Deployment").subresources["scale"]
    client.AppsV1Api(kubesim.kube_client()).create_namespaced_deployment("default", deployment("web", replicas=1))
    assert scale.get(name="web", namespace="default").spec.replicas == 1
    cms.delete(name="dyn", namespace="default")
    with pytest.raises(NotFoundError):
        cms.get(name="dyn", namespace="default")
    events = [
        (e["type"], e["object"].metadata.name)
        for e in cms.watch(namespace="default", field_selector="metadata.name=none", timeout=1)
    ]
    assert events == []
