# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read kube-apiserver admission errors out of event messages (SI303, SI307, SI5xx).

A rejected pod create becomes a `FailedCreate` Warning event on its controller whose message is
`Error creating: <the API server's error>`. The shapes (k8s.io/apiserver admission plugins):

* webhook call failed (failurePolicy Fail): `Internal error occurred: failed calling webhook "<name>":
  failed to call webhook: Post "<url>": <Go net/http or TLS error>` (before ~1.23: no `failed to call
  webhook:` and the URL unquoted);
* webhook denied: `admission webhook "<name>" denied the request: <message>` (or `... denied the request
  without explanation`);
* Pod Security admission: `pods "<name>" is forbidden: violates PodSecurity "<level>:<version>": <checks>`;
* ResourceQuota: `... exceeded quota: <quota>, requested: ..., used: ..., limited: ...` and
  `... failed quota: <quota>: must specify limits.cpu for: istio-proxy`;
* LimitRanger: `maximum cpu usage per Container is 1, but limit is 2`, `... No limit is specified`,
  `minimum ...`, `cpu max limit to request ratio per Container is ...`;
* PodSecurityPolicy (<= 1.24): `unable to validate against any pod security policy: [...]`;
  OpenShift SCC: `unable to validate against any security context constraint: [...]`.

Webhook-call failure classes (the Go error at the end of the message decides):
timeout, connection-refused, no-endpoints, x509-unknown-authority, x509-expired, x509-wrong-name,
address-not-allowed, service-unavailable, eof, other. `x509-wrong-name` is kept apart from
unknown-authority because its fix differs: the serving certificate's SANs (SI406), not the caBundle.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

CALL_FAILURE_CLASSES = (
    "timeout",
    "connection-refused",
    "no-endpoints",
    "x509-unknown-authority",
    "x509-expired",
    "x509-wrong-name",
    "address-not-allowed",
    "service-unavailable",
    "eof",
    "other",
)

# (class, pattern) in priority order: the first match wins. Patterns are on the Go error text.
_CLASS_PATTERNS = (
    ("x509-expired", re.compile(r"x509: certificate has expired or is not yet valid", re.I)),
    (
        "x509-wrong-name",
        re.compile(
            r"x509: certificate is valid for|x509: certificate is not valid for any names"
            r"|x509: cannot validate certificate for|x509: certificate relies on legacy Common Name",
            re.I,
        ),
    ),
    (
        "x509-unknown-authority",
        re.compile(
            r"x509: certificate signed by unknown authority|x509: .*unknown authority"
            r"|certificate verify failed",
            re.I,
        ),
    ),
    ("address-not-allowed", re.compile(r"address is not allowed|address not allowed", re.I)),
    ("no-endpoints", re.compile(r"no endpoints available for service", re.I)),
    ("connection-refused", re.compile(r"connection refused", re.I)),
    (
        "timeout",
        re.compile(
            r"context deadline exceeded|i/o timeout|Client\.Timeout exceeded|TLS handshake timeout"
            r"|request canceled while waiting for connection|timeout awaiting response headers",
            re.I,
        ),
    ),
    (
        "service-unavailable",
        re.compile(
            r"service \"[^\"]*\" not found|no service port|the server is currently unable to handle the request"
            r"|service unavailable|\b503 Service Unavailable|status code 503",
            re.I,
        ),
    ),
    ("eof", re.compile(r"(?:^|[:\s])(?:unexpected )?EOF\s*$|connection reset by peer|broken pipe", re.I)),
)

_CALL = re.compile(r"failed calling (?:admission )?webhook \"(?P<webhook>[^\"]+)\": (?P<rest>.*)$", re.S)
_URL = re.compile(r"(?:Post|POST)\s+\"?(?P<url>https?://[^\"\s]+?)\"?:\s")
_DENIED = re.compile(
    r"admission webhook \"(?P<webhook>[^\"]+)\" denied the request(?::\s*(?P<reason>.*)|\s+without explanation)", re.S
)
_POD_SECURITY = re.compile(r"violates PodSecurity \"(?P<level>[a-z]+):(?P<version>[^\"]+)\": (?P<checks>.*)$", re.S)
_EXCEEDED_QUOTA = re.compile(
    r"exceeded quota: (?P<quota>[^,]+), requested: (?P<requested>.*?), used: "
    r"(?P<used>.*?), limited: (?P<limited>.*)$",
    re.S,
)
_MUST_SPECIFY = re.compile(r"failed quota: (?P<quota>[^:]+): must specify (?P<what>.*)$", re.S)
_LIMITRANGE = re.compile(
    r"(?P<bound>minimum|maximum) (?P<resource>[\w./-]+) usage per (?P<type>Container|Pod|PersistentVolumeClaim) is"
    r"|(?P<ratio_resource>[\w./-]+) max limit to request ratio per (?P<ratio_type>Container|Pod) is"
)
_PSP = re.compile(r"unable to validate against any pod security policy", re.I)
_SCC = re.compile(r"unable to validate against any security context constraint", re.I)
_CONTAINER = re.compile(r"container \"(?P<name>[^\"]+)\"")
_CAPABILITY = re.compile(r"\b(NET_ADMIN|NET_RAW|SYS_ADMIN|NET_BIND_SERVICE)\b")
_FORBIDDEN_POD = re.compile(r"pods \"(?P<pod>[^\"]*)\" is forbidden")

INIT_CONTAINERS = ("istio-init", "linkerd-init", "istio-validation", "linkerd-network-validator")
PROXY_CONTAINERS = ("istio-proxy", "linkerd-proxy")


def strip_prefix(message: str) -> str:
    """The API server's error without the controller's `Error creating: ` prefix."""
    text = (message or "").strip()
    for prefix in ("Error creating: ", "Error creating:"):
        if text.startswith(prefix):
            return text[len(prefix) :].strip()
    return text


def failure_class(error_text: str) -> str:
    for name, pattern in _CLASS_PATTERNS:
        if pattern.search(error_text or ""):
            return name
    return "other"


def classify_call_failure(message: str) -> Optional[Dict[str, Any]]:
    """{"class", "webhook", "url", "error", "message"} for a failed webhook call, else None.
    `error` is the Go error after the URL (what decides the class); `message` the whole text."""
    text = strip_prefix(message)
    match = _CALL.search(text)
    if not match:
        return None
    rest = match.group("rest")
    url_match = _URL.search(rest)
    url = url_match.group("url") if url_match else ""
    error = rest[url_match.end() :] if url_match else rest
    if error.startswith("failed to call webhook: "):
        error = error[len("failed to call webhook: ") :]
    return {
        "class": failure_class(rest),
        "webhook": match.group("webhook"),
        "url": url,
        "error": error.strip(),
        "message": text,
    }


def containers_named(text: str) -> List[str]:
    seen: List[str] = []
    for match in _CONTAINER.finditer(text or ""):
        if match.group("name") not in seen:
            seen.append(match.group("name"))
    return seen


def capabilities_named(text: str) -> List[str]:
    return sorted(set(_CAPABILITY.findall(text or "")))


def classify_rejection(message: str) -> Optional[Dict[str, Any]]:
    """What rejected a pod create, from an event message. Returns a dict with `kind` one of
    webhook-call-failed, webhook-denied, pod-security, quota-exceeded, quota-must-specify,
    limitrange, psp, scc; plus the parsed fields and `message` (prefix stripped); None otherwise."""
    text = strip_prefix(message)
    if not text:
        return None
    call = classify_call_failure(text)
    if call:
        call["kind"] = "webhook-call-failed"
        return call
    pod_match = _FORBIDDEN_POD.search(text)
    result: Dict[str, Any] = {
        "message": text,
        "pod": pod_match.group("pod") if pod_match else "",
        "containers": containers_named(text),
        "capabilities": capabilities_named(text),
    }
    denied = _DENIED.search(text)
    if denied:
        result.update(
            kind="webhook-denied", webhook=denied.group("webhook"), reason=(denied.group("reason") or "").strip()
        )
        return result
    psa = _POD_SECURITY.search(text)
    if psa:
        result.update(
            kind="pod-security",
            level=psa.group("level"),
            version=psa.group("version"),
            reason=psa.group("checks").strip(),
        )
        return result
    quota = _EXCEEDED_QUOTA.search(text)
    if quota:
        result.update(
            kind="quota-exceeded",
            quota=quota.group("quota").strip(),
            requested=quota.group("requested").strip(),
            used=quota.group("used").strip(),
            limited=quota.group("limited").strip(),
        )
        return result
    must = _MUST_SPECIFY.search(text)
    if must:
        result.update(kind="quota-must-specify", quota=must.group("quota").strip(), reason=must.group("what").strip())
        return result
    if _LIMITRANGE.search(text):
        result.update(kind="limitrange", reason=text)
        return result
    if _PSP.search(text):
        result.update(kind="psp", reason=text)
        return result
    if _SCC.search(text):
        result.update(kind="scc", reason=text)
        return result
    return None


def touches_mesh_init(rejection: Dict[str, Any]) -> bool:
    """True when the rejection is about the mesh's traffic-redirect init container or its
    capabilities (NET_ADMIN/NET_RAW), i.e. the SI501 case rather than a generic policy denial."""
    names = set(rejection.get("containers") or [])
    if names & set(INIT_CONTAINERS):
        return True
    text = rejection.get("message") or ""
    return any(name in text for name in INIT_CONTAINERS) or bool(
        {"NET_ADMIN", "NET_RAW"} & set(rejection.get("capabilities") or [])
    )


_INIT_BY_INDEX = re.compile(r"initContainers\[\d+\]")
_ROOT_INIT = re.compile(
    r"initContainers\[\d+\]\.(?:securityContext\.)?runAs(?:User: Invalid value: 0\b|NonRoot: Invalid value: false)"
)


def init_by_index_needs_mesh_privileges(rejection: Dict[str, Any]) -> bool:
    """PodSecurityPolicy and OpenShift SCC name the rejected container by index
    (`spec.initContainers[0].securityContext.capabilities.add: Invalid value: "NET_ADMIN"`,
    `.initContainers[0].runAsUser: Invalid value: 0`): an init container asking for what the mesh's
    traffic-redirect init container asks (NET_ADMIN/NET_RAW, UID 0). Whether the pod is meshed is
    the caller's question (namespace or workload intent)."""
    text = rejection.get("message") or rejection.get("reason") or ""
    if not _INIT_BY_INDEX.search(text):
        return False
    return bool({"NET_ADMIN", "NET_RAW"} & set(rejection.get("capabilities") or [])) or bool(_ROOT_INIT.search(text))


def touches_mesh_proxy(rejection: Dict[str, Any]) -> bool:
    text = rejection.get("message") or ""
    return any(name in text for name in PROXY_CONTAINERS + INIT_CONTAINERS)
