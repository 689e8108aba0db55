"""The one place the corpus test reaches the production code (the lead retargets it when the
packages move): run the diagnosis on a case snapshot as `injection_diagnose` does, and read the
per-workload answer out of the report."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.diagnose import (
    DIAGNOSE_ARGUMENT_SPEC,
    run,
)

CORPUS = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "cases"))


def diagnose_case(case_dir: str, options: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The module result for the case's snapshot, every verdict included; `options` are module
    options (desired_namespaces, cert_warning_days, ...), passed through unchanged."""
    params = {name: spec.get("default") for name, spec in DIAGNOSE_ARGUMENT_SPEC.items()}
    params.update(
        src=os.path.join(case_dir, "snapshot"), cluster_name=os.path.basename(case_dir), return_verdicts="all"
    )
    params.update(options or {})
    return run(params)


def workload_answers(report: Dict[str, Any]) -> Optional[Dict[str, Dict[str, Any]]]:
    """{"Deployment shop/cart": {"next_pod": outcome, "blocked_by": [codes]}} from the report's
    `workloads` list (issue 10), or None while the report has none."""
    if "workloads" not in report:
        return None
    out: Dict[str, Dict[str, Any]] = {}
    for item in report["workloads"] or []:
        ref = item.get("ref") or item
        if isinstance(ref, dict):  # the report's ref object (docs/schemas/report.schema.json)
            ref = "%s %s/%s" % (ref.get("kind"), ref.get("namespace"), ref.get("name"))
        next_pod = item.get("next_pod")
        outcome = next_pod.get("outcome") if isinstance(next_pod, dict) else next_pod
        blocked: List[str] = [str(b.get("code")) if isinstance(b, dict) else b for b in item.get("blocked_by") or []]
        out[ref] = {"next_pod": outcome, "blocked_by": blocked}
    return out


def case_ids() -> List[str]:
    """The corpus cases: every folder of tests/cases/ but the builder."""
    return sorted(
        n for n in os.listdir(CORPUS) if not n.startswith(("_", ".")) and os.path.isdir(os.path.join(CORPUS, n))
    )


def case_dir(case_id: str) -> str:
    return os.path.join(CORPUS, case_id)


# Cases today's diagnosis gets wrong, keyed by (test, case id): what a correct diagnosis needs.
# The tests are xfail(strict=True): the day one passes it turns red, and its entry must go.
CODE_GAPS = {}
# per-workload answers still wrong (none today)
WORKLOAD_GAPS: Dict[str, str] = {}
KNOWN_GAPS: Dict[Tuple[str, str], str] = dict(
    [(("codes", case), reason) for case, reason in CODE_GAPS.items()]
    + [(("workloads", case), reason) for case, reason in WORKLOAD_GAPS.items()]
)
