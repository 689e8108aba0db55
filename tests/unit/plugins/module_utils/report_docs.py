"""Hand-made report documents in the report schema, with the per-workload answer (`workloads`, the
contract of issue 10) that real diagnoses do not produce yet: the renderers and the fleet roll-up
are tested against these exactly."""

from __future__ import annotations

import copy


def ref(kind, namespace, name):
    return {"kind": kind, "namespace": namespace, "name": name}


def finding(code, slug, severity, kind, namespace, name, message, affects, action="resync_ca", steps=None):
    return {
        "code": code,
        "slug": slug,
        "severity": severity,
        "mesh": "istio",
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "message": message,
        "evidence": [
            {"object": "%s %s" % (kind, name), "field": "webhooks[0].clientConfig.caBundle", "value": "<b>x</b>"}
        ],
        "affects": affects,
        "remediation": {
            "action": action,
            "steps": steps if steps is not None else ["kubectl rollout restart deployment/istiod -n istio-system"],
        },
        "plan": None,
        "docs": "docs/findings.md#%s" % code.lower(),
    }


def path(blocked_stage=None, codes=()):
    stages = ["selection", "call", "injector", "admission", "runtime"]
    out, reached = [], True
    for stage in stages:
        if not reached:
            out.append({"stage": stage, "status": "not_reached", "codes": [], "detail": ""})
        elif stage == blocked_stage:
            out.append({"stage": stage, "status": "blocked", "codes": list(codes), "detail": "blocked here"})
            reached = False
        else:
            out.append({"stage": stage, "status": "ok", "codes": [], "detail": "ok"})
    return out


def workload(kind, namespace, name, outcome, root="", blocked=(), stage=None, pods=2, with_proxy=0, helps=False):
    return {
        "ref": ref(kind, namespace, name),
        "control_plane": False,
        "intent": {
            "wants": True,
            "mesh": "istio",
            "revision": "1-22",
            "sources": ["namespace label istio-injection=enabled"],
        },
        "current": {"pods": pods, "with_proxy": with_proxy, "without_proxy": pods - with_proxy, "proxy_versions": []},
        "next_pod": {
            "outcome": outcome,
            "webhook": "istio-sidecar-injector/namespace.sidecar-injector.istio.io",
            "failure_policy": "Fail",
            "path": path(stage, blocked),
        },
        "blocked_by": list(blocked),
        "root_cause": root,
        "restart": {"helps": helps, "effect": "new pods get the sidecar" if helps else "new pods are rejected"},
    }


def certificate(obj, role, not_after, seconds_left):
    return {
        "mesh": "istio",
        "role": role,
        "object": obj,
        "field": "webhooks[].clientConfig.caBundle[0]",
        "subject": "CN=Root CA,O=cluster.local",
        "not_after": not_after,
        "seconds_left": seconds_left,
        "sha256": "AA:BB",
    }


def summary(severities, certificates=(), duration=0.5):
    total = sum(severities.values())
    return {
        "meshes": [{"mesh": "istio", "version": "1.22.3"}],
        "platform": "eks",
        "kubernetes_version": "v1.31.4",
        "pods": {"total": 6, "should_inject": 6, "injected": 2, "missing": 4},
        "severities": dict(severities),
        "at_or_above": {
            "info": total,
            "warning": severities.get("error", 0) + severities.get("warning", 0),
            "error": severities.get("error", 0),
        },
        "codes": {},
        "gaps": [],
        "checks": {"skipped": [], "narrowed": []},
        "requests": 31,
        "certificates": list(certificates),
        "duration_seconds": duration,
    }


PROD = {
    "schema": 1,
    "cluster": {"name": "prod", "source": "live", "server": "https://10.0.0.1:6443", "context": "prod"},
    "summary": summary(
        {"error": 1, "warning": 1, "info": 0},
        [
            certificate(
                "MutatingWebhookConfiguration istio-sidecar-injector",
                "webhook caBundle",
                "2027-01-10T00:00:00Z",
                3456000,
            )
        ],
    ),
    "findings": [
        finding(
            "SI404",
            "cabundle-mismatch",
            "error",
            "MutatingWebhookConfiguration",
            "",
            "istio-sidecar-injector",
            "caBundle <does not> verify istiod's certificate",
            [ref("Namespace", "", "shop"), ref("Deployment", "shop", "cart"), ref("Deployment", "shop", "web")],
        ),
        finding(
            "SI604",
            "pods-predate-injection",
            "warning",
            "Deployment",
            "billing",
            "invoices",
            "pods started before the namespace was enabled",
            [ref("Deployment", "billing", "invoices"), ref("Namespace", "", "billing")],
            action="restart_workloads",
            steps=["kubectl rollout restart deployment/invoices -n billing"],
        ),
    ],
    "verdicts": [
        {
            "kind": "Pod",
            "namespace": "shop",
            "name": "cart-1",
            "mesh": "istio",
            "webhook": "istio-sidecar-injector/namespace.sidecar-injector.istio.io",
            "revision": "1-22",
            "should_inject": True,
            "injected": False,
            "reasons": ["namespace label istio-injection=enabled matches", "pod carries no mesh proxy"],
        }
    ],
    "workloads": [
        workload("Deployment", "shop", "cart", "rejected", "SI404", ["SI404", "SI303"], "call"),
        workload("Deployment", "shop", "web", "rejected", "SI404", ["SI404"], "call"),
        workload("Deployment", "billing", "invoices", "injected", pods=2, with_proxy=0, helps=True),
        workload("Deployment", "billing", "ledger", "injected", pods=1, with_proxy=1),
    ],
}

STAGING = copy.deepcopy(PROD)
STAGING["cluster"] = {"name": "staging", "source": "offline", "server": None, "path": "/snapshots/staging"}
STAGING["summary"] = summary(
    {"error": 0, "warning": 1, "info": 0},
    [certificate("Secret istio-system/cacerts", "Istio plugged-in CA", "2026-12-01T00:00:00Z", -86400)],
    duration=0.25,
)
STAGING["findings"] = [PROD["findings"][1]]
STAGING["verdicts"] = []
STAGING["workloads"] = [
    workload("Deployment", "shop", "cart", "rejected", "SI303", ["SI303"], "call"),
    workload("Deployment", "billing", "invoices", "injected", helps=True),
]
