"""The probe's pure parts: the pod it sends, how it reads an error, the model comparison, `like`, and
the findings its rules make from results (SI308, SI309, SI801)."""

from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import Call, Decision, Verdict
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import build_model
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.webhooks import Webhook
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe import answer, expectation, pod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe.select import (
    SelectionError,
    answer_of,
    parse_like,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.answers import Answer
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import (
    Options,
    RuleContext,
    run_rules,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.intent import Intent
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.registry import PROBE_RULES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

TEMPLATE = {
    "metadata": {"labels": {"app": "web", "pod-template-hash": "7d9f"}, "annotations": {"a": "b"}},
    "spec": {
        "serviceAccountName": "web",
        "nodeName": "node-1",
        "securityContext": {"runAsNonRoot": True},
        "containers": [
            {
                "name": "web",
                "image": "nginx",
                "resources": {"requests": {"cpu": "50m"}},
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            }
        ],
    },
}


def test_the_probe_pod_copies_the_template_and_drops_what_would_bind_or_invalidate_it():
    body = pod.build("shop", TEMPLATE)
    assert body == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "meshops-probe-",
            "namespace": "shop",
            "annotations": {"a": "b", "meshops.io/probe": "dry-run"},
            "labels": {"app": "web"},
        },
        "spec": {
            "serviceAccountName": "web",
            "securityContext": {"runAsNonRoot": True},
            "containers": [{"name": "web", "image": "nginx", "resources": {"requests": {"cpu": "50m"}}}],
        },
    }
    assert TEMPLATE["spec"]["containers"][0]["volumeMounts"]  # the template itself is untouched


def test_the_probe_pod_keeps_the_templates_volumes_and_the_mounts_that_use_them():
    template = {
        "metadata": {},
        "spec": {
            "volumes": [
                {"name": "data", "hostPath": {"path": "/var/data"}},
                {"name": "cfg", "configMap": {"name": "c"}},
            ],
            "initContainers": [{"name": "seed", "volumeMounts": [{"name": "data", "mountPath": "/seed"}]}],
            "containers": [
                {
                    "name": "web",
                    "volumeMounts": [
                        {"name": "cfg", "mountPath": "/etc/web"},
                        # its volume is not in the template (as for a pod's own kube-api-access volume)
                        {"name": "kube-api-access-x1y2z", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"},
                    ],
                },
                {"name": "sidecar", "volumeMounts": [{"name": "gone", "mountPath": "/gone"}]},
            ],
        },
    }
    spec = pod.build("shop", template)["spec"]
    assert spec["volumes"] == template["spec"]["volumes"]  # Pod Security sees the hostPath
    assert spec["initContainers"] == [{"name": "seed", "volumeMounts": [{"name": "data", "mountPath": "/seed"}]}]
    assert spec["containers"] == [
        {"name": "web", "volumeMounts": [{"name": "cfg", "mountPath": "/etc/web"}]},
        {"name": "sidecar"},
    ]


def test_the_plain_pod_meets_restricted_and_has_requests():
    container = pod.build("empty", pod.plain_template())["spec"]["containers"][0]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "runAsUser": 65535,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["resources"]["requests"] == {"cpu": "10m", "memory": "16Mi"}


CALL = (
    'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call webhook: '
    'Post "https://istiod.istio-system.svc:443/inject?timeout=10s": context deadline exceeded'
)


@pytest.mark.parametrize(
    ("status", "reason", "message", "expected"),
    [
        (500, "InternalError", CALL, ("rejected", "timeout", "namespace.sidecar-injector.istio.io", False)),
        (
            400,
            "BadRequest",
            'admission webhook "namespace.sidecar-injector.istio.io" denied the request: bad annotation',
            ("rejected", "webhook-denied", "namespace.sidecar-injector.istio.io", False),
        ),
        (
            403,
            "Forbidden",
            'pods "p" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container '
            '"istio-init" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)',
            ("rejected", "pod-security", "", True),
        ),
        (
            403,
            "Forbidden",
            'pods is forbidden: User "u" cannot create resource "pods" in API group "" in the namespace "shop"',
            ("skipped", "forbidden", "", None),
        ),
        (422, "Invalid", 'Pod "p" is invalid: spec.containers: Required value', ("rejected", "invalid", "", False)),
    ],
)
def test_errors_are_classified_with_the_event_classes(status, reason, message, expected):
    got = answer.from_error(status, reason, message)
    assert (got["outcome"], got["reason_class"], got["webhook"], got.get("mentions_mesh")) == expected
    assert got["message"] == message and got["status"] == status


def test_a_returned_pod_is_read_like_a_running_one():
    injected = answer.from_pod(
        {
            "metadata": {"name": "meshops-probe-abcde", "annotations": {"istio.io/rev": "1-22"}},
            "spec": {
                "initContainers": [{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.22.1"}],
                "containers": [{"name": "web"}, {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.1"}],
            },
        }
    )
    assert injected == {
        "outcome": "injected",
        "reason_class": "",
        "message": "",
        "pod_name": "meshops-probe-abcde",
        "containers": ["web", "istio-proxy"],
        "init_containers": ["istio-init"],
        "proxy": {
            "mesh": "istio",
            "container": "istio-proxy",
            "image": "docker.io/istio/proxyv2:1.22.1",
            "version": "1.22.1",
            "revision": "1-22",
        },
    }
    assert answer.from_pod({"spec": {"containers": [{"name": "web"}]}})["outcome"] == "admitted_without_sidecar"


def _model(failure_policy: str):
    model = build_model(SnapshotView({}))
    model.webhooks = [
        Webhook(config="cfg", name="namespace.sidecar-injector.istio.io", index=0, failure_policy=failure_policy)
    ]
    return model


INJECT = Decision(
    mesh="istio",
    webhook="cfg/namespace.sidecar-injector.istio.io",
    should_inject=True,
    outcome="inject",
    calls=(Call("cfg/namespace.sidecar-injector.istio.io", "istio", "default", True),),
)
NONE = Decision()


@pytest.mark.parametrize(
    ("decision", "policy", "result", "agrees"),
    [
        (INJECT, "Fail", {"outcome": "injected", "proxy": {"mesh": "istio"}}, True),
        (INJECT, "Fail", {"outcome": "injected", "proxy": {"mesh": "linkerd"}}, False),
        (NONE, "Fail", {"outcome": "injected", "proxy": {"mesh": "istio"}}, False),
        (INJECT, "Fail", {"outcome": "admitted_without_sidecar"}, False),
        (INJECT, "Ignore", {"outcome": "admitted_without_sidecar"}, None),
        (NONE, "Fail", {"outcome": "admitted_without_sidecar"}, True),
        (INJECT, "Fail", {"outcome": "rejected", "webhook": "namespace.sidecar-injector.istio.io"}, True),
        (NONE, "Fail", {"outcome": "rejected", "webhook": "namespace.sidecar-injector.istio.io"}, False),
        (INJECT, "Fail", {"outcome": "rejected", "webhook": "", "mentions_mesh": True}, True),
        (INJECT, "Fail", {"outcome": "rejected", "webhook": "", "mentions_mesh": False}, None),
        (INJECT, "Fail", {"outcome": "skipped"}, None),
    ],
)
def test_agreement_with_the_model(decision, policy, result, agrees):
    assert expectation.agrees(_model(policy), decision, result) is agrees


WEB = ObjectRef("Deployment", "web", "shop")
ISTIO_HOOK = "cfg/namespace.sidecar-injector.istio.io"


def _workload(outcome, policy="Fail", blockers=()):
    """The answer of Deployment shop/web: next_pod `outcome` through the Istio webhook, blocked by `blockers`."""
    verdict = Verdict("Deployment", "shop", "web", INJECT, {}, True)
    found = [Finding(code=code, message=code, kind="Deployment", namespace="shop", name="web") for code in blockers]
    return Answer(
        ref=WEB,
        verdict=verdict,
        intent=Intent(True, "istio", "", ["namespace label istio-injection=enabled"]),
        pods=[],
        outcome=outcome,
        webhook=ISTIO_HOOK,
        failure_policy=policy,
        blocked_by=found,
    )


CALL_FAILED = {"outcome": "rejected", "stage": "call", "webhook": "namespace.sidecar-injector.istio.io"}


@pytest.mark.parametrize(
    ("workload", "result", "agrees"),
    [
        (_workload("injected"), {"outcome": "injected", "proxy": {"mesh": "istio"}}, True),
        (_workload("injected"), {"outcome": "injected", "proxy": {"mesh": "linkerd"}}, False),
        (_workload("not_selected", blockers=["SI101"]), {"outcome": "injected", "proxy": {"mesh": "istio"}}, False),
        (_workload("rejected", blockers=["SI404"]), {"outcome": "injected", "proxy": {"mesh": "istio"}}, False),
        # the admission plugin is off, or the platform rewrote the selectors: the webhook was not called
        (_workload("injected"), {"outcome": "admitted_without_sidecar"}, False),
        # a fail-open webhook: not called and called-and-failed look the same
        (_workload("injected", "Ignore"), {"outcome": "admitted_without_sidecar"}, None),
        (_workload("admitted_without_sidecar", "Ignore", ["SI404"]), {"outcome": "admitted_without_sidecar"}, True),
        (_workload("not_selected", blockers=["SI101"]), {"outcome": "admitted_without_sidecar"}, True),
        (_workload("rejected", blockers=["SI404"]), {"outcome": "admitted_without_sidecar"}, False),
        (_workload("rejected", blockers=["SI404"]), CALL_FAILED, True),
        (_workload("rejected", blockers=["SI404"]), dict(CALL_FAILED, webhook="other.example.com"), False),
        (_workload("rejected", blockers=["SI501"]), {"outcome": "rejected", "stage": "admission"}, True),
        # the model blames the call; the server let the call through and Pod Security refused the pod
        (_workload("rejected", blockers=["SI404"]), {"outcome": "rejected", "stage": "admission"}, False),
        (_workload("rejected", blockers=["SI404"]), {"outcome": "rejected", "stage": ""}, None),
        (_workload("injected"), CALL_FAILED, False),
        (_workload("injected"), {"outcome": "rejected", "stage": "admission", "mentions_mesh": True}, False),
        (_workload("injected"), {"outcome": "rejected", "stage": "admission", "mentions_mesh": False}, None),
        (_workload("injected"), {"outcome": "skipped"}, None),
    ],
)
def test_agreement_with_next_pod(workload, result, agrees):
    # the decision alone would say otherwise in several rows: next_pod is what counts when there is one
    assert expectation.agrees(_model("Fail"), INJECT, result, workload) is agrees


def test_the_model_side_shows_next_pod_and_what_blocks_it():
    described = expectation.describe(INJECT, _workload("rejected", blockers=["SI404", "SI501"]))
    assert {k: described[k] for k in ("workload", "next_pod", "blocked_by")} == {
        "workload": "Deployment shop/web",
        "next_pod": {"outcome": "rejected", "webhook": ISTIO_HOOK, "failure_policy": "Fail"},
        "blocked_by": [
            {"code": "SI404", "slug": "cabundle-mismatch", "stage": "call"},
            {"code": "SI501", "slug": "pod-security-blocks-init", "stage": "admission"},
        ],
    }
    assert expectation.describe(NONE)["next_pod"] is None  # a plain pod: the decision alone


@pytest.mark.parametrize(
    ("message", "stage"),
    [
        (CALL, "call"),
        ('admission webhook "namespace.sidecar-injector.istio.io" denied the request: bad annotation', "injector"),
        ('pods "p" is forbidden: exceeded quota: compute, requested: cpu=1, used: cpu=1, limited: cpu=1', "admission"),
        ('Pod "p" is invalid: spec.containers: Required value', ""),
    ],
)
def test_a_rejection_carries_the_path_stage_it_happened_at(message, stage):
    assert answer.from_error(500, "InternalError", message)["stage"] == stage


def test_like_is_kind_slash_name():
    assert parse_like({"shop": "deploy/web", "jobs": "CronJob/nightly"}) == {
        "shop": ("Deployment", "web"),
        "jobs": ("CronJob", "nightly"),
    }
    with pytest.raises(SelectionError) as raised:
        parse_like({"shop": "pod/web"})
    assert str(raised.value).startswith("like: shop: 'pod/web' is not KIND/NAME")


def _result(**extra):
    out = {
        "namespace": "shop",
        "outcome": "injected",
        "reason_class": "",
        "message": "",
        "webhook": "",
        "proxy": {"mesh": "istio", "container": "istio-proxy", "image": "proxyv2:1.22.1"},
        "agrees_with_model": True,
        "model": {"should_inject": False, "mesh": "", "webhook": "", "revision": "", "reasons": ["not selected"]},
        "like": "Deployment shop/web",
        "status": 201,
        "containers": ["web", "istio-proxy"],
        "init_containers": ["istio-init"],
    }
    out.update(extra)
    return out


def _findings(results):
    view = SnapshotView({})
    ctx = RuleContext(view, build_model(view), [], Options(), frozenset({"probe"}), probe=results)
    return run_rules(PROBE_RULES, ctx).findings


def test_a_disagreement_is_its_own_finding_with_both_sides():
    (finding,) = _findings([_result(agrees_with_model=False)])
    assert (finding.code, finding.severity, finding.name, finding.mesh) == ("SI309", "warning", "shop", "istio")
    assert finding.message == "the dry-run pod in namespace shop was injected, but the model expects no sidecar"
    assert [(e["field"], e["value"]) for e in finding.evidence] == [
        ("model: next pod gets", "no sidecar"),
        ("model: because", "not selected"),
        ("probe pod shaped like", "Deployment shop/web"),
        ("returned pod containers", ["web", "istio-proxy"]),
        ("returned pod initContainers", ["istio-init"]),
    ]


def _next_pod_model(outcome, blocked_by=()):
    return {
        "should_inject": True,
        "mesh": "istio",
        "webhook": ISTIO_HOOK,
        "revision": "default",
        "reasons": ["namespace label istio-injection=enabled matches webhook %s" % ISTIO_HOOK],
        "workload": "Deployment shop/web",
        "next_pod": {"outcome": outcome, "webhook": ISTIO_HOOK, "failure_policy": "Fail"},
        "blocked_by": [dict(zip(("code", "slug", "stage"), b)) for b in blocked_by],
    }


def test_a_disagreement_with_next_pod_names_it_and_what_blocks_it():
    result = _result(
        outcome="rejected",
        reason_class="pod-security",
        message='pods "p" is forbidden: violates PodSecurity',
        webhook="",
        proxy=None,
        status=403,
        agrees_with_model=False,
        model=_next_pod_model("rejected", [("SI404", "cabundle-mismatch", "call")]),
    )
    si308, si309 = sorted(_findings([result]), key=lambda f: f.code)
    assert si308.code == "SI308"
    assert (si309.code, si309.mesh) == ("SI309", "istio")
    assert si309.message == (
        'the dry-run pod in namespace shop was rejected (pod-security): pods "p" is forbidden: violates PodSecurity, '
        "but the model's next pod for Deployment shop/web is rejected (blocked by SI404 cabundle-mismatch)"
    )
    assert [(e["field"], e["value"]) for e in si309.evidence] == [
        ("model: next pod of", "Deployment shop/web"),
        ("model: next_pod outcome", "rejected"),
        ("model: next_pod webhook", ISTIO_HOOK + " (failurePolicy Fail)"),
        ("model: blocked by", ["SI404 cabundle-mismatch"]),
        ("model: because", "namespace label istio-injection=enabled matches webhook " + ISTIO_HOOK),
        ("probe pod shaped like", "Deployment shop/web"),
        ("API server answer (HTTP 403)", 'pods "p" is forbidden: violates PodSecurity'),
        ("reason class", "pod-security"),
    ]


def test_a_pod_admitted_bare_as_next_pod_predicts_says_why_in_si308():
    result = _result(
        outcome="admitted_without_sidecar",
        proxy=None,
        containers=["web"],
        init_containers=[],
        agrees_with_model=True,
        model=_next_pod_model("admitted_without_sidecar", [("SI404", "cabundle-mismatch", "call")]),
    )
    (finding,) = _findings([result])
    assert finding.message == (
        "a dry-run pod in namespace shop (shaped like Deployment shop/web) came back without a proxy (containers web); "
        "the model's next pod is admitted without a sidecar too (SI404 cabundle-mismatch)"
    )


def test_probe_rules_are_skipped_without_the_probe():
    view = SnapshotView({})
    ctx = RuleContext(view, build_model(view), [], Options(), frozenset(), probe=[_result(agrees_with_model=False)])
    run = run_rules(PROBE_RULES, ctx)
    assert run.findings == [] and [s["missing"] for s in run.skipped] == [["probe"]] * 3


def test_feeding_a_diagnosis_report_replaces_the_earlier_probe_and_recounts(tmp_path):
    import json

    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import probe as probe_runner

    def finding(code, severity, message="m"):
        return {"code": code, "severity": severity, "message": message}

    path = tmp_path / "c.json"
    earlier = finding("SI308", "error", "old probe")
    path.write_text(
        json.dumps(
            {
                "schema": "x",
                "summary": {"severities": {"error": 1, "warning": 0, "info": 1}, "pods": {"total": 2}},
                "findings": [earlier, finding("SI801", "warning", "SI801 about secrets"), finding("SI101", "info")],
            }
        )
    )
    out = {
        "summary": {"namespaces": 1},
        "results": [{"namespace": "a"}],
        "findings": [
            finding("SI309", "warning", "new"),
            finding("SI801", "warning", "the dry-run injection probe (SI308) was skipped in namespace b: 403"),
        ],
    }
    summary = probe_runner.merge_into_report(str(path), out)
    document = json.loads(path.read_text())
    assert [(f["code"], f["message"]) for f in document["findings"]] == [
        ("SI801", "SI801 about secrets"),
        ("SI309", "new"),
        ("SI801", "the dry-run injection probe (SI308) was skipped in namespace b: 403"),
        ("SI101", "m"),
    ]
    assert summary == document["summary"]
    assert summary["severities"] == {"error": 0, "warning": 3, "info": 1}
    assert summary["at_or_above"] == {"info": 4, "warning": 3, "error": 0}
    assert summary["codes"] == {"SI101": 1, "SI309": 1, "SI801": 2}
    assert summary["pods"] == {"total": 2}
    assert document["probe"] == {"summary": {"namespaces": 1}, "results": [{"namespace": "a"}]}
    path.write_text("[]")
    with pytest.raises(probe_runner.ProbeError) as raised:
        probe_runner.merge_into_report(str(path), out)
    assert str(raised.value) == "%s is not an injection_diagnose report (no findings list)" % path


def test_the_target_carries_the_answer_of_the_workload_it_mimics():
    web = _workload("injected")
    other = Verdict("Deployment", "shop", "api", INJECT, {}, True)
    assert answer_of(web.verdict, [web]) is web
    # a verdict object other than the answer's, for the same workload: matched by its workload ref
    same = Verdict("Deployment", "shop", "web", INJECT, {}, True)
    assert answer_of(same, [web]) is web
    assert answer_of(other, [web]) is None
