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
        ref = item.get("ref") or "%s %s/%s" % (item.get("kind"), item.get("namespace"), item.get("name"))
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
NO_WORKLOADS = "the report has no per-workload answer yet (issue 10: `workloads` with next_pod and blocked_by)"
DEFAULT_TIMEOUT = "SI204 on a webhook at its default timeout: calls time out because the firewall drops them"
RESTART_WHILE_BLOCKED = (
    "SI604 advises a restart while a pod created now would not be injected (issue 10: only when next_pod is injected)"
)
CODE_GAPS = {
    "istio-1-4-eks-calico-overlay": DEFAULT_TIMEOUT,
    "istio-1-4-gke-private-legacy-injector": DEFAULT_TIMEOUT,
    "istio-eks-node-sg-blocks-15017": DEFAULT_TIMEOUT,
    "istio-gke-private-master-firewall": DEFAULT_TIMEOUT,
    "istio-inject-label-on-deployment-metadata": (
        "SI105: a label on the Deployment's metadata is missed when the template has the marker as an annotation"
    ),
    "istio-pods-predate-namespace-label": (
        "SI208 inferred although the namespace was labelled after the pods started (managedFields)"
    ),
    "istio-psa-baseline-after-cni-values-change": "SI605 restart advice while Pod Security rejects a pod created now",
    "linkerd-2-8-legacy-injector-tls-expired": RESTART_WHILE_BLOCKED,
    "linkerd-gke-private-fails-open": RESTART_WHILE_BLOCKED,
    "linkerd-injector-down-fails-open": RESTART_WHILE_BLOCKED,
    "linkerd-psa-restricted-eks": RESTART_WHILE_BLOCKED,
    "linkerd-psp-rejects-linkerd-init": RESTART_WHILE_BLOCKED,
}
WORKLOAD_GAPS = [
    "istio-1-4-eks-calico-overlay",
    "istio-1-4-gke-private-legacy-injector",
    "istio-1-6-bootstrap-deadlock-by-default",
    "istio-aks-admissions-enforcer-control-plane-label",
    "istio-annotation-only-openshift",
    "istio-cabundle-mismatch",
    "istio-eks-node-sg-blocks-15017",
    "istio-eks-node-sg-fixed-healthy",
    "istio-gke-private-firewall-opened-healthy",
    "istio-gke-private-master-firewall",
    "istio-init-iptables-nat-openshift",
    "istio-inject-label-on-deployment-metadata",
    "istio-injection-and-rev-labels-conflict",
    "istio-injection-enabled-revision-only-install",
    "istio-injection-label-value-true",
    "istio-job-proxy-keeps-pod-running",
    "istio-legacy-citadel-root-expired",
    "istio-legacy-injector-cert-wrong-name",
    "istio-legacy-injector-down-gke",
    "istio-openshift-cni-healthy",
    "istio-openshift-scc-restricted-v2",
    "istio-pods-predate-namespace-label",
    "istio-policy-engine-denies-istio-init",
    "istio-psa-baseline-after-cni-values-change",
    "istio-psp-blocks-istio-init",
    "istio-quota-must-specify-limits",
    "istio-quota-no-room-for-proxy-limit",
    "istio-revision-tag-removed-by-uninstall",
    "istio-template-label-opt-in-healthy",
    "linkerd-2-11-psp-enabled-healthy",
    "linkerd-2-8-legacy-injector-tls-expired",
    "linkerd-aks-cni-healthy",
    "linkerd-annotation-on-deployment-metadata",
    "linkerd-cert-manager-rotated-injector-stale",
    "linkerd-cni-validator-aks-scale-out",
    "linkerd-eks-ha-kube-system-deadlock",
    "linkerd-eks-ha-kube-system-excluded-healthy",
    "linkerd-gke-private-fails-open",
    "linkerd-init-crash-drop-net-raw",
    "linkerd-injector-down-fails-open",
    "linkerd-kyverno-verify-images",
    "linkerd-limitrange-ephemeral-storage",
    "linkerd-namespace-label-instead-of-annotation",
    "linkerd-psa-restricted-eks",
    "linkerd-psp-rejects-linkerd-init",
    "linkerd-reboot-pods-started-before-injector",
    "linkerd-webhook-cert-expired",
]
KNOWN_GAPS: Dict[Tuple[str, str], str] = dict(
    [(("codes", case), reason) for case, reason in CODE_GAPS.items()]
    + [(("workloads", case), NO_WORKLOADS) for case in WORKLOAD_GAPS]
)
