"""ResourceQuota admission for pods (apiserver/pkg/admission/plugin/resourcequota/controller.go CheckRequest,
pkg/quota/v1/evaluator/core/pods.go).

Runs last in the validating phase, after the webhooks, so an injected sidecar's requests and limits
count. `used` is what the quota controller would report: the usage of every non-terminal pod in the
namespace, computed from the store at admission time (there is no lag, unlike a real cluster).
Messages:
  `pods "x" is forbidden: failed quota: <quota>: must specify limits.cpu for: a,b; requests.memory for: a`
  `pods "x" is forbidden: exceeded quota: <quota>, requested: limits.cpu=2100m, used: limits.cpu=0,
   limited: limits.cpu=2`
"""

from __future__ import annotations

from typing import Any

from tests.kubesim.admission import messages, podspec, selectors
from tests.kubesim.admission.attributes import Attributes
from tests.kubesim.admission.quantity import Quantity, ResourceList, add_lists, parse_list, pretty
from tests.kubesim.admission.resolver import maybe_await

POD_RESOURCES = {
    "count/pods",
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
}
VALIDATION_SET = {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}


def _compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    """podComputeUsageHelper."""
    out: ResourceList = {"pods": Quantity.parse("1")}
    for res in ("cpu", "memory", "ephemeral-storage"):
        if res in requests:
            out[res] = requests[res]
            out[f"requests.{res}"] = requests[res]
        if res in limits:
            out[f"limits.{res}"] = limits[res]
    return out


def pod_usage(pod: dict) -> ResourceList:
    """PodUsageFunc: object count always, compute resources only for non-terminal pods."""
    usage: ResourceList = {"count/pods": Quantity.parse("1")}
    if podspec.is_terminal(pod):
        return usage
    return add_lists(usage, _compute_usage(podspec.pod_total(pod, "requests"), podspec.pod_total(pod, "limits")))


def _constraints(required: set[str], pod: dict) -> str | None:
    """podEvaluator.Constraints: containers must state what a quota on cpu/memory tracks."""
    needed = required & VALIDATION_SET
    missing: dict[str, set[str]] = {}
    for container in podspec.containers(pod, ("containers", "initContainers")):
        have = set(
            _compute_usage(podspec.resources_of(container, "requests"), podspec.resources_of(container, "limits"))
        )
        for res in needed - have:
            missing.setdefault(res, set()).add(str(container.get("name")))
    if not missing:
        return None
    parts = [f"{res} for: {','.join(sorted(missing[res]))}" for res in sorted(missing)]
    return "must specify " + "; ".join(parts)


def _is_best_effort(pod: dict) -> bool:
    for container in podspec.containers(pod, ("containers", "initContainers")):
        resources = container.get("resources") or {}
        if any(k in ("cpu", "memory") for k in (resources.get("requests") or {})) or any(
            k in ("cpu", "memory") for k in (resources.get("limits") or {})
        ):
            return False
    return True


def _scope_matches(scope: str, operator: str, values: list[str], pod: dict) -> bool:
    spec = pod.get("spec") or {}
    if scope == "Terminating":
        return spec.get("activeDeadlineSeconds") is not None
    if scope == "NotTerminating":
        return spec.get("activeDeadlineSeconds") is None
    if scope == "BestEffort":
        return _is_best_effort(pod)
    if scope == "NotBestEffort":
        return not _is_best_effort(pod)
    if scope == "PriorityClass":
        name = spec.get("priorityClassName") or ""
        if operator == "Exists":
            return bool(name)
        return selectors.matches(
            {"matchExpressions": [{"key": "pc", "operator": operator, "values": values}]}, {"pc": name} if name else {}
        )
    return False


def _quota_matches(quota: dict, pod: dict) -> bool:
    spec = quota.get("spec") or {}
    for scope in spec.get("scopes") or []:
        if not _scope_matches(scope, "Exists", [], pod):
            return False
    for expr in (spec.get("scopeSelector") or {}).get("matchExpressions") or []:
        if not _scope_matches(expr.get("scopeName", ""), expr.get("operator", ""), expr.get("values") or [], pod):
            return False
    return True


def _hard(quota: dict) -> ResourceList:
    return parse_list((quota.get("status") or {}).get("hard") or (quota.get("spec") or {}).get("hard") or {})


class ResourceQuota:
    def __init__(self, store: Any):
        self.store = store

    async def _used(self, quota: dict, hard: ResourceList, namespace: str) -> ResourceList:
        used: ResourceList = {k: Quantity.zero() for k in hard}
        for pod in await maybe_await(self.store.list("v1/pods", namespace)):
            if not _quota_matches(quota, pod):
                continue
            usage = pod_usage(pod)
            used = add_lists(used, {k: v for k, v in usage.items() if k in hard})
        return used

    async def validate(self, attrs: Attributes) -> None:
        if not attrs.is_pod or attrs.operation != "CREATE" or attrs.obj is None:
            return
        pod = attrs.obj
        quotas = sorted(
            await maybe_await(self.store.list("v1/resourcequotas", attrs.namespace)),
            key=lambda q: (q.get("metadata") or {}).get("name", ""),
        )
        interesting = []
        for quota in quotas:
            if not _quota_matches(quota, pod):
                continue
            hard = _hard(quota)
            tracked = {k for k in hard if k in POD_RESOURCES or k.startswith(("hugepages-", "requests.hugepages-"))}
            name = (quota.get("metadata") or {}).get("name", "")
            problem = _constraints(tracked, pod)
            if problem:
                raise messages.forbidden(attrs.resource, attrs.object_name(), f"failed quota: {name}: {problem}")
            interesting.append((quota, name, hard))
        usage = {k: v for k, v in pod_usage(pod).items() if v.value != 0}
        for quota, name, hard in interesting:
            requested = {k: v for k, v in usage.items() if k in hard}
            if not requested:
                continue
            used = await self._used(quota, hard, attrs.namespace)
            new_usage = add_lists(used, requested)
            exceeded = sorted(k for k in requested if new_usage[k].cmp(hard[k]) > 0)
            if exceeded:
                asked, had, cap = ({k: src[k] for k in exceeded} for src in (requested, used, hard))
                raise messages.forbidden(
                    attrs.resource,
                    attrs.object_name(),
                    f"exceeded quota: {name}, requested: {pretty(asked)}, used: {pretty(had)}, limited: {pretty(cap)}",
                )
