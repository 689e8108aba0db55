# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""New webhook certificates with `cryptography`: a CA and a serving certificate it signs.

The serving certificate carries the DNS names the API server dials (`<service>.<namespace>.svc`,
SAN only: Go ignores the CN), serverAuth, and is valid `days` from one minute ago (clock skew).
The key never leaves this process except into the Secret: callers return fingerprints only.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any, Dict, List, Sequence

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # reported by the module
    HAS_CRYPTOGRAPHY = False


def _name(cn: str) -> Any:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert: Any) -> bytes:
    return bytes(cert.public_bytes(serialization.Encoding.PEM))


def fingerprint(pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(pem)
    return ":".join("%02X" % b for b in cert.fingerprint(hashes.SHA256()))


def issue(hosts: Sequence[str], days: int = 365, now: Any = None) -> Dict[str, Any]:
    """{"ca_pem", "cert_pem", "key_pem", "not_after"}: a P-256 CA and a serving cert for `hosts`."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(minutes=1)
    end = now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("%s CA" % hosts[0])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {"ca_pem": _pem(ca), "cert_pem": _pem(cert), "key_pem": bytes(key_pem), "not_after": end}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def bundle_pems(bundle_b64: str) -> List[bytes]:
    """The PEM certificates of a base64 caBundle, each as its own PEM block."""
    text = base64.b64decode(bundle_b64 or "").decode("ascii", "replace")
    out, block = [], []
    for line in text.splitlines():
        if "BEGIN CERTIFICATE" in line:
            block = [line]
        elif "END CERTIFICATE" in line and block:
            block.append(line)
            out.append(("\n".join(block) + "\n").encode("ascii"))
            block = []
        elif block:
            block.append(line)
    return out


def serving_ok(cert_pem: bytes, bundles_b64: Sequence[str], hosts: Sequence[str], renew_days: int) -> bool:
    """`cert_pem` (the first certificate) is valid beyond `renew_days`, names every host in its SAN,
    and each caBundle holds it or its issuer: a second run has nothing to rotate."""
    try:
        cert = x509.load_pem_x509_certificates(cert_pem)[0]
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, IndexError, x509.ExtensionNotFound):
        return False
    # not_valid_after_utc is cryptography >= 42; older releases give a naive UTC datetime
    end = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    left = end - datetime.datetime.now(datetime.timezone.utc)
    if left < datetime.timedelta(days=renew_days):
        return False
    if not all(h in names.get_values_for_type(x509.DNSName) for h in hosts):
        return False
    for bundle in bundles_b64:
        trusted = [x509.load_pem_x509_certificate(p) for p in bundle_pems(bundle)]
        if not any(t == cert or t.subject == cert.issuer for t in trusted):
            return False
    return True
