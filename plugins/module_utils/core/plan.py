# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A finding's fix as data: the plan the remediation modules execute and people read.

A Plan names the catalogue action, the object it changes, and ordered Operations. Each operation
carries what the diagnosis saw (`expect`: the current value, or ABSENT) so the remediation modules
apply it only to the object the diagnosis judged, and together with the object's resourceVersion
nothing is changed under a concurrent writer. The kubectl steps people see are rendered from the
plan in one place (core/kubectl.py); no rule writes a command by hand.

Operation kinds (`op`):
  set_label / remove_label / set_annotation / remove_annotation   key, value, scope "metadata" | "template"
  json_patch      path (JSON pointer), value, expect; `guards` are (path, value) tests applied first
                  (e.g. that webhooks/1 is still the webhook the diagnosis judged)
  resync_ca       the caBundle of the `webhooks` (at `paths`) of target set from `source` (a ConfigMap or
                  Secret) key `source_key`
  rotate_cert     a new serving certificate for `hosts` into Secret `source`; caBundle of target updated;
                  the injector Deployment in `workloads` restarted
  restart         rollout restart of `workloads` (their next pods go through admission again)
  delete_pods     pods `names` of target deleted so their controller re-creates them
  create          `manifest` created (e.g. the NetworkPolicy that admits the API server)
  inspect         a read-only kubectl command (`args`) that shows the state the finding is about
  external        a command of another tool (`command`: helm, istioctl, linkerd) the user runs
  note            guidance text (`text`)
Only the first ten change anything; remediation executes those and reports the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import ACTIONS
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef

RISKS = ("safe", "disruptive", "weakens-safety")
MUTATIONS = (
    "set_label",
    "remove_label",
    "set_annotation",
    "remove_annotation",
    "json_patch",
    "resync_ca",
    "rotate_cert",
    "restart",
    "delete_pods",
    "create",
)
OPERATIONS = MUTATIONS + ("inspect", "external", "note")
METADATA_OPS = ("set_label", "remove_label", "set_annotation", "remove_annotation")

# The variable a playbook must set before remediation may run a plan of this action (issue contract:
# playbooks/remediate.yml). Namespace labels need only the declared desired state.
ACTION_OPT_IN = {
    "label_namespace": (),
    "set_webhook": ("remediate_webhooks",),
    "allow_webhook_ingress": ("remediate_webhooks",),
    "resync_ca": ("remediate_certs",),
    "rotate_cert": ("remediate_certs",),
    "restart_workload": ("remediate_restart_workloads",),
    "manual": (),
}
RISK_OPT_IN = {"weakens-safety": ("remediate_allow_fail_open",), "disruptive": (), "safe": ()}


class _Absent(object):
    """The `expect` of an operation on a field the object does not have."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __reduce__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass
class Operation:
    op: str
    target: ObjectRef
    key: str = ""
    value: Any = None
    scope: str = "metadata"
    path: str = ""
    expect: Any = ABSENT
    guards: Tuple[Tuple[str, Any], ...] = ()
    source: Optional[ObjectRef] = None
    source_key: str = ""
    webhooks: Tuple[str, ...] = ()  # resync_ca / rotate_cert: the webhook names in target ...
    paths: Tuple[str, ...] = ()  # ... and their JSON pointers ("/webhooks/0"), tested against the names
    hosts: Tuple[str, ...] = ()
    workloads: Tuple[ObjectRef, ...] = ()
    names: Tuple[str, ...] = ()
    manifest: Optional[Dict[str, Any]] = None
    args: Tuple[str, ...] = ()
    command: str = ""
    text: str = ""
    why: str = ""  # shown after the rendered command
    risk: str = ""  # "" = the kind's default (see risk_of)

    def __post_init__(self) -> None:
        if self.op not in OPERATIONS:
            raise ValueError("unknown plan operation %r" % self.op)
        if self.risk and self.risk not in RISKS:
            raise ValueError("unknown risk %r" % self.risk)

    @property
    def mutates(self) -> bool:
        return self.op in MUTATIONS

    @property
    def rolls_pods(self) -> bool:
        """Re-creates application pods (a restart, pod deletion, or a changed pod template). The
        injector restart inside rotate_cert is part of that action's own opt-in."""
        return self.op in ("restart", "delete_pods") or (self.scope == "template" and self.op in METADATA_OPS)

    def risk_of(self) -> str:
        if self.risk:
            return self.risk
        if self.op == "rotate_cert" or self.rolls_pods:
            return "disruptive"
        return "safe"

    def as_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"op": self.op, "target": self.target.as_dict()}
        if self.op in METADATA_OPS:
            out.update(key=self.key, scope=self.scope)
            if self.op.startswith("set_"):
                out["value"] = self.value
        if self.op == "json_patch":
            out.update(path=self.path, value=self.value, guards=[list(g) for g in self.guards])
        if self.mutates and self.op not in ("restart", "delete_pods", "create", "rotate_cert"):
            out["expect"] = None if self.expect is ABSENT else self.expect
            out["expect_absent"] = self.expect is ABSENT
        if self.source is not None:
            out.update(source=self.source.as_dict(), source_key=self.source_key)
        for name in ("webhooks", "paths", "hosts", "names", "args"):
            value = getattr(self, name)
            if value:
                out[name] = list(value)
        if self.workloads:
            out["workloads"] = [w.as_dict() for w in self.workloads]
        if self.manifest is not None:
            out["manifest"] = self.manifest
        for name in ("command", "text", "why"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out["risk"] = self.risk_of()
        return out


def _worst(risks: Sequence[str]) -> str:
    return max(risks, key=RISKS.index) if risks else "safe"


@dataclass
class Plan:
    action: str
    target: ObjectRef
    operations: List[Operation]
    reason: str = ""
    alternatives: List["Plan"] = field(default_factory=list)  # other fixes, shown, never executed automatically

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError("unknown remediation action %r" % self.action)

    @property
    def risk(self) -> str:
        return _worst([op.risk_of() for op in self.operations if op.mutates])

    @property
    def opt_in(self) -> Tuple[str, ...]:
        """The playbook variables that must be true before remediation applies this plan."""
        out = list(ACTION_OPT_IN.get(self.action, ()))
        if any(op.rolls_pods for op in self.operations):
            out.append("remediate_restart_workloads")
        out += list(RISK_OPT_IN[self.risk])
        return tuple(dict.fromkeys(out))

    @property
    def executable(self) -> bool:
        return self.action != "manual" and any(op.mutates for op in self.operations)

    def as_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "action": self.action,
            "target": self.target.as_dict(),
            "risk": self.risk,
            "opt_in": list(self.opt_in),
            "reason": self.reason,
            "operations": [op.as_dict() for op in self.operations],
        }
        if self.alternatives:
            out["alternatives"] = [alt.as_dict() for alt in self.alternatives]
        return out


# ---- builders the rules share -----------------------------------------------------------------


def set_label(target: ObjectRef, key: str, value: str, expect: Any = ABSENT, **kw: Any) -> Operation:
    return Operation("set_label", target, key=key, value=value, expect=expect, **kw)


def remove_label(target: ObjectRef, key: str, expect: Any, **kw: Any) -> Operation:
    return Operation("remove_label", target, key=key, expect=expect, **kw)


def set_annotation(target: ObjectRef, key: str, value: str, expect: Any = ABSENT, **kw: Any) -> Operation:
    return Operation("set_annotation", target, key=key, value=value, expect=expect, **kw)


def remove_annotation(target: ObjectRef, key: str, expect: Any, **kw: Any) -> Operation:
    return Operation("remove_annotation", target, key=key, expect=expect, **kw)


def restart(workloads: Sequence[ObjectRef], why: str = "") -> Operation:
    first = workloads[0]
    return Operation("restart", first, workloads=tuple(workloads), why=why)


def inspect(target: ObjectRef, *args: str, why: str = "") -> Operation:
    return Operation("inspect", target, args=tuple(args), why=why)


def external(command: str, why: str = "", target: Optional[ObjectRef] = None) -> Operation:
    return Operation("external", target or ObjectRef("", ""), command=command, why=why)


def note(text: str, target: Optional[ObjectRef] = None) -> Operation:
    return Operation("note", target or ObjectRef("", ""), text=text)
