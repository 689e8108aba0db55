# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which namespaces the probe visits and which pod it sends to each.

Default selection: every namespace whose workloads want a sidecar - a plain pod created there would
be injected (namespace label or annotation), or one of its workload templates asks for one (pod
label or annotation) - minus the mesh control-plane and system namespaces. `namespaces` adds
namespaces by name (probed even when nothing there wants a sidecar: that is how one proves a
namespace is *not* injected); `like` names the workload to mimic in a namespace (and selects it).

The template of a namespace, without `like`: the most common injection decision among its workload
templates (sidecar or not, through which webhook) wins, and within it the first workload by kind
and name, so the probe speaks for what most of the namespace's next pods would be. The target carries
that workload's answer (rules/answers.py: next_pod, blocked_by) when the diagnosis computed one: it is
what the probe's answer is compared with (probe/expectation.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import (
    Decider,
    Decision,
    Verdict,
    pod_template_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import MeshModel
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe import expectation, pod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.answers import Answer
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.workloads import (
    SYSTEM_NAMESPACES,
    workload_scope,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

# `like: {ns: KIND/NAME}`: the kinds (and kubectl's short names) a probe can mimic
KIND_NAMES = {
    "deployment": "Deployment",
    "deployments": "Deployment",
    "deploy": "Deployment",
    "statefulset": "StatefulSet",
    "statefulsets": "StatefulSet",
    "sts": "StatefulSet",
    "daemonset": "DaemonSet",
    "daemonsets": "DaemonSet",
    "ds": "DaemonSet",
    "job": "Job",
    "jobs": "Job",
    "cronjob": "CronJob",
    "cronjobs": "CronJob",
    "cj": "CronJob",
    "replicaset": "ReplicaSet",
    "replicasets": "ReplicaSet",
    "rs": "ReplicaSet",
}
KIND_ORDER = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")


class SelectionError(Exception):
    """Bad `namespaces`/`like` input; the message names the option and the value."""


@dataclass
class Target:
    namespace: str
    why: str  # why the namespace is probed
    shape: str  # what the pod is shaped like: "Deployment demo/web" or "a plain pod"
    template: Dict[str, Any] = field(default_factory=dict)
    decision: Decision = field(default_factory=Decision)
    skip: str = ""  # set when the namespace cannot be probed (it does not exist)
    workload: Optional[Answer] = None  # the mimicked workload's answer (None: a plain pod, or no answers given)


def parse_like(like: Mapping[str, Any]) -> Dict[str, Tuple[str, str]]:
    """{namespace: (Kind, name)} from `like: {ns: deployment/NAME}`."""
    out: Dict[str, Tuple[str, str]] = {}
    for namespace, value in (like or {}).items():
        text = str(value or "")
        kind, _sep, name = text.partition("/")
        if not name or kind.lower() not in KIND_NAMES:
            raise SelectionError(
                "like: %s: %r is not KIND/NAME with KIND one of deployment, statefulset, daemonset, replicaset, "
                "job, cronjob" % (namespace, text)
            )
        out[str(namespace)] = (KIND_NAMES[kind.lower()], name)
    return out


def _excluded(namespace: str, model: MeshModel) -> bool:
    control = set()
    if model.istio is not None:
        control.update(model.istio.namespaces)
    if model.linkerd is not None:
        control.add(model.linkerd.namespace)
    return namespace in control or namespace in SYSTEM_NAMESPACES


def _pick(templates: List[Verdict]) -> Verdict:
    votes = Counter((v.should_inject, v.webhook) for v in templates)
    best = max(votes.values())
    winners = [v for v in templates if votes[(v.should_inject, v.webhook)] == best]
    return min(winners, key=lambda v: (KIND_ORDER.index(v.kind) if v.kind in KIND_ORDER else 99, v.name))


def select(
    view: SnapshotView,
    model: MeshModel,
    verdicts: Sequence[Verdict],
    namespaces: Sequence[str] = (),
    like: Optional[Mapping[str, Any]] = None,
    answers: Sequence[Answer] = (),
) -> List[Target]:
    """The probe targets, sorted by namespace; `answers` are the diagnosis' per-workload answers."""
    likes = parse_like(like or {})
    decider = Decider(view, model)
    templates: Dict[str, List[Verdict]] = {}
    for verdict in verdicts:
        if verdict.template and not verdict.control_plane:
            templates.setdefault(verdict.namespace, []).append(verdict)
    existing = {str((ns.get("metadata") or {}).get("name") or "") for ns in view.items("namespaces")}
    plain = pod.plain_template()
    why: Dict[str, str] = {}
    for namespace in sorted(existing | set(templates)):
        if not namespace or _excluded(namespace, model):
            continue
        if expectation.expected(decider, namespace, plain).should_inject:
            why[namespace] = "a new pod in the namespace gets a sidecar"
        elif any(v.should_inject for v in templates.get(namespace, ())):
            why[namespace] = "a workload template asks for a sidecar"
    for namespace in namespaces:
        why.setdefault(str(namespace), "named in namespaces")
    for namespace in likes:
        why.setdefault(namespace, "named in like")
    out: List[Target] = []
    for namespace in sorted(why):
        if namespace not in existing:
            out.append(Target(namespace, why[namespace], "", skip="namespace %s does not exist" % namespace))
            continue
        if namespace in likes:
            kind, name = likes[namespace]
            found = [v for v in templates.get(namespace, ()) if v.kind == kind and v.name == name]
            if not found:
                raise SelectionError("like: %s: %s %s/%s not found" % (namespace, kind, namespace, name))
            chosen: Optional[Verdict] = found[0]
        else:
            chosen = _pick(templates[namespace]) if templates.get(namespace) else None
        if chosen is None:
            template, shape = plain, "a plain pod (no workload in the namespace)"
        else:
            template, shape = pod_template_of(chosen), "%s %s/%s" % (chosen.kind, namespace, chosen.name)
        decision = expectation.expected(decider, namespace, template)
        workload = answer_of(chosen, answers) if chosen is not None else None
        out.append(Target(namespace, why[namespace], shape, template, decision, workload=workload))
    return out


def answer_of(chosen: Verdict, answers: Sequence[Answer]) -> Optional[Answer]:
    """The answer computed for `chosen`, else for the workload it stands for (rules/workloads.workload_scope);
    None when the diagnosis has none (a ReplicaSet a Deployment owns is not a workload of its own)."""
    for item in answers:
        if item.verdict is chosen:
            return item
    ref = workload_scope(chosen)
    for item in answers:
        if item.ref == ref:
            return item
    return None
