"""playbooks/diagnose.yml as CI and AWX see it: exit codes that tell "gate breached" (2) from "could
not diagnose" (4), the set_stats a workflow node gets, honest check mode, where reports land by
default, and the required report_dir under AWX."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLE = os.path.join(REPO, "examples", "istio-broken")
PLAYBOOK = os.path.join(REPO, "playbooks", "diagnose.yml")


def playbook(tmp_path, inventory, *extra, cwd=REPO):
    inv = tmp_path / "inventory.yml"
    inv.write_text(yaml.safe_dump(inventory))
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_")}
    env.update(
        ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_NOCOLOR="1",
        # the default callback with JSON results: the custom stats print as one JSON line after "RUN:"
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_SHOW_CUSTOM_STATS="1",
    )
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), PLAYBOOK, "-i", str(inv)]
    return subprocess.run(
        cmd + list(extra), cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def custom_stats(stdout):
    line = [x for x in stdout.splitlines() if x.strip().startswith("RUN:")][-1]
    return json.loads(line.split("RUN:", 1)[1])


def recap(stdout):
    return {line.split()[0]: line for line in stdout.splitlines() if " : ok=" in line}


def gone(port):
    return {"api_host": "https://127.0.0.1:%d" % port, "api_key": "not-a-real-token", "validate_certs": False}


def test_set_stats_carry_the_outcome_the_fleet_the_report_paths_and_the_top_causes(tmp_path, closed_port):
    reports = tmp_path / "reports"
    inventory = {"all": {"hosts": {"demo": {"snapshot_path": EXAMPLE}, "gone": gone(closed_port)}}}
    result = playbook(tmp_path, inventory, "-e", "report_dir=%s" % reports, "-e", "diagnose_fail_on=error")
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr[-3000:]  # 4 wins over 2
    stats = custom_stats(result.stdout)
    assert stats["meshops_outcome"] == "not_diagnosed"
    assert stats["meshops_fleet"]["not_diagnosed"] == ["gone"]
    assert stats["meshops_fleet"]["clusters"]["demo"]["status"] == "gate_breached"
    assert stats["meshops_fleet"]["totals"]["clusters"] == 2
    assert stats["meshops_reports"]["dir"] == str(reports)
    assert stats["meshops_reports"]["files"]["fleet.html"] == str(reports / "fleet.html")
    assert stats["meshops_reports"]["files"]["demo.json"] == str(reports / "demo.json")
    fleet = json.loads((reports / "fleet.json").read_text())
    assert stats["meshops_top_causes"] == [
        {"code": c["code"], "slug": c["slug"], "workloads": c["workloads"], "clusters": c["clusters"]}
        for c in fleet["top_root_causes"][:5]
    ]
    hosts = recap(result.stdout)
    assert "unreachable=1" in hosts["gone"] and "failed=1" in hosts["demo"] and "unreachable=0" in hosts["demo"]


def test_check_mode_diagnoses_returns_everything_and_writes_nothing(tmp_path):
    reports = tmp_path / "reports"
    inventory = {"all": {"hosts": {"demo": {"snapshot_path": EXAMPLE}}}}
    result = playbook(tmp_path, inventory, "--check", "-e", "report_dir=%s" % reports)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert not reports.exists()
    reference = playbook(tmp_path, inventory, "-e", "report_dir=%s" % reports)
    report = json.loads((reports / "demo.json").read_text())
    stats, written = custom_stats(result.stdout), custom_stats(reference.stdout)
    assert stats["meshops_fleet"] == written["meshops_fleet"]
    assert stats["meshops_fleet"]["clusters"]["demo"]["severities"] == report["summary"]["severities"]
    assert stats["meshops_top_causes"] == written["meshops_top_causes"] != []
    assert "findings: %d error" % report["summary"]["severities"]["error"] in result.stdout


def test_reports_land_relative_to_where_the_run_starts(tmp_path):
    run_dir = tmp_path / "pipeline"
    run_dir.mkdir()
    result = playbook(tmp_path, {"all": {"hosts": {"demo": {"snapshot_path": EXAMPLE}}}}, cwd=run_dir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(os.listdir(run_dir / "reports")) == [
        "demo.json",
        "demo.md",
        "fleet.html",
        "fleet.json",
        "junit.xml",
        "sidecar_injection.prom",
    ]
    assert not os.path.exists(os.path.join(REPO, "playbooks", "..", "reports", "demo.json"))


def test_under_awx_report_dir_is_required(tmp_path):
    result = playbook(tmp_path, {"all": {"hosts": {"demo": {"snapshot_path": EXAMPLE}}}}, "-e", "awx_job_id=42")
    assert result.returncode == 2
    assert "report_dir is required in AWX / Automation Controller" in " ".join(result.stdout.split())
