# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers for the selection (SI1xx) and data-plane (SI6xx) rules.

`index(ctx)` builds, once per diagnosis (memoised on the context), the lookups these rules share:
workload verdicts, pods by owner and namespace, and a `probe(namespace)` decision (what a plain pod
created there now gets). Findings are reported per workload (a template verdict), falling back to the pod when its owner
is not in the snapshot, so 50 pods of one Deployment give one finding with the pods as evidence.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import (
    Finding,
    evidence,
    object_ref,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    ABSENT,
    Operation,
    Plan,
    inspect,
    note,
    restart,
    set_annotation,
    set_label,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import annotations as annotations_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import labels, name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import (
    Decider,
    Decision,
    Verdict,
    pod_template_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext

# istioctl analyze skips these (inject.IgnoredNamespaces); Linkerd's webhook skips kube-system too.
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "local-path-storage")
MAX_EVIDENCE = 10  # per finding; the message gives the full count


class Index(object):
    def __init__(self, ctx: RuleContext) -> None:
        self.view = ctx.view
        self.model = ctx.model
        self.options = ctx.options
        self.verdicts = ctx.verdicts
        self.templates: Dict[Tuple[str, str, str], Verdict] = {}
        self.pods: List[Verdict] = []
        self.pods_by_owner: Dict[Tuple[str, str, str], List[Verdict]] = defaultdict(list)
        self.pods_by_ns: Dict[str, List[Verdict]] = defaultdict(list)
        self.templates_by_ns: Dict[str, List[Verdict]] = defaultdict(list)
        for verdict in ctx.verdicts:
            if verdict.template:
                self.templates[(verdict.kind, verdict.namespace, verdict.name)] = verdict
                self.templates_by_ns[verdict.namespace].append(verdict)
            else:
                self.pods.append(verdict)
                self.pods_by_ns[verdict.namespace].append(verdict)
                self.pods_by_owner[(verdict.owner[0], verdict.namespace, verdict.owner[1])].append(verdict)
        self.decider = Decider(ctx.view, ctx.model)
        self._probe: Dict[str, Decision] = {}
        self._subjects: Dict[bool, List[Verdict]] = {}

    def subjects(self, include_control_plane: bool = False) -> List[Verdict]:
        """Workload templates, plus pods whose owner is not in the snapshot (bare pods included)."""
        cached = self._subjects.get(include_control_plane)
        if cached is None:
            cached = self._subjects[include_control_plane] = self._compute_subjects(include_control_plane)
        return cached

    def _compute_subjects(self, include_control_plane: bool) -> List[Verdict]:
        out = [v for v in self.templates.values() if include_control_plane or not v.control_plane]
        for verdict in self.pods:
            if verdict.control_plane and not include_control_plane:
                continue
            if (verdict.owner[0], verdict.namespace, verdict.owner[1]) not in self.templates:
                out.append(verdict)
        return out

    def owner_groups(self, pods: List[Verdict]) -> Dict[Tuple[str, str, str], List[Verdict]]:
        """Pods grouped by (namespace, owner kind, owner name), in first-seen order."""
        groups: Dict[Tuple[str, str, str], List[Verdict]] = {}
        for verdict in pods:
            groups.setdefault((verdict.namespace, verdict.owner[0], verdict.owner[1]), []).append(verdict)
        return groups

    def probe(self, namespace: str) -> Decision:
        """What a plain pod (no labels, no annotations) created in `namespace` now gets."""
        found = self._probe.get(namespace)
        if found is None:
            found = self.decider.decide(namespace, {}, {}, {"containers": [{"name": "app"}]}, True)
            self._probe[namespace] = found
        return found

    def namespace_scope(self, namespace: str) -> List[ObjectRef]:
        """A namespace finding affects the namespace and the workloads in it (control plane excluded)."""
        refs = sorted({workload_scope(v) for v in self.subjects() if v.namespace == namespace})
        return [namespace_ref(namespace)] + refs

    def namespace_names(self) -> List[str]:
        names = {name_of(ns) for ns in self.view.items("namespaces")}
        names |= set(self.pods_by_ns) | set(self.templates_by_ns)
        return sorted(n for n in names if n)

    def namespace_labels(self, namespace: str) -> Dict[str, str]:
        return dict(labels(self.view.namespace(namespace) or {}))

    def control_plane_namespaces(self) -> set:
        out = set()
        if self.model.istio is not None:
            out.update(self.model.istio.namespaces)
        if self.model.linkerd is not None:
            out.add(self.model.linkerd.namespace)
        return out

    def desired(self, namespace: str) -> Optional[Dict[str, Any]]:
        for item in self.options.desired_namespaces or []:
            if item.get("name") == namespace:
                return item
        return None


def index(ctx: RuleContext) -> Index:
    """The shared lookups, built once per diagnosis (memoised on the context, never across runs)."""
    return ctx.memo("workloads.index", Index)


# ---------------------------------------------------------------------------------------------
# evidence and remediation


def ref(verdict: Verdict) -> str:
    return object_ref(verdict.kind, verdict.namespace, verdict.name)


def template_path(verdict: Verdict) -> str:
    if not verdict.template:
        return "metadata"
    if verdict.kind == "CronJob":
        return "spec.jobTemplate.spec.template.metadata"
    return "spec.template.metadata"


def pod_evidence(pods, field, value_of):
    """Evidence lines for up to MAX_EVIDENCE pods."""
    return [evidence(object_ref("Pod", p.namespace, p.name), field, value_of(p)) for p in pods[:MAX_EVIDENCE]]


def names_text(pods: List[Verdict], limit: int = MAX_EVIDENCE) -> str:
    names = sorted(p.name for p in pods)
    text = ", ".join(names[:limit])
    return text + (" and %d more" % (len(names) - limit) if len(names) > limit else "")


def istio_enable_label(model: Any, revision: Optional[str] = None) -> Tuple[str, str]:
    """The namespace label that enables Istio here: istio.io/rev=<rev> when asked for a revision or
    when only revisioned injectors exist; otherwise istio-injection=enabled."""
    if revision:
        return "istio.io/rev", revision
    istio = model.istio
    hooks = model.injectors("istio")
    if any(h.name == "namespace.sidecar-injector.istio.io" for h in hooks) or not hooks:
        return "istio-injection", "enabled"
    values = sorted({v for h in hooks for v in h.rev_values})
    if istio is not None and "default" in istio.tags:
        return "istio.io/rev", "default"
    return "istio.io/rev", values[0] if values else "default"


# ---------------------------------------------------------------------------------------------
# findings about namespaces and workloads (shared by the SI1xx rule modules)

ISTIO_INJECT = "sidecar.istio.io/inject"
LINKERD_INJECT = "linkerd.io/inject"
ADMISSION_WEBHOOKS = "config.linkerd.io/admission-webhooks"
MESH_NAMES = {"istio": "Istio", "linkerd": "Linkerd"}


def ns_ref(name):
    return object_ref("Namespace", "", name)


def ns_finding(code, name, message, **kwargs):
    return Finding(code=code, message=message, kind="Namespace", namespace="", name=name, **kwargs)


def subject_finding(code, verdict, message, **kwargs):
    return Finding(
        code=code, message=message, kind=verdict.kind, namespace=verdict.namespace, name=verdict.name, **kwargs
    )


def tmpl_meta(verdict: Any) -> Dict[str, Any]:
    return pod_template_of(verdict).get("metadata") or {}


def what(verdict: Any) -> str:
    return "%s/%s in namespace %s" % (verdict.kind.lower(), verdict.name, verdict.namespace)


# ---------------------------------------------------------------------------------------------
# plans (core/plan.py): what fixes a namespace or a workload, as operations


def current(mapping: Dict[str, str], key: str) -> Any:
    """The value the diagnosis saw under `key`, or ABSENT: the precondition of a metadata operation."""
    return mapping.get(key, ABSENT)


def workload_ref(verdict: Verdict) -> ObjectRef:
    return ObjectRef(verdict.kind, verdict.name, verdict.namespace)


def workload_scope(verdict: Verdict) -> ObjectRef:
    """The workload a verdict stands for: a template itself; a pod its top owner, or itself when bare."""
    if verdict.template:
        return workload_ref(verdict)
    kind, name = verdict.owner
    return ObjectRef(kind, name, verdict.namespace) if kind and name else workload_ref(verdict)


def enable_ops(
    model: Any, mesh: str, namespace: str, ns_obj: Optional[Dict[str, Any]], revision: Optional[str] = None
) -> List[Operation]:
    """The namespace marker that enables `mesh` here: the Istio label (istio-injection=enabled or
    istio.io/rev=<revision or tag>), or Linkerd's annotation (never a label: SI104)."""
    target = namespace_ref(namespace)
    if mesh == "linkerd":
        return [
            set_annotation(target, LINKERD_INJECT, "enabled", current(annotations_of(ns_obj or {}), LINKERD_INJECT))
        ]
    key, value = istio_enable_label(model, revision)
    return [set_label(target, key, value, current(labels(ns_obj or {}), key))]


RECREATE_NOTE = (
    "pods that already run keep their old spec until they are re-created; once this is applied, "
    "restart the workloads a new diagnosis lists under SI604 (remediate_restart_workloads)"
)


def enable_plan(
    model: Any,
    mesh: str,
    namespace: str,
    ns_obj: Optional[Dict[str, Any]],
    revision: Optional[str] = None,
    reason: str = "",
) -> Plan:
    ops = enable_ops(model, mesh, namespace, ns_obj, revision) + [note(RECREATE_NOTE)]
    return Plan("label_namespace", namespace_ref(namespace), ops, reason=reason or "enable %s injection" % mesh)


def restart_ops(kind: str, namespace: str, name: str, pods: Any = ()) -> List[Operation]:
    """What makes the pods of one owner be created again, so admission (and the injector) runs."""
    ref = ObjectRef(kind, name, namespace)
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        return [restart([ref])]
    if kind == "CronJob":
        return [note("the next scheduled Job of cronjob/%s gets the new decision" % name), restart([ref])]
    pod_names = tuple(sorted(p.name for p in pods))
    if kind in ("ReplicaSet", "Job", "ReplicationController") and pod_names:
        return [Operation("delete_pods", ref, names=pod_names, why="%s/%s creates replacements" % (kind.lower(), name))]
    return [
        inspect(ObjectRef("Pod", name, namespace), "get", "pod", name, "-n", namespace, "-o", "yaml"),
        note(
            "a bare pod has no controller to re-create it: delete it and create it again from its manifest "
            "(without status and the injected fields)"
        ),
    ]


def template_ops(idx: Index, verdict: Verdict, section: str, key: str, value: Optional[str]) -> List[Operation]:
    """Set (or, with value None, remove) one pod-template label/annotation and make the pods pick it up.
    Job templates are immutable and bare pods have none: those get guidance."""
    meta = tmpl_meta(verdict)
    have = dict(meta.get(section) or {})
    kind = verdict.kind
    if not verdict.template or kind == "Job":
        what = (
            "set %s %s=%s" % (section[:-1], key, value) if value is not None else "remove %s %s" % (section[:-1], key)
        )
        return [
            note(
                "%s in the manifest of %s/%s and re-create it (admission only runs when a pod is created)"
                % (what, kind.lower(), verdict.name),
                workload_ref(verdict),
            )
        ]
    op = ("set_" if value is not None else "remove_") + ("label" if section == "labels" else "annotation")
    change = Operation(op, workload_ref(verdict), key=key, value=value, scope="template", expect=current(have, key))
    ops = [change]
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        ops.append(
            inspect(
                workload_ref(verdict),
                "rollout",
                "status",
                "%s/%s" % (kind.lower(), verdict.name),
                "-n",
                verdict.namespace,
                why="the changed template rolls the pods",
            )
        )
    elif kind == "CronJob":
        ops.append(note("the next Job gets it", workload_ref(verdict)))
    elif kind == "ReplicaSet":
        pods = idx.pods_by_owner.get((kind, verdict.namespace, verdict.name), [])
        if pods:
            ops.append(Operation("delete_pods", workload_ref(verdict), names=tuple(sorted(p.name for p in pods))))
    return ops


# ---------------------------------------------------------------------------------------------
# affects and plans shared by the marker, injector, admission and data-plane rules


def verdict_scope(verdicts: List[Verdict]) -> List[ObjectRef]:
    """The workloads these verdicts stand for (a pod by its top owner), then their namespaces."""
    refs = sorted({workload_scope(v) for v in verdicts})
    return refs + [namespace_ref(n) for n in sorted({r.namespace for r in refs})]


def owner_scope(namespace: str, kind: str, name: str) -> List[ObjectRef]:
    """A finding about the pods of one top owner (or one bare pod) affects that workload and its namespace."""
    return [ObjectRef(kind, name, namespace), namespace_ref(namespace)]


def meshed_scope(ctx: RuleContext, namespace: str, mesh: Optional[str] = None) -> List[ObjectRef]:
    """The namespace and its workloads whose next pod should get a `mesh` proxy (any mesh when None):
    what admission that rejects injected pods there blocks. Control plane excluded."""
    refs = {
        workload_scope(v)
        for v in index(ctx).subjects()
        if v.namespace == namespace and v.should_inject and mesh in (None, "any", v.mesh)
    }
    return [namespace_ref(namespace)] + sorted(refs)


def executable_or_manual(action: str, target: ObjectRef, ops: List[Operation], reason: str = "") -> Plan:
    """A plan of `action` when some operation can be executed; otherwise the same guidance as a manual
    plan (a Job template is immutable, a bare pod has no controller: nothing is safe to run)."""
    return Plan(action if any(op.mutates for op in ops) else "manual", target, ops, reason=reason)


def template_plan(
    idx: Index,
    verdict: Verdict,
    section: str,
    key: str,
    value: Optional[str],
    action: str = "manual",
    reason: str = "",
    lead: Tuple[Operation, ...] = (),
) -> Plan:
    """Set (value None: remove) one pod-template label/annotation of the workload a verdict stands for,
    after the `lead` operations (notes that frame it)."""
    ops = list(lead) + template_ops(idx, verdict, section, key, value)
    return executable_or_manual(action, workload_ref(verdict), ops, reason)


def restart_plan(owners: List[Tuple[str, str, str, Any]], target: ObjectRef, reason: str = "") -> Plan:
    """Re-create exactly the pods of these (namespace, kind, name, pods) owners, so admission runs again."""
    ops = [op for namespace, kind, name, pods in owners for op in restart_ops(kind, namespace, name, pods)]
    return executable_or_manual("restart_workload", target, ops, reason)
