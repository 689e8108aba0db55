"""CronJobs create Jobs on demand and on schedule; DaemonSets place pods only on the nodes they fit
(nodeSelector, required node affinity, taints and tolerations), so status.desiredNumberScheduled is what the
DaemonSet controller computes."""

from __future__ import annotations

import time

from kubernetes import client

from tests.integration.kubesim.helpers import call


def cronjob(name: str, schedule: str = "0 3 * * *", **meta: object) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "default", **meta},
        "spec": {
            "schedule": schedule,
            "jobTemplate": {
                "metadata": {"labels": {"task": name}},
                "spec": {
                    "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x:1"}]}}
                },
            },
        },
    }


def test_cronjob_on_demand(kubesim):
    kubesim.apply(cronjob("nightly"))
    assert kubesim.list("batch/v1/jobs", "default") == []  # no 03:00 since its creation
    job = kubesim.trigger_cronjob("default", "nightly")
    assert job["metadata"]["name"].startswith("nightly-manual-")
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["labels"]["task"] == "nightly"
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("CronJob", "nightly", True)
    stored = kubesim.get("batch/v1/jobs", "default", job["metadata"]["name"])
    assert any(c["type"] == "Complete" for c in stored["status"]["conditions"])
    # The admin route does the same.
    reply = call(kubesim, "POST", "/_kubesim/cronjobs/default/nightly/trigger")
    assert reply.status == 201 and reply.json["metadata"]["name"].startswith("nightly-manual-")
    assert len(kubesim.list("batch/v1/jobs", "default")) == 2


def test_cronjob_on_schedule_runs_the_latest_missed_time(kubesim):
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
    before = int(time.time() // 60)
    kubesim.seed(cronjob("every", "*/1 * * * *", creationTimestamp=created), reconcile=True)
    after = int(time.time() // 60)
    jobs = kubesim.list("batch/v1/jobs", "default")
    assert len(jobs) == 1  # ten missed runs: only the most recent one is started
    name = jobs[0]["metadata"]["name"]
    assert name in {f"every-{m}" for m in range(before, after + 1)}
    minute = int(name.rpartition("-")[2])
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minute * 60))
    assert jobs[0]["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == stamp
    assert kubesim.get("batch/v1/cronjobs", "default", "every")["status"]["lastScheduleTime"] == stamp


def node(name: str, labels: dict | None = None, taints: list | None = None, unschedulable: bool = False) -> dict:
    spec: dict = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": spec,
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


def daemonset(name: str, **pod_spec: object) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "x:1"}], **pod_spec},
            },
        },
    }


def nodes_of(sim, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        p["spec"]["nodeName"] for p in sim.list("v1/pods", "default") if p["metadata"]["labels"]["app"] == name
    )


def test_daemonset_with_unmatched_node_selector_wants_no_pods(kubesim):
    kubesim.apply(daemonset("cni", nodeSelector={"mesh.example.com/cni": "true"}))
    status = client.AppsV1Api(kubesim.kube_client()).read_namespaced_daemon_set_status("cni", "default").status
    assert (status.desired_number_scheduled, status.current_number_scheduled, status.number_ready) == (0, 0, 0)
    assert nodes_of(kubesim, "cni") == []
    # Labelling the node brings the daemon there.
    kubesim.apply(node("kubesim-node-1", {"mesh.example.com/cni": "true"}))
    kubesim.settle()
    assert nodes_of(kubesim, "cni") == ["kubesim-node-1"]
    assert kubesim.get("apps/v1/daemonsets", "default", "cni")["status"]["desiredNumberScheduled"] == 1


def test_daemonset_affinity_taints_and_cordoned_nodes(kubesim):
    kubesim.seed(
        node("gpu-1", {"pool": "gpu"}, taints=[{"key": "gpu", "value": "true", "effect": "NoSchedule"}]),
        node(
            "cordoned", unschedulable=True, taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
        ),
        node("edge", {"pool": "edge"}),
    )
    kubesim.apply(daemonset("plain"))
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["gpu", "edge"]}]}
                ]
            }
        }
    }
    kubesim.apply(daemonset("pools", affinity=affinity, tolerations=[{"key": "gpu", "operator": "Exists"}]))
    # No toleration for gpu: not there; cordoned nodes still run daemons (they tolerate unschedulable).
    assert nodes_of(kubesim, "plain") == ["cordoned", "edge", "kubesim-node-1"]
    assert nodes_of(kubesim, "pools") == ["edge", "gpu-1"]
    assert kubesim.get("apps/v1/daemonsets", "default", "pools")["status"]["desiredNumberScheduled"] == 2
    pod = next(p for p in kubesim.list("v1/pods", "default") if p["metadata"]["labels"]["app"] == "plain")
    keys = [(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]]
    assert ("node.kubernetes.io/unschedulable", "NoSchedule") in keys
    assert ("node.kubernetes.io/disk-pressure", "NoSchedule") in keys
