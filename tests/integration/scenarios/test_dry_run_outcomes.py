"""The live scenarios (`python -m tests.kubesim --scenario istio|linkerd --break ...`), probed the way the
injection probe will: a dry-run pod create in the application namespace, with the kubernetes client.

Each breakage gives the outcome it implies - the returned pod carries the proxy, or the exact error
kube-apiserver would answer, or (Linkerd, failurePolicy Ignore) a pod admitted without the sidecar - and
nothing is ever stored: the pods in `demo` are the same before and after, and the only write the
server saw was the dry run itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.kubesim import KubeSim
from tests.kubesim.scenarios import BREAKS, Scenario, shared_fixtures, start

ROOT = Path(__file__).resolve().parents[3]
ISTIO_CALL = (
    'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call webhook: '
    'Post "https://istiod.istio-system.svc:443/inject?timeout={t}s": {err}'
)
X509 = "tls: failed to verify certificate: x509: "
EXPIRED = re.escape(X509 + "certificate has expired or is not yet valid: current time ") + (
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ is after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
)
PSA_ISTIO = (
    'pods "probe" is forbidden: violates PodSecurity "restricted:latest": unrestricted capabilities (container '
    '"istio-init" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add), runAsNonRoot != true '
    '(container "istio-init" must not set securityContext.runAsNonRoot=false), runAsUser=0 (container "istio-init" '
    "must not set runAsUser=0)"
)
PSA_LINKERD = (
    'pods "probe" is forbidden: violates PodSecurity "restricted:latest": unrestricted capabilities (container '
    '"linkerd-init" must set securityContext.capabilities.drop=["ALL"]; container "linkerd-init" must not include '
    '"NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)'
)

# (mesh, breakage) → (outcome, HTTP status, reason, message or regex)
EXPECTED: dict[tuple[str, str | None], tuple[str, int, str, str]] = {
    ("istio", None): ("injected", 201, "", ""),
    ("istio", "wrong-ca"): (
        "rejected",
        500,
        "InternalError",
        re.escape(ISTIO_CALL.format(t=10, err=X509 + "certificate signed by unknown authority")),
    ),
    ("istio", "expired-cert"): (
        "rejected",
        500,
        "InternalError",
        re.escape(ISTIO_CALL.format(t=10, err="@")).replace("@", EXPIRED),
    ),
    ("istio", "injector-down"): (
        "rejected",
        500,
        "InternalError",
        re.escape(ISTIO_CALL.format(t=10, err='no endpoints available for service "istiod"')),
    ),
    ("istio", "timeout"): (
        "rejected",
        500,
        "InternalError",
        re.escape(ISTIO_CALL.format(t=2, err="context deadline exceeded")),
    ),
    ("istio", "networkpolicy"): (
        "rejected",
        500,
        "InternalError",
        re.escape(ISTIO_CALL.format(t=10, err="context deadline exceeded")),
    ),
    ("istio", "psa-restricted"): ("rejected", 403, "Forbidden", re.escape(PSA_ISTIO)),
    ("istio", "quota"): (
        "rejected",
        403,
        "Forbidden",
        re.escape(
            'pods "probe" is forbidden: exceeded quota: compute, requested: requests.cpu=150m, '
            "used: requests.cpu=300m, limited: requests.cpu=350m"
        ),
    ),
    ("linkerd", None): ("injected", 201, "", ""),
    ("linkerd", "wrong-ca"): ("admitted_without_sidecar", 201, "", ""),
    ("linkerd", "expired-cert"): ("admitted_without_sidecar", 201, "", ""),
    ("linkerd", "injector-down"): ("admitted_without_sidecar", 201, "", ""),
    ("linkerd", "timeout"): ("admitted_without_sidecar", 201, "", ""),
    ("linkerd", "networkpolicy"): ("admitted_without_sidecar", 201, "", ""),
    ("linkerd", "psa-restricted"): ("rejected", 403, "Forbidden", re.escape(PSA_LINKERD)),
    ("linkerd", "quota"): (
        "rejected",
        403,
        "Forbidden",
        re.escape(
            'pods "probe" is forbidden: failed quota: compute: must specify requests.cpu for: '
            "linkerd-init,linkerd-proxy"
        ),
    ),
}
PROXY = {"istio": ("istio-proxy", "istio-init"), "linkerd": ("linkerd-proxy", "linkerd-init")}


def test_every_breakage_of_every_mesh_is_covered() -> None:
    assert len(EXPECTED) == 2 * (len(BREAKS) + 1) == 16


@pytest.fixture
def live() -> Iterator[Any]:
    sims: list[KubeSim] = []

    def make(mesh: str, breakage: str | None) -> KubeSim:
        sim = KubeSim().start()
        sims.append(sim)
        start(sim, Scenario(mesh, (breakage,) if breakage else ()))
        return sim

    yield make
    for sim in sims:
        sim.stop()


def _probe_pod(sim: KubeSim) -> dict:
    template = sim.get("apps/v1/deployments", "demo", "web")["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", **template["metadata"]},
        "spec": template["spec"],
    }


@pytest.mark.parametrize(("mesh", "breakage"), list(EXPECTED), ids=[f"{m}-{b or 'healthy'}" for m, b in EXPECTED])
def test_dry_run_pod_create_shows_the_breakage(live: Any, mesh: str, breakage: str | None) -> None:
    sim = live(mesh, breakage)
    outcome, status, reason, message = EXPECTED[(mesh, breakage)]
    before = sorted(p["metadata"]["name"] for p in sim.list("v1/pods", "demo"))
    assert len(before) == 2
    sim.clear_requests()
    api = client.CoreV1Api(sim.kube_client())
    try:
        pod = api.create_namespaced_pod("demo", _probe_pod(sim), dry_run="All")
        got = (
            "injected" if PROXY[mesh][0] in [c.name for c in pod.spec.containers] else "admitted_without_sidecar",
            201,
            "",
            "",
        )
        if got[0] == "injected":
            assert [c.name for c in pod.spec.init_containers] == [PROXY[mesh][1]]
        else:
            assert [c.name for c in pod.spec.containers] == ["web"] and not pod.spec.init_containers
    except ApiException as exc:
        body = json.loads(exc.body)
        got = ("rejected", exc.status, body["reason"], body["message"])
    assert got[:3] == (outcome, status, reason)
    if message:
        assert re.fullmatch(message, got[3]), got[3]
    after = sorted(p["metadata"]["name"] for p in sim.list("v1/pods", "demo"))
    assert after == before
    writes = [r for r in sim.requests if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]
    assert [(w["method"], w["path"]) for w in writes] == [("POST", "/api/v1/namespaces/demo/pods?dryRun=All")]


def test_the_scenario_runs_as_a_process(tmp_path: Path) -> None:
    """`python -m tests.kubesim --scenario istio --break quota`: the one-command live cluster."""
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.kubesim",
            "--scenario",
            "istio",
            "--break",
            "quota",
            "--write-kubeconfig",
            str(kubeconfig),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("https://127.0.0.1:")
        cfg = client.Configuration()
        from kubernetes import config

        config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
        api = client.CoreV1Api(client.ApiClient(cfg))
        quota = api.read_namespaced_resource_quota("compute", "demo")
        assert quota.spec.hard == {"requests.cpu": "350m"}
        pods = api.list_namespaced_pod("demo").items
        assert sorted(c.name for c in pods[0].spec.containers) == ["istio-proxy", "web"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    source = "shared fixture" if shared_fixtures() else "built-in"
    assert err.splitlines()[0] == f"kubesim: scenario istio broken by quota ({source} webhook configuration)"


@pytest.mark.parametrize("mesh", ["istio", "linkerd"])
def test_builtin_control_planes_without_the_shared_fixtures(
    live: Any, mesh: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ../shared: kubesim's own webhook configurations give the same healthy answer."""
    monkeypatch.setenv("MESHOPS_SHARED_DIR", str(tmp_path))
    scenario = Scenario(mesh)
    sim = KubeSim().start()
    try:
        start(sim, scenario)
        assert set(scenario.sources.values()) == {"built-in"}
        pod = client.CoreV1Api(sim.kube_client()).create_namespaced_pod("demo", _probe_pod(sim), dry_run="All")
        assert PROXY[mesh][0] in [c.name for c in pod.spec.containers]
        assert [c.name for c in pod.spec.init_containers] == [PROXY[mesh][1]]
    finally:
        sim.stop()


def test_unknown_breakage_is_refused() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.kubesim", "--scenario", "istio", "--break", "dns"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "argument --break: invalid choice: 'dns'" in proc.stderr
