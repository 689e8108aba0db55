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
  create          `manifest` created (e.g. the NetworkPolicy that admits the API server); fails if it exists
  scale           `spec.replicas` of target set to `value`, tested against `expect` (the replicas seen)
  delete          target deleted (only in manual plans and alternatives: never a default fix)
  inspect         a read-only kubectl command (`args`) that shows the state the finding is about; `pipe`
                  is a shell filter for its output (`base64 -d | openssl x509 -noout -enddate`)
  external        a command of another tool (`command`: helm, istioctl, linkerd) the user runs; with
                  `args` its output is piped into `kubectl <args>` (`linkerd upgrade | kubectl apply -f -`)
  note            guidance text (`text`)
Only the first twelve change anything; remediation executes those and reports the rest.

`expect` of resync_ca and rotate_cert is the caBundle each webhook of `paths` held (base64, "" when
empty): the shell steps only test the webhook names (the source is authoritative and a bundle is
kilobytes long), the remediation modules test both.
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
    "scale",
    "delete",
)
OPERATIONS = MUTATIONS + ("inspect", "external", "note")
METADATA_OPS = ("set_label", "remove_label", "set_annotation", "remove_annotation")
# JSON pointers into a workload's pod template: patching below them rolls the pods.
TEMPLATE_POINTERS = ("/spec/template/", "/spec/jobTemplate/")

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
    pipe: str = ""  # inspect: a shell filter for the command's output
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
        """Re-creates application pods (a restart, pod deletion, or a changed pod template, by label,
        annotation or JSON patch). The injector restart inside rotate_cert is part of that action's
        own opt-in."""
        if self.op in ("restart", "delete_pods"):
            return True
        if self.op in METADATA_OPS:
            return self.scope == "template"
        return self.op == "json_patch" and self.target.is_workload and self.path.startswith(TEMPLATE_POINTERS)

    def risk_of(self) -> str:
        if self.risk:
            return self.risk
        if self.op in ("rotate_cert", "delete") or self.rolls_pods:
            return "disruptive"
        if self.op == "scale" and isinstance(self.value, int) and isinstance(self.expect, int):
            return "disruptive" if self.value < self.expect else "safe"
        return "safe"

    def as_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"op": self.op, "target": self.target.as_dict()}
        if self.op in METADATA_OPS:
            out.update(key=self.key, scope=self.scope)
            if self.op.startswith("set_"):
                out["value"] = self.value
        if self.op in ("json_patch", "scale"):
            out.update(value=self.value)
        if self.op == "json_patch":
            out.update(path=self.path, guards=[list(g) for g in self.guards])
        if self.mutates and self.op not in ("restart", "delete_pods", "create", "delete"):
            out["expect"] = None if self.expect is ABSENT else _plain(self.expect)
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
        for name in ("command", "text", "pipe", "why"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out["risk"] = self.risk_of()
        return out


def _plain(value: Any) -> Any:
    """Tuples (resync_ca's per-webhook bundles) as lists, so a plan serialises the same everywhere."""
    return list(value) if isinstance(value, tuple) else value


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


def patch(
    target: ObjectRef,
    path: str,
    value: Any,
    expect: Any = ABSENT,
    guards: Sequence[Tuple[str, Any]] = (),
    why: str = "",
    risk: str = "",
) -> Operation:
    """A JSON patch of one field (`path`, a JSON pointer; value None removes it), tested against the
    value the diagnosis saw and the `guards` first."""
    return Operation(
        "json_patch", target, path=path, value=value, expect=expect, guards=tuple(guards), why=why, risk=risk
    )


def scale(target: ObjectRef, replicas: int, expect: int, why: str = "") -> Operation:
    return Operation("scale", target, value=replicas, expect=expect, why=why)


def delete(target: ObjectRef, why: str = "", risk: str = "") -> Operation:
    return Operation("delete", target, why=why, risk=risk)


def inspect(target: ObjectRef, *args: str, why: str = "", pipe: str = "") -> Operation:
    return Operation("inspect", target, args=tuple(args), why=why, pipe=pipe)


def external(command: str, why: str = "", target: Optional[ObjectRef] = None, into: Sequence[str] = ()) -> Operation:
    """Another tool's command; `into` are the kubectl arguments its output is piped to."""
    return Operation("external", target or ObjectRef("", ""), command=command, args=tuple(into), why=why)


def note(text: str, target: Optional[ObjectRef] = None) -> Operation:
    return Operation("note", target or ObjectRef("", ""), text=text)
