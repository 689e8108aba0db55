"""Istio control planes as their installers render them, across the layouts the corpus needs.

* `legacy` (Istio <= 1.4): a separate `istio-sidecar-injector` Deployment (container
  `sidecar-injector-webhook`, Service 443 -> 9443) whose serving certificate comes from Citadel
  (Secret `istio.istio-sidecar-injector-service-account`, signed by `istio-ca-secret`); one webhook
  `sidecar-injector.istio.io` selecting `istio-injection=enabled` (install/kubernetes/helm/istio/
  charts/sidecarInjectorWebhook).
* `single` (1.5 - 1.9): istiod serves `/inject` on 15017 (Service `istiod` 443 -> 15017); the MWC
  `istio-sidecar-injector` still has the one `sidecar-injector.istio.io` webhook.
* `modern` (1.10+): the four `rev.namespace` / `rev.object` / `namespace` / `object` webhooks of
  manifests/charts/istio-control/istio-discovery (shared/research/istio.md §1.2), per revision, with
  `istio-revision-tag-<tag>` configurations for tags.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from tests.cases._build.certs import Authority
from tests.cases._build.cluster import Cluster, Obj, container, running, template

HUB = "docker.io/istio"
NEVER_MATCH = {"matchLabels": {"istio.io/deactivated": "never-match"}}
POD_RULE = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"], "scope": "*"}
PROXY_RESOURCES = {"limits": {"cpu": "2000m", "memory": "1024Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}


def minor(version: str) -> int:
    return int(version.split(".")[1])


def layout_of(version: str) -> str:
    return "legacy" if minor(version) <= 4 else "single" if minor(version) <= 9 else "modern"


# ---- webhooks -----------------------------------------------------------------------------------


def _expr(key: str, op: str, values: Optional[List[str]] = None) -> Obj:
    out: Obj = {"key": key, "operator": op}
    if values is not None:
        out["values"] = values
    return out


def webhooks(
    version: str,
    revision: str = "default",
    tag: str = "",
    service: str = "",
    namespace: str = "istio-system",
    ca: str = "",
    failure: str = "Fail",
    timeout: Optional[int] = None,
    by_default: bool = False,
    deactivated: bool = False,
) -> List[Obj]:
    """The webhooks of one injector MWC for `version` (see the module docstring for the shapes)."""
    layout = layout_of(version)
    service = service or (
        "istio-sidecar-injector" if layout == "legacy" else "istiod" if revision == "default" else "istiod-" + revision
    )
    client: Obj = {"service": {"name": service, "namespace": namespace, "path": "/inject", "port": 443}}
    if ca:
        client["caBundle"] = ca
    # v1beta1-era configurations were stored with the v1beta1 default timeout of 30s
    timeout = timeout if timeout is not None else (30 if layout != "modern" else 10)
    common: Obj = {
        "admissionReviewVersions": ["v1beta1"] if layout != "modern" else ["v1beta1", "v1"],
        "clientConfig": client,
        "failurePolicy": failure,
        "matchPolicy": "Exact" if layout != "modern" else "Equivalent",
        "reinvocationPolicy": "Never",
        "rules": [dict(POD_RULE)],
        "sideEffects": "None",
        "timeoutSeconds": timeout,
    }
    if layout != "modern":
        if by_default:  # 1.4-1.9 chart: `name` is not a label the API server sets, so this misses istio-system
            ns_sel: Obj = {
                "matchExpressions": [
                    _expr("name", "NotIn", [namespace]),
                    _expr("istio-injection", "NotIn", ["disabled"]),
                ]
            }
        elif revision != "default":
            ns_sel = {
                "matchExpressions": [_expr("istio-injection", "DoesNotExist"), _expr("istio.io/rev", "In", [revision])]
            }
        else:
            ns_sel = {"matchLabels": {"istio-injection": "enabled"}}
        hook = dict(common, name="sidecar-injector.istio.io", namespaceSelector=ns_sel, objectSelector={})
        return [_deactivate(hook) if deactivated else hook]
    value = tag or revision
    no_false = _expr("sidecar.istio.io/inject", "NotIn", ["false"])
    hooks = [
        (
            "rev.namespace.sidecar-injector.istio.io",
            [_expr("istio.io/rev", "In", [value]), _expr("istio-injection", "DoesNotExist")],
            [no_false],
        ),
        (
            "rev.object.sidecar-injector.istio.io",
            [_expr("istio.io/rev", "DoesNotExist"), _expr("istio-injection", "DoesNotExist")],
            [no_false, _expr("istio.io/rev", "In", [value])],
        ),
    ]
    if value == "default":
        hooks += [
            ("namespace.sidecar-injector.istio.io", [_expr("istio-injection", "In", ["enabled"])], [no_false]),
            (
                "object.sidecar-injector.istio.io",
                [_expr("istio-injection", "DoesNotExist"), _expr("istio.io/rev", "DoesNotExist")],
                [_expr("sidecar.istio.io/inject", "In", ["true"]), _expr("istio.io/rev", "DoesNotExist")],
            ),
        ]
    out = []
    for name, ns_exprs, obj_exprs in hooks:
        hook = dict(
            common,
            name=name,
            namespaceSelector={"matchExpressions": ns_exprs},
            objectSelector={"matchExpressions": obj_exprs},
        )
        out.append(_deactivate(hook) if deactivated else hook)
    return out


def _deactivate(hook: Obj) -> Obj:
    return dict(hook, namespaceSelector=dict(NEVER_MATCH), objectSelector=dict(NEVER_MATCH))


# ---- control plane ------------------------------------------------------------------------------


def injector_configmap(
    version: str,
    revision: str = "default",
    cni: bool = False,
    by_default: bool = False,
    resources: Optional[Obj] = None,
    native: Optional[bool] = None,
) -> Tuple[str, Dict[str, str]]:
    config: Obj = {
        "policy": "enabled",
        "alwaysInjectSelector": [],
        "neverInjectSelector": [],
        "injectedAnnotations": {},
        "template": "# sidecar injection template of istio %s (trimmed)\n" % version,
    }
    if layout_of(version) == "modern":
        config = dict({"defaultTemplates": ["sidecar"]}, **config)
        config["templates"] = {"sidecar": config.pop("template")}
    values: Obj = {
        "global": {
            "hub": HUB,
            "tag": version,
            "istioNamespace": "istio-system",
            "proxy": {"image": "proxyv2", "autoInject": "enabled", "resources": resources or PROXY_RESOURCES},
            "proxy_init": {"image": "proxyv2"},
        },
        "revision": "" if revision == "default" else revision,
        "sidecarInjectorWebhook": {"enableNamespacesByDefault": by_default, "rewriteAppHTTPProbe": True},
        "istio_cni": {"enabled": cni},
    }
    if minor(version) >= 10:
        values["pilot"] = {"cni": {"enabled": cni}}
    if native is not None:
        values.setdefault("pilot", {})["env"] = {"ENABLE_NATIVE_SIDECARS": native}
    name = "istio-sidecar-injector" if revision == "default" else "istio-sidecar-injector-" + revision
    return name, {
        "config": yaml.safe_dump(config, sort_keys=False),
        "values": json.dumps(values, indent=2, sort_keys=True),
    }


class Istio(object):
    """One Istio control plane (`revision`) in `namespace`, installed at `installed`."""

    def __init__(
        self,
        c: Cluster,
        version: str,
        installed: str,
        revision: str = "default",
        namespace: str = "istio-system",
        *,
        root: Authority,
        injector_service: str = "",
    ) -> None:
        self.c = c
        self.version = version
        self.revision = revision
        self.namespace = namespace
        self.installed = installed
        self.root = root
        self.layout = layout_of(version)
        self.injector_service = injector_service  # legacy layouts could rename it (Helm values)

    @property
    def rev_suffix(self) -> str:
        return "" if self.revision == "default" else "-" + self.revision

    def control_plane(
        self,
        ready: int = 1,
        replicas: int = 1,
        cni: bool = False,
        by_default: bool = False,
        resources: Optional[Obj] = None,
        env: Sequence[Tuple[str, str]] = (),
        native: Optional[bool] = None,
        pod_statuses: Optional[List[Obj]] = None,
    ) -> List[Obj]:
        """istiod (or pilot + citadel + sidecar injector for `legacy`), its Service, endpoints and
        ConfigMaps. Returns the injector's pods."""
        c, ns = self.c, self.namespace
        if self.layout != "legacy":  # istiod replicates its root into every namespace since 1.5
            c.configmap(
                ns,
                "istio-ca-root-cert",
                {"root-cert.pem": self.root.pem},
                labels={"istio.io/config": "true"},
                created=self.installed,
            )
        c.secret(
            ns, "istio-ca-secret", {"ca-cert.pem": self.root.pem}, type_="istio.io/ca-root", created=self.installed
        )
        cm_name, cm_data = injector_configmap(self.version, self.revision, cni, by_default, resources, native)
        c.configmap(
            ns,
            cm_name,
            cm_data,
            labels={"app": "sidecar-injector", "istio.io/rev": self.revision, "release": "istio"},
            created=self.installed,
        )
        mesh = (
            "defaultConfig:\n  discoveryAddress: istiod%s.%s.svc:15012\nrootNamespace: %s\ntrustDomain: cluster.local\n"
            % (self.rev_suffix, ns, ns)
        )
        c.configmap(
            ns,
            "istio" + self.rev_suffix,
            {"mesh": mesh, "meshNetworks": "networks: {}"},
            labels={"istio.io/rev": self.revision, "release": "istio"},
            created=self.installed,
        )
        if self.layout == "legacy":
            return self._legacy(ready, replicas, pod_statuses)
        return self._istiod(ready, replicas, env, pod_statuses)

    def _deployment(
        self,
        name: str,
        labels: Dict[str, str],
        containers: List[Obj],
        ready: int,
        replicas: int,
        statuses: Optional[List[Obj]],
        sa: str,
        volumes: Optional[List[Obj]] = None,
    ) -> List[Obj]:
        c = self.c
        tmpl_labels = (
            dict(labels, **{"sidecar.istio.io/inject": "false"}) if minor(self.version) >= 10 else dict(labels)
        )
        tmpl = template(
            tmpl_labels,
            containers,
            {"sidecar.istio.io/inject": "false"},
            serviceAccountName=sa,
            **({"volumes": volumes} if volumes else {}),
        )
        deploy, rs = c.deployment(
            self.namespace, name, tmpl, replicas=replicas, ready=ready, labels=dict(labels), created=self.installed
        )
        deploy["spec"]["selector"] = {
            "matchLabels": {k: v for k, v in labels.items() if k in ("app", "istio", "istio.io/rev")}
        }
        pods = []
        for index in range(replicas):
            status = None
            if index >= ready:
                status = statuses or [running(ct, self.installed, ready=False) for ct in containers]
            pods.append(c.pod(rs, created=self.installed, statuses=status))
        return pods

    def _istiod(self, ready: int, replicas: int, env: Sequence[Tuple[str, str]], statuses) -> List[Obj]:
        c, ns, rev = self.c, self.namespace, self.revision
        name = "istiod" + self.rev_suffix
        labels = {"app": "istiod", "istio": "pilot", "istio.io/rev": rev, "release": "istio"}
        if self.layout == "modern":
            labels["operator.istio.io/component"] = "Pilot"
        discovery = container(
            "discovery",
            "%s/pilot:%s" % (HUB, self.version),
            ports=[
                (8080, "http-debug"),
                (15010, "grpc-xds"),
                (15012, "tls-xds"),
                (15017, "https-webhooks"),
                (15014, "http-monitoring"),
            ],
            args=[
                "discovery",
                "--monitoringAddr=:15014",
                "--log_output_level=default:info",
                "--domain",
                "cluster.local",
            ],
            env=[("REVISION", rev), ("PILOT_CERT_PROVIDER", "istiod"), ("CLUSTER_ID", "Kubernetes")] + list(env),
            resources={"requests": {"cpu": "500m", "memory": "2048Mi"}},
        )
        pods = self._deployment(name, labels, [discovery], ready, replicas, statuses, "istiod" + self.rev_suffix)
        svc = c.service(
            ns,
            name,
            [
                ("grpc-xds", 15010, 15010),
                ("https-dns", 15012, 15012),
                ("https-webhook", 443, 15017),
                ("http-monitoring", 15014, 15014),
            ],
            {"app": "istiod", "istio.io/rev": rev},
            labels={"app": "istiod", "istio": "pilot", "istio.io/rev": rev},
            created=self.installed,
        )
        c.endpoints(
            svc, pods, [("grpc-xds", 15010), ("https-dns", 15012), ("https-webhook", 15017), ("http-monitoring", 15014)]
        )
        return pods

    def _legacy(self, ready: int, replicas: int, statuses) -> List[Obj]:
        """Istio <= 1.4: pilot, citadel and the sidecar injector as separate Deployments."""
        c, ns = self.c, self.namespace
        pilot = container("discovery", "%s/pilot:%s" % (HUB, self.version), ports=[(8080, "http"), (15010, "grpc")])
        self._deployment(
            "istio-pilot",
            {"app": "pilot", "istio": "pilot", "release": "istio"},
            [pilot],
            1,
            1,
            None,
            "istio-pilot-service-account",
        )
        citadel = container(
            "citadel",
            "%s/citadel:%s" % (HUB, self.version),
            args=["--self-signed-ca=true", "--workload-cert-ttl=2160h"],
        )
        self._deployment(
            "istio-citadel",
            {"app": "security", "istio": "citadel", "release": "istio"},
            [citadel],
            1,
            1,
            None,
            "istio-citadel-service-account",
        )
        injector = container(
            "sidecar-injector-webhook",
            "%s/sidecar_injector:%s" % (HUB, self.version),
            ports=[(9443, "")],
            args=[
                "--caCertFile=/etc/istio/certs/root-cert.pem",
                "--tlsCertFile=/etc/istio/certs/cert-chain.pem",
                "--tlsKeyFile=/etc/istio/certs/key.pem",
                "--injectConfig=/etc/istio/inject/config",
                "--meshConfig=/etc/istio/config/mesh",
                "--port=9443",
                "--healthCheckInterval=2s",
                "--healthCheckFile=/tmp/health",
                "--reconcileWebhookConfig=true",
                "--webhookConfigName=istio-sidecar-injector",
            ],
        )
        injector["ports"][0].pop("name")
        volumes = [
            {"name": "certs", "secret": {"secretName": "istio.istio-sidecar-injector-service-account"}},
            {"name": "inject-config", "configMap": {"name": "istio-sidecar-injector"}},
        ]
        labels = {"app": "sidecarInjectorWebhook", "istio": "sidecar-injector", "release": "istio"}
        pods = self._deployment(
            "istio-sidecar-injector",
            labels,
            [injector],
            ready,
            replicas,
            statuses,
            "istio-sidecar-injector-service-account",
            volumes,
        )
        svc = c.service(
            ns,
            self.injector_service or "istio-sidecar-injector",
            [("https-inject", 443, 9443), ("http-monitoring", 15014, 15014)],
            {"istio": "sidecar-injector"},
            labels={"app": "sidecarInjectorWebhook", "istio": "sidecar-injector"},
            created=self.installed,
        )
        c.endpoints(svc, pods, [("https-inject", 9443), ("http-monitoring", 15014)])
        return pods

    def citadel_workload_secret(self, account: str, leaf: Authority) -> None:
        """Citadel's `istio.<service-account>` key-and-cert Secret, public parts only (key.pem left out)."""
        self.c.secret(
            self.namespace,
            "istio." + account,
            {"root-cert.pem": self.root.pem, "cert-chain.pem": leaf.pem},
            type_="istio.io/key-and-cert",
            created=self.installed,
        )

    def mwc(
        self,
        ca: str = "",
        failure: str = "Fail",
        by_default: bool = False,
        tag: str = "",
        name: str = "",
        deactivated: bool = False,
        timeout: Optional[int] = None,
    ) -> Obj:
        labels = {"app": "sidecar-injector", "istio.io/rev": self.revision, "release": "istio"}
        if tag:
            labels["istio.io/tag"] = tag
        if self.layout == "legacy":
            labels = {"app": "sidecarInjectorWebhook", "istio": "sidecar-injector", "release": "istio"}
        name = name or ("istio-revision-tag-" + tag if tag else "istio-sidecar-injector" + self.rev_suffix)
        hooks = webhooks(
            self.version,
            self.revision,
            tag=tag,
            service=self.injector_service,
            namespace=self.namespace,
            ca=ca,
            failure=failure,
            by_default=by_default,
            deactivated=deactivated,
            timeout=timeout,
        )
        return self.c.webhook_config("MutatingWebhookConfiguration", name, hooks, labels=labels, created=self.installed)

    def validator(self, ca: str = "") -> Obj:
        """istiod's config validation webhook (fail-open until istiod flips it, Ignore in the charts)."""
        name = (
            "istio-validator%s-%s" % (self.rev_suffix, self.namespace)
            if self.layout == "modern"
            else "istiod-" + self.namespace
        )
        client: Obj = {
            "service": {
                "name": "istiod" + self.rev_suffix,
                "namespace": self.namespace,
                "path": "/validate",
                "port": 443,
            }
        }
        if ca:
            client["caBundle"] = ca
        hook = {
            "admissionReviewVersions": ["v1beta1", "v1"],
            "clientConfig": client,
            "failurePolicy": "Ignore",
            "matchPolicy": "Equivalent",
            "name": "rev.validation.istio.io" if self.layout == "modern" else "validation.istio.io",
            "namespaceSelector": {},
            "objectSelector": {},
            "rules": [
                {
                    "apiGroups": ["security.istio.io", "networking.istio.io", "telemetry.istio.io"],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["*"],
                    "scope": "*",
                }
            ],
            "sideEffects": "None",
            "timeoutSeconds": 10,
        }
        return self.c.webhook_config(
            "ValidatingWebhookConfiguration",
            name,
            [hook],
            labels={"app": "istiod", "istio": "istiod", "istio.io/rev": self.revision},
            created=self.installed,
        )

    def rbac(self) -> None:
        """istiod's ClusterRole as the chart renders the webhook part (update/patch on MWCs)."""
        sa = "istiod" + self.rev_suffix if self.layout != "legacy" else "istio-sidecar-injector-service-account"
        role = (
            "istiod-clusterrole%s-%s" % (self.rev_suffix, self.namespace)
            if self.layout != "legacy"
            else "istio-sidecar-injector-istio-system"
        )
        self.c.cluster_role(
            role,
            [
                {
                    "apiGroups": ["admissionregistration.k8s.io"],
                    "resources": ["mutatingwebhookconfigurations"],
                    "verbs": ["get", "list", "watch", "update", "patch"],
                },
                {
                    "apiGroups": [""],
                    "resources": ["configmaps", "namespaces", "pods", "services", "endpoints", "secrets"],
                    "verbs": ["get", "list", "watch"],
                },
            ],
            labels={"app": "istiod", "release": "istio"},
            created=self.installed,
        )
        self.c.cluster_role_binding(
            role,
            role,
            [{"kind": "ServiceAccount", "name": sa, "namespace": self.namespace}],
            labels={"app": "istiod", "release": "istio"},
            created=self.installed,
        )

    # ---- the data plane -----------------------------------------------------------------------
    def inject(
        self,
        tmpl: Obj,
        cni: bool = False,
        native: bool = False,
        proxy_version: str = "",
        proxy_resources: Optional[Obj] = None,
    ) -> Tuple[Obj, Dict[str, str], Dict[str, str]]:
        """(pod spec, added labels, added annotations) of a pod the sidecar template mutated."""
        version = proxy_version or self.version
        image = "%s/proxyv2:%s" % (HUB, version)
        spec = json.loads(json.dumps(tmpl["spec"]))
        init_name = "istio-validation" if cni else "istio-init"
        init = container(
            init_name,
            image,
            args=[
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
            ]
            + (["--run-validation", "--skip-rule-apply"] if cni else []),
            resources={"limits": {"cpu": "2000m", "memory": "1024Mi"}, "requests": {"cpu": "10m", "memory": "40Mi"}},
            security=(
                {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "runAsGroup": 1337,
                    "runAsNonRoot": True,
                    "runAsUser": 1337,
                }
                if cni
                else {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
                    "privileged": False,
                    "readOnlyRootFilesystem": False,
                    "runAsGroup": 0,
                    "runAsNonRoot": False,
                    "runAsUser": 0,
                }
            ),
        )
        proxy = container(
            "istio-proxy",
            image,
            ports=[(15090, "http-envoy-prom")],
            args=["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning"],
            resources=proxy_resources or PROXY_RESOURCES,
            security={
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "privileged": False,
                "readOnlyRootFilesystem": True,
                "runAsGroup": 1337,
                "runAsNonRoot": True,
                "runAsUser": 1337,
            },
        )
        if native:
            proxy["restartPolicy"] = "Always"
            spec["initContainers"] = [init, proxy] + list(spec.get("initContainers") or [])
        else:
            spec["initContainers"] = [init] + list(spec.get("initContainers") or [])
            spec["containers"] = list(spec["containers"]) + [proxy]
        spec["volumes"] = list(spec.get("volumes") or []) + [{"emptyDir": {"medium": "Memory"}, "name": "istio-envoy"}]
        status: Obj = {
            "initContainers": [init_name, "istio-proxy"] if native else [init_name],
            "containers": None if native else ["istio-proxy"],
            "volumes": ["istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"],
            "imagePullSecrets": None,
        }
        if minor(version) >= 10:
            status["revision"] = self.revision
        else:
            status["version"] = hashlib.sha256(version.encode()).hexdigest()
        labels = {"security.istio.io/tlsMode": "istio"} if minor(version) >= 5 else {}
        name = tmpl["metadata"]["labels"].get("app", "")
        if minor(version) >= 5:
            labels.update({"service.istio.io/canonical-name": name, "service.istio.io/canonical-revision": "latest"})
        annotations = {"sidecar.istio.io/status": json.dumps(status, separators=(",", ":"))}
        if minor(version) >= 10:
            annotations["istio.io/rev"] = self.revision
            annotations["kubectl.kubernetes.io/default-container"] = name
        return spec, labels, annotations


def injected_pods(c: Cluster, istio: Istio, rs: Obj, count: int, created: str, **inject: Any) -> List[Obj]:
    """`count` running, Ready pods of `rs` that carry the proxy."""
    spec, labels, annotations = istio.inject(rs["spec"]["template"], **inject)
    return [c.pod(rs, spec, labels, annotations, created=created) for _ in range(count)]


def plain_pods(c: Cluster, rs: Obj, count: int, created: str) -> List[Obj]:
    """`count` running pods of `rs` without a proxy (admitted without injection)."""
    return [c.pod(rs, created=created) for _ in range(count)]
