# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rollback restores exactly what a remediation backed up, is idempotent, and refuses to restore over
a later change unless forced."""

from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import REMOVE, Edit, Target
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.lifecycle import (
    Remediation,
    clean,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import rollback
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import RemediationError

from .helpers import auth, namespace, writer, writes

POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "allow-webhook", "namespace": "demo"},
    "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 15017, "protocol": "TCP"}]}]},
}


@pytest.fixture
def remediated(kubesim, tmp_path):
    kubesim.seed([namespace("demo", {"istio.io/rev": "canary", "team": "a"}, {"note": "x"}), namespace("shop")])
    originals = {n: clean(kubesim.get("v1/namespaces", None, n)) for n in ("demo", "shop")}
    engine = Remediation(writer(kubesim), "test", backup_dir=str(tmp_path))
    targets = [
        Target(ObjectRef("Namespace", "demo"), [Edit("/metadata/labels/istio-injection", "enabled"),
                                                Edit("/metadata/labels/istio.io~1rev", REMOVE)]),
        Target(ObjectRef("Namespace", "shop"), [Edit("/metadata/annotations/linkerd.io~1inject", "enabled")]),
        Target(ObjectRef("NetworkPolicy", "allow-webhook", "demo"), create=POLICY),
    ]  # fmt: skip
    engine.run(engine.plan(targets))
    kubesim.clear_requests()
    return kubesim, originals


def params(sim, tmp_path, **extra):
    out = dict(auth(sim), backup_dir=str(tmp_path), force=False, objects=[], retries=0)
    out.update(extra)
    return out


def test_rollback_restores_exactly_and_twice_is_a_no_op(remediated, tmp_path):
    sim, originals = remediated
    result = rollback.run(params(sim, tmp_path))
    assert result["changed"] is True
    assert [(p["object"]["name"], p["action"], p["status"]) for p in result["plan"]] == [
        ("demo", "restore", "applied"),
        ("shop", "restore", "applied"),
        ("allow-webhook", "delete", "applied"),
    ]
    for name in ("demo", "shop"):
        assert clean(sim.get("v1/namespaces", None, name)) == originals[name]
    assert sim.get("networking.k8s.io/v1/networkpolicies", "demo", "allow-webhook") is None
    assert result["verification"]["ok"] is True
    assert [r["method"] for r in writes(sim)] == ["PUT", "PUT", "DELETE"]

    sim.clear_requests()
    again = rollback.run(params(sim, tmp_path))
    assert again["changed"] is False
    assert [p["action"] for p in again["plan"]] == ["unchanged", "unchanged", "unchanged"]
    assert writes(sim) == []


def test_refuses_over_a_later_change_unless_forced(remediated, tmp_path):
    sim, originals = remediated
    sim.apply(namespace("shop", {"owner": "someone-else"}, {"linkerd.io/inject": "enabled"}))
    sim.clear_requests()
    with pytest.raises(RemediationError) as caught:
        rollback.run(params(sim, tmp_path))
    assert "Namespace shop changed since the remediation left it (resourceVersion " in str(caught.value)
    assert str(caught.value).endswith("not restored. Set force to restore the backup over it.")
    assert writes(sim) == []  # demo was restorable, but nothing is restored when one object is refused

    forced = rollback.run(params(sim, tmp_path, force=True))
    assert [p.get("forced", False) for p in forced["plan"]] == [False, True, False]
    assert clean(sim.get("v1/namespaces", None, "shop")) == originals["shop"]


def test_check_mode_and_selection(remediated, tmp_path):
    sim, _originals = remediated
    result = rollback.run(params(sim, tmp_path, objects=[{"kind": "Namespace", "name": "demo"}]), check_mode=True)
    assert [(p["object"]["name"], p["status"]) for p in result["plan"]] == [("demo", "would_change")]
    assert "istio.io/rev: canary" in result["diff"][0]["after"]
    assert writes(sim) == []


def test_missing_backup_dir_is_named(kubesim, tmp_path):
    with pytest.raises(RemediationError, match=r"^backup_dir .*/nope is not a directory$"):
        rollback.run(params(kubesim, tmp_path / "nope"))
    with pytest.raises(RemediationError, match=r"holds no backup manifest entries$"):
        rollback.run(params(kubesim, tmp_path))
