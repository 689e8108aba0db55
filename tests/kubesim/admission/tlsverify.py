"""Server-certificate verification in the order and wording of Go's crypto/x509 + crypto/tls.

kube-apiserver verifies a webhook's serving certificate with Go's `Certificate.Verify`:
  1. the leaf's validity period   -> "x509: certificate has expired or is not yet valid: current time
                                       <now> is after <notAfter>" (RFC 3339, UTC)
  2. the host (<svc>.<ns>.svc, or a clientConfig.url host) -> "x509: certificate is valid for a, b, not
                                       <host>"; an IP host is matched against the IP SANs only (RFC 6125
                                       B.2), "x509: cannot validate certificate for <ip> because it doesn't
                                       contain any IP SANs" when there are none
  3. a chain to the caBundle      -> "x509: certificate signed by unknown authority" with the
                                       "(possibly because of ... candidate authority certificate ...)"
                                       hint when a bundle certificate has the issuer's name but does
                                       not verify the signature
  4. extended key usage serverAuth -> "x509: certificate specifies an incompatible key usage"
crypto/tls prefixes the result with "tls: failed to verify certificate: ".

Only leaf-to-bundle chains are built (no intermediates), which is what webhook servers
(istiod, the Linkerd injector, cert-manager issued certs) present in practice.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import ipaddress
import re
import warnings

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_PREFIX = "tls: failed to verify certificate: "
UNKNOWN_AUTHORITY = "x509: certificate signed by unknown authority"
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.S)


class RootsError(Exception):
    """The caBundle cannot be loaded (client-go rootCertPool / createErrorParsingCAData)."""


@functools.lru_cache(maxsize=1)
def _system_roots() -> list[x509.Certificate]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few public roots have non-positive serial numbers
        with open(certifi.where(), "rb") as handle:
            return x509.load_pem_x509_certificates(handle.read())


def load_roots(ca_bundle_pem: bytes) -> list[x509.Certificate]:
    """Certificates from a caBundle; empty bundle means the system trust roots."""
    if not ca_bundle_pem.strip():
        return _system_roots()
    certs: list[x509.Certificate] = []
    for match in _PEM_BLOCK.finditer(ca_bundle_pem):
        if match.group(1) != b"CERTIFICATE":
            continue
        try:
            certs.append(x509.load_der_x509_certificate(base64.b64decode(b"".join(match.group(2).split()))))
        except ValueError as exc:
            raise RootsError(f"unable to load root certificates: failed to parse certificate: {exc}") from exc
    if certs:
        return certs
    if not _PEM_BLOCK.search(ca_bundle_pem):
        raise RootsError("unable to load root certificates: unable to parse bytes as PEM block")
    raise RootsError("unable to load root certificates: no valid certificate authority data seen")


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n) for n in san.get_values_for_type(x509.DNSName)]


def _has_san(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return True
    except x509.ExtensionNotFound:
        return False


def _match_hostname(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def _common_name(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else ""


def _ip_sans(cert: x509.Certificate) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [
        ip
        for ip in san.get_values_for_type(x509.IPAddress)
        if isinstance(ip, (ipaddress.IPv4Address, ipaddress.IPv6Address))
    ]


def _parse_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    # Go's net.IP.Equal treats an IPv4-mapped IPv6 address as the IPv4 address.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _same_ip(
    a: ipaddress.IPv4Address | ipaddress.IPv6Address, b: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> bool:
    if isinstance(b, ipaddress.IPv6Address) and b.ipv4_mapped is not None:
        b = b.ipv4_mapped
    return a == b


def hostname_error(cert: x509.Certificate, host: str) -> str | None:
    """x509.HostnameError text (Certificate.VerifyHostname), or None when the certificate is valid for host."""
    # IP addresses may be written in [ ].
    if len(host) >= 3 and host[0] == "[" and host[-1] == "]":
        candidate = host[1:-1]
    else:
        candidate = host
    ip = _parse_ip(candidate)
    if ip is not None:
        ips = _ip_sans(cert)
        if any(_same_ip(ip, san) for san in ips):
            return None
        host = candidate
    else:
        ips = []
        if any(_match_hostname(n, host) for n in _dns_names(cert)):
            return None
    # HostnameError.Error()
    if not _has_san(cert) and _common_name(cert) and _match_hostname(_common_name(cert), host):
        return "x509: certificate relies on legacy Common Name field, use SANs instead"
    if ip is not None:
        if not ips:
            return f"x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
        valid = ", ".join(str(san) for san in ips)
    else:
        valid = ", ".join(_dns_names(cert))
    if not valid:
        return f"x509: certificate is not valid for any names, but wanted to match {host}"
    return f"x509: certificate is valid for {valid}, not {host}"


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _signature_error(child: x509.Certificate, parent: x509.Certificate) -> str | None:
    """CheckSignatureFrom: a parent must be a CA, then the signature must verify."""
    if not _is_ca(parent):
        return "x509: invalid signature: parent certificate cannot sign this kind of certificate"
    try:
        child.verify_directly_issued_by(parent)
        return None
    except InvalidSignature:
        key = parent.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            return "crypto/rsa: verification error"
        if isinstance(key, ec.EllipticCurvePublicKey):
            return "x509: ECDSA verification failure"
        return "x509: signature verification failure"
    except (ValueError, TypeError):
        return "x509: signature algorithm mismatch"


def _validity_error(cert: x509.Certificate, now: dt.datetime) -> str | None:
    if now < cert.not_valid_before_utc:
        return (
            f"x509: certificate has expired or is not yet valid: current time {_rfc3339(now)} "
            f"is before {_rfc3339(cert.not_valid_before_utc)}"
        )
    if now > cert.not_valid_after_utc:
        return (
            f"x509: certificate has expired or is not yet valid: current time {_rfc3339(now)} "
            f"is after {_rfc3339(cert.not_valid_after_utc)}"
        )
    return None


def _hint_name(cert: x509.Certificate) -> str:
    name = _common_name(cert)
    if not name:
        orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        name = str(orgs[0].value) if orgs else f"serial:{cert.serial_number}"
    return name


def _chain_error(leaf: x509.Certificate, roots: list[x509.Certificate], now: dt.datetime) -> str | None:
    if any(root == leaf for root in roots):
        return None
    hint: tuple[str, x509.Certificate] | None = None
    for root in roots:
        if root.subject != leaf.issuer:
            continue
        problem = _signature_error(leaf, root) or _validity_error(root, now)
        if problem is None:
            return None
        if hint is None:
            hint = (problem, root)
    if hint is None:
        return UNKNOWN_AUTHORITY
    problem, root = hint
    return (
        f'{UNKNOWN_AUTHORITY} (possibly because of "{problem}" while trying to verify '
        f'candidate authority certificate "{_hint_name(root)}")'
    )


def _key_usage_error(leaf: x509.Certificate) -> str | None:
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if ExtendedKeyUsageOID.SERVER_AUTH in usages or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usages:
        return None
    return "x509: certificate specifies an incompatible key usage"


def verify_server_certificate(
    leaf_der: bytes, roots: list[x509.Certificate], host: str, now: dt.datetime | None = None
) -> str | None:
    """The error kube-apiserver's TLS client reports for this certificate, or None when valid."""
    now = now or dt.datetime.now(dt.timezone.utc)
    leaf = x509.load_der_x509_certificate(leaf_der)
    problem = (
        _validity_error(leaf, now)
        or hostname_error(leaf, host)
        or _chain_error(leaf, roots, now)
        or _key_usage_error(leaf)
    )
    return TLS_PREFIX + problem if problem else None
