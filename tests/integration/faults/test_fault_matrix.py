# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix: every live read x {403, 500 forever, 429 forever, reset, stall}.

Each case runs the injection_diagnose runner (the production client, unpatched) against kubesim
with one fault rule in its policy and asserts what a user relies on: the kind is a coverage
finding of at least warning severity naming it, the summary says the cluster was only partly
diagnosed, a `fail_on: warning` gate breaches, and the host finishes within its deadline plus one
request timeout (a correctness property of the retry policy, not a speed measurement).

With FAULT_MATRIX_RESULTS=path set, the rows are also written there as JSON (docs/fault-matrix.md
is made from them).
"""

from __future__ import annotations

import json
import os
import time

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import severity_rank
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report import gate
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import (
    DIAGNOSE_ARGUMENT_SPEC,
    run,
)

REQUEST_TIMEOUT = 0.2
DEADLINE = 5.0
RETRIES = 1
STALL = 0.5  # seconds kubesim holds each answer: longer than REQUEST_TIMEOUT

KINDS = ["version"] + list(snap.RESOURCES)
FAULTS = {
    "403": ({"action": "forbid"}, "forbidden", "SI801"),
    "500 forever": ({"action": "error", "status": 500, "message": "etcd timeout"}, "error", "SI805"),
    # Retry-After: 0 keeps the matrix fast; honouring and capping it is tested in test_retry_policy.py,
    # test_kube_client.py and ../snapshot/test_failures.py
    "429 forever": ({"action": "throttle", "retryAfterSeconds": 0}, "error", "SI805"),
    "reset": ({"action": "reset"}, "error", "SI805"),
    "stall": ({"action": "delay", "seconds": STALL}, "error", "SI805"),
}
CAUSES = {
    "403": "forbidden: User",
    "500 forever": "500 InternalError: Internal error occurred: etcd timeout",
    "429 forever": "429 TooManyRequests",
    "reset": "connection reset by the server (GET ",
    "stall": "read timed out (GET ",
}
RESULTS = []


def test_the_matrix_covers_every_kind_the_gatherer_reads():
    assert len(KINDS) == 26 and len(FAULTS) == 5


def params(sim, **overrides):
    out = {name: spec.get("default") for name, spec in DIAGNOSE_ARGUMENT_SPEC.items()}
    out.update(
        kubeconfig=sim.kubeconfig_path,
        return_verdicts="none",
        retries=RETRIES,
        request_timeout=REQUEST_TIMEOUT,
        deadline=DEADLINE,
    )
    out.update(overrides)
    return out


def rule_for(kind, fault):
    rule = dict(FAULTS[fault][0])
    if kind == "version":
        rule["paths"] = ["/version"]
    else:
        rule.update(verbs=["get", "list"], apiGroups=[snap.RESOURCES[kind].group], resources=[kind])
    return rule


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("kind", KINDS)
def test_fault(sim, kind, fault):
    sim.add_rule(rule_for(kind, fault))
    warnings = []
    started = time.monotonic()
    result = run(params(sim), warn=warnings.append)
    elapsed = time.monotonic() - started
    _action, reason, code = FAULTS[fault]
    summary = result["summary"]

    [gap] = summary["gaps"]
    assert (gap["resource"], gap["reason"]) == (kind, reason)
    assert CAUSES[fault] in gap["message"]
    [finding] = [f for f in result["findings"] if f["code"] in ("SI801", "SI805")]
    assert finding["code"] == code
    assert severity_rank(finding["severity"]) >= severity_rank("warning")
    assert kind in finding["message"]
    assert summary["coverage"] == {
        "complete": False,
        "message": "only partly diagnosed: could not read %s (%s)" % (kind, reason),
    }
    assert "coverage: only partly diagnosed: could not read %s (%s)" % (kind, reason) in result["summary_lines"]
    assert len(warnings) == 1 and warnings[0].startswith("could not read %s (%s): " % (kind, reason))
    # the host was diagnosed (no failure) and a warning gate counts the gap
    assert gate.breach(summary, "warning").get("warning", 0) >= 1
    assert elapsed <= DEADLINE + REQUEST_TIMEOUT
    RESULTS.append(
        {"kind": kind, "fault": fault, "code": code, "severity": finding["severity"], "elapsed": round(elapsed, 2)}
    )


def test_the_deadline_ends_the_read_and_records_the_rest_as_gaps(sim):
    # every answer takes 0.25 s (below the request timeout): 27 requests would need ~7 s
    sim.add_rule({"action": "delay", "seconds": 0.25, "verbs": ["get", "list"]})
    deadline, request_timeout = 2.0, 0.5
    started = time.monotonic()
    result = run(params(sim, deadline=deadline, request_timeout=request_timeout))
    elapsed = time.monotonic() - started
    gaps = result["summary"]["gaps"]
    assert gaps and {g["reason"] for g in gaps} == {"deadline"}
    unread = {g["resource"] for g in gaps}
    # read in the plan's order: the webhook configurations come first, the certificate Secrets last
    assert "mutatingwebhookconfigurations" not in unread and "secrets" in unread
    assert len(unread) == len(gaps) < len(snap.RESOURCES)  # version and the first kinds were read
    assert all(g["message"].startswith("the deadline of 2s for this cluster ran out (GET ") for g in gaps)
    assert {f["code"] for f in result["findings"] if f["code"].startswith("SI80")} >= {"SI805"}
    si805 = [f for f in result["findings"] if f["code"] == "SI805"]
    assert len(si805) == len(gaps) and all(f["severity"] == "warning" for f in si805)
    assert elapsed <= deadline + request_timeout
    RESULTS.append(
        {
            "kind": "all (%d not read)" % len(gaps),
            "fault": "deadline",
            "code": "SI805",
            "severity": "warning",
            "elapsed": round(elapsed, 2),
        }
    )


def test_nothing_readable_is_not_a_diagnosis(sim):
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import DiagnoseError

    sim.add_rule({"action": "error", "status": 503, "verbs": ["get", "list"]})
    sim.add_rule({"action": "error", "status": 503, "paths": ["/version"]})
    with pytest.raises(DiagnoseError) as exc:
        run(params(sim, retries=0))
    assert str(exc.value).startswith(
        "Nothing could be read from the Kubernetes API server at %s: version error: " % sim.url
    )


def teardown_module(module):
    path = os.environ.get("FAULT_MATRIX_RESULTS")
    if path and RESULTS:
        with open(path, "w") as handle:
            json.dump(RESULTS, handle, indent=1)


def test_pods_forbidden_only_at_the_cluster_scope_are_read_in_the_control_plane(sim):
    # an identity with a Role in istio-system but no ClusterRole for pods
    sim.add_rule({"action": "forbid", "verbs": ["list"], "apiGroups": [""], "resources": ["pods"], "namespaces": [""]})
    result = run(params(sim))
    [gap] = result["summary"]["gaps"]
    assert (gap["resource"], gap["reason"], gap["read_namespaces"], gap["checks"]) == (
        "pods",
        "forbidden",
        ["istio-system"],
        [],
    )
    [finding] = [f for f in result["findings"] if f["code"] == "SI801"]
    assert finding["severity"] == "warning"
    assert finding["message"].startswith(
        "the diagnosing identity may not list pods at the cluster scope; it was read in istio-system only, so these "
        "checks ran without it: "
    )
    assert result["summary"]["coverage"]["message"] == (
        "only partly diagnosed: could not read pods at the cluster scope (read in istio-system only) (forbidden)"
    )
    pods = [r for r in sim.requests if r.get("resource") == "pods"]
    assert [(r["status"], r["path"].split("?")[0]) for r in pods] == [
        (403, "/api/v1/pods"),
        (200, "/api/v1/namespaces/istio-system/pods"),
    ]
    control_plane_pods = len(sim.list("v1/pods", "istio-system"))
    assert control_plane_pods > 0 and result["summary"]["pods"]["total"] == control_plane_pods
