# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI8xx: what the diagnosis itself could not see.

These are about the run, not the cluster, so they are computed after the other rules from the
snapshot's gaps, the missing capabilities and the rules the engine skipped or ran narrowed
(rules.engine.run_rules). The checks a finding names come only from what the checks declare, so a
403 warning, SI801 and the report's skipped list always agree.

Their plans are manual: read-only commands that show the gap, and what to add or grant. They affect
the diagnosis of every namespace in the snapshot (a skipped check is a question left unanswered for
all of them), so `affects` lists those namespaces.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Sequence

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding, evidence
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    Operation,
    Plan,
    external,
    inspect,
    note,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import RESOURCES, name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import MeshModel
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import (
    CAPABILITIES,
    REQUIRED_CAPABILITIES,
    Rule,
    RunResult,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.gather import FAILED_READS
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView


def codes_for(name: str, entries: Iterable[Dict[str, Any]]) -> List[str]:
    """Codes of the skipped (or narrowed) rules that lacked the input `name`."""
    return sorted({code for item in entries if name in item["missing"] for code in item["codes"]})


def checks_text(name: str, run: RunResult) -> str:
    """`these checks were skipped: SI404, SI405; these ran narrowed: SI101` for one missing input."""
    skipped = codes_for(name, run.skipped)
    narrowed = [c for c in codes_for(name, run.narrowed) if c not in skipped]
    text = "these checks were skipped: %s" % (", ".join(skipped) or "none")
    if narrowed:
        text += "; these ran without it: %s" % ", ".join(narrowed)
    return text


def _resource_arg(resource: str) -> str:
    spec = RESOURCES.get(resource)
    return "%s.%s" % (resource, spec.group) if spec is not None and spec.group else resource


CLUSTER = ObjectRef("", "")  # what the coverage plans are about: the run against the whole cluster


def _plan(ops: List[Operation], reason: str) -> Plan:
    return Plan("manual", CLUSTER, ops, reason=reason)


def reading_codes(name: str, rules: Sequence[Rule]) -> List[str]:
    """Codes of the checks that read kind `name` (needed or used): what a partly read kind narrows."""
    return sorted({code for item in rules if name in item.needs or name in item.uses for code in item.codes})


def _partial_text(gap: Dict[str, Any], rules: Sequence[Rule]) -> str:
    codes = reading_codes(gap["resource"], rules)
    return "these checks ran without it: %s" % (", ".join(codes) or "none")


def where(gap: Dict[str, Any]) -> str:
    """`secrets istio-system/istio-ca-secret`, `configmaps in namespace istio-system` or `pods`."""
    if gap.get("read_namespaces"):
        return "%s at the cluster scope (read in %s only)" % (gap["resource"], ", ".join(gap["read_namespaces"]))
    if gap.get("namespace") is None:
        return gap["resource"]
    if gap.get("name"):
        return "%s %s/%s" % (gap["resource"], gap["namespace"], gap["name"])
    return "%s in namespace %s" % (gap["resource"], gap["namespace"])


def forbidden(gap: Dict[str, Any], run: RunResult, rules: Sequence[Rule] = ()) -> Finding:
    resource = gap["resource"]
    if gap.get("namespace") is not None:
        return _forbidden_part(gap, rules)
    if gap.get("read_namespaces"):
        return _forbidden_cluster_scope(gap, rules)
    if resource == "version":
        what = "read the server version (GET /version)"
        ops = [inspect(CLUSTER, "version", "-o", "json", why="as the diagnosing identity")]
    else:
        scope = "get" if resource in ("secrets", "configmaps") else "list"
        what = "%s %s" % (scope, resource)
        ops = [
            inspect(CLUSTER, "auth", "can-i", scope, _resource_arg(resource), "--all-namespaces"),
            note(
                "grant the diagnosing identity %s (and list) on %s, e.g. in a ClusterRole bound to it, then rerun"
                % (scope, _resource_arg(resource))
            ),
        ]
    return Finding(
        code="SI801",
        kind="",
        message="the diagnosing identity may not %s, so %s" % (what, checks_text(resource, run)),
        evidence=[evidence("API server", "403 Forbidden", gap.get("message") or "")],
        plan=_plan(ops, "let the diagnosing identity read %s" % resource),
    )


def _forbidden_part(gap: Dict[str, Any], rules: Sequence[Rule]) -> Finding:
    """SI801 for one namespace or one named Secret: the rest of the kind was read."""
    resource, namespace, name = gap["resource"], gap["namespace"], gap.get("name")
    verb = "get" if name else "list"
    args = ["auth", "can-i", verb, _resource_arg(resource) + ("/" + name if name else ""), "-n", namespace]
    return Finding(
        code="SI801",
        kind="",
        message="the diagnosing identity may not %s %s, so %s" % (verb, where(gap), _partial_text(gap, rules)),
        evidence=[evidence("API server", "403 Forbidden", gap.get("message") or "")],
        plan=_plan(
            [
                inspect(CLUSTER, *args),
                note(
                    "grant the diagnosing identity %s on %s in namespace %s (a Role bound to it there), then rerun"
                    % (verb, _resource_arg(resource) + (" " + name if name else ""), namespace)
                ),
            ],
            "let the diagnosing identity read %s" % where(gap),
        ),
    )


def _forbidden_cluster_scope(gap: Dict[str, Any], rules: Sequence[Rule]) -> Finding:
    """SI801 for a cluster-wide LIST that was refused while the control-plane namespaces could be read."""
    resource = gap["resource"]
    return Finding(
        code="SI801",
        kind="",
        message="the diagnosing identity may not list %s at the cluster scope; it was read in %s only, so %s"
        % (resource, ", ".join(gap["read_namespaces"]), _partial_text(gap, rules)),
        evidence=[evidence("API server", "403 Forbidden", gap.get("message") or "")],
        plan=_plan(
            [
                inspect(CLUSTER, "auth", "can-i", "list", _resource_arg(resource), "--all-namespaces"),
                note(
                    "grant the diagnosing identity list on %s in a ClusterRole bound to it, then rerun"
                    % _resource_arg(resource)
                ),
            ],
            "let the diagnosing identity read %s" % resource,
        ),
    )


def read_failed(gap: Dict[str, Any], run: RunResult) -> Finding:
    """SI805: a live read kept failing (5xx, 429, reset, timeout) or the deadline ran out before it."""
    resource = gap["resource"]
    cause = (
        "the per-cluster deadline ran out before %s could be read" % resource
        if gap.get("reason") == "deadline"
        else "reading %s from the API server kept failing" % resource
    )
    ops: List[Operation] = [
        inspect(CLUSTER, "get", "--raw", "/readyz?verbose", why="is the API server healthy"),
        note(
            "rerun when the API server answers again, or raise the retries, request_timeout or deadline options"
            " if it is only slow"
        ),
    ]
    return Finding(
        code="SI805",
        kind="",
        message="%s, so %s" % (cause, checks_text(resource, run)),
        evidence=[evidence("API server", gap.get("reason") or "error", gap.get("message") or "")],
        plan=_plan(ops, "read %s again" % resource),
    )


def unreadable(gaps: List[Dict[str, Any]], run: RunResult, source: str) -> Finding:
    """One SI803 for every kind an offline snapshot lacks or a live read failed on."""
    names = sorted(g["resource"] for g in gaps)
    skipped = sorted({c for g in gaps for c in codes_for(g["resource"], run.skipped)})
    narrowed = sorted({c for g in gaps for c in codes_for(g["resource"], run.narrowed)} - set(skipped))
    why = "the snapshot does not contain" if source != "live" else "reading failed for"
    text = "these checks were skipped: %s" % (", ".join(skipped) or "none")
    if narrowed:
        text += "; these ran without them: %s" % ", ".join(narrowed)
    kinds = [n for n in names if n in RESOURCES]
    # one file per kind, named after it: the offline loader then counts an empty list as read too
    ops: List[Operation] = [
        inspect(CLUSTER, "get", kind, "-A", "-o", "yaml", why="save as %s.yaml in the snapshot directory" % kind)
        for kind in kinds
    ]
    if "version" in names:
        ops.append(inspect(CLUSTER, "version", "-o", "json", why="save as version.json in the snapshot directory"))
    if kinds:
        ops.append(note("or gather live with meshops.sidecar_injection.injection_facts; then rerun"))
    return Finding(
        code="SI803",
        kind="",
        message="%s %s, so %s" % (why, ", ".join(names), text),
        evidence=[
            evidence("snapshot", "gaps", [{k: g.get(k) for k in ("resource", "reason", "message")} for g in gaps])
        ],
        plan=_plan(ops, "add what the snapshot lacks"),
    )


def capability_missing(capability: str, run: RunResult) -> Finding:
    return Finding(
        code="SI804",
        kind="",
        message="not available on the host running the diagnosis: %s; so %s"
        % (CAPABILITIES[capability], checks_text(capability, run)),
        evidence=[evidence("controller", "capability %s" % capability, "missing")],
        plan=_plan(
            [
                external(
                    "pip install -r requirements.txt",
                    why="on the host that runs the modules (the controller), or use the collection's execution "
                    "environment",
                )
            ],
            "install what the skipped checks need",
        ),
    )


def mesh_not_detected(model: MeshModel) -> Finding:
    return Finding(
        code="SI802",
        kind="",
        message="no Istio or Linkerd control plane found (no istiod or linkerd-proxy-injector Deployment, "
        "no mesh injector webhook): there is nothing to inject sidecars",
        evidence=[
            evidence("snapshot", "mutatingwebhookconfigurations", [w.key for w in model.webhooks if not w.assumed]),
        ],
        plan=_plan(
            [note("install Istio or Linkerd, or point the diagnosis at the cluster that runs the mesh")],
            "diagnose a cluster that runs a mesh",
        ),
    )


def _unexplained(view: SnapshotView, run: RunResult, gaps: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Inputs checks lacked that no recorded gap explains (a hand-made snapshot without a kind or a
    version): reported as absent, so no skipped check ever goes unmentioned. The probe is opt-in."""
    known = {g["resource"] for g in gaps} | set(REQUIRED_CAPABILITIES) | {"probe"}
    lacking = {m for item in run.skipped + run.narrowed for m in item["missing"]} - known
    return [{"resource": name, "reason": "absent", "message": "not in the snapshot"} for name in sorted(lacking)]


def coverage_findings(
    view: SnapshotView, model: MeshModel, run: RunResult, rules: Sequence[Rule] = ()
) -> List[Finding]:
    """`rules`: the checks that ran or were skipped, to name what a partly read kind narrows."""
    findings: List[Finding] = []
    gaps = list(view.raw.get("gaps") or [])
    gaps += _unexplained(view, run, gaps)
    for gap in gaps:
        if gap.get("reason") == "forbidden":
            findings.append(forbidden(gap, run, rules))
        elif gap.get("reason") in FAILED_READS:
            findings.append(read_failed(gap, run))
    others = [g for g in gaps if g.get("reason") not in FAILED_READS]
    if others:
        findings.append(unreadable(others, run, (view.raw.get("cluster") or {}).get("source", "")))
    for capability in sorted(REQUIRED_CAPABILITIES):
        if codes_for(capability, run.skipped + run.narrowed):
            findings.append(capability_missing(capability, run))
    if not model.meshes():
        findings.append(mesh_not_detected(model))
    scope = [namespace_ref(name_of(ns)) for ns in view.items("namespaces") if name_of(ns)]
    for finding in findings:
        finding.affects = list(scope)
    return findings


def _where(func: Callable[..., Any]) -> str:
    return "rules/coverage.py:%s" % func.__name__


# What emits each coverage code, for docs/findings.md's "implemented by" lines (rules.registry).
IMPLEMENTED_BY = {
    "SI801": _where(forbidden),
    "SI802": _where(mesh_not_detected),
    "SI803": _where(unreadable),
    "SI804": _where(capability_missing),
    "SI805": _where(read_failed),
}
