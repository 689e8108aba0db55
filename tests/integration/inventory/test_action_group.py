# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`module_defaults` for the collection's action group: the auth options set once reach this
collection's modules and, through extend_group, kubernetes.core's k8s group. kubernetes.core's own
group reaches this collection's modules through their action plugins (plugins/action/), which take
its auth options when the task sets none of its own; without defaults the module fails with one
clear message."""

from __future__ import annotations

import ast
import glob
import json
import os
import textwrap

import yaml

from .helpers import REPO, run

NO_CONFIG = (
    "Cannot load the Kubernetes client configuration from the in-cluster service account or the default "
    "kubeconfig (~/.kube/config, $KUBECONFIG): Invalid kube-config file. No configuration found."
)

PLAY = """
- name: Auth options from module_defaults only
  hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
    auth: {{kubeconfig: {kubeconfig}, context: {context}}}
  tasks:
    - name: This collection's group
      module_defaults:
        group/meshops.sidecar_injection.k8s: "{{{{ auth }}}}"
      block:
        - name: Our module
          meshops.sidecar_injection.injection_facts: {{}}
          register: ours
        - name: A kubernetes.core module, through extend_group
          kubernetes.core.k8s_info:
            kind: Namespace
            name: default
          register: core

    - name: Only kubernetes.core's group
      module_defaults:
        group/kubernetes.core.k8s: "{{{{ auth }}}}"
      block:
        - name: A kubernetes.core module
          kubernetes.core.k8s_info:
            kind: Namespace
            name: default
          register: core_only
        - name: Our module gets the auth options through its action plugin
          meshops.sidecar_injection.injection_facts: {{}}
          register: ours_from_core
        - name: The diagnosis too, in check mode
          meshops.sidecar_injection.injection_diagnose:
            cluster_name: from-core
          check_mode: true
          register: diagnose_from_core
        - name: An auth option of the task's own wins over the whole group entry
          meshops.sidecar_injection.injection_facts:
            kubeconfig: {missing}
          register: own_auth
          ignore_errors: true

    - name: No defaults at all
      meshops.sidecar_injection.injection_facts: {{}}
      register: nothing
      ignore_errors: true

    - name: Keep the results
      ansible.builtin.copy:
        content: "{{{{ {{'ours': ours, 'core': core, 'core_only': core_only, 'ours_from_core': ours_from_core,
                        'diagnose_from_core': diagnose_from_core, 'own_auth': own_auth,
                        'nothing': nothing}} | to_json }}}}"
        dest: {out}
        mode: "0600"
"""


def test_module_defaults_for_the_group_reach_our_modules_and_kubernetes_core(tmp_path, kubesim):
    play = tmp_path / "play.yml"
    out = tmp_path / "out.json"
    missing = tmp_path / "missing-kubeconfig"
    play.write_text(
        textwrap.dedent(
            PLAY.format(kubeconfig=kubesim.kubeconfig_path, context=kubesim.context, out=out, missing=missing)
        )
    )
    result = run(tmp_path, "ansible-playbook", str(play))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    got = json.loads(out.read_text())
    assert got["ours"]["failed"] is False
    assert got["ours"]["summary"]["cluster"]["server"] == kubesim.url
    assert got["ours"]["summary"]["cluster"]["context"] == kubesim.context
    assert got["ours"]["summary"]["counts"]["namespaces"] == 4
    assert [r["metadata"]["name"] for r in got["core"]["resources"]] == ["default"]
    assert [r["metadata"]["name"] for r in got["core_only"]["resources"]] == ["default"]
    assert got["ours_from_core"]["failed"] is False
    assert got["ours_from_core"]["summary"]["cluster"]["server"] == kubesim.url
    assert got["ours_from_core"]["summary"]["cluster"]["context"] == kubesim.context
    assert got["ours_from_core"]["summary"]["counts"] == got["ours"]["summary"]["counts"]
    assert got["diagnose_from_core"]["failed"] is False and got["diagnose_from_core"]["changed"] is False
    assert got["diagnose_from_core"]["cluster"]["name"] == "from-core"
    assert got["diagnose_from_core"]["cluster"]["server"] == kubesim.url
    assert got["own_auth"]["failed"] is True
    # kubernetes.core marks kubeconfig no_log, so Ansible masks the path the task gave
    assert (
        got["own_auth"]["msg"] == "Cannot load the Kubernetes client configuration: kubeconfig ******** does not exist"
    )
    assert got["nothing"]["failed"] is True and got["nothing"]["msg"] == NO_CONFIG
    assert "Traceback" not in result.stdout + result.stderr


def cluster_modules():
    """(modules that talk to a cluster, the controller-only ones): the former take kubernetes.core's
    auth options (their documentation extends kubernetes.core.k8s_auth_options)."""
    cluster, controller = [], []
    for path in sorted(glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))):
        with open(path) as handle:
            tree = ast.parse(handle.read())
        docs = next(
            node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION"
        )
        fragments = yaml.safe_load(docs).get("extends_documentation_fragment") or []
        name = os.path.basename(path)[: -len(".py")]
        (cluster if "kubernetes.core.k8s_auth_options" in fragments else controller).append(name)
    return cluster, controller


def test_every_module_that_talks_to_a_cluster_is_in_the_action_group():
    """A new module that is not listed would silently ignore `module_defaults` for the group; the
    controller-only ones (reports, exit policy) stay out, as auth options would be unknown to them."""
    with open(os.path.join(REPO, "meta", "runtime.yml")) as handle:
        group = yaml.safe_load(handle)["action_groups"]["k8s"]
    cluster, controller = cluster_modules()
    assert cluster == [
        "injection_diagnose",
        "injection_facts",
        "injection_probe",
        "namespace_injection",
        "rollback",
        "webhook_ca",
        "webhook_settings",
        "workload_restart",
    ]
    assert controller == ["injection_gate", "injection_report"]
    assert group[0] == {"metadata": {"extend_group": ["kubernetes.core.k8s"]}}
    assert sorted(group[1:]) == cluster
    actions = sorted(
        os.path.basename(p)[: -len(".py")] for p in glob.glob(os.path.join(REPO, "plugins", "action", "*.py"))
    )
    assert actions == ["__init__"] + sorted(cluster + controller)
