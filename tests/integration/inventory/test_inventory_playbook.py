# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory's host variables reach real modules: two test API servers in two kubeconfig files,
one ansible-playbook run, kubernetes.core.k8s_info and injection_facts per host, each host on its
own server."""

from __future__ import annotations

import json
import os
import textwrap

import yaml

from .helpers import PLUGIN, REPO, run

EKS = "arn:aws:eks:eu-west-1:111122223333:cluster/prod"
EKS_HOST = "arn_aws_eks_eu-west-1_111122223333_cluster_prod"
GKE = "gke_shop-1234_europe-west1_staging"

PLAY = """
- name: Every cluster of the inventory
  hosts: all
  gather_facts: false
  tasks:
    - name: List namespaces with kubernetes.core
      kubernetes.core.k8s_info:
        kind: Namespace
        kubeconfig: "{{ kubeconfig }}"
        context: "{{ context }}"
      register: namespaces

    - name: Gather with this collection
      meshops.sidecar_injection.injection_facts:
        kubeconfig: "{{ kubeconfig }}"
        context: "{{ context }}"
      register: facts

    - name: Keep what each host saw
      ansible.builtin.copy:
        content: "{{ {'namespaces': namespaces.resources | map(attribute='metadata.name') | sort,
                      'cluster': facts.summary.cluster, 'python': ansible_python_interpreter,
                      'server': kubeconfig_server} | to_json }}"
        dest: "{{ out }}/{{ inventory_hostname }}.json"
        mode: "0600"
"""


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def test_each_host_reaches_its_own_server(tmp_path, kubesim_factory):
    prod = kubesim_factory(context=EKS, token="prod-token-0123456789")
    staging = kubesim_factory(context=GKE, token="staging-token-9876543210")
    prod.seed(namespace("payments"))
    staging.seed(namespace("checkout"))
    eks = prod.write_kubeconfig(tmp_path / "eks.yaml")
    gke = staging.write_kubeconfig(tmp_path / "gke.yaml")
    config = tmp_path / "fleet.kubeconfig.yml"
    config.write_text(yaml.safe_dump({"plugin": PLUGIN, "kubeconfig": [eks, gke]}))
    play = tmp_path / "play.yml"
    play.write_text(textwrap.dedent(PLAY))
    out = tmp_path / "out"
    out.mkdir()
    prod.clear_requests()
    staging.clear_requests()

    result = run(tmp_path, "ansible-playbook", "-i", str(config), str(play), "-e", "out=%s" % out)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    seen = {path.stem: json.loads(path.read_text()) for path in out.iterdir()}
    baseline = ["default", "kube-node-lease", "kube-public", "kube-system"]
    python = run(tmp_path, "python", "-c", "import sys; print(sys.executable)").stdout.strip()
    assert seen == {
        EKS_HOST: {
            "namespaces": sorted(baseline + ["payments"]),
            "cluster": {"name": EKS, "source": "live", "server": prod.url, "context": EKS, "path": None},
            "python": python,
            "server": prod.url,
        },
        GKE: {
            "namespaces": sorted(baseline + ["checkout"]),
            "cluster": {"name": GKE, "source": "live", "server": staging.url, "context": GKE, "path": None},
            "python": python,
            "server": staging.url,
        },
    }
    # each server was listed by both modules (k8s_info: one request; injection_facts: its paged plan),
    # with the identity of its own kubeconfig
    for sim in (prod, staging):
        lists = [r for r in sim.requests if r["verb"] == "list" and r["resource"] == "namespaces"]
        assert len(lists) >= 2 and {r["status"] for r in lists} == {200}
        assert {r["user"] for r in sim.requests} == {"kubernetes-admin"}
    for token in (prod.token, staging.token):
        assert token not in result.stdout + result.stderr


def test_diagnose_playbook_over_the_inventory_plugin(tmp_path, kubesim_factory):
    """playbooks/diagnose.yml with nothing but the plugin's host variables; the report file is named
    after the sanitised host, the report names the original context."""
    sim = kubesim_factory(context=EKS)
    sim.seed(os.path.join(REPO, "examples", "istio-broken"))
    config = tmp_path / "clusters.kubeconfig.yml"
    config.write_text(yaml.safe_dump({"plugin": PLUGIN, "kubeconfig": sim.write_kubeconfig(tmp_path / "eks.yaml")}))
    reports = tmp_path / "reports"

    result = run(
        tmp_path, "ansible-playbook", "playbooks/diagnose.yml", "-i", str(config), "-e", "report_dir=%s" % reports
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sorted(os.listdir(reports)) == sorted(
        [EKS_HOST + ".json", EKS_HOST + ".md", "fleet.html", "fleet.json", "junit.xml", "sidecar_injection.prom"]
    )
    report = json.loads((reports / (EKS_HOST + ".json")).read_text())
    assert report["cluster"] == {"name": EKS_HOST, "source": "live", "server": sim.url, "context": EKS, "path": None}
    assert report["summary"]["severities"]["error"] > 0
