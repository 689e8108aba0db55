# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`ansible-inventory --graph` and `--list` over a fleet of kubeconfig files: the exact output,
with keyed groups on a composed variable, an excluded context and a missing file."""

from __future__ import annotations

import json

import pytest
import yaml

from .helpers import PLUGIN, run, warnings

EKS = "arn:aws:eks:eu-west-1:111122223333:cluster/prod"
EKS_HOST = "arn_aws_eks_eu-west-1_111122223333_cluster_prod"
GKE = "gke_shop-1234_europe-west1_staging"
AKS = "aks-payments-westeurope"
AKS_SERVER = "https://aks-payments-dns-1a2b.hcp.westeurope.azmk8s.io:443"
SANDBOX = "kind-sandbox"
TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6InNlY3JldCJ9"


def context(name, namespace):
    entry = {"cluster": name, "user": name + "-user"}
    if namespace:
        entry["namespace"] = namespace
    return entry


def write(path, contexts):
    """A kubeconfig with one cluster and one user per context: (name, server, namespace)."""
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": contexts[0][0],
                "clusters": [
                    {"name": name, "cluster": {"server": server, "certificate-authority-data": "Q0EtREFUQQ=="}}
                    for name, server, _ns in contexts
                ],
                "contexts": [{"name": name, "context": context(name, ns)} for name, _server, ns in contexts],
                "users": [{"name": name + "-user", "user": {"token": TOKEN}} for name, _s, _ns in contexts],
            }
        )
    )
    return str(path)


@pytest.fixture
def fleet(tmp_path):
    eks = write(tmp_path / "eks.yaml", [(EKS, "https://ABCD.gr7.eu-west-1.eks.amazonaws.com", "payments")])
    others = write(
        tmp_path / "others.yaml",
        [
            (GKE, "https://34.77.1.2", None),
            (AKS, AKS_SERVER, "checkout"),
            (SANDBOX, "https://127.0.0.1:41234", None),
        ],
    )
    missing = str(tmp_path / "retired.yaml")
    config = tmp_path / "clusters.kubeconfig.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "plugin": PLUGIN,
                "kubeconfig": [eks, missing, others],
                "exclude_contexts": ["^kind-"],
                "compose": {
                    "cloud": "'eks' if context is match('arn:aws:eks:') else "
                    "('gke' if context is match('gke_') else 'aks')",
                },
                "keyed_groups": [{"key": "cloud", "prefix": "cloud"}],
                "groups": {"production": "'prod' in context"},
            },
            sort_keys=False,
        )
    )
    return {"config": str(config), "eks": eks, "others": others, "missing": missing}


def test_graph(tmp_path, fleet):
    result = run(tmp_path, "ansible-inventory", "-i", fleet["config"], "--graph")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "@all:\n"
        "  |--@ungrouped:\n"
        "  |--@production:\n"
        "  |  |--%s\n"
        "  |--@cloud_eks:\n"
        "  |  |--%s\n"
        "  |--@cloud_gke:\n"
        "  |  |--%s\n"
        "  |--@cloud_aks:\n"
        "  |  |--%s\n" % (EKS_HOST, EKS_HOST, GKE, AKS)
    )
    assert warnings(result.stderr) == ["kubeconfig %s does not exist; skipped" % fleet["missing"]]


def test_list(tmp_path, fleet):
    result = run(tmp_path, "ansible-inventory", "-i", fleet["config"], "--list")
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout and "Q0EtREFUQQ==" not in result.stdout

    def unsafe(value):  # ansible-inventory's marker for values that are never templated
        return {"__ansible_unsafe": value} if value is not None else None

    def host(kubeconfig, context, server, namespace, cloud):
        return {
            "ansible_connection": unsafe("local"),
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "cloud": unsafe(cloud),
            "context": unsafe(context),
            "kubeconfig": unsafe(kubeconfig),
            "kubeconfig_cluster": unsafe(context),
            "kubeconfig_namespace": unsafe(namespace),
            "kubeconfig_server": unsafe(server),
            "kubeconfig_user": unsafe(context + "-user"),
        }

    assert json.loads(result.stdout) == {
        "_meta": {
            "hostvars": {
                EKS_HOST: host(fleet["eks"], EKS, "https://ABCD.gr7.eu-west-1.eks.amazonaws.com", "payments", "eks"),
                GKE: host(fleet["others"], GKE, "https://34.77.1.2", None, "gke"),
                AKS: host(fleet["others"], AKS, AKS_SERVER, "checkout", "aks"),
            },
            "profile": "inventory_legacy",
        },
        "all": {"children": ["ungrouped", "production", "cloud_eks", "cloud_gke", "cloud_aks"]},
        "cloud_aks": {"hosts": [AKS]},
        "cloud_eks": {"hosts": [EKS_HOST]},
        "cloud_gke": {"hosts": [GKE]},
        "production": {"hosts": [EKS_HOST]},
    }
