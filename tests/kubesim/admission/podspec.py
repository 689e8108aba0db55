"""Pod helpers shared by the built-in plugins: API defaulting of resources and pod-level sums."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.kubesim.admission.quantity import ResourceList, add_lists, canonical, max_lists, parse_list

CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


def containers(pod: dict, fields: tuple[str, ...] = CONTAINER_FIELDS) -> Iterator[dict]:
    spec = pod.get("spec") or {}
    for field_name in fields:
        for container in spec.get(field_name) or []:
            if isinstance(container, dict):
                yield container


def normalize(pod: dict) -> None:
    """What decoding a Pod does in kube-apiserver, in place: canonical quantities and
    SetDefaults_Pod's `requests default to limits` for every container and init container.

    kube-apiserver does this when the request is decoded and again after each webhook patch, so a
    sidecar whose patch says `cpu: 2000m` is stored and validated as `cpu: "2"`.
    """
    for container in containers(pod, ("initContainers", "containers")):
        resources = container.get("resources")
        if not isinstance(resources, dict):
            continue
        for key in ("limits", "requests"):
            if isinstance(resources.get(key), dict):
                resources[key] = {k: canonical(v) for k, v in resources[key].items()}
        limits = resources.get("limits") or {}
        if limits:
            requests = resources.setdefault("requests", {}) or {}
            for key, value in limits.items():
                requests.setdefault(key, value)
            resources["requests"] = requests
    for container in containers(pod, ("ephemeralContainers",)):
        resources = container.get("resources")
        if isinstance(resources, dict):
            for key in ("limits", "requests"):
                if isinstance(resources.get(key), dict):
                    resources[key] = {k: canonical(v) for k, v in resources[key].items()}


def resources_of(container: dict, key: str) -> ResourceList:
    return parse_list(((container.get("resources") or {}).get(key)) or {})


def _is_sidecar(container: dict) -> bool:
    return container.get("restartPolicy") == "Always"


def pod_total(pod: dict, key: str) -> ResourceList:
    """resourcehelper.PodRequests / PodLimits: containers summed, init containers as a running max,
    restartable (native sidecar) init containers added to both."""
    spec = pod.get("spec") or {}
    total: ResourceList = {}
    for container in spec.get("containers") or []:
        total = add_lists(total, resources_of(container, key))
    sidecars: ResourceList = {}
    init_max: ResourceList = {}
    for container in spec.get("initContainers") or []:
        own = resources_of(container, key)
        if _is_sidecar(container):
            total = add_lists(total, own)
            sidecars = add_lists(sidecars, own)
            effective = sidecars
        else:
            effective = add_lists(dict(own), sidecars)
        init_max = max_lists(init_max, effective)
    total = max_lists(total, init_max)
    overhead = parse_list(spec.get("overhead") or {})
    if overhead:
        total = add_lists(total, overhead)
    return total


def is_terminal(pod: dict) -> bool:
    return ((pod.get("status") or {}).get("phase")) in ("Succeeded", "Failed")


def labels_of(obj: dict | None) -> dict[str, Any]:
    return ((obj or {}).get("metadata") or {}).get("labels") or {}
