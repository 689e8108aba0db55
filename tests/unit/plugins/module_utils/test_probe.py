"""The probe's pure parts: the pod it sends, how it reads an error, the model comparison, `like`, and
the findings its rules make from results (SI308, SI309, SI801)."""

from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import Call, Decision
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import build_model
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.webhooks import Webhook
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe import answer, expectation, pod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.probe.select import SelectionError, parse_like
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import (
    Options,
    RuleContext,
    run_rules,
)
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
