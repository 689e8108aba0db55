"""The benchmark cluster: 2,000 namespaces, 50,000 pods (Deployments -> ReplicaSets -> pods, plus
StatefulSets and DaemonSets), 20,000 events, an Istio control plane, written as one JSON List file
that kubesim seeds in a few seconds.

Objects are shaped and sized like a real cluster's: pods carry managedFields, env, volumes, probes and
an injected istio-proxy (70% of them), so the raw JSON per pod is about what kube-apiserver returns
(`bytes_per_pod` in the result). Deterministic: the same arguments give the same file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any, Dict, List, Optional

from tests.kubesim.injectors.istio import init_container

DATASET_VERSION = 2  # bump when build() changes: the cached file is rebuilt
ISTIO_VERSION = "1.22.3"
PROXY = "docker.io/istio/proxyv2:%s" % ISTIO_VERSION
INIT_RESOURCES = {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "10m", "memory": "40Mi"}}
NOW = "2026-03-02T09:00:00Z"

# A private key in the cluster's CA secret: the benchmark also proves it never leaves gathering.
FAKE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbench\n-----END PRIVATE KEY-----\n"
)
FAKE_CERT = (
    "-----BEGIN CERTIFICATE-----\nMIIBaTCCAQ+gAwIBAgIUQGdhJVeaXi/QeePpZ/OA5oM4PrkwCgYIKoZIzj0EAwIw\n"
    "-----END CERTIFICATE-----\n"
)


def _uid(*parts: str) -> str:
    digest = hashlib.md5("/".join(parts).encode()).hexdigest()
    return "%s-%s-%s-%s-%s" % (digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:])


def _managed(manager: str, operation: str, fields: Dict[str, Any], subresource: str = "") -> Dict[str, Any]:
    entry = {
        "manager": manager,
        "operation": operation,
        "apiVersion": "v1",
        "time": NOW,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


POD_SPEC_FIELDS = {
    "f:metadata": {
        "f:generateName": {},
        "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}, "f:version": {}, "f:team": {}},
        "f:ownerReferences": {".": {}, 'k:{"uid":"x"}': {}},
    },
    "f:spec": {
        "f:containers": {
            'k:{"name":"app"}': {
                ".": {},
                "f:env": {".": {}, 'k:{"name":"LOG_LEVEL"}': {".": {}, "f:name": {}, "f:value": {}}},
                "f:image": {},
                "f:imagePullPolicy": {},
                "f:name": {},
                "f:ports": {
                    ".": {},
                    'k:{"containerPort":8080,"protocol":"TCP"}': {
                        ".": {},
                        "f:containerPort": {},
                        "f:name": {},
                        "f:protocol": {},
                    },
                },
                "f:readinessProbe": {".": {}, "f:httpGet": {".": {}, "f:path": {}, "f:port": {}, "f:scheme": {}}},
                "f:resources": {
                    ".": {},
                    "f:limits": {".": {}, "f:memory": {}},
                    "f:requests": {".": {}, "f:cpu": {}, "f:memory": {}},
                },
                "f:terminationMessagePath": {},
                "f:terminationMessagePolicy": {},
                "f:volumeMounts": {},
            }
        },
        "f:dnsPolicy": {},
        "f:enableServiceLinks": {},
        "f:restartPolicy": {},
        "f:schedulerName": {},
        "f:securityContext": {},
        "f:serviceAccount": {},
        "f:serviceAccountName": {},
        "f:terminationGracePeriodSeconds": {},
        "f:volumes": {},
    },
}
POD_STATUS_FIELDS = {
    "f:status": {
        "f:conditions": {
            'k:{"type":"ContainersReady"}': {
                ".": {},
                "f:lastProbeTime": {},
                "f:lastTransitionTime": {},
                "f:status": {},
                "f:type": {},
            },
            'k:{"type":"Initialized"}': {".": {}, "f:lastTransitionTime": {}, "f:status": {}},
            'k:{"type":"Ready"}': {".": {}, "f:lastTransitionTime": {}, "f:status": {}},
        },
        "f:containerStatuses": {},
        "f:hostIP": {},
        "f:hostIPs": {},
        "f:initContainerStatuses": {},
        "f:phase": {},
        "f:podIP": {},
        "f:podIPs": {".": {}, 'k:{"ip":"10.42.0.1"}': {".": {}, "f:ip": {}}},
        "f:startTime": {},
    }
}


def _app_container(app: str, image: str) -> Dict[str, Any]:
    return {
        "name": app,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "env": [
            {"name": name, "value": value}
            for name, value in (
                ("LOG_LEVEL", "info"),
                ("HTTP_PORT", "8080"),
                ("DB_HOST", "postgres.data.svc.cluster.local"),
                ("DB_NAME", app.replace("-", "_")),
                ("CACHE_URL", "redis://redis.cache.svc:6379/0"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability.svc:4317"),
                ("FEATURE_FLAGS", "checkout-v2,search-ranking,new-ui"),
                ("REGION", "eu-west-1"),
                ("JAVA_OPTS", "-XX:MaxRAMPercentage=75 -XX:+UseG1GC"),
                ("TZ", "UTC"),
            )
        ]
        + [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
        "ports": [
            {"containerPort": 8080, "name": "http", "protocol": "TCP"},
            {"containerPort": 9090, "name": "metrics", "protocol": "TCP"},
        ],
        "readinessProbe": {
            "httpGet": {"path": "/app-health/%s/readyz" % app, "port": 15020, "scheme": "HTTP"},
            "failureThreshold": 3,
            "periodSeconds": 10,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        },
        "livenessProbe": {
            "httpGet": {"path": "/app-health/%s/livez" % app, "port": 15020, "scheme": "HTTP"},
            "failureThreshold": 3,
            "periodSeconds": 10,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        },
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            {"mountPath": "/etc/app", "name": "config", "readOnly": True},
            {"mountPath": "/var/run/secrets/app", "name": "credentials", "readOnly": True},
            {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access", "readOnly": True},
        ],
    }


def _istio_init() -> Dict[str, Any]:
    init = init_container("istio-init", PROXY, INIT_RESOURCES, cni=False)
    init.update(
        imagePullPolicy="IfNotPresent",
        terminationMessagePath="/dev/termination-log",
        terminationMessagePolicy="File",
    )
    return init


def _istio_proxy(app: str) -> Dict[str, Any]:
    env = [
        ("PILOT_CERT_PROVIDER", "istiod"),
        ("CA_ADDR", "istiod.istio-system.svc:15012"),
        ("ISTIO_CPU_LIMIT", "2"),
        ("PROXY_CONFIG", "{}"),
        ("ISTIO_META_POD_PORTS", '[{"name":"http","containerPort":8080,"protocol":"TCP"}]'),
        ("ISTIO_META_APP_CONTAINERS", app),
        ("ISTIO_META_CLUSTER_ID", "Kubernetes"),
        ("ISTIO_META_INTERCEPTION_MODE", "REDIRECT"),
        ("ISTIO_META_WORKLOAD_NAME", app),
        ("ISTIO_META_OWNER", "kubernetes://apis/apps/v1/namespaces/x/deployments/%s" % app),
        ("ISTIO_META_MESH_ID", "cluster.local"),
        ("TRUST_DOMAIN", "cluster.local"),
    ]
    return {
        "name": "istio-proxy",
        "image": PROXY,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "proxy",
            "sidecar",
            "--domain",
            "$(POD_NAMESPACE).svc.cluster.local",
            "--proxyLogLevel=warning",
            "--proxyComponentLogLevel=misc:error",
            "--log_output_level=default:info",
        ],
        "env": [{"name": k, "value": v} for k, v in env]
        + [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {
                "name": "POD_NAMESPACE",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
            },
            {"name": "INSTANCE_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
        ],
        "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
        "readinessProbe": {
            "httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"},
            "failureThreshold": 4,
            "periodSeconds": 15,
            "successThreshold": 1,
            "timeoutSeconds": 3,
        },
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsGroup": 1337,
            "runAsNonRoot": True,
            "runAsUser": 1337,
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            {"mountPath": p, "name": n}
            for n, p in (
                ("workload-socket", "/var/run/secrets/workload-spiffe-uds"),
                ("credential-socket", "/var/run/secrets/credential-uds"),
                ("workload-certs", "/var/run/secrets/workload-spiffe-credentials"),
                ("istiod-ca-cert", "/var/run/secrets/istio"),
                ("istio-data", "/var/lib/istio/data"),
                ("istio-envoy", "/etc/istio/proxy"),
                ("istio-token", "/var/run/secrets/tokens"),
                ("istio-podinfo", "/etc/istio/pod"),
            )
        ],
    }


def _volumes(app: str, injected: bool) -> List[Dict[str, Any]]:
    out = [
        {"name": "config", "configMap": {"defaultMode": 420, "name": app + "-config"}},
        {"name": "credentials", "secret": {"defaultMode": 420, "secretName": app + "-credentials"}},
        {
            "name": "kube-api-access",
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    "path": "namespace",
                                }
                            ]
                        }
                    },
                ],
            },
        },
    ]
    if injected:
        out += [
            {"name": "workload-socket", "emptyDir": {}},
            {"name": "credential-socket", "emptyDir": {}},
            {"name": "workload-certs", "emptyDir": {}},
            {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
            {"name": "istio-data", "emptyDir": {}},
            {
                "name": "istio-podinfo",
                "downwardAPI": {
                    "defaultMode": 420,
                    "items": [
                        {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}, "path": "labels"},
                        {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.annotations"}, "path": "annotations"},
                    ],
                },
            },
            {
                "name": "istio-token",
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {
                            "serviceAccountToken": {
                                "audience": "istio-ca",
                                "expirationSeconds": 43200,
                                "path": "istio-token",
                            }
                        }
                    ],
                },
            },
            {"name": "istiod-ca-cert", "configMap": {"defaultMode": 420, "name": "istio-ca-root-cert"}},
        ]
    return out


def _running(name: str, image: str, ready: bool = True) -> Dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "imageID": "docker.io/library/x@sha256:" + "ab" * 32,
        "containerID": "containerd://" + "cd" * 32,
        "ready": ready,
        "started": True,
        "restartCount": 0,
        "lastState": {},
        "state": {"running": {"startedAt": NOW}},
    }


def _pod(
    namespace: str, owner: Dict[str, Any], app: str, index: int, node: str, injected: bool, template_hash: str = ""
) -> Dict[str, Any]:
    name = "%s-%s-%05d" % (app, template_hash or "0", index) if template_hash else "%s-%d" % (app, index)
    labels = {"app": app, "version": "v1", "team": "team-%d" % (index % 7)}
    if template_hash:
        labels["pod-template-hash"] = template_hash
    annotations = {"kubectl.kubernetes.io/default-container": app}
    image = "registry.example.com/%s/%s:1.%d.0" % (namespace, app, index % 4)
    spec = {"containers": [_app_container(app, image)], "volumes": _volumes(app, injected)}
    statuses = [_running(app, image)]
    init_statuses = None
    if injected:
        labels.update(
            {
                "security.istio.io/tlsMode": "istio",
                "service.istio.io/canonical-name": app,
                "service.istio.io/canonical-revision": "v1",
            }
        )
        annotations.update(
            {
                "istio.io/rev": "default",
                "prometheus.io/path": "/stats/prometheus",
                "prometheus.io/port": "15020",
                "prometheus.io/scrape": "true",
                "sidecar.istio.io/status": json.dumps(
                    {
                        "initContainers": ["istio-init"],
                        "containers": ["istio-proxy"],
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
                        "revision": "default",
                    },
                    separators=(",", ":"),
                ),
            }
        )
        spec["initContainers"] = [_istio_init()]
        spec["containers"].append(_istio_proxy(app))
        statuses.append(_running("istio-proxy", PROXY))
        init_statuses = [
            {
                "name": "istio-init",
                "image": PROXY,
                "imageID": "docker.io/istio/proxyv2@sha256:" + "ef" * 32,
                "containerID": "containerd://" + "12" * 32,
                "ready": True,
                "started": False,
                "restartCount": 0,
                "lastState": {},
                "state": {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": NOW,
                        "finishedAt": NOW,
                        "containerID": "containerd://" + "12" * 32,
                    }
                },
            }
        ]
    spec.update(
        {
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "nodeName": node,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {"fsGroup": 2000},
            "serviceAccount": app,
            "serviceAccountName": app,
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
        }
    )
    ip = "10.%d.%d.%d" % (40 + index // 65000, (index // 250) % 250, index % 250)
    status = {
        "phase": "Running",
        "hostIP": "10.0.%d.%d" % (int(node[-3:]) // 250, int(node[-3:]) % 250),
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "qosClass": "Burstable",
        "startTime": NOW,
        "containerStatuses": statuses,
        "conditions": [
            {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": NOW}
            for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
        ],
    }
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": name.rsplit("-", 1)[0] + "-",
            "namespace": namespace,
            "uid": _uid("pod", namespace, name),
            "resourceVersion": str(1000 + index),
            "creationTimestamp": NOW,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": owner["apiVersion"],
                    "kind": owner["kind"],
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": [
                _managed("kube-controller-manager", "Update", POD_SPEC_FIELDS),
                _managed("kubelet", "Update", POD_STATUS_FIELDS, "status"),
            ],
        },
        "spec": spec,
        "status": status,
    }


def _template(app: str, namespace: str) -> Dict[str, Any]:
    image = "registry.example.com/%s/%s:1.0.0" % (namespace, app)
    return {
        "metadata": {"labels": {"app": app, "version": "v1"}, "annotations": {"prometheus.io/scrape": "true"}},
        "spec": {
            "containers": [_app_container(app, image)],
            "volumes": _volumes(app, False),
            "serviceAccountName": app,
            "securityContext": {"fsGroup": 2000},
        },
    }


def _workload(
    kind: str,
    api: str,
    namespace: str,
    name: str,
    template: Dict[str, Any],
    replicas: int,
    extra_meta: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    meta = {
        "name": name,
        "namespace": namespace,
        "uid": _uid(kind, namespace, name),
        "resourceVersion": "500",
        "generation": 2,
        "creationTimestamp": NOW,
        "labels": {"app": name.split("-")[0]},
        "annotations": {
            "deployment.kubernetes.io/revision": "2",
            "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                {"apiVersion": api, "kind": kind, "spec": {"template": template}}
            ),
        },
        "managedFields": [_managed("kubectl-client-side-apply", "Update", POD_SPEC_FIELDS)],
    }
    meta.update(extra_meta or {})
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": meta,
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name.split("-")[0]}}, "template": template},
        "status": {
            "observedGeneration": 2,
            "replicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "updatedReplicas": replicas,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                    "lastUpdateTime": NOW,
                    "lastTransitionTime": NOW,
                }
            ],
        },
    }


def _istio_control_plane(objects: List[Dict[str, Any]]) -> None:
    ns = "istio-system"
    never = {"matchLabels": {"istio.io/deactivated": "never-match"}}
    rules = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]
    client = {
        "service": {"name": "istiod", "namespace": ns, "path": "/inject", "port": 443},
        "caBundle": base64.b64encode(FAKE_CERT.encode()).decode(),
    }

    def hooks(deactivated: bool) -> List[Dict[str, Any]]:
        out = []
        for name, ns_sel, obj_sel in (
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
                {"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "In", "values": ["true"]}]},
            ),
        ):
            out.append(
                {
                    "name": name,
                    "clientConfig": client,
                    "rules": rules,
                    "failurePolicy": "Fail",
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"],
                    "timeoutSeconds": 10,
                    "namespaceSelector": never if deactivated else ns_sel,
                    "objectSelector": never if deactivated else obj_sel,
                }
            )
        return out

    objects.append(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "istio-sidecar-injector", "labels": {"istio.io/rev": "default"}},
            "webhooks": hooks(True),
        }
    )
    objects.append(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {
                "name": "istio-revision-tag-default",
                "labels": {"istio.io/rev": "default", "istio.io/tag": "default"},
            },
            "webhooks": hooks(False),
        }
    )
    template = {
        "metadata": {"labels": {"app": "istiod", "istio": "pilot"}},
        "spec": {
            "containers": [
                {
                    "name": "discovery",
                    "image": "docker.io/istio/pilot:" + ISTIO_VERSION,
                    "env": [{"name": "REVISION", "value": "default"}],
                    "ports": [{"containerPort": 15017, "name": "https-webhooks"}],
                }
            ]
        },
    }
    deploy = _workload(
        "Deployment",
        "apps/v1",
        ns,
        "istiod",
        template,
        2,
        {"labels": {"app": "istiod", "istio": "pilot", "istio.io/rev": "default"}},
    )
    objects.append(deploy)
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "istiod", "namespace": ns, "labels": {"app": "istiod"}},
            "spec": {
                "selector": {"app": "istiod"},
                "ports": [{"name": "https-webhook", "port": 443, "targetPort": 15017}],
            },
        }
    )
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "istio-sidecar-injector", "namespace": ns},
            "data": {
                "config": "policy: enabled\nalwaysInjectSelector: []\nneverInjectSelector: []\n"
                "templates:\n  sidecar: |\n" + "    # template\n" * 400,
                "values": json.dumps({"global": {"hub": "docker.io/istio", "tag": ISTIO_VERSION}}),
            },
        }
    )
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "istio-ca-root-cert", "namespace": ns},
            "data": {"root-cert.pem": FAKE_CERT},
        }
    )
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "istio.io/ca-root",
            "metadata": {"name": "istio-ca-secret", "namespace": ns},
            "data": {
                "ca-cert.pem": base64.b64encode(FAKE_CERT.encode()).decode(),
                "ca-key.pem": base64.b64encode(FAKE_KEY.encode()).decode(),
            },
        }
    )
    objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    for index in range(2):
        objects.append(_pod(ns, deploy, "istiod", index, "node-000", False))


def build(namespaces: int = 2000, pods: int = 50000, events: int = 20000, nodes: int = 100) -> List[Dict[str, Any]]:
    """The benchmark objects (see the module docstring)."""
    objects: List[Dict[str, Any]] = []
    _istio_control_plane(objects)
    node_names = ["node-%03d" % i for i in range(nodes)]
    for name in node_names:
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "uid": _uid("node", name),
                    "creationTimestamp": NOW,
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "node.kubernetes.io/instance-type": "m6i.xlarge",
                        "topology.kubernetes.io/zone": "eu-west-1a",
                        "kubernetes.io/os": "linux",
                    },
                    "annotations": {
                        "node.alpha.kubernetes.io/ttl": "0",
                        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                        "csi.volume.kubernetes.io/nodeid": '{"ebs.csi.aws.com":"i-0%s"}' % name,
                    },
                },
                "spec": {"providerID": "aws:///eu-west-1a/i-0%s" % name, "podCIDR": "10.42.0.0/24"},
                "status": {
                    "nodeInfo": {
                        "kubeletVersion": "v1.31.4",
                        "containerRuntimeVersion": "containerd://1.7.22",
                        "osImage": "Amazon Linux 2023",
                        "kernelVersion": "6.1.0",
                        "architecture": "amd64",
                        "operatingSystem": "linux",
                    },
                    "addresses": [{"type": "InternalIP", "address": "10.0.0.%d" % (len(objects) % 250)}],
                    "images": [
                        {"names": ["registry.example.com/image-%d:1.0" % i], "sizeBytes": 100000000 + i}
                        for i in range(40)
                    ],
                    "conditions": [
                        {
                            "type": t,
                            "status": "False",
                            "reason": "Kubelet" + t,
                            "message": "ok",
                            "lastHeartbeatTime": NOW,
                            "lastTransitionTime": NOW,
                        }
                        for t in ("MemoryPressure", "DiskPressure", "PIDPressure")
                    ],
                },
            }
        )
    ns_names = ["team-%04d" % i for i in range(namespaces)]
    for index, ns in enumerate(ns_names):
        labels = {"kubernetes.io/metadata.name": ns}
        if index % 4:
            labels["istio-injection"] = "enabled"
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "uid": _uid("ns", ns), "creationTimestamp": NOW, "labels": labels},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
        )
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "kube-root-ca.crt", "namespace": ns},
                "data": {"ca.crt": FAKE_CERT},
            }
        )
        if index % 4 == 0:
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "ResourceQuota",
                    "metadata": {"name": "compute", "namespace": ns},
                    "spec": {"hard": {"limits.cpu": "40", "limits.memory": "80Gi"}},
                    "status": {"hard": {"limits.cpu": "40"}, "used": {"limits.cpu": "12"}},
                }
            )
        if index % 8 == 0:
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "LimitRange",
                    "metadata": {"name": "defaults", "namespace": ns},
                    "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]},
                }
            )
    # 100 StatefulSets x 5 pods and 5 DaemonSets x 100 nodes; the rest in Deployments of 10 pods
    count = 0
    for index in range(100):
        ns = ns_names[index * 7 % namespaces]
        name = "db%d" % index
        sts = _workload("StatefulSet", "apps/v1", ns, name, _template(name, ns), 5)
        objects.append(sts)
        for replica in range(5):
            objects.append(_pod(ns, sts, name, replica, node_names[(count + replica) % nodes], False))
        count += 5
    for index in range(5):
        ns = ns_names[index]
        name = "agent%d" % index
        ds = _workload("DaemonSet", "apps/v1", ns, name, _template(name, ns), nodes)
        ds["spec"].pop("replicas")
        ds["status"] = {
            "desiredNumberScheduled": nodes,
            "currentNumberScheduled": nodes,
            "numberReady": nodes,
            "numberAvailable": nodes,
            "updatedNumberScheduled": nodes,
            "observedGeneration": 1,
        }
        objects.append(ds)
        for replica, node in enumerate(node_names):
            objects.append(_pod(ns, ds, name, replica, node, False))
        count += nodes
    deployment = 0
    pods -= 2  # the two istiod pods
    while count < pods:
        ns = ns_names[deployment % namespaces]
        name = "svc%d" % deployment
        template = _template(name, ns)
        deploy = _workload("Deployment", "apps/v1", ns, name, template, 10)
        objects.append(deploy)
        template_hash = hashlib.md5(name.encode()).hexdigest()[:9]
        rs = _workload(
            "ReplicaSet",
            "apps/v1",
            ns,
            "%s-%s" % (name, template_hash),
            template,
            10,
            {
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": name,
                        "uid": deploy["metadata"]["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ]
            },
        )
        old = _workload(
            "ReplicaSet",
            "apps/v1",
            ns,
            "%s-%s" % (name, template_hash[::-1]),
            template,
            0,
            {"ownerReferences": rs["metadata"]["ownerReferences"]},
        )
        objects.extend([rs, old])
        injected = deployment % 10 < 7
        for replica in range(min(10, pods - count)):
            objects.append(_pod(ns, rs, name, replica, node_names[(count + replica) % nodes], injected, template_hash))
        count += 10
        deployment += 1
    for index in range(200):
        ns = ns_names[index % namespaces]
        job = _workload("Job", "batch/v1", ns, "migrate%d" % index, _template("migrate", ns), 1)
        job["spec"].pop("replicas")
        job["status"] = {
            "succeeded": 1,
            "startTime": NOW,
            "completionTime": NOW,
            "conditions": [{"type": "Complete", "status": "True"}],
        }
        objects.append(job)
    for index in range(events):
        ns = ns_names[index % namespaces]
        # 4 in 7 are warnings: 11,429 of 20,000, deliberately not a multiple of the page size (see
        # request_plan.expected_requests on field-selected lists)
        warning = index % 7 < 4
        reason = "FailedCreate" if warning else ("InjectionSkipped" if index % 50 == 3 else "Scheduled")
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": "svc%d.%016x" % (index, index * 7919),
                    "namespace": ns,
                    "uid": _uid("event", str(index)),
                    "creationTimestamp": NOW,
                },
                "involvedObject": {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "svc%d-abc" % index,
                    "namespace": ns,
                    "uid": _uid("rs", str(index)),
                },
                "reason": reason,
                "type": "Warning" if warning else "Normal",
                "count": 1 + index % 30,
                "message": "Error creating: Internal error occurred: failed calling webhook "
                '"namespace.sidecar-injector.istio.io": failed to call webhook: Post '
                '"https://istiod.istio-system.svc:443/inject?timeout=10s": context deadline exceeded'
                if warning
                else "Successfully assigned pod",
                "firstTimestamp": NOW,
                "lastTimestamp": NOW,
                "source": {"component": "replicaset-controller"},
                "reportingComponent": "replicaset-controller",
                "reportingInstance": "",
            }
        )
    return objects


def write(path: str, **kwargs: Any) -> Dict[str, int]:
    """Write the dataset as one JSON List; cached with its counts next to it (`<path>.counts.json`)."""
    counts_path = path + ".counts.json"
    key = json.dumps(dict(kwargs, dataset_version=DATASET_VERSION), sort_keys=True)
    if os.path.exists(path) and os.path.exists(counts_path):
        with open(counts_path) as handle:
            cached = json.load(handle)
        if cached.get("arguments") == key:
            return cached["counts"]
    objects = build(**kwargs)
    counts: Dict[str, int] = {}
    for obj in objects:
        counts[obj["kind"]] = counts.get(obj["kind"], 0) + 1
    pods = [o for o in objects if o["kind"] == "Pod"]
    counts["bytes_per_pod"] = sum(len(json.dumps(p, separators=(",", ":"))) for p in pods[-100:]) // 100
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}, separators=(",", ":")))
    os.replace(tmp, path)
    with open(counts_path, "w") as handle:
        json.dump({"arguments": key, "counts": counts}, handle)
    return counts


def main() -> None:
    """`python -m tests.benchmarks.dataset PATH [namespaces pods events nodes]`: write (or reuse) the
    file in its own process, so the caller never holds the objects; prints the counts as JSON."""
    import sys

    path = sys.argv[1]
    names = ("namespaces", "pods", "events", "nodes")
    sizes = dict(zip(names, (int(v) for v in sys.argv[2:6]))) if len(sys.argv) > 2 else {}
    sys.stdout.write(json.dumps(write(path, **sizes)) + "\n")


if __name__ == "__main__":
    main()
