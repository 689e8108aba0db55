"""API defaulting, as kube-apiserver applies it when decoding a request (and again after mutating webhooks).

Only the defaults that show up in objects our code reads or that make no-op patches stay no-ops are applied;
every function mutates the (already copied) object in place and is idempotent.
"""

from __future__ import annotations

from typing import Any, Callable

POD_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
)


def _probe(probe: dict | None) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    if isinstance(probe.get("httpGet"), dict):
        probe["httpGet"].setdefault("scheme", "HTTP")


def _image_pull_policy(image: str) -> str:
    ref = image.rpartition("/")[2]
    if "@" in ref:
        return "IfNotPresent"
    tag = ref.partition(":")[2]
    return "Always" if not tag or tag == "latest" else "IfNotPresent"


def _container(c: dict) -> None:
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    if "image" in c:
        c.setdefault("imagePullPolicy", _image_pull_policy(str(c["image"])))
    c.setdefault("resources", {})
    for port in c.get("ports") or ():
        port.setdefault("protocol", "TCP")
    for env in c.get("env") or ():
        ref = (env.get("valueFrom") or {}).get("fieldRef")
        if isinstance(ref, dict):
            ref.setdefault("apiVersion", "v1")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(c.get(probe))


def pod_spec(spec: dict | None) -> None:
    if not isinstance(spec, dict):
        return
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            if isinstance(c, dict):
                _container(c)
    for vol in spec.get("volumes") or ():
        for src in ("secret", "configMap", "projected", "downwardAPI"):
            if isinstance(vol.get(src), dict):
                vol[src].setdefault("defaultMode", 420)


def _template(obj: dict, *path: str) -> None:
    cur: Any = obj
    for key in path:
        cur = cur.get(key) if isinstance(cur, dict) else None
    if isinstance(cur, dict):
        cur.setdefault("metadata", {})
        pod_spec(cur.get("spec"))


def pod(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)
    # Pods only (not templates): limits without requests default the requests to the limits.
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            res = c.get("resources") if isinstance(c, dict) else None
            if isinstance(res, dict) and res.get("limits"):
                requests = res.setdefault("requests", {})
                for name, value in res["limits"].items():
                    requests.setdefault(name, value)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    # ServiceAccount and DefaultTolerationSeconds admission: built in, before webhooks.
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    tolerations = spec.setdefault("tolerations", [])
    have = {t.get("key") for t in tolerations}
    for tol in POD_TOLERATIONS:
        if tol["key"] not in have:
            tolerations.append(dict(tol))


def _rolling(spec: dict, default: dict) -> None:
    strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        for k, v in default.items():
            rolling.setdefault(k, v)


def deployment(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _rolling(spec, {"maxSurge": "25%", "maxUnavailable": "25%"})
    _template(obj, "spec", "template")


def replicaset(obj: dict) -> None:
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    _template(obj, "spec", "template")


def statefulset(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    _template(obj, "spec", "template")


def daemonset(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    _template(obj, "spec", "template")


def job(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    _template(obj, "spec", "template")


def cronjob(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    jt = spec.setdefault("jobTemplate", {}).setdefault("spec", {})
    jt.setdefault("backoffLimit", 6)
    jt.setdefault("completionMode", "NonIndexed")
    jt.setdefault("suspend", False)
    _template(spec, "jobTemplate", "spec", "template")


def service(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    if spec["type"] == "ExternalName":
        return
    spec.setdefault("sessionAffinity", "None")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or ():
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")


def namespace(obj: dict) -> None:
    name = obj.get("metadata", {}).get("name")
    if name:
        # NamespaceDefaultLabelName: always set, so webhook namespaceSelectors can match on it.
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])


def _webhooks(obj: dict, mutating: bool) -> None:
    for hook in obj.get("webhooks") or ():
        hook.setdefault("failurePolicy", "Fail")
        hook.setdefault("matchPolicy", "Equivalent")
        hook.setdefault("namespaceSelector", {})
        hook.setdefault("objectSelector", {})
        hook.setdefault("timeoutSeconds", 10)
        if mutating:
            hook.setdefault("reinvocationPolicy", "Never")
        svc = (hook.get("clientConfig") or {}).get("service")
        if isinstance(svc, dict):
            svc.setdefault("port", 443)
        for rule in hook.get("rules") or ():
            rule.setdefault("scope", "*")


def secret(obj: dict) -> None:
    import base64

    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None)
    if string_data:
        data = obj.setdefault("data", {})
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def networkpolicy(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    if "policyTypes" not in spec:
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or ():
            for port in rule.get("ports") or ():
                port.setdefault("protocol", "TCP")


DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "v1/pods": pod,
    "v1/services": service,
    "v1/namespaces": namespace,
    "v1/secrets": secret,
    "apps/v1/deployments": deployment,
    "apps/v1/replicasets": replicaset,
    "apps/v1/statefulsets": statefulset,
    "apps/v1/daemonsets": daemonset,
    "batch/v1/jobs": job,
    "batch/v1/cronjobs": cronjob,
    "networking.k8s.io/v1/networkpolicies": networkpolicy,
    "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations": lambda o: _webhooks(o, True),
    "admissionregistration.k8s.io/v1/validatingwebhookconfigurations": lambda o: _webhooks(o, False),
}


_EMPTY_META = ("labels", "annotations", "finalizers", "ownerReferences")
_EMPTY_TOP = {"v1/configmaps": ("data", "binaryData"), "v1/secrets": ("data",)}


def apply_defaults(storage: str, obj: dict) -> dict:
    fn = DEFAULTERS.get(storage)
    if fn is not None:
        fn(obj)
    # Go maps and slices tagged omitempty vanish when empty; these are the ones clients commonly send empty.
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        for key in _EMPTY_META:
            if key in meta and not meta[key]:
                del meta[key]
    for key in _EMPTY_TOP.get(storage, ()):
        if key in obj and not obj[key]:
            del obj[key]
    return obj
