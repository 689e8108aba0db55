"""Go's hostname verification for webhook URLs with an IP host (crypto/x509 Certificate.VerifyHostname):
an IP is matched only against the IP SANs (RFC 6125 B.2), IPv4-mapped IPv6 equals IPv4, `[v6]` is
unbracketed, and HostnameError lists the IP SANs when none matches."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography import x509

from tests.kubesim.admission.tlsverify import hostname_error
from tests.kubesim.errors import StatusError
from tests.kubesim.injectors import certs
from tests.kubesim.injectors.server import AdmissionServer

from .helpers import IstioCluster, container_names, pod, run


def _cert(dns: list[str], ips: list[str]) -> x509.Certificate:
    return x509.load_pem_x509_certificate(certs.issue(None, dns, ip_addresses=ips, common_name="x").cert_pem)


@pytest.mark.parametrize(
    ("dns", "ips", "host", "error"),
    [
        ([], ["127.0.0.1"], "127.0.0.1", None),
        ([], ["127.0.0.1"], "::ffff:127.0.0.1", None),
        ([], ["::1"], "[::1]", None),
        (
            ["istiod.istio-system.svc"],
            ["127.0.0.1", "10.0.0.7"],
            "127.0.0.2",
            "x509: certificate is valid for 127.0.0.1, 10.0.0.7, not 127.0.0.2",
        ),
        (
            ["127.0.0.1"],
            [],
            "127.0.0.1",
            "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
        ),
        ([], ["2001:db8::1"], "[2001:db8::2]", "x509: certificate is valid for 2001:db8::1, not 2001:db8::2"),
        (
            [],
            ["127.0.0.1"],
            "istiod.istio-system.svc",
            "x509: certificate is not valid for any names, but wanted to match istiod.istio-system.svc",
        ),
    ],
)
def test_ip_hosts_match_ip_sans_only(dns: list[str], ips: list[str], host: str, error: str | None) -> None:
    assert hostname_error(_cert(dns, ips), host) == error


def test_webhook_url_with_an_ip_host_verifies_against_the_ip_san() -> None:
    """The whole path: clientConfig.url https://127.0.0.1:PORT/inject, a certificate with IP:127.0.0.1 → the
    call succeeds; the same server reached as 127.0.0.2 fails with Go's message."""
    cluster = IstioCluster()
    ca = certs.new_ca("ip-webhook-ca")
    context = certs.server_context(certs.issue(ca, [], ip_addresses=["127.0.0.1"], common_name="webhook"))

    async def ctx() -> Any:
        return context

    async def go() -> tuple[list[str], str]:
        async with cluster:
            server = AdmissionServer("ip-hook", cluster.injector._handle, ctx)
            await server.start()
            try:
                hook = cluster.store.obj(
                    "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", None, "istio-sidecar-injector"
                )["webhooks"][0]
                hook["clientConfig"] = {"url": f"https://127.0.0.1:{server.port}/inject", "caBundle": ca.cert_b64}
                names = container_names(await cluster.create(pod()))
                hook["clientConfig"]["url"] = f"https://127.0.0.2:{server.port}/inject"
                cluster.resolver.register(f"127.0.0.2:{server.port}", server.address)
                try:
                    await cluster.create(pod())
                except StatusError as exc:
                    return names, exc.message
                return names, ""
            finally:
                await server.close()

    names, message = run(go())
    assert names == ["web", "istio-proxy"]
    assert message.endswith(
        "tls: failed to verify certificate: x509: certificate is valid for 127.0.0.1, not 127.0.0.2"
    )
