"""Seeding from files and objects, reset, and the server as its own process (CLI, kubeconfig, access log,
signals)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from .helpers import call, deployment, pod

REPO = Path(__file__).resolve().parents[3]
ISTIO_FIXTURES = REPO.parent / "shared" / "fixtures" / "istio"


def test_seed_files_of_every_shape(kubesim, tmp_path):
    (tmp_path / "multi.yaml").write_text(
        yaml.safe_dump_all(
            [
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": "mesh", "labels": {"istio-injection": "enabled"}},
                },
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "from-yaml", "namespace": "mesh"}},
                None,
            ]
        )
    )
    (tmp_path / "list.json").write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "from-json", "namespace": "mesh"}},
                    {
                        "apiVersion": "events.k8s.io/v1",
                        "kind": "Event",
                        "metadata": {"name": "ev", "namespace": "mesh"},
                        "reason": "FailedCreate",
                        "note": "Error creating: x",
                        "type": "Warning",
                        "regarding": {"kind": "ReplicaSet", "name": "web-1", "namespace": "mesh"},
                    },
                ],
            }
        )
    )
    nested = tmp_path / "nested"
    nested.mkdir()
    (nested / "pods.yml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "PodList", "items": [pod("p1", "implicit")]})
    )
    (nested / "notes.txt").write_text("ignored")
    counts = kubesim.seed(str(tmp_path))
    assert counts == {"v1/namespaces": 2, "v1/configmaps": 2, "v1/events": 1, "v1/pods": 1}
    ns = kubesim.get("v1/namespaces", None, "mesh")
    assert ns["metadata"]["labels"] == {"istio-injection": "enabled", "kubernetes.io/metadata.name": "mesh"}
    assert kubesim.get("v1/namespaces", None, "implicit")["status"] == {"phase": "Active"}
    event = kubesim.get("v1/events", "mesh", "ev")
    assert (event["message"], event["involvedObject"]["name"]) == ("Error creating: x", "web-1")
    seeded = kubesim.get("v1/pods", "implicit", "p1")
    assert seeded["metadata"]["uid"] and seeded["status"]["phase"] == "Running"
    assert int(seeded["metadata"]["resourceVersion"]) <= kubesim.resource_version


def test_seed_keeps_given_identity_and_rejects_unknown_kinds(kubesim):
    obj = pod("p")
    obj["metadata"].update(uid="1234", creationTimestamp="2024-01-01T00:00:00Z", resourceVersion="99999999")
    kubesim.seed(obj)
    got = kubesim.get("v1/pods", "default", "p")
    assert (got["metadata"]["uid"], got["metadata"]["creationTimestamp"]) == ("1234", "2024-01-01T00:00:00Z")
    assert got["metadata"]["resourceVersion"] != "99999999"  # one global counter
    assert obj["metadata"]["resourceVersion"] == "99999999"  # the caller's dict is not touched
    with pytest.raises(ValueError, match=r"does not serve example\.com/v1/Widget"):
        kubesim.seed({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})


@pytest.mark.skipif(not ISTIO_FIXTURES.is_dir(), reason="shared istio fixtures not available")
def test_seed_istio_fixtures(kubesim):
    counts = kubesim.seed(
        str(ISTIO_FIXTURES / "istio-sidecar-injector.mwc.golden.yaml"),
        str(ISTIO_FIXTURES / "istiod.service.golden.yaml"),
    )
    assert counts["admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"] == 1
    mwc = client.AdmissionregistrationV1Api(kubesim.kube_client()).read_mutating_webhook_configuration(
        "istio-sidecar-injector"
    )
    assert {w.client_config.service.name for w in mwc.webhooks} == {"istiod"}


def test_admin_seed_and_reset(kubesim):
    reply = call(
        kubesim,
        "POST",
        "/_kubesim/seed?reconcile=true",
        yaml.safe_dump(deployment("web", replicas=1)),
        content_type="application/yaml",
        token=None,
    )
    assert reply.json == {"seeded": {"apps/v1/deployments": 1}}
    assert call(kubesim, "POST", "/_kubesim/settle", token=None).json == {"settled": True}
    assert len(kubesim.list("v1/pods", "default")) == 1
    rv = kubesim.resource_version
    kubesim.reset()
    assert kubesim.list("apps/v1/deployments") == [] and kubesim.list("v1/pods") == []
    assert [n["metadata"]["name"] for n in kubesim.list("v1/namespaces")] == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]
    assert kubesim.resource_version > rv  # resourceVersions never go back
    assert kubesim.requests == []


def test_seeding_and_paging_many_pods_is_fast(kubesim):
    pods = [pod(f"p{i:05d}", f"ns-{i % 50}", {"app": "web"}) for i in range(5000)]
    started = time.monotonic()
    kubesim.seed(pods)
    seeded = time.monotonic() - started
    started = time.monotonic()
    token, total = "", 0
    while True:
        page = call(kubesim, "GET", "/api/v1/pods?limit=500" + (f"&continue={token}" if token else "")).json
        total += len(page["items"])
        token = page["metadata"].get("continue")
        if not token:
            break
    paged = time.monotonic() - started
    assert total == 5000
    # Generous bounds (a slow CI box); the README lists the 50k figures.
    assert seeded < 10 and paged < 10, (seeded, paged)


@pytest.fixture
def process(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        yaml.safe_dump_all(
            [
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mesh"}},
                deployment("web", "mesh", replicas=1),
            ]
        )
    )
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump({"rules": [{"action": "forbid", "verbs": ["list"], "resources": ["secrets"]}]}))
    kubeconfig, access_log = tmp_path / "kubeconfig", tmp_path / "access.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.kubesim",
            "--seed",
            str(seed),
            "--write-kubeconfig",
            str(kubeconfig),
            "--port",
            "0",
            "--token",
            "t0k3n",
            "--kubernetes-version",
            "v1.30.2",
            "--policy",
            str(policy),
            "--access-log",
            str(access_log),
            "--reconcile-seed",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip()
    try:
        yield proc, url, kubeconfig, access_log
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_process_mode(process):
    proc, url, kubeconfig, access_log = process
    assert url.startswith("https://127.0.0.1:"), proc.stderr.read() if proc.poll() is not None else url
    doc = yaml.safe_load(kubeconfig.read_text())
    assert doc["current-context"] == "kubesim" and doc["users"][0]["user"]["token"] == "t0k3n"
    assert doc["clusters"][0]["cluster"]["server"] == url
    api_client = config.new_client_from_config(config_file=str(kubeconfig))
    assert client.VersionApi(api_client).get_code().git_version == "v1.30.2"
    core = client.CoreV1Api(api_client)
    assert len(core.list_namespaced_pod("mesh").items) == 1  # --reconcile-seed ran the controllers
    with pytest.raises(client.ApiException) as err:
        core.list_secret_for_all_namespaces()
    assert err.value.status == 403
    lines = [json.loads(line) for line in access_log.read_text().splitlines()]
    assert {"method", "path", "status", "ms"} <= set(lines[-1])
    assert [(e["method"], e["path"], e["status"]) for e in lines[-2:]] == [
        ("GET", "/api/v1/namespaces/mesh/pods", 200),
        ("GET", "/api/v1/secrets", 403),
    ]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0


def test_process_exits_on_sigint(process):
    proc, url, _, _ = process
    assert url
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(15) == 0
