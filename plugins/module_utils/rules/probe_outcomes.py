# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings from the dry-run injection probe's answers (SI308, SI309, SI801 for a 403 on pods/create).

The probe (probe/run.py) puts one plain result per namespace on the context (`ctx.probe`); these
rules only read them, so they stay pure like every other rule. The API server's exact answer is the
evidence: what the static checks infer, the probe has seen. The model's side of a result is the
next_pod of the workload the probe pod mimics (`model.next_pod`, `model.blocked_by`; rules/answers.py),
or for a plain pod the injector decision alone (`model.should_inject`, `model.reasons`).
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding, evidence
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule


def _ns(result: Dict[str, Any]) -> str:
    return "Namespace %s" % result["namespace"]


def _answer(result: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The probe's side of the evidence."""
    out = [evidence(_ns(result), "probe pod shaped like", result["like"])]
    if result["outcome"] == "rejected":
        out.append(evidence(_ns(result), "API server answer (HTTP %s)" % result["status"], result["message"]))
        out.append(evidence(_ns(result), "reason class", result["reason_class"]))
        if result["webhook"]:
            out.append(evidence(_ns(result), "webhook", result["webhook"]))
    else:
        out.append(evidence(_ns(result), "returned pod containers", result["containers"]))
        out.append(evidence(_ns(result), "returned pod initContainers", result["init_containers"]))
    return out


def _blockers(model: Dict[str, Any]) -> List[str]:
    return ["%s %s" % (b["code"], b["slug"]) for b in model.get("blocked_by") or []]


def _next_pod_text(model: Dict[str, Any]) -> str:
    """`injected`, `rejected (blocked by SI404 cabundle-mismatch)`: next_pod as a message says it."""
    blockers = _blockers(model)
    return model["next_pod"]["outcome"] + (" (blocked by %s)" % ", ".join(blockers) if blockers else "")


def _model(result: Dict[str, Any]) -> List[Dict[str, Any]]:
    model = result["model"]
    if model.get("next_pod"):
        next_pod = model["next_pod"]
        out = [
            evidence(_ns(result), "model: next pod of", model["workload"]),
            evidence(_ns(result), "model: next_pod outcome", next_pod["outcome"]),
        ]
        if next_pod["webhook"]:
            out.append(
                evidence(
                    _ns(result),
                    "model: next_pod webhook",
                    "%s (failurePolicy %s)" % (next_pod["webhook"], next_pod["failure_policy"] or "unknown"),
                )
            )
        out.append(evidence(_ns(result), "model: blocked by", _blockers(model) or "nothing on the path"))
        out += [evidence(_ns(result), "model: because", r) for r in model["reasons"][:3]]
        return out
    value = (
        "sidecar from %s (%s%s)"
        % (model["webhook"], model["mesh"], ", revision " + model["revision"] if model["revision"] else "")
        if model["should_inject"]
        else "no sidecar"
    )
    out = [evidence(_ns(result), "model: next pod gets", value)]
    out += [evidence(_ns(result), "model: because", r) for r in model["reasons"][:3]]
    return out


def _what(result: Dict[str, Any]) -> str:
    if result["outcome"] == "rejected":
        return "was rejected (%s): %s" % (result["reason_class"], result["message"])
    text = "came back without a proxy (containers %s)" % ", ".join(result["containers"])
    model = result["model"]
    next_pod = model.get("next_pod") or {}
    if next_pod.get("outcome") == "admitted_without_sidecar" and model.get("blocked_by"):
        # the model knows why: a failed call through a fail-open webhook, or an injector that declined
        text += "; the model's next pod is admitted without a sidecar too (%s)" % ", ".join(_blockers(model))
    elif model["should_inject"] and result["agrees_with_model"] is None:
        # failurePolicy Ignore: a failed call admits the pod untouched, and the answer cannot say why
        text += "; webhook %s fails open, so a failed call is silent" % model["webhook"]
    return text


@rule(codes=["SI308"], requires=["probe"])
def probe_not_injected(ctx: RuleContext) -> Iterator[Finding]:
    """A namespace whose pods should get a sidecar: the dry-run pod came back without one, or was rejected."""
    for result in ctx.probe:
        if not result["model"]["should_inject"] or result["outcome"] not in ("admitted_without_sidecar", "rejected"):
            continue
        yield Finding(
            code="SI308",
            message="a dry-run pod in namespace %s (shaped like %s) %s"
            % (result["namespace"], result["like"], _what(result)),
            kind="Namespace",
            name=result["namespace"],
            mesh=result["model"]["mesh"],
            evidence=_answer(result),
            affects=[namespace_ref(result["namespace"])],
        )


@rule(codes=["SI309"], requires=["probe"])
def probe_disagrees_with_model(ctx: RuleContext) -> Iterator[Finding]:
    """The probe saw something other than the static next_pod (or, for a plain pod, the injector
    decision) predicts; both sides as evidence."""
    for result in ctx.probe:
        if result["agrees_with_model"] is not False:
            continue
        seen = "was injected" if result["outcome"] == "injected" else _what(result)
        model = result["model"]
        if model.get("next_pod"):
            expected = "the model's next pod for %s is %s" % (model["workload"], _next_pod_text(model))
        else:
            expected = "the model expects %s" % ("a sidecar" if model["should_inject"] else "no sidecar")
        yield Finding(
            code="SI309",
            message="the dry-run pod in namespace %s %s, but %s" % (result["namespace"], seen, expected),
            kind="Namespace",
            name=result["namespace"],
            mesh=result["model"]["mesh"] or (result["proxy"] or {}).get("mesh", ""),
            evidence=_model(result) + _answer(result),
            affects=[namespace_ref(result["namespace"])],
        )


@rule(codes=["SI801"], requires=["probe"])
def probe_forbidden(ctx: RuleContext) -> Iterator[Finding]:
    """The identity may not create pods (403): the probe could not run there, which is not a pass."""
    for result in ctx.probe:
        if result["reason_class"] != "forbidden":
            continue
        yield Finding(
            code="SI801",
            message="the dry-run injection probe (SI308) was skipped in namespace %s: %s"
            % (result["namespace"], result["message"]),
            kind="Namespace",
            name=result["namespace"],
            evidence=[
                evidence(_ns(result), "API server answer (HTTP 403)", result["message"]),
                evidence(_ns(result), "missing permission", "create pods (a dry run needs the same RBAC)"),
            ],
            affects=[namespace_ref(result["namespace"])],
        )
