from __future__ import annotations

import base64
import datetime

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import x509 as c
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import certgen
from ansible_collections.meshops.sidecar_injection.tests.unit.shared_data import shared_path

STRICT_VERIFIER = getattr(c.x509_verification, "ExtensionPolicy", None) is not None

NOW = certgen.NOW
HOST = "istiod.istio-system.svc"


def synthetic(case):
    """(Secret, MWC) of a ../shared Linkerd synthetic fixture."""
    path = shared_path("fixtures", "linkerd", "synthetic", "proxy-injector-webhook-tls.%s.yaml" % case)
    with open(path) as handle:
        secret, mwc = [d for d in yaml.safe_load_all(handle) if d]
    return secret, mwc


def chain_and_roots(case):
    secret, mwc = synthetic(case)
    key, parsed = c.secret_certificates(secret, ("tls.crt",))
    assert key == "tls.crt" and parsed["error"] is None
    roots = c.parse_ca_bundle(mwc["webhooks"][0]["clientConfig"]["caBundle"])
    assert roots["error"] is None
    return parsed["certs"], roots["certs"]


# ---- decoding ---------------------------------------------------------------------------------


def test_decode_ca_bundle_reasons():
    assert c.decode_ca_bundle("") == (None, "caBundle is empty")
    assert c.decode_ca_bundle(None) == (None, "caBundle is empty")
    pem, error = c.decode_ca_bundle("not base64!!")
    assert pem is None and error.startswith("caBundle is not valid base64")
    assert c.decode_ca_bundle(base64.b64encode(b"  ").decode()) == (None, "caBundle is empty")


def test_parse_ca_bundle_garbage_and_keys():
    garbage = base64.b64encode(b"proxy injector CA bundle").decode()  # the upstream goldens' fake value
    assert c.parse_ca_bundle(garbage) == {
        "certs": [],
        "error": "not a PEM certificate (no PEM block found)",
        "skipped": [],
    }
    key_only = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
    result = c.parse_pem_bundle(key_only)
    assert result["error"] == "no CERTIFICATE block (found: EC PRIVATE KEY)"
    assert "AAAA" not in repr(result)
    broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    assert c.parse_pem_bundle(broken)["error"].startswith("PEM block 1 is not a valid certificate")


def test_parse_bundle_keeps_order_and_raw_pem():
    root, _unused = certgen.make("root", ca=True)
    other, _unused = certgen.make("other-root", ca=True)
    parsed = c.parse_ca_bundle(certgen.b64(root, other))
    assert [x.subject.rfc4514_string() for x in parsed["certs"]] == ["CN=root", "CN=other-root"]
    assert c.parse_ca_bundle(certgen.pem(root))["certs"] == [root]  # raw PEM accepted too


def test_secret_pems_from_snapshot_and_raw_data():
    root, _unused = certgen.make("root", ca=True)
    reduced = {"certificates": {"tls.crt": certgen.pem(root)}}
    assert c.secret_pems(reduced) == {"tls.crt": certgen.pem(root)}
    raw = {
        "data": {
            "tls.crt": base64.b64encode(certgen.pem(root).encode()).decode(),
            "tls.key": base64.b64encode(
                b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
            ).decode(),
        }
    }
    pems = c.secret_pems(raw)
    assert list(pems) == ["tls.crt"]
    assert c.parse_pem_bundle(pems["tls.crt"])["certs"] == [root]
    assert c.secret_certificates(reduced, ("crt.pem",)) == (
        None,
        {"certs": [], "error": "no certificate under crt.pem", "skipped": []},
    )


# ---- facts ------------------------------------------------------------------------------------


def test_cert_facts_of_linkerd_fixture():
    certs, _unused = chain_and_roots("valid")
    facts = c.cert_facts(certs[0])
    assert facts["subject"] == "CN=linkerd-proxy-injector.linkerd.svc"
    assert facts["issuer"] == "CN=linkerd-proxy-injector.linkerd.svc"
    assert facts["not_before"] == "2026-11-26T02:04:44Z"
    assert facts["not_after"] == "2027-11-26T02:04:44Z"
    assert facts["dns_names"] == ["linkerd-proxy-injector.linkerd.svc"]
    assert facts["self_signed"] is True and facts["is_ca"] is False
    assert facts["key"] == "RSA 2048"
    assert len(facts["sha256"].split(":")) == 32 and facts["sha256"] == facts["sha256"].upper()
    assert facts["serial"] == c.serial_hex(certs[0]) and ":" in facts["serial"]
    assert set(facts) == {
        "subject",
        "issuer",
        "serial",
        "not_before",
        "not_after",
        "dns_names",
        "ip_addresses",
        "sha256",
        "is_ca",
        "self_signed",
        "key",
    }


def test_serial_hex_pads():
    cert, _unused = certgen.make("x", serial=0xABC)
    assert c.serial_hex(cert) == "0a:bc"


def test_validity_states():
    cert, _unused = certgen.make("x", start=NOW - datetime.timedelta(days=10), days=40)  # 30 days left
    assert c.validity(cert, NOW, 60)["state"] == "expiring"
    assert c.validity(cert, NOW, 60)["days_left"] == 30
    assert c.validity(cert, NOW, 20)["state"] == "valid"
    assert c.validity(cert, NOW + datetime.timedelta(days=31), 60)["state"] == "expired"
    assert c.validity(cert, NOW - datetime.timedelta(days=11), 60)["state"] == "not-yet-valid"


# ---- host names -------------------------------------------------------------------------------


def test_hostname_errors_match_go_text():
    cert, _unused = certgen.make("anything", sans=["linkerd-proxy-injector.other-ns.svc"])
    assert c.hostname_error(cert, "linkerd-proxy-injector.linkerd.svc") == (
        "x509: certificate is valid for linkerd-proxy-injector.other-ns.svc, not linkerd-proxy-injector.linkerd.svc"
    )
    cn_only, _unused = certgen.make(HOST)
    assert c.hostname_error(cn_only, HOST) == "x509: certificate relies on legacy Common Name field, use SANs instead"
    nothing, _unused = certgen.make("not-a-host name")
    assert c.hostname_error(nothing, HOST) == (
        "x509: certificate is not valid for any names, but wanted to match istiod.istio-system.svc"
    )
    assert c.hostname_error(cert, "10.0.0.1") == (
        "x509: cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs"
    )


def test_wildcard_covers_exactly_one_label():
    cert, _unused = certgen.make("w", sans=["*.istio-system.svc"])
    assert c.covers(cert, HOST)
    assert not c.covers(cert, "a.b.istio-system.svc")
    assert c.covers(cert, "ISTIOD.istio-system.svc")
    assert c.service_dns_name("istiod", "istio-system") == HOST


# ---- verification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, ok, cls, error_start",
    [
        ("valid", True, "ok", None),
        ("expiring-in-30d", True, "ok", None),
        (
            "expired",
            False,
            "expired",
            "x509: certificate has expired or is not yet valid: current time 2026-11-27T12:00:00Z is after "
            "2026-10-22T02:04:44Z",
        ),
        (
            "wrong-san",
            False,
            "wrong-name",
            "x509: certificate is valid for linkerd-proxy-injector.other-ns.svc, "
            "not linkerd-proxy-injector.linkerd.svc",
        ),
        ("cabundle-mismatch", False, "unknown-authority", "x509: certificate signed by unknown authority"),
    ],
)
def test_linkerd_synthetic_cases(case, ok, cls, error_start):
    chain, roots = chain_and_roots(case)
    result = c.verify_server(chain, roots, "linkerd-proxy-injector.linkerd.svc", NOW)
    assert (result["ok"], result["class"]) == (ok, cls)
    assert result["error"] == error_start
    if ok:
        assert result["chain"][0]["subject"] == "CN=linkerd-proxy-injector.linkerd.svc"
        # cryptography's verifier (extension policies: cryptography 45+) accepts a leaf that is in the root
        # pool; older releases cannot be asked, which the result says with None rather than guessing.
        assert result["strict"] is (True if STRICT_VERIFIER else None)


def test_self_signed_leaf_in_pool_goes_via_root_pool():
    chain, roots = chain_and_roots("valid")
    assert c.chain_to_roots(chain[0], [], roots)["via"] == "root-pool"
    assert not c.chain_to_roots(chain[0], [], [])["ok"]


def test_ca_issued_chain_with_intermediate():
    root, root_key = certgen.make("mesh-root", ca=True, days=3650, start=NOW - datetime.timedelta(days=100))
    inter, inter_key = certgen.make(
        "intermediate", signer_key=root_key, issuer=root, ca=True, days=1000, start=NOW - datetime.timedelta(days=50)
    )
    leaf, _unused = certgen.make("istiod", signer_key=inter_key, issuer=inter, sans=[HOST])
    result = c.verify_server([leaf, inter], [root], HOST, NOW)
    assert result["ok"] and [x["subject"] for x in result["chain"]] == ["CN=istiod", "CN=intermediate", "CN=mesh-root"]
    # without the intermediate in the served chain the API server cannot build the path
    missing = c.verify_server([leaf], [root], HOST, NOW)
    assert (missing["ok"], missing["class"]) == (False, "unknown-authority")
    # the intermediate itself as the only root also verifies (Go accepts any pooled certificate as root)
    assert c.verify_server([leaf], [inter], HOST, NOW)["ok"]


def test_expired_root_is_reported_as_expired():
    root, root_key = certgen.make("old-root", ca=True, days=30, start=NOW - datetime.timedelta(days=60))
    leaf, _unused = certgen.make(
        "istiod", signer_key=root_key, issuer=root, sans=[HOST], start=NOW - datetime.timedelta(days=1)
    )
    result = c.verify_server([leaf], [root], HOST, NOW)
    assert result["class"] == "expired"
    assert result["error"] == (
        "x509: certificate has expired or is not yet valid: current time 2026-11-27T12:00:00Z is after %s"
        % c.iso(root.not_valid_after_utc)
    )
    # ignoring time (SI404's question: does the bundle sign it at all?) the chain exists
    assert c.chain_to_roots(leaf, [], [root])["ok"]


def test_non_ca_parent_cannot_sign():
    fake_root, fake_key = certgen.make("not-a-ca", ca=False)
    leaf, _unused = certgen.make("istiod", signer_key=fake_key, issuer=fake_root, sans=[HOST])
    assert c.verify_server([leaf], [fake_root], HOST, NOW)["class"] == "unknown-authority"


def test_server_auth_usage_required():
    root, root_key = certgen.make("root", ca=True)
    from cryptography.x509.oid import ExtendedKeyUsageOID

    client_only, _unused = certgen.make(
        "istiod", signer_key=root_key, issuer=root, sans=[HOST], eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)
    )
    result = c.verify_server([client_only], [root], HOST, NOW)
    assert (result["class"], result["error"]) == ("bad-usage", "x509: certificate specifies an incompatible key usage")


def test_empty_inputs():
    assert c.verify_server([], [], HOST, NOW)["class"] == "no-certificate"
    leaf, _unused = certgen.make("istiod", sans=[HOST])
    assert c.verify_server([leaf], [], HOST, NOW)["class"] == "no-roots"


def test_same_certificates():
    a, _unused = certgen.make("a", ca=True)
    b, _unused = certgen.make("b", ca=True)
    assert c.same_certificates([a, b], [b]) == [c.fingerprint(b)]
    assert c.same_certificates([a], [b]) == []
