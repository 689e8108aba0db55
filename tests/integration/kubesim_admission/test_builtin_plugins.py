"""LimitRanger, ResourceQuota and Pod Security admission, alone and around an injected sidecar."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kubesim.admission import AdmissionChain
from tests.kubesim.admission.quantity import Quantity
from tests.kubesim.errors import StatusError

from .helpers import IstioCluster, MemStore, container_names, namespace, pod, run


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("2000m", "2"),
        ("1024Mi", "1Gi"),
        ("100m", "100m"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("0.5", "500m"),
        ("1.5Gi", "1536Mi"),
        ("128974848", "128974848"),
        ("1e3", "1e3"),
        ("0", "0"),
        ("0.1m", "100u"),
    ],
)
def test_quantity_canonical_form(raw: str, shown: str) -> None:
    assert str(Quantity.parse(raw)) == shown


def test_quantity_addition_keeps_the_first_format() -> None:
    assert str(Quantity.parse("100m") + Quantity.parse("2")) == "2100m"
    assert str(Quantity.parse("128Mi") + Quantity.parse("1Gi")) == "1152Mi"
    assert str(Quantity.zero() + Quantity.parse("1Gi")) == "1Gi"


def limit_range(name: str = "limits", **item: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"limits": [dict(type="Container", **item)]},
    }


def quota(name: str, hard: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"hard": hard},
    }


def _create(chain: AdmissionChain, obj: dict, dry_run: bool = False) -> Any:
    async def go() -> Any:
        try:
            return await chain.admit_with_warnings(
                operation="CREATE",
                resource="v1/pods",
                subresource=None,
                namespace="demo",
                obj=obj,
                old=None,
                dry_run=dry_run,
                user={"username": "u"},
            )
        except StatusError as exc:
            return exc

    return run(go())


def _plain_chain(*objs: dict, ns_labels: dict | None = None) -> AdmissionChain:
    store = MemStore()
    store.add(namespace("demo", ns_labels), *objs)
    return AdmissionChain(store)


def test_limit_ranger_defaults_containers_and_init_containers() -> None:
    chain = _plain_chain(limit_range(default={"cpu": "500m"}, defaultRequest={"cpu": "100m", "memory": "64Mi"}))
    obj = pod(initContainers=[{"name": "setup", "image": "busybox", "resources": {"requests": {"cpu": "50m"}}}])
    result = _create(chain, obj).obj
    assert result["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "500m"},
        "requests": {"cpu": "100m", "memory": "64Mi"},
    }
    assert result["spec"]["initContainers"][0]["resources"] == {
        "limits": {"cpu": "500m"},
        "requests": {"cpu": "50m", "memory": "64Mi"},
    }
    assert result["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container web; cpu limit for container web; "
        "memory request for init container setup; cpu limit for init container setup"
    )


def test_limit_range_max_alone_defaults_limit_and_request() -> None:
    chain = _plain_chain(limit_range(max={"cpu": "1"}))
    assert _create(chain, pod()).obj["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "1"},
        "requests": {"cpu": "1"},
    }


def test_limit_range_max_rejects_the_injected_sidecar() -> None:
    cluster = IstioCluster()
    cluster.store.add(limit_range(max={"cpu": "1"}))

    async def go() -> StatusError:
        async with cluster:
            try:
                await cluster.create(pod())
            except StatusError as exc:
                return exc
        raise AssertionError("admitted")

    err = run(go())
    assert (err.code, err.reason) == (403, "Forbidden")
    # istio-proxy and istio-init were added after LimitRanger defaulting, so they keep limits.cpu 2; their two
    # identical errors collapse into one (utilerrors aggregate de-duplicates)
    assert err.message == 'pods "web" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
    assert err.details == {"name": "web", "kind": "pods"}


def test_limit_range_messages() -> None:
    chain = _plain_chain(limit_range(min={"memory": "64Mi"}, max={"cpu": "1"}, maxLimitRequestRatio={"cpu": "2"}))
    obj = pod()
    obj["spec"]["containers"][0]["resources"] = {
        "limits": {"cpu": "1500m"},
        "requests": {"cpu": "500m", "memory": "32Mi"},
    }
    err = _create(chain, obj)
    assert err.message == (
        'pods "web" is forbidden: [minimum memory usage per Container is 64Mi, but request is 32Mi, '
        "maximum cpu usage per Container is 1, but limit is 1500m, "
        "cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000]"
    )


def test_generate_name_pods_are_named_before_validation() -> None:
    chain = _plain_chain(limit_range(max={"cpu": "1"}, default={"cpu": "2"}))
    err = _create(chain, pod("web-7d9f8b-"))
    name = err.details["name"]
    assert name.startswith("web-7d9f8b-") and len(name) == len("web-7d9f8b-") + 5
    assert err.message == f'pods "{name}" is forbidden: maximum cpu usage per Container is 1, but limit is 2'


def test_quota_exceeded_counts_the_sidecar_and_running_pods() -> None:
    cluster = IstioCluster()
    running = pod("old")
    running["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "500m", "memory": "256Mi"}}
    running["status"] = {"phase": "Running"}
    done = pod("finished")
    done["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "4"}}
    done["status"] = {"phase": "Succeeded"}
    cluster.store.add(quota("compute", {"limits.cpu": "2", "limits.memory": "2Gi", "pods": "10"}), running, done)
    app = pod()
    app["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "100m", "memory": "64Mi"}}

    async def go() -> StatusError:
        async with cluster:
            try:
                await cluster.create(app)
            except StatusError as exc:
                return exc
        raise AssertionError("admitted")

    err = run(go())
    assert err.message == (
        'pods "web" is forbidden: exceeded quota: compute, requested: limits.cpu=2100m, '
        "used: limits.cpu=500m, limited: limits.cpu=2"
    )


def test_quota_requires_limits_on_every_container() -> None:
    cluster = IstioCluster()
    cluster.store.add(quota("compute", {"limits.cpu": "10", "requests.memory": "10Gi"}))

    async def go() -> StatusError:
        async with cluster:
            try:
                await cluster.create(pod())
            except StatusError as exc:
                return exc
        raise AssertionError("admitted")

    assert run(go()).message == (
        'pods "web" is forbidden: failed quota: compute: must specify limits.cpu for: web; requests.memory for: web'
    )


def test_quota_allows_within_limits_and_dry_run() -> None:
    chain = _plain_chain(quota("count", {"pods": "1"}))
    assert _create(chain, pod(), dry_run=True).obj is not None
    chain.store.add(dict(pod("other"), status={"phase": "Running"}))
    assert _create(chain, pod()).message == (
        'pods "web" is forbidden: exceeded quota: count, requested: pods=1, used: pods=1, limited: pods=1'
    )


def test_pod_security_baseline_rejects_istio_init() -> None:
    cluster = IstioCluster()
    cluster.store.add(
        namespace("demo", {"istio-injection": "enabled", "pod-security.kubernetes.io/enforce": "baseline"})
    )

    async def go() -> StatusError:
        async with cluster:
            try:
                await cluster.create(pod())
            except StatusError as exc:
                return exc
        raise AssertionError("admitted")

    err = run(go())
    assert (err.code, err.reason) == (403, "Forbidden")
    assert err.message == (
        'pods "web" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities '
        '(container "istio-init" must not include "NET_ADMIN", "NET_RAW" in '
        "securityContext.capabilities.add)"
    )


def test_pod_security_restricted_lists_every_failed_check() -> None:
    chain = _plain_chain(
        ns_labels={
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "v1.31",
        }
    )
    obj = pod(
        hostNetwork=True,
        initContainers=[
            {
                "name": "istio-init",
                "image": "proxyv2",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
                    "runAsNonRoot": False,
                    "runAsUser": 0,
                },
            }
        ],
    )
    err = _create(chain, obj)
    assert err.message == (
        'pods "web" is forbidden: violates PodSecurity "restricted:v1.31": host namespaces (hostNetwork=true), '
        'allowPrivilegeEscalation != false (container "web" must set securityContext.allowPrivilegeEscalation=false), '
        'unrestricted capabilities (container "web" must set securityContext.capabilities.drop=["ALL"]; '
        'container "istio-init" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add), '
        'runAsNonRoot != true (container "istio-init" must not set securityContext.runAsNonRoot=false), '
        'runAsUser=0 (container "istio-init" must not set runAsUser=0), '
        'seccompProfile (pod or containers "istio-init", "web" must set securityContext.seccompProfile.type to '
        '"RuntimeDefault" or "Localhost")'
    )


def test_pod_security_privileged_and_warn_mode() -> None:
    chain = _plain_chain(ns_labels={"pod-security.kubernetes.io/warn": "baseline"})
    obj = pod()
    obj["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    result = _create(chain, obj)
    assert result.warnings == [
        'would violate PodSecurity "baseline:latest": privileged (container "web" must not '
        "set securityContext.privileged=true)"
    ]
    chain = _plain_chain(ns_labels={"pod-security.kubernetes.io/enforce": "strict"})  # invalid level = restricted
    assert 'violates PodSecurity "restricted:latest"' in _create(chain, pod()).message


def test_native_sidecar_counts_in_pod_requests() -> None:
    chain = _plain_chain(quota("cpu", {"requests.cpu": "1"}))
    obj = pod(
        initContainers=[
            {"name": "proxy", "image": "p", "restartPolicy": "Always", "resources": {"requests": {"cpu": "600m"}}},
            {"name": "setup", "image": "s", "resources": {"requests": {"cpu": "900m"}}},
        ]
    )
    obj["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "500m"}}
    assert _create(chain, obj).message == (
        'pods "web" is forbidden: exceeded quota: cpu, requested: '
        "requests.cpu=1500m, used: requests.cpu=0, limited: requests.cpu=1"
    )
    assert container_names(obj) == ["web"]
