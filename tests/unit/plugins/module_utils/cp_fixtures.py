"""Minimal snapshots of Istio/Linkerd control planes for the control-plane rule tests (SI2xx-SI7xx).

`istio_cp()` / `linkerd_cp()` return a healthy control plane as a list of objects; tests change one
thing and run one rule through `run(rule, objects)`, which builds the view, model and verdicts the
way diagnosis.diagnose does.
"""

from __future__ import annotations

import copy

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import KIND_TO_RESOURCE
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import compute_verdicts
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    build_model,
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import (
    Options,
    RuleContext,
    available_capabilities,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import certgen

NOW = certgen.NOW
CREATED = "2026-11-01T00:00:00Z"


def namespace(name, labels=None, annotations=None):
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": dict(labels or {}), "annotations": dict(annotations or {})},
    }


def pod(name, ns, labels=None, annotations=None, containers=None, init=None, ready=True, created=CREATED, **spec):
    body = {"containers": containers if containers is not None else [{"name": "app", "image": "app:1"}]}
    if init:
        body["initContainers"] = init
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": dict(labels or {}),
            "annotations": dict(annotations or {}),
            "uid": "uid-%s-%s" % (ns, name),
            "creationTimestamp": created,
        },
        "spec": body,
        "status": {
            "phase": "Running" if ready else "Pending",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def deployment(
    name,
    ns,
    tmpl_labels,
    containers,
    replicas=1,
    ready=None,
    labels=None,
    annotations=None,
    tmpl_annotations=None,
    **spec,
):
    ready = replicas if ready is None else ready
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": dict(labels or tmpl_labels),
            "annotations": dict(annotations or {}),
            "uid": "uid-deploy-%s-%s" % (ns, name),
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(tmpl_labels)},
            "template": {
                "metadata": {"labels": dict(tmpl_labels), "annotations": dict(tmpl_annotations or {})},
                "spec": dict({"containers": containers}, **spec),
            },
        },
        "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready},
    }


def service(name, ns, selector, ports):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": dict(selector), "ports": ports},
    }


def endpoints(name, ns, ready_ips=(), not_ready_ips=(), port=15017):
    subset = {"ports": [{"port": port, "protocol": "TCP"}]}
    if ready_ips:
        subset["addresses"] = [{"ip": ip} for ip in ready_ips]
    if not_ready_ips:
        subset["notReadyAddresses"] = [{"ip": ip} for ip in not_ready_ips]
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": name, "namespace": ns},
        "subsets": [subset] if (ready_ips or not_ready_ips) else [],
    }


def event(ns, kind, name, message, reason="FailedCreate", count=1, last="2026-11-27T11:00:00Z"):
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "%s.%x" % (name, abs(hash(message)) % 65536), "namespace": ns},
        "involvedObject": {"kind": kind, "name": name, "namespace": ns},
        "reason": reason,
        "message": message,
        "type": "Warning",
        "count": count,
        "lastTimestamp": last,
    }


def mwc(raw, ca_bundle=None, created=CREATED):
    obj = copy.deepcopy(raw)
    obj["apiVersion"] = "admissionregistration.k8s.io/v1"
    obj["kind"] = "MutatingWebhookConfiguration"
    obj["metadata"]["creationTimestamp"] = created
    if ca_bundle is not None:
        for hook in obj["webhooks"]:
            hook["clientConfig"]["caBundle"] = ca_bundle
    return obj


ISTIOD_LABELS = {"app": "istiod", "istio": "pilot", "istio.io/rev": "default", "sidecar.istio.io/inject": "false"}
ISTIOD_CONTAINER = {
    "name": "discovery",
    "image": "docker.io/istio/pilot:1.24.2",
    "ports": [
        {"containerPort": 15017, "name": "https-webhooks", "protocol": "TCP"},
        {"containerPort": 15012, "name": "grpc-xds", "protocol": "TCP"},
    ],
}


def istio_cp(ca_bundle="", ns="istio-system"):
    """A healthy default-revision Istio control plane (Helm-style: one active istio-sidecar-injector MWC)."""
    return [
        namespace(ns),
        deployment("istiod", ns, ISTIOD_LABELS, [copy.deepcopy(ISTIOD_CONTAINER)], serviceAccountName="istiod"),
        pod("istiod-7d4b9c-abcde", ns, ISTIOD_LABELS, containers=[copy.deepcopy(ISTIOD_CONTAINER)]),
        service(
            "istiod",
            ns,
            {"app": "istiod", "istio": "pilot"},
            [
                {"name": "https-webhook", "port": 443, "targetPort": 15017, "protocol": "TCP"},
                {"name": "grpc-xds", "port": 15012, "targetPort": 15012, "protocol": "TCP"},
            ],
        ),
        endpoints("istiod", ns, ["10.0.3.7"]),
        mwc(standard_istio_webhooks("default", ns), ca_bundle=ca_bundle),
    ]


INJECTOR_LABELS = {"linkerd.io/control-plane-component": "proxy-injector", "linkerd.io/control-plane-ns": "linkerd"}
INJECTOR_CONTAINER = {
    "name": "proxy-injector",
    "image": "cr.l5d.io/linkerd/controller:stable-2.14.10",
    "ports": [{"containerPort": 8443, "name": "proxy-injector"}, {"containerPort": 9995, "name": "injector-admin"}],
}
LINKERD_VALUES = (
    "linkerdVersion: stable-2.14.10\ncniEnabled: false\nproxy:\n  resources:\n    cpu:\n      limit: ''\n"
    "      request: ''\n    memory:\n      limit: ''\n      request: ''\n"
)


def linkerd_cp(ca_bundle="", failure_policy="Ignore", ns="linkerd"):
    hooks = mwc(standard_linkerd_webhooks(ns), ca_bundle=ca_bundle)
    hooks["webhooks"][0]["failurePolicy"] = failure_policy
    return [
        namespace(
            ns,
            {"config.linkerd.io/admission-webhooks": "disabled", "linkerd.io/is-control-plane": "true"},
            {"linkerd.io/inject": "disabled"},
        ),
        deployment(
            "linkerd-proxy-injector",
            ns,
            INJECTOR_LABELS,
            [copy.deepcopy(INJECTOR_CONTAINER)],
            serviceAccountName="linkerd-proxy-injector",
        ),
        pod("linkerd-proxy-injector-5f6d-xyz12", ns, INJECTOR_LABELS, containers=[copy.deepcopy(INJECTOR_CONTAINER)]),
        service(
            "linkerd-proxy-injector",
            ns,
            {"linkerd.io/control-plane-component": "proxy-injector"},
            [{"name": "proxy-injector", "port": 443, "targetPort": "proxy-injector", "protocol": "TCP"}],
        ),
        endpoints("linkerd-proxy-injector", ns, ["10.0.4.9"], port=8443),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "linkerd-config", "namespace": ns},
            "data": {"values": LINKERD_VALUES},
        },
        hooks,
    ]


def snapshot(objects, read=(), version="v1.30.4", source="live"):
    resources = {key: [] for key in read}
    for obj in objects:
        resources.setdefault(KIND_TO_RESOURCE[obj["kind"]], []).append(obj)
    return {
        "schema": 1,
        "cluster": {"name": "test", "source": source},
        "version": {"gitVersion": version} if version else None,
        "resources": resources,
        "gaps": [],
    }


ALL_READ = (
    "namespaces",
    "pods",
    "deployments",
    "services",
    "endpoints",
    "events",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "configmaps",
    "secrets",
    "networkpolicies",
    "resourcequotas",
    "limitranges",
    "nodes",
    "roles",
    "rolebindings",
    "clusterroles",
    "clusterrolebindings",
    "daemonsets",
    "replicasets",
    "statefulsets",
    "jobs",
    "cronjobs",
)


def context(objects, options=None, version="v1.30.4", read=ALL_READ, source="live"):
    view = SnapshotView(snapshot(objects, read=read, version=version, source=source))
    model = build_model(view)
    verdicts = compute_verdicts(view, model)
    return RuleContext(
        view=view,
        model=model,
        verdicts=verdicts,
        options=options or Options(now=NOW),
        capabilities=available_capabilities(view),
    )


def run(rule_obj, objects, **kwargs):
    """Findings of one rule. A rule the engine would skip (inputs not read) fails the test, so a negative
    assertion can never pass just because the rule did not run."""
    ctx = context(objects, **kwargs)
    missing = rule_obj.missing(ctx.view, ctx.capabilities)
    if missing:
        raise AssertionError("rule %s would be skipped: %s not read" % (rule_obj.name, missing))
    out = list(rule_obj.check(ctx))
    for finding in out:
        assert finding.code in rule_obj.codes
    return out


def find(objects, kind, name, ns=None):
    for obj in objects:
        meta = obj["metadata"]
        if obj["kind"] == kind and meta["name"] == name and (ns is None or meta.get("namespace") == ns):
            return obj
    raise KeyError((kind, ns, name))


def hook(objects, config, index=0):
    return find(objects, "MutatingWebhookConfiguration", config)["webhooks"][index]
