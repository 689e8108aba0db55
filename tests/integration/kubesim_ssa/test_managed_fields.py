"""metadata.managedFields on create, update, patch and /status writes, served on every read, through the real
kubernetes client (its User-Agent `OpenAPI-Generator/<v>/python` names the manager when no fieldManager is given,
as kube-apiserver's prefixFromUserAgent does)."""

from __future__ import annotations

import re

from kubernetes import client

from tests.integration.kubesim.helpers import call
from tests.integration.kubesim_ssa.helpers import key, managed

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def entries(obj: dict) -> list[tuple]:
    return [
        (e["manager"], e["operation"], e.get("subresource"), e["fieldsV1"])
        for e in obj["metadata"].get("managedFields") or ()
    ]


def test_create_update_patch_record_updates_per_manager(kube_api_client, kubesim):
    core = client.CoreV1Api(kube_api_client)
    core.create_namespaced_config_map(
        "default", {"metadata": {"name": "c", "labels": {"app": "x"}}, "data": {"a": "1"}}
    )
    created = kubesim.get("v1/configmaps", "default", "c")
    # Maps the write added are owned themselves too (`.`), as the compare walker reports them.
    assert entries(created) == [
        (
            "OpenAPI-Generator",
            "Update",
            None,
            {"f:data": {".": {}, "f:a": {}}, "f:metadata": {"f:labels": {".": {}, "f:app": {}}}},
        )
    ]
    assert TIME.match(created["metadata"]["managedFields"][0]["time"])
    assert created["metadata"]["managedFields"][0]["apiVersion"] == "v1"
    # Another manager changes one field and adds one: they move to it; the untouched ones stay.
    core.patch_namespaced_config_map("c", "default", {"data": {"a": "2", "b": "1"}}, field_manager="kubectl-edit")
    patched = kubesim.get("v1/configmaps", "default", "c")
    assert entries(patched) == [
        ("OpenAPI-Generator", "Update", None, {"f:data": {}, "f:metadata": {"f:labels": {".": {}, "f:app": {}}}}),
        ("kubectl-edit", "Update", None, {"f:data": {"f:a": {}, "f:b": {}}}),
    ]
    # A removal takes the field from every manager (the labels map with its keys).
    obj = core.read_namespaced_config_map("c", "default")
    obj.metadata.labels = None
    obj.metadata.managed_fields = None
    core.replace_namespaced_config_map("c", "default", obj, field_manager="kubectl-replace")
    assert entries(kubesim.get("v1/configmaps", "default", "c")) == [
        ("OpenAPI-Generator", "Update", None, {"f:data": {}}),
        ("kubectl-edit", "Update", None, {"f:data": {"f:a": {}, "f:b": {}}}),
    ]
    # A manager left with nothing disappears.
    core.patch_namespaced_config_map("c", "default", {"data": None}, field_manager="kubectl-edit")
    assert entries(kubesim.get("v1/configmaps", "default", "c")) == []
    # A no-op write changes nothing, managedFields and resourceVersion included.
    before = kubesim.get("v1/configmaps", "default", "c")
    core.patch_namespaced_config_map("c", "default", {"data": None}, field_manager="other")
    assert kubesim.get("v1/configmaps", "default", "c") == before


def test_reads_lists_and_watches_serve_managed_fields(kube_api_client):
    core = client.CoreV1Api(kube_api_client)
    core.create_namespaced_config_map("default", {"metadata": {"name": "w"}, "data": {"k": "v"}}, field_manager="me")
    listed = core.list_namespaced_config_map("default", field_selector="metadata.name=w").items[0]
    assert [(m.manager, m.operation, m.fields_v1) for m in listed.metadata.managed_fields] == [
        ("me", "Update", {"f:data": {".": {}, "f:k": {}}})
    ]


def test_defaulted_fields_belong_to_the_creator_and_status_writes_to_their_subresource(kubesim):
    kubesim.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
        }
    )
    pod = kubesim.get("v1/pods", "default", "p")
    by = {(e["manager"], e.get("subresource", "")): e for e in pod["metadata"]["managedFields"]}
    assert sorted(by) == [("kubelet", "status"), ("kubesim", "")]
    container = by[("kubesim", "")]["fieldsV1"]["f:spec"]["f:containers"][key(name="app")]
    # Defaults are applied while decoding, before the field manager runs: the creator owns them.
    assert {"f:image", "f:imagePullPolicy", "f:terminationMessagePath", "f:resources"} <= set(container)
    assert "f:status" not in by[("kubesim", "")]["fieldsV1"]
    status = by[("kubelet", "status")]
    assert status["operation"] == "Update" and set(status["fieldsV1"]) == {"f:status"}
    assert {"f:phase", "f:podIP", "f:hostIP"} <= set(status["fieldsV1"]["f:status"])


def test_webhook_mutations_are_nobodys_and_controllers_name_themselves(kubesim):
    kubesim.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "a", "image": "x:1"}]},
                },
            },
        }
    )
    rs = kubesim.list("apps/v1/replicasets", "default")[0]
    pod = kubesim.list("v1/pods", "default")[0]
    assert [(e["manager"], e["operation"], e.get("subresource")) for e in rs["metadata"]["managedFields"]] == [
        ("kube-controller-manager", "Update", None),
        ("kube-controller-manager", "Update", "status"),
    ]
    creator = next(e for e in pod["metadata"]["managedFields"] if not e.get("subresource"))
    assert creator["manager"] == "kube-controller-manager"
    # ServiceAccount admission mounted the token volume after the field manager ran: nobody owns it.
    volumes = creator["fieldsV1"]["f:spec"].get("f:volumes", {})
    assert not any(k.startswith('k:{"name":"kube-api-access-') for k in volumes)
    assert pod["spec"]["volumes"][0]["name"].startswith("kube-api-access-")


def test_client_may_reset_managed_fields(kubesim):
    kubesim.apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "r", "namespace": "default"}, "data": {"a": "1"}}
    )
    reply = call(
        kubesim,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/r",
        {"metadata": {"managedFields": [{}]}},
        content_type="application/merge-patch+json",
    )
    assert reply.status == 200 and "managedFields" not in reply.json["metadata"]
    assert managed(kubesim.get("v1/configmaps", "default", "r")) == {}
