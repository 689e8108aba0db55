"""Small builders for snapshots in the model/verdict/rule tests (no I/O except load_yaml_files)."""

from __future__ import annotations

import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import KIND_TO_RESOURCE
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView


def snapshot(*objects, read=()):
    """A schema-1 snapshot holding `objects`; `read` names kinds that were read but are empty."""
    resources = {key: [] for key in read}
    for obj in objects:
        resources.setdefault(KIND_TO_RESOURCE[obj["kind"]], []).append(obj)
    return {"schema": 1, "cluster": {"name": "test", "source": "offline"}, "resources": resources, "gaps": []}


def view(*objects, read=()):
    return SnapshotView(snapshot(*objects, read=read))


def load_yaml_files(*paths):
    """Every document of known kind in the files, in order (List items flattened)."""
    out = []
    for path in paths:
        with open(path) as handle:
            for doc in yaml.safe_load_all(handle):
                if not doc:
                    continue
                items = doc.get("items") if doc.get("kind") == "List" else [doc]
                out.extend(d for d in items if d and d.get("kind") in KIND_TO_RESOURCE)
    return out


def namespace(name, labels=None, annotations=None):
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": dict(labels or {}), "annotations": dict(annotations or {})},
    }


def pod(
    name,
    ns,
    labels=None,
    annotations=None,
    containers=None,
    init=None,
    host_network=False,
    phase="Running",
    owner=None,
    statuses=None,
    init_statuses=None,
    **spec_extra,
):
    spec = {"containers": containers if containers is not None else [{"name": "app", "image": "app:1"}]}
    if init:
        spec["initContainers"] = init
    if host_network:
        spec["hostNetwork"] = True
    spec.update(spec_extra)
    metadata = {
        "name": name,
        "namespace": ns,
        "labels": dict(labels or {}),
        "annotations": dict(annotations or {}),
        "uid": "uid-pod-%s-%s" % (ns, name),
    }
    if owner:
        metadata["ownerReferences"] = [dict(owner, controller=True)]
    status = {"phase": phase}
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def workload(
    kind,
    name,
    ns,
    tmpl_labels=None,
    tmpl_annotations=None,
    labels=None,
    annotations=None,
    containers=None,
    uid=None,
    owner=None,
    **spec_extra,
):
    template = {
        "metadata": {"labels": dict(tmpl_labels or {}), "annotations": dict(tmpl_annotations or {})},
        "spec": dict({"containers": containers or [{"name": "app", "image": "app:1"}]}, **spec_extra),
    }
    api = {"Job": "batch/v1", "CronJob": "batch/v1"}.get(kind, "apps/v1")
    spec = {"jobTemplate": {"spec": {"template": template}}} if kind == "CronJob" else {"template": template}
    metadata = {
        "name": name,
        "namespace": ns,
        "labels": dict(labels or {}),
        "annotations": dict(annotations or {}),
        "uid": uid or "uid-%s-%s-%s" % (kind.lower(), ns, name),
    }
    if owner:
        metadata["ownerReferences"] = [dict(owner, controller=True)]
    return {"apiVersion": api, "kind": kind, "metadata": metadata, "spec": spec}


def configmap(name, ns, data, labels=None):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels or {})},
        "data": data,
    }


def service(name, ns, selector=None, ports=None):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": selector or {}, "ports": ports or [{"port": 443, "targetPort": 15017}]},
    }


def event(ns, kind, name, reason, message, type_="Warning"):
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "%s.1" % name, "namespace": ns},
        "involvedObject": {"kind": kind, "name": name, "namespace": ns},
        "reason": reason,
        "message": message,
        "type": type_,
    }


def shared_docs(*parts_list):
    """Objects from files under ../shared (skips the test when absent)."""
    from ansible_collections.meshops.sidecar_injection.tests.unit.shared_data import shared_path

    return load_yaml_files(*[shared_path(*parts) for parts in parts_list])


def mwc(name, webhooks, labels=None):
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name, "labels": dict(labels or {})},
        "webhooks": webhooks,
    }


POD_CREATE = [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]


def hook(name, ns_sel=None, obj_sel=None, service=("istio-system", "istiod"), rules=None, **extra):
    out = {
        "name": name,
        "rules": POD_CREATE if rules is None else rules,
        "clientConfig": {"service": {"namespace": service[0], "name": service[1], "path": "/inject"}},
    }
    if ns_sel is not None:
        out["namespaceSelector"] = ns_sel
    if obj_sel is not None:
        out["objectSelector"] = obj_sel
    out.update(extra)
    return out


def istio_injector_cm(revision="default", policy="enabled", never=None, always=None, values=None, ns="istio-system"):
    import json

    config = "policy: %s\nneverInjectSelector: %s\nalwaysInjectSelector: %s\ntemplates:\n  sidecar: |\n    x\n" % (
        policy,
        json.dumps(never or []),
        json.dumps(always or []),
    )
    name = "istio-sidecar-injector" if revision == "default" else "istio-sidecar-injector-%s" % revision
    vals = (
        values
        if values is not None
        else {
            "global": {
                "hub": "docker.io/istio",
                "tag": "1.22.3",
                "proxy": {"image": "proxyv2", "autoInject": "enabled"},
            }
        }
    )
    return configmap(name, ns, {"config": config, "values": json.dumps(vals)}, labels={"istio.io/rev": revision})


def istiod(revision="default", ns="istio-system", image="docker.io/istio/pilot:1.22.3", ready=1):
    name = "istiod" if revision == "default" else "istiod-%s" % revision
    dep = workload(
        "Deployment",
        name,
        ns,
        tmpl_labels={"app": "istiod", "istio.io/rev": revision},
        labels={"app": "istiod", "istio.io/rev": revision},
        containers=[{"name": "discovery", "image": image}],
    )
    dep["status"] = {"readyReplicas": ready, "replicas": 1}
    dep["spec"]["replicas"] = 1
    return dep
