# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubeconfig inventory plugin through Ansible's own InventoryManager and DataLoader: hosts,
host variables, names, filters, merged KUBECONFIG-style entries, constructed features, errors."""

from __future__ import annotations

import os

import pytest
import yaml
from ansible import constants as C
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 templates every string
    trust_as_template = str

PLUGIN = "meshops.sidecar_injection.kubeconfig"
EKS = "arn:aws:eks:eu-west-1:111122223333:cluster/prod"
EKS_HOST = "arn_aws_eks_eu-west-1_111122223333_cluster_prod"
GKE = "gke_shop-1234_europe-west1_staging"
AKS = "aks-payments-westeurope"
SECRETS = ("SECRET-TOKEN", "S3CR3T-PASSWORD", "Q0xJRU5ULUtFWQ==", "Q0xJRU5ULUNFUlQ=", "Q0EtREFUQQ==", "hunter2")


def kubeconfig(path, contexts=(), clusters=(), users=(), current=None):
    """Write a kubeconfig; contexts are (name, cluster, user, namespace) tuples."""
    data = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": dict(cluster)} for name, cluster in clusters],
        "contexts": [
            {"name": name, "context": {k: v for k, v in (("cluster", c), ("user", u), ("namespace", ns)) if v}}
            for name, c, u, ns in contexts
        ],
        "users": [{"name": name, "user": dict(user)} for name, user in users],
    }
    if current:
        data["current-context"] = current
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.fixture
def clouds(tmp_path):
    """Two kubeconfigs as the cloud CLIs write them (aws eks / gcloud / az aks get-credentials)."""
    eks = kubeconfig(
        tmp_path / "eks.yaml",
        contexts=[(EKS, EKS, EKS, "payments")],
        clusters=[
            (
                EKS,
                {
                    "server": "https://ABCD.gr7.eu-west-1.eks.amazonaws.com",
                    "certificate-authority-data": "Q0EtREFUQQ==",
                },
            )
        ],
        users=[
            (
                EKS,
                {
                    "exec": {
                        "command": "aws",
                        "args": ["eks", "get-token"],
                        "env": [{"name": "T", "value": "SECRET-TOKEN"}],
                    }
                },
            )
        ],
        current=EKS,
    )
    other = kubeconfig(
        tmp_path / "other.yaml",
        contexts=[(GKE, GKE, GKE, None), (AKS, AKS, "clusterUser_payments_" + AKS, "default")],
        clusters=[
            (GKE, {"server": "https://admin:hunter2@34.77.1.2", "certificate-authority-data": "Q0EtREFUQQ=="}),
            (AKS, {"server": "https://aks-payments-dns-1a2b.hcp.westeurope.azmk8s.io:443"}),
        ],
        users=[
            (GKE, {"token": "SECRET-TOKEN"}),
            (
                "clusterUser_payments_" + AKS,
                {
                    "client-certificate-data": "Q0xJRU5ULUNFUlQ=",
                    "client-key-data": "Q0xJRU5ULUtFWQ==",
                    "password": "S3CR3T-PASSWORD",
                },
            ),
        ],
    )
    return eks, other


def load(tmp_path, monkeypatch, config, name="clusters.kubeconfig.yml", plugins=(PLUGIN,)):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(dict({"plugin": PLUGIN}, **config)))
    monkeypatch.setattr(C, "INVENTORY_ENABLED", list(plugins))
    return InventoryManager(loader=DataLoader(), sources=[str(path)])


def warnings(capsys):
    """The warnings Display printed, one string each (older ansible-core wraps them at the terminal
    width, continuing on unprefixed lines)."""
    out = []
    for line in capsys.readouterr().err.splitlines():
        if line.startswith("[WARNING]: "):
            out.append(line[len("[WARNING]: ") :])
        elif out and line and not line.startswith("["):
            out[-1] += line if out[-1].endswith("-") else " " + line
    return out


def said(err, text):
    """`text` appears in Ansible's error output, whatever ansible-core's version wraps or frames it with
    (2.19 prints the cause after "<<< caused by >>>", 2.16 inline and wrapped at the terminal width)."""
    return "".join(text.split()) in "".join(err.split())


def own_vars(inventory, host):
    return {k: v for k, v in inventory.get_host(host).vars.items() if k not in ("inventory_file", "inventory_dir")}


def groups(inventory):
    """Each group's own hosts (not those of its children)."""
    return {name: sorted(h.name for h in group.hosts) for name, group in inventory.groups.items()}


def test_one_host_per_context_with_the_auth_vars_and_no_credentials(
    tmp_path, monkeypatch, capsys, clouds, collection_loader
):
    eks, other = clouds
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [eks, other]})
    assert warnings(capsys) == []
    assert sorted(inventory.hosts) == sorted([EKS_HOST, GKE, AKS])
    common = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    assert own_vars(inventory, EKS_HOST) == dict(
        common,
        kubeconfig=eks,
        context=EKS,
        kubeconfig_cluster=EKS,
        kubeconfig_server="https://ABCD.gr7.eu-west-1.eks.amazonaws.com",
        kubeconfig_namespace="payments",
        kubeconfig_user=EKS,
    )
    assert own_vars(inventory, GKE) == dict(
        common,
        kubeconfig=other,
        context=GKE,
        kubeconfig_cluster=GKE,
        kubeconfig_server="https://34.77.1.2",
        kubeconfig_namespace=None,
        kubeconfig_user=GKE,
    )
    assert own_vars(inventory, AKS) == dict(
        common,
        kubeconfig=other,
        context=AKS,
        kubeconfig_cluster=AKS,
        kubeconfig_server="https://aks-payments-dns-1a2b.hcp.westeurope.azmk8s.io:443",
        kubeconfig_namespace="default",
        kubeconfig_user="clusterUser_payments_" + AKS,
    )
    assert inventory.get_host(AKS).vars["inventory_file"] == str(tmp_path / "clusters.kubeconfig.yml")
    everything = repr([inventory.get_host(h).get_vars() for h in inventory.hosts])
    assert [secret for secret in SECRETS if secret in everything] == []
    assert groups(inventory) == {"all": [], "ungrouped": sorted([EKS_HOST, GKE, AKS])}


def test_host_names_are_sanitised_only_when_needed(tmp_path, monkeypatch, capsys, collection_loader):
    names = [
        "kind-kind",
        "admin@prod.eu-west-1.eksctl.io",
        "default/api-ocp-example-com:6443/kube:admin",
        "@home",
        "team a,b*[0]!~&",
    ]
    path = kubeconfig(
        tmp_path / "config",
        contexts=[(name, "c", "u", None) for name in names],
        clusters=[("c", {"server": "https://127.0.0.1:6443"})],
    )
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": path})
    assert warnings(capsys) == []
    hosts = {name: inventory.get_host(name).vars["context"] for name in inventory.hosts}
    assert hosts == {
        "kind-kind": "kind-kind",
        "admin@prod.eu-west-1.eksctl.io": "admin@prod.eu-west-1.eksctl.io",
        "default_api-ocp-example-com_6443_kube_admin": "default/api-ocp-example-com:6443/kube:admin",
        "_home": "@home",
        "team_a_b__0____": "team a,b*[0]!~&",
    }
    # every sanitised name is one host pattern that matches exactly its host
    assert [[h.name for h in inventory.get_hosts(name)] for name in sorted(hosts)] == [[name] for name in sorted(hosts)]


def test_include_and_exclude_match_the_context_name_anywhere(tmp_path, monkeypatch, clouds, collection_loader):
    eks, other = clouds
    inventory = load(
        tmp_path,
        monkeypatch,
        {"kubeconfig": [eks, other], "include_contexts": [":cluster/", "^gke_"], "exclude_contexts": ["staging$"]},
    )
    # `:cluster/` matches inside the ARN (re.search), and only the original name has `:` and `/`
    assert sorted(inventory.hosts) == [EKS_HOST]
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [eks, other], "exclude_contexts": ["^aks-", "eks"]})
    assert sorted(inventory.hosts) == [GKE]


def test_a_merged_entry_resolves_across_its_files_and_a_missing_file_is_a_warning(
    tmp_path, monkeypatch, capsys, collection_loader
):
    clusters = kubeconfig(
        tmp_path / "clusters.yaml",
        contexts=[("prod", "prod", "ops", None)],
        clusters=[("prod", {"server": "https://prod.example:6443"}), ("dev", {"server": "https://dev.example:6443"})],
    )
    users = kubeconfig(
        tmp_path / "users.yaml",
        contexts=[("prod", "dev", "ops", "shadowed"), ("dev", "dev", "ops", "team")],
        clusters=[("prod", {"server": "https://shadowed.example"})],
        users=[("ops", {"token": "SECRET-TOKEN"})],
    )
    missing = str(tmp_path / "gone.yaml")
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [os.pathsep.join([clusters, missing, users]), missing]})
    assert warnings(capsys) == ["kubeconfig %s does not exist; skipped" % missing]
    merged = clusters + os.pathsep + users
    assert sorted(inventory.hosts) == ["dev", "prod"]
    # the first file to define a name wins, as with kubectl and $KUBECONFIG
    assert own_vars(inventory, "prod")["kubeconfig_server"] == "https://prod.example:6443"
    assert own_vars(inventory, "prod")["kubeconfig_namespace"] is None
    assert own_vars(inventory, "dev") == {
        "kubeconfig": merged,
        "context": "dev",
        "kubeconfig_cluster": "dev",
        "kubeconfig_server": "https://dev.example:6443",
        "kubeconfig_namespace": "team",
        "kubeconfig_user": "ops",
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
    }


def test_the_same_host_twice_keeps_the_first_and_names_both(tmp_path, monkeypatch, capsys, collection_loader):
    first = kubeconfig(
        tmp_path / "a.yaml", contexts=[("kind-kind", "k", "k", None)], clusters=[("k", {"server": "https://a"})]
    )
    second = kubeconfig(
        tmp_path / "b.yaml",
        contexts=[("kind-kind", "k", "k", None), ("kind:kind", "k", "k", None)],
        clusters=[("k", {"server": "https://b"})],
    )
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [first, second]})
    assert sorted(inventory.hosts) == ["kind-kind", "kind_kind"]
    assert own_vars(inventory, "kind-kind")["kubeconfig"] == first
    assert warnings(capsys) == [
        "kubeconfig %s: context kind-kind would be host kind-kind, which context kind-kind of %s already is; skipped"
        % (second, first)
    ]
    third = kubeconfig(
        tmp_path / "c.yaml", contexts=[("kind_kind", "k", "k", None)], clusters=[("k", {"server": "https://c"})]
    )
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [second, third]})
    assert own_vars(inventory, "kind_kind")["context"] == "kind:kind"
    assert warnings(capsys) == [
        "kubeconfig %s: context kind_kind would be host kind_kind, which context kind:kind of %s already is; skipped"
        % (third, second)
    ]


def test_a_context_without_its_cluster_is_kept_with_a_warning(tmp_path, monkeypatch, capsys, collection_loader):
    path = kubeconfig(tmp_path / "config", contexts=[("orphan", "gone", "u", None)])
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [path, str(empty)]})
    assert sorted(inventory.hosts) == ["orphan"]
    assert own_vars(inventory, "orphan")["kubeconfig_server"] is None
    assert warnings(capsys) == [
        "kubeconfig %s: context orphan names cluster gone, which this kubeconfig does not define" % path,
        "kubeconfig %s defines no contexts" % empty,
    ]


def test_the_default_is_the_users_kube_config(tmp_path, monkeypatch, collection_loader):
    (tmp_path / ".kube").mkdir()
    path = kubeconfig(
        tmp_path / ".kube" / "config",
        contexts=[("minikube", "m", "m", None)],
        clusters=[("m", {"server": "https://m"})],
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("K8S_AUTH_KUBECONFIG", raising=False)
    inventory = load(tmp_path, monkeypatch, {})
    assert sorted(inventory.hosts) == ["minikube"]
    assert own_vars(inventory, "minikube")["kubeconfig"] == path


def test_k8s_auth_kubeconfig_names_the_files_when_the_configuration_does_not(tmp_path, monkeypatch, collection_loader):
    one = kubeconfig(
        tmp_path / "one.yaml", contexts=[("one", "c", "u", None)], clusters=[("c", {"server": "https://1"})]
    )
    two = kubeconfig(
        tmp_path / "two.yaml", contexts=[("two", "c", "u", None)], clusters=[("c", {"server": "https://2"})]
    )
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", os.pathsep.join([one, two]))
    inventory = load(tmp_path, monkeypatch, {})
    assert sorted(inventory.hosts) == ["one", "two"]
    assert own_vars(inventory, "two")["kubeconfig"] == os.pathsep.join([one, two])
    assert sorted(load(tmp_path, monkeypatch, {"kubeconfig": [two]}).hosts) == ["two"]


@pytest.mark.parametrize(
    "content, problem",
    [
        (
            "clusters: [\n",
            "is not valid YAML: while parsing a flow node: "
            "expected the node content, but found '<stream end>' (line 2, column 1)",
        ),
        ("- a\n- b\n", "is not a kubeconfig: expected a mapping with clusters, contexts and users, got list"),
        ("contexts: {prod: {}}\n", "is not a kubeconfig: contexts is a dict, not a list"),
        ("contexts:\n- context: {cluster: c}\n", "is not a kubeconfig: contexts[0] has no name"),
        ("clusters:\n- name: c\n  cluster: https://c\n", "is not a kubeconfig: clusters[0] (c) has no cluster mapping"),
    ],
)
def test_an_invalid_kubeconfig_fails_the_source_naming_the_file(
    tmp_path, monkeypatch, capsys, content, problem, collection_loader
):
    good = kubeconfig(
        tmp_path / "good.yaml", contexts=[("ok", "c", "u", None)], clusters=[("c", {"server": "https://c"})]
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [good, str(bad)]})
    assert list(inventory.hosts) == []
    err = capsys.readouterr().err
    assert said(err, "kubeconfig %s %s" % (bad, problem))
    assert said(err, "[WARNING]: Unable to parse %s as an inventory source" % (tmp_path / "clusters.kubeconfig.yml"))


def test_an_unreadable_kubeconfig_and_a_bad_pattern_are_errors(tmp_path, monkeypatch, capsys, collection_loader):
    (tmp_path / "adir").mkdir()
    load(tmp_path, monkeypatch, {"kubeconfig": [str(tmp_path / "adir")]})
    assert said(capsys.readouterr().err, "Cannot read kubeconfig %s: Is a directory" % (tmp_path / "adir"))
    load(tmp_path, monkeypatch, {"kubeconfig": [], "include_contexts": ["prod("]})
    assert said(
        capsys.readouterr().err,
        "include_contexts: 'prod(' is not a valid regular expression: missing ), unterminated subpattern at position 4",
    )


def test_compose_groups_and_keyed_groups_on_a_composed_var(tmp_path, monkeypatch, clouds, collection_loader):
    eks, other = clouds
    config = {
        "kubeconfig": [eks, other],
        "compose": {
            "cloud": "'eks' if context is match('arn:aws:eks:') else ('gke' if context is match('gke_') else 'aks')",
            # compose expressions see the plugin's variables, not each other's results
            "region": "context.split(':')[3] if ':' in context else context.split('_')[2] | default('westeurope')",
        },
        "keyed_groups": [{"key": "cloud", "prefix": "cloud"}, {"key": "region", "prefix": "region"}],
        "groups": {"production": "'prod' in context", "namespaced": "kubeconfig_namespace is not none"},
    }
    inventory = load(tmp_path, monkeypatch, config)
    assert own_vars(inventory, EKS_HOST)["region"] == "eu-west-1"
    assert groups(inventory) == {
        "all": [],
        "ungrouped": [],
        "cloud_eks": [EKS_HOST],
        "cloud_gke": [GKE],
        "cloud_aks": [AKS],
        "region_eu_west_1": [EKS_HOST],
        "region_europe_west1": [GKE],
        "region_westeurope": [AKS],
        "production": [EKS_HOST],
        "namespaced": sorted([AKS, EKS_HOST]),
    }


def test_strict_makes_a_failing_expression_an_error(tmp_path, monkeypatch, capsys, clouds, collection_loader):
    eks, _other = clouds
    config = {"kubeconfig": [eks], "compose": {"zone": "context.split('_')[5]"}}
    inventory = load(tmp_path, monkeypatch, config)
    assert "zone" not in own_vars(inventory, EKS_HOST)
    capsys.readouterr()
    load(tmp_path, monkeypatch, dict(config, strict=True))
    err = capsys.readouterr().err
    # the template error's own wording is Jinja's and differs between ansible-core releases
    assert said(err, "Could not set zone for host %s: " % EKS_HOST)
    assert said(err, "[WARNING]: Unable to parse %s as an inventory source" % (tmp_path / "clusters.kubeconfig.yml"))


def test_the_interpreter_renders_to_the_controller_python_and_can_be_left_unset(
    tmp_path, monkeypatch, clouds, collection_loader
):
    eks, _other = clouds
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [eks]})
    variables = dict(inventory.get_host(EKS_HOST).get_vars(), ansible_playbook_python="/opt/venv/bin/python")
    templar = Templar(loader=DataLoader(), variables=variables)
    assert templar.template(trust_as_template("{{ ansible_python_interpreter }}")) == "/opt/venv/bin/python"
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [eks], "python_interpreter": ""})
    assert "ansible_python_interpreter" not in own_vars(inventory, EKS_HOST)
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [eks], "python_interpreter": "/usr/bin/python3.11"})
    assert own_vars(inventory, EKS_HOST)["ansible_python_interpreter"] == "/usr/bin/python3.11"


def test_values_from_a_kubeconfig_are_never_templated(tmp_path, monkeypatch, collection_loader):
    marker = tmp_path / "pwned"
    evil = "{{ lookup('pipe', 'touch %s') }}" % marker
    path = kubeconfig(tmp_path / "config", contexts=[(evil, evil, evil, evil)], clusters=[(evil, {"server": evil})])
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": path})
    assert len(inventory.hosts) == 1
    host = next(iter(inventory.hosts))
    templar = Templar(loader=DataLoader(), variables=inventory.get_host(host).get_vars())
    for name in ("context", "kubeconfig_cluster", "kubeconfig_server", "kubeconfig_namespace", "kubeconfig_user"):
        assert templar.template(trust_as_template("{{ %s }}" % name)) == evil
    assert not marker.exists()


def test_only_configuration_files_named_kubeconfig_yml_are_read(tmp_path, monkeypatch, clouds, collection_loader):
    eks, _other = clouds
    assert sorted(load(tmp_path, monkeypatch, {"kubeconfig": [eks]}, name="kubeconfig.yaml").hosts) == [EKS_HOST]
    assert list(load(tmp_path, monkeypatch, {"kubeconfig": [eks]}, name="clusters.yml").hosts) == []
    assert list(load(tmp_path, monkeypatch, {"kubeconfig": [eks]}, name="eks.kubeconfig.yml.bak").hosts) == []


def test_the_auto_plugin_hands_the_file_to_this_plugin(tmp_path, monkeypatch, clouds, collection_loader):
    """With Ansible's default enable_plugins (`auto` among them) no configuration is needed."""
    eks, _other = clouds
    inventory = load(tmp_path, monkeypatch, {"kubeconfig": [eks]}, plugins=("auto",))
    assert sorted(inventory.hosts) == [EKS_HOST]
