"""Controllers: Deployment → ReplicaSet → Pods created through admission, rollouts, FailedCreate events,
simulated kubelet status, Endpoints/EndpointSlices, StatefulSet/DaemonSet/Job."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from kubernetes import client

from tests.kubesim.errors import StatusError

from .helpers import deployment, pod

WEBHOOK_ERROR = (
    'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to '
    'call webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=10s": tls: failed to verify '
    "certificate: x509: certificate signed by unknown authority"
)


class Gate:
    """A stand-in admission chain: records every call, can inject a sidecar or reject pod creation."""

    def __init__(self) -> None:
        self.deny: str | None = None
        self.inject = False
        self.delay = 0.0
        self.calls: list[tuple] = []

    async def admit(self, *, operation, resource, subresource, namespace, obj, old, dry_run, user):
        self.calls.append(
            (operation, resource, subresource, namespace, obj["metadata"].get("name", ""), dry_run, user["username"])
        )
        if resource == "v1/pods" and operation == "CREATE":
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.deny:
                raise StatusError(500, "InternalError", self.deny)
            if self.inject:
                obj = dict(
                    obj,
                    spec=dict(
                        obj["spec"],
                        containers=[
                            *obj["spec"]["containers"],
                            {"name": "istio-proxy", "image": "istio/proxyv2:1.22.0"},
                        ],
                    ),
                )
        return obj


@pytest.fixture
def gate():
    return Gate()


@pytest.fixture
def sim(kubesim_factory, gate):
    return kubesim_factory(admission=gate)


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def owned(items: list[dict], owner: dict) -> list[dict]:
    uid = owner["metadata"]["uid"]
    return [
        i
        for i in items
        if any(r["uid"] == uid and r.get("controller") for r in i["metadata"].get("ownerReferences") or ())
    ]


def test_deployment_makes_replicaset_and_ready_pods(sim):
    apps = client.AppsV1Api(sim.kube_client())
    apps.create_namespaced_deployment("default", deployment("web", replicas=3))
    sim.settle()
    d = sim.get("apps/v1/deployments", "default", "web")
    (rs,) = owned(sim.list("apps/v1/replicasets", "default"), d)
    hash_ = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{hash_}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": hash_}
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    pods = owned(sim.list("v1/pods", "default"), rs)
    assert len(pods) == 3
    for p in pods:
        assert (
            p["metadata"]["name"].startswith(f"web-{hash_}-")
            and len(p["metadata"]["name"]) == len(rs["metadata"]["name"]) + 6
        )
        assert p["status"]["phase"] == "Running" and p["spec"]["nodeName"] == "kubesim-node-1"
        assert {c["type"]: c["status"] for c in p["status"]["conditions"]} == {
            "PodReadyToStartContainers": "True",
            "Initialized": "True",
            "Ready": "True",
            "ContainersReady": "True",
            "PodScheduled": "True",
        }
        (cs,) = p["status"]["containerStatuses"]
        assert cs["ready"] is True and "running" in cs["state"] and cs["containerID"].startswith("containerd://")
    # The fields kubernetes.core's deployment_ready() checks.
    status = d["status"]
    assert (status["replicas"], status["availableReplicas"], status["readyReplicas"]) == (3, 3, 3)
    assert status["observedGeneration"] == d["metadata"]["generation"] and "unavailableReplicas" not in status
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions == {
        "Available": ("True", "MinimumReplicasAvailable"),
        "Progressing": ("True", "NewReplicaSetAvailable"),
    }


def test_rollout_restart_replaces_replicaset(sim):
    apps = client.AppsV1Api(sim.kube_client())
    apps.create_namespaced_deployment("default", deployment("web", replicas=2))
    sim.settle()
    old_pods = {p["metadata"]["name"] for p in sim.list("v1/pods", "default")}
    apps.patch_namespaced_deployment(
        "web",
        "default",
        {
            "spec": {
                "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"}}}
            }
        },
    )
    sim.settle()
    rss = {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs
        for rs in sim.list("apps/v1/replicasets", "default")
    }
    assert rss["1"]["spec"]["replicas"] == 0 and rss["2"]["spec"]["replicas"] == 2
    pods = sim.list("v1/pods", "default")
    assert len(pods) == 2 and not old_pods & {p["metadata"]["name"] for p in pods}
    assert all(p["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] for p in pods)
    d = sim.get("apps/v1/deployments", "default", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert d["status"]["updatedReplicas"] == 2
    scaling = [e["message"] for e in sim.list("v1/events", "default") if e["reason"] == "ScalingReplicaSet"]
    assert f"Scaled up replica set {rss['2']['metadata']['name']} to 1 from 0" in scaling
    assert f"Scaled down replica set {rss['1']['metadata']['name']} to 0 from 1" in scaling


def test_rejected_pods_become_failed_create_events_and_recover(sim, gate):
    apps = client.AppsV1Api(sim.kube_client())
    apps.create_namespaced_deployment("default", deployment("web", replicas=2))
    sim.settle()
    gate.deny = WEBHOOK_ERROR
    apps.patch_namespaced_deployment(
        "web",
        "default",
        {
            "spec": {
                "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"}}}
            }
        },
    )
    sim.settle()
    new_rs = next(
        rs
        for rs in sim.list("apps/v1/replicasets", "default")
        if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    )
    events = [e for e in sim.list("v1/events", "default") if e["reason"] == "FailedCreate"]
    assert events, "no FailedCreate event"
    event = events[0]
    assert event["type"] == "Warning" and event["message"] == f"Error creating: {WEBHOOK_ERROR}"
    assert event["involvedObject"]["kind"] == "ReplicaSet"
    assert event["involvedObject"]["name"] == new_rs["metadata"]["name"]
    assert event["source"] == {"component": "replicaset-controller"}
    failure = next(c for c in new_rs["status"]["conditions"] if c["type"] == "ReplicaFailure")
    assert (failure["status"], failure["reason"], failure["message"]) == ("True", "FailedCreate", WEBHOOK_ERROR)
    d = sim.get("apps/v1/deployments", "default", "web")
    assert any(c["type"] == "ReplicaFailure" and c["message"] == WEBHOOK_ERROR for c in d["status"]["conditions"])
    # A rolling update keeps the old pods while the new ones cannot be created.
    assert len([p for p in sim.list("v1/pods", "default") if p["status"]["phase"] == "Running"]) == 2
    # Retries aggregate into the same event...
    wait_for(lambda: (sim.get("v1/events", "default", event["metadata"]["name"]) or {}).get("count", 0) >= 2)
    # ...and once admission lets pods through, the rollout completes without another change.
    gate.deny = None

    def rolled_out():
        cur = sim.get("apps/v1/deployments", "default", "web")["status"]
        return cur.get("updatedReplicas") == 2 and cur.get("replicas") == 2 and cur.get("availableReplicas") == 2

    wait_for(rolled_out)
    sim.settle()
    assert not any(
        c["type"] == "ReplicaFailure" for c in sim.get("apps/v1/deployments", "default", "web")["status"]["conditions"]
    )


def test_admission_sees_controller_pods_and_dry_runs(sim, gate):
    gate.inject = True
    core = client.CoreV1Api(sim.kube_client())
    client.AppsV1Api(sim.kube_client()).create_namespaced_deployment("default", deployment("web", replicas=1))
    sim.settle()
    (p,) = sim.list("v1/pods", "default")
    assert [c["name"] for c in p["spec"]["containers"]] == ["app", "istio-proxy"]
    # Defaults are applied after mutation, as kube-apiserver re-decodes the webhook's output.
    assert p["spec"]["containers"][1]["terminationMessagePath"] == "/dev/termination-log"
    assert [s["name"] for s in p["status"]["containerStatuses"]] == ["app", "istio-proxy"]
    pod_creates = [c for c in gate.calls if c[:2] == ("CREATE", "v1/pods")]
    # generateName pods reach admission without a name, created by the controller manager.
    assert pod_creates == [("CREATE", "v1/pods", None, "default", "", False, "system:kube-controller-manager")]
    dry = core.create_namespaced_pod("default", pod("probe"), dry_run="All")
    assert [c.name for c in dry.spec.containers] == ["app", "istio-proxy"]
    assert gate.calls[-1] == ("CREATE", "v1/pods", None, "default", "probe", True, "kubernetes-admin")
    core.delete_namespaced_pod(p["metadata"]["name"], "default")
    assert ("DELETE", "v1/pods", None, "default", p["metadata"]["name"], False, "kubernetes-admin") in gate.calls
    assert any(c[:3] == ("UPDATE", "v1/pods", "status") for c in gate.calls)  # the kubelet's status writes


def test_writes_do_not_wait_for_stalled_controllers(sim, gate):
    gate.delay = 2.0  # a slow webhook on pod creation
    apps = client.AppsV1Api(sim.kube_client())
    apps.list_namespaced_deployment("default")  # warm the client
    started = time.monotonic()
    apps.create_namespaced_deployment("default", deployment("web", replicas=1))
    assert time.monotonic() - started < 1.5
    assert sim.list("v1/pods", "default") == []
    wait_for(lambda: len(sim.list("v1/pods", "default")) == 1)


def test_pod_state_annotations(kubesim):
    apps = client.AppsV1Api(kubesim.kube_client())
    apps.create_namespaced_deployment(
        "default", deployment("pending", replicas=1, annotations={"kubesim.meshops.io/pod-phase": "Pending"})
    )
    kubesim.settle()
    (p,) = kubesim.list("v1/pods", "default")
    assert p["status"]["phase"] == "Pending"
    d = kubesim.get("apps/v1/deployments", "default", "pending")["status"]
    assert d["unavailableReplicas"] == 1 and "availableReplicas" not in d

    core = client.CoreV1Api(kubesim.kube_client())
    spec = pod("crash")
    spec["metadata"]["annotations"] = {"kubesim.meshops.io/crashloop": "istio-init"}
    spec["spec"]["initContainers"] = [{"name": "istio-init", "image": "proxyv2"}]
    core.create_namespaced_pod("default", spec)
    kubesim.settle()
    crash = kubesim.get("v1/pods", "default", "crash")["status"]
    assert crash["phase"] == "Pending"
    init = crash["initContainerStatuses"][0]
    assert init["state"]["waiting"]["reason"] == "CrashLoopBackOff" and init["restartCount"] > 0
    initialized = next(c for c in crash["conditions"] if c["type"] == "Initialized")
    assert initialized["message"] == "containers with incomplete status: [istio-init]"

    core.create_namespaced_pod("default", pod("flaky"))
    kubesim.settle()
    assert (
        next(c for c in kubesim.get("v1/pods", "default", "flaky")["status"]["conditions"] if c["type"] == "Ready")[
            "status"
        ]
        == "True"
    )
    core.patch_namespaced_pod(
        "flaky", "default", {"metadata": {"annotations": {"kubesim.meshops.io/pod-ready": "false"}}}
    )
    kubesim.settle()
    ready = next(c for c in kubesim.get("v1/pods", "default", "flaky")["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "ContainersNotReady")


def test_seeded_pods_keep_their_status(kubesim):
    kubesim.seed(
        [{**pod("given", labels={"a": "1"}), "status": {"phase": "Failed", "reason": "Evicted"}}, pod("filled")]
    )
    assert kubesim.get("v1/pods", "default", "filled")["status"]["phase"] == "Running"
    client.CoreV1Api(kubesim.kube_client()).patch_namespaced_pod(
        "given", "default", {"metadata": {"labels": {"a": "2"}}}
    )
    kubesim.settle()
    assert kubesim.get("v1/pods", "default", "given")["status"] == {"phase": "Failed", "reason": "Evicted"}


def test_pod_spec_is_immutable(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    core.create_namespaced_pod("default", pod("p"))
    with pytest.raises(client.ApiException) as err:
        core.patch_namespaced_pod("p", "default", {"spec": {"containers": [{"name": "sidecar", "image": "x"}]}})
    assert err.value.status == 422
    assert json.loads(err.value.body)["message"].startswith(
        'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`'
    )
    assert (
        core.patch_namespaced_pod("p", "default", {"spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}})
        .spec.containers[0]
        .image
        == "nginx:1.27"
    )


def test_endpoints_follow_ready_pods(kubesim):
    apps = client.AppsV1Api(kubesim.kube_client())
    core = client.CoreV1Api(kubesim.kube_client())
    core.create_namespaced_service(
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        },
    )
    apps.create_namespaced_deployment("default", deployment("web", replicas=2))
    kubesim.settle()
    ep = core.read_namespaced_endpoints("web", "default")
    assert len(ep.subsets[0].addresses) == 2 and ep.subsets[0].ports[0].port == 80
    assert ep.subsets[0].addresses[0].target_ref.kind == "Pod"
    (eps,) = (
        client.DiscoveryV1Api(kubesim.kube_client())
        .list_namespaced_endpoint_slice("default", label_selector="kubernetes.io/service-name=web")
        .items
    )
    assert eps.metadata.name.startswith("web-") and len(eps.endpoints) == 2
    assert all(e.conditions.ready for e in eps.endpoints) and eps.ports[0].port == 80
    # One pod turns unready: it moves to notReadyAddresses.
    name = ep.subsets[0].addresses[0].target_ref.name
    core.patch_namespaced_pod(name, "default", {"metadata": {"annotations": {"kubesim.meshops.io/pod-ready": "false"}}})
    kubesim.settle()
    ep = core.read_namespaced_endpoints("web", "default")
    assert [a.target_ref.name for a in ep.subsets[0].not_ready_addresses] == [name]
    # Scaled to zero: no addresses at all (what "no endpoints available for service" is about).
    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 0}})
    kubesim.settle()
    assert core.read_namespaced_endpoints("web", "default").subsets is None
    (eps,) = client.DiscoveryV1Api(kubesim.kube_client()).list_namespaced_endpoint_slice("default").items
    assert eps.endpoints is None


def test_statefulset_daemonset_and_job(kubesim):
    kubesim.seed([{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "worker-2"}}])
    apps = client.AppsV1Api(kubesim.kube_client())
    apps.create_namespaced_stateful_set(
        "default",
        {
            "metadata": {"name": "db"},
            "spec": {
                "serviceName": "db",
                "replicas": 2,
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{"name": "db", "image": "pg"}]},
                },
            },
        },
    )
    apps.create_namespaced_daemon_set(
        "default",
        {
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {"containers": [{"name": "agent", "image": "agent"}]},
                },
            },
        },
    )
    client.BatchV1Api(kubesim.kube_client()).create_namespaced_job(
        "default",
        {
            "metadata": {"name": "once"},
            "spec": {
                "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "run", "image": "busybox"}]}}
            },
        },
    )
    kubesim.settle()
    pods = {p["metadata"]["name"]: p for p in kubesim.list("v1/pods", "default")}
    assert {"db-0", "db-1"} <= set(pods)
    assert pods["db-1"]["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "db-1"
    sts = kubesim.get("apps/v1/statefulsets", "default", "db")["status"]
    assert (sts["readyReplicas"], sts["currentRevision"]) == (2, sts["updateRevision"])
    agents = [p for p in pods.values() if p["metadata"]["labels"].get("app") == "agent"]
    assert sorted(p["spec"]["nodeName"] for p in agents) == ["kubesim-node-1", "worker-2"]
    ds = kubesim.get("apps/v1/daemonsets", "default", "agent")["status"]
    assert (ds["desiredNumberScheduled"], ds["numberReady"]) == (2, 2)
    job = kubesim.get("batch/v1/jobs", "default", "once")
    assert job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"] == job["metadata"]["uid"]
    assert job["status"]["succeeded"] == 1
    assert any(c["type"] == "Complete" and c["status"] == "True" for c in job["status"]["conditions"])
    runs = [p for p in pods.values() if p["metadata"]["labels"].get("job-name") == "once"]
    assert [p["status"]["phase"] for p in runs] == ["Succeeded"]


def test_seed_with_reconcile_runs_controllers(kubesim):
    kubesim.seed([deployment("web", replicas=2)], reconcile=True)
    assert len(kubesim.list("v1/pods", "default")) == 2
    assert kubesim.get("apps/v1/deployments", "default", "web")["status"]["availableReplicas"] == 2
