"""playbooks/probe.yml and the diagnose role's `diagnose_probe: true` against a live scenario: the probe
report lands at <report_dir>/<host>.probe.json, check mode still probes (and writes nothing), and the
cluster is unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.kubesim import KubeSim
from tests.kubesim.scenarios import Scenario, start

REPO = Path(__file__).resolve().parents[3]


def playbook(tmp_path: Path, name: str, inventory: dict, *extra: str) -> subprocess.CompletedProcess:
    inv = tmp_path / "inventory.yml"
    inv.write_text(yaml.safe_dump(inventory))
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
    )
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), name, "-i", str(inv), *extra]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def broken() -> Iterator[KubeSim]:
    sim = KubeSim().start()
    start(sim, Scenario("istio", ("wrong-ca",)))
    yield sim
    sim.stop()


def test_probe_playbook_writes_the_host_probe_report(tmp_path: Path, broken: KubeSim) -> None:
    reports = tmp_path / "reports"
    inventory = {"all": {"hosts": {"kubesim": {"kubeconfig": broken.kubeconfig_path, "report_dir": str(reports)}}}}
    pods = sorted(p["metadata"]["name"] for p in broken.list("v1/pods", "demo"))
    proc = playbook(tmp_path, "playbooks/probe.yml", inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document = json.loads((reports / "kubesim.probe.json").read_text())
    assert document["schema"] == "meshops.sidecar_injection/probe/v1"
    assert document["cluster"]["name"] == "kubesim"
    assert [(r["namespace"], r["outcome"], r["reason_class"]) for r in document["results"]] == [
        ("demo", "rejected", "x509-unknown-authority")
    ]
    # istiod's serving certificate is in its memory: next_pod says injected, the probe disagrees
    assert [f["code"] for f in document["findings"]] == ["SI308", "SI309"]
    assert document["results"][0]["model"]["next_pod"]["outcome"] == "injected"
    assert "kubesim: probed 1 namespace(s) with dry-run pods: 1 rejected" in proc.stdout
    assert sorted(p["metadata"]["name"] for p in broken.list("v1/pods", "demo")) == pods

    # check mode: still probes (a dry run is safe), writes nothing
    (reports / "kubesim.probe.json").unlink()
    proc = playbook(tmp_path, "playbooks/probe.yml", inventory, "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 rejected" in proc.stdout and "probe report: (check mode: not written)" in proc.stdout
    assert not (reports / "kubesim.probe.json").exists()


@pytest.fixture
def over_quota() -> Iterator[KubeSim]:
    sim = KubeSim().start()
    start(sim, Scenario("istio", ("quota",)))
    yield sim
    sim.stop()


def test_the_diagnose_role_probes_when_asked_and_feeds_the_gate(tmp_path: Path, over_quota: KubeSim) -> None:
    """quota: the static diagnosis finds no error here; the probe's SI308 joins <host>.json and breaches the gate."""
    reports = tmp_path / "reports"
    inventory = {"all": {"hosts": {"kubesim": {"kubeconfig": over_quota.kubeconfig_path}}}}
    extra = {"report_dir": str(reports), "diagnose_report_formats": ["fleet"], "diagnose_fail_on": "error"}
    proc = playbook(tmp_path, "playbooks/diagnose.yml", inventory, "-e", json.dumps(extra))
    assert proc.returncode == 0, proc.stdout + proc.stderr  # without the probe: no error finding
    assert json.loads((reports / "kubesim.json").read_text())["summary"]["severities"]["error"] == 0
    assert not (reports / "kubesim.probe.json").exists()

    proc = playbook(tmp_path, "playbooks/diagnose.yml", inventory, "-e", json.dumps({**extra, "diagnose_probe": True}))
    assert proc.returncode == 2, proc.stdout + proc.stderr  # gate breached by the probe's finding
    probe = json.loads((reports / "kubesim.probe.json").read_text())
    assert [(r["namespace"], r["outcome"], r["reason_class"]) for r in probe["results"]] == [
        ("demo", "rejected", "quota-exceeded")
    ]
    assert "probe report: " + str(reports / "kubesim.probe.json") in proc.stdout
    report = json.loads((reports / "kubesim.json").read_text())
    assert [f["code"] for f in report["findings"] if f["severity"] == "error"] == ["SI308"]
    assert report["findings"][0] == probe["findings"][0]
    assert report["summary"]["severities"]["error"] == 1 and report["summary"]["codes"]["SI308"] == 1
    assert report["probe"]["results"] == probe["results"]
    fleet = json.loads((reports / "fleet.json").read_text())
    assert fleet["outcome"] == "gate_breached"
