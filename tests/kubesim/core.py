"""The simulated cluster's state and services, independent of how it is exposed (HTTP, in-process).

Everything here lives on the server's event loop; `server.KubeSim` marshals calls from other threads.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from aiohttp import web

from . import errors
from .admission_seam import StoreView, build_admission
from .baseline import baseline_objects
from .controllers import build_manager
from .crds import CustomResources
from .openapi import OpenAPIBuilder
from .operations import Api
from .patches import clone
from .policy import Policy
from .rbac import ADMIN, Authorizer, User
from .seeding import Seeder
from .store import Store

AdminHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Config:
    token: str = "kubesim-token"
    kubernetes_version: str = "v1.31.4"
    admission: Any = None  # see admission_seam.build_admission
    admission_resolver: Any = None
    controllers: bool = True
    base_objects: bool = True
    # Longest time a write waits for the controllers to catch up before answering (seconds); see catch_up().
    sync_wait: float = 5.0
    access_log: str | None = None
    admin_user: User = field(default_factory=lambda: ADMIN)
    ca_pem: bytes = b""  # the serving CA, for ServiceAccount token Secrets' ca.crt

    @property
    def minor(self) -> int:
        m = re.match(r"v?\d+\.(\d+)", self.kubernetes_version)
        return int(m.group(1)) if m else 31


class Cluster:
    def __init__(self, config: Config):
        self.config = config
        self.store = Store()
        self.view = StoreView(self.store)
        self.authorizer = Authorizer(self.store)
        self.admission = build_admission(self.view, config.admission, config.admission_resolver)
        self.api = Api(self.store, self.admission, self.authorizer, config.minor)
        self.crds = CustomResources(self.store)
        self.openapi = OpenAPIBuilder(config.minor, self.crds.types, self.crds.schemas, lambda: self.crds.generation)
        self.policy = Policy()
        self.requests: list[dict[str, Any]] = []
        self.admin_routes: dict[tuple[str, str], AdminHandler] = {}
        self.port = 0
        self.watch_stops: set[Callable[[], None]] = set()
        self._access_log = open(config.access_log, "a", encoding="utf-8") if config.access_log else None  # noqa: SIM115
        self.manager: Any = None
        self.kubelet: Any = None
        self.recorder: Any = None
        self.seeder: Seeder | None = None

    async def start(self, port: int) -> None:
        """On the loop: controllers need a running loop for their queue."""
        self.port = port
        self.manager, self.kubelet, self.recorder = build_manager(self.api, ca_pem=self.config.ca_pem)
        self.manager.enabled = self.config.controllers
        self.seeder = Seeder(self.store, self.api.alloc, self.kubelet.managed, self.kubelet.exits)
        self.manager.start()
        self._baseline()

    async def stop(self) -> None:
        self.stop_watches()
        if self.manager is not None:
            await self.manager.stop()
        if self._access_log is not None:
            self._access_log.close()
            self._access_log = None

    def _baseline(self) -> None:
        if self.config.base_objects:
            assert self.seeder is not None
            self.seeder.seed(baseline_objects(self.config.kubernetes_version, self.port))

    # ------------------------------------------------------------------ auth
    def authenticate(self, header: str | None) -> User:
        if not header or not header.startswith("Bearer "):
            raise errors.unauthorized()
        token = header[len("Bearer ") :].strip()
        if token == self.config.token:
            return self.config.admin_user
        user = self.policy.users.get(token)
        if user is None:
            user = self._service_account_token(token)
        if user is None:
            raise errors.unauthorized()
        return user

    def _service_account_token(self, token: str) -> User | None:
        """A legacy ServiceAccount token Secret's token authenticates as that ServiceAccount (RBAC applies)."""
        tokens = getattr(self.manager, "tokens", None)
        name = tokens.lookup(self.store, token) if tokens is not None else None
        if name is None:
            return None
        ns = name.split(":")[2]
        groups = ("system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated")
        return User(name, groups, authorize="rbac")

    # ------------------------------------------------------------------ state management
    def seed(
        self, objs: list[dict], reconcile: bool = False, defaults: bool = True, copy: bool = True
    ) -> dict[str, int]:
        assert self.seeder is not None
        objs = [clone(o) for o in objs] if copy else objs
        self.crds.preregister(objs)
        counts = self.seeder.seed(objs, defaults=defaults)
        self.crds.refresh()
        if reconcile and self.manager is not None and self.config.controllers:
            self.manager.enqueue_all()
        return counts

    async def reset(self) -> None:
        """Empty the store (keeps the resourceVersion counter rising), policy and request log; re-add baseline.
        Controller syncs still in flight (e.g. waiting on a webhook) are let finish first, so that none of them
        writes into the fresh cluster."""
        self.stop_watches()
        if self.manager is not None:
            self.manager.enabled = False
            self.manager.queue.clear()
            await self.manager.queue.wait_idle(10)
            self.manager.queue.clear()
            self.manager.enabled = self.config.controllers
        if self.kubelet is not None:
            self.kubelet.reset()
        if getattr(self.manager, "tokens", None) is not None:
            self.manager.tokens.reset()
        if self.recorder is not None:
            self.recorder.reset()
        self.store.clear()
        self.policy = Policy()
        self.requests.clear()
        self.api.continue_max_age = None
        self._baseline()
        self.crds.refresh()

    async def catch_up(self) -> None:
        """After an API write: let the controllers react before answering, so that a client reading right
        after its write sees the result (pods of a new Deployment, ...). Bounded by config.sync_wait, and
        given up early when the controllers stop making progress (e.g. a pod create waiting on a slow webhook)."""
        if self.manager is None or not self.config.sync_wait:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.sync_wait
        last_rv = self.store.rv
        while (remaining := deadline - loop.time()) > 0:
            if await self.manager.queue.wait_idle(min(0.25, remaining)):
                return
            if self.store.rv == last_rv:
                return
            last_rv = self.store.rv

    async def trigger_cronjob(self, namespace: str, name: str) -> dict:
        """Create a Job from a CronJob now (what `kubectl create job --from=cronjob/<name>` does)."""
        from .controllers.cronjob import trigger

        return await trigger(self.manager.ctx, namespace, name)

    async def settle(self, timeout: float = 10.0) -> bool:
        if self.manager is None:
            return True
        return await self.manager.queue.wait_idle(timeout)

    def stop_watches(self) -> None:
        for stop in list(self.watch_stops):
            stop()
        self.watch_stops.clear()

    def log_request(self, entry: dict[str, Any]) -> None:
        self.requests.append(entry)
        if self._access_log is not None:
            self._access_log.write(json.dumps(entry, separators=(",", ":")) + "\n")
            self._access_log.flush()
