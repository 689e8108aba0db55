"""Pod Security admission for pods (k8s.io/pod-security-admission), the checks sidecar injection trips.

Namespace labels `pod-security.kubernetes.io/{enforce,warn}[-version]` choose the level (privileged,
baseline, restricted; an invalid level counts as restricted, like PolicyToEvaluate). Enforce rejects
with `pods "x" is forbidden: violates PodSecurity "baseline:latest": <reason> (<detail>), ...`; warn
adds `would violate PodSecurity ...` warnings. Only pods are enforced (workload templates are only
warned/audited by kube, which we skip); metadata-only pod updates are not re-checked.

Checks run in the order kube registers them (file-name order of pod-security-admission/policy):
baseline host namespaces, privileged; then for baseline the capabilities check, for restricted
allowPrivilegeEscalation, capabilities, runAsNonRoot, runAsUser, seccompProfile. Checks for
AppArmor, hostPath/hostPort, procMount, SELinux, sysctls, volume types and Windows are not simulated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.kubesim.admission import messages
from tests.kubesim.admission.attributes import Attributes
from tests.kubesim.admission.podspec import containers
from tests.kubesim.admission.resolver import maybe_await

LEVELS = ("privileged", "baseline", "restricted")
BASELINE_CAPS = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}

Result = tuple[str, str] | None  # (forbidden reason, detail) or None when allowed


def _quote(items: list[str]) -> str:
    return '"' + '", "'.join(items) + '"' if items else ""


def _plural(count: int, one: str = "container", many: str = "containers") -> str:
    return one if count == 1 else many


def _sc(container: dict) -> dict:
    return container.get("securityContext") or {}


def host_namespaces(spec: dict) -> Result:
    used = [f"{k}=true" for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    return ("host namespaces", ", ".join(used)) if used else None


def privileged(spec: dict) -> Result:
    bad = [c.get("name", "") for c in containers({"spec": spec}) if _sc(c).get("privileged") is True]
    if bad:
        return "privileged", f"{_plural(len(bad))} {_quote(bad)} must not set securityContext.privileged=true"
    return None


def capabilities_baseline(spec: dict) -> Result:
    bad: list[str] = []
    caps: set[str] = set()
    for c in containers({"spec": spec}):
        added = [str(x) for x in (_sc(c).get("capabilities") or {}).get("add") or []]
        extra = [x for x in added if x not in BASELINE_CAPS]
        if extra:
            bad.append(c.get("name", ""))
            caps.update(extra)
    if bad:
        return (
            "non-default capabilities",
            f"{_plural(len(bad))} {_quote(bad)} must not include "
            f"{_quote(sorted(caps))} in securityContext.capabilities.add",
        )
    return None


def allow_privilege_escalation(spec: dict) -> Result:
    bad = [c.get("name", "") for c in containers({"spec": spec}) if _sc(c).get("allowPrivilegeEscalation") is not False]
    if bad:
        return (
            "allowPrivilegeEscalation != false",
            f"{_plural(len(bad))} {_quote(bad)} must set securityContext.allowPrivilegeEscalation=false",
        )
    return None


def capabilities_restricted(spec: dict) -> Result:
    no_drop: list[str] = []
    adding: list[str] = []
    caps: set[str] = set()
    for c in containers({"spec": spec}):
        cap = _sc(c).get("capabilities")
        if cap is None:
            no_drop.append(c.get("name", ""))
            continue
        if "ALL" not in (cap.get("drop") or []):
            no_drop.append(c.get("name", ""))
        extra = [str(x) for x in cap.get("add") or [] if x != "NET_BIND_SERVICE"]
        if extra:
            adding.append(c.get("name", ""))
            caps.update(extra)
    details = []
    if no_drop:
        details.append(f'{_plural(len(no_drop))} {_quote(no_drop)} must set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(
            f"{_plural(len(adding))} {_quote(adding)} must not include {_quote(sorted(caps))} "
            f"in securityContext.capabilities.add"
        )
    return ("unrestricted capabilities", "; ".join(details)) if details else None


def _pod_and_containers(
    spec: dict, field_name: str, bad_value: Callable[[Any], bool], good_value: Callable[[Any], bool]
) -> tuple[list[str], list[str], bool]:
    """(explicit bad setters incl. "pod", containers that rely on an unset pod value, pod sets a good value)."""
    setters: list[str] = []
    pod_value = (spec.get("securityContext") or {}).get(field_name)
    pod_good = pod_value is not None and good_value(pod_value)
    if pod_value is not None and bad_value(pod_value):
        setters.append("pod")
    explicit: list[str] = []
    implicit: list[str] = []
    for c in containers({"spec": spec}):
        value = _sc(c).get(field_name)
        if value is not None:
            if bad_value(value):
                explicit.append(c.get("name", ""))
        elif not pod_good:
            implicit.append(c.get("name", ""))
    if explicit:
        setters.append(f"{_plural(len(explicit))} {_quote(explicit)}")
    return setters, implicit, pod_good


def run_as_non_root(spec: dict) -> Result:
    setters, implicit, _ = _pod_and_containers(spec, "runAsNonRoot", lambda v: v is False, lambda v: v is True)
    if setters:
        return "runAsNonRoot != true", f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false"
    if implicit:
        return (
            "runAsNonRoot != true",
            f"pod or {_plural(len(implicit))} {_quote(implicit)} must set securityContext.runAsNonRoot=true",
        )
    return None


def run_as_user(spec: dict) -> Result:
    setters: list[str] = []
    if (spec.get("securityContext") or {}).get("runAsUser") == 0:
        setters.append("pod")
    bad = [c.get("name", "") for c in containers({"spec": spec}) if _sc(c).get("runAsUser") == 0]
    if bad:
        setters.append(f"{_plural(len(bad))} {_quote(bad)}")
    if setters:
        return "runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0"
    return None


def _seccomp_type(profile: Any) -> Any:
    return profile.get("type") if isinstance(profile, dict) else None


def seccomp_restricted(spec: dict) -> Result:
    def valid(t: Any) -> bool:
        return t in ("RuntimeDefault", "Localhost")

    setters: list[str] = []
    bad_values: set[str] = set()
    pod_type = _seccomp_type((spec.get("securityContext") or {}).get("seccompProfile"))
    pod_set = False
    if (spec.get("securityContext") or {}).get("seccompProfile") is not None:
        if valid(pod_type):
            pod_set = True
        else:
            setters.append("pod")
            bad_values.add(str(pod_type))
    explicit: list[str] = []
    implicit: list[str] = []
    for c in containers({"spec": spec}):
        profile = _sc(c).get("seccompProfile")
        if profile is not None:
            if not valid(_seccomp_type(profile)):
                explicit.append(c.get("name", ""))
                bad_values.add(str(_seccomp_type(profile)))
        elif not pod_set:
            implicit.append(c.get("name", ""))
    if explicit:
        setters.append(f"{_plural(len(explicit))} {_quote(explicit)}")
    if setters:
        return (
            "seccompProfile",
            f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to {_quote(sorted(bad_values))}",
        )
    if implicit:
        return (
            "seccompProfile",
            f"pod or {_plural(len(implicit))} {_quote(implicit)} must set "
            f'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
        )
    return None


BASELINE_CHECKS = (host_namespaces, privileged)
BASELINE_ONLY_CHECKS = (capabilities_baseline,)
RESTRICTED_CHECKS = (
    allow_privilege_escalation,
    capabilities_restricted,
    run_as_non_root,
    run_as_user,
    seccomp_restricted,
)


def evaluate(level: str, spec: dict) -> list[tuple[str, str]]:
    if level == "privileged":
        return []
    checks = BASELINE_CHECKS + (BASELINE_ONLY_CHECKS if level == "baseline" else RESTRICTED_CHECKS)
    return [r for r in (check(spec) for check in checks) if r is not None]


def forbidden_detail(results: list[tuple[str, str]]) -> str:
    return ", ".join(f"{reason} ({detail})" if detail else reason for reason, detail in results)


def policy(labels: dict[str, str], mode: str) -> tuple[str, str]:
    level = labels.get(f"pod-security.kubernetes.io/{mode}", "privileged")
    if level not in LEVELS:
        level = "restricted"
    version = labels.get(f"pod-security.kubernetes.io/{mode}-version", "latest") or "latest"
    return level, version


class PodSecurity:
    def __init__(self, store: Any):
        self.store = store

    async def validate(self, attrs: Attributes) -> None:
        if not attrs.is_pod or attrs.obj is None or attrs.operation not in ("CREATE", "UPDATE"):
            return
        if (
            attrs.operation == "UPDATE"
            and attrs.old is not None
            and (attrs.old.get("spec") or {}) == (attrs.obj.get("spec") or {})
        ):
            return
        ns = await maybe_await(self.store.get("v1/namespaces", None, attrs.namespace))
        labels = ((ns or {}).get("metadata") or {}).get("labels") or {}
        spec = attrs.obj.get("spec") or {}
        level, version = policy(labels, "enforce")
        results = evaluate(level, spec)
        if results:
            raise messages.forbidden(
                attrs.resource,
                attrs.object_name(),
                f'violates PodSecurity "{level}:{version}": {forbidden_detail(results)}',
            )
        warn_level, warn_version = policy(labels, "warn")
        warnings = evaluate(warn_level, spec)
        if warnings:
            attrs.warnings.append(
                f'would violate PodSecurity "{warn_level}:{warn_version}": {forbidden_detail(warnings)}'
            )
