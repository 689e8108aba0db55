"""A test stand-in for the Linkerd proxy injector (controller/proxy-injector, path `/`).

TLS: serves tls.crt/tls.key from Secret `linkerd-proxy-injector-k8s-tls` in its namespace, re-read
from the store on every connection (the real injector hot-reloads the mounted files), TLS 1.3 minimum
as in 2.18+. Without that Secret the injector is not running: connections are dropped (EOF).

Decision (pkg/inject/report.go Injectable, in order): hostNetwork; an existing sidecar (containers or
init containers named linkerd-proxy/istio-proxy/linkerd-init/istio-init or using their images); then the
`linkerd.io/inject` annotations: an invalid namespace value blocks everything, an invalid pod value
blocks the pod, a namespace enabled/ingress injects unless the pod says disabled, otherwise the pod
must say enabled/ingress. Skipped pods are admitted unchanged, with an `InjectionSkipped` event on the
owning workload; injected pods get an `Injected` event (events only when the owner is found and the
request is not a dry run).

Injected: linkerd-init (NET_ADMIN, NET_RAW) first among the init containers; linkerd-proxy as
containers[0] (classic), or as the second init container with restartPolicy Always when
`config.{,alpha.,beta.}linkerd.io/proxy-enable-native-sidecar: "true"` is on the pod or namespace (or the
injector's default says so); annotations linkerd.io/created-by and linkerd.io/proxy-version; labels
linkerd.io/control-plane-ns, linkerd.io/workload-ns and linkerd.io/proxy-<owner kind>.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
from typing import Any

import jsonpatch

from tests.kubesim.admission.resolver import maybe_await
from tests.kubesim.injectors import certs
from tests.kubesim.injectors.cluster import Writer, now_rfc3339, owner_workload
from tests.kubesim.injectors.server import AdmissionServer, response_for

log = logging.getLogger("kubesim.injectors.linkerd")

SECRET = "linkerd-proxy-injector-k8s-tls"
INJECT = "linkerd.io/inject"
VALID_INJECT = ("", "enabled", "disabled", "ingress")
NATIVE_KEYS = (
    "config.linkerd.io/proxy-enable-native-sidecar",
    "config.beta.linkerd.io/proxy-enable-native-sidecar",
    "config.alpha.linkerd.io/proxy-enable-native-sidecar",
)
REASONS = {
    "host_network_enabled": "hostNetwork is enabled",
    "sidecar_already_exists": "pod has a sidecar injected already",
    "injection_enable_annotation_absent": (
        'neither the namespace nor the pod have the annotation "linkerd.io/inject:enabled"'
    ),
    "injection_disable_annotation_present": 'pod has the annotation "linkerd.io/inject:disabled"',
    "invalid_inject_annotation_at_workload": 'invalid value for annotation "linkerd.io/inject" at workload',
    "invalid_inject_annotation_at_ns": 'invalid value for annotation "linkerd.io/inject" at namespace',
}
_PROXY_NAMES = ("linkerd-proxy", "istio-proxy")
_PROXY_IMAGES = ("cr.l5d.io/linkerd/proxy:", "gcr.io/istio-release/proxyv2:")
_INIT_NAMES = ("linkerd-init", "istio-init")
_INIT_IMAGES = ("cr.l5d.io/linkerd/proxy-init:", "gcr.io/istio-release/proxy_init:")


def has_sidecar(spec: dict) -> bool:
    """healthcheck.HasExistingSidecars (2.16+: the proxy test also scans initContainers)."""
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if c.get("name") in _PROXY_NAMES or str(c.get("image", "")).startswith(_PROXY_IMAGES):
            return True
    for c in spec.get("initContainers") or []:
        if c.get("name") in _INIT_NAMES or str(c.get("image", "")).startswith(_INIT_IMAGES):
            return True
    return False


def skip_reasons(pod: dict, ns_annotations: dict[str, str]) -> list[str]:
    """Reason ids in report.Injectable's order; empty means inject."""
    spec = pod.get("spec") or {}
    reasons = []
    if spec.get("hostNetwork"):
        reasons.append("host_network_enabled")
    if has_sidecar(spec):
        reasons.append("sidecar_already_exists")
    pod_value = ((pod.get("metadata") or {}).get("annotations") or {}).get(INJECT, "")
    ns_value = ns_annotations.get(INJECT, "")
    if ns_value not in VALID_INJECT:
        reasons.append("invalid_inject_annotation_at_ns")
    elif pod_value not in VALID_INJECT:
        reasons.append("invalid_inject_annotation_at_workload")
    elif ns_value in ("enabled", "ingress"):
        if pod_value == "disabled":
            reasons.append("injection_disable_annotation_present")
    elif pod_value not in ("enabled", "ingress"):
        reasons.append("injection_enable_annotation_absent")
    return reasons


class LinkerdInjector:
    def __init__(
        self,
        store: Any,
        namespace: str = "linkerd",
        *,
        writer: Writer | None = None,
        version: str = "edge-25.4.4",
        init_image: str = "cr.l5d.io/linkerd/proxy-init:v2.4.2",
        native_sidecar: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.store = store
        self.namespace = namespace
        self.writer = writer
        self.version = version
        self.init_image = init_image
        self.native_sidecar = native_sidecar
        self.service = "linkerd-proxy-injector"
        self._loaded: tuple[str, str] | None = None
        self._context: ssl.SSLContext | None = None
        self.server = AdmissionServer(f"linkerd:{self.host_port}", self._handle, self._ssl_context, host, port)

    @property
    def host_port(self) -> str:
        return f"{self.service}.{self.namespace}.svc:443"

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        """Stop listening: calls get `connection refused` until start()."""
        await self.server.stop()

    async def close(self) -> None:
        await self.server.close()

    async def _ssl_context(self) -> ssl.SSLContext:
        secret = await maybe_await(self.store.get("v1/secrets", self.namespace, SECRET))
        data = (secret or {}).get("data") or {}
        crt, key = data.get("tls.crt", ""), data.get("tls.key", "")
        if not crt or not key:
            raise ConnectionAbortedError(f"secret {self.namespace}/{SECRET} has no tls.crt/tls.key")
        if self._context is None or self._loaded != (crt, key):
            pair = certs.KeyPair(base64.b64decode(crt), base64.b64decode(key))
            self._context = certs.server_context(pair, ssl.TLSVersion.TLSv1_3)
            self._loaded = (crt, key)
        return self._context

    async def _namespace_annotations(self, namespace: str) -> dict[str, str]:
        ns = await maybe_await(self.store.get("v1/namespaces", None, namespace))
        return ((ns or {}).get("metadata") or {}).get("annotations") or {}

    async def _event(self, owner: dict | None, reason: str, message: str, dry_run: bool) -> None:
        if owner is None or self.writer is None or dry_run:
            return
        meta = owner.get("metadata") or {}
        stamp = now_rfc3339()
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{meta.get('name')}.{abs(hash((reason, stamp, id(owner)))) % 16**12:012x}",
                "namespace": meta.get("namespace"),
            },
            "involvedObject": {
                "apiVersion": owner.get("apiVersion"),
                "kind": owner.get("kind"),
                "name": meta.get("name"),
                "namespace": meta.get("namespace"),
                "uid": meta.get("uid"),
            },
            "reason": reason,
            "message": message,
            "type": "Normal",
            "count": 1,
            "source": {"component": "linkerd-proxy-injector"},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
        }
        try:
            await self.writer.create("v1/events", event)
        except Exception as exc:  # an event that cannot be written never fails admission
            log.debug("event not written: %s", exc)

    async def _handle(self, review: dict, path: str) -> dict:
        request = review.get("request") or {}
        obj = request.get("object") or {}
        namespace = request.get("namespace") or (obj.get("metadata") or {}).get("namespace") or ""
        ns_annotations = await self._namespace_annotations(namespace)
        kind = (request.get("kind") or {}).get("kind")
        if kind == "Service":
            return self._service_response(review, obj, ns_annotations)
        if kind != "Pod":
            return response_for(review)
        owner = await owner_workload(self.store, obj, namespace)
        reasons = skip_reasons(obj, ns_annotations)
        dry_run = bool(request.get("dryRun"))
        if reasons:
            text = ", ".join(REASONS[r] for r in reasons)
            log.info("skipped pod/%s: %s", (obj.get("metadata") or {}).get("name") or "", text)
            await self._event(owner, "InjectionSkipped", f"Linkerd sidecar proxy injection skipped: {text}", dry_run)
            return response_for(review)
        injected = self.inject(obj, namespace, ns_annotations, owner)
        await self._event(owner, "Injected", "Linkerd sidecar proxy injected", dry_run)
        patch = jsonpatch.make_patch(obj, injected)
        return response_for(review, patch=json.dumps(patch.patch).encode())

    def _service_response(self, review: dict, svc: dict, ns_annotations: dict[str, str]) -> dict:
        opaque = ns_annotations.get("config.linkerd.io/opaque-ports")
        annotations = (svc.get("metadata") or {}).get("annotations") or {}
        if not opaque or "config.linkerd.io/opaque-ports" in annotations:
            return response_for(review)
        updated = json.loads(json.dumps(svc))
        updated.setdefault("metadata", {}).setdefault("annotations", {})["config.linkerd.io/opaque-ports"] = opaque
        return response_for(review, patch=json.dumps(jsonpatch.make_patch(svc, updated).patch).encode())

    def _native(self, pod: dict, ns_annotations: dict[str, str]) -> bool:
        annotations = (pod.get("metadata") or {}).get("annotations") or {}
        for source in (annotations, ns_annotations):
            for key in NATIVE_KEYS:
                if key in source:
                    return source[key] == "true"
        return self.native_sidecar

    def inject(self, pod: dict, namespace: str, ns_annotations: dict[str, str], owner: dict | None = None) -> dict:
        out = json.loads(json.dumps(pod))
        meta = out.setdefault("metadata", {})
        spec = out.setdefault("spec", {})
        annotations = meta.setdefault("annotations", {})
        labels = meta.setdefault("labels", {})
        annotations["linkerd.io/created-by"] = f"linkerd/proxy-injector {self.version}"
        annotations["linkerd.io/proxy-version"] = self.version
        labels["linkerd.io/control-plane-ns"] = self.namespace
        labels["linkerd.io/workload-ns"] = namespace
        if owner is not None:
            labels[f"linkerd.io/proxy-{str(owner.get('kind', '')).lower()}"] = (owner.get("metadata") or {}).get("name")
        proxy = self._proxy(pod, spec)
        init = self._init()
        if self._native(pod, ns_annotations):
            proxy["restartPolicy"] = "Always"
            proxy["startupProbe"] = {
                "failureThreshold": 120,
                "httpGet": {"path": "/ready", "port": 4191},
                "initialDelaySeconds": 0,
                "periodSeconds": 1,
            }
            spec["initContainers"] = [init, proxy] + list(spec.get("initContainers") or [])
        else:
            spec["initContainers"] = [init] + list(spec.get("initContainers") or [])
            if annotations.get("config.linkerd.io/proxy-await") == "disabled":
                spec["containers"] = list(spec.get("containers") or []) + [proxy]
            else:
                spec["containers"] = [proxy] + list(spec.get("containers") or [])
        spec["volumes"] = list(spec.get("volumes") or []) + [
            {"emptyDir": {}, "name": "linkerd-proxy-init-xtables-lock"},
            {"emptyDir": {"medium": "Memory"}, "name": "linkerd-identity-end-entity"},
            {
                "name": "linkerd-identity-token",
                "projected": {
                    "sources": [
                        {
                            "serviceAccountToken": {
                                "audience": "identity.l5d.io",
                                "expirationSeconds": 86400,
                                "path": "linkerd-identity-token",
                            }
                        }
                    ]
                },
            },
        ]
        return out

    def _init(self) -> dict:
        return {
            "args": [
                "--ipv6=false",
                "--incoming-proxy-port",
                "4143",
                "--outgoing-proxy-port",
                "4140",
                "--proxy-uid",
                "2102",
                "--inbound-ports-to-ignore",
                "4190,4191,4567,4568",
                "--outbound-ports-to-ignore",
                "443,6443",
            ],
            "image": self.init_image,
            "imagePullPolicy": "IfNotPresent",
            "name": "linkerd-init",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]},
                "privileged": False,
                "readOnlyRootFilesystem": True,
                "runAsGroup": 65534,
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "terminationMessagePolicy": "FallbackToLogsOnError",
            "volumeMounts": [{"mountPath": "/run", "name": "linkerd-proxy-init-xtables-lock"}],
        }

    def _proxy(self, pod: dict, spec: dict) -> dict:
        annotations = (pod.get("metadata") or {}).get("annotations") or {}
        resources: dict[str, dict[str, str]] = {}
        for key, group, res in (
            ("proxy-cpu-request", "requests", "cpu"),
            ("proxy-memory-request", "requests", "memory"),
            ("proxy-cpu-limit", "limits", "cpu"),
            ("proxy-memory-limit", "limits", "memory"),
        ):
            value = annotations.get(f"config.linkerd.io/{key}")
            if value:
                resources.setdefault(group, {})[res] = value
        ports = sorted(
            {str(p.get("containerPort")) for c in spec.get("containers") or [] for p in c.get("ports") or []}
        )
        return {
            "env": [
                {"name": "_pod_name", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "_pod_ns", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "LINKERD2_PROXY_LOG", "value": "warn,linkerd=info,hickory=error"},
                {
                    "name": "LINKERD2_PROXY_DESTINATION_SVC_ADDR",
                    "value": f"linkerd-dst-headless.{self.namespace}.svc.cluster.local.:8086",
                },
                {"name": "LINKERD2_PROXY_INBOUND_PORTS", "value": ",".join(ports)},
                {
                    "name": "LINKERD2_PROXY_IDENTITY_SVC_ADDR",
                    "value": f"linkerd-identity-headless.{self.namespace}.svc.cluster.local.:8080",
                },
            ],
            "image": f"cr.l5d.io/linkerd/proxy:{self.version}",
            "imagePullPolicy": "IfNotPresent",
            "lifecycle": {
                "postStart": {"exec": {"command": ["/usr/lib/linkerd/linkerd-await", "--timeout=2m", "--port=4191"]}}
            },
            "livenessProbe": {
                "httpGet": {"path": "/live", "port": 4191},
                "initialDelaySeconds": 10,
                "timeoutSeconds": 1,
            },
            "name": "linkerd-proxy",
            "ports": [
                {"containerPort": 4143, "name": "linkerd-proxy"},
                {"containerPort": 4191, "name": "linkerd-admin"},
            ],
            "readinessProbe": {
                "httpGet": {"path": "/ready", "port": 4191},
                "initialDelaySeconds": 2,
                "timeoutSeconds": 1,
            },
            "resources": resources,
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "runAsUser": 2102,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "terminationMessagePolicy": "FallbackToLogsOnError",
            "volumeMounts": [
                {"mountPath": "/var/run/linkerd/identity/end-entity", "name": "linkerd-identity-end-entity"},
                {"mountPath": "/var/run/secrets/tokens", "name": "linkerd-identity-token"},
            ],
        }
