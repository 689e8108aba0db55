"""Server-side printing: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` answers a meta.k8s.io/v1
Table with the columns kube-apiserver's printers (pkg/printers/internalversion) use for each kind, the
wide columns marked priority 1 (kubectl shows them with -o wide), and each row's object as
PartialObjectMetadata (`includeObject=Metadata`, the default; `Object` or `None` on request) - kubectl
builds its NAMESPACE, -L and --show-labels columns from that. Custom resources print their CRD's
additionalPrinterColumns (JSONPath subset: fields, [n], [*], [?(@.k=="v")]), else Name and Age.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from .resources import ResourceType

Row = list[Any]
Printer = Callable[[dict], Row]

NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More "
    "info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)


def wants_table(accept: str) -> str | None:
    """The meta.k8s.io version of the first Table media type the client accepts (None: it wants objects)."""
    for part in accept.split(","):
        params = dict(p.strip().partition("=")[::2] for p in part.split(";")[1:])
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return params["v"]
    return None


# ---------------------------------------------------------------------- durations (apimachinery HumanDuration)


def human_duration(seconds: float) -> str:
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _parse_time(value: Any) -> dt.datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def since(value: Any) -> str:
    """translateTimestampSince: "<unknown>" for a missing time."""
    moment = _parse_time(value)
    if moment is None:
        return "<unknown>"
    return human_duration((dt.datetime.now(dt.timezone.utc) - moment).total_seconds())


# ---------------------------------------------------------------------- per-kind printers


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _age(obj: dict) -> str:
    return since(_meta(obj).get("creationTimestamp"))


def _restartable(container: dict | None) -> bool:
    return bool(container) and container.get("restartPolicy") == "Always"  # type: ignore[union-attr]


def _pod(pod: dict) -> Row:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    containers = spec.get("containers") or []
    total, ready, restarts = len(containers), 0, 0
    sidecar_restarts = 0
    last_restart: dt.datetime | None = None
    last_sidecar_restart: dt.datetime | None = None
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or ():
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    inits = {c.get("name"): c for c in spec.get("initContainers") or ()}
    total += sum(1 for c in inits.values() if _restartable(c))

    def finished(cs: dict) -> dt.datetime | None:
        return _parse_time(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))

    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        restarts += int(cs.get("restartCount") or 0)
        done = finished(cs)
        if done and (last_restart is None or done > last_restart):
            last_restart = done
        if _restartable(inits.get(cs.get("name"))):
            sidecar_restarts += int(cs.get("restartCount") or 0)
            if done and (last_sidecar_restart is None or done > last_sidecar_restart):
                last_sidecar_restart = done
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if _restartable(inits.get(cs.get("name"))) and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            if terminated.get("reason"):
                reason = "Init:" + terminated["reason"]
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or ())}"
        initializing = True
        break
    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in status.get("conditions") or ()
    )
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            done = finished(cs)
            if done and (last_restart is None or done > last_restart):
                last_restart = done
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated is not None:
                reason = (
                    f"Signal:{terminated['signal']}"
                    if terminated.get("signal")
                    else f"ExitCode:{terminated.get('exitCode', 0)}"
                )
            elif cs.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            has_ready = any(
                c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ()
            )
            reason = "Running" if has_ready else "NotReady"
    if _meta(pod).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"
    shown = str(restarts)
    if restarts and last_restart is not None:
        shown = f"{restarts} ({human_duration((dt.datetime.now(dt.timezone.utc) - last_restart).total_seconds())} ago)"
    ips = status.get("podIPs") or []
    gates = spec.get("readinessGates") or []
    gate_text = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in status.get("conditions") or ()}
        gate_text = f"{sum(1 for g in gates if conds.get(g.get('conditionType')) == 'True')}/{len(gates)}"
    return [
        _meta(pod).get("name"),
        f"{ready}/{total}",
        reason,
        shown,
        _age(pod),
        (ips[0].get("ip") if ips else None) or status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gate_text,
    ]


def _containers(template_spec: dict) -> tuple[str, str]:
    containers = template_spec.get("containers") or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)


def _selector_text(selector: Any) -> str:
    if not isinstance(selector, dict) or not selector:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        op, key, values = expr.get("operator"), expr.get("key"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(sorted(values))})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(sorted(values))})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) if parts else "<none>"


def _workload_tail(obj: dict, selector: bool = True) -> list[Any]:
    spec = obj.get("spec") or {}
    names, images = _containers(((spec.get("template") or {}).get("spec")) or {})
    tail: list[Any] = [names, images]
    if selector:
        tail.append(_selector_text(spec.get("selector")))
    return tail


def _deployment(obj: dict) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [
        _meta(obj).get("name"),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        _age(obj),
        *_workload_tail(obj),
    ]


def _replicaset(obj: dict) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [
        _meta(obj).get("name"),
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        _age(obj),
        *_workload_tail(obj),
    ]


def _statefulset(obj: dict) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [
        _meta(obj).get("name"),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        _age(obj),
        *_workload_tail(obj, selector=False),
    ]


def _daemonset(obj: dict) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
    return [
        _meta(obj).get("name"),
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        ",".join(f"{k}={v}" for k, v in sorted(node_selector.items())) or "<none>",
        _age(obj),
        *_workload_tail(obj),
    ]


def _job_status(status: dict) -> str:
    conds = {c.get("type"): c.get("status") for c in status.get("conditions") or ()}
    if conds.get("Complete") == "True":
        return "Complete"
    if conds.get("Failed") == "True":
        return "Failed"
    if _meta(status).get("deletionTimestamp"):
        return "Terminating"
    if conds.get("FailureTarget") == "True":
        return "FailureTarget"
    if conds.get("Suspended") == "True":
        return "Suspended"
    return "Running"


def _job(obj: dict) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    completions = spec.get("completions")
    parallelism = spec.get("parallelism", 1)
    if completions is not None:
        shown = f"{status.get('succeeded', 0)}/{completions}"
    elif parallelism and parallelism > 1:
        shown = f"{status.get('succeeded', 0)}/1 of {parallelism}"
    else:
        shown = f"{status.get('succeeded', 0)}/1"
    start, end = _parse_time(status.get("startTime")), _parse_time(status.get("completionTime"))
    if start is None:
        duration = ""
    else:
        duration = human_duration(((end or dt.datetime.now(dt.timezone.utc)) - start).total_seconds())
    state = _job_status(dict(status, metadata=_meta(obj)))
    return [_meta(obj).get("name"), state, shown, duration, _age(obj), *_workload_tail(obj)]


def _cronjob(obj: dict) -> Row:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    template = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = _containers(((template.get("template") or {}).get("spec")) or {})
    last = status.get("lastScheduleTime")
    return [
        _meta(obj).get("name"),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        "True" if spec.get("suspend") else "False",
        len(status.get("active") or ()),
        since(last) if last else "<none>",
        _age(obj),
        names,
        images,
        _selector_text(template.get("selector")),
    ]


def _service(obj: dict) -> Row:
    spec = obj.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    external = "<none>"
    if kind == "ExternalName":
        external = spec.get("externalName") or "<none>"
    else:
        ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        ips = list(spec.get("externalIPs") or ()) + [i.get("ip") or i.get("hostname") for i in ingress]
        if ips:
            external = ",".join(str(i) for i in ips if i)
        elif kind == "LoadBalancer":
            external = "<pending>"
    ports = []
    for port in spec.get("ports") or ():
        text = f"{port.get('port')}/{port.get('protocol', 'TCP')}"
        if port.get("nodePort"):
            text = f"{port.get('port')}:{port['nodePort']}/{port.get('protocol', 'TCP')}"
        ports.append(text)
    selector = spec.get("selector") or {}
    return [
        _meta(obj).get("name"),
        kind,
        spec.get("clusterIP") or "<none>",
        external,
        ",".join(ports) or "<none>",
        _age(obj),
        ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>",
    ]


def _endpoints(obj: dict) -> Row:
    shown: list[str] = []
    count = 0
    for subset in obj.get("subsets") or ():
        ports = subset.get("ports") or [{}]
        for addr in subset.get("addresses") or ():
            for port in ports:
                count += 1
                if len(shown) < 3:
                    shown.append(f"{addr.get('ip')}:{port.get('port')}" if port.get("port") else str(addr.get("ip")))
    text = ",".join(shown) if shown else "<none>"
    if count > 3:
        text += f" + {count - 3} more..."
    return [_meta(obj).get("name"), text, _age(obj)]


def _endpointslice(obj: dict) -> Row:
    ports = [str(p.get("port")) for p in obj.get("ports") or () if p.get("port") is not None]
    addresses = [a for e in obj.get("endpoints") or () for a in e.get("addresses") or ()]
    text = ",".join(addresses[:3]) if addresses else "<unset>"
    if len(addresses) > 3:
        text += f" + {len(addresses) - 3} more..."
    return [_meta(obj).get("name"), obj.get("addressType", ""), ",".join(ports) or "<unset>", text, _age(obj)]


def _event(obj: dict) -> Row:
    series = obj.get("series") or {}
    if series.get("lastObservedTime"):
        last = since(series["lastObservedTime"])
    elif obj.get("lastTimestamp"):
        last = since(obj["lastTimestamp"])
    else:
        last = since(obj.get("eventTime"))
    first = since(obj.get("firstTimestamp") or obj.get("eventTime"))
    involved = obj.get("involvedObject") or {}
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    source_text = f"{component}, {host}" if host else component
    return [
        last,
        obj.get("type", ""),
        obj.get("reason", ""),
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        involved.get("fieldPath", ""),
        source_text,
        str(obj.get("message", "")).strip(),
        first,
        series.get("count") or obj.get("count") or 0,
        _meta(obj).get("name"),
    ]


def _node(obj: dict) -> Row:
    status = obj.get("status") or {}
    conds = {c.get("type"): c.get("status") for c in status.get("conditions") or ()}
    state = "Ready" if conds.get("Ready") == "True" else ("NotReady" if "Ready" in conds else "Unknown")
    if (obj.get("spec") or {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(
        k.split("/", 1)[1] or "" for k in (_meta(obj).get("labels") or {}) if k.startswith("node-role.kubernetes.io/")
    )
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or ()}
    info = status.get("nodeInfo") or {}
    return [
        _meta(obj).get("name"),
        state,
        ",".join(r for r in roles if r) or "<none>",
        _age(obj),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP") or "<none>",
        addresses.get("ExternalIP") or "<none>",
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _webhooks(obj: dict) -> Row:
    return [_meta(obj).get("name"), len(obj.get("webhooks") or ()), _age(obj)]


def _created_at(obj: dict) -> Row:
    return [_meta(obj).get("name"), _meta(obj).get("creationTimestamp") or "<unknown>"]


def _binding(obj: dict) -> Row:
    ref = obj.get("roleRef") or {}
    users, groups, sas = [], [], []
    for subject in obj.get("subjects") or ():
        kind = subject.get("kind")
        if kind == "User":
            users.append(subject.get("name", ""))
        elif kind == "Group":
            groups.append(subject.get("name", ""))
        elif kind == "ServiceAccount":
            sas.append(f"{subject.get('namespace', '')}/{subject.get('name', '')}")
    return [
        _meta(obj).get("name"),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        _age(obj),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    ]


def _quota(obj: dict) -> Row:
    status = obj.get("status") or {}
    hard, used = status.get("hard") or (obj.get("spec") or {}).get("hard") or {}, status.get("used") or {}
    requests: list[str] = []
    limits: list[str] = []
    for key in sorted(hard):
        text = f"{key}: {used.get(key, '0')}/{hard[key]}"
        (limits if key.startswith("limits.") else requests).append(text)
    return [_meta(obj).get("name"), _age(obj), ", ".join(requests), ", ".join(limits)]


def _col(name: str, kind: str = "string", priority: int = 0, fmt: str = "", doc: str = "") -> dict[str, Any]:
    return {"name": name, "type": kind, "format": fmt, "description": doc, "priority": priority}


NAME = _col("Name", fmt="name", doc=NAME_DOC)
AGE = _col("Age", doc=AGE_DOC)
WORKLOAD_WIDE = [_col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)]

PRINTERS: dict[str, tuple[list[dict[str, Any]], Printer]] = {
    "v1/pods": (
        [
            NAME,
            _col("Ready"),
            _col("Status"),
            _col("Restarts"),
            AGE,
            _col("IP", priority=1),
            _col("Node", priority=1),
            _col("Nominated Node", priority=1),
            _col("Readiness Gates", priority=1),
        ],
        _pod,
    ),
    "v1/namespaces": (
        [NAME, _col("Status"), AGE],
        lambda o: [_meta(o).get("name"), (o.get("status") or {}).get("phase", ""), _age(o)],
    ),
    "v1/nodes": (
        [
            NAME,
            _col("Status"),
            _col("Roles"),
            AGE,
            _col("Version"),
            _col("Internal-IP", priority=1),
            _col("External-IP", priority=1),
            _col("OS-Image", priority=1),
            _col("Kernel-Version", priority=1),
            _col("Container-Runtime", priority=1),
        ],
        _node,
    ),
    "v1/services": (
        [
            NAME,
            _col("Type"),
            _col("Cluster-IP"),
            _col("External-IP"),
            _col("Port(s)"),
            AGE,
            _col("Selector", priority=1),
        ],
        _service,
    ),
    "v1/endpoints": ([NAME, _col("Endpoints"), AGE], _endpoints),
    "v1/configmaps": (
        [NAME, _col("Data", "integer"), AGE],
        lambda o: [_meta(o).get("name"), len(o.get("data") or {}) + len(o.get("binaryData") or {}), _age(o)],
    ),
    "v1/secrets": (
        [NAME, _col("Type"), _col("Data", "integer"), AGE],
        lambda o: [_meta(o).get("name"), o.get("type", "Opaque"), len(o.get("data") or {}), _age(o)],
    ),
    "v1/serviceaccounts": (
        [NAME, _col("Secrets", "integer"), AGE],
        lambda o: [_meta(o).get("name"), len(o.get("secrets") or ()), _age(o)],
    ),
    "v1/events": (
        [
            _col("Last Seen"),
            _col("Type"),
            _col("Reason"),
            _col("Object"),
            _col("Subobject", priority=1),
            _col("Source", priority=1),
            _col("Message"),
            _col("First Seen", priority=1),
            _col("Count", "integer", priority=1),
            _col("Name", priority=1),
        ],
        _event,
    ),
    "v1/resourcequotas": ([NAME, AGE, _col("Request"), _col("Limit")], _quota),
    "v1/limitranges": ([NAME, _col("Created At", "date")], _created_at),
    "apps/v1/deployments": (
        [NAME, _col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer"), AGE, *WORKLOAD_WIDE],
        _deployment,
    ),
    "apps/v1/replicasets": (
        [NAME, _col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"), AGE, *WORKLOAD_WIDE],
        _replicaset,
    ),
    "apps/v1/statefulsets": ([NAME, _col("Ready"), AGE, *WORKLOAD_WIDE[:2]], _statefulset),
    "apps/v1/daemonsets": (
        [
            NAME,
            _col("Desired", "integer"),
            _col("Current", "integer"),
            _col("Ready", "integer"),
            _col("Up-to-date", "integer"),
            _col("Available", "integer"),
            _col("Node Selector"),
            AGE,
            *WORKLOAD_WIDE,
        ],
        _daemonset,
    ),
    "batch/v1/jobs": (
        [NAME, _col("Status"), _col("Completions"), _col("Duration"), AGE, *WORKLOAD_WIDE],
        _job,
    ),
    "batch/v1/cronjobs": (
        [
            NAME,
            _col("Schedule"),
            _col("Timezone"),
            _col("Suspend", "boolean"),
            _col("Active", "integer"),
            _col("Last Schedule"),
            AGE,
            *WORKLOAD_WIDE,
        ],
        _cronjob,
    ),
    "discovery.k8s.io/v1/endpointslices": (
        [NAME, _col("AddressType"), _col("Ports"), _col("Endpoints"), AGE],
        _endpointslice,
    ),
    "networking.k8s.io/v1/networkpolicies": (
        [NAME, _col("Pod-Selector"), AGE],
        lambda o: [_meta(o).get("name"), _selector_text((o.get("spec") or {}).get("podSelector")), _age(o)],
    ),
    "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations": (
        [NAME, _col("Webhooks", "integer"), AGE],
        _webhooks,
    ),
    "admissionregistration.k8s.io/v1/validatingwebhookconfigurations": (
        [NAME, _col("Webhooks", "integer"), AGE],
        _webhooks,
    ),
    "rbac.authorization.k8s.io/v1/roles": ([NAME, _col("Created At", "date")], _created_at),
    "rbac.authorization.k8s.io/v1/clusterroles": ([NAME, _col("Created At", "date")], _created_at),
    "rbac.authorization.k8s.io/v1/rolebindings": (
        [
            NAME,
            _col("Role"),
            AGE,
            _col("Users", priority=1),
            _col("Groups", priority=1),
            _col("ServiceAccounts", priority=1),
        ],
        _binding,
    ),
    "rbac.authorization.k8s.io/v1/clusterrolebindings": (
        [
            NAME,
            _col("Role"),
            AGE,
            _col("Users", priority=1),
            _col("Groups", priority=1),
            _col("ServiceAccounts", priority=1),
        ],
        _binding,
    ),
    "apiextensions.k8s.io/v1/customresourcedefinitions": ([NAME, _col("Created At", "date")], _created_at),
}
PRINTERS["events.k8s.io/v1/events"] = PRINTERS["v1/events"]
DEFAULT: tuple[list[dict[str, Any]], Printer] = ([NAME, AGE], lambda o: [_meta(o).get("name"), _age(o)])


# ---------------------------------------------------------------------- JSONPath subset for printer columns

_STEP = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+|\*)\]|\[\?\(@\.([A-Za-z0-9_.\-]+)\s*==\s*['\"]([^'\"]*)['\"]\)\]")


def jsonpath(obj: Any, path: str) -> list[Any]:
    values = [obj]
    pos = 0
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None:
            return []
        pos = m.end()
        nxt: list[Any] = []
        for value in values:
            if m.group(1) is not None and isinstance(value, dict) and m.group(1) in value:
                nxt.append(value[m.group(1)])
            elif m.group(2) is not None and isinstance(value, list):
                if m.group(2) == "*":
                    nxt.extend(value)
                elif int(m.group(2)) < len(value):
                    nxt.append(value[int(m.group(2))])
            elif m.group(3) is not None and isinstance(value, list):
                for item in value:
                    found = jsonpath(item, "." + m.group(3))
                    if found and str(found[0]) == m.group(4):
                        nxt.append(item)
        values = nxt
    return values


def custom_printer(columns: list[dict]) -> tuple[list[dict[str, Any]], Printer]:
    if not columns:
        return DEFAULT
    defs = [NAME] + [
        _col(
            str(c.get("name", "")),
            str(c.get("type", "string")),
            int(c.get("priority") or 0),
            str(c.get("format") or ""),
            str(c.get("description") or ""),
        )
        for c in columns
    ]

    def cell(obj: dict, column: dict) -> Any:
        found = jsonpath(obj, str(column.get("jsonPath", "")))
        if not found:
            return None
        value = found[0]
        if column.get("type") == "date":
            return since(value)
        if isinstance(value, (dict, list)):
            import json

            return json.dumps(value, separators=(",", ":"))
        return value

    return defs, lambda o: [_meta(o).get("name")] + [cell(o, c) for c in columns]


# ---------------------------------------------------------------------- the Table


def partial_metadata(obj: dict) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": _meta(obj)}


def table(
    rt: ResourceType,
    objs: list[dict],
    list_meta: dict[str, Any],
    include: str = "Metadata",
    columns: list[dict] | None = None,
    version: str = "v1",
) -> dict[str, Any]:
    if rt.custom:
        defs, printer = custom_printer(columns or [])
    else:
        defs, printer = PRINTERS.get(rt.resource, DEFAULT)
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"cells": printer(obj)}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = partial_metadata(obj)
        phase = (obj.get("status") or {}).get("phase") if rt.resource == "v1/pods" else None
        if phase in ("Succeeded", "Failed"):
            row["conditions"] = [
                {
                    "type": "Completed",
                    "status": "True",
                    "reason": phase,
                    "message": "The pod has completed "
                    + ("successfully." if phase == "Succeeded" else "unsuccessfully."),
                }
            ]
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": list_meta,
        "columnDefinitions": defs,
        "rows": rows,
    }
