# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate facts and checks for webhook TLS and mesh CAs (SI401-SI407).

Only public certificates are handled here; nothing reads, returns or logs key material.
Verification follows what the API server does, because the API server (Go crypto/tls) is the client
that must trust the injector: ServerName `<service>.<namespace>.svc`, roots = the webhook's caBundle,
intermediates = the rest of the served chain. Go's order of checks is kept so the error we report is
the one the API server reports: leaf validity window, then host name (SANs only, no Common Name
fallback), then the chain (a leaf that is itself in the root pool verifies, which is how Linkerd's
self-signed Helm certificate works), then the leaf's extended key usage (serverAuth).
The chain is verified with cryptography's x509 verification API (rustls-webpki lineage) under a
permissive extension policy; when that refuses, a Go-semantics walk decides, because several
certificates Go accepts (no AuthorityKeyIdentifier, v1 roots) are refused by a strict verifier.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    try:
        from cryptography.x509 import verification as x509_verification
    except ImportError:  # no verification API: the Go-semantics walk alone decides
        x509_verification = None  # type: ignore[assignment]
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR: Optional[str] = None
except ImportError as exc:  # pragma: no cover - exercised only without the library
    x509 = None  # type: ignore[assignment]
    x509_verification = None  # type: ignore[assignment]
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = str(exc)

MISSING_LIBRARY = "the Python 'cryptography' library is required for certificate checks"

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.S)
_MAX_CHAIN = 10


def utc(value: datetime.datetime) -> datetime.datetime:
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def iso(value: datetime.datetime) -> str:
    """RFC 3339 in UTC with a Z, the format Go (and kubectl) print."""
    return utc(value).astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- decoding -----------------------------------------------------------------------------------


def decode_ca_bundle(value: Any) -> Tuple[Optional[bytes], Optional[str]]:
    """(PEM bytes, None) from a webhook caBundle (base64 in JSON/YAML; raw PEM is accepted too),
    or (None, reason) when it is empty or not base64."""
    if value is None or value == "" or value == b"":
        return None, "caBundle is empty"
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    text = str(value).strip()
    if "-----BEGIN" in text:
        return text.encode("utf-8"), None
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        return None, "caBundle is not valid base64 (%s)" % exc
    if not raw.strip():
        return None, "caBundle is empty"
    return raw, None


def parse_pem_bundle(data: Any) -> Dict[str, Any]:
    """{"certs": [Certificate], "error": str|None, "skipped": [block types]} from PEM text.

    Non-CERTIFICATE blocks (e.g. a key pasted by mistake) are skipped and only their type is kept.
    The error names what is wrong: no PEM at all, no certificate block, or a block that does not parse."""
    if not HAS_CRYPTOGRAPHY:
        return {"certs": [], "error": MISSING_LIBRARY, "skipped": []}
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    text = data or ""
    blocks = _PEM_BLOCK.findall(text)
    if not blocks:
        return {"certs": [], "error": "not a PEM certificate (no PEM block found)", "skipped": []}
    certs: List[Any] = []
    skipped: List[str] = []
    for index, (kind, body) in enumerate(blocks):
        if kind != "CERTIFICATE":
            skipped.append(kind)
            continue
        pem = "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % body
        try:
            certs.append(x509.load_pem_x509_certificate(pem.encode("ascii")))
        except (ValueError, UnicodeEncodeError) as exc:
            return {
                "certs": certs,
                "error": "PEM block %d is not a valid certificate (%s)" % (index + 1, exc),
                "skipped": skipped,
            }
    if not certs:
        return {"certs": [], "error": "no CERTIFICATE block (found: %s)" % ", ".join(skipped), "skipped": skipped}
    return {"certs": certs, "error": None, "skipped": skipped}


def parse_ca_bundle(value: Any) -> Dict[str, Any]:
    """decode_ca_bundle + parse_pem_bundle: {"certs", "error", "skipped"}."""
    pem, error = decode_ca_bundle(value)
    if error:
        return {"certs": [], "error": error, "skipped": []}
    return parse_pem_bundle(pem)


def secret_pems(secret: Mapping[str, Any]) -> Dict[str, str]:
    """Public PEM text per data key of a Secret. Snapshot secrets carry `certificates` ({key: PEM});
    a raw Secret's `data` is decoded and only CERTIFICATE blocks of it are kept."""
    pems: Dict[str, str] = {}
    stored = secret.get("certificates")
    if isinstance(stored, Mapping):
        for key, value in stored.items():
            if isinstance(value, (list, tuple)):
                value = "\n".join(str(v) for v in value)
            if value:
                pems[key] = str(value)
        return pems
    for key, value in (secret.get("data") or {}).items():
        try:
            text = base64.b64decode(value or "").decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            continue
        blocks = [
            "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----" % body
            for kind, body in _PEM_BLOCK.findall(text)
            if kind == "CERTIFICATE"
        ]
        if blocks:
            pems[key] = "\n".join(blocks) + "\n"
    return pems


def secret_certificates(secret: Mapping[str, Any], keys: Sequence[str]) -> Tuple[Optional[str], Dict[str, Any]]:
    """(data key used, parse result) for the first of `keys` the Secret holds; (None, error) if none."""
    pems = secret_pems(secret)
    for key in keys:
        if key in pems:
            return key, parse_pem_bundle(pems[key])
    return None, {"certs": [], "error": "no certificate under %s" % " or ".join(keys), "skipped": []}


# ---- facts --------------------------------------------------------------------------------------


def fingerprint(cert: Any) -> str:
    """SHA-256 of the DER, as `openssl x509 -noout -fingerprint -sha256` prints it."""
    return ":".join("%02X" % b for b in cert.fingerprint(hashes.SHA256()))


def serial_hex(cert: Any) -> str:
    """Serial number as `openssl x509 -noout -serial`'s lower-case colon form (e.g. 0c:7b:ad)."""
    raw = "%x" % cert.serial_number
    if len(raw) % 2:
        raw = "0" + raw
    return ":".join(raw[i : i + 2] for i in range(0, len(raw), 2))


def dns_names(cert: Any) -> List[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return list(san.get_values_for_type(x509.DNSName))


def ip_sans(cert: Any) -> List[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def has_san_extension(cert: Any) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return False
    return True


def common_name(cert: Any) -> str:
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def is_ca(cert: Any) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def key_description(cert: Any) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA %d" % key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ECDSA %s" % {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(
            key.curve.name, key.curve.name
        )
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA %d" % key.key_size
    return type(key).__name__


def cert_facts(cert: Any) -> Dict[str, Any]:
    """What evidence shows about a certificate: never key material, only public facts."""
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": serial_hex(cert),
        "not_before": iso(cert.not_valid_before_utc),
        "not_after": iso(cert.not_valid_after_utc),
        "dns_names": dns_names(cert),
        "ip_addresses": ip_sans(cert),
        "sha256": fingerprint(cert),
        "is_ca": is_ca(cert),
        "self_signed": cert.subject == cert.issuer,
        "key": key_description(cert),
    }


def validity(cert: Any, now: datetime.datetime, warning_days: int) -> Dict[str, Any]:
    """{"state": valid|expiring|expired|not-yet-valid, "days_left": int, "not_after": iso}.
    `expiring` = still valid but NotAfter falls inside now + warning_days (linkerd check's rule)."""
    now = utc(now)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    days_left = int((not_after - now).total_seconds() // 86400)
    if now < not_before:
        state = "not-yet-valid"
    elif now > not_after:
        state = "expired"
    elif now + datetime.timedelta(days=warning_days) > not_after:
        state = "expiring"
    else:
        state = "valid"
    return {"state": state, "days_left": days_left, "not_before": iso(not_before), "not_after": iso(not_after)}


# ---- host names (Go crypto/x509 VerifyHostname) ---------------------------------------------------


def service_dns_name(service: str, namespace: str) -> str:
    """The TLS ServerName the API server uses for a service-referenced webhook."""
    return "%s.%s.svc" % (service, namespace)


def _match_hostname(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if not pattern or not host:
        return False
    p_labels, h_labels = pattern.split("."), host.split(".")
    if len(p_labels) != len(h_labels):
        return False
    for index, (p, h) in enumerate(zip(p_labels, h_labels)):
        if index == 0 and p == "*":
            continue  # a wildcard covers exactly one left-most label
        if p != h:
            return False
    return True


def hostname_error(cert: Any, host: str) -> Optional[str]:
    """None when the certificate is valid for `host`, else Go's exact HostnameError text."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        ips = ip_sans(cert)
        if any(ipaddress.ip_address(ip) == address for ip in ips):
            return None
        if not ips:
            return "x509: cannot validate certificate for %s because it doesn't contain any IP SANs" % host
        return "x509: certificate is valid for %s, not %s" % (", ".join(ips), host)
    names = dns_names(cert)
    if any(_match_hostname(name, host) for name in names):
        return None
    if not has_san_extension(cert) and _match_hostname(common_name(cert), host):
        return "x509: certificate relies on legacy Common Name field, use SANs instead"
    if not names:
        return "x509: certificate is not valid for any names, but wanted to match %s" % host
    return "x509: certificate is valid for %s, not %s" % (", ".join(names), host)


def covers(cert: Any, host: str) -> bool:
    return hostname_error(cert, host) is None


# ---- chains (Go crypto/x509 Verify semantics) -----------------------------------------------------


def _time_error(cert: Any, now: datetime.datetime) -> Optional[str]:
    if now < cert.not_valid_before_utc:
        return "x509: certificate has expired or is not yet valid: current time %s is before %s" % (
            iso(now),
            iso(cert.not_valid_before_utc),
        )
    if now > cert.not_valid_after_utc:
        return "x509: certificate has expired or is not yet valid: current time %s is after %s" % (
            iso(now),
            iso(cert.not_valid_after_utc),
        )
    return None


def _may_sign(parent: Any) -> bool:
    """Go's CheckSignatureFrom precondition: a v3 parent must be a CA (basicConstraints cA) and, with
    keyUsage present, allow keyCertSign. v1 certificates (no extensions) may sign."""
    if parent.version == x509.Version.v3:
        try:
            constraints = parent.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            return False
        if not constraints.ca:
            return False
    try:
        usage = parent.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(usage.key_cert_sign)


def _signed_by(child: Any, parent: Any) -> bool:
    if child.issuer != parent.subject or not _may_sign(parent):
        return False
    try:
        child.verify_directly_issued_by(parent)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _build(
    cert: Any, intermediates: Sequence[Any], roots: Sequence[Any], now: Optional[datetime.datetime], seen: List[Any]
) -> Tuple[Optional[List[Any]], Optional[str]]:
    """Depth-first chain from `cert` up to a root. Returns (chain, None) or (None, first time error)."""
    time_error: Optional[str] = None
    if len(seen) > _MAX_CHAIN:
        return None, None
    for root in roots:
        if _signed_by(cert, root):
            error = _time_error(root, now) if now else None
            if error is None:
                return seen + [root], None
            time_error = time_error or error
    for parent in intermediates:
        if parent in seen or not _signed_by(cert, parent):
            continue
        error = _time_error(parent, now) if now else None
        if error:
            time_error = time_error or error
            continue
        chain, deeper = _build(parent, intermediates, roots, now, seen + [parent])
        if chain:
            return chain, None
        time_error = time_error or deeper
    return None, time_error


def chain_to_roots(
    leaf: Any, intermediates: Sequence[Any], roots: Sequence[Any], now: Optional[datetime.datetime] = None
) -> Dict[str, Any]:
    """Does `leaf` chain to one of `roots` (Go semantics)? Time is ignored unless `now` is given.
    {"ok": bool, "chain": [facts], "error": Go-style text or None, "via": "root-pool"|"chain"}."""
    if not HAS_CRYPTOGRAPHY:
        return {"ok": False, "chain": [], "error": MISSING_LIBRARY, "via": None}
    if not roots:
        return {"ok": False, "chain": [], "error": "no root certificates to verify against", "via": None}
    if any(leaf == root for root in roots):
        return {"ok": True, "chain": [cert_facts(leaf)], "error": None, "via": "root-pool"}
    chain, time_error = _build(leaf, [c for c in intermediates if c != leaf], roots, utc(now) if now else None, [leaf])
    if chain:
        return {"ok": True, "chain": [cert_facts(c) for c in chain], "error": None, "via": "chain"}
    return {
        "ok": False,
        "chain": [],
        "error": time_error or "x509: certificate signed by unknown authority",
        "via": None,
    }


def _strict_verify(
    leaf: Any, intermediates: Sequence[Any], roots: Sequence[Any], host: str, now: datetime.datetime
) -> Optional[bool]:
    """cryptography's path validation with a permissive extension policy; None when unavailable
    (extension policies arrived in cryptography 45; the Go-semantics walk alone decides before)."""
    if getattr(x509_verification, "ExtensionPolicy", None) is None or not has_san_extension(leaf):
        return None
    policy = x509_verification.ExtensionPolicy
    criticality = x509_verification.Criticality.AGNOSTIC
    try:
        builder = (
            x509_verification.PolicyBuilder()
            .store(x509_verification.Store(list(roots)))
            .time(now)
            .extension_policies(
                ca_policy=policy.permit_all().require_present(x509.BasicConstraints, criticality, None),
                ee_policy=policy.permit_all().require_present(x509.SubjectAlternativeName, criticality, None),
            )
        )
        try:
            subject: Any = x509_verification.DNSName(host)
        except ValueError:
            subject = x509_verification.IPAddress(ipaddress.ip_address(host))
        builder.build_server_verifier(subject).verify(leaf, list(intermediates))
    except x509_verification.VerificationError:
        return False
    except (ValueError, TypeError, AttributeError):
        return None
    return True


def _server_auth_error(leaf: Any) -> Optional[str]:
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if ExtendedKeyUsageOID.SERVER_AUTH in usages or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usages:
        return None
    return "x509: certificate specifies an incompatible key usage"


def verify_server(chain: Sequence[Any], roots: Sequence[Any], host: str, now: datetime.datetime) -> Dict[str, Any]:
    """Would a Go TLS client with RootCAs=`roots` and ServerName=`host` accept the served `chain`
    (leaf first) at `now`? {"ok", "class", "error", "chain", "strict"}:
    class ok|expired|not-yet-valid|wrong-name|unknown-authority|bad-usage|no-roots|no-certificate;
    error is the Go error text the API server would log; strict says whether cryptography's strict
    RFC 5280 verifier agrees (None when it could not be asked)."""
    if not HAS_CRYPTOGRAPHY:
        return {"ok": False, "class": "unavailable", "error": MISSING_LIBRARY, "chain": [], "strict": None}
    if not chain:
        return {"ok": False, "class": "no-certificate", "error": "no serving certificate", "chain": [], "strict": None}
    now = utc(now)
    leaf, intermediates = chain[0], list(chain[1:])
    error = _time_error(leaf, now)
    if error:
        state = "not-yet-valid" if now < leaf.not_valid_before_utc else "expired"
        return {"ok": False, "class": state, "error": error, "chain": [cert_facts(leaf)], "strict": None}
    error = hostname_error(leaf, host)
    if error:
        return {"ok": False, "class": "wrong-name", "error": error, "chain": [cert_facts(leaf)], "strict": None}
    if not roots:
        return {
            "ok": False,
            "class": "no-roots",
            "error": "x509: certificate signed by unknown authority",
            "chain": [],
            "strict": None,
        }
    strict = _strict_verify(leaf, intermediates, roots, host, now)
    walked = chain_to_roots(leaf, intermediates, roots, now)
    if not walked["ok"]:
        expired = walked["error"].startswith("x509: certificate has expired")
        return {
            "ok": False,
            "class": "expired" if expired else "unknown-authority",
            "error": walked["error"],
            "chain": [cert_facts(leaf)],
            "strict": strict,
        }
    error = _server_auth_error(leaf)
    if error:
        return {"ok": False, "class": "bad-usage", "error": error, "chain": walked["chain"], "strict": strict}
    return {"ok": True, "class": "ok", "error": None, "chain": walked["chain"], "strict": strict}


def same_certificates(first: Sequence[Any], second: Sequence[Any]) -> List[str]:
    """SHA-256 fingerprints present in both lists (order of `first`)."""
    other = {fingerprint(c) for c in second}
    return [fingerprint(c) for c in first if fingerprint(c) in other]
