"""ServiceAccount admission (plugin/pkg/admission/serviceaccount/admission.go), for pod creation.

Mutating phase, after LimitRanger and before the webhooks (AllOrderedPlugins): the pod's ServiceAccount
(`default` when unset) must exist — else 403 `pods "web-7d9f8b-" is forbidden: error looking up service
account demo/missing: serviceaccount "missing" not found` (admission.NewForbidden names a generateName pod by
its prefix) — and, unless the pod or its ServiceAccount sets `automountServiceAccountToken: false`, every
container and init container without a mount at /var/run/secrets/kubernetes.io/serviceaccount gets one of a
`kube-api-access-<5 chars>` projected volume (token, kube-root-ca.crt's ca.crt, the namespace). The
ServiceAccount's imagePullSecrets are copied when the pod has none. Mirror pods are left alone.
"""

from __future__ import annotations

import random

from tests.kubesim.admission import messages
from tests.kubesim.admission.attributes import Attributes
from tests.kubesim.admission.resolver import maybe_await

MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
VOLUME_PREFIX = "kube-api-access-"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
# serviceaccount.WarnOnlyBoundTokenExpirationSeconds: 1h plus the 7s the kubelet refreshes early by.
TOKEN_EXPIRATION_SECONDS = 3607
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def token_volume(name: str) -> dict:
    """TokenVolumeSource() as the API server stores it (defaultMode set explicitly, #104464)."""
    return {
        "name": name,
        "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
            ],
            "defaultMode": 420,
        },
    }


class ServiceAccountAdmission:
    def __init__(self, store: object):
        self.store = store
        self.rand = random.Random()

    async def admit(self, attrs: Attributes) -> None:
        if not (attrs.is_pod and attrs.operation == "CREATE" and attrs.obj is not None):
            return
        pod = attrs.obj
        meta = pod.get("metadata") or {}
        if MIRROR_ANNOTATION in (meta.get("annotations") or {}):
            return
        spec = pod.setdefault("spec", {})
        name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        spec["serviceAccountName"] = name
        sa = await maybe_await(self.store.get("v1/serviceaccounts", attrs.namespace, name))  # type: ignore[attr-defined]
        if sa is None:
            raise messages.forbidden(
                attrs.resource,
                attrs.object_name(),
                f'error looking up service account {attrs.namespace}/{name}: serviceaccount "{name}" not found',
            )
        if self._automount(sa, spec):
            self._mount(spec)
        if not spec.get("imagePullSecrets") and sa.get("imagePullSecrets"):
            spec["imagePullSecrets"] = [{"name": s.get("name", "")} for s in sa["imagePullSecrets"]]

    @staticmethod
    def _automount(sa: dict, spec: dict) -> bool:
        if spec.get("automountServiceAccountToken") is not None:
            return bool(spec["automountServiceAccountToken"])
        if sa.get("automountServiceAccountToken") is not None:
            return bool(sa["automountServiceAccountToken"])
        return True

    def _mount(self, spec: dict) -> None:
        volumes = spec.get("volumes") or []
        existing = next((v.get("name") for v in volumes if str(v.get("name", "")).startswith(VOLUME_PREFIX)), None)
        volume_name = existing or VOLUME_PREFIX + "".join(self.rand.choice(_ALPHABET) for _ in range(5))
        needed = False
        for key in ("initContainers", "containers"):
            for container in spec.get(key) or ():
                mounts = container.setdefault("volumeMounts", [])
                if any(m.get("mountPath") == MOUNT_PATH for m in mounts):
                    continue
                mounts.append({"name": volume_name, "readOnly": True, "mountPath": MOUNT_PATH})
                needed = True
        if needed and existing is None:
            spec["volumes"] = volumes + [token_volume(volume_name)]
