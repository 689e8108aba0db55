"""kubernetes.core's k8s module as a user drives it (ansible-playbook, unpatched) against kubesim:
`apply: true` with `server_side_apply` (PATCH application/apply-patch+yaml with fieldManager and force)
applies beside istiod's caBundle, is idempotent, fails with kube-apiserver's conflict message when it takes
a field istiod owns and succeeds with `force_conflicts: true`; `apply: true` alone (client-side apply:
last-applied annotation + merge patch) is idempotent and recorded as an Update by the client's manager."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.kubesim_ssa.helpers import HOOK_NAME, MWC_PATH, json_patch, key, managed

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / ".collections"
PLAYBOOK_BIN = Path(sys.executable).with_name("ansible-playbook")

pytestmark = pytest.mark.skipif(
    not (COLLECTIONS / "ansible_collections" / "kubernetes" / "core").is_dir() or not PLAYBOOK_BIN.exists(),
    reason="kubernetes.core is not installed (run `make setup`)",
)

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    hook: &hook
      name: {hook}
      admissionReviewVersions: [v1]
      sideEffects: None
      clientConfig: {{service: {{name: istiod, namespace: istio-system, path: /inject}}}}
    mwc: &mwc
      apiVersion: admissionregistration.k8s.io/v1
      kind: MutatingWebhookConfiguration
      metadata: {{name: istio-sidecar-injector}}
  tasks:
    - name: tighten the webhook timeout, twice (idempotent)
      kubernetes.core.k8s:
        apply: true
        server_side_apply: {{field_manager: meshops}}
        definition:
          <<: *mwc
          webhooks: [{{name: {hook}, timeoutSeconds: 5}}]
      register: timeout
      loop: [1, 2]
    - assert: {{that: ["timeout.results[0].changed", "not timeout.results[1].changed",
                       "timeout.results[0].result.webhooks[0].timeoutSeconds == 5"]}}

    - name: take the caBundle istiod manages
      kubernetes.core.k8s:
        apply: true
        server_side_apply: {{field_manager: meshops}}
        definition:
          <<: *mwc
          webhooks: [{{name: {hook}, timeoutSeconds: 5, clientConfig: {{caBundle: TUVTSE9QUw==}}}}]
      register: taken
      ignore_errors: true
    - assert:
        that:
          - taken.failed
          - taken.reason == 'Conflict'
          - "'Apply failed with 1 conflict: conflict with' in taken.msg"
          - "'pilot-discovery' in taken.msg and '.clientConfig.caBundle' in taken.msg"

    - name: force it
      kubernetes.core.k8s:
        apply: true
        server_side_apply: {{field_manager: meshops, force_conflicts: true}}
        definition:
          <<: *mwc
          webhooks: [{{name: {hook}, timeoutSeconds: 5, clientConfig: {{caBundle: TUVTSE9QUw==}}}}]
      register: forced
    - assert: {{that: [forced.changed, "forced.result.webhooks[0].clientConfig.caBundle == 'TUVTSE9QUw=='"]}}

    - name: client-side apply, twice
      kubernetes.core.k8s:
        apply: true
        definition: {{apiVersion: v1, kind: ConfigMap, metadata: {{name: csa, namespace: default}}, data: {{a: "1"}}}}
      register: csa
      loop: [1, 2]
    - assert: {{that: ["csa.results[0].changed", "not csa.results[1].changed"]}}
"""


def run_playbook(kubesim, tmp_path: Path) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    (tmp_path / "play.yml").write_text(PLAYBOOK.format(hook=HOOK_NAME))
    env = dict(
        os.environ,
        K8S_AUTH_KUBECONFIG=kubesim.kubeconfig_path,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "home"),
    )
    return subprocess.run(
        [str(PLAYBOOK_BIN), "-i", "localhost,", "play.yml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_server_side_apply_and_apply_through_kubernetes_core(kubesim, tmp_path):
    from tests.integration.kubesim_ssa.helpers import apply, mwc

    assert apply(kubesim, MWC_PATH, mwc(), "istioctl").status == 201
    ca = [{"op": "add", "path": "/webhooks/0/clientConfig/caBundle", "value": "SVNUSU9E"}]
    assert json_patch(kubesim, MWC_PATH, ca, "pilot-discovery").status == 200
    kubesim.clear_requests()

    result = run_playbook(kubesim, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "failed=0" in result.stdout and "ignored=1" in result.stdout

    applies = [r for r in kubesim.requests if r["method"] == "PATCH" and "mutatingwebhookconfigurations" in r["path"]]
    assert [(r["status"], "fieldManager=meshops" in r["path"], "force=true" in r["path"].lower()) for r in applies] == [
        (200, True, False),
        (200, True, False),
        (409, True, False),
        (200, True, True),
    ]
    stored = kubesim.get(
        "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", None, "istio-sidecar-injector"
    )
    assert sorted(managed(stored)) == ["istioctl", "meshops"]
    assert managed(stored)["meshops"]["fieldsV1"] == {
        "f:webhooks": {
            key(name=HOOK_NAME): {".": {}, "f:clientConfig": {"f:caBundle": {}}, "f:name": {}, "f:timeoutSeconds": {}}
        }
    }
    cm = kubesim.get("v1/configmaps", "default", "csa")
    assert "kubectl.kubernetes.io/last-applied-configuration" in cm["metadata"]["annotations"]
    assert [(e["manager"], e["operation"]) for e in cm["metadata"]["managedFields"]] == [
        ("OpenAPI-Generator", "Update")
    ]
