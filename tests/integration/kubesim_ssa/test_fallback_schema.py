"""Without kubernetes-validate's schemas, field ownership runs on the built-in table: containers, ports,
webhooks, ... are associative lists, finalizers a set, the other lists atomic, every map granular, and no field
is unknown. The same field manager, driven directly."""

from __future__ import annotations

import pytest

from tests.kubesim.fieldmanager import ApplyConflict, FieldManager, Schema, validation

SCHEMA = Schema(None)


def deployment(containers: list[dict], finalizers: list[str]) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "finalizers": finalizers},
        "spec": {"template": {"spec": {"containers": containers}}},
    }


def test_fallback_merges_by_the_table_and_detects_conflicts():
    fm = FieldManager(SCHEMA)
    live, managed = fm.apply(None, deployment([{"name": "app", "image": "a:1", "args": ["x"]}], ["a"]), "team")
    live["metadata"]["managedFields"] = managed
    merged, managed = fm.apply(live, deployment([{"name": "proxy", "image": "p:1"}], ["b"]), "mesh")
    assert [c["name"] for c in merged["spec"]["template"]["spec"]["containers"]] == ["app", "proxy"]
    assert merged["metadata"]["finalizers"] == ["a", "b"]
    assert sorted((e["manager"], e["operation"]) for e in managed) == [("mesh", "Apply"), ("team", "Apply")]
    merged["metadata"]["managedFields"] = managed
    with pytest.raises(ApplyConflict) as conflict:
        fm.apply(merged, deployment([{"name": "app", "image": "a:2"}], []), "mesh")
    assert conflict.value.message == (
        'Apply failed with 1 conflict: conflict with "team": .spec.template.spec.containers[name="app"].image'
    )


def test_fallback_knows_no_unknown_fields():
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replica": 3}}
    assert validation.check_body(SCHEMA, obj, "Strict", "Deployment", "v1") is obj
