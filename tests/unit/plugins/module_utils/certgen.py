"""Throwaway test certificates (ECDSA P-256, generated in memory per test run; keys never written)."""

from __future__ import annotations

import base64
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime(2026, 11, 27, 12, 0, 0, tzinfo=datetime.timezone.utc)


def key():
    return ec.generate_private_key(ec.SECP256R1())


def name(cn, org=None):
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def make(
    subject,
    signer_key=None,
    issuer=None,
    public_key=None,
    ca=False,
    sans=(),
    start=None,
    days=365,
    serial=None,
    eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
    basic_constraints=True,
):
    """A certificate. Self-signed when issuer/signer_key are not given (then public_key's own key signs)."""
    own = public_key or key()
    start = start or (NOW - datetime.timedelta(days=1))
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject if isinstance(subject, x509.Name) else name(subject))
        .issuer_name(
            issuer.subject if issuer is not None else (subject if isinstance(subject, x509.Name) else name(subject))
        )
        .public_key(own.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
    )
    if basic_constraints:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    if eku and not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    cert = builder.sign(signer_key or own, hashes.SHA256())
    return cert, own


def pem(*certs):
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def b64(*certs):
    return base64.b64encode(pem(*certs).encode()).decode()
