"""playbooks/diagnose.yml over a small fleet: a live cluster (kubesim), an offline snapshot and an
unreachable cluster. The unreachable host ends unreachable (rc 4, "not diagnosed"), alone; the others
still get their reports, and the fleet reports list it."""

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


def playbook(tmp_path, inventory, *extra):
    inv = tmp_path / "inventory.yml"
    inv.write_text(yaml.safe_dump(inventory))
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".collections"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
    )
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "playbooks/diagnose.yml", "-i", str(inv)]
    return subprocess.run(cmd + list(extra), cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live(kubesim_session):
    kubesim_session.reset()
    kubesim_session.seed(EXAMPLE)
    yield kubesim_session
    kubesim_session.reset()


def test_an_unreachable_cluster_fails_alone_and_the_fleet_reports(tmp_path, live, closed_port):
    reports = tmp_path / "reports"
    inventory = {
        "all": {
            "hosts": {
                "live": {"kubeconfig": live.kubeconfig_path},
                "offline": {"snapshot_path": EXAMPLE},
                "gone": {
                    "api_host": "https://127.0.0.1:%d" % closed_port,
                    "api_key": "not-a-real-token",
                    "validate_certs": False,
                },
            }
        }
    }
    result = playbook(tmp_path, inventory, "-e", "report_dir=%s" % reports)
    assert result.returncode == 4, result.stdout + result.stderr
    assert sorted(os.listdir(reports)) == [
        "fleet.html",
        "fleet.json",
        "junit.xml",
        "live.json",
        "live.md",
        "offline.json",
        "offline.md",
        "sidecar_injection.prom",
    ]
    assert "fatal: [gone]: UNREACHABLE!" in result.stdout
    assert "https://127.0.0.1:%d" % closed_port in result.stdout
    assert "Traceback" not in result.stdout
    recap = {line.split()[0]: line for line in result.stdout.splitlines() if " : ok=" in line}
    assert "unreachable=1" in recap["gone"] and "failed=0" in recap["gone"]
    assert "failed=0" in recap["live"] and "failed=0" in recap["offline"]
    fleet = json.loads((reports / "fleet.json").read_text())
    assert [(c["name"], c["status"]) for c in fleet["clusters"]] == [  # inventory order
        ("gone", "not_diagnosed"),
        ("live", "passed"),
        ("offline", "passed"),
    ]
    assert "https://127.0.0.1:%d" % closed_port in fleet["not_diagnosed"][0]["error"]
    live_report = json.loads((reports / "live.json").read_text())
    offline_report = json.loads((reports / "offline.json").read_text())
    assert live_report["cluster"]["source"] == "live" and offline_report["cluster"]["source"] == "offline"
    assert sorted(f["code"] for f in live_report["findings"]) == sorted(f["code"] for f in offline_report["findings"])


def test_fail_on_severity_fails_the_host_with_a_message_naming_the_report(tmp_path):
    reports = tmp_path / "reports"
    result = playbook(
        tmp_path,
        {"all": {"hosts": {"demo": {"snapshot_path": EXAMPLE}}}},
        "-e",
        "report_dir=%s" % reports,
        "-e",
        "diagnose_fail_on=error",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    report = json.loads((reports / "demo.json").read_text())
    errors = report["summary"]["severities"]["error"]
    assert errors > 0
    message = "demo: gate breached: %d findings at error or worse (%d error); see %s" % (
        errors,
        errors,
        reports / "demo.json",
    )
    assert message in " ".join(result.stdout.split())
    recap = {line.split()[0]: line for line in result.stdout.splitlines() if " : ok=" in line}
    assert "failed=1" in recap["demo"] and "unreachable=0" in recap["demo"]


def test_the_gate_counts_every_severity_at_or_above_it(tmp_path):
    reports = tmp_path / "reports"
    result = playbook(
        tmp_path,
        {"all": {"hosts": {"demo": {"snapshot_path": EXAMPLE}}}},
        "-e",
        "report_dir=%s" % reports,
        "-e",
        "diagnose_fail_on=warning",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    sev = json.loads((reports / "demo.json").read_text())["summary"]["severities"]
    message = "demo: gate breached: %d findings at warning or worse (%d error, %d warning)" % (
        sev["error"] + sev["warning"],
        sev["error"],
        sev["warning"],
    )
    assert message in " ".join(result.stdout.split())


def test_offline_without_inventory_runs_once_on_localhost(tmp_path):
    env_reports = tmp_path / "reports"
    result = playbook(
        tmp_path, {"all": {"hosts": {}}}, "-e", "snapshot_path=%s" % EXAMPLE, "-e", "report_dir=%s" % env_reports
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(os.listdir(env_reports)) == [
        "fleet.html",
        "fleet.json",
        "junit.xml",
        "localhost.json",
        "localhost.md",
        "sidecar_injection.prom",
    ]
