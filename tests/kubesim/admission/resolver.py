"""Where a webhook call goes: service references resolved like kube-apiserver with endpoint routing.

kube-apiserver's webhook client dials `<svc>.<ns>.svc:<port>` through a ServiceResolver; we follow
k8s.io/apiserver/pkg/util/proxy.ResolveEndpoint (the resolver used with --enable-aggregator-routing,
as on managed clusters), so the failures read the same:
  - no Service                 -> `service "istiod" not found`
  - Service without that port  -> `no service port 443 found for service "istiod"`
  - no ready endpoint          -> `no endpoints available for service "istiod"`
The endpoint address (pod IP : target port) is what the API server dials, so connection errors show it
(`dial tcp 10.244.0.7:15017: connect: connection refused`).

Endpoints come from EndpointSlices (label kubernetes.io/service-name), else an Endpoints object, else
(when the store has neither, because no endpoints controller runs) from the ready pods that match the
Service selector - what the endpoints controller would have written.

The only place a real socket address appears is the resolver table, which maps
`<svc>.<ns>.svc:<port>` (or a clientConfig.url host:port) to a loopback address where a test injector
listens. A service whose name is not in the table has nobody listening: connection refused.
"""

from __future__ import annotations

import inspect
import ipaddress
from dataclasses import dataclass
from typing import Any

from tests.kubesim.admission import selectors


class ResolveError(Exception):
    """A resolution failure; str() is the Go error text that follows `Post "<url>": `."""


@dataclass(frozen=True)
class Target:
    visible: str  # host:port as kube-apiserver would dial it (for messages)
    real: tuple[str, int] | None  # loopback address to connect to, None = nothing listening
    dropped: bool = False  # a NetworkPolicy drops the API server's packets (admission/netpol.py)


async def maybe_await(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


def _pod_ready(pod: dict) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") not in (None, "Running"):
        return False
    conditions = status.get("conditions")
    if not conditions:
        return True  # the core marks pods ready immediately; no conditions means nobody said otherwise
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _pod_ip(pod: dict) -> str:
    return str((pod.get("status") or {}).get("podIP") or "10.244.0.10")


def _target_port(svc_port: dict, pod: dict) -> int | None:
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return int(port.get("containerPort"))
    return None


class ServiceResolver:
    def __init__(self, store: Any, table: dict[str, tuple[str, int]] | None = None):
        self.store = store
        self.table: dict[str, tuple[str, int]] = dict(table or {})

    def register(self, host_port: str, address: tuple[str, int]) -> None:
        self.table[host_port] = address

    def unregister(self, host_port: str) -> None:
        self.table.pop(host_port, None)

    async def _endpoint(self, namespace: str, name: str, svc: dict, svc_port: dict) -> str | None:
        port_name = svc_port.get("name") or ""
        slices = [
            s
            for s in await maybe_await(self.store.list("discovery.k8s.io/v1/endpointslices", namespace))
            if ((s.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/service-name") == name
        ]
        if slices:
            for eps in slices:
                for port in eps.get("ports") or []:
                    if (port.get("name") or "") != port_name or port.get("port") is None:
                        continue
                    for endpoint in eps.get("endpoints") or []:
                        ready = (endpoint.get("conditions") or {}).get("ready")
                        if (ready is None or ready) and endpoint.get("addresses"):
                            return _join(endpoint["addresses"][0], int(port["port"]))
            return None
        endpoints = await maybe_await(self.store.get("v1/endpoints", namespace, name))
        if endpoints is not None:
            for subset in endpoints.get("subsets") or []:
                for port in subset.get("ports") or []:
                    if (port.get("name") or "") == port_name and subset.get("addresses"):
                        return _join(subset["addresses"][0].get("ip", ""), int(port["port"]))
            return None
        selector = (svc.get("spec") or {}).get("selector")
        if not selector:
            return None
        for pod in await maybe_await(self.store.list("v1/pods", namespace)):
            labels = (pod.get("metadata") or {}).get("labels") or {}
            if (pod.get("metadata") or {}).get("deletionTimestamp") or not _pod_ready(pod):
                continue
            if selectors.matches({"matchLabels": selector}, labels):
                port = _target_port(svc_port, pod)
                if port is not None:
                    return _join(_pod_ip(pod), port)
        return None

    async def resolve_service(self, namespace: str, name: str, port: int) -> Target:
        svc = await maybe_await(self.store.get("v1/services", namespace, name))
        if svc is None:
            raise ResolveError(f'service "{name}" not found')
        svc_type = (svc.get("spec") or {}).get("type") or "ClusterIP"
        if svc_type not in ("ClusterIP", "LoadBalancer", "NodePort"):
            raise ResolveError(f'unsupported service type "{svc_type}"')
        svc_port = next((p for p in (svc.get("spec") or {}).get("ports") or [] if int(p.get("port", 0)) == port), None)
        if svc_port is None:
            raise ResolveError(f'no service port {port} found for service "{name}"')
        visible = await self._endpoint(namespace, name, svc, svc_port)
        if visible is None:
            raise ResolveError(f'no endpoints available for service "{name}"')
        return Target(
            visible, self.table.get(f"{name}.{namespace}.svc:{port}"), await self._dropped(namespace, visible)
        )

    async def _dropped(self, namespace: str, visible: str) -> bool:
        from tests.kubesim.admission import netpol  # late: netpol imports this module

        ip, _, port_text = visible.rpartition(":")
        ip = ip.strip("[]")
        pods = await maybe_await(self.store.list("v1/pods", namespace))
        pod = next((p for p in pods if (p.get("status") or {}).get("podIP") == ip), None)
        port = int(port_text) if port_text.isdigit() else 0
        names = [
            str(cp.get("name") or "")
            for c in ((pod or {}).get("spec") or {}).get("containers") or ()
            for cp in c.get("ports") or ()
            if cp.get("containerPort") == port
        ]
        return await netpol.blocked(self.store, namespace, pod, port, names[0] if names else "")

    def resolve_url(self, host: str, port: int) -> Target:
        real = self.table.get(f"{host}:{port}")
        if real is not None:
            return Target(_join(real[0], real[1]), real)
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise ResolveError(f"dial tcp: lookup {host}: no such host") from None
        # Only loopback addresses are ever dialled; any other address has nobody listening.
        return Target(_join(host, port), (host, port) if address.is_loopback else None)


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
