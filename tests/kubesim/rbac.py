"""An RBAC authorizer over the Role/ClusterRole/(Cluster)RoleBinding objects in the store.

Answers (Self)SubjectAccessReviews and authorizes tokens configured with `authorize: rbac`. Covers rules with
verbs/apiGroups/resources/resourceNames (`*`, `resource/subresource`, `*/subresource`), nonResourceURLs,
ServiceAccount/User/Group subjects and aggregated ClusterRoles. Members of system:masters are always allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .selectors import selector_matches
from .store import Store

ROLES = "rbac.authorization.k8s.io/v1/roles"
ROLE_BINDINGS = "rbac.authorization.k8s.io/v1/rolebindings"
CLUSTER_ROLES = "rbac.authorization.k8s.io/v1/clusterroles"
CLUSTER_ROLE_BINDINGS = "rbac.authorization.k8s.io/v1/clusterrolebindings"


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...] = ("system:authenticated",)
    uid: str = ""
    # How requests by this user are authorized: "allow" (everything) or "rbac" (the store's RBAC objects).
    authorize: str = "allow"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {"username": self.name, "groups": list(self.groups)}
        if self.uid:
            out["uid"] = self.uid
        return out


ADMIN = User("kubernetes-admin", ("system:masters", "system:authenticated"))


def service_account_user(namespace: str, name: str, authorize: str = "rbac") -> User:
    return User(
        f"system:serviceaccount:{namespace}:{name}",
        ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"),
        authorize=authorize,
    )


def controller_user(name: str) -> User:
    return service_account_user("kube-system", name, authorize="allow")


@dataclass(frozen=True)
class Attributes:
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""  # non-resource requests

    @property
    def is_resource(self) -> bool:
        return bool(self.resource)


def _subject_matches(subject: dict, user: User) -> bool:
    kind = subject.get("kind")
    if kind == "User":
        return subject.get("name") == user.name
    if kind == "Group":
        return subject.get("name") in user.groups
    if kind == "ServiceAccount":
        return user.name == f"system:serviceaccount:{subject.get('namespace', '')}:{subject.get('name')}"
    return False


def _rule_allows(rule: dict, attrs: Attributes) -> bool:
    verbs = rule.get("verbs") or ()
    if "*" not in verbs and attrs.verb not in verbs:
        return False
    if not attrs.is_resource:
        urls = rule.get("nonResourceURLs") or ()
        return any(u == "*" or u == attrs.path or (u.endswith("*") and attrs.path.startswith(u[:-1])) for u in urls)
    groups = rule.get("apiGroups") or ()
    if "*" not in groups and attrs.group not in groups:
        return False
    resources = rule.get("resources") or ()
    wanted = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    ok = "*" in resources or wanted in resources or (attrs.subresource and f"*/{attrs.subresource}" in resources)
    if not ok:
        return False
    names = rule.get("resourceNames") or ()
    return not names or attrs.name in names


def _discovery_path(path: str) -> bool:
    return path in ("/version", "/api", "/apis", "/healthz", "/livez", "/readyz", "/openapi/v2") or path.startswith(
        ("/api/", "/apis/", "/openapi/v3")
    )


class Authorizer:
    def __init__(self, store: Store):
        self.store = store

    def _cluster_role_rules(self, name: str) -> list[dict] | None:
        role = self.store.get(CLUSTER_ROLES, None, name)
        if role is None:
            return None
        rules = list(role.get("rules") or ())
        aggregation = role.get("aggregationRule")
        if aggregation:
            for other in self.store.objects(CLUSTER_ROLES):
                if other is role:
                    continue
                labels = other["metadata"].get("labels")
                if any(selector_matches(sel, labels) for sel in aggregation.get("clusterRoleSelectors") or ()):
                    rules += other.get("rules") or ()
        return rules

    def authorize(self, user: User, attrs: Attributes) -> tuple[bool, str]:
        """(allowed, reason) like the RBAC authorizer's decision."""
        if "system:masters" in user.groups:
            return True, ""
        if "system:authenticated" in user.groups:
            # Bootstrap bindings every cluster has (not stored as objects here).
            if (
                attrs.is_resource
                and attrs.verb == "create"
                and attrs.group == "authorization.k8s.io"
                and attrs.resource in ("selfsubjectaccessreviews", "selfsubjectrulesreviews")
            ):
                return True, (
                    'RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole '
                    '"system:basic-user" to Group "system:authenticated"'
                )
            if not attrs.is_resource and attrs.verb == "get" and _discovery_path(attrs.path):
                return True, (
                    'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole '
                    '"system:discovery" to Group "system:authenticated"'
                )
        for crb in self.store.objects(CLUSTER_ROLE_BINDINGS):
            if not any(_subject_matches(s, user) for s in crb.get("subjects") or ()):
                continue
            ref = crb.get("roleRef") or {}
            rules = self._cluster_role_rules(ref.get("name", "")) or []
            if any(_rule_allows(r, attrs) for r in rules):
                return True, (
                    f'RBAC: allowed by ClusterRoleBinding "{crb["metadata"]["name"]}" of ClusterRole '
                    f'"{ref.get("name")}" to {self._who(user, crb)}'
                )
        if attrs.namespace:
            for rb in self.store.objects(ROLE_BINDINGS, attrs.namespace):
                if not any(_subject_matches(s, user) for s in rb.get("subjects") or ()):
                    continue
                ref = rb.get("roleRef") or {}
                if ref.get("kind") == "ClusterRole":
                    rules = self._cluster_role_rules(ref.get("name", "")) or []
                else:
                    role = self.store.get(ROLES, attrs.namespace, ref.get("name", ""))
                    rules = list((role or {}).get("rules") or ())
                if any(_rule_allows(r, attrs) for r in rules):
                    return True, (
                        f'RBAC: allowed by RoleBinding "{rb["metadata"]["name"]}/{attrs.namespace}" of '
                        f'{ref.get("kind")} "{ref.get("name")}" to {self._who(user, rb)}'
                    )
        return False, ""

    @staticmethod
    def _who(user: User, binding: dict) -> str:
        for s in binding.get("subjects") or ():
            if _subject_matches(s, user):
                if s.get("kind") == "ServiceAccount":
                    return f'ServiceAccount "{s.get("name")}/{s.get("namespace")}"'
                return f'{s.get("kind")} "{s.get("name")}"'
        return f'User "{user.name}"'

    def review(self, user: User, spec: dict) -> dict:
        """status of a (Self)SubjectAccessReview for `spec` evaluated as `user`."""
        ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if ra:
            attrs = Attributes(
                verb=ra.get("verb", ""),
                group=ra.get("group", ""),
                resource=ra.get("resource", ""),
                subresource=ra.get("subresource", ""),
                namespace=ra.get("namespace", ""),
                name=ra.get("name", ""),
            )
        else:
            nra = nra or {}
            attrs = Attributes(verb=nra.get("verb", ""), path=nra.get("path", ""))
        allowed, reason = self.authorize(user, attrs)
        status: dict[str, Any] = {"allowed": allowed}
        if reason:
            status["reason"] = reason
        return status
