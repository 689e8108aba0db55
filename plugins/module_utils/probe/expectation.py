# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the static model says the probe pod gets, and whether the probe's answer agrees.

The one seam between the probe and the model. The model's side is the `next_pod` of the workload the
probe pod mimics (rules/answers.py, computed by the diagnosis on the probe's own snapshot): its outcome
(injected, admitted_without_sidecar, rejected, not_selected), the webhook and its failurePolicy, and
what blocks it. A plain pod (a namespace without workloads) has no workload answer; there the decision
layer's verdict for the pod (`decision/verdicts.py`) is the model's side, as before.

Agreement with next_pod is judged on outcome classes, as far as the answer can show them:
  * `injected` agrees when next_pod is injected (by the same mesh);
  * `admitted_without_sidecar` agrees when next_pod is admitted_without_sidecar (a fail-open call, an
    injector that declines) or not_selected; when next_pod is injected through a webhook that fails
    open (failurePolicy Ignore), the answer cannot tell "not called" from "called and failed": unknown
    (None), never a disagreement; any other next_pod disagrees;
  * `rejected` where next_pod is rejected agrees when the answer's stage (a failed call, a denial, an
    admission policy) is the root cause's stage, and a failed call names next_pod's webhook; a rejection
    of no known class says nothing (None). Where next_pod is not rejected, a rejection by a webhook, or
    by a policy naming the mesh's containers, disagrees; any other rejection says nothing (None);
  * `skipped`: None.

The decision verdict alone (plain pods):
  * `injected` agrees when the model expects a sidecar from the same mesh;
  * `admitted_without_sidecar` agrees when the model expects none; a fail-open webhook: None;
  * `rejected` by a webhook call or denial agrees when the model predicts that webhook is called;
    rejected by a policy that names the mesh's containers agrees when the model expects a sidecar;
    any other rejection says nothing about injection (None);
  * `skipped`: None.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import Decider, Decision
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import MeshModel
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.webhooks import Webhook
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.answers import Answer, stage_of


def expected(decider: Decider, namespace: str, template: Dict[str, Any]) -> Decision:
    """The static verdict for a pod created from `template` in `namespace` now."""
    meta = template.get("metadata") or {}
    return decider.decide(
        namespace,
        dict(meta.get("labels") or {}),
        dict(meta.get("annotations") or {}),
        template.get("spec") or {},
        False,
    )


def describe(decision: Decision, workload: Optional[Answer] = None) -> Dict[str, Any]:
    """The model's side, as it goes into the result and the evidence: the decision verdict, and the
    next_pod of the workload the probe pod mimics (null for a plain pod)."""
    out: Dict[str, Any] = {
        "should_inject": decision.should_inject,
        "mesh": decision.mesh,
        "webhook": decision.webhook,
        "revision": decision.revision,
        "reasons": list(decision.reasons),
        "workload": "",
        "next_pod": None,
        "blocked_by": [],
    }
    if workload is not None:
        out["workload"] = workload.ref.text()
        out["next_pod"] = {
            "outcome": workload.outcome,
            "webhook": workload.webhook,
            "failure_policy": workload.failure_policy,
        }
        out["blocked_by"] = [{"code": f.code, "slug": f.slug, "stage": stage_of(f.code)} for f in workload.blocked_by]
    return out


def _hook(model: MeshModel, key: str) -> Optional[Webhook]:
    for hook in model.webhooks:
        if hook.key == key:
            return hook
    return None


def _called(decision: Decision, webhook_name: str) -> bool:
    """Whether the model predicts a call to the webhook named in an error (by its name, as the error
    names it, or by configuration/name)."""
    return any(key == webhook_name or key.endswith("/" + webhook_name) for key in decision.matched)


def agrees(
    model: MeshModel, decision: Decision, result: Dict[str, Any], workload: Optional[Answer] = None
) -> Optional[bool]:
    """Does the answer agree with the model: next_pod of `workload` when there is one, else `decision`."""
    if workload is not None:
        return agrees_with_next_pod(workload, result)
    return agrees_with_decision(model, decision, result)


def _same_webhook(configured: str, named: str) -> bool:
    """`configured` is "configuration/name"; an error names the webhook by its name alone."""
    return configured == named or configured.endswith("/" + named)


def agrees_with_next_pod(workload: Answer, result: Dict[str, Any]) -> Optional[bool]:
    outcome = result["outcome"]
    expected = workload.outcome
    if outcome == "injected":
        proxy_mesh = (result.get("proxy") or {}).get("mesh")
        mesh = workload.verdict.decision.mesh or workload.intent.mesh
        return expected == "injected" and (not proxy_mesh or not mesh or proxy_mesh == mesh)
    if outcome == "admitted_without_sidecar":
        if expected in ("admitted_without_sidecar", "not_selected"):
            return True
        if expected == "injected" and workload.failure_policy == "Ignore":
            return None
        return False
    if outcome == "rejected":
        stage = result.get("stage") or ""
        if expected == "rejected":
            cause = workload.root_cause
            if not stage or cause is None:
                return None
            if stage != stage_of(cause.code):
                return False
            if stage == "call" and result.get("webhook") and workload.webhook:
                return _same_webhook(workload.webhook, result["webhook"])
            return True
        if result.get("webhook") or result.get("mentions_mesh"):
            return False
        return None
    return None


def agrees_with_decision(model: MeshModel, decision: Decision, result: Dict[str, Any]) -> Optional[bool]:
    outcome = result["outcome"]
    if outcome == "injected":
        proxy_mesh = (result.get("proxy") or {}).get("mesh")
        return decision.should_inject and (not proxy_mesh or proxy_mesh == decision.mesh)
    if outcome == "admitted_without_sidecar":
        if not decision.should_inject:
            return True
        hook = _hook(model, decision.webhook)
        if hook is not None and hook.failure_policy == "Ignore":
            return None
        return False
    if outcome == "rejected":
        if result.get("webhook"):
            return _called(decision, result["webhook"])
        if result.get("mentions_mesh"):
            return decision.should_inject
        return None
    return None


def model_lines(decision: Decision) -> List[str]:
    """One line for messages: what the model expects."""
    if decision.should_inject:
        text = "the model expects a %s sidecar from webhook %s" % (decision.mesh, decision.webhook)
        return [text + (" (revision %s)" % decision.revision if decision.revision else "")]
    return ["the model expects no sidecar (%s)" % (decision.reasons[0] if decision.reasons else decision.outcome)]
