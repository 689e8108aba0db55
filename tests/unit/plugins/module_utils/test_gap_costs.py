# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/gaps.py: what a failed live read costs, and the "only partly diagnosed" line."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.document import human_lines
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import gaps

PODS = {"resource": "pods", "reason": "error", "message": "GET /api/v1/pods: 500 InternalError: boom"}
SECRET = {
    "resource": "secrets",
    "reason": "forbidden",
    "message": 'secrets "cacerts" is forbidden',
    "namespace": "istio-system",
    "name": "cacerts",
}
ABSENT = {"resource": "nodes", "reason": "absent", "message": "no Node objects in the snapshot"}


def test_a_whole_kind_skips_what_the_registry_says():
    assert gaps.describe(PODS) == dict(
        PODS, checks=registry.skipped_without("pods"), narrowed=registry.narrowed_without("pods")
    )
    assert gaps.describe(PODS)["checks"]  # pods are needed by some checks: the list cannot be vacuous


def test_a_part_of_a_kind_skips_nothing_and_narrows_every_check_that_reads_it():
    described = gaps.describe(SECRET)
    assert described["checks"] == []
    assert described["narrowed"] == ["SI404", "SI405", "SI406", "SI407"]
    assert (described["namespace"], described["name"]) == ("istio-system", "cacerts")


def test_warnings_and_the_partial_line_name_failed_reads_only():
    snapshot = {"gaps": [PODS, SECRET, ABSENT]}
    assert gaps.failed(snapshot) == [PODS, SECRET]
    assert gaps.partial_line(snapshot) == (
        "only partly diagnosed: could not read pods (error), secrets istio-system/cacerts (forbidden)"
    )
    warnings = gaps.warnings(snapshot)
    assert len(warnings) == 2
    assert warnings[1] == (
        'could not read secrets istio-system/cacerts (forbidden): secrets "cacerts" is forbidden; checks skipped: '
        "none; checks run without it: SI404, SI405, SI406, SI407"
    )
    assert gaps.partial_line({"gaps": [ABSENT]}) == "" and gaps.warnings({"gaps": [ABSENT]}) == []


def test_the_summary_says_partly_diagnosed_before_the_counts():
    summary = {
        "coverage": {"complete": False, "message": "only partly diagnosed: could not read pods (error)"},
        "pods": {"total": 0, "should_inject": 0, "injected": 0, "missing": 0},
        "severities": {"warning": 1},
    }
    lines = human_lines({"cluster": {"name": "prod", "source": "live"}, "summary": summary})
    assert lines[1:3] == [
        "coverage: only partly diagnosed: could not read pods (error)",
        "pods: 0 checked, 0 should carry a sidecar, 0 carry one; 0 missing one",
    ]
    summary["coverage"] = {"complete": True, "message": "every kind was read"}
    assert not any(line.startswith("coverage:") for line in human_lines({"summary": summary}))
