"""A cluster snapshot in the making: objects shaped as `kubectl get <kind> -A -o yaml` prints them.

`Cluster` collects objects and writes one `kind: List` file per kind (every kind the diagnosis
reads, empty lists included, plus any extra kind a case adds, e.g. PodSecurityPolicy) and
`version.json` as `kubectl version -o json` prints it. Names, uids and pod IPs derive from the
object names, and every timestamp is given by the case, so a rebuild changes nothing but the
certificate bytes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

Obj = Dict[str, Any]

# kind -> (file stem, apiVersion). The first block is what the diagnosis reads (snapshot.RESOURCES).
KINDS: Dict[str, Tuple[str, str]] = {
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
# Kinds the diagnosis does not read yet; written only when a case has some.
EXTRA_KINDS: Dict[str, Tuple[str, str]] = {
    "PodSecurityPolicy": ("podsecuritypolicies", "policy/v1beta1"),
    "SecurityContextConstraints": ("securitycontextconstraints", "security.openshift.io/v1"),
    "ClusterPolicy": ("clusterpolicies", "kyverno.io/v1"),
}

LINE_LIMIT = 150  # below .yamllint's 160
# `key: "..."` or `- "..."` on one line, the body without unescaped quotes (a whole double-quoted scalar)
_QUOTED_TAIL = re.compile(r'^(?P<head>\s*(?:- |[^\s"]+: |- [^\s"]+: ))"(?P<body>(?:[^"\\]|\\.)*)"$')


def uid(*parts: str) -> str:
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return "%s-%s-%s-%s-%s" % (digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32])


def short_hash(text: str, length: int = 10) -> str:
    """A pod-template-hash style suffix (lowercase, no vowels that spell words, like the controller's)."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    number = int(hashlib.sha1(text.encode()).hexdigest(), 16)
    out = ""
    while len(out) < length:
        number, digit = divmod(number, len(alphabet))
        out += alphabet[digit]
    return out


def meta(kind: str, name: str, namespace: str = "", labels=None, annotations=None, created="", **extra) -> Obj:
    out: Obj = {"name": name, "uid": uid(kind, namespace, name), "resourceVersion": str(int(uid(name)[:6], 16))}
    if namespace:
        out["namespace"] = namespace
    out["creationTimestamp"] = created
    if labels:
        out["labels"] = dict(labels)
    if annotations:
        out["annotations"] = dict(annotations)
    out.update(extra)
    return out


def container(name: str, image: str, ports=(), resources=None, security=None, args=None, env=None, **extra) -> Obj:
    out: Obj = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent"}
    if args:
        out["args"] = list(args)
    if env:
        out["env"] = [{"name": k, "value": v} for k, v in env]
    if ports:
        out["ports"] = [{"containerPort": p, "name": n, "protocol": "TCP"} for p, n in ports]
    out["resources"] = resources if resources is not None else {"requests": {"cpu": "100m", "memory": "128Mi"}}
    if security:
        out["securityContext"] = security
    out["terminationMessagePath"] = "/dev/termination-log"
    out["terminationMessagePolicy"] = "File"
    out.update(extra)
    return out


def template(labels: Dict[str, str], containers: List[Obj], annotations=None, **spec) -> Obj:
    """A pod template (`spec.template` of a workload)."""
    tmpl: Obj = {"metadata": {"creationTimestamp": None, "labels": dict(labels)}, "spec": {"containers": containers}}
    if annotations:
        tmpl["metadata"]["annotations"] = dict(annotations)
    tmpl["spec"].update(spec)
    return tmpl


def app(name: str, image: str, port: int = 8080, labels=None, annotations=None, **spec) -> Obj:
    """The pod template of a plain application container."""
    tmpl_labels = {"app": name}
    tmpl_labels.update(labels or {})
    return template(tmpl_labels, [container(name, image, ports=[(port, "http")])], annotations, **spec)


# ---- container statuses ----------------------------------------------------------------------


def _image_id(image: str) -> str:
    return "%s@sha256:%s" % (image.split(":", 1)[0], hashlib.sha256(image.encode()).hexdigest())


def running(c: Obj, started: str, ready: bool = True, restarts: int = 0) -> Obj:
    return {
        "containerID": "containerd://" + hashlib.sha256((c["name"] + started).encode()).hexdigest(),
        "image": c["image"],
        "imageID": _image_id(c["image"]),
        "name": c["name"],
        "ready": ready,
        "restartCount": restarts,
        "started": True,
        "state": {"running": {"startedAt": started}},
    }


def completed(c: Obj, started: str, finished: str) -> Obj:
    return {
        "containerID": "containerd://" + hashlib.sha256((c["name"] + finished).encode()).hexdigest(),
        "image": c["image"],
        "imageID": _image_id(c["image"]),
        "name": c["name"],
        "ready": False,
        "restartCount": 0,
        "started": False,
        "state": {"terminated": {"exitCode": 0, "finishedAt": finished, "reason": "Completed", "startedAt": started}},
    }


def crashing(c: Obj, message: str, last: str, restarts: int = 12, exit_code: int = 1) -> Obj:
    """CrashLoopBackOff with the last termination's message (what `kubectl describe pod` shows)."""
    return {
        "containerID": "containerd://" + hashlib.sha256((c["name"] + last).encode()).hexdigest(),
        "image": c["image"],
        "imageID": _image_id(c["image"]),
        "lastState": {
            "terminated": {
                "exitCode": exit_code,
                "finishedAt": last,
                "message": message,
                "reason": "Error",
                "startedAt": last,
            }
        },
        "name": c["name"],
        "ready": False,
        "restartCount": restarts,
        "started": False,
        "state": {
            "waiting": {
                "message": "back-off 5m0s restarting failed container=%s" % c["name"],
                "reason": "CrashLoopBackOff",
            }
        },
    }


def waiting(c: Obj, reason: str = "PodInitializing") -> Obj:
    return {
        "image": c["image"],
        "imageID": "",
        "name": c["name"],
        "ready": False,
        "restartCount": 0,
        "started": False,
        "state": {"waiting": {"reason": reason}},
    }


# ---- the cluster ------------------------------------------------------------------------------


class Cluster(object):
    """Objects of one cluster, by kind. `captured` is when the user's report shows it."""

    def __init__(self, name: str, version: Obj, captured: str, installed: str) -> None:
        self.name = name
        self.version = version
        self.captured = captured
        self.nodes_created = installed
        self.objects: Dict[str, List[Obj]] = {kind: [] for kind in list(KINDS) + list(EXTRA_KINDS)}
        self._ips = 0
        self.nodes: List[str] = []

    def add(self, obj: Obj) -> Obj:
        kind = obj["kind"]
        api = (KINDS.get(kind) or EXTRA_KINDS[kind])[1]
        obj.setdefault("apiVersion", api)
        self.objects[kind].append(obj)
        return obj

    def find(self, kind: str, namespace: str, name: str) -> Obj:
        for obj in self.objects[kind]:
            if obj["metadata"]["name"] == name and obj["metadata"].get("namespace", "") == namespace:
                return obj
        raise KeyError("%s %s/%s" % (kind, namespace, name))

    def pod_ip(self, prefix: str = "10.244") -> str:
        self._ips += 1
        return "%s.%d.%d" % (prefix, 1 + self._ips // 250, 2 + self._ips % 250)

    def node_for(self, index: int) -> str:
        return self.nodes[index % len(self.nodes)] if self.nodes else ""

    # namespaces ------------------------------------------------------------------------------
    def namespace(self, name: str, labels=None, annotations=None, created: str = "") -> Obj:
        all_labels = {"kubernetes.io/metadata.name": name}
        all_labels.update(labels or {})
        return self.add(
            {
                "kind": "Namespace",
                "metadata": meta("Namespace", name, labels=all_labels, annotations=annotations, created=created),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
        )

    def namespaces(self, names: Sequence[str], created: str) -> None:
        for name in names:
            self.namespace(name, created=created)

    # workloads -------------------------------------------------------------------------------
    def deployment(
        self,
        ns: str,
        name: str,
        tmpl: Obj,
        replicas: int = 1,
        ready: Optional[int] = None,
        labels=None,
        annotations=None,
        created: str = "",
        failure: str = "",
    ) -> Tuple[Obj, Obj]:
        """A Deployment and its current ReplicaSet. `failure` is the FailedCreate message the
        ReplicaSet's condition shows when pods cannot be created."""
        ready = replicas if ready is None else ready
        pod_hash = short_hash("%s/%s/%s" % (ns, name, json.dumps(tmpl, sort_keys=True)))
        selector = {"matchLabels": dict(tmpl["metadata"]["labels"])}
        available = {
            "type": "Available",
            "status": "True" if ready else "False",
            "reason": "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable",
            "message": "Deployment has minimum availability."
            if ready
            else "Deployment does not have minimum availability.",
            "lastTransitionTime": created,
            "lastUpdateTime": created,
        }
        conditions = [available]
        if failure:
            conditions.append(
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "reason": "FailedCreate",
                    "message": failure,
                    "lastTransitionTime": self.captured,
                    "lastUpdateTime": self.captured,
                }
            )
        status: Obj = {
            "observedGeneration": 1,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "conditions": conditions,
        }
        if ready:
            status.update(readyReplicas=ready, availableReplicas=ready)
        if replicas - ready:
            status["unavailableReplicas"] = replicas - ready
        if failure:
            status["replicas"] = status["updatedReplicas"] = ready
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
                    "progressDeadlineSeconds": 600,
                    "replicas": replicas,
                    "revisionHistoryLimit": 10,
                    "selector": selector,
                    "strategy": {
                        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                        "type": "RollingUpdate",
                    },
                    "template": tmpl,
                },
                "status": status,
            }
        )
        rs_tmpl = copy.deepcopy(tmpl)
        rs_tmpl["metadata"]["labels"]["pod-template-hash"] = pod_hash
        rs_status: Obj = {
            "observedGeneration": 1,
            "replicas": 0 if failure else replicas,
            "fullyLabeledReplicas": 0 if failure else replicas,
        }
        if ready:
            rs_status.update(readyReplicas=ready, availableReplicas=ready, replicas=ready, fullyLabeledReplicas=ready)
        if failure:
            rs_status["conditions"] = [
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "reason": "FailedCreate",
                    "message": failure,
                    "lastTransitionTime": self.captured,
                }
            ]
        rs = self.add(
            {
                "kind": "ReplicaSet",
                "metadata": meta(
                    "ReplicaSet",
                    "%s-%s" % (name, pod_hash),
                    ns,
                    dict(rs_tmpl["metadata"]["labels"]),
                    {
                        "deployment.kubernetes.io/desired-replicas": str(replicas),
                        "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                        "deployment.kubernetes.io/revision": "1",
                    },
                    created=created,
                    generation=1,
                    ownerReferences=[owner_ref(deploy)],
                ),
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": dict(rs_tmpl["metadata"]["labels"])},
                    "template": rs_tmpl,
                },
                "status": rs_status,
            }
        )
        return deploy, rs

    def workload(
        self,
        kind: str,
        ns: str,
        name: str,
        tmpl: Obj,
        created: str = "",
        replicas: int = 1,
        ready: Optional[int] = None,
        **spec,
    ) -> Obj:
        """A StatefulSet, DaemonSet or Job (pods are added with `pod`)."""
        ready = replicas if ready is None else ready
        body: Obj = {"selector": {"matchLabels": dict(tmpl["metadata"]["labels"])}, "template": tmpl}
        body.update(spec)
        if kind == "StatefulSet":
            body.setdefault("serviceName", name)
            body["replicas"] = replicas
            status: Obj = {
                "replicas": replicas,
                "readyReplicas": ready,
                "currentReplicas": replicas,
                "observedGeneration": 1,
            }
        elif kind == "DaemonSet":
            status = {
                "currentNumberScheduled": replicas,
                "desiredNumberScheduled": replicas,
                "numberReady": ready,
                "numberAvailable": ready,
                "numberMisscheduled": 0,
                "updatedNumberScheduled": replicas,
                "observedGeneration": 1,
            }
            if replicas - ready:
                status["numberUnavailable"] = replicas - ready
        elif kind == "Job":
            body.pop("selector")
            body.update(backoffLimit=6, completions=1, parallelism=1)
            status = {"active": replicas, "startTime": created}
        else:
            raise ValueError(kind)
        return self.add(
            {
                "kind": kind,
                "metadata": meta(kind, name, ns, {"app": name}, created=created, generation=1),
                "spec": body,
                "status": status,
            }
        )

    def pod(
        self,
        owner: Optional[Obj],
        spec: Optional[Obj] = None,
        labels=None,
        annotations=None,
        created: str = "",
        statuses: Optional[List[Obj]] = None,
        init_statuses: Optional[List[Obj]] = None,
        phase: str = "Running",
        node: Optional[int] = None,
        name: str = "",
        ns: str = "",
        owner_ref_override: Optional[Obj] = None,
    ) -> Obj:
        """A pod of `owner` (ReplicaSet, StatefulSet, DaemonSet, Job; None for a bare pod). `spec`
        defaults to the owner's template; statuses default to every container running and Ready and
        every init container completed (native sidecars running)."""
        ns = owner["metadata"]["namespace"] if owner else ns
        tmpl: Obj = owner["spec"]["template"] if owner else {"metadata": {}, "spec": spec}
        pod_spec: Obj = copy.deepcopy(spec if spec is not None else tmpl["spec"])
        pod_labels = dict(tmpl["metadata"].get("labels") or {})
        pod_labels.update(labels or {})
        pod_annotations = dict(tmpl["metadata"].get("annotations") or {})
        pod_annotations.update(annotations or {})
        index = len([p for p in self.objects["Pod"] if p["metadata"]["namespace"] == ns])
        if not name and owner:
            base = owner["metadata"]["name"]
            if owner["kind"] == "StatefulSet":
                name = "%s-%d" % (
                    base,
                    len([p for p in self.objects["Pod"] if p["metadata"]["name"].startswith(base + "-")]),
                )
            else:
                name = "%s-%s" % (base, short_hash(base + str(index) + created, 5))
        slot = index if node is None else node
        node_name = self.node_for(slot)
        host_ip = "10.0.%d.%d" % (1 + slot % 3, 10 + slot % 3 * 10)
        ip = host_ip if pod_spec.get("hostNetwork") else self.pod_ip()
        if statuses is None:
            statuses = [running(c, created) for c in pod_spec.get("containers") or []]
        if init_statuses is None:
            init_statuses = [
                running(c, created) if c.get("restartPolicy") == "Always" else completed(c, created, created)
                for c in pod_spec.get("initContainers") or []
            ]
        ready = phase == "Running" and all(s.get("ready") for s in statuses)
        full_spec: Obj = {
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "nodeName": node_name,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": pod_spec.get("serviceAccountName", "default"),
            "serviceAccountName": pod_spec.get("serviceAccountName", "default"),
            "terminationGracePeriodSeconds": 30,
        }
        full_spec.update(pod_spec)
        if owner and full_spec.get("automountServiceAccountToken") is not False:
            _mount_token(full_spec, self.version, name)
        if owner and owner["kind"] == "Job":
            full_spec["restartPolicy"] = "Never"
        state = "True" if ready else "False"
        status: Obj = {
            "conditions": [
                {"type": "Initialized", "status": "True", "lastTransitionTime": created},
                {"type": "Ready", "status": state, "lastTransitionTime": created},
                {"type": "ContainersReady", "status": state, "lastTransitionTime": created},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": created},
            ],
            "containerStatuses": statuses,
            "hostIP": host_ip,
            "phase": phase,
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "qosClass": "Burstable",
            "startTime": created,
        }
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
        pod_meta = meta("Pod", name, ns, pod_labels, pod_annotations or None, created=created)
        if owner:
            pod_meta["generateName"] = owner["metadata"]["name"] + "-"
            pod_meta["ownerReferences"] = [owner_ref(owner)]
        elif owner_ref_override:
            pod_meta["ownerReferences"] = [owner_ref_override]
        return self.add({"kind": "Pod", "metadata": pod_meta, "spec": full_spec, "status": status})

    # networking ------------------------------------------------------------------------------
    def service(
        self,
        ns: str,
        name: str,
        ports: Sequence[Tuple[str, int, Any]],
        selector: Dict[str, str],
        labels=None,
        annotations=None,
        created: str = "",
    ) -> Obj:
        ip = "10.96.%d.%d" % (int(uid(ns, name)[:2], 16) % 250, int(uid(name, ns)[:2], 16) % 250 + 2)
        return self.add(
            {
                "kind": "Service",
                "metadata": meta("Service", name, ns, labels, annotations, created=created),
                "spec": {
                    "clusterIP": ip,
                    "clusterIPs": [ip],
                    "internalTrafficPolicy": "Cluster",
                    "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack",
                    "ports": [{"name": n, "port": p, "protocol": "TCP", "targetPort": t} for n, p, t in ports],
                    "selector": dict(selector),
                    "sessionAffinity": "None",
                    "type": "ClusterIP",
                },
                "status": {"loadBalancer": {}},
            }
        )

    def endpoints(self, svc: Obj, pods: List[Obj], ports: Sequence[Tuple[str, int]]) -> None:
        """Endpoints and an EndpointSlice of `svc`; a pod that is not Ready is a not-ready address."""
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        created = svc["metadata"]["creationTimestamp"]

        def is_ready(pod: Obj) -> bool:
            return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"]["conditions"])

        def address(pod: Obj) -> Obj:
            return {
                "ip": pod["status"]["podIP"],
                "nodeName": pod["spec"]["nodeName"],
                "targetRef": {
                    "kind": "Pod",
                    "name": pod["metadata"]["name"],
                    "namespace": ns,
                    "uid": pod["metadata"]["uid"],
                },
            }

        subset: Obj = {"ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports]}
        ready_pods = [p for p in pods if is_ready(p)]
        if ready_pods:
            subset["addresses"] = [address(p) for p in ready_pods]
        if len(ready_pods) < len(pods):
            subset["notReadyAddresses"] = [address(p) for p in pods if not is_ready(p)]
        self.add(
            {
                "kind": "Endpoints",
                "metadata": meta("Endpoints", name, ns, svc["metadata"].get("labels"), created=created),
                "subsets": [subset] if pods else [],
            }
        )
        slice_labels = dict(svc["metadata"].get("labels") or {})
        slice_labels.update(
            {
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                "kubernetes.io/service-name": name,
            }
        )
        self.add(
            {
                "kind": "EndpointSlice",
                "metadata": meta(
                    "EndpointSlice",
                    "%s-%s" % (name, short_hash(name, 5)),
                    ns,
                    slice_labels,
                    created=created,
                    generateName=name + "-",
                    ownerReferences=[owner_ref(svc)],
                ),
                "addressType": "IPv4",
                "endpoints": [
                    dict(
                        address(p),
                        addresses=[p["status"]["podIP"]],
                        conditions={"ready": is_ready(p), "serving": is_ready(p), "terminating": False},
                    )
                    for p in pods
                ],
                "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports],
            }
        )
        for item in self.objects["EndpointSlice"][-1]["endpoints"]:
            item.pop("ip")

    # admission -------------------------------------------------------------------------------
    def webhook_config(
        self, kind: str, name: str, webhooks: List[Obj], labels=None, annotations=None, created: str = ""
    ) -> Obj:
        return self.add(
            {
                "kind": kind,
                "metadata": meta(kind, name, labels=labels, annotations=annotations, created=created, generation=1),
                "webhooks": webhooks,
            }
        )

    def event(
        self,
        owner: Obj,
        reason: str,
        message: str,
        count: int = 1,
        first: str = "",
        last: str = "",
        etype: str = "Warning",
        component: str = "",
    ) -> Obj:
        """An event about `owner` (FailedCreate from its controller by default)."""
        kind, ns, name = owner["kind"], owner["metadata"].get("namespace", "default"), owner["metadata"]["name"]
        component = component or {
            "ReplicaSet": "replicaset-controller",
            "StatefulSet": "statefulset-controller",
            "DaemonSet": "daemonset-controller",
            "Job": "job-controller",
            "Pod": "kubelet",
        }.get(kind, "")
        last = last or self.captured
        event_name = "%s.%s" % (name, hashlib.sha1((reason + message).encode()).hexdigest()[:16])
        return self.add(
            {
                "kind": "Event",
                "metadata": meta("Event", event_name, ns, created=first or last),
                "involvedObject": {
                    "apiVersion": owner.get("apiVersion") or (KINDS.get(kind) or ("", "v1"))[1],
                    "kind": kind,
                    "name": name,
                    "namespace": ns,
                    "resourceVersion": owner["metadata"]["resourceVersion"],
                    "uid": owner["metadata"]["uid"],
                },
                "reason": reason,
                "message": message,
                "type": etype,
                "count": count,
                "firstTimestamp": first or last,
                "lastTimestamp": last,
                "source": {"component": component},
                "reportingComponent": component,
                "reportingInstance": "",
            }
        )

    def secret(
        self, ns: str, name: str, data: Dict[str, str], type_: str = "Opaque", labels=None, created: str = ""
    ) -> Obj:
        """A Secret holding certificates only (values are PEM text; written base64 as the API does)."""
        return self.add(
            {
                "kind": "Secret",
                "metadata": meta("Secret", name, ns, labels, created=created),
                "type": type_,
                "data": {k: _b64(v) for k, v in sorted(data.items())},
            }
        )

    def configmap(self, ns: str, name: str, data: Dict[str, str], labels=None, created: str = "") -> Obj:
        return self.add(
            {"kind": "ConfigMap", "metadata": meta("ConfigMap", name, ns, labels, created=created), "data": data}
        )

    def cluster_role(self, name: str, rules: List[Obj], labels=None, created: str = "") -> Obj:
        return self.add(
            {
                "kind": "ClusterRole",
                "metadata": meta("ClusterRole", name, labels=labels, created=created),
                "rules": rules,
            }
        )

    def cluster_role_binding(self, name: str, role: str, subjects: List[Obj], labels=None, created: str = "") -> Obj:
        return self.add(
            {
                "kind": "ClusterRoleBinding",
                "metadata": meta("ClusterRoleBinding", name, labels=labels, created=created),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": subjects,
            }
        )

    # output ----------------------------------------------------------------------------------
    def write(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        for old in os.listdir(folder):
            if old.endswith((".yaml", ".json")):
                os.unlink(os.path.join(folder, old))
        with open(os.path.join(folder, "version.json"), "w") as handle:
            client = {"major": "1", "minor": "33", "gitVersion": "v1.33.1", "platform": "linux/amd64"}
            json.dump(
                {"clientVersion": client, "kustomizeVersion": "v5.6.0", "serverVersion": self.version}, handle, indent=2
            )
            handle.write("\n")
        for kind, (stem, _api) in list(KINDS.items()) + list(EXTRA_KINDS.items()):
            items = sorted(
                self.objects[kind], key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])
            )
            if kind in EXTRA_KINDS and not items:
                continue
            doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
            with open(os.path.join(folder, stem + ".yaml"), "w") as handle:
                handle.write(dump(doc))


def _mount_token(spec: Obj, version: Obj, pod_name: str) -> None:
    """What the ServiceAccount admission plugin adds before any webhook sees the pod: the token
    volume (projected `kube-api-access-*` from 1.21, the `<sa>-token-*` Secret before) in every container."""
    projected = int(str(version.get("minor", "0")).rstrip("+") or 0) >= 21
    suffix = short_hash(pod_name, 5)
    if projected:
        volume: Obj = {
            "name": "kube-api-access-" + suffix,
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
        }
    else:
        secret = "%s-token-%s" % (spec.get("serviceAccountName") or "default", suffix)
        volume = {"name": secret, "secret": {"defaultMode": 420, "secretName": secret}}
    spec["volumes"] = list(spec.get("volumes") or []) + [volume]
    mount = {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": volume["name"], "readOnly": True}
    for key in ("initContainers", "containers"):
        for item in spec.get(key) or []:
            item["volumeMounts"] = list(item.get("volumeMounts") or []) + [dict(mount)]


def owner_ref(owner: Obj) -> Obj:
    return {
        "apiVersion": owner.get("apiVersion") or KINDS[owner["kind"]][1],
        "blockOwnerDeletion": True,
        "controller": True,
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


# ---- YAML that yamllint accepts without exceptions ---------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Sequences indented under their key (yamllint's default style); long space-free strings (base64,
    JSON annotations) double-quoted so they can be folded."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    lines = value.split("\n")
    if "\n" in value and max(len(line) for line in lines) <= 100:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")  # configs, PEM
    if len(value) > 80:  # event texts, termination messages, base64: foldable at any width
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def _fold(line: str) -> List[str]:
    """Split a too-long double-quoted scalar with YAML's escaped line breaks (`\\` at line end, the
    next line's indentation ignored), which load back to the same one-line string."""
    match = _QUOTED_TAIL.match(line)
    if len(line) <= LINE_LIMIT or not match:
        return [line]
    head, body = match.group("head"), match.group("body")
    column = len(head) - len(head.lstrip())  # where the key (or the item) starts
    column += 2 if head.lstrip().startswith("- ") else 0
    indent = " " * (column + 2)  # continuation lines must sit deeper than their mapping
    pieces, start, room = [], 0, LINE_LIMIT - len(head) - 2
    while start < len(body):
        end = min(start + max(room, 20), len(body))
        while end < len(body) and body[end - 1] == "\\":  # never split an escape sequence
            end -= 1
        pieces.append(body[start:end])
        start, room = end, LINE_LIMIT - len(indent) - 2
    out = [head + '"' + pieces[0]] + [indent + piece for piece in pieces[1:]]
    return [text + "\\" for text in out[:-1]] + [out[-1] + '"']


def dump(doc: Any) -> str:
    text = yaml.dump(doc, Dumper=_Dumper, default_flow_style=False, sort_keys=True, width=100, allow_unicode=True)
    out: List[str] = []
    for line in text.splitlines():
        out.extend(_fold(line))
    folded = "\n".join(out) + "\n"
    if yaml.safe_load(folded) != yaml.safe_load(text):
        raise AssertionError("folding changed the document")
    return folded
