# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A meshed cluster on kubesim for the control-plane tests: seed a control plane, break one thing for
real, let the controllers re-create pods through admission, then gather and diagnose the way the
modules do (gather.Gatherer over HTTPS, diagnosis.diagnose)."""

from __future__ import annotations

import copy
import time
from typing import Any, Dict, List, Optional

import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather
from ansible_collections.meshops.sidecar_injection.tests.unit.shared_data import shared_path

MWC = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
ISTIOD_LABELS = {"app": "istiod", "istio": "pilot", "istio.io/rev": "default", "sidecar.istio.io/inject": "false"}
INJECTOR_LABELS = {"linkerd.io/control-plane-component": "proxy-injector", "linkerd.io/control-plane-ns": "linkerd"}


def load(*parts: str) -> List[Dict[str, Any]]:
    with open(shared_path(*parts)) as handle:
        return [d for d in yaml.safe_load_all(handle) if d]


def namespace(
    name: str, labels: Optional[Dict[str, str]] = None, annotations: Optional[Dict[str, str]] = None
) -> Dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": dict(labels or {}), "annotations": dict(annotations or {})},
    }


def deployment(
    name: str,
    ns: str,
    labels: Dict[str, str],
    containers: List[Dict[str, Any]],
    replicas: int = 1,
    sa: str = "",
    annotations: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    spec: Dict[str, Any] = {"containers": containers}
    if sa:
        spec["serviceAccountName"] = sa
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels), "annotations": dict(annotations or {})}, "spec": spec},
        },
    }


def cluster_rbac(sa_ns: str, sa: str, role: str, rules: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The ServiceAccount (pods naming a missing one are refused by admission) and its ClusterRole binding."""
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": sa_ns}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": role},
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": role},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": sa_ns}],
        },
    ]


def istio_objects() -> List[Dict[str, Any]]:
    """istiod 1.24 (default revision) with the upstream chart's MWC and Service, and its ClusterRole."""
    istiod = deployment(
        "istiod",
        "istio-system",
        ISTIOD_LABELS,
        [
            {
                "name": "discovery",
                "image": "docker.io/istio/pilot:1.24.2",
                "ports": [
                    {"name": "https-webhooks", "containerPort": 15017, "protocol": "TCP"},
                    {"name": "grpc-xds", "containerPort": 15010, "protocol": "TCP"},
                ],
            }
        ],
        sa="istiod",
    )
    istiod["metadata"]["labels"] = {"app": "istiod", "istio.io/rev": "default"}
    return [
        namespace("istio-system"),
        *load("fixtures", "istio", "istiod.service.golden.yaml"),
        *load("fixtures", "istio", "istio-sidecar-injector.mwc.golden.yaml"),
        istiod,
        *cluster_rbac(
            "istio-system",
            "istiod",
            "istiod-clusterrole-istio-system",
            [
                {
                    "apiGroups": ["admissionregistration.k8s.io"],
                    "resources": ["mutatingwebhookconfigurations"],
                    "verbs": ["get", "list", "watch", "update", "patch"],
                },
                {
                    "apiGroups": [""],
                    "resources": ["pods", "nodes", "services", "namespaces", "endpoints"],
                    "verbs": ["get", "list", "watch"],
                },
            ],
        ),
    ]


def linkerd_objects(tls_case: str = "valid", failure_policy: str = "Fail") -> List[Dict[str, Any]]:
    """The Linkerd proxy-injector (Deployment, Service, RBAC) with the Secret + MWC of a synthetic
    ../shared fixture (real test certificates; the Secret's key stays in kubesim's store, the snapshot
    only ever holds the public certificate)."""
    secret, mwc = load("fixtures", "linkerd", "synthetic", "proxy-injector-webhook-tls.%s.yaml" % tls_case)
    mwc = copy.deepcopy(mwc)
    mwc["webhooks"][0]["failurePolicy"] = failure_policy
    injector = deployment(
        "linkerd-proxy-injector",
        "linkerd",
        INJECTOR_LABELS,
        [
            {
                "name": "proxy-injector",
                "image": "cr.l5d.io/linkerd/controller:edge-25.4.4",
                "ports": [
                    {"name": "proxy-injector", "containerPort": 8443},
                    {"name": "injector-admin", "containerPort": 9995},
                ],
            }
        ],
        sa="linkerd-proxy-injector",
    )
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "linkerd-proxy-injector", "namespace": "linkerd", "labels": dict(INJECTOR_LABELS)},
        "spec": {
            "selector": {"linkerd.io/control-plane-component": "proxy-injector"},
            "ports": [{"name": "proxy-injector", "port": 443, "targetPort": "proxy-injector"}],
        },
    }
    return [
        namespace("linkerd", {"config.linkerd.io/admission-webhooks": "disabled"}, {"linkerd.io/inject": "disabled"}),
        secret,
        mwc,
        service,
        injector,
        *cluster_rbac(
            "linkerd",
            "linkerd-proxy-injector",
            "linkerd-linkerd-proxy-injector",
            [
                {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
                {
                    "apiGroups": [""],
                    "resources": ["namespaces", "replicationcontrollers"],
                    "verbs": ["list", "get", "watch"],
                },
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "watch"]},
                {
                    "apiGroups": ["extensions", "apps"],
                    "resources": ["deployments", "replicasets", "daemonsets", "statefulsets"],
                    "verbs": ["list", "get", "watch"],
                },
            ],
        ),
    ]


def web(ns: str = "demo", replicas: int = 1, cpu_limit: Optional[str] = None) -> Dict[str, Any]:
    container: Dict[str, Any] = {"name": "web", "image": "nginx:1.27"}
    if cpu_limit:
        container["resources"] = {"limits": {"cpu": cpu_limit, "memory": "128Mi"}}
    return deployment("web", ns, {"app": "web"}, [container], replicas=replicas)


class Mesh(object):
    """One kubesim with test injectors attached (injectors follow the Deployments in the store)."""

    def __init__(self, sim: Any, objects: List[Dict[str, Any]]) -> None:
        from tests.kubesim.injectors.attach import attach

        self.sim = sim
        sim.seed(objects, reconcile=True)
        self.registry = attach(sim)
        self.wait(lambda: bool(self.registry.injectors))
        self.wait_ca_bundle()

    # ---- waiting ------------------------------------------------------------------------------
    def wait(self, condition: Any, timeout: float = 10.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise AssertionError("condition not reached within %ss" % timeout)

    def wait_ca_bundle(self) -> None:
        """Istio: the test istiod patches caBundles of its revision's MWCs, as istiod's patcher does."""

        def patched() -> bool:
            return all(h["clientConfig"].get("caBundle") for c in self.sim.list(MWC) for h in c["webhooks"])

        self.wait(patched)

    # ---- actions through the API ----------------------------------------------------------------
    def apply(self, *objects: Dict[str, Any]) -> None:
        self.sim.apply(*objects)

    def restart(self, name: str = "web", ns: str = "demo", stamp: str = "1") -> None:
        """`kubectl rollout restart` over HTTPS: a new ReplicaSet whose pods go through admission. Waits
        until the new ReplicaSet either has its pods or the API server refused one (FailedCreate)."""
        from kubernetes import client as k8s

        api = self.sim.kube_client()
        try:
            k8s.AppsV1Api(api).patch_namespaced_deployment(
                name,
                ns,
                {
                    "spec": {
                        "template": {
                            "metadata": {
                                "annotations": {
                                    "kubectl.kubernetes.io/restartedAt": "2026-11-27T10:00:%02dZ" % int(stamp)
                                }
                            }
                        }
                    }
                },
            )
        finally:
            api.close()

        def done() -> bool:
            fresh = [
                p
                for p in self.pods(ns)
                if (p["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/restartedAt")
            ]
            return bool(fresh) or bool(self.failed_creates(ns))

        self.wait(done)

    def quiesce(self, name: str = "web", ns: str = "demo") -> None:
        """Scale the workload to 0 so its ReplicaSets stop retrying refused creates before the server stops
        (kubesim's controller backoff overflows after ~1000 fast failures and then retries in a busy loop)."""
        from kubernetes import client as k8s

        api = self.sim.kube_client()
        try:
            k8s.AppsV1Api(api).patch_namespaced_deployment(name, ns, {"spec": {"replicas": 0}})
        finally:
            api.close()

    def patch_webhooks(self, config: str, **fields: Any) -> None:
        mwc = self.sim.get(MWC, None, config)
        hooks = copy.deepcopy(mwc["webhooks"])
        for hook in hooks:
            hook.update(fields)
        self.sim.apply(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "MutatingWebhookConfiguration",
                "metadata": {"name": config},
                "webhooks": hooks,
            }
        )

    def injector(self, mesh: str = "istio") -> Any:
        return self.registry.istio() if mesh == "istio" else self.registry.linkerd()

    def control(self, fn: Any) -> Any:
        """Run `fn` in the server's loop (the injectors live there)."""
        return self.sim.call(fn)

    # ---- what the API server did ------------------------------------------------------------------
    def pods(self, ns: str = "demo") -> List[Dict[str, Any]]:
        return [p for p in self.sim.list("v1/pods", ns) if not p["metadata"].get("deletionTimestamp")]

    def failed_creates(self, ns: str = "demo") -> List[str]:
        return [e["message"] for e in self.sim.list("v1/events", ns) if e.get("reason") == "FailedCreate"]

    # ---- gather + diagnose, as the modules do ---------------------------------------------------
    def snapshot(self) -> Dict[str, Any]:
        params = {name: None for name in kube_client.AUTH_OPTIONS}
        params["kubeconfig"] = self.sim.kubeconfig_path
        client = kube_client.client_from_params(params)
        try:
            return gather.Gatherer(client).run()
        finally:
            client.close()

    def diagnose(self, **options: Any) -> Dict[str, Any]:
        snap = self.snapshot()
        assert snap["gaps"] == []
        return diagnose(snap, Options(**options))


def findings(result: Dict[str, Any], code: str) -> List[Any]:
    return [f for f in result["findings"] if f.code == code]


def errors(result: Dict[str, Any]) -> List[str]:
    return [
        "%s %s %s/%s: %s" % (f.code, f.kind, f.namespace, f.name, f.message)
        for f in result["findings"]
        if f.severity == "error"
    ]


def proxied(pod: Dict[str, Any], container: str = "istio-proxy") -> bool:
    spec = pod["spec"]
    return any(c["name"] == container for c in (spec.get("containers") or []) + (spec.get("initContainers") or []))
