# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fast path (msgspec decoding, gzip bodies) and the plain path (MESHOPS_JSON_DECODER=json, the
path a host without msgspec takes) give the same report from the same requests: on both examples and
on a small cluster shaped like the benchmark's. Each path runs the diagnose runner in its own process,
since the decoder is chosen when k8s/client.py is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import REPO, example_files
from .helpers import api_requests

pytest.importorskip("msgspec")

CHILD = """
import json, sys
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import diagnose
params = {k: v.get("default") for k, v in diagnose.DIAGNOSE_ARGUMENT_SPEC.items()}
params.update(kubeconfig=sys.argv[1], report_path=sys.argv[2], limit=int(sys.argv[3]), cluster_name="c")
result = diagnose.run(params)
print(json.dumps({"decoder": client.JSON_DECODER, "requests": result["summary"]["requests"]}))
"""

# Measured or clock-dependent, not decided: they differ between any two runs (seconds_left counts down).
VOLATILE = ("duration_seconds", "gathered_at", "generated_at", "seconds_left")


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _diagnose(sim, tmp_path, decoder, limit):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(REPO, ".collections"), REPO])
    env.pop("MESHOPS_JSON_DECODER", None)
    if decoder:
        env["MESHOPS_JSON_DECODER"] = decoder
    report = tmp_path / ("report-%s.json" % (decoder or "fast"))
    sim.clear_requests()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, sim.kubeconfig_path, str(report), str(limit)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    child = json.loads(out.stdout.strip().splitlines()[-1])
    requests = [(r["method"], r["path"], r["status"]) for r in api_requests(sim)]
    gzipped = sum(1 for r in api_requests(sim) if r["wire_bytes"] < r["bytes"])
    return child, json.loads(report.read_text()), requests, gzipped


def _benchmark_cluster(tmp_path):
    from tests.benchmarks import dataset

    path = str(tmp_path / "cluster.json")
    counts = dataset.write(path, namespaces=12, pods=400, events=120, nodes=3)
    assert counts["Pod"] == 517  # deterministic: the builder rounds each namespace up to whole workloads; 2 are istiod
    return [path]


@pytest.mark.parametrize(("name", "limit"), [("istio-broken", 500), ("linkerd-broken", 500), ("benchmark", 60)])
def test_fast_and_plain_paths_give_the_same_report_and_requests(sim, tmp_path, name, limit):
    sources = _benchmark_cluster(tmp_path) if name == "benchmark" else example_files(name)
    sim.seed(*sources)
    fast, fast_report, fast_requests, fast_gzipped = _diagnose(sim, tmp_path, None, limit)
    plain, plain_report, plain_requests, plain_gzipped = _diagnose(sim, tmp_path, "json", limit)
    assert fast["decoder"].startswith("msgspec ") and plain["decoder"] == "json"
    assert _strip(fast_report) == _strip(plain_report)
    assert fast_requests == plain_requests
    assert fast["requests"] == plain["requests"] == len(fast_requests)
    # 404s: certificate secrets a cluster does not have, and PodSecurityPolicy, which kubesim (like
    # Kubernetes 1.25+) does not serve
    assert all(
        status == 200 or (status == 404 and ("/secrets/" in path or "/podsecuritypolicies" in path))
        for _, path, status in fast_requests
    )
    assert fast_gzipped == plain_gzipped
    if name == "benchmark":
        # 60 benchmark pods are about 600 KB of JSON: those pages travel gzipped on both paths
        assert fast_gzipped >= 400 // 60
        assert len(fast_report["findings"]) > 0 and fast_report["summary"]["pods"]["total"] == 517
