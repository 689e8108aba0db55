"""Test certificates: real X.509 built with `cryptography`; private keys never leave this process.

Validity windows are fixed dates, so the snapshots diagnose the same way whenever they are read:
`valid_from(...)` certificates last until the end of 2049, expired ones end on a date in the past.
Keys and serials are derived from the case id and the order certificates are made in, and ECDSA
signatures are deterministic (RFC 6979), so a rebuild reproduces every certificate byte for byte.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from typing import Optional, Sequence, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

UTC = datetime.timezone.utc
END_OF_TIME = datetime.datetime(2049, 12, 31, tzinfo=UTC)  # last UTCTime; far beyond any test run

Window = Tuple[datetime.datetime, datetime.datetime]

# P-256 group order: derived private scalars must lie in [1, order - 1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class _Sequence(object):
    case = ""
    count = 0


def start_case(case: str) -> None:
    """Restart the key sequence, so one case builds the same alone or with the whole corpus."""
    _Sequence.case = case
    _Sequence.count = 0


def _derived(label: str, what: str) -> int:
    _Sequence.count += 1 if what == "key" else 0
    text = "%s/%d/%s/%s" % (_Sequence.case, _Sequence.count, label, what)
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def day(text: str) -> datetime.datetime:
    """`2020-05-15` -> that midnight UTC."""
    return datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)


def valid_from(start: str) -> Window:
    return (day(start), END_OF_TIME)


def expired(start: str, end: str) -> Window:
    return (day(start), day(end))


class Authority(object):
    """A key pair and its certificate, self-signed or issued by `issuer`."""

    def __init__(
        self,
        common_name: str,
        window: Window,
        issuer: Optional["Authority"] = None,
        sans: Sequence[str] = (),
        is_ca: bool = True,
        org: str = "",
    ) -> None:
        self._key = ec.derive_private_key(_derived(common_name, "key") % (_P256_ORDER - 1) + 1, ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
        if org:
            attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
        subject = x509.Name(attrs)
        signer = issuer or self
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.cert.subject if issuer else subject)
            .public_key(self._key.public_key())
            .serial_number(_derived(common_name, "serial") >> 97)  # positive, at most 159 bits
            .not_valid_before(window[0])
            .not_valid_after(window[1])
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), False)
        self.cert: x509.Certificate = builder.sign(signer._key, hashes.SHA256(), ecdsa_deterministic=True)

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def b64(self) -> str:
        return b64(self.pem)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def serving(host: str, window: Window, issuer: Optional[Authority] = None) -> Authority:
    """A webhook serving certificate for `<service>.<namespace>.svc` (self-signed when no issuer)."""
    return Authority(host, window, issuer=issuer, sans=(host,), is_ca=issuer is None)
