"""Issue 3 "Done when", in process: the core cluster (store, API operations, controllers) with the real
admission chain and a test istiod, seeded with the upstream Istio webhook configuration and Service.

Label a namespace, restart a Deployment: new pods carry istio-proxy. Serve a certificate from another
CA: the next rollout fails with the x509 message as a FailedCreate event. Same with a timeout. With
failurePolicy Ignore, pods are created without a sidecar and no FailedCreate event is recorded.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.kubesim.injectors.cluster import StoreWriter
from tests.kubesim.injectors.registry import InjectorRegistry

from .helpers import load_fixture, run

core = pytest.importorskip("tests.kubesim.core")
resources = pytest.importorskip("tests.kubesim.resources")
rbac = pytest.importorskip("tests.kubesim.rbac")

MERGE = "application/merge-patch+json"
X509 = (
    'Error creating: Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": '
    'failed to call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout={t}s": {err}'
)


def _istiod() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "istiod",
            "namespace": "istio-system",
            "labels": {"app": "istiod", "istio.io/rev": "default"},
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "istiod", "istio": "pilot"}},
            "template": {
                "metadata": {"labels": {"app": "istiod", "istio": "pilot", "sidecar.istio.io/inject": "false"}},
                "spec": {
                    "containers": [
                        {
                            "name": "discovery",
                            "image": "istio/pilot:1.24.2",
                            "ports": [{"name": "https-webhooks", "containerPort": 15017}],
                        }
                    ]
                },
            },
        },
    }


def _app() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }


class Scenario:
    def __init__(self) -> None:
        golden_mwc = load_fixture("istio/istio-sidecar-injector.mwc.golden.yaml")
        golden_svc = load_fixture("istio/istiod.service.golden.yaml")
        self.objects = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}},
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}},
            *golden_svc,
            *golden_mwc,
            _istiod(),
            _app(),
        ]
        self.cluster = core.Cluster(core.Config(admission="chain"))
        self.api = self.cluster.api
        self.user = rbac.ADMIN

    async def __aenter__(self) -> Scenario:
        await self.cluster.start(0)
        chain = self.cluster.admission
        self.registry = InjectorRegistry(self.cluster.view, chain.resolver, writer=StoreWriter(self.cluster.store))
        self.cluster.seed(copy.deepcopy(self.objects), reconcile=True)
        await self.cluster.settle()
        await self.registry.sync()  # the istiod Deployment exists: start the test istiod, patch the caBundle
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.registry.close()
        await self.cluster.stop()

    async def patch(self, resource: str, ns: str | None, name: str, doc: dict) -> None:
        await self.api.patch(resources.lookup(resource), ns, name, doc, MERGE, user=self.user)

    async def restart(self, stamp: str) -> None:
        await self.patch(
            "apps/v1/deployments",
            "demo",
            "web",
            {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}},
        )
        await self.cluster.settle()

    def pods(self) -> list[dict]:
        return self.cluster.view.list("v1/pods", "demo")

    def restarted(self, stamp: str) -> list[dict]:
        return [
            p
            for p in self.pods()
            if (p["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/restartedAt") == stamp
            and not p["metadata"].get("deletionTimestamp")
        ]

    def failed_creates(self) -> list[str]:
        return [e["message"] for e in self.cluster.view.list("v1/events", "demo") if e.get("reason") == "FailedCreate"]

    async def set_hook(self, **fields: Any) -> None:
        config = self.cluster.view.get(
            "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", None, "istio-sidecar-injector"
        )
        webhooks = copy.deepcopy(config["webhooks"])
        for hook in webhooks:
            hook.update(fields)
        await self.patch(
            "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
            None,
            "istio-sidecar-injector",
            {"webhooks": webhooks},
        )


def _proxied(pod: dict) -> bool:
    return any(c["name"] == "istio-proxy" for c in pod["spec"].get("containers") or [])


@pytest.mark.slow
def test_rollouts_follow_the_injector() -> None:
    async def go() -> None:
        async with Scenario() as s:
            assert s.pods() and not any(_proxied(p) for p in s.pods())
            await s.patch("v1/namespaces", None, "demo", {"metadata": {"labels": {"istio-injection": "enabled"}}})
            await s.restart("1")
            restarted = s.restarted("1")
            assert len(restarted) == 2 and all(_proxied(p) for p in restarted)
            assert restarted[0]["metadata"]["annotations"]["sidecar.istio.io/status"].startswith(
                '{"initContainers":["istio-init"],"containers":["istio-proxy"]'
            )
            assert s.failed_creates() == []

            s.registry.istio().serve_foreign_ca()
            await s.restart("2")
            failures = s.failed_creates()
            assert failures, "the rollout should fail"
            assert failures[0] == X509.format(
                t=10, err="tls: failed to verify certificate: x509: certificate signed by unknown authority"
            )
            assert s.restarted("2") == []

            s.registry.istio().serve_valid()
            s.registry.istio().server.delay = 2
            await s.set_hook(timeoutSeconds=1)
            await s.restart("3")
            assert X509.format(t=1, err="context deadline exceeded") in s.failed_creates()

    run(go())


@pytest.mark.slow
def test_failure_policy_ignore_creates_pods_without_sidecar() -> None:
    async def go() -> None:
        async with Scenario() as s:
            await s.set_hook(failurePolicy="Ignore")
            await s.patch("v1/namespaces", None, "demo", {"metadata": {"labels": {"istio-injection": "enabled"}}})
            await s.registry.istio().stop()
            await s.restart("1")
            restarted = s.restarted("1")
            assert len(restarted) == 2 and not any(_proxied(p) for p in restarted)
            assert s.failed_creates() == []
            assert any("failing open namespace.sidecar-injector.istio.io" in line for line in s.cluster.admission.log)

    run(go())
