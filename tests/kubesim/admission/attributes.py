"""The admission request as every plugin sees it (admission.Attributes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_KINDS = {
    "pods": "Pod",
    "services": "Service",
    "namespaces": "Namespace",
    "configmaps": "ConfigMap",
    "secrets": "Secret",
    "endpoints": "Endpoints",
    "events": "Event",
    "nodes": "Node",
    "serviceaccounts": "ServiceAccount",
    "resourcequotas": "ResourceQuota",
    "limitranges": "LimitRange",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet",
    "jobs": "Job",
    "cronjobs": "CronJob",
    "endpointslices": "EndpointSlice",
    "networkpolicies": "NetworkPolicy",
    "roles": "Role",
    "rolebindings": "RoleBinding",
    "clusterroles": "ClusterRole",
    "clusterrolebindings": "ClusterRoleBinding",
    "mutatingwebhookconfigurations": "MutatingWebhookConfiguration",
    "validatingwebhookconfigurations": "ValidatingWebhookConfiguration",
}

_OPTIONS_KIND = {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"}


@dataclass
class Attributes:
    operation: str
    group: str
    version: str
    plural: str
    subresource: str
    namespace: str
    name: str
    kind: str
    obj: dict | None
    old: dict | None
    dry_run: bool
    user: dict
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        *,
        operation: str,
        resource: str,
        subresource: str | None,
        namespace: str | None,
        obj: dict | None,
        old: dict | None,
        dry_run: bool,
        user: dict | None,
    ) -> Attributes:
        parts = resource.split("/")
        group, version, plural = (parts[0], parts[1], parts[2]) if len(parts) == 3 else ("", parts[0], parts[-1])
        source = obj if obj is not None else old
        meta = (source or {}).get("metadata") or {}
        name = str(meta.get("name") or "")
        if resource == "v1/namespaces" and not subresource:
            # kube-apiserver sets the request namespace of a Namespace object to its own name.
            namespace = name
        kind = str((source or {}).get("kind") or _KINDS.get(plural, plural[:1].upper() + plural[1:]))
        if subresource:
            kind = (source or {}).get("kind") or kind
        return cls(
            operation=operation.upper(),
            group=group,
            version=version,
            plural=plural,
            subresource=subresource or "",
            namespace=namespace or "",
            name=name,
            kind=kind,
            obj=obj,
            old=old,
            dry_run=dry_run,
            user=dict(user or {}),
        )

    @property
    def resource(self) -> str:
        return f"{self.group}/{self.version}/{self.plural}" if self.group else f"{self.version}/{self.plural}"

    @property
    def is_pod(self) -> bool:
        return self.group == "" and self.plural == "pods" and not self.subresource

    def object_name(self) -> str:
        """admission.NewForbidden's name: request name, else object name, else generateName."""
        if self.name:
            return self.name
        meta = (self.obj or {}).get("metadata") or {}
        return str(meta.get("name") or meta.get("generateName") or "Unknown")

    def options(self) -> dict[str, Any]:
        kind = _OPTIONS_KIND.get(self.operation)
        if kind is None:
            return {}
        options: dict[str, Any] = {"kind": kind, "apiVersion": "meta.k8s.io/v1"}
        if self.dry_run:
            options["dryRun"] = ["All"]
        return options
