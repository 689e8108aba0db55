"""The fleet roll-up and the exit policy over hand-made reports with the per-workload answer."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import gate
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.fleet import (
    ClusterEntry,
    roll_up,
    summary_lines,
)

from .report_docs import PROD, STAGING

GONE = "Cannot connect to https://127.0.0.1:1: connection refused"


def entries():
    return [
        ClusterEntry("prod", document=PROD, report="prod.json"),
        ClusterEntry("staging", document=STAGING, report="staging.json"),
        ClusterEntry("gone", error=GONE),
    ]


def test_every_host_is_listed_and_the_unreachable_one_is_not_diagnosed():
    fleet = roll_up(entries(), fail_on="error", generated="2026-12-02T08:00:00Z")
    assert [(c["name"], c["status"]) for c in fleet["clusters"]] == [
        ("prod", "gate_breached"),
        ("staging", "passed"),
        ("gone", "not_diagnosed"),
    ]
    assert fleet["not_diagnosed"] == [{"name": "gone", "error": GONE}]
    assert fleet["outcome"] == "not_diagnosed"
    assert fleet["totals"] == {
        "clusters": 3,
        "diagnosed": 2,
        "not_diagnosed": 1,
        "gate_breached": 1,
        "severities": {"info": 0, "warning": 2, "error": 1},
    }
    assert fleet["clusters"][0]["gate"]["message"] == (
        "prod: gate breached: 1 finding at error or worse (1 error); see prod.json"
    )
    assert fleet["clusters"][2]["gate"]["message"] == "gone: could not be diagnosed: " + GONE
    assert fleet["clusters"][0]["workloads_without_sidecar"] == 3


def test_top_root_causes_come_from_the_workloads_with_the_clusters_and_workloads_they_hit():
    fleet = roll_up(entries(), fail_on="error")
    assert fleet["root_causes_from"] == "workloads"
    assert [(c["code"], c["workloads"], c["clusters"]) for c in fleet["top_root_causes"]] == [
        ("SI404", 2, ["prod"]),
        ("SI303", 1, ["staging"]),
    ]
    assert fleet["top_root_causes"][0]["examples"] == [
        {"cluster": "prod", "workload": "Deployment shop/cart"},
        {"cluster": "prod", "workload": "Deployment shop/web"},
    ]
    assert fleet["top_root_causes"][0]["slug"] == "cabundle-mismatch"


def test_restarts_only_where_a_restart_helps_and_certificates_soonest_first():
    fleet = roll_up(entries())
    assert fleet["restarts"] == [
        {"cluster": "prod", "namespace": "billing", "workloads": ["Deployment/invoices"]},
        {"cluster": "staging", "namespace": "billing", "workloads": ["Deployment/invoices"]},
    ]
    assert [(c["cluster"], c["object"], c["seconds_left"]) for c in fleet["certificates"]] == [
        ("staging", "Secret istio-system/cacerts", -86400),
        ("prod", "MutatingWebhookConfiguration istio-sidecar-injector", 3456000),
    ]


def test_without_workloads_the_causes_and_restarts_come_from_the_findings():
    doc = dict(PROD)
    del doc["workloads"]
    fleet = roll_up([ClusterEntry("prod", document=doc)])
    assert fleet["root_causes_from"] == "findings"
    assert [(c["code"], c["workloads"]) for c in fleet["top_root_causes"]] == [("SI404", 2), ("SI604", 1)]
    assert fleet["restarts"] == [{"cluster": "prod", "namespace": "billing", "workloads": ["Deployment/invoices"]}]
    assert fleet["clusters"][0]["workloads_without_sidecar"] is None


def test_summary_lines():
    lines = summary_lines(roll_up(entries(), fail_on="warning"))
    assert lines[:4] == [
        "fleet: 3 clusters, 2 diagnosed, 1 not diagnosed, 2 over the gate (fail_on warning): outcome not_diagnosed",
        "findings: 1 error, 2 warning, 0 info",
        "  not diagnosed: gone: " + GONE,
        "  root cause SI404 cabundle-mismatch: 2 workloads in prod",
    ]
    assert lines[5] == (
        "  certificate staging Secret istio-system/cacerts (Istio plugged-in CA, 2026-12-01T00:00:00Z): "
        "expired 1 day ago"
    )


def test_the_breach_message_names_the_counts_at_and_above_the_gate():
    summary = {"severities": {"error": 2, "warning": 3, "info": 7}}
    assert gate.breach(summary, "warning") == {"error": 2, "warning": 3}
    assert gate.breach_message("prod-eu", "warning", gate.breach(summary, "warning"), "reports/prod-eu.json") == (
        "prod-eu: gate breached: 5 findings at warning or worse (2 error, 3 warning); see reports/prod-eu.json"
    )
    assert gate.breach(summary, "never") == {}
    assert gate.breach({"severities": {"error": 0, "warning": 1}}, "error") == {}
    with pytest.raises(ValueError, match="fail_on must be one of never, info, warning, error"):
        gate.breach(summary, "critical")


@pytest.mark.parametrize(
    "statuses, outcome",
    [
        ([], "passed"),
        (["passed", "passed"], "passed"),
        (["passed", "gate_breached"], "gate_breached"),
        (["gate_breached", "not_diagnosed", "passed"], "not_diagnosed"),
    ],
)
def test_not_diagnosed_wins_over_breached(statuses, outcome):
    assert gate.fleet_outcome(statuses) == outcome


def test_decide_from_a_registered_result():
    failed = {"failed": True, "msg": "Cannot connect to https://x: connection refused"}
    assert gate.decide("gone", failed, "error") == {
        "outcome": "not_diagnosed",
        "msg": "gone: could not be diagnosed: Cannot connect to https://x: connection refused",
        "breached": {},
    }
    assert gate.decide("gone", None, "never")["outcome"] == "not_diagnosed"
    ok = {"failed": False, "summary": PROD["summary"], "report_path": "/r/prod.json"}
    assert gate.decide("prod", ok, "warning") == {
        "outcome": "gate_breached",
        "msg": "prod: gate breached: 2 findings at warning or worse (1 error, 1 warning); see /r/prod.json",
        "breached": {"error": 1, "warning": 1},
    }
    assert gate.decide("prod", ok, "never")["outcome"] == "passed"


def test_a_gap_of_a_part_of_a_kind_is_named_with_its_part():
    document = copy.deepcopy(STAGING)
    document["summary"]["gaps"] = [
        {"resource": "pods", "reason": "error"},
        {"resource": "secrets", "reason": "forbidden", "namespace": "istio-system", "name": "cacerts"},
        {"resource": "configmaps", "reason": "forbidden", "namespace": "linkerd"},
        {"resource": "deployments", "reason": "forbidden", "read_namespaces": ["istio-system"]},
    ]
    [row] = roll_up([ClusterEntry("staging", document=document)])["clusters"]
    assert row["gaps"] == [
        "pods (error)",
        "secrets istio-system/cacerts (forbidden)",
        "configmaps in linkerd (forbidden)",
        "deployments at the cluster scope (forbidden)",
    ]


def test_a_workload_lacks_a_sidecar_as_summary_workloads_counts_it():
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.fleet import lacking_sidecar

    def answer(name, pods, without, outcome, wants=True, control_plane=False):
        return {
            "ref": {"kind": "Deployment", "namespace": "shop", "name": name},
            "control_plane": control_plane,
            "intent": {"wants": wants},
            "current": {"pods": pods, "with_proxy": pods - without, "without_proxy": without},
            "next_pod": {"outcome": outcome},
        }

    document = {
        "workloads": [
            answer("old-pods", 2, 1, "injected"),  # a pod predates the enablement
            answer("rejected", 0, 0, "rejected"),  # its pods are refused: none runs
            answer("scaled-down", 0, 0, "injected"),  # nothing runs, the next pod is fine
            answer("meshed", 2, 0, "injected"),
            answer("unwanted", 1, 1, "not_selected", wants=False),
            answer("istiod", 1, 1, "not_selected", control_plane=True),
        ]
    }
    assert [w["ref"]["name"] for w in lacking_sidecar(document)] == ["old-pods", "rejected"]
