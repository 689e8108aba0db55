# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""projection.py: exactly which fields each kind keeps, and that projecting twice changes nothing."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import RESOURCES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import projection

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MANAGED = [{"manager": "kube-controller-manager", "operation": "Update", "fieldsV1": {"f:metadata": {}}}]


def raw_pod(name="web-7d9f-abcde", namespace="shop", **overrides):
    """A pod as the API server returns it in a LIST (no apiVersion/kind on items)."""
    pod = {
        "metadata": {
            "name": name,
            "generateName": "web-7d9f-",
            "namespace": namespace,
            "uid": "uid-" + name,
            "resourceVersion": "4711",
            "creationTimestamp": "2026-01-02T03:04:05Z",
            "labels": {"app": "web", "pod-template-hash": "7d9f"},
            "annotations": {"sidecar.istio.io/status": '{"revision":"default"}', LAST_APPLIED: "{...}"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "web-7d9f",
                    "uid": "uid-rs",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": MANAGED,
        },
        "spec": {
            "nodeName": "node-1",
            "serviceAccountName": "web",
            "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst",
            "securityContext": {"runAsNonRoot": True},
            "tolerations": [{"key": "x", "operator": "Exists"}],
            "volumes": [
                {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
                {"name": "certs", "secret": {"secretName": "web-tls", "defaultMode": 420}},
                {"name": "conf", "configMap": {"name": "web-conf", "items": [{"key": "a", "path": "a"}]}},
            ],
            "initContainers": [
                {
                    "name": "istio-init",
                    "image": "docker.io/istio/proxyv2:1.22.3",
                    "args": ["istio-iptables", "-p", "15001"],
                    "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                    "resources": {"requests": {"cpu": "10m"}},
                }
            ],
            "containers": [
                {
                    "name": "web",
                    "image": "registry.example/web:1.0",
                    "command": ["/web"],
                    "env": [{"name": "PASSWORD", "value": "hunter2"}],
                    "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
                    "resources": {"limits": {"memory": "128Mi"}},
                    "volumeMounts": [{"name": "certs", "mountPath": "/certs", "readOnly": True}],
                },
                {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3", "restartPolicy": "Always"},
            ],
        },
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.7",
            "startTime": "2026-01-02T03:04:06Z",
            "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-02T03:04:09Z"},
                {"type": "PodScheduled", "status": "True", "reason": "Scheduled"},
            ],
            "initContainerStatuses": [
                {
                    "name": "istio-init",
                    "ready": True,
                    "restartCount": 0,
                    "image": "docker.io/istio/proxyv2:1.22.3",
                    "imageID": "sha256:abc",
                    "state": {
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "startedAt": "2026-01-02T03:04:06Z",
                            "finishedAt": "2026-01-02T03:04:07Z",
                            "containerID": "containerd://1",
                        }
                    },
                }
            ],
            "containerStatuses": [
                {
                    "name": "web",
                    "ready": False,
                    "started": True,
                    "restartCount": 3,
                    "image": "registry.example/web:1.0",
                    "imageID": "sha256:def",
                    "containerID": "containerd://2",
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "message": "boom"}},
                }
            ],
        },
    }
    pod.update(overrides)
    return pod


EXPECTED_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "web-7d9f-abcde",
        "generateName": "web-7d9f-",
        "namespace": "shop",
        "uid": "uid-web-7d9f-abcde",
        "creationTimestamp": "2026-01-02T03:04:05Z",
        "labels": {"app": "web", "pod-template-hash": "7d9f"},
        "annotations": {"sidecar.istio.io/status": '{"revision":"default"}'},
        "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f", "uid": "uid-rs", "controller": True}
        ],
    },
    "spec": {
        "nodeName": "node-1",
        "serviceAccountName": "web",
        "restartPolicy": "Always",
        "securityContext": {"runAsNonRoot": True},
        "initContainers": [
            {
                "name": "istio-init",
                "image": "docker.io/istio/proxyv2:1.22.3",
                "resources": {"requests": {"cpu": "10m"}},
                "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
            }
        ],
        "containers": [
            {
                "name": "web",
                "image": "registry.example/web:1.0",
                "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                "resources": {"limits": {"memory": "128Mi"}},
                "volumeMounts": [{"name": "certs", "mountPath": "/certs"}],
            },
            {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3", "restartPolicy": "Always"},
        ],
    },
    "status": {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "PodScheduled", "status": "True", "reason": "Scheduled"},
        ],
        "initContainerStatuses": [
            {
                "name": "istio-init",
                "ready": True,
                "restartCount": 0,
                "image": "docker.io/istio/proxyv2:1.22.3",
                "state": {
                    "terminated": {
                        "reason": "Completed",
                        "exitCode": 0,
                        "startedAt": "2026-01-02T03:04:06Z",
                        "finishedAt": "2026-01-02T03:04:07Z",
                    }
                },
            }
        ],
        "containerStatuses": [
            {
                "name": "web",
                "ready": False,
                "started": True,
                "restartCount": 3,
                "image": "registry.example/web:1.0",
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                "lastState": {"terminated": {"reason": "Error", "message": "boom", "exitCode": 1}},
            }
        ],
    },
}


def test_pod_keeps_exactly_the_documented_fields():
    assert projection.project("pods", raw_pod()) == EXPECTED_POD


def test_repeated_small_values_are_stored_once_per_run():
    memo = projection.Memo()
    first = projection.project("pods", raw_pod(name="web-1"), memo)
    second = projection.project("pods", raw_pod(name="web-2"), memo)
    other_run = projection.project("pods", raw_pod(name="web-3"), projection.Memo())
    for path in (
        ("spec", "containers", 0, "resources"),
        ("spec", "containers", 0, "volumeMounts"),
        ("spec", "initContainers", 0, "securityContext"),
        ("spec", "securityContext"),
        ("status", "conditions"),
    ):
        a, b, c = first, second, other_run
        for step in path:
            a, b, c = a[step], b[step], c[step]
        assert a is b, path
        assert a == c and a is not c, path  # another run (another cluster) shares nothing
    assert first["metadata"] is not second["metadata"]


def test_shared_values_are_bounded():
    memo = projection.Memo(limit=2)
    values = [{"cpu": "%dm" % i} for i in range(4)]
    assert [memo.shared(v) is v for v in values] == [True] * 4
    assert memo.shared({"cpu": "0m"}) is values[0] and memo.shared({"cpu": "3m"}) is not values[3]
    assert len(memo.values) == 2


def test_pod_projection_does_not_modify_its_input():
    raw = raw_pod()
    before = copy.deepcopy(raw)
    projection.project("pods", raw)
    assert raw == before


def test_pod_env_and_command_are_dropped_except_for_kube_apiserver():
    out = json.dumps(projection.project("pods", raw_pod()))
    assert "hunter2" not in out and "PASSWORD" not in out and '"command"' not in out
    apiserver = raw_pod(name="kube-apiserver-cp1", namespace="kube-system")
    apiserver["metadata"]["labels"] = {"component": "kube-apiserver", "tier": "control-plane"}
    apiserver["spec"]["containers"] = [
        {
            "name": "kube-apiserver",
            "image": "registry.k8s.io/kube-apiserver:v1.31.4",
            "command": ["kube-apiserver", "--enable-admission-plugins=NodeRestriction"],
            "env": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}, {"name": "X", "valueFrom": {"a": 1}}],
        }
    ]
    container = projection.project("pods", apiserver)["spec"]["containers"][0]
    assert container == {
        "name": "kube-apiserver",
        "image": "registry.k8s.io/kube-apiserver:v1.31.4",
        "command": ["kube-apiserver", "--enable-admission-plugins=NodeRestriction"],
        "env": [{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}, {"name": "X"}],
    }


def test_component_label_outside_kube_system_is_not_the_apiserver():
    pod = raw_pod()
    pod["metadata"]["labels"] = {"component": "kube-apiserver"}
    assert "command" not in projection.project("pods", pod)["spec"]["containers"][0]


def raw_deployment(name="istiod", namespace="istio-system", labels=None, template_labels=None):
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": "uid-" + name,
            "resourceVersion": "9",
            "generation": 3,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": labels if labels is not None else {"app": "istiod", "istio.io/rev": "default"},
            "annotations": {"deployment.kubernetes.io/revision": "2", LAST_APPLIED: "{}"},
            "managedFields": MANAGED,
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {
                    "creationTimestamp": None,
                    "labels": template_labels if template_labels is not None else {"app": name},
                    "annotations": {"sidecar.istio.io/inject": "false"},
                },
                "spec": {
                    "containers": [
                        {
                            "name": "discovery",
                            "image": "docker.io/istio/pilot:1.22.3",
                            "args": ["discovery"],
                            "env": [
                                {"name": "REVISION", "value": "default"},
                                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                            ],
                            "livenessProbe": {"tcpSocket": {"port": 15017}},
                        }
                    ]
                },
            },
        },
        "status": {
            "observedGeneration": 3,
            "replicas": 2,
            "readyReplicas": 1,
            "availableReplicas": 1,
            "unavailableReplicas": 1,
            "conditions": [
                {
                    "type": "Available",
                    "status": "False",
                    "reason": "MinimumReplicasUnavailable",
                    "message": "Deployment does not have minimum availability.",
                    "lastUpdateTime": "2026-01-01T00:00:00Z",
                }
            ],
        },
    }


def test_mesh_control_plane_templates_keep_plain_env():
    out = projection.project("deployments", raw_deployment())
    assert out == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "istiod",
            "namespace": "istio-system",
            "uid": "uid-istiod",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "resourceVersion": "9",
            "generation": 3,
            "labels": {"app": "istiod", "istio.io/rev": "default"},
            "annotations": {"deployment.kubernetes.io/revision": "2"},
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "istiod"}},
            "template": {
                "metadata": {"labels": {"app": "istiod"}, "annotations": {"sidecar.istio.io/inject": "false"}},
                "spec": {
                    "containers": [
                        {
                            "name": "discovery",
                            "image": "docker.io/istio/pilot:1.22.3",
                            "env": [{"name": "REVISION", "value": "default"}, {"name": "POD_NAME"}],
                        }
                    ]
                },
            },
        },
        "status": {
            "observedGeneration": 3,
            "replicas": 2,
            "readyReplicas": 1,
            "availableReplicas": 1,
            "unavailableReplicas": 1,
            "conditions": [
                {
                    "type": "Available",
                    "status": "False",
                    "reason": "MinimumReplicasUnavailable",
                    "message": "Deployment does not have minimum availability.",
                }
            ],
        },
    }


def test_application_templates_drop_env():
    deployment = raw_deployment(name="web", namespace="shop", labels={"app": "web"}, template_labels={"app": "web"})
    container = projection.project("deployments", deployment)["spec"]["template"]["spec"]["containers"][0]
    assert container == {"name": "discovery", "image": "docker.io/istio/pilot:1.22.3"}


def test_templates_keep_their_volumes_and_pods_do_not():
    volumes = [
        {"name": "data", "hostPath": {"path": "/var/data", "type": "Directory"}},
        {"name": "cfg", "configMap": {"name": "web", "defaultMode": 420}},
    ]
    deployment = raw_deployment(name="web", namespace="shop", labels={"app": "web"}, template_labels={"app": "web"})
    deployment["spec"]["template"]["spec"]["volumes"] = volumes
    spec = projection.project("deployments", deployment)["spec"]["template"]["spec"]
    assert spec["volumes"] == volumes  # the dry-run probe sends them (probe/pod.py)
    raw_pod = {"metadata": {"name": "web-1", "namespace": "shop"}, "spec": dict(deployment["spec"]["template"]["spec"])}
    assert "volumes" not in projection.project("pods", raw_pod)["spec"]


def test_linkerd_component_label_on_template_keeps_env():
    deployment = raw_deployment(
        name="linkerd-proxy-injector",
        namespace="linkerd",
        labels={},
        template_labels={"linkerd.io/control-plane-component": "proxy-injector"},
    )
    container = projection.project("deployments", deployment)["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "REVISION", "value": "default"}, {"name": "POD_NAME"}]


def test_cronjob_keeps_job_template_metadata_and_pod_template():
    raw = {
        "metadata": {"name": "nightly", "namespace": "batch", "managedFields": MANAGED},
        "spec": {
            "schedule": "0 3 * * *",
            "suspend": False,
            "successfulJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"annotations": {"sidecar.istio.io/inject": "true"}},
                "spec": {
                    "backoffLimit": 2,
                    "ttlSecondsAfterFinished": 60,
                    "template": {
                        "metadata": {"labels": {"job": "nightly"}},
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "run", "image": "busybox"}]},
                    },
                },
            },
        },
        "status": {
            "lastScheduleTime": "2026-01-01T03:00:00Z",
            "active": [
                {"kind": "Job", "namespace": "batch", "name": "nightly-1", "uid": "u1", "apiVersion": "batch/v1"}
            ],
        },
    }
    assert projection.project("cronjobs", raw) == {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "batch"},
        "spec": {
            "schedule": "0 3 * * *",
            "suspend": False,
            "jobTemplate": {
                "metadata": {"annotations": {"sidecar.istio.io/inject": "true"}},
                "spec": {
                    "backoffLimit": 2,
                    "template": {
                        "metadata": {"labels": {"job": "nightly"}},
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "run", "image": "busybox"}]},
                    },
                },
            },
        },
        "status": {
            "lastScheduleTime": "2026-01-01T03:00:00Z",
            "active": [{"kind": "Job", "namespace": "batch", "name": "nightly-1", "uid": "u1"}],
        },
    }


def test_job_keeps_counts_and_conditions():
    raw = {
        "metadata": {"name": "migrate", "namespace": "shop"},
        "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 6, "template": {"spec": {"containers": []}}},
        "status": {
            "active": 1,
            "ready": 1,
            "startTime": "2026-01-01T00:00:00Z",
            "uncountedTerminatedPods": {},
            "conditions": [{"type": "Complete", "status": "False", "lastProbeTime": "x"}],
        },
    }
    out = projection.project("jobs", raw)
    assert out["spec"] == {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "template": {"metadata": {}, "spec": {"containers": []}},
    }
    assert out["status"] == {
        "active": 1,
        "ready": 1,
        "startTime": "2026-01-01T00:00:00Z",
        "conditions": [{"type": "Complete", "status": "False"}],
    }


def test_event_fields():
    raw = {
        "metadata": {
            "name": "web.17a",
            "namespace": "shop",
            "uid": "e1",
            "resourceVersion": "5",
            "managedFields": MANAGED,
        },
        "involvedObject": {
            "kind": "ReplicaSet",
            "namespace": "shop",
            "name": "web-7d9f",
            "uid": "u",
            "resourceVersion": "1",
        },
        "reason": "FailedCreate",
        "message": 'Error creating: Internal error occurred: failed calling webhook "object.sidecar-injector.istio.io"',
        "type": "Warning",
        "count": 12,
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T01:00:00Z",
        "source": {"component": "replicaset-controller"},
        "reportingComponent": "replicaset-controller",
        "reportingInstance": "",
    }
    assert projection.project("events", raw) == {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.17a", "namespace": "shop", "uid": "e1"},
        "involvedObject": {"kind": "ReplicaSet", "namespace": "shop", "name": "web-7d9f", "uid": "u"},
        "reason": "FailedCreate",
        "message": raw["message"],
        "type": "Warning",
        "count": 12,
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T01:00:00Z",
        "source": {"component": "replicaset-controller"},
        "reportingComponent": "replicaset-controller",
        "reportingInstance": "",
    }


@pytest.mark.parametrize(
    "event, kept",
    [
        ({"type": "Warning", "reason": "FailedCreate"}, True),
        ({"type": "Normal", "reason": "InjectionSkipped"}, True),
        ({"type": "Normal", "reason": "Injected"}, False),
        ({"reason": "Scheduled"}, False),
    ],
)
def test_keep_event(event, kept):
    assert projection.keep("events", event) is kept


def test_node_keeps_platform_markers_only():
    raw = {
        "metadata": {
            "name": "ip-10-0-1-2.ec2.internal",
            "uid": "n1",
            "resourceVersion": "77",
            "labels": {"eks.amazonaws.com/nodegroup": "ng-1", "kubernetes.io/os": "linux"},
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                "projectcalico.org/IPv4Address": "10.0.1.2/24",
                "csi.volume.kubernetes.io/nodeid": '{"ebs.csi.aws.com":"i-0abc"}',
            },
            "managedFields": MANAGED,
        },
        "spec": {"providerID": "aws:///eu-west-1a/i-0abc", "podCIDR": "10.244.1.0/24", "taints": []},
        "status": {
            "nodeInfo": {"kubeletVersion": "v1.31.4-eks-1", "containerRuntimeVersion": "containerd://1.7.22"},
            "addresses": [{"type": "InternalIP", "address": "10.0.1.2"}],
            "capacity": {"cpu": "4"},
            "images": [{"names": ["x"], "sizeBytes": 1}],
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }
    assert projection.project("nodes", raw) == {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "ip-10-0-1-2.ec2.internal",
            "uid": "n1",
            "labels": {"eks.amazonaws.com/nodegroup": "ng-1", "kubernetes.io/os": "linux"},
            "annotations": {"projectcalico.org/IPv4Address": "10.0.1.2/24"},
        },
        "spec": {"providerID": "aws:///eu-west-1a/i-0abc", "podCIDR": "10.244.1.0/24"},
        "status": {
            "nodeInfo": {"kubeletVersion": "v1.31.4-eks-1", "containerRuntimeVersion": "containerd://1.7.22"},
            "addresses": [{"type": "InternalIP", "address": "10.0.1.2"}],
        },
    }


def test_namespace_keeps_metadata_and_phase():
    raw = {
        "metadata": {
            "name": "shop",
            "uid": "ns1",
            "resourceVersion": "3",
            "labels": {"istio-injection": "enabled", "kubernetes.io/metadata.name": "shop"},
            "annotations": {LAST_APPLIED: "{}"},
            "managedFields": MANAGED,
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    assert projection.project("namespaces", raw) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "shop",
            "uid": "ns1",
            "resourceVersion": "3",
            "labels": {"istio-injection": "enabled", "kubernetes.io/metadata.name": "shop"},
            "annotations": {},
        },
        "status": {"phase": "Active"},
    }


@pytest.mark.parametrize(
    "name, data, kept",
    [
        ("istio-sidecar-injector", {"config": "policy: enabled"}, True),
        ("istio-sidecar-injector-1-22", {"config": "policy: enabled"}, True),
        ("istio", {"mesh": "defaultConfig: {}"}, True),
        ("istio-canary", {"mesh": "defaultConfig: {}"}, True),
        ("istio-leader", {}, False),
        ("istio-ca-root-cert", {"root-cert.pem": "..."}, True),
        ("linkerd-config", {"values": "{}"}, True),
        ("linkerd-identity-trust-roots", {"ca-bundle.crt": "..."}, True),
        ("kube-root-ca.crt", {"ca.crt": "..."}, False),
        ("app-settings", {"mesh": "x"}, False),
    ],
)
def test_keep_configmap(name, data, kept):
    assert projection.keep("configmaps", {"metadata": {"name": name}, "data": data}) is kept


def test_configmap_drops_binary_data():
    raw = {
        "metadata": {"name": "linkerd-config", "namespace": "linkerd"},
        "data": {"values": "a: 1"},
        "binaryData": {"x": "AAA="},
    }
    assert projection.project("configmaps", raw) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "linkerd-config", "namespace": "linkerd"},
        "data": {"values": "a: 1"},
    }


def test_complete_kinds_keep_everything_but_managed_fields_and_last_applied():
    raw = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {
            "name": "istio-sidecar-injector",
            "labels": {"istio.io/rev": "default"},
            "annotations": {LAST_APPLIED: "{}", "other": "x"},
            "managedFields": MANAGED,
            "generation": 2,
        },
        "webhooks": [{"name": "namespace.sidecar-injector.istio.io", "clientConfig": {"caBundle": "LS0t"}}],
    }
    assert projection.project("mutatingwebhookconfigurations", raw) == {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {
            "name": "istio-sidecar-injector",
            "labels": {"istio.io/rev": "default"},
            "generation": 2,
            "annotations": {"other": "x"},
        },
        "webhooks": [{"name": "namespace.sidecar-injector.istio.io", "clientConfig": {"caBundle": "LS0t"}}],
    }


def _samples():
    secret = {
        "metadata": {"name": "cacerts", "namespace": "istio-system"},
        "type": "Opaque",
        "data": {"ca-cert.pem": ""},
    }
    return [
        ("pods", raw_pod()),
        ("deployments", raw_deployment()),
        ("events", {"metadata": {"name": "e"}, "type": "Warning", "involvedObject": {"kind": "Pod"}}),
        ("nodes", {"metadata": {"name": "n", "annotations": {"k3s.io/role": "agent"}}, "status": {"nodeInfo": {}}}),
        ("namespaces", {"metadata": {"name": "shop"}, "status": {"phase": "Active"}}),
        ("configmaps", {"metadata": {"name": "linkerd-config", "namespace": "linkerd"}, "data": {"values": "x"}}),
        ("secrets", secret),
        ("services", {"metadata": {"name": "istiod", "managedFields": MANAGED}, "spec": {"ports": [{"port": 443}]}}),
    ]


@pytest.mark.parametrize("resource, raw", _samples())
def test_projection_is_idempotent(resource, raw):
    once = projection.project(resource, raw)
    assert projection.project(resource, copy.deepcopy(once)) == once
    assert once["apiVersion"] == RESOURCES[resource].api_version and once["kind"] == RESOURCES[resource].kind


def test_sort_key_orders_by_namespace_then_name():
    objs = [
        {"metadata": {"namespace": "b", "name": "a"}},
        {"metadata": {"name": "z"}},
        {"metadata": {"namespace": "a", "name": "b"}},
    ]
    assert [projection.sort_key(o) for o in sorted(objs, key=projection.sort_key)] == [
        ("", "z"),
        ("a", "b"),
        ("b", "a"),
    ]


def test_namespace_keeps_only_who_labelled_it_and_when():
    """SI208 tells a pod that predates its namespace's injection label from one a skipped webhook let
    through by when the labels changed: only label-owning managedFields entries stay, reduced."""
    entries = MANAGED + [
        {
            "manager": "kubectl-label",
            "operation": "Update",
            "time": "2020-09-21T07:05:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:istio-injection": {}}, "f:annotations": {"f:x": {}}}},
        }
    ]
    raw = {"metadata": {"name": "default", "labels": {"istio-injection": "enabled"}, "managedFields": entries}}
    assert projection.project("namespaces", raw)["metadata"]["managedFields"] == [
        {
            "manager": "kubectl-label",
            "operation": "Update",
            "time": "2020-09-21T07:05:00Z",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:istio-injection": {}}}},
        }
    ]
