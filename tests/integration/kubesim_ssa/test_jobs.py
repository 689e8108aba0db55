"""Job pods with a life (the kubelet's view of run-to-completion pods): Running until each regular container
exits, complete once all have — so a classic injected proxy keeps a Job Running after its app is done (the
well-known Istio/Linkerd Job problem), while a native sidecar (init container with restartPolicy Always) is
stopped by the kubelet and the Job completes; completions, backoffLimit, Complete/Failed conditions."""

from __future__ import annotations

from kubernetes import client

from tests.kubesim.podstatus import EXIT, RUN_SECONDS


def job(name: str, containers: list[dict], *, init: list[dict] | None = None, annotations: dict | None = None, **spec):  # type: ignore[no-untyped-def]
    pod_spec: dict = {"restartPolicy": "Never", "containers": containers}
    if init:
        pod_spec["initContainers"] = init
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"template": {"metadata": {"annotations": annotations or {}}, "spec": pod_spec}, **spec},
    }


APP = {"name": "app", "image": "busybox"}
PROXY = {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.2"}


def pods_of(sim, name: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [p for p in sim.list("v1/pods", "default") if p["metadata"]["labels"].get("job-name") == name]


def conditions(sim, name: str) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    status = sim.get("batch/v1/jobs", "default", name)["status"]
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in status.get("conditions") or ()}


def states(pod: dict, key: str = "containerStatuses") -> dict[str, str]:
    return {s["name"]: next(iter(s["state"])) for s in pod["status"].get(key) or ()}


def test_job_runs_then_completes_when_its_container_exits(kubesim):
    kubesim.apply(job("once", [APP], annotations={RUN_SECONDS: "never"}))
    [pod] = pods_of(kubesim, "once")
    assert (pod["status"]["phase"], states(pod)) == ("Running", {"app": "running"})
    status = kubesim.get("batch/v1/jobs", "default", "once")["status"]
    assert (status["active"], status.get("succeeded"), status.get("conditions")) == (1, None, None)
    # The test says the container is done.
    core = client.CoreV1Api(kubesim.kube_client())
    core.patch_namespaced_pod(pod["metadata"]["name"], "default", {"metadata": {"annotations": {EXIT: "app=0"}}})
    kubesim.settle()
    [pod] = pods_of(kubesim, "once")
    assert (pod["status"]["phase"], states(pod)) == ("Succeeded", {"app": "terminated"})
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
    assert conditions(kubesim, "once")["Complete"] == (
        "True",
        "CompletionsReached",
        "Reached expected number of succeeded pods",
    )
    assert kubesim.get("batch/v1/jobs", "default", "once")["status"]["succeeded"] == 1


def test_classic_proxy_keeps_the_job_running_native_sidecar_does_not(kubesim):
    kubesim.apply(job("classic", [APP, PROXY]))
    kubesim.apply(job("native", [APP], init=[{**PROXY, "restartPolicy": "Always"}]))
    [classic] = pods_of(kubesim, "classic")
    assert classic["status"]["phase"] == "Running"
    assert states(classic) == {"app": "terminated", "istio-proxy": "running"}
    ready = next(c for c in classic["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "ContainersNotReady",
        "containers with unready status: [app]",
    )
    assert "Complete" not in conditions(kubesim, "classic")
    assert kubesim.get("batch/v1/jobs", "default", "classic")["status"]["active"] == 1

    [native] = pods_of(kubesim, "native")
    assert native["status"]["phase"] == "Succeeded"
    assert states(native, "initContainerStatuses") == {"istio-proxy": "terminated"}
    assert conditions(kubesim, "native")["Complete"][0] == "True"

    # Asking the proxy to quit (curl -XPOST localhost:15020/quitquitquit) finally completes the classic Job.
    client.CoreV1Api(kubesim.kube_client()).patch_namespaced_pod(
        classic["metadata"]["name"], "default", {"metadata": {"annotations": {EXIT: "istio-proxy=0"}}}
    )
    kubesim.settle()
    assert pods_of(kubesim, "classic")[0]["status"]["phase"] == "Succeeded"
    assert conditions(kubesim, "classic")["Complete"][0] == "True"


def test_completions_run_pods_until_enough_succeed(kubesim):
    kubesim.apply(job("three", [APP], completions=3, parallelism=2))
    pods = pods_of(kubesim, "three")
    assert [p["status"]["phase"] for p in pods] == ["Succeeded"] * 3
    status = kubesim.get("batch/v1/jobs", "default", "three")["status"]
    assert (status["succeeded"], status.get("active")) == (3, None)


def test_backoff_limit_fails_the_job(kubesim):
    kubesim.apply(job("bad", [APP], annotations={EXIT: "app=1"}, backoffLimit=1))
    pods = pods_of(kubesim, "bad")
    assert [p["status"]["phase"] for p in pods] == ["Failed", "Failed"]
    exit_state = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (exit_state["exitCode"], exit_state["reason"]) == (1, "Error")
    assert conditions(kubesim, "bad")["Failed"] == (
        "True",
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
    )
    assert kubesim.get("batch/v1/jobs", "default", "bad")["status"]["failed"] == 2


def test_pod_phase_annotation_still_overrides(kubesim):
    kubesim.apply(job("forced", [APP, PROXY], annotations={"kubesim.meshops.io/pod-phase": "Succeeded"}))
    assert [p["status"]["phase"] for p in pods_of(kubesim, "forced")] == ["Succeeded"]
    assert conditions(kubesim, "forced")["Complete"][0] == "True"


def test_seeded_job_pods_have_run(kubesim):
    owner = [{"apiVersion": "batch/v1", "kind": "Job", "name": "old", "uid": "u-1", "controller": True}]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "default", "ownerReferences": owner}}
    kubesim.seed(
        {
            **pod,
            "metadata": {**pod["metadata"], "name": "done"},
            "spec": {"restartPolicy": "Never", "containers": [APP]},
        },
        {
            **pod,
            "metadata": {**pod["metadata"], "name": "stuck"},
            "spec": {"restartPolicy": "Never", "containers": [APP, PROXY]},
        },
    )
    assert kubesim.get("v1/pods", "default", "done")["status"]["phase"] == "Succeeded"
    stuck = kubesim.get("v1/pods", "default", "stuck")
    assert (stuck["status"]["phase"], states(stuck)) == ("Running", {"app": "terminated", "istio-proxy": "running"})
