"""The admission chain in kube-apiserver's plugin order (pkg/kubeapiserver/options/plugins.go).

Mutating phase:   LimitRanger.Admit -> ServiceAccount.Admit -> MutatingAdmissionWebhook
                  (re-run once, in-tree plugins included, when a webhook changed the object and an
                  earlier webhook has reinvocationPolicy IfNeeded - admission.reinvoker)
Name generation:  metadata.generateName -> metadata.name, as rest.BeforeCreate does between phases
Validating phase: LimitRanger.Validate -> PodSecurity -> ValidatingAdmissionWebhook -> ResourceQuota
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.kubesim.admission import podspec
from tests.kubesim.admission.attributes import Attributes
from tests.kubesim.admission.dispatch import ReinvokeState, WebhookDispatcher
from tests.kubesim.admission.limitranger import LimitRanger
from tests.kubesim.admission.podsecurity import PodSecurity
from tests.kubesim.admission.resolver import ServiceResolver, maybe_await
from tests.kubesim.admission.resourcequota import ResourceQuota
from tests.kubesim.admission.serviceaccount import ServiceAccountAdmission

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def generate_name(prefix: str) -> str:
    """names.SimpleNameGenerator: prefix (cut to 58 characters) + 5 random characters."""
    return prefix[:58] + "".join(random.choice(_NAME_ALPHABET) for _ in range(5))


@dataclass
class AdmissionResult:
    obj: dict | None
    warnings: list[str] = field(default_factory=list)


class AdmissionChain:
    """`admit()` runs the whole chain and returns the admitted (possibly mutated) object.

    `resolver` maps webhook service references to test injectors (see ServiceResolver); one is
    created when not given. `log` receives kube-apiserver's webhook log lines ("Failed calling
    webhook, failing open ..."), newest last. `name_generator` fills metadata.name from generateName
    before the validating phase; set it to None if the caller generates names itself.
    """

    def __init__(self, store: Any, resolver: ServiceResolver | None = None):
        self.store = store
        self.resolver = resolver or ServiceResolver(store)
        self.log: list[str] = []
        self.name_generator: Callable[[str], str] | None = generate_name
        self.webhooks = WebhookDispatcher(store, self.resolver, self.log.append)
        self.limit_ranger = LimitRanger(store)
        self.service_account = ServiceAccountAdmission(store)
        self.pod_security = PodSecurity(store)
        self.resource_quota = ResourceQuota(store)
        # kube-apiserver --disable-admission-plugins: "MutatingAdmissionWebhook" makes injector webhooks
        # silently not called although every configuration says they would be (what the probe's SI309 sees)
        self.disabled_plugins: set[str] = set()

    async def admit(
        self,
        *,
        operation: str,
        resource: str,
        subresource: str | None,
        namespace: str | None,
        obj: dict,
        old: dict | None,
        dry_run: bool,
        user: dict,
    ) -> dict:
        result = await self.admit_with_warnings(
            operation=operation,
            resource=resource,
            subresource=subresource,
            namespace=namespace,
            obj=obj,
            old=old,
            dry_run=dry_run,
            user=user,
        )
        return result.obj if result.obj is not None else obj

    async def admit_with_warnings(
        self,
        *,
        operation: str,
        resource: str,
        subresource: str | None,
        namespace: str | None,
        obj: dict | None,
        old: dict | None,
        dry_run: bool,
        user: dict,
    ) -> AdmissionResult:
        operation = operation.upper()
        new = copy.deepcopy(obj) if obj is not None else None
        if operation == "DELETE":
            # A DELETE carries no object, only the one being deleted (as oldObject).
            old, new = (old if old is not None else new), None
        attrs = Attributes.build(
            operation=operation,
            resource=resource,
            subresource=subresource,
            namespace=namespace,
            obj=new,
            old=copy.deepcopy(old) if old is not None else None,
            dry_run=dry_run,
            user=user,
        )
        if attrs.is_pod and attrs.obj is not None:
            podspec.normalize(attrs.obj)

        state = ReinvokeState()
        await self._mutating(attrs, state)
        if state.should_reinvoke:
            state.is_reinvoke = True
            await self._mutating(attrs, state)

        if operation == "CREATE" and attrs.obj is not None and self.name_generator is not None:
            meta = attrs.obj.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                for _ in range(10):
                    meta["name"] = self.name_generator(str(meta["generateName"]))
                    if await maybe_await(self.store.get(resource, attrs.namespace or None, meta["name"])) is None:
                        break
                attrs.name = meta["name"]

        await self.limit_ranger.validate(attrs)
        await self.pod_security.validate(attrs)
        await self.webhooks.validate(attrs)
        await self.resource_quota.validate(attrs)
        return AdmissionResult(attrs.obj, list(attrs.warnings))

    async def _mutating(self, attrs: Attributes, state: ReinvokeState) -> None:
        await self.limit_ranger.admit(attrs)
        await self.service_account.admit(attrs)
        if "MutatingAdmissionWebhook" not in self.disabled_plugins:
            await self.webhooks.mutate(attrs, state)
