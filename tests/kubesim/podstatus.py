"""Pod status as a kubelet would report it, steered by annotations on the pod (or its template).

- `kubesim.meshops.io/pod-phase`: Pending | Running | Succeeded | Failed — an explicit override. Without it,
  pods that restart always are Running, and run-to-completion pods (restartPolicy Never/OnFailure: Job pods)
  have a life: their containers run, then exit (see below), and the pod completes when every regular
  container has exited — so a classic proxy container that never exits keeps a Job's pod Running after its
  app is done, while native sidecars (init containers with restartPolicy Always) are stopped by the kubelet.
- `kubesim.meshops.io/run-seconds: "2"`: how long the containers of a run-to-completion pod run before they
  exit 0 on their own (default 0.2; "never": only when told). `istio-proxy` and `linkerd-proxy` as regular
  containers are servers and never exit on their own.
- `kubesim.meshops.io/exit: "app=0,istio-proxy=137"`: those containers have exited with those codes (a name
  alone means 0), e.g. the test's stand-in for `curl -X POST localhost:15020/quitquitquit`.
- `kubesim.meshops.io/pod-ready: "false"`: Running, containers running but not ready.
- `kubesim.meshops.io/crashloop: "istio-proxy,app"`: those containers (init or regular) are in CrashLoopBackOff;
  a crash-looping ordinary init container keeps the pod Pending (Init:CrashLoopBackOff), as upstream.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

PHASE = "kubesim.meshops.io/pod-phase"
READY = "kubesim.meshops.io/pod-ready"
CRASHLOOP = "kubesim.meshops.io/crashloop"
RUN_SECONDS = "kubesim.meshops.io/run-seconds"
EXIT = "kubesim.meshops.io/exit"
ANNOTATIONS = (PHASE, READY, CRASHLOOP, RUN_SECONDS, EXIT)
DEFAULT_RUN_SECONDS = 0.2
# Classic sidecar proxies: servers that never exit by themselves.
LONG_RUNNING = frozenset({"istio-proxy", "linkerd-proxy"})
Exits = dict[str, tuple[int, str]]  # container name -> (exit code, finishedAt)


def runs_to_completion(pod: dict) -> bool:
    """A pod with a simulated life: it does not restart its containers and no phase is forced."""
    ann = pod["metadata"].get("annotations") or {}
    return (pod.get("spec") or {}).get("restartPolicy", "Always") != "Always" and not ann.get(PHASE)


def told_exits(pod: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in ((pod["metadata"].get("annotations") or {}).get(EXIT) or "").split(","):
        name, _, code = part.strip().partition("=")
        if name:
            out[name] = int(code) if code.strip().lstrip("-").isdigit() else 0
    return out


def run_seconds(pod: dict) -> float | None:
    """None: the containers run until told to exit."""
    value = (pod["metadata"].get("annotations") or {}).get(RUN_SECONDS)
    if value is None:
        return DEFAULT_RUN_SECONDS
    if value.strip().lower() == "never":
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return DEFAULT_RUN_SECONDS


def finishing(pod: dict) -> list[str]:
    """The regular containers that exit on their own once their run time is over."""
    return [
        c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or () if c.get("name") not in LONG_RUNNING
    ]


def completed_exits(pod: dict, at: str) -> Exits:
    """The exits of a run-to-completion pod whose run time is over (seeding: pods that ran before)."""
    exits: Exits = {name: (code, at) for name, code in told_exits(pod).items()}
    if run_seconds(pod) is not None:
        for name in finishing(pod):
            exits.setdefault(name, (0, at))
    return exits


def _cid(pod_uid: str, name: str) -> str:
    # 64 hex chars like a containerd id, derived cheaply from the pod uid and the container name.
    return f"containerd://{pod_uid.replace('-', '')}{_name_hex(name)}"


@lru_cache(maxsize=4096)
def _name_hex(name: str) -> str:
    return hashlib.md5(name.encode()).hexdigest()  # an identifier, not security


@lru_cache(maxsize=4096)
def _image_id(image: str) -> str:
    repo = image.partition("@")[0].rsplit(":", 1)[0] if ":" in image.rpartition("/")[2] else image
    return f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def _cond(kind: str, ok: bool, at: str, reason: str | None = None, message: str | None = None) -> dict:
    cond = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None, "lastTransitionTime": at}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def qos_class(spec: dict) -> str:
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    requests_any = limits_any = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        requests_any |= bool(req)
        limits_any |= bool(lim)
        for r in ("cpu", "memory"):
            if r not in lim or req.get(r, lim.get(r)) != lim.get(r):
                guaranteed = False
    if not requests_any and not limits_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def desired_phase(pod: dict) -> str:
    ann = pod["metadata"].get("annotations") or {}
    return ann.get(PHASE) or "Running"


def signature(pod: dict) -> tuple:
    """What the simulated kubelet's output depends on; a change triggers a status refresh."""
    ann = pod["metadata"].get("annotations") or {}
    spec = pod.get("spec") or {}
    return (
        ann.get(PHASE),
        ann.get(READY),
        ann.get(CRASHLOOP),
        ann.get(RUN_SECONDS),
        ann.get(EXIT),
        tuple((c.get("name"), c.get("image")) for c in spec.get("containers") or ()),
        tuple(c.get("name") for c in spec.get("initContainers") or ()),
        spec.get("nodeName"),
    )


def crashloop_status(base: dict, pod: dict, at: str) -> dict:
    """A container the kubelet keeps restarting: CrashLoopBackOff with the last exit as an Error."""
    name, meta = base["name"], pod["metadata"]
    uid = meta.get("uid", "")
    return dict(
        base,
        ready=False,
        started=False,
        restartCount=5,
        state={
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off 2m40s restarting failed container={name} "
                f"pod={meta.get('name', '')}_{meta.get('namespace', '')}({uid})",
            }
        },
        lastState={
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": at,
                "finishedAt": at,
                "containerID": _cid(uid, name),
            }
        },
    )


def _exited(base: dict, uid: str, code: int, started: str, finished: str) -> dict:
    return dict(
        base,
        ready=False,
        started=False,
        state={
            "terminated": {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": started,
                "finishedAt": finished,
                "containerID": _cid(uid, base["name"]),
            }
        },
    )


def pod_status(pod: dict, pod_ip: str, host_ip: str, at: str, exits: Exits | None = None) -> dict:
    """`exits`: the containers of a run-to-completion pod that have exited (None: no simulated life)."""
    ann = pod["metadata"].get("annotations") or {}
    spec = pod.get("spec") or {}
    uid = pod["metadata"].get("uid", "")
    phase = desired_phase(pod)
    regular = [c.get("name", "") for c in spec.get("containers") or ()]
    if exits is not None and regular and all(n in exits for n in regular):
        phase = "Succeeded" if all(exits[n][0] == 0 for n in regular) else "Failed"
    exits = exits or {}
    not_ready = ann.get(READY, "").lower() == "false"
    crash = {n.strip() for n in ann.get(CRASHLOOP, "").split(",") if n.strip()}

    init_statuses, init_blocked, blocking = [], False, []
    for c in spec.get("initContainers") or ():
        name = c.get("name", "")
        sidecar = c.get("restartPolicy") == "Always"
        base = {
            "name": name,
            "image": c.get("image", ""),
            "imageID": _image_id(c.get("image", "")),
            "containerID": _cid(uid, name),
            "restartCount": 0,
            "lastState": {},
        }
        if phase == "Pending" and not init_blocked:
            state = {"waiting": {"reason": "PodInitializing"}}
            st = dict(base, ready=False, started=False, state=state)
            st.pop("containerID")
            st.pop("imageID")
            init_blocked = True
            blocking.append(name)
        elif init_blocked:
            st = dict(base, ready=False, started=False, state={"waiting": {"reason": "PodInitializing"}})
        elif name in crash:
            st = crashloop_status(base, pod, at)
            if not sidecar:
                init_blocked = True
                blocking.append(name)
        elif sidecar and phase in ("Succeeded", "Failed") and exits:
            # The kubelet stops native sidecars once the regular containers are done.
            st = _exited(base, uid, 0, at, max(f for _, f in exits.values()))
        elif sidecar:
            st = dict(base, ready=not not_ready, started=True, state={"running": {"startedAt": at}})
        else:
            st = dict(
                base,
                ready=True,
                started=False,
                state={
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": at,
                        "finishedAt": at,
                        "containerID": _cid(uid, name),
                    }
                },
            )
        init_statuses.append(st)

    statuses, unready = [], []
    for c in spec.get("containers") or ():
        name = c.get("name", "")
        base = {
            "name": name,
            "image": c.get("image", ""),
            "imageID": _image_id(c.get("image", "")),
            "containerID": _cid(uid, name),
            "restartCount": 0,
            "lastState": {},
        }
        if phase == "Pending" or init_blocked:
            reason = "PodInitializing" if spec.get("initContainers") else "ContainerCreating"
            st = {
                "name": name,
                "image": c.get("image", ""),
                "imageID": "",
                "ready": False,
                "started": False,
                "restartCount": 0,
                "lastState": {},
                "state": {"waiting": {"reason": reason}},
            }
            unready.append(name)
        elif name in exits:
            st = _exited(base, uid, exits[name][0], at, exits[name][1])
            unready.append(name)
        elif phase in ("Succeeded", "Failed"):
            code, reason = (0, "Completed") if phase == "Succeeded" else (1, "Error")
            st = dict(
                base,
                ready=False,
                started=False,
                state={
                    "terminated": {
                        "exitCode": code,
                        "reason": reason,
                        "startedAt": at,
                        "finishedAt": at,
                        "containerID": _cid(uid, name),
                    }
                },
            )
            unready.append(name)
        elif name in crash:
            st = crashloop_status(base, pod, at)
            unready.append(name)
        else:
            st = dict(base, ready=not not_ready, started=True, state={"running": {"startedAt": at}})
            if not_ready:
                unready.append(name)
        statuses.append(st)
    # Unready native sidecars also keep the pod unready.
    unready += [s["name"] for s in init_statuses if s["started"] is True and not s["ready"]]

    effective_phase = "Pending" if init_blocked else phase
    initialized = not init_blocked
    ready = effective_phase == "Running" and not unready
    conditions = [
        _cond("PodReadyToStartContainers", effective_phase != "Pending" or bool(spec.get("initContainers")), at),
        _cond(
            "Initialized",
            initialized,
            at,
            None if initialized else "ContainersNotInitialized",
            None if initialized else f"containers with incomplete status: [{' '.join(blocking)}]",
        ),
    ]
    if effective_phase in ("Succeeded", "Failed"):
        conditions += [_cond("Ready", False, at, "PodCompleted"), _cond("ContainersReady", False, at, "PodCompleted")]
    else:
        why = None if ready else f"containers with unready status: [{' '.join(unready)}]"
        conditions += [
            _cond("Ready", ready, at, None if ready else "ContainersNotReady", why),
            _cond("ContainersReady", ready, at, None if ready else "ContainersNotReady", why),
        ]
    conditions.append(_cond("PodScheduled", True, at))

    status: dict = {
        "phase": effective_phase,
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": at,
        "qosClass": qos_class(spec),
    }
    if not spec.get("hostNetwork"):
        status.update(podIP=pod_ip, podIPs=[{"ip": pod_ip}])
    else:
        status.update(podIP=host_ip, podIPs=[{"ip": host_ip}])
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    status["containerStatuses"] = statuses
    return status


def is_ready(pod: dict) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def is_active(pod: dict) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and (pod.get("status") or {}).get("phase") not in (
        "Succeeded",
        "Failed",
    )
