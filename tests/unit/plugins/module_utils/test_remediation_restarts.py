# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""restarts.candidates: the per-workload answers of a report when it has them, else the restart
plans of SI604/SI605 with the pods their evidence names; and the restart patch kubectl would send."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import restarts

WEB = {"kind": "Deployment", "namespace": "demo", "name": "web"}


def finding(code, workloads, pods):
    return {
        "code": code,
        "evidence": [{"object": "Pod demo/%s" % p, "field": "proxy", "value": "x"} for p in pods],
        "plan": {
            "action": "restart_workload",
            "operations": [{"op": "restart", "target": WEB, "workloads": workloads}],
        },
    }


def test_findings_fallback_groups_codes_and_pods_per_workload():
    got = restarts.candidates(
        [finding("SI605", [WEB], ["web-1", "web-2"]), finding("SI604", [WEB], ["web-3"]), {"code": "SI101"}]
    )
    assert len(got) == 1
    assert got[0].ref == ObjectRef("Deployment", "web", "demo")
    assert got[0].codes == ["SI605", "SI604"]
    assert got[0].pods == ["demo/web-1", "demo/web-2", "demo/web-3"]
    assert got[0].blocker == ""


def test_report_workloads_win_and_carry_the_next_pod_blocker():
    """The report's per-workload answers (rules/answers.py Answer.as_dict) decide: restart.helps is a
    candidate; a workload that wants a sidecar, lacks one and whose next pod would not be injected is
    reported with its root cause and what a restart would do; the rest is left alone."""
    effect = "a restart would fail: new pods are rejected (failurePolicy Fail) (SI404 cabundle-mismatch)"

    def answer(name, helps, outcome, wants=True, without=1, cause="", why=""):
        return {
            "ref": dict(WEB, name=name),
            "intent": {"wants": wants},
            "current": {"pods": 2, "with_proxy": 2 - without, "without_proxy": without},
            "next_pod": {"outcome": outcome, "webhook": "w", "failure_policy": "Fail", "path": []},
            "root_cause": cause,
            "restart": {"helps": helps, "effect": why},
        }

    report = {
        "workloads": [
            answer("web", True, "injected"),
            answer("api", False, "rejected", cause="SI404", why=effect),
            answer("db", False, "injected", without=0),  # all its pods carry the proxy
            answer("batch", False, "not_selected", wants=False),  # nobody asks for a sidecar
        ]
    }
    got = restarts.candidates([finding("SI605", [dict(WEB, name="other")], [])], report)
    assert [(c.ref.name, c.blocker) for c in got] == [
        ("web", ""),
        ("api", "its next pod would be rejected (root cause SI404): " + effect),
    ]


def test_a_blocker_this_run_fixes_leaves_the_decision_to_the_dry_run():
    """remediate.yml passes the findings its earlier roles act on: a workload blocked by one of them
    (here the expired injector certificate SI405 under its root cause SI402) gets no preset blocker,
    so the live dry-run pod made after the rotation decides; one blocked by something else keeps the
    report's answer."""

    def answer(name, blocked_by, cause):
        return {
            "ref": dict(WEB, name=name),
            "intent": {"wants": True},
            "current": {"pods": 1, "with_proxy": 0, "without_proxy": 1},
            "next_pod": {"outcome": "admitted_without_sidecar"},
            "blocked_by": blocked_by,
            "root_cause": cause,
            "restart": {"helps": False, "effect": "they stay un-meshed"},
        }

    report = {"workloads": [answer("web", ["SI402", "SI405"], "SI402"), answer("api", ["SI404"], "SI404")]}
    rotation = {"code": "SI405", "plan": {"action": "rotate_cert", "operations": []}}
    got = restarts.candidates([rotation], report)
    assert [(c.ref.name, c.codes, c.blocker) for c in got] == [
        ("web", ["SI405"], ""),
        ("api", [], "its next pod would be admitted_without_sidecar (root cause SI404): they stay un-meshed"),
    ]
    # nothing acted on: both keep the report's answer
    assert [c.blocker != "" for c in restarts.candidates([], report)] == [True, True]


def test_restart_patch_is_guarded_and_adds_missing_maps():
    live = {"metadata": {"name": "web", "namespace": "demo", "resourceVersion": "42"}, "spec": {"template": {}}}
    assert restarts.restart_patch(live, "2026-12-03T13:00:00Z") == [
        {"op": "replace", "path": "/metadata/resourceVersion", "value": "42"},
        {"op": "add", "path": "/spec/template/metadata", "value": {}},
        {"op": "add", "path": "/spec/template/metadata/annotations", "value": {}},
        {"op": "add", "path": "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
         "value": "2026-12-03T13:00:00Z"},
    ]  # fmt: skip
    assert restarts.batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
