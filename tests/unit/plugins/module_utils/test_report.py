"""The human summary: one line per finding, the pods missing a sidecar with their reason chain."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.report.document import human_lines


def finding(code, name, message, severity="error"):
    return {
        "code": code,
        "slug": "slug-" + code,
        "severity": severity,
        "kind": "Namespace",
        "namespace": "",
        "name": name,
        "message": message,
    }


def verdict(name, injected=False):
    return {
        "kind": "Pod",
        "namespace": "shop",
        "name": name,
        "should_inject": True,
        "injected": injected,
        "reasons": ["namespace label istio-injection=enabled matches", "→ inject", "pod carries no mesh proxy"],
    }


REPORT = {
    "cluster": {"name": "prod", "source": "live"},
    "summary": {
        "kubernetes_version": "v1.31.4",
        "platform": "eks",
        "meshes": [{"mesh": "istio", "version": "1.23.2"}],
        "pods": {"total": 3, "should_inject": 3, "injected": 1, "missing": 2},
        "severities": {"error": 2, "warning": 0, "info": 0},
    },
    "findings": [finding("SI303", "a", "denied:\n  policy x\n  says no"), finding("SI103", "b", "x" * 400)],
    "verdicts": [verdict("web-1"), verdict("web-2", injected=True), verdict("web-3")],
}


def test_header_counts_and_one_line_per_finding():
    lines = human_lines(REPORT)
    assert lines[0] == "cluster prod (live, Kubernetes v1.31.4, eks): istio 1.23.2"
    assert lines[1] == "pods: 3 checked, 3 should carry a sidecar, 1 carry one; 2 missing one"
    assert lines[2] == (
        "  missing sidecar: Pod shop/web-1: namespace label istio-injection=enabled matches; → inject; "
        "pod carries no mesh proxy"
    )
    assert lines[3].startswith("  missing sidecar: Pod shop/web-3: ")
    assert lines[4] == "findings: 2 error, 0 warning, 0 info"
    assert lines[5] == "  ERROR SI303 %-28s Namespace a: denied: policy x says no" % "slug-SI303"
    assert lines[6].endswith("x" * 217 + "...") and len(lines) == 7


def test_limit_says_how_many_more_are_in_the_report():
    lines = human_lines(REPORT, limit=1)
    assert lines[-1] == "  ... and 1 more in the report"


def test_the_summary_heads_with_the_workload_counts_and_top_causes_with_their_fix():
    cause = {"code": "SI404", "slug": "cabundle-mismatch", "workloads": 2, "pods": 3, "fix_text": "resync"}
    workloads = {
        "meshes": {"istio": {"want": 3, "have": 1, "lack": 2, "pods_want": 5, "pods_have": 2, "pods_lack": 3}},
        "own_manifest": {"workloads": 1, "pods": 1, "with_proxy": 0},
        "lacking_by_cause": [
            dict(
                cause,
                fix=["step %d\nsecond line" % n for n in range(1, 6)],
                examples=["Deployment a/x", "Deployment a/y"],
            ),
            {"code": "", "slug": "", "workloads": 1, "pods": 0, "fix": [], "fix_text": "", "examples": ["Job b/z"]},
            dict(cause, code="SI501", slug="pod-security", workloads=1, fix=[], examples=["Deployment c/w"]),
            dict(cause, code="SI502", slug="quota", workloads=1, fix=[], examples=["Deployment d/v"]),
        ],
    }
    report = dict(REPORT, summary=dict(REPORT["summary"], workloads=workloads))
    lines = human_lines(report)
    assert lines[1:12] == [
        "istio: 3 workloads want a sidecar, 1 have one, 2 lack one (pods: 5 want, 2 have, 3 lack)",
        "control plane: 1 workloads whose proxy comes from their own manifest",
        "cause 1: SI404 cabundle-mismatch: 2 workloads without a sidecar (Deployment a/x, Deployment a/y)",
        "    fix: step 1",
        "    fix: step 2",
        "    fix: step 3",
        "    fix: step 4",
        "    ... 1 more steps in the report",
        "cause 2: no finding explains it (pods predate the current decision?): 1 workload without a sidecar (Job b/z)",
        "cause 3: SI501 pod-security: 1 workload without a sidecar (Deployment c/w)",
        "  ... and 1 more causes in the report (summary.workloads)",
    ]
    assert lines[12] == "pods: 3 checked, 3 should carry a sidecar, 1 carry one; 2 missing one"
