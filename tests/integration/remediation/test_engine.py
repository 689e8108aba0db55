# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remediation lifecycle (plan → backup → apply → verify) against kubesim with the real client."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import plan as P
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import backup
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import (
    REMOVE,
    Edit,
    PlanError,
    Target,
    targets_from_plans,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.lifecycle import (
    Remediation,
    RemediationFailed,
)

from .helpers import namespace, store, writer, writes

DEMO = ObjectRef("Namespace", "demo")
SHOP = ObjectRef("Namespace", "shop")
NOW = 1796302800.0  # 2026-12-03T13:00:00Z


def label_targets():
    return [
        Target(
            DEMO, [Edit("/metadata/labels/istio-injection", "enabled"), Edit("/metadata/labels/istio.io~1rev", REMOVE)]
        ),
        Target(SHOP, [Edit("/metadata/labels/istio-injection", "enabled")]),
    ]


@pytest.fixture
def seeded(kubesim):
    kubesim.seed([namespace("demo", {"istio.io/rev": "canary", "team": "a"}), namespace("shop")])
    kubesim.clear_requests()
    return kubesim


def test_apply_backup_verify_then_nothing_to_do(seeded, tmp_path):
    engine = Remediation(writer(seeded), "test", backup_dir=str(tmp_path), now=NOW)
    result = engine.run(engine.plan(label_targets()))

    assert result["changed"] is True
    assert [o["name"] for o in result["changed_objects"]] == ["demo", "shop"]
    assert [p["status"] for p in result["plan"]] == ["applied", "applied"]
    assert seeded.get("v1/namespaces", None, "demo")["metadata"]["labels"] == {
        "istio-injection": "enabled",
        "kubernetes.io/metadata.name": "demo",
        "team": "a",
    }
    assert result["verification"]["ok"] is True
    assert [v["ok"] for v in result["verification"]["objects"]] == [True, True]
    # Two patches, each led by the resourceVersion precondition.
    assert [(r["method"], r["path"].split("?")[0]) for r in writes(seeded)] == [
        ("PATCH", "/api/v1/namespaces/demo"),
        ("PATCH", "/api/v1/namespaces/shop"),
    ]
    assert result["backups"]["files"] == [
        "namespace._cluster.demo.20261203T130000Z.yaml",
        "namespace._cluster.shop.20261203T130000Z.yaml",
    ]
    saved = yaml.safe_load((tmp_path / result["backups"]["files"][0]).read_text())
    assert saved["metadata"]["labels"]["istio.io/rev"] == "canary"
    assert oct(os.stat(tmp_path / result["backups"]["files"][0]).st_mode & 0o777) == "0o600"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert len(manifest["entries"]) == 2
    first = manifest["entries"][0]
    assert first["object"] == {"kind": "Namespace", "namespace": "", "name": "demo"}
    assert first["pointers"] == ["/metadata/labels/istio-injection", "/metadata/labels/istio.io~1rev"]
    assert first["resource_version_after"] == seeded.get("v1/namespaces", None, "demo")["metadata"]["resourceVersion"]
    assert first["resource_version_before"] == saved["metadata"]["resourceVersion"]
    assert "istio.io/rev: canary" in result["diff"][0]["before"]
    assert "istio.io/rev" not in result["diff"][0]["after"]

    seeded.clear_requests()
    again = engine.run(engine.plan(label_targets()))
    assert again["changed"] is False
    assert [p["status"] for p in again["plan"]] == ["unchanged", "unchanged"]
    assert writes(seeded) == []
    assert again["backups"]["files"] == []
    assert len(backup.read_manifest(str(tmp_path))["entries"]) == 2


def test_check_mode_reports_and_leaves_the_store_identical(seeded, tmp_path):
    before = store(seeded, ["v1/namespaces"])
    engine = Remediation(writer(seeded), "test", backup_dir=str(tmp_path / "b"), check_mode=True)
    result = engine.run(engine.plan(label_targets()))
    assert result["changed"] is True
    assert [p["status"] for p in result["plan"]] == ["would_change", "would_change"]
    assert result["plan"][0]["edits"][1] == {
        "pointer": "/metadata/labels/istio.io~1rev",
        "remove": True,
        "value": None,
        "before": "canary",
        "changes": True,
    }
    assert store(seeded, ["v1/namespaces"]) == before
    assert writes(seeded) == []
    assert not (tmp_path / "b").exists()


def test_conflict_stops_that_object_and_the_rest(seeded, tmp_path):
    engine = Remediation(writer(seeded), "test", backup_dir=str(tmp_path))
    changes = engine.plan(label_targets())
    # Another writer changes demo between the read and the write.
    seeded.apply(namespace("demo", {"istio.io/rev": "canary", "team": "b"}))
    with pytest.raises(RemediationFailed) as caught:
        engine.run(changes)
    message = str(caught.value)
    assert message.startswith("Namespace demo was modified by another writer after it was read (409 Conflict: ")
    assert message.endswith("It was left as it is; re-run to plan against its current state.")
    result = caught.value.result
    assert [p["status"] for p in result["plan"]] == ["failed", "not_attempted"]
    assert result["changed"] is False
    assert seeded.get("v1/namespaces", None, "demo")["metadata"]["labels"]["istio.io/rev"] == "canary"
    assert "istio-injection" not in seeded.get("v1/namespaces", None, "shop")["metadata"].get("labels", {})


def test_forbidden_patch_is_a_clear_failure(seeded, tmp_path):
    seeded.add_rule(action="forbid", verbs=["patch"], resources=["namespaces"], names=["shop"])
    engine = Remediation(writer(seeded), "test", backup_dir=str(tmp_path))
    with pytest.raises(RemediationFailed) as caught:
        engine.run(engine.plan(label_targets()))
    assert str(caught.value).startswith("Not allowed to patch Namespace shop (403 Forbidden: ")
    assert str(caught.value).endswith("Grant the identity patch on it.")
    result = caught.value.result
    assert [p["status"] for p in result["plan"]] == ["applied", "failed"]
    assert [o["name"] for o in result["changed_objects"]] == ["demo"]
    assert result["changed"] is True  # demo was written: the truth, with its backup for rollback
    assert result["backups"]["files"][0].startswith("namespace._cluster.demo.")


def test_stale_plan_is_refused_before_any_write(seeded, tmp_path):
    plan = P.Plan(
        "label_namespace",
        DEMO,
        [P.remove_label(DEMO, "istio.io/rev", expect="stable"), P.set_label(SHOP, "istio-injection", "enabled")],
    )
    targets, skipped = targets_from_plans([("SI103", plan.as_dict())])
    assert skipped == []
    engine = Remediation(writer(seeded), "test", backup_dir=str(tmp_path))
    with pytest.raises(PlanError) as caught:
        engine.plan(targets)
    assert str(caught.value) == (
        "Namespace demo changed since the diagnosis: /metadata/labels/istio.io~1rev is 'canary', the diagnosis "
        "saw 'stable'. Nothing was changed; re-run the diagnosis and remediate from its findings."
    )
    assert writes(seeded) == []
    assert not tmp_path.joinpath("manifest.json").exists()


def test_plans_compile_and_non_field_operations_are_reported(seeded):
    plan = P.Plan(
        "label_namespace",
        DEMO,
        [
            P.remove_label(DEMO, "istio.io/rev", expect="canary"),
            P.set_label(DEMO, "istio-injection", "enabled"),
            P.restart([ObjectRef("Deployment", "web", "demo")], why="new pods"),
        ],
    )
    targets, skipped = targets_from_plans([("SI102", plan)])
    assert [(t.ref, [e.pointer for e in t.edits], t.resolves) for t in targets] == [
        (DEMO, ["/metadata/labels/istio.io~1rev", "/metadata/labels/istio-injection"], [("SI102", DEMO)])
    ]
    assert skipped == [
        {"code": "SI102", "op": "restart", "target": {"kind": "Deployment", "namespace": "demo", "name": "web"},
         "why": "new pods"}
    ]  # fmt: skip
    engine = Remediation(writer(seeded), "test")
    result = engine.run(
        engine.plan(targets),
        rediagnose=lambda: [{"code": "SI102", "kind": "Namespace", "namespace": "", "name": "other"}],
    )
    assert result["verification"]["findings"] == [
        {"code": "SI102", "object": {"kind": "Namespace", "namespace": "", "name": "demo"}, "gone": True}
    ]
    assert result["backups"] == {"dir": None, "files": [], "manifest": None}


def test_create_then_exists(seeded, tmp_path):
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-webhook", "namespace": "demo"},
        "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 15017, "protocol": "TCP"}]}]},
    }
    ref = ObjectRef("NetworkPolicy", "allow-webhook", "demo")
    engine = Remediation(writer(seeded), "test", backup_dir=str(tmp_path))
    result = engine.run(engine.plan([Target(ref, create=policy)]))
    assert result["changed"] is True
    assert result["verification"]["objects"] == [
        {"object": {"kind": "NetworkPolicy", "namespace": "demo", "name": "allow-webhook"}, "ok": True,
         "checked": ["created"]}
    ]  # fmt: skip
    entry = backup.read_manifest(str(tmp_path))["entries"][0]
    assert (entry["created"], entry["file"]) == (True, None)
    again = engine.run(engine.plan([Target(ref, create=policy)]))
    assert again["changed"] is False
    other = dict(policy, spec={"podSelector": {}, "ingress": []})
    with pytest.raises(PlanError, match=r"^NetworkPolicy demo/allow-webhook exists and differs from the manifest"):
        engine.plan([Target(ref, create=other)])
