"""MutatingAdmissionWebhook and ValidatingAdmissionWebhook (webhook/{mutating,validating}/dispatcher.go).

Error shapes:
  - call failure, failurePolicy Fail -> apierrors.NewInternalError(ErrCallingWebhook):
    500 InternalError `Internal error occurred: failed calling webhook "<name>": failed to call webhook:
    Post "https://<svc>.<ns>.svc:<port><path>?timeout=<n>s": <Go error>`
  - call failure, failurePolicy Ignore -> logged `Failed calling webhook, failing open <name>: <err>`
  - allowed: false -> webhookerrors.ToStatusErr (code from the webhook's status, at least 400)
  - dry run and sideEffects not None/NoneOnDryRun -> 400 BadRequest, whatever the failurePolicy
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jsonpatch

from tests.kubesim.admission import messages, podspec, rules, transport
from tests.kubesim.admission.attributes import Attributes
from tests.kubesim.admission.resolver import ResolveError, ServiceResolver
from tests.kubesim.admission.review import InvalidResponse, build_request, review_version, verify_response
from tests.kubesim.admission.tlsverify import RootsError, load_roots
from tests.kubesim.errors import StatusError

log = logging.getLogger("kubesim.admission")

MUTATING = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
VALIDATING = "admissionregistration.k8s.io/v1/validatingwebhookconfigurations"


class CallingWebhookError(Exception):
    """webhookutil.ErrCallingWebhook: subject to the failurePolicy."""

    def __init__(self, webhook: str, reason: str):
        super().__init__(messages.calling_webhook(webhook, reason))
        self.webhook = webhook
        self.reason = reason


@dataclass
class ReinvokeState:
    """webhookReinvokeContext plus the chain's reinvocation flags."""

    is_reinvoke: bool = False
    should_reinvoke: bool = False
    last_output: dict | None = None
    previously_invoked: set[str] = field(default_factory=set)
    to_reinvoke: set[str] = field(default_factory=set)

    def require_reinvoking(self) -> None:
        if self.previously_invoked:
            self.to_reinvoke |= self.previously_invoked
            self.previously_invoked = set()


def _url(hook: rules.Hook) -> tuple[str, str, str, int, str]:
    """(url without query, TLS server name, host header, port, path) as the webhook REST client builds them."""
    client = hook.spec.get("clientConfig") or {}
    service = client.get("service")
    if service:
        port = int(service.get("port") or 443)
        server_name = f"{service.get('name')}.{service.get('namespace')}.svc"
        path = service.get("path") or ""
        host = f"{server_name}:{port}"
        return f"https://{host}{path}", server_name, host, port, path
    parsed = urlsplit(str(client.get("url") or ""))
    port = parsed.port or 443
    return (f"{parsed.scheme}://{parsed.netloc}{parsed.path}", parsed.hostname or "", parsed.netloc, port, parsed.path)


async def _target(resolver: ServiceResolver, hook: rules.Hook) -> transport.Target:
    client = hook.spec.get("clientConfig") or {}
    service = client.get("service")
    if service:
        return await resolver.resolve_service(
            str(service.get("namespace")), str(service.get("name")), int(service.get("port") or 443)
        )
    parsed = urlsplit(str(client.get("url") or ""))
    return resolver.resolve_url(parsed.hostname or "", parsed.port or 443)


class WebhookDispatcher:
    def __init__(self, store: Any, resolver: ServiceResolver, on_log: Callable[[str], None] | None = None):
        self.store = store
        self.resolver = resolver
        self.on_log = on_log

    def _warn(self, message: str) -> None:
        log.warning(message)
        if self.on_log is not None:
            self.on_log(message)

    async def _call(self, hook: rules.Hook, attrs: Attributes, invocation: tuple[str, str, str], mutating: bool) -> Any:
        name = hook.name
        if attrs.dry_run:
            effects = hook.spec.get("sideEffects")
            if effects is None:
                raise CallingWebhookError(name, "Webhook SideEffects is nil")
            if effects not in ("None", "NoneOnDryRun"):
                raise messages.dry_run_unsupported(name)
        version = review_version(hook.spec.get("admissionReviewVersions"))
        if version is None:
            reason = "webhook does not accept known AdmissionReview versions (v1, v1beta1)"
            raise CallingWebhookError(name, f"could not create admission objects: {reason}" if mutating else reason)
        uid, review = build_request(attrs, version, invocation)
        client = hook.spec.get("clientConfig") or {}
        if not client.get("service") and not client.get("url"):
            raise CallingWebhookError(name, "webhook configuration must have either service or URL")
        try:
            bundle = base64.b64decode(client.get("caBundle") or "")
            roots = load_roots(bundle)
        except (binascii.Error, RootsError) as exc:
            raise CallingWebhookError(name, f"could not get REST client: {exc}") from None
        url, server_name, host_header, _port, path = _url(hook)
        query = f"?timeout={hook.timeout}s"
        body = json.dumps(review).encode()
        try:
            target = await _target(self.resolver, hook)
            response = await transport.post(
                target, server_name, (path or "/") + query, host_header, body, roots, hook.timeout
            )
        except (ResolveError, transport.CallError) as exc:
            raise CallingWebhookError(name, f'failed to call webhook: Post "{url}{query}": {exc}') from None
        if response.status == 404:
            raise CallingWebhookError(name, "failed to call webhook: the server could not find the requested resource")
        if not 200 <= response.status < 300:
            raise CallingWebhookError(
                name,
                f"failed to call webhook: an error on the server "
                f"({response.body.decode(errors='replace').strip()!r}) has prevented "
                f"the request from succeeding",
            )
        try:
            decoded = response.json()
        except ValueError as exc:
            raise CallingWebhookError(
                name, f"failed to call webhook: couldn't get version/kind; json parse error: {exc}"
            ) from None
        try:
            verdict = verify_response(uid, version, mutating, decoded)
        except InvalidResponse as exc:
            raise CallingWebhookError(name, f"received invalid webhook response: {exc}") from None
        attrs.warnings.extend(verdict.warnings)
        if not verdict.allowed:
            raise messages.webhook_denied(name, verdict.result)
        return verdict

    async def _mutate_one(self, hook: rules.Hook, attrs: Attributes, invocation: tuple[str, str, str]) -> bool:
        verdict = await self._call(hook, attrs, invocation, mutating=True)
        if not verdict.patch:
            return False
        try:
            operations = json.loads(verdict.patch)
        except ValueError as exc:
            raise CallingWebhookError(hook.name, f"received undecodable patch in webhook response: {exc}") from None
        if not operations:
            return False
        if attrs.obj is None:
            raise messages.internal_error(
                f'admission webhook "{hook.name}" attempted to modify the object, '
                f"which is not supported for this operation"
            )
        if verdict.patch_type != "JSONPatch":
            raise CallingWebhookError(hook.name, f'unsupported patch type "{verdict.patch_type}"')
        try:
            patched = jsonpatch.JsonPatch(operations).apply(copy.deepcopy(attrs.obj))
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError) as exc:
            raise messages.internal_error(str(exc)) from None
        if attrs.is_pod:
            podspec.normalize(patched)
        changed = patched != attrs.obj
        attrs.obj = patched
        return changed

    async def mutate(self, attrs: Attributes, state: ReinvokeState) -> None:
        if rules.is_exempt(attrs):
            return
        if state.is_reinvoke and state.last_output != attrs.obj:
            state.require_reinvoking()
        try:
            for hook in await rules.load_hooks(self.store, MUTATING):
                invocation = await rules.should_call(self.store, hook, attrs)
                if invocation is None:
                    continue
                if state.is_reinvoke and hook.uid not in state.to_reinvoke:
                    continue
                changed = False
                error: Exception | None = None
                try:
                    changed = await self._mutate_one(hook, attrs, invocation)
                except (CallingWebhookError, StatusError) as exc:
                    error = exc
                if changed:
                    state.require_reinvoking()
                    state.should_reinvoke = True
                if hook.reinvocation == "IfNeeded":
                    state.previously_invoked.add(hook.uid)
                if error is None:
                    continue
                if isinstance(error, CallingWebhookError):
                    if hook.failure_policy == "Ignore":
                        self._warn(f"Failed calling webhook, failing open {hook.name}: {error}")
                        continue
                    self._warn(f"Failed calling webhook, failing closed {hook.name}: {error}")
                    raise messages.internal_error(str(error))
                raise error
        finally:
            state.last_output = copy.deepcopy(attrs.obj)

    async def validate(self, attrs: Attributes) -> None:
        if rules.is_exempt(attrs):
            return
        calls = []
        for hook in await rules.load_hooks(self.store, VALIDATING):
            invocation = await rules.should_call(self.store, hook, attrs)
            if invocation is not None:
                calls.append((hook, invocation))
        if not calls:
            return
        results = await asyncio.gather(
            *(self._call(h, attrs, inv, mutating=False) for h, inv in calls), return_exceptions=True
        )
        errors: list[StatusError] = []
        for (hook, _), result in zip(calls, results):
            if isinstance(result, CallingWebhookError):
                if hook.failure_policy == "Ignore":
                    self._warn(f"Failed calling webhook, failing open {hook.name}: {result}")
                    continue
                self._warn(f"Failed calling webhook, failing closed {hook.name}: {result}")
                errors.append(messages.internal_error(str(result)))
            elif isinstance(result, StatusError):
                errors.append(result)
            elif isinstance(result, BaseException):
                raise result
        if errors:
            # kube returns the first error that reached its channel; we return the first in hook order.
            raise errors[0]
