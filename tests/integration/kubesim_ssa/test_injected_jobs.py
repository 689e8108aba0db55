"""The classic sidecar Job problem end to end: the test istiod injects a Job's pod through the real webhook
path; with a classic istio-proxy container the Job never completes after its app exits, with a native sidecar
(`sidecar.istio.io/nativeSidecar: "true"`, istio-proxy as a restartPolicy Always init container) it does."""

from __future__ import annotations

import pytest

from tests.integration.controlplane.helpers import Mesh, istio_objects, namespace

pytestmark = pytest.mark.slow


def job(name: str, native: bool) -> dict:
    annotations = {"sidecar.istio.io/nativeSidecar": "true"} if native else {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {
            "template": {
                "metadata": {"annotations": annotations},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "migrate", "image": "busybox"}]},
            }
        },
    }


def test_injected_job_classic_stays_running_native_completes(kubesim_factory):
    mesh = Mesh(kubesim_factory(), istio_objects() + [namespace("demo", {"istio-injection": "enabled"})])
    mesh.apply(job("classic", native=False), job("native", native=True))
    mesh.sim.settle()
    pods = {p["metadata"]["labels"]["job-name"]: p for p in mesh.sim.list("v1/pods", "demo")}
    classic, native = pods["classic"], pods["native"]
    assert [c["name"] for c in classic["spec"]["containers"]] == ["migrate", "istio-proxy"]
    assert classic["status"]["phase"] == "Running"
    assert {s["name"]: next(iter(s["state"])) for s in classic["status"]["containerStatuses"]} == {
        "migrate": "terminated",
        "istio-proxy": "running",
    }
    assert "istio-proxy" in [c["name"] for c in native["spec"]["initContainers"]]
    assert native["status"]["phase"] == "Succeeded"
    jobs = {j["metadata"]["name"]: j["status"] for j in mesh.sim.list("batch/v1/jobs", "demo")}
    assert jobs["classic"]["active"] == 1 and "conditions" not in jobs["classic"]
    assert [c["type"] for c in jobs["native"]["conditions"] if c["status"] == "True"] == [
        "SuccessCriteriaMet",
        "Complete",
    ]
