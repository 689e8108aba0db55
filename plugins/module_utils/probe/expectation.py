# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the static model says the probe pod gets, and whether the probe's answer agrees.

The one seam between the probe and the model: today the decision layer's verdict for the probe
pod's template (`decision/verdicts.py`); when the per-workload `next_pod` of the root-cause issue
lands, `expected()` switches to it and nothing else in the probe changes.

Agreement is judged on what the answer can show:
  * `injected` agrees when the model expects a sidecar from the same mesh;
  * `admitted_without_sidecar` agrees when the model expects none; when it expects one from a
    webhook that fails open (failurePolicy Ignore) the answer cannot tell "not called" from
    "called and failed", so agreement is unknown (None), never a disagreement;
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


def describe(decision: Decision) -> Dict[str, Any]:
    """The model's side, as it goes into the result and the evidence."""
    return {
        "should_inject": decision.should_inject,
        "mesh": decision.mesh,
        "webhook": decision.webhook,
        "revision": decision.revision,
        "reasons": list(decision.reasons),
    }


def _hook(model: MeshModel, key: str) -> Optional[Webhook]:
    for hook in model.webhooks:
        if hook.key == key:
            return hook
    return None


def _called(decision: Decision, webhook_name: str) -> bool:
    """Whether the model predicts a call to the webhook named in an error (by its name, as the error
    names it, or by configuration/name)."""
    return any(key == webhook_name or key.endswith("/" + webhook_name) for key in decision.matched)


def agrees(model: MeshModel, decision: Decision, result: Dict[str, Any]) -> Optional[bool]:
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
