# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the API server's answer to the dry-run pod create.

A pod came back: `injected` when it carries a mesh proxy (a container, or a native sidecar among the
init containers), with the proxy's image, version and revision read as the diagnosis reads running
pods (`decision/verdicts.proxy_state`); else `admitted_without_sidecar`.

An error came back: `rejected`, classified with the classes the event-based checks use
(`analysis/admission_errors.py`): a failed webhook call by its Go error (timeout, x509-unknown-authority,
x509-expired, no-endpoints, ...; SI303), a denial (webhook-denied), Pod Security (pod-security; SI501),
quota (quota-exceeded, quota-must-specify; SI502), LimitRange (limitrange; SI503), PSP/SCC; anything
else by the Status reason (invalid, ...). `message` is always the server's exact words. A 403 that
is the authorizer's (the identity may not create pods) is not a rejection of the pod: `skipped`,
class `forbidden`, reported as coverage (SI801).
"""

from __future__ import annotations

import re
from typing import Any, Dict

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import admission_errors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import proxy_state

# the RBAC authorizer's 403, as opposed to an admission plugin's `pods "x" is forbidden: ...`
_RBAC_FORBIDDEN = re.compile(r'cannot create resource "pods" in API group ""')


# the stage of core/catalogue.py PATH a rejection of each kind happens at, so the probe's answer and a
# next_pod root cause (SI404 at "call", SI501 at "admission") can be compared
STAGE_OF_KIND = {
    "webhook-call-failed": "call",
    "webhook-denied": "injector",
    "pod-security": "admission",
    "quota-exceeded": "admission",
    "quota-must-specify": "admission",
    "limitrange": "admission",
    "psp": "admission",
    "scc": "admission",
}


def from_pod(pod: Dict[str, Any]) -> Dict[str, Any]:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    proxy = proxy_state(spec, meta.get("annotations") or {})
    injected = proxy is not None and proxy.where != "annotation"
    return {
        "outcome": "injected" if injected else "admitted_without_sidecar",
        "reason_class": "",
        "message": "",
        "pod_name": meta.get("name") or "",
        "containers": [c.get("name") or "" for c in spec.get("containers") or []],
        "init_containers": [c.get("name") or "" for c in spec.get("initContainers") or []],
        "proxy": (
            {
                "mesh": proxy.mesh,
                "container": proxy.container,
                "image": proxy.image,
                "version": proxy.version,
                "revision": proxy.revision,
            }
            if injected and proxy is not None
            else None
        ),
    }


def from_error(status: int, reason: str, message: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {"status": status, "message": message, "proxy": None, "webhook": ""}
    if status == 403 and _RBAC_FORBIDDEN.search(message or ""):
        out.update(outcome="skipped", reason_class="forbidden")
        return out
    out["outcome"] = "rejected"
    rejection = admission_errors.classify_rejection(message or "")
    if rejection is None:
        out["reason_class"] = re.sub(r"(?<!^)(?=[A-Z])", "-", reason or "error").lower()  # Invalid -> invalid
        out["mentions_mesh"] = False
        out["stage"] = ""
        return out
    kind = rejection["kind"]
    out["reason_class"] = rejection["class"] if kind == "webhook-call-failed" else kind
    out["stage"] = STAGE_OF_KIND.get(kind, "")
    if kind in ("webhook-call-failed", "webhook-denied"):
        out["webhook"] = rejection.get("webhook") or ""
    out["mentions_mesh"] = admission_errors.touches_mesh_proxy(rejection)
    return out
