"""Policy: extra bearer tokens, 403 rules and injected faults, changeable while the server runs.

YAML/JSON format (all keys optional):

    users:                          # extra tokens; the server's own token is always the admin
      - token: diag-token
        user: system:serviceaccount:mesh:diag   # ServiceAccount users get the SA groups automatically
        groups: [my-group]
        authorize: rbac             # rbac (default): evaluate the store's RBAC objects; allow: everything
    rules:                          # evaluated in order for every API request
      - action: forbid              # forbid | error | throttle | delay | reset | ignore-dry-run
        verbs: [list, watch]        # get list watch create update patch delete deletecollection
        apiGroups: [""]             # "" is the core group
        resources: [secrets]        # plural, or plural/subresource ("pods/status")
        namespaces: [istio-system]  # "" matches cluster-scoped requests
        names: [istiod]
        users: [system:serviceaccount:mesh:diag]
        paths: ["/version"]         # glob; non-resource requests (discovery) only match rules that set paths
        skip: 0                     # let the first N matching requests through
        count: 2                    # then apply to the next N (omitted: always)
        message: etcd timeout       # error → "Internal error occurred: <message>"; forbid → appended reason
        retryAfterSeconds: 1        # throttle (429 + Retry-After)
        seconds: 0.5                # delay: added latency; evaluation continues with the next rules
        status: 503                 # error: HTTP code (default 500)

`reset` closes the connection without a response. `ignore-dry-run` makes the matching writes ignore
`dryRun=All` (they are stored), like a server or proxy that drops the parameter; evaluation continues
with the next rules, as for `delay`. The injection probe must detect it and refuse to run.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

import yaml

from .rbac import User, service_account_user
from .requestinfo import RequestInfo

ACTIONS = ("forbid", "error", "throttle", "delay", "reset", "ignore-dry-run")


def _set(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return frozenset(str(v) for v in value)


@dataclass
class Rule:
    action: str
    verbs: frozenset[str] | None = None
    groups: frozenset[str] | None = None
    resources: frozenset[str] | None = None
    namespaces: frozenset[str] | None = None
    names: frozenset[str] | None = None
    users: frozenset[str] | None = None
    paths: tuple[str, ...] | None = None
    skip: int = 0
    count: int | None = None
    message: str = ""
    retry_after: int = 1
    seconds: float = 0.0
    status: int = 500
    hits: int = 0  # how many requests this rule was applied to

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Rule:
        action = d.get("action", "forbid")
        if action not in ACTIONS:
            raise ValueError(f"unknown policy action {action!r}; expected one of {', '.join(ACTIONS)}")
        unknown = set(d) - {
            "action",
            "verbs",
            "apiGroups",
            "groups",
            "resources",
            "namespaces",
            "names",
            "users",
            "paths",
            "skip",
            "count",
            "message",
            "retryAfterSeconds",
            "seconds",
            "status",
        }
        if unknown:
            raise ValueError(f"unknown policy rule keys: {', '.join(sorted(unknown))}")
        paths = d.get("paths")
        return cls(
            action=action,
            verbs=_set(d.get("verbs")),
            groups=_set(d.get("apiGroups", d.get("groups"))),
            resources=_set(d.get("resources")),
            namespaces=_set(d.get("namespaces")),
            names=_set(d.get("names")),
            users=_set(d.get("users")),
            paths=tuple([paths] if isinstance(paths, str) else paths) if paths is not None else None,
            skip=int(d.get("skip", 0)),
            count=None if d.get("count") is None else int(d["count"]),
            message=str(d.get("message", "")),
            retry_after=int(d.get("retryAfterSeconds", 1)),
            seconds=float(d.get("seconds", 0.0)),
            status=int(d.get("status", 500)),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "hits": self.hits, "skip": self.skip, "count": self.count}
        for key, attr in (
            ("verbs", "verbs"),
            ("apiGroups", "groups"),
            ("resources", "resources"),
            ("namespaces", "namespaces"),
            ("names", "names"),
            ("users", "users"),
        ):
            value = getattr(self, attr)
            if value is not None:
                out[key] = sorted(value)
        if self.paths is not None:
            out["paths"] = list(self.paths)
        return out

    def matches(self, info: RequestInfo, user: User) -> bool:
        if self.users is not None and user.name not in self.users:
            return False
        if not info.is_resource:
            return self.paths is not None and any(fnmatch.fnmatchcase(info.path, p) for p in self.paths)
        if self.paths is not None and not any(fnmatch.fnmatchcase(info.path, p) for p in self.paths):
            return False
        if self.verbs is not None and info.verb not in self.verbs:
            return False
        if self.groups is not None and info.group not in self.groups:
            return False
        if self.resources is not None:
            full = f"{info.resource}/{info.subresource}" if info.subresource else info.resource
            if full not in self.resources and not (not info.subresource and info.resource in self.resources):
                return False
        if self.namespaces is not None:
            scope = info.namespace if (info.rt is None or info.rt.namespaced) else ""
            if scope not in self.namespaces:
                return False
        return self.names is None or info.name in self.names

    def take(self) -> bool:
        """Called on a match: whether the rule applies to this request (skip/count bookkeeping)."""
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.count is not None:
            if self.count <= 0:
                return False
            self.count -= 1
        self.hits += 1
        return True


@dataclass
class Policy:
    rules: list[Rule] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Any) -> Policy:
        if data is None:
            return cls()
        if isinstance(data, (bytes, str)):
            data = yaml.safe_load(data) or {}
        if not isinstance(data, dict):
            raise ValueError("policy must be a mapping with 'rules' and/or 'users'")
        users = {}
        for u in data.get("users") or ():
            name = u.get("user") or u.get("name")
            if not u.get("token") or not name:
                raise ValueError("policy users need 'token' and 'user'")
            authorize = u.get("authorize", "rbac")
            if name.startswith("system:serviceaccount:") and name.count(":") == 3:
                _, _, ns, sa = name.split(":")
                base = service_account_user(ns, sa, authorize)
                groups = tuple(dict.fromkeys(base.groups + tuple(u.get("groups") or ())))
            else:
                groups = tuple(dict.fromkeys(tuple(u.get("groups") or ()) + ("system:authenticated",)))
            users[str(u["token"])] = User(name, groups, str(u.get("uid", "")), authorize)
        return cls([Rule.from_dict(r) for r in data.get("rules") or ()], users)

    @classmethod
    def load(cls, path: str) -> Policy:
        with open(path, encoding="utf-8") as fh:
            return cls.from_data(fh.read())

    def evaluate(self, info: RequestInfo, user: User) -> tuple[float, Rule | None]:
        """(added latency, the rule whose action answers the request or None)."""
        delay = 0.0
        for rule in self.rules:
            if not rule.matches(info, user):
                continue
            if rule.action == "delay":
                if rule.take():
                    delay += rule.seconds
                continue
            if rule.action == "ignore-dry-run":
                continue  # answered by ignores_dry_run()
            if rule.take():
                return delay, rule
        return delay, None

    def ignores_dry_run(self, info: RequestInfo, user: User) -> bool:
        """Whether an `ignore-dry-run` rule applies to this request (its dryRun is then dropped)."""
        return any(r.action == "ignore-dry-run" and r.matches(info, user) and r.take() for r in self.rules)
