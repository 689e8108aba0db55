"""The test injectors: Istio's policy and output against the upstream goldens, the caBundle patcher, the
Linkerd injector with the synthetic TLS Secrets, and the registry."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
import yaml

from tests.kubesim.admission import AdmissionChain, ServiceResolver
from tests.kubesim.errors import StatusError
from tests.kubesim.injectors.istio import IstioInjector, inject_required
from tests.kubesim.injectors.linkerd import skip_reasons
from tests.kubesim.injectors.registry import InjectorRegistry

from .helpers import MWC, MemStore, container_names, endpoint_slice, load_fixture, namespace, pod, run, service

POLICY_ENABLED: dict = {"policy": "enabled"}


@pytest.mark.parametrize(
    ("ns", "labels", "annotations", "spec", "config", "expected"),
    [
        ("demo", {}, {}, {}, POLICY_ENABLED, True),
        ("demo", {}, {}, {"hostNetwork": True}, POLICY_ENABLED, False),
        ("kube-system", {}, {}, {}, POLICY_ENABLED, False),
        ("local-path-storage", {"sidecar.istio.io/inject": "true"}, {}, {}, POLICY_ENABLED, False),
        ("demo", {"sidecar.istio.io/inject": "false"}, {}, {}, POLICY_ENABLED, False),
        ("demo", {}, {"sidecar.istio.io/inject": "false"}, {}, POLICY_ENABLED, False),
        ("demo", {"sidecar.istio.io/inject": "true"}, {"sidecar.istio.io/inject": "false"}, {}, POLICY_ENABLED, True),
        ("demo", {"sidecar.istio.io/inject": "False"}, {}, {}, POLICY_ENABLED, True),  # invalid -> default policy
        ("demo", {}, {}, {}, {"policy": "disabled"}, False),
        ("demo", {"sidecar.istio.io/inject": "true"}, {}, {}, {"policy": "disabled"}, True),
        ("demo", {"sidecar.istio.io/inject": "true"}, {}, {}, {"policy": "off"}, False),
        (
            "demo",
            {"app": "db"},
            {},
            {},
            {"policy": "enabled", "neverInjectSelector": [{"matchLabels": {"app": "db"}}]},
            False,
        ),
        (
            "demo",
            {"app": "db"},
            {},
            {},
            {"policy": "disabled", "alwaysInjectSelector": [{"matchLabels": {"app": "db"}}]},
            True,
        ),
        ("demo", {"app": "db"}, {}, {}, {"policy": "enabled", "neverInjectSelector": [{}]}, True),  # empty ignored
    ],
)
def test_istio_inject_required(
    ns: str, labels: dict, annotations: dict, spec: dict, config: dict, expected: bool
) -> None:
    obj = {"metadata": {"labels": labels, "annotations": annotations}, "spec": spec}
    assert inject_required(obj, ns, config) is expected


def _golden_template(name: str) -> dict:
    return load_fixture(f"istio/injected-pods/{name}")[0]["spec"]["template"]


def _as_pod(template: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": copy.deepcopy(template["metadata"]),
        "spec": copy.deepcopy(template["spec"]),
    }


@pytest.mark.parametrize(
    ("golden", "options"),
    [
        ("hello-old-version.yaml.injected", {"native_sidecars": False}),
        ("hello.yaml.injected", {"native_sidecars": True}),
        ("hello.yaml.cni.injected", {"native_sidecars": True, "cni": True}),
    ],
)
def test_istio_output_matches_the_upstream_goldens(golden: str, options: dict) -> None:
    original = _as_pod(_golden_template("../injected-pods/hello.yaml"))
    expected = _golden_template(golden)
    injector = IstioInjector(MemStore(), image="registry.istio.io/testing/proxyv2:latest", **options)
    owner = {"ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "hello-5d7b8c"}]}
    original["metadata"].update(owner)
    original["metadata"]["labels"]["pod-template-hash"] = "5d7b8c"
    out = injector.inject(original, "default")
    for field in ("initContainers", "containers"):
        assert container_names(out, field) == container_names(expected, field)
        for got, want in zip(out["spec"][field], expected["spec"][field]):
            if not got["name"].startswith("istio-"):
                continue  # app containers are untouched (the golden's `resources: {}` is Go serialization)
            for key in ("image", "args", "securityContext", "resources", "restartPolicy", "volumeMounts"):
                assert got.get(key) == want.get(key), (field, got["name"], key)
    assert [v["name"] for v in out["spec"]["volumes"]] == [v["name"] for v in expected["spec"]["volumes"]]
    want_annotations = expected["metadata"]["annotations"]
    for key in (
        "sidecar.istio.io/status",
        "istio.io/rev",
        "kubectl.kubernetes.io/default-container",
        "prometheus.io/port",
    ):
        assert out["metadata"]["annotations"][key] == want_annotations[key]
    for key in ("security.istio.io/tlsMode", "service.istio.io/canonical-name", "service.istio.io/canonical-revision"):
        assert out["metadata"]["labels"][key] == expected["metadata"]["labels"][key]
    env = {
        e["name"]: e.get("value")
        for e in next(
            c for c in out["spec"]["containers"] + out["spec"]["initContainers"] if c["name"] == "istio-proxy"
        )["env"]
    }
    assert env["ISTIO_META_WORKLOAD_NAME"] == "hello"
    assert env["ISTIO_META_OWNER"] == "kubernetes://apis/apps/v1/namespaces/default/deployments/hello"


def test_istio_settings_from_the_injector_configmap() -> None:
    store = MemStore()
    store.add(*load_fixture("istio/istio-sidecar-injector.configmap.golden.yaml"))
    injector = IstioInjector(store)

    async def settings() -> tuple[dict, dict]:
        return await injector._settings()

    config, values = run(settings())
    assert config["policy"] == "enabled"
    out = injector.inject(pod(), "demo", values)
    proxy = out["spec"]["containers"][-1]
    assert proxy["image"] == "registry.istio.io/release/proxyv2:1.1.4"
    # the values say 2000m / 1024Mi; the pod carries the canonical forms
    assert proxy["resources"] == {
        "limits": {"cpu": "2", "memory": "1Gi"},
        "requests": {"cpu": "100m", "memory": "128Mi"},
    }
    annotated = pod(annotations={"sidecar.istio.io/proxyCPU": "50m", "sidecar.istio.io/proxyMemoryLimit": "256Mi"})
    assert injector.inject(annotated, "demo", values)["spec"]["containers"][-1]["resources"] == {
        "limits": {"memory": "256Mi"},
        "requests": {"cpu": "50m"},
    }


def test_ca_patcher_only_touches_its_revision() -> None:
    store = MemStore()
    golden = load_fixture("istio/istio-sidecar-injector.mwc.golden.yaml")[0]
    tag = load_fixture("istio/istio-revision-tag-default.mwc.yaml")[0]
    store.add(golden, tag)
    registry = InjectorRegistry(store, ServiceResolver(store), auto=False)

    async def go() -> IstioInjector:
        injector = await registry.start_istio("istio-system")
        await registry.close()
        return injector

    injector = run(go())
    patched = store.obj(MWC, None, "istio-sidecar-injector")
    assert {w["clientConfig"].get("caBundle") for w in patched["webhooks"]} == {injector.ca.cert_b64}
    untouched = store.obj(MWC, None, "istio-revision-tag-default")  # istio.io/rev: test-dev2, no injector for it
    assert all("caBundle" not in w["clientConfig"] for w in untouched["webhooks"])
    assert [r for r, _ in store.writes] == [MWC]


def test_registry_follows_deployments_in_the_store() -> None:
    store = MemStore()
    resolver = ServiceResolver(store)
    registry = InjectorRegistry(store, resolver)
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "istiod-canary",
            "namespace": "istio-system",
            "labels": {"app": "istiod", "istio.io/rev": "canary"},
        },
    }

    async def go() -> tuple[list[str], list[str], list[str]]:
        await registry.sync()
        before = list(registry.injectors)
        store.add(deploy)
        await registry.sync()
        during = list(resolver.table)
        del store.data["apps/v1/deployments"]
        await registry.sync()
        after = list(registry.injectors)
        await registry.close()
        return before, during, after

    before, during, after = run(go())
    assert before == [] and during == ["istiod-canary.istio-system.svc:443"] and after == []


def test_start_spec() -> None:
    store = MemStore()
    registry = InjectorRegistry(store, ServiceResolver(store), auto=False)

    async def go() -> list[str]:
        await registry.start_spec("istio=istio-system/istiod")
        await registry.start_spec("linkerd=linkerd")
        names = sorted(registry.injectors)
        await registry.close()
        return names

    assert run(go()) == ["istiod.istio-system.svc:443", "linkerd-proxy-injector.linkerd.svc:443"]


@pytest.mark.parametrize(
    ("pod_annotation", "ns_annotation", "spec", "expected"),
    [
        ("enabled", "", {}, []),
        ("ingress", "", {}, []),
        ("", "enabled", {}, []),
        ("disabled", "enabled", {}, ["injection_disable_annotation_present"]),
        ("", "", {}, ["injection_enable_annotation_absent"]),
        ("", "disabled", {}, ["injection_enable_annotation_absent"]),
        ("enabled", "true", {}, ["invalid_inject_annotation_at_ns"]),
        ("Enabled", "enabled", {}, ["invalid_inject_annotation_at_workload"]),
        ("enabled", "", {"hostNetwork": True}, ["host_network_enabled"]),
        ("enabled", "", {"initContainers": [{"name": "istio-init"}]}, ["sidecar_already_exists"]),
    ],
)
def test_linkerd_skip_reasons(pod_annotation: str, ns_annotation: str, spec: dict, expected: list[str]) -> None:
    obj = {
        "metadata": {"annotations": {"linkerd.io/inject": pod_annotation} if pod_annotation else {}},
        "spec": dict({"containers": [{"name": "web"}]}, **spec),
    }
    assert skip_reasons(obj, {"linkerd.io/inject": ns_annotation} if ns_annotation else {}) == expected


class LinkerdCluster:
    def __init__(self, case: str):
        docs = load_fixture(f"linkerd/synthetic/proxy-injector-webhook-tls.{case}.yaml")
        self.store = MemStore()
        self.store.add(
            namespace("linkerd", {"config.linkerd.io/admission-webhooks": "disabled"}),
            namespace("apps", annotations={"linkerd.io/inject": "enabled"}),
            service("linkerd-proxy-injector", "linkerd", target="proxy-injector", port_name="proxy-injector"),
            endpoint_slice("linkerd-proxy-injector", "linkerd", ip="10.244.1.4", port=8443, port_name="proxy-injector"),
            *docs,
        )
        hook = self.store.obj(MWC, None, "linkerd-proxy-injector-webhook-config")["webhooks"][0]
        hook["failurePolicy"] = "Fail"
        self.resolver = ServiceResolver(self.store)
        self.chain = AdmissionChain(self.store, self.resolver)
        self.registry = InjectorRegistry(self.store, self.resolver, auto=False)

    def create(self, obj: dict, before: Any = None) -> Any:
        async def go() -> Any:
            injector = await self.registry.start_linkerd("linkerd")
            try:
                if before is not None:
                    before(injector)
                return await self.chain.admit(
                    operation="CREATE",
                    resource="v1/pods",
                    subresource=None,
                    namespace="apps",
                    obj=obj,
                    old=None,
                    dry_run=False,
                    user={},
                )
            except StatusError as exc:
                return exc
            finally:
                await self.registry.close()

        return run(go())


LINKERD_PREFIX = (
    'Internal error occurred: failed calling webhook "linkerd-proxy-injector.linkerd.io": failed to call '
    'webhook: Post "https://linkerd-proxy-injector.linkerd.svc:443/?timeout=10s": '
    "tls: failed to verify certificate: "
)


def test_linkerd_injects_with_the_secret_certificate() -> None:
    cluster = LinkerdCluster("valid")
    out = cluster.create(pod(ns="apps"))
    assert container_names(out) == ["linkerd-proxy", "web"]
    assert container_names(out, "initContainers") == ["linkerd-init"]
    assert out["metadata"]["annotations"]["linkerd.io/proxy-version"] == "edge-25.4.4"
    assert out["metadata"]["labels"]["linkerd.io/control-plane-ns"] == "linkerd"
    native = cluster.create(pod(ns="apps", annotations={"config.alpha.linkerd.io/proxy-enable-native-sidecar": "true"}))
    assert container_names(native, "initContainers") == ["linkerd-init", "linkerd-proxy"]
    assert native["spec"]["initContainers"][1]["restartPolicy"] == "Always"
    skipped = cluster.create(pod(ns="apps", annotations={"linkerd.io/inject": "disabled"}))
    assert container_names(skipped) == ["web"]


def test_linkerd_certificate_failures() -> None:
    err = LinkerdCluster("expired").create(pod(ns="apps"))
    assert err.message.startswith(LINKERD_PREFIX + "x509: certificate has expired or is not yet valid: current time ")
    err = LinkerdCluster("wrong-san").create(pod(ns="apps"))
    assert err.message.startswith(LINKERD_PREFIX + "x509: certificate is valid for linkerd-proxy-injector.")
    assert err.message.endswith(", not linkerd-proxy-injector.linkerd.svc")
    err = LinkerdCluster("cabundle-mismatch").create(pod(ns="apps"))
    assert err.message == LINKERD_PREFIX + (
        'x509: certificate signed by unknown authority (possibly because of "x509: invalid signature: parent '
        'certificate cannot sign this kind of certificate" while trying to verify candidate authority certificate '
        '"linkerd-proxy-injector.linkerd.svc")'
    )


def test_linkerd_reloads_a_rotated_secret() -> None:
    cluster = LinkerdCluster("valid")
    other = load_fixture("linkerd/synthetic/proxy-injector-webhook-tls.cabundle-mismatch.yaml")
    rotated = next(d for d in other if d["kind"] == "Secret")

    def rotate(_: Any) -> None:
        cluster.store.add(rotated)  # the MWC still trusts the old certificate

    err = cluster.create(pod(ns="apps"), before=rotate)
    assert err.message == LINKERD_PREFIX + (
        'x509: certificate signed by unknown authority (possibly because of "x509: invalid signature: parent '
        'certificate cannot sign this kind of certificate" while trying to verify candidate authority certificate '
        '"linkerd-proxy-injector.linkerd.svc")'
    )


def test_linkerd_events_on_the_owner() -> None:
    cluster = LinkerdCluster("valid")
    cluster.store.add(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "apps", "uid": "d1"}},
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": "web-5d7b8c",
                "namespace": "apps",
                "uid": "r1",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d1"}],
            },
        },
    )
    obj = pod("web-5d7b8c-", ns="apps", annotations={"linkerd.io/inject": "disabled"})
    obj["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d7b8c"}]
    cluster.create(obj)
    events = cluster.store.list("v1/events", "apps")
    assert [(e["reason"], e["message"], e["involvedObject"]["kind"], e["involvedObject"]["name"]) for e in events] == [
        (
            "InjectionSkipped",
            'Linkerd sidecar proxy injection skipped: pod has the annotation "linkerd.io/inject:disabled"',
            "Deployment",
            "web",
        )
    ]


def test_linkerd_secret_shape_is_what_the_injector_reads() -> None:
    secret = next(
        d for d in load_fixture("linkerd/synthetic/proxy-injector-webhook-tls.valid.yaml") if d["kind"] == "Secret"
    )
    assert base64.b64decode(secret["data"]["tls.crt"]).startswith(b"-----BEGIN CERTIFICATE-----")
    assert yaml.safe_load(json.dumps(secret))["metadata"]["name"] == "linkerd-proxy-injector-k8s-tls"
