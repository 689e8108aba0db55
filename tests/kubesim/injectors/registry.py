"""Which test injector answers for which Service, and the resolver table that routes to it.

Two ways to get injectors:
- explicit specs (seed-time config, e.g. `--injector istio=istio-system/istiod`): `start_spec()` takes
  `istio=<ns>/<service>` (service `istiod` or `istiod-<rev>`) or `linkerd=<ns>`;
- automatic: `sync()` looks at the store like a cluster would - an istiod Deployment (label app=istiod;
  revision from label istio.io/rev) or the linkerd-proxy-injector Deployment starts the matching
  injector (Linkerd's injects the proxy version of that Deployment's own proxy, as an install does);
  a Deployment that disappears stops it (connection refused afterwards). `run()` repeats sync (and
  istiod's caBundle patcher) every `interval` seconds, for use as a background service.

Each running injector is registered in the ServiceResolver table as `<svc>.<ns>.svc:443` -> its
loopback address. Whether a call reaches it still depends on the Service and its endpoints in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from tests.kubesim.admission.resolver import ServiceResolver, maybe_await
from tests.kubesim.injectors.cluster import Writer, writer_for
from tests.kubesim.injectors.istio import IstioInjector
from tests.kubesim.injectors.linkerd import LinkerdInjector

log = logging.getLogger("kubesim.injectors")

Injector = IstioInjector | LinkerdInjector


class InjectorRegistry:
    def __init__(self, store: Any, resolver: ServiceResolver, writer: Writer | None = None, *, auto: bool = True):
        self.store = store
        self.resolver = resolver
        self.writer = writer if writer is not None else writer_for(store)
        self.auto = auto
        self.injectors: dict[str, Injector] = {}
        self._manual: set[str] = set()
        self._task: asyncio.Task | None = None
        self._restarted: dict[str, str] = {}  # host_port -> the istiod pod template's restartedAt seen

    def get(self, host_port: str) -> Injector | None:
        return self.injectors.get(host_port)

    def istio(self, namespace: str = "istio-system", revision: str = "") -> IstioInjector:
        service = f"istiod-{revision}" if revision else "istiod"
        injector = self.injectors[f"{service}.{namespace}.svc:443"]
        assert isinstance(injector, IstioInjector)
        return injector

    def linkerd(self, namespace: str = "linkerd") -> LinkerdInjector:
        injector = self.injectors[f"linkerd-proxy-injector.{namespace}.svc:443"]
        assert isinstance(injector, LinkerdInjector)
        return injector

    async def _add(self, injector: Injector, manual: bool) -> Injector:
        existing = self.injectors.get(injector.host_port)
        if existing is not None:
            return existing
        await injector.start()
        self.injectors[injector.host_port] = injector
        self.resolver.register(injector.host_port, injector.address)
        if manual:
            self._manual.add(injector.host_port)
        log.info("injector %s listening on %s:%d", injector.host_port, *injector.address)
        return injector

    async def start_istio(
        self, namespace: str = "istio-system", revision: str = "", *, manual: bool = True, **options: Any
    ) -> IstioInjector:
        injector = IstioInjector(self.store, namespace, revision, writer=self.writer, **options)
        result = await self._add(injector, manual)
        assert isinstance(result, IstioInjector)
        return result

    async def start_linkerd(
        self, namespace: str = "linkerd", *, manual: bool = True, **options: Any
    ) -> LinkerdInjector:
        injector = LinkerdInjector(self.store, namespace, writer=self.writer, **options)
        result = await self._add(injector, manual)
        assert isinstance(result, LinkerdInjector)
        return result

    async def start_spec(self, spec: str) -> Injector:
        """`istio=istio-system/istiod`, `istio=istio-system/istiod-canary`, `linkerd=linkerd`."""
        mesh, _, where = spec.partition("=")
        if mesh == "istio":
            namespace, _, service = where.partition("/")
            service = service or "istiod"
            revision = service[len("istiod-") :] if service.startswith("istiod-") else ""
            return await self.start_istio(namespace or "istio-system", revision)
        if mesh == "linkerd":
            return await self.start_linkerd(where or "linkerd")
        raise ValueError(f"unknown injector spec {spec!r} (expected istio=<ns>/<service> or linkerd=<ns>)")

    async def remove(self, host_port: str) -> None:
        injector = self.injectors.pop(host_port, None)
        self._manual.discard(host_port)
        self.resolver.unregister(host_port)
        if injector is not None:
            await injector.close()

    async def _wanted(self) -> dict[str, tuple[str, str, str]]:
        wanted: dict[str, tuple[str, str, str]] = {}
        for deploy in await maybe_await(self.store.list("apps/v1/deployments")):
            meta = deploy.get("metadata") or {}
            labels = meta.get("labels") or {}
            namespace = meta.get("namespace", "")
            if labels.get("app") == "istiod":
                rev = labels.get("istio.io/rev", "default")
                revision = "" if rev in ("", "default") else rev
                service = f"istiod-{revision}" if revision else "istiod"
                wanted[f"{service}.{namespace}.svc:443"] = ("istio", namespace, revision)
            elif (
                meta.get("name") == "linkerd-proxy-injector"
                or labels.get("linkerd.io/control-plane-component") == "proxy-injector"
            ):
                wanted[f"linkerd-proxy-injector.{namespace}.svc:443"] = ("linkerd", namespace, _proxy_version(deploy))
        return wanted

    async def sync(self) -> None:
        """Start injectors for control planes present in the store; stop automatic ones that went away."""
        if self.auto:
            wanted = await self._wanted()
            for host_port, (mesh, namespace, revision) in wanted.items():
                if host_port not in self.injectors:
                    if mesh == "istio":
                        await self.start_istio(namespace, revision, manual=False)
                    else:  # the "revision" slot of a Linkerd entry holds the proxy version it injects
                        options = {"version": revision} if revision else {}
                        await self.start_linkerd(namespace, manual=False, **options)
            for host_port in [h for h in self.injectors if h not in wanted and h not in self._manual]:
                await self.remove(host_port)
        await self._restarts()
        for injector in list(self.injectors.values()):
            if isinstance(injector, IstioInjector) and injector.server.running:
                await injector.patch_webhooks()

    async def _restarts(self) -> None:
        """A rollout restart of an istiod Deployment (kubectl.kubernetes.io/restartedAt on its pod
        template) restarts its injector: like a new istiod process it serves a fresh certificate from
        its CA, whatever a test made it serve before (serve_foreign_ca, serve_expired)."""
        for deploy in await maybe_await(self.store.list("apps/v1/deployments")):
            meta = deploy.get("metadata") or {}
            labels = meta.get("labels") or {}
            if labels.get("app") != "istiod":
                continue
            rev = labels.get("istio.io/rev", "default")
            service = "istiod" if rev in ("", "default") else f"istiod-{rev}"
            host_port = f"{service}.{meta.get('namespace', '')}.svc:443"
            template = ((deploy.get("spec") or {}).get("template") or {}).get("metadata") or {}
            stamp = (template.get("annotations") or {}).get("kubectl.kubernetes.io/restartedAt", "")
            seen = self._restarted.setdefault(host_port, stamp)
            injector = self.injectors.get(host_port)
            if stamp != seen and isinstance(injector, IstioInjector):
                self._restarted[host_port] = stamp
                injector.serve_valid()
                log.info("istiod %s restarted: serving a fresh certificate", host_port)

    async def run(self, interval: float = 0.5) -> None:
        while True:
            try:
                await self.sync()
            except Exception:  # keep the background loop alive; the next round retries
                log.exception("injector sync failed")
            await asyncio.sleep(interval)

    def start_background(self, interval: float = 0.5) -> asyncio.Task:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(interval))
        return self._task

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        for host_port in list(self.injectors):
            await self.remove(host_port)


def _proxy_version(deploy: dict) -> str:
    """The proxy version a linkerd-proxy-injector Deployment's installation injects: the
    linkerd.io/proxy-version of its own meshed pod template (the install's proxy), else the tag of its
    linkerd-proxy container; "" leaves LinkerdInjector's default."""
    template = (deploy.get("spec") or {}).get("template") or {}
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    if annotations.get("linkerd.io/proxy-version"):
        return str(annotations["linkerd.io/proxy-version"])
    for container in (template.get("spec") or {}).get("containers") or ():
        image = str(container.get("image") or "")
        if container.get("name") == "linkerd-proxy" and ":" in image.rsplit("/", 1)[-1]:
            return image.rsplit(":", 1)[1]
    return ""
