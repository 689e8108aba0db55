# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`module_defaults` for the collection's action group: the auth options set once reach this
collection's modules and, through extend_group, kubernetes.core's k8s group; kubernetes.core's own
group does not reach this collection's modules (ansible-core resolves a group only from the
collection that defines it), and without defaults the module fails with one clear message."""

from __future__ import annotations

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
        - name: Our module gets nothing from it
          meshops.sidecar_injection.injection_facts: {{}}
          register: ours_from_core
          ignore_errors: true

    - name: No defaults at all
      meshops.sidecar_injection.injection_facts: {{}}
      register: nothing
      ignore_errors: true

    - name: Keep the results
      ansible.builtin.copy:
        content: "{{{{ {{'ours': ours, 'core': core, 'core_only': core_only, 'ours_from_core': ours_from_core,
                        'nothing': nothing}} | to_json }}}}"
        dest: {out}
        mode: "0600"
"""


def test_module_defaults_for_the_group_reach_our_modules_and_kubernetes_core(tmp_path, kubesim):
    play = tmp_path / "play.yml"
    out = tmp_path / "out.json"
    play.write_text(textwrap.dedent(PLAY.format(kubeconfig=kubesim.kubeconfig_path, context=kubesim.context, out=out)))
    result = run(tmp_path, "ansible-playbook", str(play))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    got = json.loads(out.read_text())
    assert got["ours"]["failed"] is False
    assert got["ours"]["summary"]["cluster"]["server"] == kubesim.url
    assert got["ours"]["summary"]["cluster"]["context"] == kubesim.context
    assert got["ours"]["summary"]["counts"]["namespaces"] == 4
    assert [r["metadata"]["name"] for r in got["core"]["resources"]] == ["default"]
    assert [r["metadata"]["name"] for r in got["core_only"]["resources"]] == ["default"]
    assert got["ours_from_core"]["failed"] is True and got["ours_from_core"]["msg"] == NO_CONFIG
    assert got["nothing"]["failed"] is True and got["nothing"]["msg"] == NO_CONFIG
    assert "Traceback" not in result.stdout + result.stderr


def test_every_module_is_in_the_action_group():
    """A new module that is not listed would silently ignore `module_defaults` for the group."""
    with open(os.path.join(REPO, "meta", "runtime.yml")) as handle:
        group = yaml.safe_load(handle)["action_groups"]["k8s"]
    modules = sorted(
        os.path.basename(path)[: -len(".py")] for path in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))
    )
    assert len(modules) >= 2
    assert group[0] == {"metadata": {"extend_group": ["kubernetes.core.k8s"]}}
    assert sorted(group[1:]) == modules
