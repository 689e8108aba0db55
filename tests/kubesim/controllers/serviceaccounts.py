"""The ServiceAccounts controller (a `default` ServiceAccount in every active namespace, re-created when
deleted) and the legacy tokens controller: a `kubernetes.io/service-account-token` Secret annotated with
`kubernetes.io/service-account.name` gets `data.token` (a JWT-shaped bearer token the server accepts as that
ServiceAccount), `data.ca.crt` (the server's CA), `data.namespace` and the `kubernetes.io/service-account.uid`
annotation; one whose ServiceAccount does not exist (or has another uid) is deleted, as upstream."""

from __future__ import annotations

import base64
import json
import secrets

from ..resources import BY_STRING
from .base import CONTROLLER_MANAGER, NAMESPACES, Ctx

SERVICE_ACCOUNTS = BY_STRING["v1/serviceaccounts"]
SECRETS = BY_STRING["v1/secrets"]
TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_NAME = "kubernetes.io/service-account.name"
SA_UID = "kubernetes.io/service-account.uid"


def default_service_account(namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": namespace}}


async def sync_service_accounts(ctx: Ctx, _ns: str, namespace: str) -> None:
    ns_obj = ctx.store.get(NAMESPACES.storage, None, namespace)
    if ns_obj is None or ns_obj["metadata"].get("deletionTimestamp"):
        return
    if ctx.store.get(SERVICE_ACCOUNTS.storage, namespace, "default") is None:
        await ctx.api.create(SERVICE_ACCOUNTS, namespace, default_service_account(namespace), user=CONTROLLER_MANAGER)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _jwt(namespace: str, secret: str, sa: dict) -> str:
    def part(doc: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode().rstrip("=")

    claims = {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/secret.name": secret,
        "kubernetes.io/serviceaccount/service-account.name": sa["metadata"]["name"],
        "kubernetes.io/serviceaccount/service-account.uid": sa["metadata"]["uid"],
        "sub": f"system:serviceaccount:{namespace}:{sa['metadata']['name']}",
    }
    return f"{part({'alg': 'RS256', 'kid': 'kubesim'})}.{part(claims)}.{secrets.token_urlsafe(32)}"


class TokensController:
    """Also the authenticator's view of legacy tokens: `user_for(token)`."""

    def __init__(self, ca_pem: bytes = b"") -> None:
        self.ca_pem = ca_pem
        self.tokens: dict[str, tuple[str, str]] = {}

    def reset(self) -> None:
        self.tokens.clear()

    def lookup(self, store: object, token: str) -> str | None:
        """The ServiceAccount user a legacy token authenticates as (None: not a live token)."""
        where = self.tokens.get(token)
        if where is None:
            return None
        ns, name = where
        secret = store.get(SECRETS.storage, ns, name)  # type: ignore[attr-defined]
        if secret is None or (secret.get("data") or {}).get("token") != _b64(token):
            return None
        sa_name = (secret["metadata"].get("annotations") or {}).get(SA_NAME, "")
        return f"system:serviceaccount:{ns}:{sa_name}"

    async def sync(self, ctx: Ctx, ns: str, name: str) -> None:
        secret = ctx.store.get(SECRETS.storage, ns, name)
        if secret is None or secret.get("type") != TOKEN_TYPE or secret["metadata"].get("deletionTimestamp"):
            return
        annotations = secret["metadata"].get("annotations") or {}
        sa_name = annotations.get(SA_NAME)
        if not sa_name:
            return
        sa = ctx.store.get(SERVICE_ACCOUNTS.storage, ns, sa_name)
        if sa is None or (annotations.get(SA_UID) and annotations[SA_UID] != sa["metadata"]["uid"]):
            await ctx.api.delete_as(SECRETS, secret, CONTROLLER_MANAGER)
            return
        data = dict(secret.get("data") or {})
        token = ""
        if data.get("token"):
            token = base64.b64decode(data["token"]).decode(errors="replace")
        want = dict(data)
        if not token:
            token = _jwt(ns, name, sa)
            want["token"] = _b64(token)
        want.setdefault("ca.crt", base64.b64encode(self.ca_pem).decode())
        want.setdefault("namespace", _b64(ns))
        self.tokens[token] = (ns, name)
        if want == data and annotations.get(SA_UID) == sa["metadata"]["uid"]:
            return
        new = dict(secret, data=want)
        new["metadata"] = dict(secret["metadata"], annotations=dict(annotations, **{SA_UID: sa["metadata"]["uid"]}))
        await ctx.api.write(SECRETS, secret, new, user=CONTROLLER_MANAGER)
