from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import admission_errors as we

ISTIO_URL = "https://istiod.istio-system.svc:443/inject?timeout=10s"
PREFIX = (
    'Error creating: Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": '
    'failed to call webhook: Post "%s": ' % ISTIO_URL
)


@pytest.mark.parametrize(
    "error, cls",
    [
        ("context deadline exceeded", "timeout"),
        ("dial tcp 10.0.3.7:15017: i/o timeout", "timeout"),
        (
            "net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
            "timeout",
        ),
        ("dial tcp 10.96.12.4:443: connect: connection refused", "connection-refused"),
        ('no endpoints available for service "istiod"', "no-endpoints"),
        ("tls: failed to verify certificate: x509: certificate signed by unknown authority", "x509-unknown-authority"),
        (
            'x509: certificate signed by unknown authority (possibly because of "crypto/rsa: verification error" while '
            'trying to verify candidate authority certificate "cluster.local")',
            "x509-unknown-authority",
        ),
        (
            "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time "
            "2026-11-27T10:00:00Z is after 2026-10-22T02:04:44Z",
            "x509-expired",
        ),
        (
            "tls: failed to verify certificate: x509: certificate is valid for linkerd-proxy-injector.other-ns.svc, "
            "not istiod.istio-system.svc",
            "x509-wrong-name",
        ),
        ("x509: certificate relies on legacy Common Name field, use SANs instead", "x509-wrong-name"),
        ("Address is not allowed", "address-not-allowed"),
        ('service "istiod" not found', "service-unavailable"),
        ("the server is currently unable to handle the request", "service-unavailable"),
        ("EOF", "eof"),
        ("read tcp 10.0.0.2:51234->10.0.3.7:15017: read: connection reset by peer", "eof"),
        ("dial tcp: lookup istiod.istio-system.svc on 169.254.169.254:53: no such host", "other"),
    ],
)
def test_call_failure_classes(error, cls):
    result = we.classify_call_failure(PREFIX + error)
    assert result == {
        "class": cls,
        "webhook": "namespace.sidecar-injector.istio.io",
        "url": ISTIO_URL,
        "error": error,
        "message": (PREFIX + error)[len("Error creating: ") :],
    }


def test_old_format_without_quotes_or_failed_to_call():
    message = (
        'Internal error occurred: failed calling webhook "linkerd-proxy-injector.linkerd.io": '
        "Post https://linkerd-proxy-injector.linkerd.svc:443/?timeout=10s: Address is not allowed"
    )
    result = we.classify_call_failure(message)
    assert result["class"] == "address-not-allowed"
    assert result["url"] == "https://linkerd-proxy-injector.linkerd.svc:443/?timeout=10s"
    assert result["webhook"] == "linkerd-proxy-injector.linkerd.io"
    assert result["error"] == "Address is not allowed"


def test_not_a_call_failure():
    assert we.classify_call_failure("Back-off restarting failed container") is None
    assert we.classify_rejection("Created pod: web-1") is None
    assert we.classify_rejection("") is None


def test_webhook_denied():
    message = (
        'Error creating: admission webhook "namespace.sidecar-injector.istio.io" denied the request: '
        'template: inject:1: function "Template_Version_And_Istio_Version_Mismatched_Check_Installation" '
        "not defined"
    )
    result = we.classify_rejection(message)
    assert result["kind"] == "webhook-denied"
    assert result["webhook"] == "namespace.sidecar-injector.istio.io"
    assert result["reason"].startswith("template: inject:1: function")
    assert result["message"] == message[len("Error creating: ") :]


def test_webhook_denied_without_explanation():
    result = we.classify_rejection(
        'admission webhook "validation.gatekeeper.sh" denied the request without explanation'
    )
    assert result["kind"] == "webhook-denied" and result["reason"] == ""


def test_pod_security():
    message = (
        'Error creating: pods "web-7d9c-abcde" is forbidden: violates PodSecurity "baseline:latest": '
        'non-default capabilities (container "istio-init" must not include "NET_ADMIN", "NET_RAW" in '
        "securityContext.capabilities.add)"
    )
    result = we.classify_rejection(message)
    assert result["kind"] == "pod-security"
    assert result["level"] == "baseline" and result["version"] == "latest"
    assert result["pod"] == "web-7d9c-abcde"
    assert result["containers"] == ["istio-init"]
    assert result["capabilities"] == ["NET_ADMIN", "NET_RAW"]
    assert we.touches_mesh_init(result)


def test_quota_messages():
    exceeded = (
        'Error creating: pods "web-1" is forbidden: exceeded quota: compute, requested: limits.cpu=2100m, '
        "used: limits.cpu=3, limited: limits.cpu=4"
    )
    result = we.classify_rejection(exceeded)
    assert (result["kind"], result["quota"], result["requested"], result["used"], result["limited"]) == (
        "quota-exceeded",
        "compute",
        "limits.cpu=2100m",
        "limits.cpu=3",
        "limits.cpu=4",
    )
    must = (
        'Error creating: pods "web-1" is forbidden: failed quota: compute: must specify limits.cpu for: '
        "linkerd-proxy; limits.memory for: linkerd-proxy"
    )
    result = we.classify_rejection(must)
    assert result["kind"] == "quota-must-specify" and result["quota"] == "compute"
    assert result["reason"] == "limits.cpu for: linkerd-proxy; limits.memory for: linkerd-proxy"
    assert we.touches_mesh_proxy(result)


def test_limitrange_psp_scc():
    lr = we.classify_rejection('pods "web-1" is forbidden: maximum cpu usage per Container is 1, but limit is 2')
    assert lr["kind"] == "limitrange"
    lr2 = we.classify_rejection(
        'pods "web-1" is forbidden: maximum memory usage per Container is 512Mi.  No limit is specified'
    )
    assert lr2["kind"] == "limitrange"
    ratio = we.classify_rejection(
        'pods "x" is forbidden: cpu max limit to request ratio per Container is 4, but provided ratio is 20.000000'
    )
    assert ratio["kind"] == "limitrange"
    psp = we.classify_rejection(
        'pods "x" is forbidden: unable to validate against any pod security policy: '
        "[spec.initContainers[0].securityContext.capabilities.add: Invalid value: "
        '"NET_ADMIN": capability may not be added]'
    )
    assert psp["kind"] == "psp" and psp["capabilities"] == ["NET_ADMIN"] and we.touches_mesh_init(psp)
    scc = we.classify_rejection(
        'pods "x" is forbidden: unable to validate against any security context '
        'constraint: [provider "anyuid": Forbidden: not usable by user or serviceaccount]'
    )
    assert scc["kind"] == "scc" and not we.touches_mesh_init(scc)


def test_call_failure_wins_over_other_shapes():
    result = we.classify_rejection(PREFIX + "context deadline exceeded")
    assert result["kind"] == "webhook-call-failed" and result["class"] == "timeout"
