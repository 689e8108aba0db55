# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/remediate.yml and rollback.yml on three clusters, one of which cannot be reached: check
mode leaves the clusters byte-identical, the run converges the two others, a second run changes
nothing, and rollback puts everything back."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.integration.inventory.helpers import REPO, environment

from .helpers import istio_cluster, labels_of, namespace, store

MWC = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
STORE = ["v1/namespaces", MWC, "networking.k8s.io/v1/networkpolicies"]
DESIRED = {
    "desired_namespaces": [{"name": "both"}, {"pattern": "team-*", "mesh": "istio"}],
    "remediate_webhooks": True,
    "harden_webhooks": [{"configuration": "istio-sidecar-injector", "timeout_seconds": 5,
                         "exclude_namespaces": ["istio-system"]}],
    "remediate_select": "findings[?code=='SI102']",
}  # fmt: skip


def playbook(tmp_path, name, *args):
    import os
    import subprocess
    import sys

    env = environment(tmp_path)
    env["ANSIBLE_INVENTORY_ENABLED"] = "yaml"
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "playbooks/%s" % name]
    cmd += ["-i", str(tmp_path / "clusters.yml")] + list(args)
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def recap(stdout):
    out = {}
    for host, _ok, changed, _unreachable, failed in re.findall(
        r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", stdout, re.M
    ):
        out[host] = {"changed": int(changed), "failed": int(failed)}
    return out


@pytest.mark.slow
def test_three_clusters_one_fails_check_converge_idempotent_rollback(kubesim_factory, tmp_path):
    broken = [namespace("both", {"istio-injection": "enabled", "istio.io/rev": "default"}), namespace("team-a")]
    sims = {"east": istio_cluster(kubesim_factory, *broken), "west": istio_cluster(kubesim_factory, *broken)}
    hosts = {name: {"kubeconfig": sim.kubeconfig_path} for name, sim in sims.items()}
    hosts["gone"] = {"kubeconfig": str(tmp_path / "missing-kubeconfig")}
    (tmp_path / "clusters.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    (tmp_path / "desired.yml").write_text(yaml.safe_dump(dict(DESIRED, report_dir=str(tmp_path / "runs"))))
    before = {name: store(sim, STORE) for name, sim in sims.items()}

    checked = playbook(tmp_path, "remediate.yml", "-e", "@%s" % (tmp_path / "desired.yml"),
                       "-e", "remediate_run_stamp=check", "--check", "--diff")  # fmt: skip
    assert checked.returncode == 2, checked.stdout[-4000:] + checked.stderr[-2000:]
    assert recap(checked.stdout)["gone"]["failed"] == 1
    assert recap(checked.stdout)["east"]["failed"] == 0 and recap(checked.stdout)["east"]["changed"] == 2
    assert "+    istio-injection: enabled" in checked.stdout  # the diff of team-a
    assert {name: store(sim, STORE) for name, sim in sims.items()} == before

    applied = playbook(tmp_path, "remediate.yml", "-e", "@%s" % (tmp_path / "desired.yml"),
                       "-e", "remediate_run_stamp=first")  # fmt: skip
    assert applied.returncode == 2, applied.stdout[-4000:] + applied.stderr[-2000:]
    result = recap(applied.stdout)
    assert result["gone"]["failed"] == 1
    for name, sim in sims.items():
        assert result[name] == {"changed": 2, "failed": 0}
        assert labels_of(sim, "both") == {"istio-injection": "enabled"}
        assert labels_of(sim, "team-a") == {"istio-injection": "enabled"}
        assert {h["timeoutSeconds"] for h in sim.get(MWC, None, "istio-sidecar-injector")["webhooks"]} == {5}
    report = json.loads((tmp_path / "runs" / "first" / "east.after.json").read_text())
    assert "SI102" not in {f["code"] for f in report["findings"]}
    files = sorted(p.name.split(".2026")[0] for p in (tmp_path / "runs" / "first" / "east" / "backup").iterdir())
    assert [f.rsplit(".", 1)[0] if f.endswith(".json") else f for f in files] == [
        "manifest",
        "mutatingwebhookconfiguration._cluster.istio-sidecar-injector",
        "namespace._cluster.both",
        "namespace._cluster.team-a",
    ]

    again = playbook(tmp_path, "remediate.yml", "-e", "@%s" % (tmp_path / "desired.yml"),
                     "-e", "remediate_run_stamp=second")  # fmt: skip
    assert {h: r["changed"] for h, r in recap(again.stdout).items() if h != "gone"} == {
        "localhost": 0,
        "east": 0,
        "west": 0,
    }

    (tmp_path / "clusters.yml").write_text(yaml.safe_dump({"all": {"hosts": {"east": hosts["east"]}}}))
    rolled = playbook(tmp_path, "rollback.yml", "-e", "backup_dir=%s" % (tmp_path / "runs" / "first"))
    assert rolled.returncode == 0, rolled.stdout[-4000:] + rolled.stderr[-2000:]
    assert store(sims["east"], STORE) != before["east"]  # resourceVersions moved on ...
    assert labels_of(sims["east"], "both") == {"istio-injection": "enabled", "istio.io/rev": "default"}
    assert labels_of(sims["east"], "team-a") == {}
    rolled_again = playbook(tmp_path, "rollback.yml", "-e", "backup_dir=%s" % (tmp_path / "runs" / "first"))
    assert recap(rolled_again.stdout)["east"]["changed"] == 0
