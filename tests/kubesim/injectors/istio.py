"""A test stand-in for istiod's sidecar injector (`/inject`), its policy and its webhook cert patcher.

Decision (istio pkg/kube/inject/inject.go injectRequired, in order): hostNetwork -> no; namespace in
kube-system/kube-public/kube-node-lease/local-path-storage -> no; `sidecar.istio.io/inject` label
(else annotation) "true"/"false" decides; otherwise neverInjectSelector, alwaysInjectSelector, then the
ConfigMap policy (`enabled` injects, `disabled` does not, any other value disables injection even for
explicit "true"). Settings come from ConfigMap `istio-sidecar-injector[-<rev>]` (keys `config` and
`values`) in the istiod namespace when it exists, else the chart defaults.

What is added is what the upstream golden files show (fixtures istio/injected-pods): classic mode
istio-init (NET_ADMIN, NET_RAW, uid 0) + istio-proxy container; native mode istio-proxy as an init
container with restartPolicy Always; CNI mode istio-validation instead of istio-init. A pod that already
has an istio-proxy container is answered with no patch.

Cert patcher (istio pkg/webhooks/webhookpatch.go): the injector has its own CA and serving cert for
`istiod[-<rev>].<ns>.svc` and writes its CA into the caBundle of webhooks named `*sidecar-injector.istio.io`
in MutatingWebhookConfigurations labelled `istio.io/rev=<its revision>` - any other configuration keeps
whatever caBundle it had.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import ssl
from typing import Any

import jsonpatch
import yaml

from tests.kubesim.admission import selectors
from tests.kubesim.admission.quantity import canonical
from tests.kubesim.admission.resolver import maybe_await
from tests.kubesim.injectors import certs
from tests.kubesim.injectors.cluster import Writer
from tests.kubesim.injectors.server import AdmissionServer, response_for

log = logging.getLogger("kubesim.injectors.istio")

IGNORED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "local-path-storage")
DEFAULT_IMAGE = "docker.io/istio/proxyv2:1.24.2"
DEFAULT_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}
MWC = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
VOLUMES = [
    "workload-socket",
    "credential-socket",
    "workload-certs",
    "istio-envoy",
    "istio-data",
    "istio-podinfo",
    "istio-token",
    "istiod-ca-cert",
    "istio-ca-crl",
]


def inject_required(pod: dict, namespace: str, config: dict) -> bool:
    """istiod's injectRequired, in upstream order."""
    spec = pod.get("spec") or {}
    meta = pod.get("metadata") or {}
    if spec.get("hostNetwork"):
        return False
    if namespace in IGNORED_NAMESPACES:
        return False
    labels = meta.get("labels") or {}
    value = (meta.get("annotations") or {}).get("sidecar.istio.io/inject", "")
    if "sidecar.istio.io/inject" in labels:
        value = labels["sidecar.istio.io/inject"]
    use_default, inject = False, False
    if value == "true":
        inject = True
    elif value == "false":
        inject = False
    else:
        if value:
            log.info("Invalid value for sidecar.istio.io/inject: %r. Falling back to default injection policy", value)
        use_default = True
    if use_default:
        for sel in config.get("neverInjectSelector") or []:
            if not selectors.is_empty(sel) and selectors.matches(sel, labels):
                return _policy_gate(config, False)
        for sel in config.get("alwaysInjectSelector") or []:
            if not selectors.is_empty(sel) and selectors.matches(sel, labels):
                return _policy_gate(config, True)
    return _policy_gate(config, inject, use_default)


def _policy_gate(config: dict, inject: bool, use_default: bool = False) -> bool:
    policy = config.get("policy", "enabled")
    if policy == "enabled":
        return True if use_default else inject
    if policy == "disabled":
        return False if use_default else inject
    log.error("Illegal value for autoInject:%s, must be one of [disabled,enabled]. Auto injection disabled!", policy)
    return False


def _dig(values: dict, *path: str) -> Any:
    for key in path:
        if not isinstance(values, dict):
            return None
        values = values.get(key)  # type: ignore[assignment]
    return values


def _workload(pod: dict, namespace: str) -> tuple[str, str]:
    """(workload name, ISTIO_META_OWNER) like istio's GetDeployMetaFromPod."""
    meta = pod.get("metadata") or {}
    refs = meta.get("ownerReferences") or []
    if refs:
        ref = refs[0]
        kind, name = ref.get("kind", ""), ref.get("name", "")
        hash_label = (meta.get("labels") or {}).get("pod-template-hash", "")
        if kind == "ReplicaSet" and hash_label and name.endswith("-" + hash_label):
            deploy = name[: -len(hash_label) - 1]
            return deploy, f"kubernetes://apis/apps/v1/namespaces/{namespace}/deployments/{deploy}"
        group_version = ref.get("apiVersion", "v1")
        prefix = "api" if "/" not in group_version else "apis"
        return name, f"kubernetes://{prefix}/{group_version}/namespaces/{namespace}/{kind.lower()}s/{name}"
    name = meta.get("name") or str(meta.get("generateName") or "").rstrip("-")
    return name, f"kubernetes://apis/v1/namespaces/{namespace}/pods/{name}"


class IstioInjector:
    def __init__(
        self,
        store: Any,
        namespace: str = "istio-system",
        revision: str = "",
        *,
        writer: Writer | None = None,
        native_sidecars: bool = False,
        cni: bool | None = None,
        image: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.store = store
        self.namespace = namespace
        self.revision = revision
        self.writer = writer
        self.native_sidecars = native_sidecars
        self.cni = cni
        self.image = image
        self.service = f"istiod-{revision}" if revision else "istiod"
        self.ca = certs.new_ca("cluster.local")
        self.serving = certs.issue(self.ca, self.dns_names)
        self._context: ssl.SSLContext = certs.server_context(self.serving)
        self.server = AdmissionServer(f"istio:{self.host_port}", self._handle, self._ssl_context, host, port)

    # ------------------------------------------------------------------ identity
    @property
    def revision_label(self) -> str:
        return self.revision or "default"

    @property
    def dns_names(self) -> list[str]:
        return [f"{self.service}.{self.namespace}.svc"]

    @property
    def host_port(self) -> str:
        return f"{self.service}.{self.namespace}.svc:443"

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self.server.start()
        await self.patch_webhooks()

    async def stop(self) -> None:
        """Stop listening: calls get `connection refused` until start()."""
        await self.server.stop()

    async def close(self) -> None:
        await self.server.close()

    async def _ssl_context(self) -> ssl.SSLContext:
        return self._context

    # ------------------------------------------------------------------ controls for tests
    def use_certificate(self, pair: certs.KeyPair) -> None:
        self.serving = pair
        self._context = certs.server_context(pair)

    def serve_foreign_ca(self, organization: str = "another-ca") -> certs.KeyPair:
        """Serve a certificate for the right name from a CA that no caBundle holds; returns that CA."""
        other = certs.new_ca(organization)
        self.use_certificate(certs.issue(other, self.dns_names))
        return other

    def serve_expired(self) -> None:
        self.use_certificate(certs.expired(self.ca, self.dns_names))

    def serve_wrong_name(self, name: str = "istiod.wrong-namespace.svc") -> None:
        self.use_certificate(certs.issue(self.ca, [name]))

    def serve_valid(self) -> None:
        self.use_certificate(certs.issue(self.ca, self.dns_names))

    # ------------------------------------------------------------------ cert patcher
    async def patch_webhooks(self) -> int:
        """Write our CA into matching webhooks; returns how many configurations changed."""
        if self.writer is None:
            return 0
        bundle = self.ca.cert_b64
        changed = 0
        for config in await maybe_await(self.store.list(MWC)):
            labels = (config.get("metadata") or {}).get("labels") or {}
            if labels.get("istio.io/rev") != self.revision_label:
                continue
            updated = copy.deepcopy(config)
            dirty = False
            for hook in updated.get("webhooks") or []:
                if str(hook.get("name", "")).endswith("sidecar-injector.istio.io"):
                    client = hook.setdefault("clientConfig", {})
                    if client.get("caBundle") != bundle:
                        client["caBundle"] = bundle
                        dirty = True
            if dirty:
                await self.writer.replace(MWC, updated)
                changed += 1
        return changed

    # ------------------------------------------------------------------ injection
    async def _settings(self) -> tuple[dict, dict]:
        name = f"istio-sidecar-injector-{self.revision}" if self.revision else "istio-sidecar-injector"
        cm = await maybe_await(self.store.get("v1/configmaps", self.namespace, name))
        data = (cm or {}).get("data") or {}
        try:
            config = yaml.safe_load(data.get("config") or "") or {}
        except yaml.YAMLError:
            config = {}
        try:
            values = json.loads(data.get("values") or "{}")
        except ValueError:
            values = {}
        return (config if isinstance(config, dict) else {}), (values if isinstance(values, dict) else {})

    def _image(self, values: dict) -> str:
        if self.image:
            return self.image
        hub, tag = _dig(values, "global", "hub"), _dig(values, "global", "tag")
        image = _dig(values, "global", "proxy", "image")
        if image and "/" in str(image):
            return str(image)
        if hub and tag and image:
            return f"{hub}/{image}:{tag}"
        return DEFAULT_IMAGE

    @staticmethod
    def _resources(pod: dict, values: dict) -> dict:
        annotations = (pod.get("metadata") or {}).get("annotations") or {}
        keys = {
            "requests": {"cpu": "sidecar.istio.io/proxyCPU", "memory": "sidecar.istio.io/proxyMemory"},
            "limits": {"cpu": "sidecar.istio.io/proxyCPULimit", "memory": "sidecar.istio.io/proxyMemoryLimit"},
        }
        if any(k in annotations for group in keys.values() for k in group.values()):
            out: dict = {}
            for group, names in keys.items():
                chosen = {res: annotations[key] for res, key in names.items() if key in annotations}
                if chosen:
                    out[group] = chosen
        else:
            out = copy.deepcopy(_dig(values, "global", "proxy", "resources") or DEFAULT_RESOURCES)
        return {g: {k: canonical(v) for k, v in out[g].items()} for g in ("limits", "requests") if out.get(g)}

    async def _handle(self, review: dict, path: str) -> dict:
        request = review.get("request") or {}
        pod = request.get("object") or {}
        if request.get("kind", {}).get("kind") != "Pod" or not path.startswith("/inject"):
            return response_for(review)
        namespace = request.get("namespace") or (pod.get("metadata") or {}).get("namespace") or ""
        config, values = await self._settings()
        names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []] + [
            c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or []
        ]
        if "istio-proxy" in names or not inject_required(pod, namespace, config):
            return response_for(review)
        injected = self.inject(pod, namespace, values)
        patch = jsonpatch.make_patch(pod, injected)
        return response_for(review, patch=json.dumps(patch.patch).encode())

    def inject(self, pod: dict, namespace: str, values: dict | None = None) -> dict:
        values = values or {}
        out = copy.deepcopy(pod)
        meta = out.setdefault("metadata", {})
        spec = out.setdefault("spec", {})
        annotations = meta.setdefault("annotations", {})
        labels = meta.setdefault("labels", {})
        default_native = "true" if self.native_sidecars else "false"
        native = annotations.get("sidecar.istio.io/nativeSidecar", default_native) != "false"
        cni = self.cni if self.cni is not None else bool(_dig(values, "pilot", "cni", "enabled"))
        image = self._image(values)
        resources = self._resources(pod, values)
        workload, owner = _workload(pod, namespace)
        app_containers = [c.get("name") for c in spec.get("containers") or []]

        init_name = "istio-validation" if cni else "istio-init"
        init = init_container(init_name, image, resources, cni)
        proxy = self._proxy_container(image, resources, namespace, spec, workload, owner, app_containers)
        if native:
            proxy["restartPolicy"] = "Always"
            proxy["startupProbe"] = {
                "failureThreshold": 600,
                "httpGet": {"path": "/healthz/ready", "port": 15021},
                "periodSeconds": 1,
                "timeoutSeconds": 3,
            }
            spec["initContainers"] = [init, proxy] + list(spec.get("initContainers") or [])
            status_init, status_containers = [init_name, "istio-proxy"], None
        else:
            spec["initContainers"] = [init] + list(spec.get("initContainers") or [])
            spec["containers"] = list(spec.get("containers") or []) + [proxy]
            status_init, status_containers = [init_name], ["istio-proxy"]
        spec["volumes"] = list(spec.get("volumes") or []) + self._volumes()

        labels.setdefault("security.istio.io/tlsMode", "istio")
        labels.setdefault(
            "service.istio.io/canonical-name", labels.get("app.kubernetes.io/name") or labels.get("app") or workload
        )
        labels.setdefault(
            "service.istio.io/canonical-revision",
            labels.get("app.kubernetes.io/version") or labels.get("version") or "latest",
        )
        annotations["istio.io/rev"] = self.revision_label
        if app_containers:
            annotations.setdefault("kubectl.kubernetes.io/default-container", app_containers[0])
            annotations.setdefault("kubectl.kubernetes.io/default-logs-container", app_containers[0])
        if "prometheus.io/scrape" not in annotations:
            annotations.update(
                {
                    "prometheus.io/path": "/stats/prometheus",
                    "prometheus.io/port": "15020",
                    "prometheus.io/scrape": "true",
                }
            )
        if cni:
            annotations.update(
                {
                    "sidecar.istio.io/interceptionMode": "REDIRECT",
                    "traffic.sidecar.istio.io/excludeInboundPorts": "15020",
                    "traffic.sidecar.istio.io/includeInboundPorts": "*",
                    "traffic.sidecar.istio.io/includeOutboundIPRanges": "*",
                }
            )
        status = {
            "initContainers": status_init,
            "containers": status_containers,
            "volumes": VOLUMES,
            "imagePullSecrets": None,
            "revision": self.revision_label,
        }
        annotations["sidecar.istio.io/status"] = json.dumps(status, separators=(",", ":"))
        return out

    def _proxy_container(
        self,
        image: str,
        resources: dict,
        namespace: str,
        spec: dict,
        workload: str,
        owner: str,
        app_containers: list[str],
    ) -> dict:
        ports = [
            {"name": p.get("name"), "containerPort": p.get("containerPort")}
            if p.get("name")
            else {"containerPort": p.get("containerPort")}
            for c in spec.get("containers") or []
            for p in c.get("ports") or []
        ]
        pod_ports = "[\n" + ",\n".join("    " + json.dumps(p, separators=(",", ":")) for p in ports) + "\n]"
        env = [
            {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
            {"name": "CA_ADDR", "value": f"{self.service}.{self.namespace}.svc:15012"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "INSTANCE_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "SERVICE_ACCOUNT", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
            {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
            {"name": "ISTIO_CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"divisor": "1", "resource": "limits.cpu"}}},
            {"name": "PROXY_CONFIG", "value": "{}\n"},
            {"name": "ISTIO_META_POD_PORTS", "value": pod_ports},
            {"name": "ISTIO_META_APP_CONTAINERS", "value": ",".join(app_containers)},
            {"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"divisor": "1", "resource": "limits.memory"}}},
            {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
            {"name": "ISTIO_META_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
            {"name": "ISTIO_META_WORKLOAD_NAME", "value": workload},
            {"name": "ISTIO_META_OWNER", "value": owner},
            {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
            {"name": "TRUST_DOMAIN", "value": "cluster.local"},
        ]
        mounts = [
            ("/var/run/secrets/workload-spiffe-uds", "workload-socket"),
            ("/var/run/secrets/credential-uds", "credential-socket"),
            ("/var/run/secrets/workload-spiffe-credentials", "workload-certs"),
            ("/var/run/secrets/istio", "istiod-ca-cert"),
            ("/var/run/secrets/istio/crl", "istio-ca-crl"),
            ("/var/lib/istio/data", "istio-data"),
            ("/etc/istio/proxy", "istio-envoy"),
            ("/var/run/secrets/tokens", "istio-token"),
            ("/etc/istio/pod", "istio-podinfo"),
        ]
        return {
            "args": [
                "proxy",
                "sidecar",
                "--domain",
                "$(POD_NAMESPACE).svc.cluster.local",
                "--proxyLogLevel=warning",
                "--proxyComponentLogLevel=misc:error",
                "--log_output_level=default:info",
            ],
            "env": env,
            "image": image,
            "name": "istio-proxy",
            "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
            "readinessProbe": {
                "failureThreshold": 4,
                "httpGet": {"path": "/healthz/ready", "port": 15021},
                "periodSeconds": 15,
                "timeoutSeconds": 3,
            },
            "resources": copy.deepcopy(resources),
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "privileged": False,
                "readOnlyRootFilesystem": True,
                "runAsGroup": 1337,
                "runAsNonRoot": True,
                "runAsUser": 1337,
            },
            "volumeMounts": [{"mountPath": path, "name": name} for path, name in mounts],
        }

    @staticmethod
    def _volumes() -> list[dict]:
        return [
            {"name": "workload-socket", "emptyDir": {}},
            {"name": "credential-socket", "emptyDir": {}},
            {"name": "workload-certs", "emptyDir": {}},
            {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
            {"name": "istio-data", "emptyDir": {}},
            {
                "name": "istio-podinfo",
                "downwardAPI": {
                    "items": [
                        {"fieldRef": {"fieldPath": "metadata.labels"}, "path": "labels"},
                        {"fieldRef": {"fieldPath": "metadata.annotations"}, "path": "annotations"},
                    ]
                },
            },
            {
                "name": "istio-token",
                "projected": {
                    "sources": [
                        {
                            "serviceAccountToken": {
                                "audience": "istio-ca",
                                "expirationSeconds": 43200,
                                "path": "istio-token",
                            }
                        }
                    ]
                },
            },
            {"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}},
            {"name": "istio-ca-crl", "configMap": {"name": "istio-ca-crl", "optional": True}},
        ]


def ca_bundle_of(injector: IstioInjector) -> str:
    return base64.b64encode(injector.ca.cert_pem).decode()


def init_container(name: str, image: str, resources: dict, cni: bool) -> dict:
    """istio-init (iptables, NET_ADMIN/NET_RAW, root) or, with CNI, istio-validation, as the injector renders them."""
    args = [
        "istio-iptables",
        "-p",
        "15001",
        "-z",
        "15006",
        "-u",
        "1337",
        "-m",
        "REDIRECT",
        "-i",
        "*",
        "-x",
        "",
        "-b",
        "*",
        "-d",
        "15090,15021,15020",
        "--log_output_level=default:info",
    ]
    if cni:
        args += ["--run-validation", "--skip-rule-apply"]
        security = {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsGroup": 1337,
            "runAsNonRoot": True,
            "runAsUser": 1337,
        }
    else:
        security = {
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": False,
            "runAsGroup": 0,
            "runAsNonRoot": False,
            "runAsUser": 0,
        }
    return {
        "args": args,
        "image": image,
        "name": name,
        "resources": copy.deepcopy(resources),
        "securityContext": security,
    }
