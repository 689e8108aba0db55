"""Linkerd control planes as `linkerd install` / the Helm charts render them, stable-2.6 to 2.18.

Version differences that matter to the diagnosis (shared/research/linkerd.md §1):
* images move from gcr.io/ghcr.io to cr.l5d.io in 2.10; proxy-init versions follow the release;
* the webhook's serving Secret is `linkerd-proxy-injector-tls` (`crt.pem`) before 2.9, then
  `linkerd-proxy-injector-k8s-tls` (`tls.crt`);
* `linkerd-config` holds JSON `global`/`proxy`/`install` keys before 2.9, then Helm `values`;
* the MWC excludes kube-system and cert-manager by name from edge-24.3.4 (2.15); before, only the
  `config.linkerd.io/admission-webhooks=disabled` label keeps a namespace out;
* v1beta1-era configurations (<= 2.10) were stored with the 30s default timeout.
"""

from __future__ import annotations

import json
from typing import Dict, List, Optional, Tuple

import yaml

from tests.cases._build.certs import Authority
from tests.cases._build.cluster import Cluster, Obj, container, running, template

INIT_VERSIONS = {
    4: "v1.0.0",
    5: "v1.1.0",
    6: "v1.2.0",
    7: "v1.3.1",
    8: "v1.3.3",
    9: "v1.3.6",
    10: "v1.3.9",
    11: "v1.4.0",
    12: "v2.0.0",
    13: "v2.2.1",
    14: "v2.2.3",
    15: "v2.2.4",
    16: "v2.4.1",
    17: "v2.4.2",
    18: "v2.4.2",
}


def major_of(version: str) -> int:
    """12 for stable-2.12.3; edge releases map by year (edge-25.4.4 -> 18)."""
    if version.startswith("edge-"):
        year, month = (int(x) for x in version[5:].split(".")[:2])
        return {24: 15 if month < 8 else 16, 25: 17 if month < 4 else 18}.get(year, 18)
    return int(version.split("-")[1].split(".")[1])


class Linkerd(object):
    def __init__(
        self,
        c: Cluster,
        version: str,
        installed: str,
        namespace: str = "linkerd",
        ha: bool = False,
        anchor: Optional[Authority] = None,
    ) -> None:
        self.c = c
        self.version = version
        self.major = major_of(version)
        self.namespace = namespace
        self.installed = installed
        self.ha = ha
        self.anchor = anchor
        registry = (
            "cr.l5d.io/linkerd" if self.major >= 10 else "gcr.io/linkerd-io" if self.major <= 8 else "ghcr.io/linkerd"
        )
        self.proxy_image = "%s/proxy:%s" % (registry, version)
        self.init_image = "%s/proxy-init:%s" % (registry, INIT_VERSIONS[self.major])
        self.controller_image = "%s/controller:%s" % (registry, version)

    @property
    def serving_secret(self) -> str:
        return "linkerd-proxy-injector-k8s-tls" if self.major >= 9 else "linkerd-proxy-injector-tls"

    @property
    def host(self) -> str:
        return "linkerd-proxy-injector.%s.svc" % self.namespace

    # ---- control plane ------------------------------------------------------------------------
    def control_plane(
        self,
        serving: Authority,
        issuer: Authority,
        injector_ready: Optional[int] = None,
        cni: bool = False,
        proxy_resources: Optional[Obj] = None,
        injector_statuses: Optional[List[Obj]] = None,
        cp_statuses: Optional[Dict[str, List[Obj]]] = None,
        cp_init_statuses: Optional[Dict[str, List[Obj]]] = None,
        psp: bool = False,
    ) -> Dict[str, List[Obj]]:
        """Namespace, config, identity, destination, proxy-injector (and the 2.x controller before 2.11),
        the webhook Service and endpoints and the certificate Secrets. Returns pods by component."""
        c, ns = self.c, self.namespace
        ns_labels = {
            "config.linkerd.io/admission-webhooks": "disabled",
            "linkerd.io/is-control-plane": "true",
            "linkerd.io/control-plane-ns": ns,
        }
        if self.major >= 12:
            ns_labels["pod-security.kubernetes.io/enforce"] = "restricted" if cni else "privileged"
        c.namespace(ns, ns_labels, {"linkerd.io/inject": "disabled"}, created=self.installed)
        c.configmap(
            ns,
            "linkerd-config",
            self._config(cni, proxy_resources),
            labels={"linkerd.io/control-plane-component": "controller", "linkerd.io/control-plane-ns": ns},
            created=self.installed,
        )
        if self.anchor is not None:
            if self.major >= 12:
                c.configmap(
                    ns,
                    "linkerd-identity-trust-roots",
                    {"ca-bundle.crt": self.anchor.pem},
                    labels={"linkerd.io/control-plane-ns": ns},
                    created=self.installed,
                )
            issuer_data = (
                {"crt.pem": issuer.pem} if self.major < 12 else {"tls.crt": issuer.pem, "ca.crt": self.anchor.pem}
            )
            c.secret(
                ns,
                "linkerd-identity-issuer",
                issuer_data,
                type_="kubernetes.io/tls" if self.major >= 12 else "Opaque",
                labels={"linkerd.io/control-plane-component": "identity"},
                created=self.installed,
            )
        key = "tls.crt" if self.major >= 9 else "crt.pem"
        c.secret(
            ns,
            self.serving_secret,
            {key: serving.pem},
            type_="kubernetes.io/tls" if self.major >= 9 else "Opaque",
            labels={"linkerd.io/control-plane-component": "proxy-injector"},
            created=self.installed,
        )
        components = ["identity", "destination", "proxy-injector"] + (["controller"] if self.major <= 10 else [])
        pods: Dict[str, List[Obj]] = {}
        replicas = 3 if self.ha else 1
        injector_ready = replicas if injector_ready is None else injector_ready
        for component in components:
            ports = (
                [(8443, "proxy-injector"), (9995, "admin-http")]
                if component == "proxy-injector"
                else [(9990, "admin-http")]
            )
            labels = {"linkerd.io/control-plane-component": component, "linkerd.io/control-plane-ns": ns}
            main = container(
                component,
                self.controller_image,
                ports=ports,
                args=[component, "-addr=:8443" if component == "proxy-injector" else "-log-level=info"],
            )
            tmpl = template(
                dict(labels, **{"linkerd.io/proxy-deployment": "linkerd-" + component, "linkerd.io/workload-ns": ns}),
                [main],
                {"linkerd.io/created-by": "linkerd/cli %s" % self.version, "linkerd.io/proxy-version": self.version},
                serviceAccountName="linkerd-" + component,
            )
            spec = self.inject_spec(tmpl, cni=cni, control_plane=True)
            tmpl["spec"] = spec
            ready = injector_ready if component == "proxy-injector" else replicas
            deploy, rs = c.deployment(
                ns,
                "linkerd-" + component,
                tmpl,
                replicas=replicas,
                ready=ready,
                labels=dict(labels),
                created=self.installed,
            )
            deploy["spec"]["selector"] = {"matchLabels": dict(labels)}
            pods[component] = []
            for index in range(replicas):
                statuses = init = None
                if component == "proxy-injector" and index >= injector_ready:
                    statuses = injector_statuses or [
                        running(ct, self.installed, ready=False) for ct in spec["containers"]
                    ]
                if cp_statuses and component in cp_statuses:
                    statuses = cp_statuses[component]
                if cp_init_statuses and component in cp_init_statuses:
                    init = cp_init_statuses[component]
                pods[component].append(c.pod(rs, created=self.installed, statuses=statuses, init_statuses=init))
        svc = c.service(
            ns,
            "linkerd-proxy-injector",
            [("proxy-injector", 443, "proxy-injector")],
            {"linkerd.io/control-plane-component": "proxy-injector"},
            labels={"linkerd.io/control-plane-component": "proxy-injector", "linkerd.io/control-plane-ns": ns},
            annotations={"config.linkerd.io/opaque-ports": "443"},
            created=self.installed,
        )
        c.endpoints(svc, pods["proxy-injector"], [("proxy-injector", 8443)])
        c.cluster_role(
            "linkerd-%s-proxy-injector" % ns,
            [
                {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
                {
                    "apiGroups": [""],
                    "resources": ["namespaces", "replicationcontrollers"],
                    "verbs": ["list", "get", "watch"],
                },
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "watch"]},
                {
                    "apiGroups": ["extensions", "apps"],
                    "resources": ["deployments", "replicasets", "daemonsets", "statefulsets"],
                    "verbs": ["list", "get", "watch"],
                },
                {
                    "apiGroups": ["extensions", "batch"],
                    "resources": ["cronjobs", "jobs"],
                    "verbs": ["list", "get", "watch"],
                },
            ],
            labels={"linkerd.io/control-plane-ns": ns},
            created=self.installed,
        )
        c.cluster_role_binding(
            "linkerd-%s-proxy-injector" % ns,
            "linkerd-%s-proxy-injector" % ns,
            [{"kind": "ServiceAccount", "name": "linkerd-proxy-injector", "namespace": ns}],
            labels={"linkerd.io/control-plane-ns": ns},
            created=self.installed,
        )
        if psp:
            self._psp()
        return pods

    def _config(self, cni: bool, resources: Optional[Obj]) -> Dict[str, str]:
        proxy: Obj = {
            "image": {"name": self.proxy_image.rsplit(":", 1)[0], "version": self.version},
            "resources": resources or {},
        }
        if self.major < 9:  # pre-Helm-values config: JSON documents per section
            return {
                "global": json.dumps(
                    {
                        "linkerdNamespace": self.namespace,
                        "cniEnabled": cni,
                        "version": self.version,
                        "identityContext": {"trustDomain": "cluster.local"},
                    }
                ),
                "proxy": json.dumps(
                    {"proxyImage": {"imageName": proxy["image"]["name"]}, "proxyVersion": self.version}
                ),
                "install": json.dumps({"cliVersion": self.version, "flags": []}),
            }
        values: Obj = {
            "linkerdVersion": self.version,
            "cniEnabled": cni,
            "controllerNamespaceLabel": "linkerd.io/control-plane-component",
            "identity": {"serviceAccountTokenProjection": True}
            if self.major >= 12
            else {"issuer": {"scheme": "linkerd.io/tls"}},
            "proxy": proxy,
            "proxyInit": {
                "image": {"name": self.init_image.rsplit(":", 1)[0], "version": self.init_image.rsplit(":", 1)[1]},
                "iptablesMode": "legacy",
            },
            "webhookFailurePolicy": "Fail" if self.ha else "Ignore",
        }
        if self.anchor is not None:
            values["identityTrustAnchorsPEM"] = self.anchor.pem
        return {"values": yaml.safe_dump(values, sort_keys=True)}

    def _psp(self) -> None:
        """`enablePSP=true` (2.11-2.12) or the default PSP of 2.6-2.10: NET_ADMIN/NET_RAW for the control plane."""
        self.c.add(
            {
                "kind": "PodSecurityPolicy",
                "metadata": {
                    "name": "linkerd-%s-control-plane" % self.namespace,
                    "labels": {"linkerd.io/control-plane-ns": self.namespace},
                    "creationTimestamp": self.installed,
                },
                "spec": {
                    "allowPrivilegeEscalation": False,
                    "allowedCapabilities": ["NET_ADMIN", "NET_RAW"],
                    "fsGroup": {"ranges": [{"max": 65535, "min": 10001}], "rule": "MustRunAs"},
                    "readOnlyRootFilesystem": True,
                    "requiredDropCapabilities": ["ALL"],
                    "runAsUser": {"rule": "RunAsAny"},
                    "seLinux": {"rule": "RunAsAny"},
                    "supplementalGroups": {"ranges": [{"max": 65535, "min": 10001}], "rule": "MustRunAs"},
                    "volumes": ["configMap", "emptyDir", "secret", "projected", "downwardAPI", "persistentVolumeClaim"],
                },
            }
        )

    def mwc(
        self,
        ca: str,
        failure: str = "",
        helm: bool = True,
        timeout: Optional[int] = None,
        namespace_selector: Optional[Obj] = None,
        annotations=None,
    ) -> Obj:
        exprs: List[Obj] = [
            {"key": "config.linkerd.io/admission-webhooks", "operator": "NotIn", "values": ["disabled"]}
        ]
        if self.major >= 15:
            exprs.append(
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system", "cert-manager"]}
            )
        hook: Obj = {
            "admissionReviewVersions": ["v1", "v1beta1"],
            "clientConfig": {
                "caBundle": ca,
                "service": {"name": "linkerd-proxy-injector", "namespace": self.namespace, "path": "/", "port": 443},
            },
            "failurePolicy": failure or ("Fail" if self.ha else "Ignore"),
            "matchPolicy": "Equivalent",
            "name": "linkerd-proxy-injector.linkerd.io",
            "namespaceSelector": namespace_selector or {"matchExpressions": exprs},
            "objectSelector": {
                "matchExpressions": [
                    {"key": "linkerd.io/control-plane-component", "operator": "DoesNotExist"},
                    {"key": "linkerd.io/cni-resource", "operator": "DoesNotExist"},
                ]
            }
            if helm
            else {},
            "reinvocationPolicy": "Never",
            "rules": [
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE"],
                    "resources": ["pods", "services"],
                    "scope": "Namespaced" if self.major >= 15 else "*",
                }
            ],
            "sideEffects": "None",
            "timeoutSeconds": timeout if timeout is not None else (30 if self.major <= 10 else 10),
        }
        return self.c.webhook_config(
            "MutatingWebhookConfiguration",
            "linkerd-proxy-injector-webhook-config",
            [hook],
            labels={
                "linkerd.io/control-plane-component": "proxy-injector",
                "linkerd.io/control-plane-ns": self.namespace,
            },
            annotations=annotations,
            created=self.installed,
        )

    # ---- the data plane -----------------------------------------------------------------------
    def inject_spec(
        self, tmpl: Obj, cni: bool = False, control_plane: bool = False, resources: Optional[Obj] = None
    ) -> Obj:
        spec = json.loads(json.dumps(tmpl["spec"]))
        proxy = container(
            "linkerd-proxy",
            self.proxy_image,
            ports=[(4143, "linkerd-proxy"), (4191, "linkerd-admin")],
            env=[
                ("LINKERD2_PROXY_LOG", "warn,linkerd=info"),
                (
                    "LINKERD2_PROXY_DESTINATION_SVC_ADDR",
                    "linkerd-dst-headless.%s.svc.cluster.local.:8086" % self.namespace,
                ),
            ],
            resources=resources or {},
            security={
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "runAsUser": 2102,
            },
        )
        if cni:
            init = container(
                "linkerd-network-validator",
                self.proxy_image,
                args=["--connect-addr", "1.1.1.1:20001", "--listen-addr", "0.0.0.0:4140", "--timeout", "10s"],
                resources={"limits": {"cpu": "100m", "memory": "20Mi"}, "requests": {"cpu": "100m", "memory": "20Mi"}},
                security={
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": True,
                    "runAsUser": 65534,
                },
            )
        else:
            init = container(
                "linkerd-init",
                self.init_image,
                args=[
                    "--incoming-proxy-port",
                    "4143",
                    "--outgoing-proxy-port",
                    "4140",
                    "--proxy-uid",
                    "2102",
                    "--inbound-ports-to-ignore",
                    "4190,4191,4567,4568",
                    "--outbound-ports-to-ignore",
                    "4567,4568",
                ],
                resources={"limits": {"cpu": "100m", "memory": "20Mi"}, "requests": {"cpu": "100m", "memory": "20Mi"}},
                security={
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]},
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": self.major >= 11,
                    "runAsUser": 65534 if self.major >= 11 else 0,
                },
            )
        spec["initContainers"] = [init] + list(spec.get("initContainers") or [])
        spec["containers"] = [proxy] + list(spec["containers"])
        return spec

    def inject(
        self, tmpl: Obj, cni: bool = False, resources: Optional[Obj] = None
    ) -> Tuple[Obj, Dict[str, str], Dict[str, str]]:
        """(pod spec, added labels, added annotations) of a pod the proxy-injector mutated."""
        owner = tmpl["metadata"]["labels"].get("app", "")
        labels = {
            "linkerd.io/control-plane-ns": self.namespace,
            "linkerd.io/proxy-deployment": owner,
            "linkerd.io/workload-ns": "",
        }
        annotations = {
            "linkerd.io/created-by": "linkerd/proxy-injector %s" % self.version,
            "linkerd.io/proxy-version": self.version,
        }
        if self.major <= 10:
            annotations["linkerd.io/identity-mode"] = "default"
        return self.inject_spec(tmpl, cni=cni, resources=resources), labels, annotations


def injected_pods(c: Cluster, linkerd: Linkerd, rs: Obj, count: int, created: str, **inject) -> List[Obj]:
    spec, labels, annotations = linkerd.inject(rs["spec"]["template"], **inject)
    labels["linkerd.io/workload-ns"] = rs["metadata"]["namespace"]
    return [c.pod(rs, spec, labels, annotations, created=created) for _ in range(count)]


def cni_daemonset(
    c: Cluster,
    linkerd: Linkerd,
    created: str,
    nodes: int,
    ready: Optional[int] = None,
    conf_dir: str = "/etc/cni/net.d",
) -> List[Obj]:
    """linkerd2-cni's DaemonSet in `linkerd-cni`, one pod per node."""
    install = container("install-cni", "cr.l5d.io/linkerd/cni-plugin:v1.2.0", env=[("DEST_CNI_NET_DIR", conf_dir)])
    tmpl = template({"k8s-app": "linkerd-cni", "linkerd.io/cni-resource": "true"}, [install], hostNetwork=True)
    ds = c.workload("DaemonSet", "linkerd-cni", "linkerd-cni", tmpl, created=created, replicas=nodes, ready=ready)
    ds["metadata"]["labels"] = {"k8s-app": "linkerd-cni", "linkerd.io/cni-resource": "true"}
    return [c.pod(ds, created=created, node=index) for index in range(nodes)]
