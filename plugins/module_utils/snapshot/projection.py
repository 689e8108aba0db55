# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-kind reduction of raw Kubernetes objects to the fields the checks read.

Live gathering and offline loading both pass every object through `project()`, so the same cluster
state gives the same snapshot either way. `project()` is idempotent (projecting a projected object
changes nothing), which is what lets a saved bundle be read back through the same code.

Rule authors (SI1xx-SI7xx): this docstring is the list of what a snapshot object holds. If a rule
needs a field that is dropped here, add it here (and to the unit test) rather than reading around it.

Everywhere
  * `apiVersion` and `kind` are set from snapshot.RESOURCES (API LIST items carry neither).
  * `metadata.managedFields` and the `kubectl.kubernetes.io/last-applied-configuration` annotation
    are dropped; keys whose value is null are dropped.

Pods (`pods`)
  * metadata: name, generateName, namespace, uid, creationTimestamp, deletionTimestamp, labels,
    annotations, ownerReferences (apiVersion, kind, name, uid, controller).
  * spec: hostNetwork, nodeName, serviceAccountName, automountServiceAccountToken, restartPolicy,
    securityContext, containers and initContainers with name, image,
    ports, resources, securityContext, restartPolicy (native sidecars), volumeMounts (name,
    mountPath). command, args and env (name, value) are kept ONLY for the kube-apiserver static pod
    (namespace kube-system, label component=kube-apiserver), which SI208/SI703 read; env (name,
    value; never valueFrom) also for mesh control-plane pods and templates (labels app=istiod,
    istio=pilot or linkerd.io/control-plane-component), whose settings the mesh model reads
    (ENABLE_NATIVE_SIDECARS, INJECT_ENABLED, ...).
  * status: phase, reason, conditions (type, status, reason), containerStatuses and
    initContainerStatuses with name, ready, started, restartCount, image, state and lastState
    (running.startedAt; waiting.reason/message; terminated.reason/message/exitCode/startedAt/
    finishedAt).
  * dropped: volumes (no check reads a pod's; volumeMounts are kept), env, envFrom, probes, lifecycle,
    affinity, tolerations, imagePullSecrets, podIP, ...

Workloads (`deployments`, `replicasets`, `statefulsets`, `daemonsets`, `jobs`, `cronjobs`)
  * metadata as for pods plus resourceVersion and generation.
  * spec: replicas, selector, template (metadata labels/annotations; spec as a pod spec above, plus
    `volumes` complete, which the dry-run probe sends and pods do not keep);
    Jobs also completions, parallelism, backoffLimit, suspend; CronJobs schedule, suspend,
    concurrencyPolicy and jobTemplate (metadata labels/annotations, spec as a Job spec).
  * status: every scalar field (replicas, readyReplicas, availableReplicas, observedGeneration,
    numberReady, desiredNumberScheduled, active, succeeded, failed, lastScheduleTime, ...),
    conditions (type, status, reason, message) and, for CronJobs, active (kind, namespace, name, uid).

Events (`events`): metadata (name, namespace, uid, creationTimestamp), involvedObject (apiVersion,
kind, namespace, name, uid, fieldPath), reason, message, type, count, firstTimestamp, lastTimestamp,
eventTime, series, action, source, reportingComponent, reportingInstance. Only Warning events and
`InjectionSkipped` events are kept (`keep_event`; live gathering filters the same on the server).

Nodes (`nodes`): metadata (name, uid, creationTimestamp, labels, annotations whose key starts with
one of NODE_ANNOTATION_PREFIXES: platform and CNI markers only), spec (providerID, podCIDR,
podCIDRs, unschedulable), status (nodeInfo, addresses: no ExternalIP is how a private GKE node shows).

Namespaces: metadata (as for workloads) and status.phase.

ConfigMaps: metadata and data, and only the mesh ConfigMaps (`keep_configmap`): istio-sidecar-injector
[-<rev>], istio[-<rev>] mesh config (has a `mesh` key), istio-ca-root-cert, linkerd-config,
linkerd-identity-trust-roots, linkerd-cni-config. binaryData is dropped.

Secrets: reduced by certificates_reduce.reduce_secret (public certificates only), and only the
names in CERT_SECRET_NAMES.

Snapshot objects are read-only: identical small values (a container's ports, resources,
securityContext and volumeMounts, a pod's securityContext and conditions) are stored once and shared
between the objects that carry them (`shared`), which keeps a 50,000-pod snapshot about a third
smaller. Serialising, copying and comparing are unaffected; mutating one in place is not allowed.

Everything else (webhook configurations, services, endpoints, endpointslices, networkpolicies,
resourcequotas, limitranges, roles, rolebindings, clusterroles, clusterrolebindings) is kept
complete apart from the metadata clean-up above.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import RESOURCES
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.secrets import (
    reduce_secret,
)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# Node annotations worth keeping: platform (GKE, EKS, AKS, OpenShift, k3s/rke2, kubeadm) and CNI
# markers (an overlay CNI on EKS is why the control plane cannot reach webhook pods, SI305).
NODE_ANNOTATION_PREFIXES = (
    "container.googleapis.com/",
    "node.gke.io/",
    "eks.amazonaws.com/",
    "kubernetes.azure.com/",
    "machine.openshift.io/",
    "machineconfiguration.openshift.io/",
    "k3s.io/",
    "rke2.io/",
    "kubeadm.alpha.kubernetes.io/",
    "projectcalico.org/",
    "flannel.alpha.coreos.com/",
    "io.cilium.",
    "cilium.io/",
    "alpha.kubernetes.io/provided-node-ip",
)

# Certificate secrets read by name in the mesh control-plane namespaces (SI404-SI407).
ISTIO_CERT_SECRETS = ("istio-ca-secret", "cacerts")
# Istio <= 1.5: Citadel's certificate for the separate injector, which serves it (read only where a
# legacy control plane runs, so modern installs cost no extra GET)
ISTIO_LEGACY_CERT_SECRETS = ("istio.istio-sidecar-injector-service-account",)
# Istio <= 1.5 control planes run these instead of istiod (their namespace holds the CA secrets)
ISTIO_LEGACY_DEPLOYMENTS = ("istio-sidecar-injector", "istio-citadel", "istio-pilot")
LINKERD_CERT_SECRETS = (
    "linkerd-proxy-injector-k8s-tls",
    "linkerd-proxy-injector-tls",  # pre-2.9 name, still `linkerd check`'s fallback
    "linkerd-sp-validator-k8s-tls",
    "linkerd-policy-validator-k8s-tls",
    "linkerd-identity-issuer",
    "linkerd-trust-anchor",
)
CERT_SECRET_NAMES = ISTIO_CERT_SECRETS + ISTIO_LEGACY_CERT_SECRETS + LINKERD_CERT_SECRETS

MESH_CONFIGMAP_NAMES = frozenset(
    ("istio-ca-root-cert", "linkerd-config", "linkerd-identity-trust-roots", "linkerd-cni-config")
)
_INJECTOR_CONFIGMAP = re.compile(r"^istio-sidecar-injector(-[a-z0-9.-]+)?$")
_MESH_CONFIG = re.compile(r"^istio(-[a-z0-9.-]+)?$")

_POD_META = (
    "name",
    "generateName",
    "namespace",
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
)
_OBJ_META = _POD_META + ("resourceVersion", "generation")
_OWNER_REF = ("apiVersion", "kind", "name", "uid", "controller")
_POD_SPEC = ("hostNetwork", "nodeName", "serviceAccountName", "automountServiceAccountToken", "restartPolicy")
_CONTAINER = ("name", "image", "ports", "resources", "securityContext", "restartPolicy")
_APISERVER_EXTRA = ("command", "args")
_CONTAINER_STATUS = ("name", "ready", "started", "restartCount", "image")
_TERMINATED = ("reason", "message", "exitCode", "startedAt", "finishedAt")
_WAITING = ("reason", "message")
_CONDITION_SHORT = ("type", "status", "reason")
_CONDITION = ("type", "status", "reason", "message")
_EVENT = (
    "reason",
    "message",
    "type",
    "count",
    "firstTimestamp",
    "lastTimestamp",
    "eventTime",
    "series",
    "action",
    "source",
    "reportingComponent",
    "reportingInstance",
)
_EVENT_META = ("name", "namespace", "uid", "creationTimestamp")
_INVOLVED = ("apiVersion", "kind", "namespace", "name", "uid", "fieldPath")
_NODE_META = ("name", "uid", "creationTimestamp")
_NODE_SPEC = ("providerID", "podCIDR", "podCIDRs", "unschedulable")
_JOB_SPEC = ("completions", "parallelism", "backoffLimit", "suspend")
_CRONJOB_SPEC = ("schedule", "suspend", "concurrencyPolicy")
_ACTIVE_REF = ("kind", "namespace", "name", "uid")

_intern = sys.intern


_SHARED_MAX = 20000
# One encoder made once: json.dumps(..., separators=...) would build a new encoder per call.
_KEY = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


class Memo(object):
    """Per-run store of small values that repeat across objects (pods of one template share their
    containers' resources, ports, condition lists ...): each is kept once. Bounded, so unique values
    cost at most the cap. One per gathering or loading run, never shared between runs."""

    def __init__(self, limit: int = _SHARED_MAX) -> None:
        self.limit = limit
        self.values: Dict[str, Any] = {}
        self.conditions: Dict[tuple, List[Dict[str, Any]]] = {}

    def shared(self, value: Any) -> Any:
        if not value:
            return value
        key = _KEY(value)
        found = self.values.get(key)
        if found is not None:
            return found
        if len(self.values) < self.limit:
            self.values[key] = value
        return value

    def pod_conditions(self, conditions: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Pod conditions (type, status, reason): nearly every pod has one of a few sets."""
        key = tuple((c.get("type"), c.get("status"), c.get("reason")) for c in conditions)
        found = self.conditions.get(key)
        if found is None:
            found = _conditions(conditions, _CONDITION_SHORT)
            if len(self.conditions) < self.limit:
                self.conditions[key] = found
        return found


def _pick(src: Dict[str, Any], keys: tuple) -> Dict[str, Any]:
    out = {}
    for key in keys:
        value = src.get(key)
        if value is not None:
            out[key] = value
    return out


def _strings(mapping: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Labels/annotations with shared key and value strings: the same few hundred strings repeat
    across tens of thousands of pods, and interning them keeps a large snapshot small."""
    if not mapping:
        return mapping
    return {_intern(k): (_intern(v) if isinstance(v, str) and len(v) < 256 else v) for k, v in mapping.items()}


def _annotations(meta: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    annotations = meta.get("annotations")
    if annotations and LAST_APPLIED in annotations:
        annotations = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return _strings(annotations)


def _metadata(meta: Optional[Dict[str, Any]], keys: tuple) -> Dict[str, Any]:
    meta = meta or {}
    out = _pick(meta, keys)
    if "namespace" in out:
        out["namespace"] = _intern(out["namespace"])
    labels = meta.get("labels")
    if labels is not None:
        out["labels"] = _strings(labels)
    annotations = _annotations(meta)
    if annotations is not None:
        out["annotations"] = annotations
    owners = meta.get("ownerReferences")
    if owners is not None:
        out["ownerReferences"] = [_pick(ref, _OWNER_REF) for ref in owners]
    return out


def _full_metadata(meta: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """All metadata except managedFields and the last-applied annotation."""
    out = {k: v for k, v in (meta or {}).items() if k != "managedFields" and k != "annotations" and v is not None}
    annotations = _annotations(meta or {})
    if annotations is not None:
        out["annotations"] = annotations
    return out


def _header(resource: str) -> Dict[str, Any]:
    spec = RESOURCES[resource]
    return {"apiVersion": spec.api_version, "kind": spec.kind}


# ---- pods and pod templates -------------------------------------------------------------------


def _container(container: Dict[str, Any], extra: str, memo: Memo) -> Dict[str, Any]:
    out = _pick(container, _CONTAINER)
    if "image" in out:
        out["image"] = _intern(out["image"])
    if "name" in out:
        out["name"] = _intern(out["name"])
    for key in ("ports", "resources", "securityContext"):
        if key in out:
            out[key] = memo.shared(out[key])
    mounts = container.get("volumeMounts")
    if mounts is not None:
        out["volumeMounts"] = memo.shared([_pick(m, ("name", "mountPath")) for m in mounts])
    if extra == APISERVER:
        out.update(_pick(container, _APISERVER_EXTRA))
    if extra:
        env = container.get("env")
        if env is not None:
            out["env"] = [_pick(e, ("name", "value")) for e in env]
    return out


def _pod_spec(spec: Optional[Dict[str, Any]], extra: str, memo: Memo) -> Dict[str, Any]:
    spec = spec or {}
    out = _pick(spec, _POD_SPEC)
    security = spec.get("securityContext")
    if security is not None:
        out["securityContext"] = memo.shared(security)
    for key in ("initContainers", "containers"):
        containers = spec.get(key)
        if containers is not None:
            out[key] = [_container(c, extra, memo) for c in containers]
    return out


def _state(state: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if state is None:
        return None
    out: Dict[str, Any] = {}
    if "running" in state:
        out["running"] = _pick(state["running"] or {}, ("startedAt",))
    if "waiting" in state:
        out["waiting"] = _pick(state["waiting"] or {}, _WAITING)
    if "terminated" in state:
        out["terminated"] = _pick(state["terminated"] or {}, _TERMINATED)
    return out


def _container_status(status: Dict[str, Any]) -> Dict[str, Any]:
    out = _pick(status, _CONTAINER_STATUS)
    if "image" in out:
        out["image"] = _intern(out["image"])
    for key in ("state", "lastState"):
        state = _state(status.get(key))
        if state is not None:
            out[key] = state
    return out


def _conditions(conditions: List[Dict[str, Any]], keys: tuple) -> List[Dict[str, Any]]:
    return [_pick(c, keys) for c in conditions]


def _pod_status(status: Dict[str, Any], memo: Memo) -> Dict[str, Any]:
    out = _pick(status, ("phase", "reason"))
    conditions = status.get("conditions")
    if conditions is not None:
        out["conditions"] = memo.pod_conditions(conditions)
    for key in ("initContainerStatuses", "containerStatuses"):
        statuses = status.get(key)
        if statuses is not None:
            out[key] = [_container_status(s) for s in statuses]
    return out


APISERVER = "kube-apiserver"
MESH_COMPONENT = "mesh-control-plane"


def is_apiserver_pod(obj: Dict[str, Any]) -> bool:
    """The kube-apiserver static (mirror) pod, whose flags and env SI208/SI703 read."""
    meta = obj.get("metadata") or {}
    return meta.get("namespace") == "kube-system" and (meta.get("labels") or {}).get("component") == "kube-apiserver"


def is_mesh_component(labels: Optional[Dict[str, Any]]) -> bool:
    """istiod or a Linkerd control-plane component (the mesh model reads their env)."""
    labels = labels or {}
    return (
        labels.get("app") == "istiod"
        or labels.get("istio") == "pilot"
        or "linkerd.io/control-plane-component" in labels
    )


def _extra(obj: Dict[str, Any], template_labels: Optional[Dict[str, Any]] = None) -> str:
    if is_apiserver_pod(obj):
        return APISERVER
    if is_mesh_component((obj.get("metadata") or {}).get("labels")) or is_mesh_component(template_labels):
        return MESH_COMPONENT
    return ""


def project_pod(obj: Dict[str, Any], memo: Memo) -> Dict[str, Any]:
    out = _header("pods")
    out["metadata"] = _metadata(obj.get("metadata"), _POD_META)
    out["spec"] = _pod_spec(obj.get("spec"), _extra(obj), memo)
    status = obj.get("status")
    if status is not None:
        out["status"] = _pod_status(status, memo)
    return out


def _template(template: Optional[Dict[str, Any]], owner: Dict[str, Any], memo: Memo) -> Dict[str, Any]:
    template = template or {}
    meta = template.get("metadata") or {}
    out = {"metadata": _metadata(meta, ())}  # labels/annotations only
    spec = template.get("spec") or {}
    out["spec"] = _pod_spec(spec, _extra(owner, meta.get("labels")), memo)
    # templates keep their volumes (pods do not): the dry-run probe sends the template's shape, and
    # Pod Security and an injector's user-volume options judge volumes; templates are few, pods many
    if spec.get("volumes") is not None:
        out["spec"]["volumes"] = memo.shared(spec["volumes"])
    return out


# ---- workloads --------------------------------------------------------------------------------


def _job_spec(spec: Dict[str, Any], owner: Dict[str, Any], memo: Memo) -> Dict[str, Any]:
    out = _pick(spec, _JOB_SPEC)
    if spec.get("selector") is not None:
        out["selector"] = spec["selector"]
    if "template" in spec:
        out["template"] = _template(spec.get("template"), owner, memo)
    return out


def _workload_status(status: Dict[str, Any], kind: str) -> Dict[str, Any]:
    out = {k: v for k, v in status.items() if v is not None and not isinstance(v, (dict, list))}
    conditions = status.get("conditions")
    if conditions is not None:
        out["conditions"] = _conditions(conditions, _CONDITION)
    if kind == "CronJob" and status.get("active") is not None:
        out["active"] = [_pick(ref, _ACTIVE_REF) for ref in status["active"]]
    return out


def project_workload(resource: str, obj: Dict[str, Any], memo: Memo) -> Dict[str, Any]:
    out = _header(resource)
    kind = out["kind"]
    out["metadata"] = _metadata(obj.get("metadata"), _OBJ_META)
    spec = obj.get("spec") or {}
    if kind == "Job":
        new_spec = _job_spec(spec, obj, memo)
    elif kind == "CronJob":
        new_spec = _pick(spec, _CRONJOB_SPEC)
        job = spec.get("jobTemplate")
        if job is not None:
            new_spec["jobTemplate"] = {
                "metadata": _metadata(job.get("metadata"), ()),
                "spec": _job_spec(job.get("spec") or {}, obj, memo),
            }
    else:
        new_spec = _pick(spec, ("replicas", "selector"))
        if "template" in spec:
            new_spec["template"] = _template(spec.get("template"), obj, memo)
    out["spec"] = new_spec
    status = obj.get("status")
    if status is not None:
        out["status"] = _workload_status(status, kind)
    return out


# ---- the rest ---------------------------------------------------------------------------------


def keep_event(obj: Dict[str, Any]) -> bool:
    """Warning events, plus Linkerd's `InjectionSkipped` (type Normal) that explains a skip."""
    return obj.get("type") == "Warning" or obj.get("reason") == "InjectionSkipped"


def project_event(obj: Dict[str, Any]) -> Dict[str, Any]:
    out = _header("events")
    out["metadata"] = _pick(obj.get("metadata") or {}, _EVENT_META)
    involved = obj.get("involvedObject")
    if involved is not None:
        out["involvedObject"] = _pick(involved, _INVOLVED)
    out.update(_pick(obj, _EVENT))
    return out


def project_node(obj: Dict[str, Any]) -> Dict[str, Any]:
    out = _header("nodes")
    meta = obj.get("metadata") or {}
    new_meta = _pick(meta, _NODE_META)
    if meta.get("labels") is not None:
        new_meta["labels"] = meta["labels"]
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k.startswith(NODE_ANNOTATION_PREFIXES)}
    if annotations:
        new_meta["annotations"] = annotations
    out["metadata"] = new_meta
    out["spec"] = _pick(obj.get("spec") or {}, _NODE_SPEC)
    status = obj.get("status") or {}
    out["status"] = _pick(status, ("nodeInfo", "addresses"))
    return out


def _label_managers(meta: Any) -> List[Dict[str, Any]]:
    """The managedFields entries that own labels, reduced to who, when and which labels: when a
    namespace was labelled tells a pod that predates its injection label from one a skipped webhook
    let through (SI208)."""
    out = []
    for entry in (meta or {}).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        fields = ((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get("f:labels")
        if not isinstance(fields, dict) or not entry.get("time"):
            continue
        out.append(
            {
                "manager": entry.get("manager") or "",
                "operation": entry.get("operation") or "",
                "time": entry["time"],
                "fieldsV1": {"f:metadata": {"f:labels": {k: {} for k in sorted(fields)}}},
            }
        )
    return out


def project_namespace(obj: Dict[str, Any]) -> Dict[str, Any]:
    out = _header("namespaces")
    out["metadata"] = _metadata(obj.get("metadata"), _OBJ_META)
    managers = _label_managers(obj.get("metadata"))
    if managers:
        out["metadata"]["managedFields"] = managers
    phase = (obj.get("status") or {}).get("phase")
    if phase is not None:
        out["status"] = {"phase": phase}
    return out


def keep_configmap(obj: Dict[str, Any]) -> bool:
    """Only the mesh ConfigMaps: injector config and values, mesh config, roots, linkerd-config."""
    name = (obj.get("metadata") or {}).get("name") or ""
    if name in MESH_CONFIGMAP_NAMES or _INJECTOR_CONFIGMAP.match(name):
        return True
    # istio / istio-<rev> hold the mesh config; other istio-* ConfigMaps (leader election) do not.
    return bool(_MESH_CONFIG.match(name)) and "mesh" in (obj.get("data") or {})


def project_configmap(obj: Dict[str, Any]) -> Dict[str, Any]:
    out = _header("configmaps")
    out["metadata"] = _metadata(obj.get("metadata"), _OBJ_META)
    if obj.get("data") is not None:
        out["data"] = obj["data"]
    return out


def keep_secret(obj: Dict[str, Any]) -> bool:
    return (obj.get("metadata") or {}).get("name") in CERT_SECRET_NAMES


def project_complete(resource: str, obj: Dict[str, Any]) -> Dict[str, Any]:
    out = _header(resource)
    for key, value in obj.items():
        if key not in ("apiVersion", "kind", "metadata") and value is not None:
            out[key] = value
    out["metadata"] = _full_metadata(obj.get("metadata"))
    return out


_WORKLOADS = frozenset(("deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"))


def project(resource: str, obj: Dict[str, Any], memo: Optional[Memo] = None) -> Dict[str, Any]:
    """The snapshot form of one raw object of `resource` (a snapshot.RESOURCES key). Pass the run's
    Memo so repeated values are stored once; without one nothing is shared."""
    if resource == "pods":
        return project_pod(obj, memo or Memo(0))
    if resource in _WORKLOADS:
        return project_workload(resource, obj, memo or Memo(0))
    if resource == "events":
        return project_event(obj)
    if resource == "nodes":
        return project_node(obj)
    if resource == "namespaces":
        return project_namespace(obj)
    if resource == "configmaps":
        return project_configmap(obj)
    if resource == "secrets":
        return reduce_secret(obj)
    return project_complete(resource, obj)


def keep(resource: str, obj: Dict[str, Any]) -> bool:
    """Whether an object of `resource` belongs in a snapshot at all (same test live and offline)."""
    if resource == "events":
        return keep_event(obj)
    if resource == "configmaps":
        return keep_configmap(obj)
    if resource == "secrets":
        return keep_secret(obj)
    return True


def sort_key(obj: Dict[str, Any]) -> tuple:
    """Snapshot lists are ordered by namespace, then name (the API server's own LIST order)."""
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")
