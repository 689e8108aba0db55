# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificates_reduce.py: a Secret keeps its public certificates and nothing else."""

from __future__ import annotations

import base64
import datetime
import json

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.secrets import (
    certificate_blocks,
    reduce_secret,
)

cryptography = pytest.importorskip("cryptography")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def make_pair(common_name="linkerd-proxy-injector.linkerd.svc"):
    """(certificate PEM, private key PEM) of a throwaway self-signed EC certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert_pem, key_pem


CERT, KEY = make_pair()
CA, CA_KEY = make_pair("root.linkerd.cluster.local")


def b64(text):
    return base64.b64encode(text.encode()).decode()


def key_markers(key_pem):
    """Strings whose presence anywhere would mean key material leaked."""
    body = "".join(line for line in key_pem.splitlines() if not line.startswith("-----"))
    return ["PRIVATE KEY", body[:40], b64(key_pem)[:40], b64("-----BEGIN PRIVATE KEY")[:20]]


def assert_no_key(text, key_pem=KEY):
    for marker in key_markers(key_pem):
        assert marker not in text, marker


def tls_secret():
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "linkerd-proxy-injector-k8s-tls",
            "namespace": "linkerd",
            "uid": "s1",
            "resourceVersion": "12",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"linkerd.io/control-plane-component": "proxy-injector"},
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": json.dumps({"data": {"tls.key": b64(KEY)}}),
                "note": KEY,
            },
            "managedFields": [{"manager": "helm"}],
        },
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": b64(CERT), "tls.key": b64(KEY), "ca.crt": b64(CA)},
    }


def test_tls_secret_keeps_certificates_and_drops_the_key():
    out = reduce_secret(tls_secret())
    assert out == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "linkerd-proxy-injector-k8s-tls",
            "namespace": "linkerd",
            "uid": "s1",
            "resourceVersion": "12",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"linkerd.io/control-plane-component": "proxy-injector"},
        },
        "type": "kubernetes.io/tls",
        "certificates": {"ca.crt": CA, "tls.crt": CERT},
    }
    assert_no_key(json.dumps(out))


def test_combined_pem_keeps_only_the_certificate_blocks():
    secret = {"metadata": {"name": "cacerts"}, "data": {"bundle.pem": b64(KEY + CERT + CA_KEY + CA)}}
    out = reduce_secret(secret)
    assert out["certificates"] == {"bundle.pem": CERT + CA}
    assert_no_key(json.dumps(out))
    assert_no_key(json.dumps(out), CA_KEY)


def test_string_data_and_odd_line_endings():
    crlf = CERT.replace("\n", "\r\n")
    out = reduce_secret({"metadata": {"name": "x"}, "stringData": {"tls.crt": crlf, "tls.key": KEY}})
    assert out["certificates"] == {"tls.crt": CERT}


def test_non_certificate_data_is_dropped():
    secret = {"metadata": {"name": "linkerd-identity-issuer"}, "data": {"crt.pem": b64("not a cert"), "x": "%%%"}}
    assert reduce_secret(secret)["certificates"] == {}


def test_a_private_key_dressed_as_a_certificate_block_with_foreign_text_is_rejected():
    # A CERTIFICATE header whose body contains another PEM header cannot match the strict pattern.
    forged = "-----BEGIN CERTIFICATE-----\n" + KEY + "-----END CERTIFICATE-----\n"
    out = reduce_secret({"metadata": {"name": "x"}, "stringData": {"tls.crt": forged}})
    assert out["certificates"] == {}
    assert_no_key(json.dumps(out))


def test_reduction_is_idempotent():
    once = reduce_secret(tls_secret())
    assert reduce_secret(once) == once


def test_certificate_blocks_are_normalised():
    assert certificate_blocks(CERT.replace("\n", "\r\n") + "trailing") == [CERT]
