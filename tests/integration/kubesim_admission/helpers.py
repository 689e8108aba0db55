"""Helpers for the admission-layer tests: an in-memory store with the admission seam's read API,
a small Istio-like cluster, and access to the shared upstream fixtures (tests skip when absent)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kubesim.admission import AdmissionChain, ServiceResolver
from tests.kubesim.injectors.registry import InjectorRegistry

SHARED = Path(__file__).resolve().parents[4] / "shared"
FIXTURES = SHARED / "fixtures"

_RESOURCES = {
    ("v1", "Namespace"): "v1/namespaces",
    ("v1", "Pod"): "v1/pods",
    ("v1", "Service"): "v1/services",
    ("v1", "Endpoints"): "v1/endpoints",
    ("v1", "ConfigMap"): "v1/configmaps",
    ("v1", "Secret"): "v1/secrets",
    ("v1", "Event"): "v1/events",
    ("v1", "LimitRange"): "v1/limitranges",
    ("v1", "ResourceQuota"): "v1/resourcequotas",
    ("apps/v1", "Deployment"): "apps/v1/deployments",
    ("apps/v1", "ReplicaSet"): "apps/v1/replicasets",
    ("discovery.k8s.io/v1", "EndpointSlice"): "discovery.k8s.io/v1/endpointslices",
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ): "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ): "admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
}
CLUSTER_SCOPED = {
    "v1/namespaces",
    "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    "admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
}
MWC = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
VWC = "admissionregistration.k8s.io/v1/validatingwebhookconfigurations"


def resource_of(obj: dict) -> str:
    return _RESOURCES[(obj["apiVersion"], obj["kind"])]


class MemStore:
    """get/list like the core's StoreView, put like the core Store (used by the injectors' writer)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[tuple[str, str], dict]] = {}
        self.writes: list[tuple[str, dict]] = []
        self.default_service_accounts = True

    def add(self, *objs: dict) -> None:
        for obj in objs:
            self.put(resource_of(obj), copy.deepcopy(obj), record=False)

    def put(self, resource: str, obj: dict, record: bool = True) -> dict:
        meta = obj["metadata"]
        namespace = "" if resource in CLUSTER_SCOPED else meta.get("namespace", "")
        self.data.setdefault(resource, {})[(namespace, meta["name"])] = obj
        if record:
            self.writes.append((resource, obj))
        return obj

    def get(self, resource: str, namespace: str | None, name: str) -> dict | None:
        found = self.data.get(resource, {}).get(("" if resource in CLUSTER_SCOPED else namespace or "", name))
        if found is None and resource == "v1/serviceaccounts" and name == "default" and self.default_service_accounts:
            # What the ServiceAccounts controller keeps in every namespace of a real cluster.
            return {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": namespace},
            }
        return found

    def obj(self, resource: str, namespace: str | None, name: str) -> dict:
        found = self.get(resource, namespace, name)
        assert found is not None, (resource, namespace, name)
        return found

    def list(self, resource: str, namespace: str | None = None) -> list[dict]:
        return [o for (ns, _), o in sorted(self.data.get(resource, {}).items()) if namespace is None or ns == namespace]


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def namespace(name: str, labels: dict | None = None, annotations: dict | None = None) -> dict:
    meta: dict[str, Any] = {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def pod(
    name: str = "web", ns: str = "demo", labels: dict | None = None, annotations: dict | None = None, **spec: Any
) -> dict:
    meta: dict[str, Any] = {"namespace": ns, "labels": labels or {"app": "web"}}
    if name.endswith("-"):
        meta["generateName"] = name
    else:
        meta["name"] = name
    if annotations:
        meta["annotations"] = annotations
    body = {"containers": [{"name": "web", "image": "nginx", "ports": [{"name": "http", "containerPort": 80}]}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body}


def service(name: str, ns: str, port: int = 443, target: int | str = 15017, port_name: str = "https-webhook") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {"app": name}, "ports": [{"name": port_name, "port": port, "targetPort": target}]},
    }


def endpoint_slice(
    svc: str, ns: str, ip: str = "10.244.0.7", port: int = 15017, port_name: str = "https-webhook", ready: bool = True
) -> dict:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": f"{svc}-abcde", "namespace": ns, "labels": {"kubernetes.io/service-name": svc}},
        "addressType": "IPv4",
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}}],
    }


def istio_mwc(
    name: str = "istio-sidecar-injector", rev: str = "default", service_name: str = "istiod", **hook: Any
) -> dict:
    """A one-webhook Istio injector configuration (namespace.sidecar-injector.istio.io)."""
    webhook: dict[str, Any] = {
        "name": "namespace.sidecar-injector.istio.io",
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "clientConfig": {
            "service": {"name": service_name, "namespace": "istio-system", "path": "/inject", "port": 443}
        },
        "failurePolicy": "Fail",
        "reinvocationPolicy": "Never",
        "namespaceSelector": {
            "matchExpressions": [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}]
        },
        "objectSelector": {
            "matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]
        },
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
    }
    webhook.update(hook)
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name, "labels": {"istio.io/rev": rev, "app": "sidecar-injector"}},
        "webhooks": [webhook],
    }


class IstioCluster:
    """Store + chain + registry with one running Istio injector and an enabled namespace `demo`."""

    def __init__(self, **hook: Any):
        self.store = MemStore()
        self.resolver = ServiceResolver(self.store)
        self.chain = AdmissionChain(self.store, self.resolver)
        self.registry = InjectorRegistry(self.store, self.resolver, auto=False)
        self.store.add(
            namespace("istio-system"),
            namespace("demo", {"istio-injection": "enabled"}),
            service("istiod", "istio-system"),
            endpoint_slice("istiod", "istio-system"),
            istio_mwc(**hook),
        )

    async def __aenter__(self) -> IstioCluster:
        self.injector = await self.registry.start_istio("istio-system")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.registry.close()

    async def create(self, obj: dict, dry_run: bool = False) -> dict:
        return await self.chain.admit(
            operation="CREATE",
            resource=resource_of(obj),
            subresource=None,
            namespace=obj["metadata"].get("namespace"),
            obj=obj,
            old=None,
            dry_run=dry_run,
            user={"username": "system:admin", "groups": ["system:masters"]},
        )


def load_fixture(relative: str) -> list[dict]:
    path = FIXTURES / relative
    if not path.exists():
        pytest.skip(f"shared fixture {relative} not available")
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def container_names(obj: dict, field_name: str = "containers") -> list[str]:
    return [c["name"] for c in (obj.get("spec") or {}).get(field_name) or []]
