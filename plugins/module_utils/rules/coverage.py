# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI8xx: what the diagnosis itself could not see.

These are about the run, not the cluster, so they are computed after the other rules from the
snapshot's gaps and the rules the engine had to skip (rules.base.run_rules), instead of being
rules themselves: a diagnosis narrowed by a 403 says exactly which checks it skipped.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding, evidence
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import RESOURCES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

# What `kubectl auth can-i` needs to be told for each kind: (verb, resource[.group]).
_GROUPS = {key: spec[0].rpartition("/")[0] for key, spec in RESOURCES.items()}


def _resource_arg(resource: str) -> str:
    group = _GROUPS.get(resource, "")
    return "%s.%s" % (resource, group) if group else resource


def skipped_codes(resource: str, skipped: Iterable[Dict[str, Any]]) -> List[str]:
    """Codes of the rules that did not run because `resource` was missing."""
    codes = set()
    for item in skipped:
        if resource in item["missing"]:
            codes.update(item["codes"])
    return sorted(codes)


def _checks(gap: Dict[str, Any], skipped: List[Dict[str, Any]]) -> List[str]:
    return skipped_codes(gap["resource"], skipped) or sorted(gap.get("checks") or [])


def forbidden(gap: Dict[str, Any], skipped: List[Dict[str, Any]]) -> Finding:
    resource = gap["resource"]
    checks = _checks(gap, skipped)
    scope = "get" if resource in ("secrets", "configmaps") else "list"
    return Finding(
        code="SI801",
        kind="",
        message="the diagnosing identity may not %s %s, so these checks were skipped: %s"
        % (scope, resource, ", ".join(checks) or "none"),
        evidence=[evidence("API server", "403 Forbidden", gap.get("message") or "")],
        steps=[
            "kubectl auth can-i %s %s --all-namespaces" % (scope, _resource_arg(resource)),
            "grant the diagnosing identity %s (and list) on %s, e.g. in a ClusterRole bound to it, then rerun"
            % (scope, _resource_arg(resource)),
        ],
    )


def unreadable(gaps: List[Dict[str, Any]], skipped: List[Dict[str, Any]], source: str) -> Finding:
    """One SI803 for every kind an offline snapshot lacks or a live read failed on."""
    names = sorted(g["resource"] for g in gaps)
    checks = sorted({c for g in gaps for c in _checks(g, skipped)})
    why = "the snapshot does not contain" if source != "live" else "reading failed for"
    return Finding(
        code="SI803",
        kind="",
        message="%s %s, so these checks were skipped: %s" % (why, ", ".join(names), ", ".join(checks) or "none"),
        evidence=[
            evidence("snapshot", "gaps", [{k: g.get(k) for k in ("resource", "reason", "message")} for g in gaps])
        ],
        steps=[
            "add `kubectl get %s -A -o yaml` output to the snapshot directory (or gather live with "
            "meshops.sidecar_injection.injection_facts) and rerun" % ",".join(names)
        ],
    )


def coverage_findings(view: SnapshotView, model: Any, skipped: List[Dict[str, Any]]) -> List[Finding]:
    findings: List[Finding] = []
    gaps = view.raw.get("gaps") or []
    for gap in gaps:
        if gap.get("reason") == "forbidden":
            findings.append(forbidden(gap, skipped))
    others = [g for g in gaps if g.get("reason") != "forbidden"]
    if others:
        findings.append(unreadable(others, skipped, (view.raw.get("cluster") or {}).get("source", "")))
    if not model.meshes():
        findings.append(
            Finding(
                code="SI802",
                kind="",
                message="no Istio or Linkerd control plane found (no istiod or linkerd-proxy-injector Deployment, "
                "no mesh injector webhook): there is nothing to inject sidecars",
                evidence=[
                    evidence(
                        "snapshot", "mutatingwebhookconfigurations", [w.key for w in model.webhooks if not w.assumed]
                    ),
                ],
                steps=["install Istio or Linkerd, or point the diagnosis at the cluster that runs the mesh"],
            )
        )
    return findings
