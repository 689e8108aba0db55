"""Webhook calls over real HTTPS to the test Istio injector: success and every failure shape."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from tests.kubesim.errors import StatusError
from tests.kubesim.injectors import certs
from tests.kubesim.injectors.server import AdmissionServer, response_for

from .helpers import MWC, VWC, IstioCluster, container_names, endpoint_slice, pod, run, service

URL = "https://istiod.istio-system.svc:443/inject?timeout=10s"
PREFIX = (
    f'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": '
    f'failed to call webhook: Post "{URL}": '
)


def _fails(cluster: IstioCluster, obj: dict | None = None, **kw: Any) -> StatusError:
    async def attempt() -> StatusError:
        try:
            await cluster.create(obj or pod(), **kw)
        except StatusError as exc:
            return exc
        raise AssertionError("admission succeeded")

    return run_in(cluster, attempt)


def run_in(cluster: IstioCluster, factory: Any) -> Any:
    async def main() -> Any:
        async with cluster:
            return await factory()

    return run(main())


def _hook_spec(cluster: IstioCluster) -> dict:
    return cluster.store.obj(MWC, None, "istio-sidecar-injector")["webhooks"][0]


def test_success_injects_sidecar_and_patches_ca_bundle() -> None:
    cluster = IstioCluster()

    async def go() -> dict:
        return await cluster.create(pod())

    out = run_in(cluster, go)
    assert container_names(out) == ["web", "istio-proxy"]
    assert container_names(out, "initContainers") == ["istio-init"]
    assert out["metadata"]["labels"]["security.istio.io/tlsMode"] == "istio"
    assert out["metadata"]["annotations"]["istio.io/rev"] == "default"
    # the cert patcher wrote the injector's CA into the webhook labelled istio.io/rev=default
    assert _hook_spec(cluster)["clientConfig"]["caBundle"] == cluster.injector.ca.cert_b64
    review = cluster.injector.server.requests[-1]
    assert review["apiVersion"] == "admission.k8s.io/v1"
    request = review["request"]
    assert request["operation"] == "CREATE" and request["namespace"] == "demo" and request["name"] == "web"
    assert request["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert request["resource"] == {"group": "", "version": "v1", "resource": "pods"}
    assert request["userInfo"] == {"username": "system:admin", "groups": ["system:masters"], "extra": {}}
    assert request["options"] == {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}
    assert request["dryRun"] is False and request["oldObject"] is None


def test_certificate_from_another_ca() -> None:
    cluster = IstioCluster()

    async def go() -> StatusError:
        cluster.injector.serve_foreign_ca()
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc
        raise AssertionError("admitted")

    err = run_in(cluster, go)
    assert (err.code, err.reason) == (500, "InternalError")
    assert err.message == PREFIX + "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    assert err.details == {"causes": [{"message": err.message.removeprefix("Internal error occurred: ")}]}
    assert cluster.chain.log[-1].startswith(
        "Failed calling webhook, failing closed namespace.sidecar-injector.istio.io"
    )


def test_foreign_ca_with_the_same_name_gives_gos_hint() -> None:
    cluster = IstioCluster()

    async def go() -> StatusError:
        cluster.injector.serve_foreign_ca(organization="cluster.local")
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc
        raise AssertionError("admitted")

    assert run_in(cluster, go).message == PREFIX + (
        "tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of "
        '"x509: ECDSA verification failure" while trying to verify candidate authority certificate "cluster.local")'
    )


def test_expired_certificate() -> None:
    cluster = IstioCluster()

    async def go() -> StatusError:
        cluster.injector.serve_expired()
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc
        raise AssertionError("admitted")

    err = run_in(cluster, go)
    from cryptography import x509

    not_after = x509.load_pem_x509_certificate(cluster.injector.serving.cert_pem).not_valid_after_utc
    expected = (
        re.escape(
            PREFIX + "tls: failed to verify certificate: x509: certificate has expired or is not yet "
            "valid: current time "
        )
        + r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
        + re.escape(f" is after {not_after:%Y-%m-%dT%H:%M:%SZ}")
    )
    assert re.fullmatch(expected, err.message), err.message


def test_wrong_dns_name() -> None:
    cluster = IstioCluster()

    async def go() -> StatusError:
        cluster.injector.serve_wrong_name("istiod.other.svc")
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc
        raise AssertionError("admitted")

    assert (
        run_in(cluster, go).message == PREFIX + "tls: failed to verify certificate: "
        "x509: certificate is valid for istiod.other.svc, not istiod.istio-system.svc"
    )


def test_timeout_honours_timeout_seconds() -> None:
    cluster = IstioCluster(timeoutSeconds=1)

    async def go() -> tuple[StatusError, float]:
        cluster.injector.server.delay = 3
        start = time.monotonic()
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc, time.monotonic() - start
        raise AssertionError("admitted")

    err, took = run_in(cluster, go)
    assert err.message == PREFIX.replace("timeout=10s", "timeout=1s") + "context deadline exceeded"
    assert 0.9 < took < 1.8


def test_connection_refused_shows_the_endpoint_address() -> None:
    cluster = IstioCluster()

    async def go() -> StatusError:
        await cluster.injector.stop()
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc
        raise AssertionError("admitted")

    assert run_in(cluster, go).message == PREFIX + "dial tcp 10.244.0.7:15017: connect: connection refused"


def test_no_endpoints_missing_service_and_missing_port() -> None:
    cluster = IstioCluster()
    del cluster.store.data["discovery.k8s.io/v1/endpointslices"]
    cluster.store.data["v1/services"][("istio-system", "istiod")]["spec"]["selector"] = {"app": "istiod"}
    assert _fails(cluster).message == PREFIX + 'no endpoints available for service "istiod"'
    cluster = IstioCluster()
    cluster.store.add(endpoint_slice("istiod", "istio-system", ready=False))
    assert _fails(cluster).message == PREFIX + 'no endpoints available for service "istiod"'
    cluster = IstioCluster()
    del cluster.store.data["v1/services"]
    assert _fails(cluster).message == PREFIX + 'service "istiod" not found'
    cluster = IstioCluster()
    cluster.store.add(service("istiod", "istio-system", port=15012))
    assert _fails(cluster).message == PREFIX + 'no service port 443 found for service "istiod"'


def test_endpoints_derived_from_ready_pods_when_no_endpoint_objects_exist() -> None:
    cluster = IstioCluster()
    del cluster.store.data["discovery.k8s.io/v1/endpointslices"]
    istiod = pod("istiod-abc", "istio-system", labels={"app": "istiod"})
    istiod["spec"]["containers"][0]["ports"] = [{"name": "https-webhooks", "containerPort": 15017}]
    istiod["status"] = {"phase": "Running", "podIP": "10.244.3.3", "conditions": [{"type": "Ready", "status": "True"}]}
    cluster.store.add(istiod)

    async def go() -> StatusError:
        await cluster.injector.stop()
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc
        raise AssertionError("admitted")

    assert run_in(cluster, go).message == PREFIX + "dial tcp 10.244.3.3:15017: connect: connection refused"


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("eof", "EOF"),
        ("plaintext", "tls: first record does not look like a TLS handshake"),
        ("garbage", 'net/http: HTTP/1.x transport connection broken: malformed HTTP response "garbage"'),
    ],
)
def test_broken_servers(mode: str, error: str) -> None:
    cluster = IstioCluster()

    async def go() -> StatusError:
        cluster.injector.server.mode = mode
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc
        raise AssertionError("admitted")

    assert run_in(cluster, go).message == PREFIX + error


def test_ca_bundle_that_is_not_pem_and_empty_ca_bundle() -> None:
    cluster = IstioCluster()

    async def go() -> list[str]:
        messages = []
        for bundle in ("cHJveHkgaW5qZWN0b3IgQ0EgYnVuZGxl", ""):  # base64("proxy injector CA bundle"), empty
            _hook_spec(cluster)["clientConfig"]["caBundle"] = bundle
            try:
                await cluster.create(pod())
            except StatusError as exc:
                messages.append(exc.message)
        return messages

    not_pem, empty = run_in(cluster, go)
    assert not_pem == (
        'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": '
        "could not get REST client: unable to load root certificates: "
        "unable to parse bytes as PEM block"
    )
    assert empty == PREFIX + "tls: failed to verify certificate: x509: certificate signed by unknown authority"


def test_failure_policy_ignore_admits_unmutated() -> None:
    cluster = IstioCluster(failurePolicy="Ignore")

    async def go() -> dict:
        await cluster.injector.stop()
        return await cluster.create(pod())

    out = run_in(cluster, go)
    assert container_names(out) == ["web"] and "initContainers" not in out["spec"]
    assert cluster.chain.log == [
        "Failed calling webhook, failing open namespace.sidecar-injector.istio.io: failed calling webhook "
        '"namespace.sidecar-injector.istio.io": failed to call webhook: Post "' + URL + '": '
        "dial tcp 10.244.0.7:15017: connect: connection refused"
    ]


def test_denial_keeps_the_webhook_message_and_defaults_code_to_400() -> None:
    cluster = IstioCluster(failurePolicy="Ignore")

    async def go() -> StatusError:
        cluster.injector.server.deny_message = "Injection failed due to invalid annotations"
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc
        raise AssertionError("admitted")

    err = run_in(cluster, go)
    assert (err.code, err.reason) == (400, "")
    assert err.message == (
        'admission webhook "namespace.sidecar-injector.istio.io" denied the request: '
        "Injection failed due to invalid annotations"
    )


@pytest.mark.parametrize(
    ("effects", "allowed"), [("None", True), ("NoneOnDryRun", True), ("Some", False), ("Unknown", False)]
)
def test_dry_run_and_side_effects(effects: str, allowed: bool) -> None:
    cluster = IstioCluster(sideEffects=effects, failurePolicy="Ignore")

    async def go() -> Any:
        try:
            return await cluster.create(pod(), dry_run=True)
        except StatusError as exc:
            return exc

    result = run_in(cluster, go)
    if allowed:
        assert container_names(result) == ["web", "istio-proxy"]
        request = cluster.injector.server.requests[-1]["request"]
        assert request["dryRun"] is True and request["options"]["dryRun"] == ["All"]
    else:
        assert (result.code, result.reason) == (400, "BadRequest")
        assert result.message == 'admission webhook "namespace.sidecar-injector.istio.io" does not support dry run'
        assert cluster.injector.server.requests == []


def test_v1beta1_review_when_listed_first() -> None:
    cluster = IstioCluster(admissionReviewVersions=["v1beta1", "v1"])

    async def go() -> dict:
        return await cluster.create(pod())

    out = run_in(cluster, go)
    assert "istio-proxy" in container_names(out)
    assert cluster.injector.server.requests[-1]["apiVersion"] == "admission.k8s.io/v1beta1"


def test_unknown_review_versions() -> None:
    cluster = IstioCluster(admissionReviewVersions=["v2"])
    assert _fails(cluster).message == (
        'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": could not create '
        "admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)"
    )


def test_url_client_config_through_the_resolver_table() -> None:
    cluster = IstioCluster(clientConfig={"url": "https://istiod.istio-system.svc:443/inject"})

    async def go() -> dict:
        _hook_spec(cluster)["clientConfig"]["caBundle"] = cluster.injector.ca.cert_b64
        return await cluster.create(pod())

    assert "istio-proxy" in container_names(run_in(cluster, go))
    cluster = IstioCluster(clientConfig={"url": "https://injector.example.com/inject"})
    assert _fails(cluster).message == (
        'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call '
        'webhook: Post "https://injector.example.com/inject?timeout=10s": dial tcp: lookup injector.example.com: '
        "no such host"
    )


async def _custom_webhook(cluster: IstioCluster, name: str, handler: Any) -> tuple[AdmissionServer, str]:
    ca = certs.new_ca(f"{name}-ca")
    context = certs.server_context(certs.issue(ca, [f"{name}.demo.svc"]))

    async def ctx() -> Any:
        return context

    server = AdmissionServer(name, handler, ctx)
    await server.start()
    cluster.store.add(
        service(name, "demo", target=8443, port_name="https"),
        endpoint_slice(name, "demo", ip="10.244.9.9", port=8443, port_name="https"),
    )
    cluster.resolver.register(f"{name}.demo.svc:443", server.address)
    return server, ca.cert_b64


def _labeling_hook(name: str, bundle: str, label: str, policy: str) -> dict:
    return {
        "name": f"{name}.example.com",
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "reinvocationPolicy": policy,
        "matchPolicy": "Exact",
        "clientConfig": {"service": {"name": name, "namespace": "demo", "path": "/mutate"}, "caBundle": bundle},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "_label": label,
    }


def _labeler(label: str) -> Any:
    async def handler(review: dict, path: str) -> dict:
        obj = review["request"]["object"]
        if label in (obj["metadata"].get("labels") or {}):
            return response_for(review)
        patch = [{"op": "add", "path": f"/metadata/labels/{label}", "value": "yes"}]
        return response_for(review, patch=json.dumps(patch).encode(), warnings=[f"{label} added"])

    return handler


@pytest.mark.parametrize(("policy", "calls"), [("IfNeeded", 2), ("Never", 1)])
def test_reinvocation(policy: str, calls: int) -> None:
    cluster = IstioCluster()

    async def go() -> tuple[Any, int]:
        first, bundle_a = await _custom_webhook(cluster, "alpha", _labeler("alpha"))
        second, bundle_b = await _custom_webhook(cluster, "beta", _labeler("beta"))
        hooks = [_labeling_hook("alpha", bundle_a, "alpha", policy), _labeling_hook("beta", bundle_b, "beta", "Never")]
        for hook in hooks:
            hook.pop("_label")
        cluster.store.add(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "MutatingWebhookConfiguration",
                "metadata": {"name": "a-labelers"},
                "webhooks": hooks,
            }
        )
        try:
            result = await cluster.chain.admit_with_warnings(
                operation="CREATE",
                resource="v1/pods",
                subresource=None,
                namespace="demo",
                obj=pod(),
                old=None,
                dry_run=False,
                user={"username": "u"},
            )
            return result, len(first.requests)
        finally:
            await first.close()
            await second.close()

    result, alpha_calls = run_in(cluster, go)
    assert alpha_calls == calls
    assert result.obj["metadata"]["labels"]["alpha"] == "yes" and result.obj["metadata"]["labels"]["beta"] == "yes"
    assert result.warnings == ["alpha added", "beta added"]
    # configurations run in name order: a-labelers before istio-sidecar-injector
    assert "istio-proxy" in container_names(result.obj)


def test_validating_webhooks_run_after_mutation_and_can_deny() -> None:
    cluster = IstioCluster()

    async def go() -> StatusError:
        seen: list[list[str]] = []

        async def handler(review: dict, path: str) -> dict:
            seen.append([c["name"] for c in review["request"]["object"]["spec"]["containers"]])
            return response_for(review, allowed=False, message="sidecars are not welcome", code=403)

        server, bundle = await _custom_webhook(cluster, "policy", handler)
        cluster.store.add(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingWebhookConfiguration",
                "metadata": {"name": "policy"},
                "webhooks": [
                    {
                        "name": "policy.example.com",
                        "admissionReviewVersions": ["v1"],
                        "sideEffects": "None",
                        "clientConfig": {"service": {"name": "policy", "namespace": "demo"}, "caBundle": bundle},
                        "rules": [
                            {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}
                        ],
                    }
                ],
            }
        )
        try:
            await cluster.create(pod())
        except StatusError as exc:
            assert seen == [["web", "istio-proxy"]]
            return exc
        finally:
            await server.close()
        raise AssertionError("admitted")

    err = run_in(cluster, go)
    assert (err.code, err.message) == (
        403,
        'admission webhook "policy.example.com" denied the request: sidecars are not welcome',
    )
    assert cluster.store.list(VWC)


def test_validating_webhook_may_not_patch() -> None:
    cluster = IstioCluster()

    async def go() -> StatusError:
        async def handler(review: dict, path: str) -> dict:
            return response_for(review, patch=b'[{"op":"add","path":"/metadata/labels/x","value":"y"}]')

        server, bundle = await _custom_webhook(cluster, "checker", handler)
        cluster.store.add(
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "ValidatingWebhookConfiguration",
                "metadata": {"name": "checker"},
                "webhooks": [
                    {
                        "name": "checker.example.com",
                        "admissionReviewVersions": ["v1"],
                        "sideEffects": "None",
                        "clientConfig": {"service": {"name": "checker", "namespace": "demo"}, "caBundle": bundle},
                        "rules": [
                            {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}
                        ],
                    }
                ],
            }
        )
        try:
            await cluster.create(pod())
        except StatusError as exc:
            return exc
        finally:
            await server.close()
        raise AssertionError("admitted")

    assert run_in(cluster, go).message == (
        'Internal error occurred: failed calling webhook "checker.example.com": received invalid webhook response: '
        "validating webhook may not return response.patch"
    )
