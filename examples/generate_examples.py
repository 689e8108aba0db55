# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes examples/istio-broken/ and examples/linkerd-broken/: offline snapshots of two broken clusters.

Run from the repository root: `.venv/bin/python examples/generate_examples.py`. The output looks like a
`kubectl get <kind> -A -o yaml` dump (one file per kind, `kind: List`) plus `version.json`
(`kubectl version -o json`). Object shapes follow the upstream manifests in ../shared/fixtures (Istio
1.22/1.23 charts and istioctl output, Linkerd version-2.18 install goldens). Certificates are generated
fresh with `cryptography`: long-lived (2025-2045) unless the point is expiry, then already expired, so
the demo gives the same findings whenever it runs. Secrets carry only certificate data, never a key.
What is planted, and the codes it should trigger, is listed in examples/README.md.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import sys

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
UTC = datetime.timezone.utc
LONG = (datetime.datetime(2025, 1, 1, tzinfo=UTC), datetime.datetime(2045, 1, 1, tzinfo=UTC))
EXPIRED = (datetime.datetime(2024, 1, 1, tzinfo=UTC), datetime.datetime(2025, 6, 1, tzinfo=UTC))
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


# ---- certificates (public parts only leave this function) ---------------------------------------


class Authority(object):
    def __init__(self, common_name, validity=LONG, issuer=None, sans=(), is_ca=True, org=None):
        self.key = ec.generate_private_key(ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if org:
            attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
        subject = x509.Name(attrs)
        signer = issuer or self
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(signer.cert.subject if issuer else subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(validity[0])
            .not_valid_after(validity[1])
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), False)
        self.cert = builder.sign(signer.key, hashes.SHA256())

    @property
    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def b64(self):
        return base64.b64encode(self.pem.encode()).decode()

    @property
    def sha256(self):
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()


# ---- object builders --------------------------------------------------------------------------


def uid(*parts):
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return "%s-%s-%s-%s-%s" % (digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32])


def meta(kind, name, namespace=None, labels=None, annotations=None, created="2026-03-02T09:00:00Z", **extra):
    out = {"name": name, "uid": uid(kind, namespace or "", name), "resourceVersion": str(100000 + len(name) * 37)}
    if namespace:
        out["namespace"] = namespace
    out["creationTimestamp"] = created
    if labels:
        out["labels"] = dict(labels)
    if annotations:
        out["annotations"] = dict(annotations)
    out.update(extra)
    return out


def namespace(name, labels=None, annotations=None, created="2026-01-15T08:00:00Z"):
    all_labels = {"kubernetes.io/metadata.name": name}
    all_labels.update(labels or {})
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta("Namespace", name, labels=all_labels, annotations=annotations, created=created),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def container(name, image, ports=(), resources=None, security=None, args=None, env=None, **extra):
    out = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent"}
    if args:
        out["args"] = list(args)
    if env:
        out["env"] = [{"name": k, "value": v} for k, v in env]
    if ports:
        out["ports"] = [{"containerPort": p, "name": n, "protocol": "TCP"} for p, n in ports]
    out["resources"] = resources or {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
    if security:
        out["securityContext"] = security
    out["terminationMessagePath"] = "/dev/termination-log"
    out["terminationMessagePolicy"] = "File"
    out.update(extra)
    return out


def running(name, image, ready=True, restarts=0, started="2026-03-02T09:01:00Z"):
    return {
        "name": name,
        "image": image,
        "imageID": "%s@sha256:%s" % (image.split(":", maxsplit=1)[0], hashlib.sha256(image.encode()).hexdigest()),
        "ready": ready,
        "started": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": started}},
    }


def completed(name, image, finished="2026-03-02T09:00:40Z"):
    return {
        "name": name,
        "image": image,
        "imageID": "%s@sha256:%s" % (image.split(":", maxsplit=1)[0], hashlib.sha256(image.encode()).hexdigest()),
        "ready": True,
        "started": False,
        "restartCount": 0,
        "state": {
            "terminated": {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": "2026-03-02T09:00:38Z",
                "finishedAt": finished,
            }
        },
    }


def crashing(name, image, message, restarts=14, exit_code=1):
    return {
        "name": name,
        "image": image,
        "imageID": "%s@sha256:%s" % (image.split(":", maxsplit=1)[0], hashlib.sha256(image.encode()).hexdigest()),
        "ready": False,
        "started": False,
        "restartCount": restarts,
        "state": {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": "back-off 5m0s restarting failed container=%s" % name,
            }
        },
        "lastState": {
            "terminated": {
                "exitCode": exit_code,
                "reason": "Error",
                "message": message,
                "startedAt": "2026-03-02T10:14:02Z",
                "finishedAt": "2026-03-02T10:14:03Z",
            }
        },
    }


def conditions(ready):
    state = "True" if ready else "False"
    out = [
        {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": "2026-03-02T09:00:37Z"},
        {"type": "Initialized", "status": "True", "lastTransitionTime": "2026-03-02T09:00:41Z"},
        {"type": "Ready", "status": state, "lastTransitionTime": "2026-03-02T09:01:05Z"},
        {"type": "ContainersReady", "status": state, "lastTransitionTime": "2026-03-02T09:01:05Z"},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-03-02T09:00:36Z"},
    ]
    if not ready:
        for cond in out[2:4]:
            cond["reason"] = "ContainersNotReady"
    return out


class Cluster(object):
    """Collects objects by kind and writes them as kubectl-style List files."""

    KINDS = {
        "Namespace": ("namespaces", "v1"),
        "Node": ("nodes", "v1"),
        "Pod": ("pods", "v1"),
        "Deployment": ("deployments", "apps/v1"),
        "ReplicaSet": ("replicasets", "apps/v1"),
        "StatefulSet": ("statefulsets", "apps/v1"),
        "DaemonSet": ("daemonsets", "apps/v1"),
        "Job": ("jobs", "batch/v1"),
        "CronJob": ("cronjobs", "batch/v1"),
        "Event": ("events", "v1"),
        "MutatingWebhookConfiguration": ("mutatingwebhookconfigurations", "admissionregistration.k8s.io/v1"),
        "ValidatingWebhookConfiguration": ("validatingwebhookconfigurations", "admissionregistration.k8s.io/v1"),
        "Service": ("services", "v1"),
        "Endpoints": ("endpoints", "v1"),
        "EndpointSlice": ("endpointslices", "discovery.k8s.io/v1"),
        "ConfigMap": ("configmaps", "v1"),
        "Secret": ("secrets", "v1"),
        "NetworkPolicy": ("networkpolicies", "networking.k8s.io/v1"),
        "ResourceQuota": ("resourcequotas", "v1"),
        "LimitRange": ("limitranges", "v1"),
        "Role": ("roles", "rbac.authorization.k8s.io/v1"),
        "RoleBinding": ("rolebindings", "rbac.authorization.k8s.io/v1"),
        "ClusterRole": ("clusterroles", "rbac.authorization.k8s.io/v1"),
        "ClusterRoleBinding": ("clusterrolebindings", "rbac.authorization.k8s.io/v1"),
    }

    def __init__(self, name, version):
        self.name = name
        self.version = version
        self.objects = {kind: [] for kind in self.KINDS}
        self.pod_ip = 10

    def add(self, obj):
        kind = obj["kind"]
        obj.setdefault("apiVersion", self.KINDS[kind][1])
        self.objects[kind].append(obj)
        return obj

    def next_ip(self, prefix="10.42"):
        self.pod_ip += 1
        return "%s.%d.%d" % (prefix, self.pod_ip // 250, self.pod_ip % 250)

    # workloads ------------------------------------------------------------------------------
    def deployment(
        self,
        ns,
        name,
        template,
        replicas=1,
        labels=None,
        annotations=None,
        ready=None,
        created="2026-03-01T12:00:00Z",
        rs_hash=None,
        conditions_=None,
    ):
        ready = replicas if ready is None else ready
        rs_hash = rs_hash or hashlib.sha1(("%s/%s" % (ns, name)).encode()).hexdigest()[:9].replace("a", "7")
        selector = {"matchLabels": {"app": name}}
        deploy = self.add(
            {
                "kind": "Deployment",
                "metadata": meta(
                    "Deployment",
                    name,
                    ns,
                    labels or {"app": name},
                    dict({"deployment.kubernetes.io/revision": "1"}, **(annotations or {})),
                    created=created,
                    generation=1,
                ),
                "spec": {
                    "replicas": replicas,
                    "revisionHistoryLimit": 10,
                    "selector": selector,
                    "strategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                    },
                    "template": template,
                },
                "status": {
                    "observedGeneration": 1,
                    "replicas": replicas,
                    "updatedReplicas": replicas,
                    "readyReplicas": ready,
                    "availableReplicas": ready,
                    "conditions": conditions_
                    or [
                        {
                            "type": "Available",
                            "status": "True" if ready else "False",
                            "reason": "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable",
                            "message": "Deployment has minimum availability."
                            if ready
                            else "Deployment does not have minimum availability.",
                            "lastUpdateTime": created,
                            "lastTransitionTime": created,
                        },
                        {
                            "type": "Progressing",
                            "status": "True",
                            "reason": "NewReplicaSetAvailable",
                            "message": 'ReplicaSet "%s-%s" has successfully progressed.' % (name, rs_hash),
                            "lastUpdateTime": created,
                            "lastTransitionTime": created,
                        },
                    ],
                },
            }
        )
        if not ready:
            deploy["status"].pop("readyReplicas")
            deploy["status"].pop("availableReplicas")
            deploy["status"]["unavailableReplicas"] = replicas
        rs_template = json.loads(json.dumps(template))
        rs_template["metadata"].setdefault("labels", {})["pod-template-hash"] = rs_hash
        rs_name = "%s-%s" % (name, rs_hash)
        rs = self.add(
            {
                "kind": "ReplicaSet",
                "metadata": meta(
                    "ReplicaSet",
                    rs_name,
                    ns,
                    dict(rs_template["metadata"]["labels"]),
                    {
                        "deployment.kubernetes.io/desired-replicas": str(replicas),
                        "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                        "deployment.kubernetes.io/revision": "1",
                    },
                    created=created,
                    generation=1,
                    ownerReferences=[
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": name,
                            "uid": deploy["metadata"]["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                ),
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app": name, "pod-template-hash": rs_hash}},
                    "template": rs_template,
                },
                "status": {
                    "replicas": replicas,
                    "fullyLabeledReplicas": replicas,
                    "readyReplicas": ready,
                    "availableReplicas": ready,
                    "observedGeneration": 1,
                },
            }
        )
        return deploy, rs

    def pod(
        self,
        owner,
        suffix,
        spec,
        statuses,
        init_statuses=None,
        labels=None,
        annotations=None,
        node="",
        phase="Running",
        ready=True,
        created="2026-03-02T09:00:36Z",
        owner_kind=None,
        host_network=False,
    ):
        ns = owner["metadata"]["namespace"]
        tmpl_meta = owner["spec"]["template"]["metadata"] if "template" in owner["spec"] else {}
        name = "%s-%s" % (owner["metadata"]["name"], suffix)
        pod_labels = dict(tmpl_meta.get("labels") or {})
        pod_labels.update(labels or {})
        pod_annotations = dict(tmpl_meta.get("annotations") or {})
        pod_annotations.update(annotations or {})
        ip = node_ip = "10.0.%d.%d" % (1 + len(name) % 3, 10 + len(name) % 3 * 10)
        if not host_network:
            ip = self.next_ip()
        status = {
            "phase": phase,
            "conditions": conditions(ready),
            "hostIP": node_ip,
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "qosClass": "Burstable",
            "startTime": created,
            "containerStatuses": statuses,
        }
        if init_statuses is not None:
            status["initContainerStatuses"] = init_statuses
        full_spec = {
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "nodeName": node,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": spec.get("serviceAccountName", "default"),
            "serviceAccountName": spec.get("serviceAccountName", "default"),
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                },
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                },
            ],
            "volumes": [
                {
                    "name": "kube-api-access-%s" % suffix[:5],
                    "projected": {
                        "defaultMode": 420,
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        ],
                    },
                }
            ],
        }
        full_spec.update(spec)
        if host_network:
            full_spec["hostNetwork"] = True
        return self.add(
            {
                "kind": "Pod",
                "metadata": meta(
                    "Pod",
                    name,
                    ns,
                    pod_labels,
                    pod_annotations or None,
                    created=created,
                    generateName=owner["metadata"]["name"] + "-",
                    ownerReferences=[
                        {
                            "apiVersion": owner["apiVersion"],
                            "kind": owner_kind or owner["kind"],
                            "name": owner["metadata"]["name"],
                            "uid": owner["metadata"]["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                ),
                "spec": full_spec,
                "status": status,
            }
        )

    def event(
        self,
        ns,
        involved_kind,
        involved_name,
        reason,
        message,
        count=1,
        etype="Warning",
        component="replicaset-controller",
        first="2026-03-02T09:10:00Z",
        last="2026-03-02T10:40:00Z",
    ):
        name = "%s.%s" % (involved_name, hashlib.sha1((reason + message).encode()).hexdigest()[:16])
        involved_uid = ""
        for obj in self.objects.get(involved_kind, []):
            if obj["metadata"]["name"] == involved_name and obj["metadata"].get("namespace") == ns:
                involved_uid = obj["metadata"]["uid"]
        api = self.KINDS[involved_kind][1]
        return self.add(
            {
                "kind": "Event",
                "metadata": meta("Event", name, ns, created=first),
                "involvedObject": {
                    "apiVersion": api,
                    "kind": involved_kind,
                    "name": involved_name,
                    "namespace": ns,
                    "uid": involved_uid,
                    "resourceVersion": "4242",
                },
                "reason": reason,
                "message": message,
                "type": etype,
                "count": count,
                "firstTimestamp": first,
                "lastTimestamp": last,
                "source": {"component": component},
                "reportingComponent": component,
                "reportingInstance": "",
            }
        )

    def service(self, ns, name, ports, selector, labels=None, annotations=None, cluster_ip="172.20.0.10"):
        return self.add(
            {
                "kind": "Service",
                "metadata": meta("Service", name, ns, labels, annotations, created="2026-01-15T08:05:00Z"),
                "spec": {
                    "clusterIP": cluster_ip,
                    "clusterIPs": [cluster_ip],
                    "internalTrafficPolicy": "Cluster",
                    "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack",
                    "ports": [dict({"name": n, "port": p, "protocol": "TCP", "targetPort": t}) for n, p, t in ports],
                    "selector": selector,
                    "sessionAffinity": "None",
                    "type": "ClusterIP",
                },
                "status": {"loadBalancer": {}},
            }
        )

    def endpoints(self, service, pods, ports, ready=True):
        ns, name = service["metadata"]["namespace"], service["metadata"]["name"]
        addresses = [
            {
                "ip": p["status"]["podIP"],
                "nodeName": p["spec"]["nodeName"],
                "targetRef": {
                    "kind": "Pod",
                    "name": p["metadata"]["name"],
                    "namespace": ns,
                    "uid": p["metadata"]["uid"],
                },
            }
            for p in pods
        ]
        subset = {"ports": [{"name": n, "port": t, "protocol": "TCP"} for n, t in ports]}
        subset["addresses" if ready else "notReadyAddresses"] = addresses
        self.add(
            {
                "kind": "Endpoints",
                "metadata": meta(
                    "Endpoints",
                    name,
                    ns,
                    service["metadata"].get("labels"),
                    {"endpoints.kubernetes.io/last-change-trigger-time": "2026-03-02T09:01:05Z"},
                    created="2026-01-15T08:05:00Z",
                ),
                "subsets": [subset] if pods else [],
            }
        )
        self.add(
            {
                "kind": "EndpointSlice",
                "metadata": meta(
                    "EndpointSlice",
                    name + "-x7k2p",
                    ns,
                    dict(
                        service["metadata"].get("labels") or {},
                        **{
                            "kubernetes.io/service-name": name,
                            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                        },
                    ),
                    created="2026-01-15T08:05:00Z",
                    generateName=name + "-",
                    ownerReferences=[
                        {
                            "apiVersion": "v1",
                            "kind": "Service",
                            "name": name,
                            "uid": service["metadata"]["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                ),
                "addressType": "IPv4",
                "endpoints": [
                    {
                        "addresses": [p["status"]["podIP"]],
                        "conditions": {"ready": ready, "serving": ready, "terminating": False},
                        "nodeName": p["spec"]["nodeName"],
                        "targetRef": {
                            "kind": "Pod",
                            "name": p["metadata"]["name"],
                            "namespace": ns,
                            "uid": p["metadata"]["uid"],
                        },
                    }
                    for p in pods
                ],
                "ports": [{"name": n, "port": t, "protocol": "TCP"} for n, t in ports],
            }
        )

    def write(self, folder):
        os.makedirs(folder, exist_ok=True)
        for old in os.listdir(folder):
            if old.endswith((".yaml", ".json")):
                os.unlink(os.path.join(folder, old))
        with open(os.path.join(folder, "version.json"), "w") as handle:
            json.dump(
                {
                    "clientVersion": {"major": "1", "minor": "32", "gitVersion": "v1.32.4", "platform": "linux/amd64"},
                    "kustomizeVersion": "v5.5.0",
                    "serverVersion": self.version,
                },
                handle,
                indent=2,
            )
            handle.write("\n")
        for kind, (resource, _api) in self.KINDS.items():
            items = sorted(
                self.objects[kind], key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])
            )
            doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
            with open(os.path.join(folder, resource + ".yaml"), "w") as handle:
                yaml.safe_dump(doc, handle, default_flow_style=False, sort_keys=True, width=120)


# ---- Istio --------------------------------------------------------------------------------------

ISTIO_HUB = "docker.io/istio"
NEVER_MATCH = {"matchLabels": {"istio.io/deactivated": "never-match"}}
POD_RULES = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"], "scope": "*"}]


def istio_webhooks(
    revision,
    tag=None,
    service="istiod",
    namespace="istio-system",
    ca=None,
    timeout=10,
    deactivated=False,
    failure="Fail",
):
    """The webhooks of an Istio injector MWC (research istio.md 1.2; identical on 1.20 ... master)."""
    rev_value = tag or revision
    client = {"service": {"name": service, "namespace": namespace, "path": "/inject", "port": 443}}
    if ca:
        client["caBundle"] = ca
    hooks = [
        (
            "rev.namespace.sidecar-injector.istio.io",
            {
                "matchExpressions": [
                    {"key": "istio.io/rev", "operator": "In", "values": [rev_value]},
                    {"key": "istio-injection", "operator": "DoesNotExist"},
                ]
            },
            {"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]},
        ),
        (
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
                    {"key": "istio.io/rev", "operator": "In", "values": [rev_value]},
                ]
            },
        ),
    ]
    if rev_value == "default":
        hooks += [
            (
                "namespace.sidecar-injector.istio.io",
                {"matchExpressions": [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}]},
                {"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]},
            ),
            (
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
        ]
    out = []
    for name, ns_sel, obj_sel in hooks:
        out.append(
            {
                "admissionReviewVersions": ["v1"],
                "clientConfig": json.loads(json.dumps(client)),
                "failurePolicy": failure,
                "matchPolicy": "Equivalent",
                "name": name,
                "namespaceSelector": NEVER_MATCH if deactivated else ns_sel,
                "objectSelector": NEVER_MATCH if deactivated else obj_sel,
                "reinvocationPolicy": "Never",
                "rules": POD_RULES,
                "sideEffects": "None",
                "timeoutSeconds": timeout,
            }
        )
    return out


def istio_injector_configmap(revision, version, never=None, name=None):
    config = {
        "defaultTemplates": ["sidecar"],
        "policy": "enabled",
        "alwaysInjectSelector": [],
        "neverInjectSelector": never or [],
        "injectedAnnotations": {},
        "template": "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}",
        "templates": {
            "sidecar": "# trimmed for the example: istio %s manifests/charts/istio-control/istio-discovery/"
            "files/injection-template.yaml\n" % version,
        },
    }
    values = {
        "global": {
            "hub": ISTIO_HUB,
            "tag": version,
            "proxy": {
                "image": "proxyv2",
                "autoInject": "enabled",
                "privileged": False,
                "resources": {
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                    "limits": {"cpu": "2000m", "memory": "1024Mi"},
                },
            },
            "proxy_init": {"image": "proxyv2"},
            "istioNamespace": "istio-system",
        },
        "revision": "" if revision == "default" else revision,
        "sidecarInjectorWebhook": {
            "enableNamespacesByDefault": False,
            "neverInjectSelector": never or [],
            "alwaysInjectSelector": [],
            "reinvocationPolicy": "Never",
            "rewriteAppHTTPProbe": True,
        },
        "pilot": {"cni": {"enabled": False, "provider": "default"}},
    }
    labels = {
        "app.kubernetes.io/name": "istiod",
        "install.operator.istio.io/owning-resource": "unknown",
        "istio.io/rev": revision,
        "operator.istio.io/component": "Pilot",
        "release": "istio",
    }
    return {
        "kind": "ConfigMap",
        "metadata": meta(
            "ConfigMap",
            name or ("istio-sidecar-injector" if revision == "default" else "istio-sidecar-injector-" + revision),
            "istio-system",
            labels,
            created="2026-01-15T08:06:00Z",
        ),
        "data": {"config": yaml.safe_dump(config, sort_keys=False), "values": json.dumps(values, indent=2)},
    }


def istio_status_annotation(revision, native=False):
    status = {
        "initContainers": ["istio-init", "istio-proxy"] if native else ["istio-init"],
        "containers": None if native else ["istio-proxy"],
        "volumes": [
            "workload-socket",
            "credential-socket",
            "workload-certs",
            "istio-envoy",
            "istio-data",
            "istio-podinfo",
            "istio-token",
            "istiod-ca-cert",
        ],
        "imagePullSecrets": None,
        "revision": revision,
    }
    return json.dumps(status, separators=(",", ":"))


def istio_init(version):
    return container(
        "istio-init",
        "%s/proxyv2:%s" % (ISTIO_HUB, version),
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
            "--log_output_level=default:info",
        ],
        resources={"requests": {"cpu": "10m", "memory": "40Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        security={
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": False,
            "runAsGroup": 0,
            "runAsNonRoot": False,
            "runAsUser": 0,
            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
        },
    )


def istio_proxy(version, native=False):
    extra = {"restartPolicy": "Always"} if native else {}
    return container(
        "istio-proxy",
        "%s/proxyv2:%s" % (ISTIO_HUB, version),
        ports=[(15090, "http-envoy-prom")],
        args=["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
        resources={"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        security={
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsGroup": 1337,
            "runAsNonRoot": True,
            "runAsUser": 1337,
            "capabilities": {"drop": ["ALL"]},
        },
        volumeMounts=[
            {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
            {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
        ],
        **extra,
    )


def app_template(name, image, port=8080, labels=None, annotations=None, extra_spec=None):
    tmpl_labels = {"app": name, "version": "v1"}
    tmpl_labels.update(labels or {})
    spec = {
        "serviceAccountName": name,
        "containers": [container(name, image, ports=[(port, "http")], env=[("LOG_LEVEL", "info")])],
    }
    spec.update(extra_spec or {})
    tmpl = {"metadata": {"creationTimestamp": None, "labels": tmpl_labels}, "spec": spec}
    if annotations:
        tmpl["metadata"]["annotations"] = dict(annotations)
    return tmpl


def istio_injected(spec, version, native=False):
    """The pod spec istiod's sidecar template produces (classic: istio-init + istio-proxy container)."""
    out = json.loads(json.dumps(spec))
    if native:
        out["initContainers"] = [istio_init(version), istio_proxy(version, native=True)]
    else:
        out["initContainers"] = [istio_init(version)]
        out["containers"] = out["containers"] + [istio_proxy(version)]
    return out


def istio_pod_meta(name, revision="default"):
    labels = {
        "security.istio.io/tlsMode": "istio",
        "service.istio.io/canonical-name": name,
        "service.istio.io/canonical-revision": "v1",
    }
    annotations = {
        "istio.io/rev": revision,
        "kubectl.kubernetes.io/default-container": name,
        "kubectl.kubernetes.io/default-logs-container": name,
        "prometheus.io/path": "/stats/prometheus",
        "prometheus.io/port": "15020",
        "prometheus.io/scrape": "true",
    }
    return labels, annotations


EKS_NODES = (
    (
        "ip-10-0-1-10.eu-west-1.compute.internal",
        "ng-general",
        "eu-west-1a",
        "i-0a1b2c3d4e5f60001",
        "v1.31.4-eks-2d5f260",
    ),
    (
        "ip-10-0-2-20.eu-west-1.compute.internal",
        "ng-general",
        "eu-west-1b",
        "i-0a1b2c3d4e5f60002",
        "v1.31.4-eks-2d5f260",
    ),
    (
        "ip-10-0-3-30.eu-west-1.compute.internal",
        "ng-legacy",
        "eu-west-1c",
        "i-0a1b2c3d4e5f60003",
        "v1.28.15-eks-59bf375",
    ),
)


def build_istio():
    c = Cluster(
        "istio-eks-broken",
        {
            "major": "1",
            "minor": "31+",
            "gitVersion": "v1.31.4-eks-2d5f260",
            "gitCommit": "4d2a7c3b1e8f5a9b6c0d1e2f3a4b5c6d7e8f9a0b",
            "gitTreeState": "clean",
            "buildDate": "2026-01-22T19:02:11Z",
            "goVersion": "go1.22.12",
            "compiler": "gc",
            "platform": "linux/amd64",
        },
    )
    root = Authority("Root CA", org="cluster.local")  # istiod self-signed root (istio-ca-secret)
    foreign = Authority("Root CA", org="cluster.local")  # another cluster's root: same name, other key
    expired = Authority("Root CA", org="cluster.local", validity=EXPIRED)  # what 1-20 left behind
    node_names = [n[0] for n in EKS_NODES]

    for name, group, zone, instance, kubelet in EKS_NODES:
        ip = name.split(".", maxsplit=1)[0][3:].replace("-", ".")
        c.add(
            {
                "kind": "Node",
                "metadata": meta(
                    "Node",
                    name,
                    labels={
                        "alpha.eksctl.io/cluster-name": "prod-eu",
                        "alpha.eksctl.io/nodegroup-name": group,
                        "beta.kubernetes.io/arch": "amd64",
                        "beta.kubernetes.io/instance-type": "m6i.xlarge",
                        "beta.kubernetes.io/os": "linux",
                        "eks.amazonaws.com/capacityType": "ON_DEMAND",
                        "eks.amazonaws.com/nodegroup": group,
                        "eks.amazonaws.com/nodegroup-image": "ami-0c55b159cbfafe1f0",
                        "kubernetes.io/arch": "amd64",
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "node.kubernetes.io/instance-type": "m6i.xlarge",
                        "topology.kubernetes.io/region": "eu-west-1",
                        "topology.kubernetes.io/zone": zone,
                    },
                    annotations={
                        "alpha.kubernetes.io/provided-node-ip": ip,
                        "node.alpha.kubernetes.io/ttl": "0",
                        "projectcalico.org/IPv4Address": ip + "/19",
                        "projectcalico.org/IPv4VXLANTunnelAddr": "10.42.%s.0" % ip[-2:],
                        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                    },
                    created="2026-01-15T07:50:00Z",
                ),
                "spec": {"providerID": "aws:///%s/%s" % (zone, instance)},
                "status": {
                    "addresses": [
                        {"type": "InternalIP", "address": ip},
                        {"type": "InternalDNS", "address": name},
                        {"type": "Hostname", "address": name},
                    ],
                    "nodeInfo": {
                        "architecture": "amd64",
                        "bootID": uid("boot", name),
                        "containerRuntimeVersion": "containerd://1.7.25",
                        "kernelVersion": "6.1.127-135.201.amzn2023.x86_64",
                        "kubeProxyVersion": kubelet,
                        "kubeletVersion": kubelet,
                        "machineID": instance.replace("-", ""),
                        "operatingSystem": "linux",
                        "osImage": "Amazon Linux 2023.6.20250203",
                        "systemUUID": uid("sys", name),
                    },
                    "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                    "capacity": {"cpu": "4", "memory": "16078180Ki", "pods": "58"},
                },
            }
        )

    ns_defs = [
        ("default", {}, {}),
        ("kube-system", {}, {}),
        ("kube-public", {}, {}),
        ("kube-node-lease", {}, {}),
        ("calico-system", {"name": "calico-system", "pod-security.kubernetes.io/enforce": "privileged"}, {}),
        ("istio-system", {}, {}),
        ("shop", {"istio-injection": "enabled"}, {}),
        ("payments", {"istio.io/rev": "1-23"}, {}),
        ("checkout", {"istio-injection": "enabled", "istio.io/rev": "1-23"}, {}),
        ("legacy", {"istio.io/rev": "1-21"}, {}),
        ("orders", {}, {}),
        (
            "secure-api",
            {
                "istio-injection": "enabled",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
            {},
        ),
        ("analytics", {"istio-injection": "enabled"}, {}),
        ("monitoring", {"istio-injection": "enabled"}, {}),
    ]
    for name, labels, ns_annotations in ns_defs:
        c.add(
            namespace(
                name,
                labels,
                ns_annotations or None,
                created="2026-03-02T09:30:00Z" if name == "shop" else "2026-01-15T08:00:00Z",
            )
        )

    # -- control plane: istiod 1.22.3 (default, via istioctl install) and the canary 1-23 (1.23.2)
    def istiod(revision, version, ready=1):
        name = "istiod" if revision == "default" else "istiod-" + revision
        labels = {
            "app": "istiod",
            "istio": "pilot",
            "istio.io/rev": revision,
            "install.operator.istio.io/owning-resource": "unknown",
            "operator.istio.io/component": "Pilot",
            "release": "istio",
        }
        env = [
            ("REVISION", revision),
            ("PILOT_CERT_PROVIDER", "istiod"),
            ("ENABLE_NATIVE_SIDECARS", "false"),
            ("INJECTION_WEBHOOK_CONFIG_NAME", "istio-sidecar-injector" if revision == "default" else ""),
            ("ISTIOD_ADDR", "%s.istio-system.svc:15012" % name),
            ("CLUSTER_ID", "Kubernetes"),
        ]
        tmpl = {
            "metadata": {
                "labels": dict(labels, **{"sidecar.istio.io/inject": "false", "istio.io/dataplane-mode": "none"}),
                "annotations": {
                    "prometheus.io/port": "15014",
                    "prometheus.io/scrape": "true",
                    "sidecar.istio.io/inject": "false",
                },
            },
            "spec": {
                "serviceAccountName": "istiod" if revision == "default" else "istiod-" + revision,
                "containers": [
                    container(
                        "discovery",
                        "%s/pilot:%s" % (ISTIO_HUB, version),
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
                            "--keepaliveMaxServerConnectionAge",
                            "30m",
                        ],
                        env=env,
                        resources={"requests": {"cpu": "500m", "memory": "2Gi"}},
                        security={
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    )
                ],
            },
        }
        tmpl["metadata"]["labels"]["app"] = "istiod"
        deploy, rs = c.deployment("istio-system", name, tmpl, replicas=1, labels=labels, ready=ready)
        deploy["spec"]["selector"] = {"matchLabels": {"istio": "pilot", "istio.io/rev": revision}}
        pod = c.pod(
            rs, "5c7b8", tmpl["spec"], [running("discovery", "%s/pilot:%s" % (ISTIO_HUB, version))], node=node_names[0]
        )
        svc = c.service(
            "istio-system",
            name,
            [
                ("grpc-xds", 15010, 15010),
                ("https-dns", 15012, 15012),
                ("https-webhook", 443, 15017),
                ("http-monitoring", 15014, 15014),
            ],
            {"app": "istiod", "istio.io/rev": revision},
            labels={"app": "istiod", "istio": "pilot", "istio.io/rev": revision, "release": "istio"},
            cluster_ip="172.20.%d.%d" % (10 if revision == "default" else 11, 40),
        )
        c.endpoints(
            svc,
            [pod],
            [("grpc-xds", 15010), ("https-dns", 15012), ("https-webhook", 15017), ("http-monitoring", 15014)],
        )
        return deploy

    istiod("default", "1.22.3")
    istiod("1-23", "1.23.2")

    c.add(
        {
            "kind": "ConfigMap",
            "metadata": meta(
                "ConfigMap",
                "istio",
                "istio-system",
                {
                    "install.operator.istio.io/owning-resource": "unknown",
                    "istio.io/rev": "default",
                    "operator.istio.io/component": "Pilot",
                    "release": "istio",
                },
                created="2026-01-15T08:06:00Z",
            ),
            "data": {
                "mesh": "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n"
                "defaultProviders:\n  metrics:\n  - prometheus\nenablePrometheusMerge: true\n"
                "rootNamespace: istio-system\ntrustDomain: cluster.local\n",
                "meshNetworks": "networks: {}",
            },
        }
    )
    c.add(
        {
            "kind": "ConfigMap",
            "metadata": meta(
                "ConfigMap",
                "istio-1-23",
                "istio-system",
                {"istio.io/rev": "1-23", "operator.istio.io/component": "Pilot", "release": "istio"},
                created="2026-02-20T10:00:00Z",
            ),
            "data": {
                "mesh": "defaultConfig:\n  discoveryAddress: istiod-1-23.istio-system.svc:15012\n"
                "rootNamespace: istio-system\ntrustDomain: cluster.local\n",
                "meshNetworks": "networks: {}",
            },
        }
    )
    c.add(istio_injector_configmap("default", "1.22.3", never=[{"matchLabels": {"team": "data"}}]))
    c.add(istio_injector_configmap("1-23", "1.23.2"))
    c.add(
        {
            "kind": "ConfigMap",
            "metadata": meta(
                "ConfigMap",
                "istio-ca-root-cert",
                "istio-system",
                {"istio.io/config": "true"},
                created="2026-01-15T08:07:00Z",
            ),
            "data": {"root-cert.pem": root.pem},
        }
    )
    c.add(
        {
            "kind": "ConfigMap",
            "metadata": meta("ConfigMap", "kube-root-ca.crt", "istio-system", created="2026-01-15T08:00:00Z"),
            "data": {"ca.crt": Authority("kubernetes").pem},
        }
    )
    c.add(
        {
            "kind": "ConfigMap",
            "metadata": meta("ConfigMap", "istio-leader", "istio-system", created="2026-01-15T08:07:00Z"),
        }
    )
    c.add(
        {
            "kind": "Secret",
            "type": "istio.io/ca-root",
            "metadata": meta("Secret", "istio-ca-secret", "istio-system", created="2026-01-15T08:07:00Z"),
            "data": {"ca-cert.pem": root.b64},
        }
    )

    mwc_labels = {
        "app": "sidecar-injector",
        "install.operator.istio.io/owning-resource": "unknown",
        "operator.istio.io/component": "Pilot",
        "release": "istio",
    }
    c.add(
        {
            "kind": "MutatingWebhookConfiguration",
            "metadata": meta(
                "MutatingWebhookConfiguration",
                "istio-sidecar-injector",
                labels=dict(mwc_labels, **{"istio.io/rev": "default"}),
                created="2026-01-15T08:06:00Z",
                generation=3,
            ),
            "webhooks": istio_webhooks("default", ca=root.b64, deactivated=True),
        }
    )
    c.add(
        {
            "kind": "MutatingWebhookConfiguration",
            "metadata": meta(
                "MutatingWebhookConfiguration",
                "istio-revision-tag-default",
                labels=dict(mwc_labels, **{"istio.io/rev": "default", "istio.io/tag": "default"}),
                created="2026-01-15T08:06:00Z",
                generation=2,
            ),
            "webhooks": istio_webhooks("default", tag="default", ca=root.b64),
        }
    )
    c.add(
        {
            "kind": "MutatingWebhookConfiguration",
            "metadata": meta(
                "MutatingWebhookConfiguration",
                "istio-sidecar-injector-1-23",
                labels=dict(mwc_labels, **{"istio.io/rev": "1-23"}),
                created="2026-02-20T10:00:00Z",
                generation=1,
                annotations={LAST_APPLIED: "{...applied by the GitOps pipeline...}"},
            ),
            "webhooks": istio_webhooks("1-23", service="istiod-1-23", ca=foreign.b64, timeout=3),
        }
    )
    c.add(
        {
            "kind": "MutatingWebhookConfiguration",
            "metadata": meta(
                "MutatingWebhookConfiguration",
                "istio-sidecar-injector-1-20",
                labels=dict(mwc_labels, **{"istio.io/rev": "1-20"}),
                created="2025-02-10T10:00:00Z",
                generation=1,
            ),
            "webhooks": istio_webhooks("1-20", service="istiod-1-20", ca=expired.b64),
        }
    )
    c.add(
        {
            "kind": "ValidatingWebhookConfiguration",
            "metadata": meta(
                "ValidatingWebhookConfiguration",
                "istio-validator-istio-system",
                labels={"app": "istiod", "istio": "istiod", "istio.io/rev": "default", "release": "istio"},
                created="2026-01-15T08:06:00Z",
            ),
            "webhooks": [
                {
                    "admissionReviewVersions": ["v1"],
                    "name": "rev.validation.istio.io",
                    "clientConfig": {
                        "caBundle": root.b64,
                        "service": {"name": "istiod", "namespace": "istio-system", "path": "/validate", "port": 443},
                    },
                    "failurePolicy": "Fail",
                    "matchPolicy": "Equivalent",
                    "namespaceSelector": {},
                    "objectSelector": {
                        "matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": ["default"]}]
                    },
                    "rules": [
                        {
                            "apiGroups": [
                                "security.istio.io",
                                "networking.istio.io",
                                "telemetry.istio.io",
                                "extensions.istio.io",
                            ],
                            "apiVersions": ["*"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["*"],
                            "scope": "*",
                        }
                    ],
                    "sideEffects": "None",
                    "timeoutSeconds": 10,
                }
            ],
        }
    )

    # SI304: default-deny ingress in istio-system that admits xDS but not the webhook port 15017
    c.add(
        {
            "kind": "NetworkPolicy",
            "metadata": meta(
                "NetworkPolicy", "default-deny-ingress", "istio-system", created="2026-02-27T16:00:00Z", generation=1
            ),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"namespaceSelector": {}}],
                        "ports": [
                            {"port": 15010, "protocol": "TCP"},
                            {"port": 15012, "protocol": "TCP"},
                            {"port": 15014, "protocol": "TCP"},
                        ],
                    }
                ],
            },
        }
    )

    # RBAC: istiod's ClusterRole lost update/patch on webhook configurations (SI504)
    def cluster_role(name, rules, labels=None):
        c.add(
            {
                "kind": "ClusterRole",
                "metadata": meta("ClusterRole", name, labels=labels, created="2026-01-15T08:06:00Z"),
                "rules": rules,
            }
        )

    def cluster_binding(name, role, sa, ns):
        c.add(
            {
                "kind": "ClusterRoleBinding",
                "metadata": meta("ClusterRoleBinding", name, created="2026-01-15T08:06:00Z"),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}],
            }
        )

    base_rules = [
        {
            "apiGroups": [""],
            "resources": ["pods", "nodes", "services", "namespaces", "endpoints"],
            "verbs": ["get", "list", "watch"],
        },
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
        {
            "apiGroups": ["certificates.k8s.io"],
            "resources": ["certificatesigningrequests"],
            "verbs": ["update", "create", "get", "delete", "watch"],
        },
    ]
    cluster_role(
        "istiod-clusterrole-istio-system",
        [
            {
                "apiGroups": ["admissionregistration.k8s.io"],
                "resources": ["mutatingwebhookconfigurations"],
                "verbs": ["get", "list", "watch"],
            }
        ]
        + base_rules,
        labels={"app": "istiod", "istio.io/rev": "default"},
    )
    cluster_role(
        "istiod-clusterrole-1-23-istio-system",
        [
            {
                "apiGroups": ["admissionregistration.k8s.io"],
                "resources": ["mutatingwebhookconfigurations"],
                "verbs": ["get", "list", "watch", "update", "patch"],
            }
        ]
        + base_rules,
        labels={"app": "istiod", "istio.io/rev": "1-23"},
    )
    cluster_binding("istiod-clusterrole-istio-system", "istiod-clusterrole-istio-system", "istiod", "istio-system")
    cluster_binding(
        "istiod-clusterrole-1-23-istio-system", "istiod-clusterrole-1-23-istio-system", "istiod-1-23", "istio-system"
    )
    for sa in ("istiod", "istiod-1-23"):
        c.add(
            {
                "kind": "Role",
                "metadata": meta("Role", sa, "istio-system", created="2026-01-15T08:06:00Z"),
                "rules": [
                    {
                        "apiGroups": [""],
                        "resources": ["configmaps"],
                        "verbs": ["create", "get", "list", "watch", "update"],
                    },
                    {
                        "apiGroups": [""],
                        "resources": ["secrets"],
                        "verbs": ["create", "get", "watch", "list", "update", "delete"],
                    },
                ],
            }
        )
        c.add(
            {
                "kind": "RoleBinding",
                "metadata": meta("RoleBinding", sa, "istio-system", created="2026-01-15T08:06:00Z"),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa},
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": "istio-system"}],
            }
        )

    # -- platform: EKS with Calico VXLAN as the pod network (no aws-node): an overlay the EKS control
    # plane cannot route to (SI305); kube-proxy and coredns as usual.
    def daemonset(ns, name, tmpl, nodes, host_network=False, ready=None):
        tmpl = json.loads(json.dumps(tmpl))
        if host_network:
            tmpl["spec"]["hostNetwork"] = True
        count = len(nodes)
        ready = count if ready is None else ready
        ds = c.add(
            {
                "kind": "DaemonSet",
                "metadata": meta(
                    "DaemonSet",
                    name,
                    ns,
                    {"k8s-app": name},
                    {"deprecated.daemonset.template.generation": "1"},
                    created="2026-01-15T07:55:00Z",
                    generation=1,
                ),
                "spec": {
                    "selector": {"matchLabels": {"k8s-app": name}},
                    "template": tmpl,
                    "updateStrategy": {"type": "RollingUpdate"},
                },
                "status": {
                    "currentNumberScheduled": count,
                    "desiredNumberScheduled": count,
                    "numberAvailable": ready,
                    "numberMisscheduled": 0,
                    "numberReady": ready,
                    "observedGeneration": 1,
                    "updatedNumberScheduled": count,
                },
            }
        )
        return ds

    calico_tmpl = {
        "metadata": {"labels": {"k8s-app": "calico-node"}},
        "spec": {
            "serviceAccountName": "calico-node",
            "hostNetwork": True,
            "containers": [
                container(
                    "calico-node",
                    "docker.io/calico/node:v3.29.2",
                    env=[
                        ("CALICO_NETWORKING_BACKEND", "vxlan"),
                        ("CALICO_IPV4POOL_CIDR", "10.42.0.0/16"),
                        ("CALICO_IPV4POOL_VXLAN", "Always"),
                    ],
                    security={"privileged": True},
                )
            ],
        },
    }
    ds = daemonset("calico-system", "calico-node", calico_tmpl, node_names, host_network=True)
    for index, node in enumerate(node_names):
        c.pod(
            ds,
            "x%d9kq" % index,
            calico_tmpl["spec"],
            [running("calico-node", "docker.io/calico/node:v3.29.2")],
            labels={"k8s-app": "calico-node"},
            node=node,
            host_network=True,
        )
    proxy_tmpl = {
        "metadata": {"labels": {"k8s-app": "kube-proxy"}},
        "spec": {
            "serviceAccountName": "kube-proxy",
            "hostNetwork": True,
            "priorityClassName": "system-node-critical",
            "containers": [
                container(
                    "kube-proxy",
                    "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.31.3-minimal-eksbuild.2",
                    security={"privileged": True},
                )
            ],
        },
    }
    ds = daemonset("kube-system", "kube-proxy", proxy_tmpl, node_names, host_network=True)
    for index, node in enumerate(node_names):
        c.pod(
            ds,
            "p%d4rt" % index,
            proxy_tmpl["spec"],
            [running("kube-proxy", proxy_tmpl["spec"]["containers"][0]["image"])],
            labels={"k8s-app": "kube-proxy"},
            node=node,
            host_network=True,
        )
    dns_tmpl = app_template(
        "coredns",
        "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2",
        port=53,
        labels={"k8s-app": "kube-dns"},
    )
    _deployment, rs = c.deployment("kube-system", "coredns", dns_tmpl, replicas=2, labels={"k8s-app": "kube-dns"})
    for index in range(2):
        c.pod(
            rs,
            "8f6d4-%d2bxc" % index,
            dns_tmpl["spec"],
            [running("coredns", dns_tmpl["spec"]["containers"][0]["image"])],
            node=node_names[index],
        )

    # -- shop (istio-injection=enabled since 2026-03-02 09:30) --------------------------------------
    def istio_app(
        ns,
        name,
        image,
        replicas=1,
        revision="default",
        version="1.22.3",
        tmpl_labels=None,
        tmpl_annotations=None,
        deploy_labels=None,
        inject=True,
        native=False,
        pod_status=None,
        pod_created="2026-03-02T10:05:00Z",
        node=None,
        ready=True,
        suffix="7xk2q",
        extra_spec=None,
    ):
        tmpl = app_template(name, image, labels=tmpl_labels, annotations=tmpl_annotations, extra_spec=extra_spec)
        deploy, rs = c.deployment(
            ns, name, tmpl, replicas=replicas, labels=deploy_labels, ready=replicas if ready else 0
        )
        if not replicas:
            return deploy, rs, None
        spec = tmpl["spec"]
        labels, annotations = {}, {}
        init_statuses = None
        statuses = [running(name, image, ready=ready)]
        if inject:
            spec = istio_injected(spec, version, native=native)
            labels, annotations = istio_pod_meta(name, revision)
            annotations["sidecar.istio.io/status"] = istio_status_annotation(revision, native)
            init_statuses = [completed("istio-init", "%s/proxyv2:%s" % (ISTIO_HUB, version))]
            proxy = running("istio-proxy", "%s/proxyv2:%s" % (ISTIO_HUB, version), ready=ready)
            if native:
                init_statuses.append(proxy)
            else:
                statuses.append(proxy)
        if pod_status:
            statuses, init_statuses = pod_status(statuses, init_statuses)
        pod = c.pod(
            rs,
            suffix,
            spec,
            statuses,
            init_statuses,
            labels=labels,
            annotations=annotations,
            node=node or node_names[len(name) % 2],
            created=pod_created,
            ready=ready,
        )
        return deploy, rs, pod

    _deployment, _replicaset, _productpage = istio_app(
        "shop", "productpage", "registry.example.com/shop/productpage:2.4.1"
    )
    c.service("shop", "productpage", [("http", 9080, 8080)], {"app": "productpage"}, cluster_ip="172.20.31.10")
    # SI604: cart's pod was created before the namespace was labelled; a pod created now would be injected
    istio_app("shop", "cart", "registry.example.com/shop/cart:1.9.0", inject=False, pod_created="2026-03-01T12:00:05Z")
    # SI605: catalog still runs the 1.21.2 proxy although its namespace now selects istiod 1.22.3

    def old_proxy(statuses, init_statuses):
        for status in statuses + init_statuses:
            status["image"] = status["image"].replace("1.22.3", "1.21.2")
        return statuses, init_statuses

    _deployment, _replicaset, _catalog = istio_app(
        "shop",
        "catalog",
        "registry.example.com/shop/catalog:3.0.2",
        version="1.21.2",
        pod_status=old_proxy,
        pod_created="2026-02-10T08:00:00Z",
    )
    # SI601: istio-init crash-loops (iptables-restore fails on the node's nftables backend)

    def init_crash(statuses, init_statuses):
        init_statuses[0] = crashing(
            "istio-init",
            "%s/proxyv2:1.22.3" % ISTIO_HUB,
            "error: failed to run iptables-restore: exit status 2: iptables-restore v1.8.9 "
            "(nf_tables): line 3 failed: Could not fetch rule set generation id: Invalid "
            "argument\n",
            restarts=23,
            exit_code=255,
        )
        for status in statuses:
            status.update({"ready": False, "started": False, "state": {"waiting": {"reason": "PodInitializing"}}})
        return statuses, init_statuses

    _deployment, _replicaset, search = istio_app(
        "shop", "search", "registry.example.com/shop/search:5.1.0", pod_status=init_crash, ready=False
    )
    search["status"]["phase"] = "Pending"
    for cond in search["status"]["conditions"]:
        if cond["type"] == "Initialized":
            cond.update(
                {
                    "status": "False",
                    "reason": "ContainersNotInitialized",
                    "message": "containers with incomplete status: [istio-init]",
                }
            )
    c.event(
        "shop",
        "Pod",
        search["metadata"]["name"],
        "BackOff",
        "Back-off restarting failed container istio-init in pod %s_shop(%s)"
        % (search["metadata"]["name"], search["metadata"]["uid"]),
        count=96,
        component="kubelet",
    )
    # SI603: ratings' istio-proxy is not ready (cannot reach istiod on 15012)

    def proxy_not_ready(statuses, init_statuses):
        statuses[1].update({"ready": False, "restartCount": 4})
        statuses[1]["lastState"] = {
            "terminated": {
                "exitCode": 255,
                "reason": "Error",
                "startedAt": "2026-03-02T10:20:01Z",
                "finishedAt": "2026-03-02T10:35:02Z",
            }
        }
        return statuses, init_statuses

    _deployment, _replicaset, ratings = istio_app(
        "shop", "ratings", "registry.example.com/shop/ratings:1.3.3", pod_status=proxy_not_ready, ready=False
    )
    c.event(
        "shop",
        "Pod",
        ratings["metadata"]["name"],
        "Unhealthy",
        'Readiness probe failed: Get "http://10.42.0.37:15021/healthz/ready": dial tcp 10.42.0.37:15021: '
        "connect: connection refused",
        count=211,
        component="kubelet",
    )
    # SI106: "False" is not "false": the webhook is called and istiod falls back to the default policy
    istio_app(
        "shop", "reports", "registry.example.com/shop/reports:0.9.4", tmpl_labels={"sidecar.istio.io/inject": "False"}
    )
    # SI107: an explicit opt-out inside an enabled namespace (info)
    istio_app(
        "shop",
        "legacy-batch",
        "registry.example.com/shop/legacy-batch:4.2.0",
        tmpl_labels={"sidecar.istio.io/inject": "false"},
        inject=False,
    )
    # SI110: the injector's neverInjectSelector (team=data) excludes feature-store
    istio_app(
        "shop",
        "feature-store",
        "registry.example.com/data/feature-store:2.0.0",
        tmpl_labels={"team": "data"},
        inject=False,
    )
    # SI307: istiod was reached and denied the pod (invalid traffic annotation)
    _deployment, rs, _pod = istio_app(
        "shop",
        "recommendation",
        "registry.example.com/shop/recommendation:1.0.1",
        replicas=0,
        tmpl_annotations={"traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/33"},
    )
    rs["spec"]["replicas"] = 1
    c.event(
        "shop",
        "ReplicaSet",
        rs["metadata"]["name"],
        "FailedCreate",
        'Error creating: admission webhook "namespace.sidecar-injector.istio.io" denied the request: '
        "injection failed due to invalid annotations: traffic.sidecar.istio.io/includeOutboundIPRanges: "
        "invalid CIDR address: 10.0.0.0/33",
        count=18,
    )
    # SI606: a Job whose classic istio-proxy keeps running after the migration finished
    job_tmpl = app_template("db-migrate", "registry.example.com/shop/db-migrate:1.9.0")
    job_tmpl["spec"]["restartPolicy"] = "Never"
    job = c.add(
        {
            "kind": "Job",
            "metadata": meta(
                "Job", "db-migrate", "shop", {"app": "db-migrate"}, created="2026-03-02T10:00:00Z", generation=1
            ),
            "spec": {
                "backoffLimit": 2,
                "completions": 1,
                "parallelism": 1,
                "completionMode": "NonIndexed",
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid("Job", "shop", "db-migrate")}},
                "template": job_tmpl,
            },
            "status": {"active": 1, "ready": 0, "startTime": "2026-03-02T10:00:00Z", "uncountedTerminatedPods": {}},
        }
    )
    job["metadata"]["uid"] = uid("Job", "shop", "db-migrate")
    job_spec = istio_injected(job_tmpl["spec"], "1.22.3")
    labels, annotations = istio_pod_meta("db-migrate")
    annotations["sidecar.istio.io/status"] = istio_status_annotation("default")
    main = completed("db-migrate", "registry.example.com/shop/db-migrate:1.9.0", finished="2026-03-02T10:01:10Z")
    main["ready"] = False
    c.pod(
        job,
        "q8z4m",
        job_spec,
        [main, running("istio-proxy", "%s/proxyv2:1.22.3" % ISTIO_HUB)],
        [completed("istio-init", "%s/proxyv2:1.22.3" % ISTIO_HUB)],
        labels=dict(labels, **{"batch.kubernetes.io/job-name": "db-migrate", "job-name": "db-migrate"}),
        annotations=annotations,
        node=node_names[1],
        ready=False,
        created="2026-03-02T10:00:01Z",
    )

    # -- payments: canary revision 1-23 whose webhook caBundle is another cluster's root (SI404, SI303)
    _deployment, rs, _pod = istio_app(
        "payments", "payments-api", "registry.example.com/payments/api:7.2.0", replicas=2, revision="1-23", ready=False
    )
    rs["status"].update({"replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "fullyLabeledReplicas": 0})
    rs["status"]["conditions"] = [
        {
            "type": "ReplicaFailure",
            "status": "True",
            "reason": "FailedCreate",
            "message": 'Internal error occurred: failed calling webhook "rev.namespace.sidecar-injector.istio.io"',
            "lastTransitionTime": "2026-03-02T09:10:00Z",
        }
    ]
    c.event(
        "payments",
        "ReplicaSet",
        rs["metadata"]["name"],
        "FailedCreate",
        'Error creating: Internal error occurred: failed calling webhook "rev.namespace.sidecar-injector.istio.io": '
        'failed to call webhook: Post "https://istiod-1-23.istio-system.svc:443/inject?timeout=3s": '
        "tls: failed to verify certificate: x509: certificate signed by unknown authority "
        '(possibly because of "crypto/rsa: verification error" while trying to verify candidate authority '
        'certificate "Root CA")',
        count=37,
    )

    # -- checkout: istio-injection=enabled and istio.io/rev=1-23 at once (SI102): the default wins
    istio_app("checkout", "frontend", "registry.example.com/checkout/frontend:3.3.0")
    # SI702: native sidecar requested, but the pod landed on the 1.28 node group

    def native_stuck(statuses, init_statuses):
        init_statuses[1].update({"ready": False})
        for status in statuses:
            status.update({"ready": False, "started": False, "state": {"waiting": {"reason": "PodInitializing"}}})
        return statuses, init_statuses

    _deployment, _replicaset, worker = istio_app(
        "checkout",
        "checkout-worker",
        "registry.example.com/checkout/worker:3.3.0",
        tmpl_annotations={"sidecar.istio.io/nativeSidecar": "true"},
        native=True,
        pod_status=native_stuck,
        node=node_names[2],
        ready=False,
    )
    worker["status"]["phase"] = "Pending"

    # -- legacy: still points at revision 1-21, uninstalled in the last canary upgrade (SI103)
    istio_app(
        "legacy",
        "billing-v1",
        "registry.example.com/legacy/billing:1.0.7",
        inject=False,
        pod_created="2026-02-28T11:00:00Z",
    )

    # -- orders: meant to be meshed (inventory: desired namespace) but unlabelled (SI101)
    # SI105: the label was put on the Deployment's own metadata, which no webhook reads
    istio_app(
        "orders",
        "fulfilment",
        "registry.example.com/orders/fulfilment:2.1.0",
        inject=False,
        deploy_labels={"app": "fulfilment", "sidecar.istio.io/inject": "true"},
    )
    # SI104: the annotation alone opts nothing in: the object.* webhook selects on the label
    istio_app(
        "orders",
        "invoices",
        "registry.example.com/orders/invoices:2.1.0",
        inject=False,
        tmpl_annotations={"sidecar.istio.io/inject": "true"},
    )

    # -- secure-api: Pod Security "restricted" rejects istio-init (no Istio CNI) (SI501)
    _deployment, rs, _pod = istio_app("secure-api", "api", "registry.example.com/secure/api:1.4.0", replicas=0)
    rs["spec"]["replicas"] = 2
    c.event(
        "secure-api",
        "ReplicaSet",
        rs["metadata"]["name"],
        "FailedCreate",
        'Error creating: pods "%s-k2x8p" is forbidden: violates PodSecurity "restricted:latest": '
        'allowPrivilegeEscalation != false (container "istio-init" must set '
        'securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "istio-init" '
        'must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add), runAsNonRoot != true '
        '(container "istio-init" must not set securityContext.runAsNonRoot=false), runAsUser=0 (container '
        '"istio-init" must not set runAsUser=0)' % rs["metadata"]["name"],
        count=52,
    )

    # -- analytics: quota without headroom for the proxy (SI502) and a LimitRange max below it (SI503)
    c.add(
        {
            "kind": "ResourceQuota",
            "metadata": meta("ResourceQuota", "compute-resources", "analytics", created="2026-02-01T09:00:00Z"),
            "spec": {
                "hard": {"limits.cpu": "4", "limits.memory": "8Gi", "requests.cpu": "2", "requests.memory": "4Gi"}
            },
            "status": {
                "hard": {"limits.cpu": "4", "limits.memory": "8Gi", "requests.cpu": "2", "requests.memory": "4Gi"},
                "used": {
                    "limits.cpu": "3500m",
                    "limits.memory": "3Gi",
                    "requests.cpu": "1200m",
                    "requests.memory": "1536Mi",
                },
            },
        }
    )
    c.add(
        {
            "kind": "LimitRange",
            "metadata": meta("LimitRange", "container-limits", "analytics", created="2026-02-01T09:00:00Z"),
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "max": {"cpu": "1", "memory": "512Mi"},
                        "default": {"cpu": "500m", "memory": "256Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                    }
                ]
            },
        }
    )
    _deployment, rs, _pod = istio_app("analytics", "etl", "registry.example.com/analytics/etl:0.7.0", replicas=0)
    rs["spec"]["replicas"] = 1
    c.event(
        "analytics",
        "ReplicaSet",
        rs["metadata"]["name"],
        "FailedCreate",
        'Error creating: pods "%s-9wq2l" is forbidden: exceeded quota: compute-resources, requested: '
        "limits.cpu=2500m, used: limits.cpu=3500m, limited: limits.cpu=4" % rs["metadata"]["name"],
        count=29,
    )
    _deployment, rs, _pod = istio_app(
        "analytics", "dashboard", "registry.example.com/analytics/dashboard:1.1.0", replicas=0
    )
    rs["spec"]["replicas"] = 1
    c.event(
        "analytics",
        "ReplicaSet",
        rs["metadata"]["name"],
        "FailedCreate",
        'Error creating: pods "%s-t7v3n" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
        % rs["metadata"]["name"],
        count=12,
    )

    # -- monitoring: node-exporter uses hostNetwork, so it is never injected (SI109, info)
    exporter_tmpl = {
        "metadata": {"labels": {"k8s-app": "node-exporter", "app": "node-exporter"}},
        "spec": {
            "serviceAccountName": "node-exporter",
            "containers": [
                container("node-exporter", "quay.io/prometheus/node-exporter:v1.9.0", ports=[(9100, "metrics")])
            ],
        },
    }
    ds = daemonset("monitoring", "node-exporter", exporter_tmpl, node_names, host_network=True)
    for index, node in enumerate(node_names):
        c.pod(
            ds,
            "n%d5fz" % index,
            dict(exporter_tmpl["spec"], hostNetwork=True),
            [running("node-exporter", "quay.io/prometheus/node-exporter:v1.9.0")],
            node=node,
            host_network=True,
        )
    return c


# ---- Linkerd ------------------------------------------------------------------------------------

LINKERD_VERSION = "edge-25.4.4"  # the edge release tagged version-2.18
PROXY_IMAGE = "cr.l5d.io/linkerd/proxy"
GKE_NODES = (
    ("gke-prod-eu-default-pool-6f2a9c1e-0k4d", "europe-west1-b", "v1.30.5-gke.1014001"),
    ("gke-prod-eu-default-pool-6f2a9c1e-7b3x", "europe-west1-c", "v1.30.5-gke.1014001"),
    ("gke-prod-eu-default-pool-6f2a9c1e-q9mz", "europe-west1-d", "v1.30.5-gke.1014001"),
)


def linkerd_proxy(version=LINKERD_VERSION, ready=True):
    return container(
        "linkerd-proxy",
        "%s:%s" % (PROXY_IMAGE, version),
        ports=[(4143, "linkerd-proxy"), (4191, "linkerd-admin")],
        env=[
            ("_pod_containerName", "linkerd-proxy"),
            ("LINKERD2_PROXY_LOG", "warn,linkerd=info"),
            ("LINKERD2_PROXY_IDENTITY_DIR", "/var/run/linkerd/identity/end-entity"),
        ],
        resources={"requests": {"cpu": "100m", "memory": "20Mi"}, "limits": {"memory": "250Mi"}},
        security={
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 2102,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        lifecycle={
            "postStart": {"exec": {"command": ["/usr/lib/linkerd/linkerd-await", "--timeout=2m", "--port=4191"]}}
        },
        volumeMounts=[
            {"mountPath": "/var/run/linkerd/identity/end-entity", "name": "linkerd-identity-end-entity"},
            {"mountPath": "/var/run/secrets/tokens", "name": "linkerd-identity-token"},
        ],
    )


def linkerd_init():
    return container(
        "linkerd-init",
        "cr.l5d.io/linkerd/proxy-init:v2.4.2",
        args=[
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
            "4567,4568",
        ],
        resources={"requests": {"cpu": "100m", "memory": "20Mi"}, "limits": {"memory": "20Mi"}},
        security={
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsGroup": 65534,
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    )


def linkerd_injected(spec):
    out = json.loads(json.dumps(spec))
    out["containers"] = [linkerd_proxy()] + out["containers"]
    out["initContainers"] = [linkerd_init()] + (out.get("initContainers") or [])
    out.setdefault("volumes", []).extend(
        [
            {"name": "linkerd-identity-end-entity", "emptyDir": {"medium": "Memory"}},
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
    )
    return out


def build_linkerd():
    c = Cluster(
        "linkerd-gke-broken",
        {
            "major": "1",
            "minor": "30",
            "gitVersion": "v1.30.5-gke.1014001",
            "gitCommit": "8c5d1e7a2f0b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
            "gitTreeState": "clean",
            "buildDate": "2025-11-04T09:12:41Z",
            "goVersion": "go1.22.8 X:boringcrypto",
            "compiler": "gc",
            "platform": "linux/amd64",
        },
    )
    anchor = Authority("root.linkerd.cluster.local")
    issuer = Authority("identity.linkerd.cluster.local", validity=EXPIRED, issuer=anchor)
    # The proxy-injector's serving certificate was generated for the namespace of an earlier
    # install (linkerd-old): the caBundle matches it, but its SAN does not cover the service (SI406).
    injector_tls = Authority(
        "linkerd-proxy-injector.linkerd-old.svc", sans=["linkerd-proxy-injector.linkerd-old.svc"], is_ca=True
    )
    sp_tls = Authority("linkerd-sp-validator.linkerd.svc", sans=["linkerd-sp-validator.linkerd.svc"])
    policy_tls = Authority("linkerd-policy-validator.linkerd.svc", sans=["linkerd-policy-validator.linkerd.svc"])
    kyverno_ca = Authority("*.kyverno.svc")
    node_names = [n[0] for n in GKE_NODES]

    for index, (name, zone, kubelet) in enumerate(GKE_NODES):
        ip = "10.132.0.%d" % (11 + index)
        c.add(
            {
                "kind": "Node",
                "metadata": meta(
                    "Node",
                    name,
                    labels={
                        "beta.kubernetes.io/arch": "amd64",
                        "beta.kubernetes.io/instance-type": "e2-standard-4",
                        "beta.kubernetes.io/os": "linux",
                        "cloud.google.com/gke-boot-disk": "pd-balanced",
                        "cloud.google.com/gke-container-runtime": "containerd",
                        "cloud.google.com/gke-nodepool": "default-pool",
                        "cloud.google.com/gke-os-distribution": "cos",
                        "cloud.google.com/machine-family": "e2",
                        "cloud.google.com/private-node": "true",
                        "kubernetes.io/arch": "amd64",
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "node.kubernetes.io/instance-type": "e2-standard-4",
                        "topology.gke.io/zone": zone,
                        "topology.kubernetes.io/region": "europe-west1",
                        "topology.kubernetes.io/zone": zone,
                    },
                    annotations={
                        "container.googleapis.com/instance_id": "48213%05d" % (index * 7919),
                        "node.alpha.kubernetes.io/ttl": "0",
                        "node.gke.io/last-applied-node-labels": "cloud.google.com/gke-boot-disk=pd-balanced",
                        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                    },
                    created="2026-01-20T07:50:00Z",
                ),
                "spec": {
                    "podCIDR": "10.8.%d.0/24" % index,
                    "podCIDRs": ["10.8.%d.0/24" % index],
                    "providerID": "gce://acme-prod/%s/%s" % (zone, name),
                },
                "status": {
                    "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                    "nodeInfo": {
                        "architecture": "amd64",
                        "bootID": uid("boot", name),
                        "containerRuntimeVersion": "containerd://1.7.24",
                        "kernelVersion": "6.1.112+",
                        "kubeProxyVersion": kubelet,
                        "kubeletVersion": kubelet,
                        "machineID": uid("machine", name).replace("-", ""),
                        "operatingSystem": "linux",
                        "osImage": "Container-Optimized OS from Google",
                        "systemUUID": uid("sys", name),
                    },
                    "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                },
            }
        )

    for name, labels, ns_annotations in [
        ("default", {}, {}),
        ("kube-system", {}, {}),
        ("kube-public", {}, {}),
        ("kube-node-lease", {}, {}),
        (
            "linkerd",
            {
                "config.linkerd.io/admission-webhooks": "disabled",
                "linkerd.io/control-plane-ns": "linkerd",
                "linkerd.io/is-control-plane": "true",
                "pod-security.kubernetes.io/enforce": "privileged",
            },
            {"linkerd.io/inject": "disabled"},
        ),
        ("web", {}, {"linkerd.io/inject": "enabled"}),
        ("billing", {"linkerd.io/inject": "enabled"}, {}),
        ("payments", {}, {"linkerd.io/inject": "true"}),
        ("cert-manager", {}, {"linkerd.io/inject": "enabled"}),
        ("kyverno", {}, {}),
    ]:
        c.add(namespace(name, labels, ns_annotations or None))

    # -- control plane (linkerd install, 2.18, default values: webhookFailurePolicy Ignore) ---------
    def component(name, component_name, image, ports, ready=True, statuses=None, proxy_ready=None, suffix="6d9f7"):
        labels = {
            "app.kubernetes.io/name": component_name,
            "app.kubernetes.io/part-of": "Linkerd",
            "app.kubernetes.io/version": LINKERD_VERSION,
            "linkerd.io/control-plane-component": component_name,
            "linkerd.io/control-plane-ns": "linkerd",
        }
        tmpl_labels = {
            "linkerd.io/control-plane-component": component_name,
            "linkerd.io/control-plane-ns": "linkerd",
            "linkerd.io/proxy-deployment": name,
            "linkerd.io/workload-ns": "linkerd",
        }
        tmpl = {
            "metadata": {
                "labels": tmpl_labels,
                "annotations": {
                    "linkerd.io/created-by": "linkerd/cli %s" % LINKERD_VERSION,
                    "linkerd.io/proxy-version": LINKERD_VERSION,
                    "linkerd.io/trust-root-sha256": anchor.sha256,
                    "config.linkerd.io/default-inbound-policy": "all-unauthenticated",
                },
            },
            "spec": {
                "serviceAccountName": name,
                "automountServiceAccountToken": False,
                "nodeSelector": {"kubernetes.io/os": "linux"},
                "initContainers": [linkerd_init()],
                "containers": [
                    linkerd_proxy(),
                    container(
                        component_name,
                        image,
                        ports=ports,
                        args=[component_name, "-log-level=info", "-linkerd-namespace=linkerd"],
                        security={
                            "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True,
                            "runAsUser": 2103,
                        },
                    ),
                ],
            },
        }
        deploy, rs = c.deployment(
            "linkerd", name, tmpl, replicas=1, labels=labels, ready=1 if ready else 0, created="2026-01-20T08:10:00Z"
        )
        deploy["spec"]["selector"] = {"matchLabels": {"linkerd.io/control-plane-component": component_name}}
        rs["spec"]["selector"] = {
            "matchLabels": dict(
                deploy["spec"]["selector"]["matchLabels"],
                **{"pod-template-hash": rs["metadata"]["labels"]["pod-template-hash"]},
            )
        }
        if statuses is None:
            statuses = [
                running(
                    "linkerd-proxy",
                    "%s:%s" % (PROXY_IMAGE, LINKERD_VERSION),
                    ready=ready if proxy_ready is None else proxy_ready,
                ),
                running(component_name, image, ready=ready),
            ]
        pod = c.pod(
            rs,
            suffix + "-x2b8k",
            tmpl["spec"],
            statuses,
            [completed("linkerd-init", "cr.l5d.io/linkerd/proxy-init:v2.4.2")],
            node=node_names[len(name) % 3],
            ready=ready,
            created="2026-03-02T07:58:00Z",
        )
        return deploy, pod

    controller = "cr.l5d.io/linkerd/controller:%s" % LINKERD_VERSION
    # linkerd-identity cannot start: its issuer certificate expired on 2025-06-01 (SI407)
    _deployment, identity_pod = component(
        "linkerd-identity",
        "identity",
        controller,
        [(8080, "grpc"), (9990, "admin-http")],
        ready=False,
        statuses=[
            running("linkerd-proxy", "%s:%s" % (PROXY_IMAGE, LINKERD_VERSION), ready=False),
            crashing(
                "identity",
                controller,
                'time="2026-03-02T10:14:03Z" level=fatal msg="Failed to initialize '
                'identity service: failed to read CA from disk: certificate expired on 2025-06-01T00:00:00Z"\n',
                restarts=31,
            ),
        ],
    )
    _deployment, destination_pod = component(
        "linkerd-destination",
        "destination",
        controller,
        [(8086, "grpc"), (8443, "sp-validator"), (9443, "policy-https"), (9996, "admin-http")],
    )
    # The proxy-injector container runs, but its proxy never gets an identity: the pod is not Ready,
    # so the webhook Service has no ready endpoints (SI301, SI302) and, with failurePolicy Ignore,
    # pods are admitted without a sidecar (SI203).
    _deployment, injector_pod = component(
        "linkerd-proxy-injector",
        "proxy-injector",
        controller,
        [(8443, "proxy-injector"), (9995, "admin-http")],
        ready=False,
        proxy_ready=False,
    )
    injector_pod["spec"]["volumes"].append(
        {"name": "tls", "secret": {"defaultMode": 420, "secretName": "linkerd-proxy-injector-k8s-tls"}}
    )
    c.event(
        "linkerd",
        "Pod",
        injector_pod["metadata"]["name"],
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        count=803,
        component="kubelet",
    )
    c.event(
        "linkerd",
        "Pod",
        identity_pod["metadata"]["name"],
        "BackOff",
        "Back-off restarting failed container identity in pod %s_linkerd(%s)"
        % (identity_pod["metadata"]["name"], identity_pod["metadata"]["uid"]),
        count=131,
        component="kubelet",
    )

    svc_labels = {"linkerd.io/control-plane-ns": "linkerd"}
    injector_svc = c.service(
        "linkerd",
        "linkerd-proxy-injector",
        [("proxy-injector", 443, "proxy-injector")],
        {"linkerd.io/control-plane-component": "proxy-injector"},
        labels=dict(svc_labels, **{"linkerd.io/control-plane-component": "proxy-injector"}),
        annotations={"config.linkerd.io/opaque-ports": "443"},
        cluster_ip="10.12.4.21",
    )
    c.endpoints(injector_svc, [injector_pod], [("proxy-injector", 8443)], ready=False)
    for name, port_name, port in (
        ("linkerd-sp-validator", "sp-validator", 8443),
        ("linkerd-policy-validator", "policy-https", 9443),
    ):
        svc = c.service(
            "linkerd",
            name,
            [(port_name, 443, port_name)],
            {"linkerd.io/control-plane-component": "destination"},
            labels=dict(svc_labels, **{"linkerd.io/control-plane-component": "destination"}),
            annotations={"config.linkerd.io/opaque-ports": "443"},
            cluster_ip="10.12.4.%d" % (30 + port % 7),
        )
        c.endpoints(svc, [destination_pod], [(port_name, port)])
    svc = c.service(
        "linkerd",
        "linkerd-identity",
        [("grpc", 8080, 8080)],
        {"linkerd.io/control-plane-component": "identity"},
        labels=dict(svc_labels, **{"linkerd.io/control-plane-component": "identity"}),
        cluster_ip="10.12.4.40",
    )
    c.endpoints(svc, [identity_pod], [("grpc", 8080)], ready=False)

    values = {
        "linkerdVersion": LINKERD_VERSION,
        "controllerImage": "cr.l5d.io/linkerd/controller",
        "webhookFailurePolicy": "Ignore",
        "cniEnabled": False,
        "clusterDomain": "cluster.local",
        "identityTrustDomain": "cluster.local",
        "identity": {"issuer": {"scheme": "linkerd.io/tls"}, "serviceAccountTokenProjection": True},
        "proxy": {
            "image": {"name": PROXY_IMAGE, "version": LINKERD_VERSION, "pullPolicy": ""},
            "nativeSidecar": False,
            "resources": {"cpu": {"request": "100m"}, "memory": {"limit": "250Mi", "request": "20Mi"}},
        },
        "proxyInit": {
            "image": {"name": "cr.l5d.io/linkerd/proxy-init", "version": "v2.4.2"},
            "iptablesMode": "legacy",
            "runAsRoot": False,
        },
        "proxyInjector": {"timeoutSeconds": 10, "externalSecret": False},
        "policyValidator": {"externalSecret": False},
        "profileValidator": {"externalSecret": False},
    }
    c.add(
        {
            "kind": "ConfigMap",
            "metadata": meta(
                "ConfigMap",
                "linkerd-config",
                "linkerd",
                {
                    "app.kubernetes.io/part-of": "Linkerd",
                    "linkerd.io/control-plane-component": "controller",
                    "linkerd.io/control-plane-ns": "linkerd",
                },
                {"linkerd.io/created-by": "linkerd/cli %s" % LINKERD_VERSION},
                created="2026-01-20T08:10:00Z",
            ),
            "data": {"values": yaml.safe_dump(values, sort_keys=True)},
        }
    )
    c.add(
        {
            "kind": "ConfigMap",
            "metadata": meta(
                "ConfigMap",
                "linkerd-identity-trust-roots",
                "linkerd",
                {"linkerd.io/control-plane-ns": "linkerd"},
                created="2026-01-20T08:10:00Z",
            ),
            "data": {"ca-bundle.crt": anchor.pem},
        }
    )
    c.add(
        {
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": meta(
                "Secret",
                "linkerd-identity-issuer",
                "linkerd",
                {"linkerd.io/control-plane-component": "identity", "linkerd.io/control-plane-ns": "linkerd"},
                created="2025-01-20T08:10:00Z",
            ),
            "data": {"ca.crt": anchor.b64, "tls.crt": issuer.b64},
        }
    )
    for name, cert, component_name in (
        ("linkerd-proxy-injector-k8s-tls", injector_tls, "proxy-injector"),
        ("linkerd-sp-validator-k8s-tls", sp_tls, "destination"),
        ("linkerd-policy-validator-k8s-tls", policy_tls, "destination"),
    ):
        c.add(
            {
                "kind": "Secret",
                "type": "kubernetes.io/tls",
                "metadata": meta(
                    "Secret",
                    name,
                    "linkerd",
                    {"linkerd.io/control-plane-component": component_name, "linkerd.io/control-plane-ns": "linkerd"},
                    created="2026-01-20T08:10:00Z",
                ),
                "data": {"tls.crt": cert.b64},
            }
        )

    c.add(
        {
            "kind": "MutatingWebhookConfiguration",
            "metadata": meta(
                "MutatingWebhookConfiguration",
                "linkerd-proxy-injector-webhook-config",
                labels={
                    "linkerd.io/control-plane-component": "proxy-injector",
                    "linkerd.io/control-plane-ns": "linkerd",
                },
                created="2026-01-20T08:10:00Z",
                generation=1,
            ),
            "webhooks": [
                {
                    "admissionReviewVersions": ["v1", "v1beta1"],
                    "clientConfig": {
                        "caBundle": injector_tls.b64,
                        "service": {"name": "linkerd-proxy-injector", "namespace": "linkerd", "path": "/", "port": 443},
                    },
                    "failurePolicy": "Ignore",
                    "matchPolicy": "Equivalent",
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
                    "objectSelector": {
                        "matchExpressions": [
                            {"key": "linkerd.io/control-plane-component", "operator": "DoesNotExist"},
                            {"key": "linkerd.io/cni-resource", "operator": "DoesNotExist"},
                        ]
                    },
                    "reinvocationPolicy": "Never",
                    "rules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE"],
                            "resources": ["pods", "services"],
                            "scope": "Namespaced",
                        }
                    ],
                    "sideEffects": "None",
                    "timeoutSeconds": 10,
                }
            ],
        }
    )
    for name, svc, path, cert, resources in (
        ("linkerd-sp-validator-webhook-config", "linkerd-sp-validator", "/", sp_tls, ["serviceprofiles"]),
        (
            "linkerd-policy-validator-webhook-config",
            "linkerd-policy-validator",
            "/",
            policy_tls,
            [
                "authorizationpolicies",
                "httproutes",
                "networkauthentications",
                "meshtlsauthentications",
                "serverauthorizations",
                "servers",
            ],
        ),
    ):
        c.add(
            {
                "kind": "ValidatingWebhookConfiguration",
                "metadata": meta(
                    "ValidatingWebhookConfiguration",
                    name,
                    labels={"linkerd.io/control-plane-ns": "linkerd"},
                    created="2026-01-20T08:10:00Z",
                ),
                "webhooks": [
                    {
                        "admissionReviewVersions": ["v1", "v1beta1"],
                        "clientConfig": {
                            "caBundle": cert.b64,
                            "service": {"name": svc, "namespace": "linkerd", "path": path, "port": 443},
                        },
                        "failurePolicy": "Ignore",
                        "matchPolicy": "Equivalent",
                        "name": svc + ".linkerd.io",
                        "namespaceSelector": {
                            "matchExpressions": [
                                {
                                    "key": "config.linkerd.io/admission-webhooks",
                                    "operator": "NotIn",
                                    "values": ["disabled"],
                                }
                            ]
                        },
                        "rules": [
                            {
                                "apiGroups": ["linkerd.io", "policy.linkerd.io"],
                                "apiVersions": ["*"],
                                "operations": ["CREATE", "UPDATE"],
                                "resources": resources,
                                "scope": "*",
                            }
                        ],
                        "sideEffects": "None",
                        "timeoutSeconds": 10,
                    }
                ],
            }
        )
    # Kyverno enforces a capabilities policy on every pod: it rejects linkerd-init (SI505)
    c.add(
        {
            "kind": "ValidatingWebhookConfiguration",
            "metadata": meta(
                "ValidatingWebhookConfiguration",
                "kyverno-resource-validating-webhook-cfg",
                labels={"webhook.kyverno.io/managed-by": "kyverno"},
                created="2026-02-12T14:00:00Z",
            ),
            "webhooks": [
                {
                    "admissionReviewVersions": ["v1"],
                    "clientConfig": {
                        "caBundle": kyverno_ca.b64,
                        "service": {
                            "name": "kyverno-svc",
                            "namespace": "kyverno",
                            "path": "/validate/fail",
                            "port": 443,
                        },
                    },
                    "failurePolicy": "Fail",
                    "matchPolicy": "Equivalent",
                    "name": "validate.kyverno.svc-fail",
                    "namespaceSelector": {
                        "matchExpressions": [
                            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kyverno"]}
                        ]
                    },
                    "objectSelector": {},
                    "rules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["pods"],
                            "scope": "*",
                        }
                    ],
                    "sideEffects": "NoneOnDryRun",
                    "timeoutSeconds": 10,
                }
            ],
        }
    )
    kyverno_tmpl = app_template(
        "kyverno",
        "ghcr.io/kyverno/kyverno:v1.13.4",
        port=9443,
        labels={"app.kubernetes.io/component": "admission-controller"},
    )
    _deployment, rs = c.deployment("kyverno", "kyverno-admission-controller", kyverno_tmpl, replicas=1)
    kyverno_pod = c.pod(
        rs, "m2p9t", kyverno_tmpl["spec"], [running("kyverno", "ghcr.io/kyverno/kyverno:v1.13.4")], node=node_names[0]
    )
    kyverno_svc = c.service(
        "kyverno", "kyverno-svc", [("https", 443, "https")], {"app": "kyverno"}, cluster_ip="10.12.9.3"
    )
    c.endpoints(kyverno_svc, [kyverno_pod], [("https", 9443)])

    c.add(
        {
            "kind": "ClusterRole",
            "metadata": meta(
                "ClusterRole",
                "linkerd-linkerd-proxy-injector",
                labels={
                    "linkerd.io/control-plane-component": "proxy-injector",
                    "linkerd.io/control-plane-ns": "linkerd",
                },
                created="2026-01-20T08:10:00Z",
            ),
            "rules": [
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
        }
    )
    c.add(
        {
            "kind": "ClusterRoleBinding",
            "metadata": meta("ClusterRoleBinding", "linkerd-linkerd-proxy-injector", created="2026-01-20T08:10:00Z"),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "linkerd-linkerd-proxy-injector",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "linkerd-proxy-injector", "namespace": "linkerd"}],
        }
    )
    c.add(
        {
            "kind": "Role",
            "metadata": meta("Role", "linkerd-heartbeat", "linkerd", created="2026-01-20T08:10:00Z"),
            "rules": [
                {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["linkerd-config"], "verbs": ["get"]}
            ],
        }
    )
    c.add(
        {
            "kind": "RoleBinding",
            "metadata": meta("RoleBinding", "linkerd-heartbeat", "linkerd", created="2026-01-20T08:10:00Z"),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "linkerd-heartbeat"},
            "subjects": [{"kind": "ServiceAccount", "name": "linkerd-heartbeat", "namespace": "linkerd"}],
        }
    )

    # -- workloads --------------------------------------------------------------------------------
    def linkerd_app(
        ns,
        name,
        image,
        inject=True,
        tmpl_annotations=None,
        tmpl_labels=None,
        proxy_version=None,
        proxy_ready=True,
        created="2026-03-02T10:05:00Z",
        replicas=1,
    ):
        tmpl = app_template(name, image, labels=tmpl_labels, annotations=tmpl_annotations)
        deploy, rs = c.deployment(ns, name, tmpl, replicas=replicas, ready=replicas if proxy_ready else 0)
        if not replicas:
            return deploy, rs, None
        spec, labels, annotations = tmpl["spec"], {}, {}
        statuses = [running(name, image)]
        init = None
        if inject:
            version = proxy_version or LINKERD_VERSION
            spec = linkerd_injected(spec)
            spec["containers"][0]["image"] = "%s:%s" % (PROXY_IMAGE, version)
            labels = {
                "linkerd.io/control-plane-ns": "linkerd",
                "linkerd.io/proxy-deployment": name,
                "linkerd.io/workload-ns": ns,
            }
            annotations = {
                "linkerd.io/created-by": "linkerd/proxy-injector %s" % version,
                "linkerd.io/inject": "enabled",
                "linkerd.io/proxy-version": version,
                "linkerd.io/identity-mode": "default",
                "linkerd.io/trust-root-sha256": anchor.sha256,
            }
            statuses.insert(
                0,
                running(
                    "linkerd-proxy",
                    "%s:%s" % (PROXY_IMAGE, version),
                    ready=proxy_ready,
                    restarts=0 if proxy_ready else 6,
                ),
            )
            init = [completed("linkerd-init", "cr.l5d.io/linkerd/proxy-init:v2.4.2")]
        pod = c.pod(
            rs,
            "b%dx9w" % len(name),
            spec,
            statuses,
            init,
            labels=labels,
            annotations=annotations,
            node=node_names[len(name) % 3],
            created=created,
            ready=proxy_ready,
        )
        return deploy, rs, pod

    linkerd_app("web", "frontend", "registry.example.com/web/frontend:5.0.2", created="2026-02-20T10:00:00Z")
    # SI604: api's pods were admitted while the injector had no ready endpoints (fail-open)
    linkerd_app("web", "api", "registry.example.com/web/api:5.0.2", inject=False)
    # SI605: worker still carries the 2.17 proxy (edge-24.11.8) from before the upgrade
    linkerd_app(
        "web",
        "worker",
        "registry.example.com/web/worker:5.0.2",
        proxy_version="edge-24.11.8",
        created="2026-01-10T10:00:00Z",
    )
    # SI603: cache's proxy is not ready (no identity: the issuer expired)
    _deployment, _replicaset, cache = linkerd_app(
        "web", "cache", "registry.example.com/web/cache:7.2.4", proxy_ready=False, created="2026-03-02T09:40:00Z"
    )
    c.event(
        "web",
        "Pod",
        cache["metadata"]["name"],
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        count=412,
        component="kubelet",
    )
    # SI107: an explicit opt-out inside the enabled namespace (info)
    linkerd_app(
        "web",
        "admin",
        "registry.example.com/web/admin:5.0.2",
        inject=False,
        tmpl_annotations={"linkerd.io/inject": "disabled"},
    )
    # SI501 (policy engine): Kyverno's restrict-capabilities policy rejects the injected linkerd-init
    _deployment, rs, _pod = linkerd_app("web", "reports", "registry.example.com/web/reports:1.2.0", replicas=0)
    rs["spec"]["replicas"] = 1
    c.event(
        "web",
        "ReplicaSet",
        rs["metadata"]["name"],
        "FailedCreate",
        'Error creating: admission webhook "validate.kyverno.svc-fail" denied the request: \n\n'
        "resource Pod/web/%s-8kd2q was blocked due to the following policies \n\n"
        "restrict-capabilities:\n  autogen-check-capabilities: 'Any capabilities added beyond the allowed list "
        "(AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, "
        "SETPCAP, SETUID, SYS_CHROOT) are disallowed. Container linkerd-init adds NET_ADMIN, NET_RAW.'"
        % rs["metadata"]["name"],
        count=9,
    )
    # SI505: Kyverno's require-requests-limits policy rejects the injected pod: the 2.18 default proxy
    # (containers[0]) has no CPU limit
    _deployment, rs, _pod = linkerd_app("web", "search", "registry.example.com/web/search:2.0.1", replicas=0)
    rs["spec"]["replicas"] = 2
    c.event(
        "web",
        "ReplicaSet",
        rs["metadata"]["name"],
        "FailedCreate",
        'Error creating: admission webhook "validate.kyverno.svc-fail" denied the request: \n\n'
        "resource Pod/web/%s-w7c4n was blocked due to the following policies \n\n"
        "require-requests-limits:\n  autogen-validate-resources: 'validation error: CPU and memory resource "
        "requests and limits are required. rule autogen-validate-resources failed at path "
        "/spec/containers/0/resources/limits/cpu/'" % rs["metadata"]["name"],
        count=14,
    )
    # SI109: a hostNetwork DaemonSet in the enabled namespace is never injected (info)
    agent_tmpl = {
        "metadata": {"labels": {"app": "log-agent"}},
        "spec": {
            "serviceAccountName": "log-agent",
            "hostNetwork": True,
            "containers": [container("log-agent", "cr.fluentbit.io/fluent/fluent-bit:3.2.6", ports=[(2020, "http")])],
        },
    }
    ds = c.add(
        {
            "kind": "DaemonSet",
            "metadata": meta(
                "DaemonSet", "log-agent", "web", {"app": "log-agent"}, created="2026-02-01T09:00:00Z", generation=1
            ),
            "spec": {"selector": {"matchLabels": {"app": "log-agent"}}, "template": agent_tmpl},
            "status": {
                "currentNumberScheduled": 3,
                "desiredNumberScheduled": 3,
                "numberAvailable": 3,
                "numberMisscheduled": 0,
                "numberReady": 3,
                "observedGeneration": 1,
                "updatedNumberScheduled": 3,
            },
        }
    )
    for index, node in enumerate(node_names):
        c.pod(
            ds,
            "h%d2vn" % index,
            agent_tmpl["spec"],
            [running("log-agent", "cr.fluentbit.io/fluent/fluent-bit:3.2.6")],
            node=node,
            host_network=True,
        )
    # SI104: billing was "enabled" with a label; Linkerd reads the annotation
    linkerd_app("billing", "ledger", "registry.example.com/billing/ledger:2.8.0", inject=False)
    # SI106: "true" is not one of enabled/disabled/ingress
    linkerd_app("payments", "gateway", "registry.example.com/payments/gateway:4.1.0", inject=False)
    # SI108: cert-manager asks for injection but the webhook's namespaceSelector excludes it
    linkerd_app("cert-manager", "cert-manager", "quay.io/jetstack/cert-manager-controller:v1.17.1", inject=False)
    return c


def main():
    for folder, build in (("istio-broken", build_istio), ("linkerd-broken", build_linkerd)):
        cluster = build()
        target = os.path.join(HERE, folder)
        cluster.write(target)
        total = sum(len(v) for v in cluster.objects.values())
        sys.stdout.write("%s: %d objects written to %s\n" % (cluster.name, total, target))


if __name__ == "__main__":
    main()
