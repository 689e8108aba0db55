"""Live, breakable mesh clusters: `python -m tests.kubesim --scenario istio|linkerd [--break B ...]`.

A scenario is built the way a cluster gets there: the control plane first (Namespace, ServiceAccounts,
the injector Deployment and Service, its webhook configuration), then a running test injector
(injectors/) that answers that configuration, then the application namespace `demo` with a Deployment
`web` (2 replicas) whose pods are created through admission - so they carry the proxy. A breakage is
applied last, like an incident on a healthy cluster: running pods keep their sidecars, and what a new
pod in `demo` meets is the breakage (a dry-run create, `POST /api/v1/namespaces/demo/pods?dryRun=All`,
shows it exactly):

| break           | istio (failurePolicy Fail)                        | linkerd (failurePolicy Ignore)          |
|-----------------|---------------------------------------------------|-----------------------------------------|
| (none)          | pod returned with istio-init + istio-proxy        | pod returned with linkerd-init + proxy  |
| wrong-ca        | rejected: x509 signed by unknown authority        | admitted without sidecar                |
| expired-cert    | rejected: x509 certificate has expired ...        | admitted without sidecar                |
| injector-down   | rejected: no endpoints available for service      | admitted without sidecar                |
| timeout         | rejected: context deadline exceeded (2 s)         | admitted without sidecar (after 2 s)    |
| networkpolicy   | rejected: context deadline exceeded (10 s)        | admitted without sidecar (after 10 s)   |
| psa-restricted  | forbidden: violates PodSecurity "restricted:latest" (the injected init container)          |
| quota           | forbidden: exceeded quota (istio-proxy's  | forbidden: failed quota: must specify   |
|                 | 100m push requests.cpu over the cap)      | requests.cpu for linkerd-init and proxy |

(Linkerd's proxy and init containers carry no resource requests by default and a LimitRange cannot
default them - LimitRanger runs before the webhook - so a requests.cpu quota refuses them outright.)

The webhook configurations, Services and (Linkerd) Namespace and Deployment are the real rendered
install output from `../shared/fixtures` when it is there (MESHOPS_SHARED_DIR overrides the search),
otherwise kubesim's own equivalents below. Linkerd's fixture caBundle is a placeholder, so the scenario
issues the injector's certificate (Secret linkerd-proxy-injector-k8s-tls) and puts it in the caBundle,
as `linkerd install` does; istiod's test injector patches its own caBundle, as istiod does.
"""

from __future__ import annotations

import base64
import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .injectors import certs

MESHES = ("istio", "linkerd")
BREAKS = ("wrong-ca", "expired-cert", "injector-down", "timeout", "networkpolicy", "psa-restricted", "quota")
APP_NAMESPACE = "demo"
MWC = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
LINKERD_SECRET = "linkerd-proxy-injector-k8s-tls"
TIMEOUT_SECONDS = 2  # the `timeout` breakage: webhook timeoutSeconds, with the injector answering a second later
APP_CPU = "50m"


def shared_fixtures() -> Path | None:
    """../shared/fixtures next to the repository (the nearest parent holding shared/spec/findings.yaml)."""
    override = os.environ.get("MESHOPS_SHARED_DIR")
    if override:
        path = Path(override) / "fixtures"
        return path if path.is_dir() else None
    here = Path(__file__).resolve().parent
    for parent in (here, *here.parents):
        candidate = parent / "shared"
        if (candidate / "spec" / "findings.yaml").is_file() and (candidate / "fixtures").is_dir():
            return candidate / "fixtures"
    return None


def _fixture(relative: str) -> list[dict] | None:
    base = shared_fixtures()
    path = base / relative if base else None
    if path is None or not path.is_file():
        return None
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]


def _ns(name: str, labels: dict | None = None, annotations: dict | None = None) -> dict:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def _sa(name: str, namespace: str) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}


def _deployment(name: str, namespace: str, labels: dict, spec: dict, replicas: int = 1, **meta: Any) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels), **meta},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": spec},
        },
    }


# ---------------------------------------------------------------------- built-in control planes


def _istio_webhook(name: str, namespace_selector: dict, object_selector: dict) -> dict:
    return {
        "name": name,
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "failurePolicy": "Fail",
        "reinvocationPolicy": "Never",
        "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system", "path": "/inject", "port": 443}},
        "namespaceSelector": namespace_selector,
        "objectSelector": object_selector,
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
    }


def builtin_istio() -> list[dict]:
    not_false = {"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]}
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod", "istio": "pilot"}},
            "spec": {
                "selector": {"app": "istiod", "istio": "pilot"},
                "ports": [
                    {"name": "grpc-xds", "port": 15010, "protocol": "TCP"},
                    {"name": "https-webhook", "port": 443, "protocol": "TCP", "targetPort": 15017},
                ],
            },
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {
                "name": "istio-sidecar-injector",
                "labels": {"app": "sidecar-injector", "istio.io/rev": "default"},
            },
            # the four webhooks of istiod's default revision, in upstream's order: the rev.* pair serves
            # istio.io/rev=default, the other pair istio-injection=enabled and the pod label
            "webhooks": [
                _istio_webhook(
                    "rev.namespace.sidecar-injector.istio.io",
                    {
                        "matchExpressions": [
                            {"key": "istio.io/rev", "operator": "In", "values": ["default"]},
                            {"key": "istio-injection", "operator": "DoesNotExist"},
                        ]
                    },
                    not_false,
                ),
                _istio_webhook(
                    "rev.object.sidecar-injector.istio.io",
                    {
                        "matchExpressions": [
                            {"key": "istio.io/rev", "operator": "DoesNotExist"},
                            {"key": "istio-injection", "operator": "DoesNotExist"},
                        ]
                    },
                    {
                        "matchExpressions": [
                            {"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]},
                            {"key": "istio.io/rev", "operator": "In", "values": ["default"]},
                        ]
                    },
                ),
                _istio_webhook(
                    "namespace.sidecar-injector.istio.io",
                    {"matchExpressions": [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}]},
                    not_false,
                ),
                _istio_webhook(
                    "object.sidecar-injector.istio.io",
                    {
                        "matchExpressions": [
                            {"key": "istio-injection", "operator": "DoesNotExist"},
                            {"key": "istio.io/rev", "operator": "DoesNotExist"},
                        ]
                    },
                    {
                        "matchExpressions": [
                            {"key": "sidecar.istio.io/inject", "operator": "In", "values": ["true"]},
                            {"key": "istio.io/rev", "operator": "DoesNotExist"},
                        ]
                    },
                ),
            ],
        },
    ]


def builtin_linkerd() -> list[dict]:
    labels = {"linkerd.io/control-plane-component": "proxy-injector", "linkerd.io/control-plane-ns": "linkerd"}
    return [
        _ns(
            "linkerd",
            {
                "linkerd.io/is-control-plane": "true",
                "config.linkerd.io/admission-webhooks": "disabled",
                "linkerd.io/control-plane-ns": "linkerd",
                "pod-security.kubernetes.io/enforce": "privileged",
            },
            {"linkerd.io/inject": "disabled"},
        ),
        _deployment(
            "linkerd-proxy-injector",
            "linkerd",
            {"linkerd.io/control-plane-component": "proxy-injector"},
            {
                "serviceAccountName": "linkerd-proxy-injector",
                "containers": [
                    {
                        "name": "proxy-injector",
                        "image": "cr.l5d.io/linkerd/controller:edge-25.4.4",
                        "ports": [{"name": "proxy-injector", "containerPort": 8443}],
                    }
                ],
            },
        ),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "linkerd-proxy-injector", "namespace": "linkerd", "labels": labels},
            "spec": {
                "selector": {"linkerd.io/control-plane-component": "proxy-injector"},
                "ports": [{"name": "proxy-injector", "port": 443, "targetPort": "proxy-injector"}],
            },
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "linkerd-proxy-injector-webhook-config", "labels": labels},
            "webhooks": [
                {
                    "name": "linkerd-proxy-injector.linkerd.io",
                    "namespaceSelector": {
                        "matchExpressions": [
                            {
                                "key": "config.linkerd.io/admission-webhooks",
                                "operator": "NotIn",
                                "values": ["disabled"],
                            },
                            {
                                "key": "kubernetes.io/metadata.name",
                                "operator": "NotIn",
                                "values": ["kube-system", "cert-manager"],
                            },
                        ]
                    },
                    "clientConfig": {
                        "service": {"name": "linkerd-proxy-injector", "namespace": "linkerd", "path": "/"}
                    },
                    "failurePolicy": "Ignore",
                    "admissionReviewVersions": ["v1", "v1beta1"],
                    "rules": [
                        {
                            "operations": ["CREATE"],
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "resources": ["pods", "services"],
                            "scope": "Namespaced",
                        }
                    ],
                    "sideEffects": "None",
                    "timeoutSeconds": 10,
                }
            ],
        },
    ]


def _istiod() -> dict:
    labels = {"app": "istiod", "istio": "pilot"}
    deploy = _deployment(
        "istiod",
        "istio-system",
        labels,
        {
            "serviceAccountName": "istiod",
            "containers": [
                {
                    "name": "discovery",
                    "image": "docker.io/istio/pilot:1.24.2",
                    "ports": [{"name": "https-webhooks", "containerPort": 15017}, {"containerPort": 15010}],
                }
            ],
        },
    )
    deploy["metadata"]["labels"]["istio.io/rev"] = "default"
    deploy["spec"]["template"]["metadata"]["labels"]["sidecar.istio.io/inject"] = "false"
    return deploy


# ---------------------------------------------------------------------- the scenario


def _app_spec() -> dict:
    """A workload that passes Pod Security `restricted` on its own: only what injection adds can fail it."""
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 101, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "web",
                "image": "nginxinc/nginx-unprivileged:1.27",
                "ports": [{"name": "http", "containerPort": 8080}],
                "resources": {
                    "requests": {"cpu": APP_CPU, "memory": "64Mi"},
                    "limits": {"cpu": "200m", "memory": "128Mi"},
                },
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }
        ],
    }


@dataclass
class Scenario:
    mesh: str
    breaks: tuple[str, ...] = ()
    namespace: str = APP_NAMESPACE
    replicas: int = 2
    sources: dict[str, str] = field(default_factory=dict)  # what came from ../shared/fixtures

    def __post_init__(self) -> None:
        if self.mesh not in MESHES:
            raise ValueError(f"unknown scenario {self.mesh!r} (expected one of {', '.join(MESHES)})")
        unknown = [b for b in self.breaks if b not in BREAKS]
        if unknown:
            raise ValueError(f"unknown breakage {unknown[0]!r} (expected one of {', '.join(BREAKS)})")

    # ---- objects
    def control_plane(self) -> list[dict]:
        if self.mesh == "istio":
            service = _fixture("istio/istiod.service.golden.yaml")
            mwc = _fixture("istio/istio-sidecar-injector.mwc.golden.yaml")
            configmap = _fixture("istio/istio-sidecar-injector.configmap.golden.yaml")
            builtin = builtin_istio()
            objs = [_ns("istio-system"), _sa("istiod", "istio-system"), _sa("default", "istio-system")]
            objs += service or [builtin[0]]
            objs += mwc or [builtin[1]]
            objs += configmap or []
            objs.append(_istiod())
            self._note("istio/istiod.service.golden.yaml", service)
            self._note("istio/istio-sidecar-injector.mwc.golden.yaml", mwc)
            self._note("istio/istio-sidecar-injector.configmap.golden.yaml", configmap)
            return objs
        builtin = builtin_linkerd()
        parts = {
            "upstream-v2.18/ns-linkerd.yaml": builtin[0],
            "upstream-v2.18/deploy-linkerd-proxy-injector.yaml": builtin[1],
            "upstream-v2.18/svc-linkerd-proxy-injector.yaml": builtin[2],
            "upstream-v2.18/mwc-linkerd-proxy-injector-webhook-config.yaml": builtin[3],
        }
        objs = []
        for relative, fallback in parts.items():
            found = _fixture(f"linkerd/{relative}")
            self._note(f"linkerd/{relative}", found)
            objs.extend(found or [fallback])
        accounts = {
            str((((o.get("spec") or {}).get("template") or {}).get("spec") or {}).get("serviceAccountName") or "")
            for o in objs
            if o.get("kind") == "Deployment"
        }
        objs[1:1] = [_sa(name, "linkerd") for name in sorted(accounts - {""}) + ["default"]]
        pair = certs.issue(None, ["linkerd-proxy-injector.linkerd.svc"])
        self.linkerd_pair = pair
        objs.append(self._linkerd_secret(pair))
        for obj in objs:
            if obj.get("kind") == "MutatingWebhookConfiguration":
                for hook in obj.get("webhooks") or ():
                    hook.setdefault("clientConfig", {})["caBundle"] = pair.cert_b64
        return objs

    def _note(self, relative: str, found: list[dict] | None) -> None:
        self.sources[relative] = "shared fixture" if found else "built-in"

    @staticmethod
    def _linkerd_secret(pair: certs.KeyPair) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": LINKERD_SECRET, "namespace": "linkerd"},
            "data": {
                "tls.crt": base64.b64encode(pair.cert_pem).decode(),
                "tls.key": base64.b64encode(pair.key_pem).decode(),
            },
        }

    def application(self) -> list[dict]:
        if self.mesh == "istio":
            namespace = _ns(self.namespace, {"istio-injection": "enabled"})
        else:
            namespace = _ns(self.namespace, annotations={"linkerd.io/inject": "enabled"})
        app = _deployment("web", self.namespace, {"app": "web"}, _app_spec(), replicas=self.replicas)
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": self.namespace},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        }
        return [namespace, _sa("default", self.namespace), service, app]

    # ---- breakages
    async def apply_breaks(self, sim: Any, registry: Any) -> None:
        for breakage in self.breaks:
            await getattr(self, "_break_" + breakage.replace("-", "_"))(sim, registry)

    def _injector(self, registry: Any) -> Any:
        return registry.istio() if self.mesh == "istio" else registry.linkerd()

    def _webhook_configs(self, sim: Any) -> list[dict]:
        wanted = "sidecar-injector.istio.io" if self.mesh == "istio" else "linkerd-proxy-injector.linkerd.io"
        return [
            c
            for c in sim.cluster.view.list(MWC)
            if any(str(h.get("name", "")).endswith(wanted) for h in c.get("webhooks") or ())
        ]

    async def _patch_hooks(self, sim: Any, **fields: Any) -> None:
        api, user = sim.cluster.api, sim.cluster.config.admin_user
        rt = _rt(MWC)
        for config in self._webhook_configs(sim):
            hooks = copy.deepcopy(config["webhooks"])
            for hook in hooks:
                for key, value in fields.items():
                    if key == "caBundle":
                        hook.setdefault("clientConfig", {})["caBundle"] = value
                    else:
                        hook[key] = value
            await api.patch(
                rt, None, config["metadata"]["name"], {"webhooks": hooks}, "application/merge-patch+json", user=user
            )

    async def _break_wrong_ca(self, sim: Any, registry: Any) -> None:
        if self.mesh == "istio":
            self._injector(registry).serve_foreign_ca()  # istiod keeps patching its own CA: the bundle stays stale
            return
        # A caBundle left from an earlier install: a certificate with the same name from another key.
        stale = certs.issue(None, ["linkerd-proxy-injector.linkerd.svc"])
        await self._patch_hooks(sim, caBundle=stale.cert_b64)

    async def _break_expired_cert(self, sim: Any, registry: Any) -> None:
        if self.mesh == "istio":
            self._injector(registry).serve_expired()
            return
        pair = certs.expired(None, ["linkerd-proxy-injector.linkerd.svc"])
        await _upsert(sim, "v1/secrets", self._linkerd_secret(pair))
        await self._patch_hooks(sim, caBundle=pair.cert_b64)

    async def _break_injector_down(self, sim: Any, registry: Any) -> None:
        name, namespace = ("istiod", "istio-system") if self.mesh == "istio" else ("linkerd-proxy-injector", "linkerd")
        await sim.cluster.api.patch(
            _rt("apps/v1/deployments"),
            namespace,
            name,
            {"spec": {"replicas": 0}},
            "application/merge-patch+json",
            user=sim.cluster.config.admin_user,
        )

    async def _break_timeout(self, sim: Any, registry: Any) -> None:
        await self._patch_hooks(sim, timeoutSeconds=TIMEOUT_SECONDS)
        self._injector(registry).server.delay = TIMEOUT_SECONDS + 1

    async def _break_networkpolicy(self, sim: Any, registry: Any) -> None:
        namespace = "istio-system" if self.mesh == "istio" else "linkerd"
        policy = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny-ingress", "namespace": namespace},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        }
        await _upsert(sim, "networking.k8s.io/v1/networkpolicies", policy)

    async def _break_psa_restricted(self, sim: Any, registry: Any) -> None:
        labels = {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
        }
        await sim.cluster.api.patch(
            _rt("v1/namespaces"),
            None,
            self.namespace,
            {"metadata": {"labels": labels}},
            "application/merge-patch+json",
            user=sim.cluster.config.admin_user,
        )

    async def _break_quota(self, sim: Any, registry: Any) -> None:
        """requests.cpu capped at what runs now plus one more bare app container: a pod without the
        proxy would fit, with the proxy's 100m it does not."""
        from .admission.quantity import Quantity, format_quantity
        from .admission.resourcequota import pod_usage

        used = Quantity.parse(APP_CPU)
        for pod in sim.cluster.view.list("v1/pods", self.namespace):
            used = used + pod_usage(pod).get("requests.cpu", Quantity.zero())
        cap = format_quantity(used)
        quota = {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "compute", "namespace": self.namespace},
            "spec": {"hard": {"requests.cpu": cap}},
        }
        await _upsert(sim, "v1/resourcequotas", quota)


def _rt(resource: str) -> Any:
    from .resources import lookup

    return lookup(resource)


async def _upsert(sim: Any, resource: str, obj: dict) -> None:
    cluster = sim.cluster
    rt = _rt(resource)
    meta = obj["metadata"]
    user = cluster.config.admin_user
    if cluster.store.get(rt.storage, meta.get("namespace"), meta["name"]) is None:
        await cluster.api.create(rt, meta.get("namespace"), obj, user=user)
    else:
        await cluster.api.patch(rt, meta.get("namespace"), meta["name"], obj, "application/merge-patch+json", user=user)


def start(sim: Any, scenario: Scenario) -> Any:
    """Build the scenario on a running KubeSim; returns the injector registry (see injectors/attach.py)."""
    from .injectors.attach import attach

    sim.seed(scenario.control_plane(), reconcile=True)
    registry = attach(sim)
    sim.run(registry.sync())  # the injector is up and (Istio) has patched its caBundle before any app pod
    sim.apply(*scenario.application())
    sim.run(scenario.apply_breaks(sim, registry))
    sim.settle()
    return registry


def upgrade_linkerd_proxy(sim: Any, registry: Any, version: str = "edge-25.6.2") -> None:
    """History rather than a breakage: Linkerd's control plane was upgraded after `demo`'s pods started.
    The injector now injects `version`, and its Deployment's own meshed pod template says so
    (linkerd.io/proxy-version, what the diagnosis reads without linkerd-config); running pods keep the
    proxy they were injected with, so a restart is what brings them level (SI605)."""
    registry.linkerd().version = version
    template = {"metadata": {"annotations": {"linkerd.io/proxy-version": version}}}
    sim.run(
        sim.cluster.api.patch(
            _rt("apps/v1/deployments"),
            "linkerd",
            "linkerd-proxy-injector",
            {"spec": {"template": template}},
            "application/merge-patch+json",
            user=sim.cluster.config.admin_user,
        )
    )
    sim.settle()
