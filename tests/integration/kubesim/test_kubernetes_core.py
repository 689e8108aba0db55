"""kubernetes.core modules (k8s, k8s_info, k8s_json_patch, k8s_scale) against kubesim, unpatched, through
ansible-playbook: idempotence, check mode, state=patched, apply, force (PUT), server-side apply, wait for a
Ready pod and a rolled-out Deployment, a 403 surfacing as a module failure, deletion with wait."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CANDIDATES = [REPO / ".collections", Path("/tmp/kc")]
COLLECTIONS = next((p for p in CANDIDATES if (p / "ansible_collections" / "kubernetes" / "core").is_dir()), None)
PLAYBOOK_BIN = Path(sys.executable).with_name("ansible-playbook")

pytestmark = pytest.mark.skipif(
    COLLECTIONS is None or not PLAYBOOK_BIN.exists(),
    reason="kubernetes.core is not installed (run `make setup`, or unzip ansible_collections/kubernetes/core/* from "
    ".cache/wheels/ansible-12.3.0-py3-none-any.whl into /tmp/kc) or ansible-playbook is missing",
)

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    deploy:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: mesh}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: app, image: "nginx:1.25"}]}
  tasks:
    - name: create a namespace, then again (idempotent)
      kubernetes.core.k8s:
        definition: {apiVersion: v1, kind: Namespace, metadata: {name: mesh, labels: {istio-injection: enabled}}}
      register: ns
      loop: [1, 2]
    - assert: {that: ["ns.results[0].changed", "not ns.results[1].changed"]}

    - name: check mode create stores nothing (server-side dry run, checked by the test)
      kubernetes.core.k8s:
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: dry, namespace: mesh}, data: {a: "1"}}
      check_mode: true
      register: dry
    - assert: {that: [dry.changed, "dry.result.metadata.uid is defined"]}

    - name: deployment, waiting until rolled out
      kubernetes.core.k8s: {definition: "{{ deploy }}", wait: true, wait_timeout: 30}
      register: created
    - assert: {that: [created.changed, "created.result.status.availableReplicas == 2"]}

    - name: list Ready pods by label and field selector
      kubernetes.core.k8s_info:
        kind: Pod
        namespace: mesh
        label_selectors: [app=web]
        field_selectors: [status.phase=Running]
        wait: true
        wait_condition: {type: Ready, status: "True"}
      register: pods
    - assert: {that: ["pods.resources | length == 2"]}

    - name: rollout restart with state=patched, twice
      kubernetes.core.k8s:
        state: patched
        kind: Deployment
        name: web
        namespace: mesh
        definition: {spec: {template: {metadata: {annotations: {kubectl.kubernetes.io/restartedAt: "2025-01-01"}}}}}
      register: restart
      loop: [1, 2]
    - assert:
        that:
          - restart.results[0].changed and not restart.results[1].changed
          - restart.results[0].result.spec.template.spec.containers[0].name == 'app'

    - name: client-side apply, then apply without key b
      kubernetes.core.k8s:
        apply: true
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: mesh}, data: "{{ item }}"}
      loop: [{a: "1", b: "2"}, {a: "1"}]
      register: applied
    - assert: {that: ["applied.results[1].changed", "applied.results[1].result.data == {'a': '1'}"]}

    - name: force replaces (PUT)
      kubernetes.core.k8s:
        force: true
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: mesh}, data: {z: "9"}}
      register: forced
    - assert: {that: ["forced.method == 'replace'", "forced.result.data == {'z': '9'}"]}

    - name: server-side apply creates a missing object
      kubernetes.core.k8s:
        apply: true
        server_side_apply: {field_manager: meshops}
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: ssa, namespace: mesh}, data: {a: "1"}}
      register: ssa
    - assert: {that: [ssa.changed, "ssa.result.data == {'a': '1'}"]}

    - name: json patch
      kubernetes.core.k8s_json_patch:
        kind: ConfigMap
        namespace: mesh
        name: cfg
        patch: [{op: add, path: /data/y, value: "8"}]
      register: jp
    - assert: {that: [jp.changed, "jp.result.data == {'y': '8', 'z': '9'}"]}

    - name: scale and wait
      kubernetes.core.k8s_scale: {kind: Deployment, name: web, namespace: mesh, replicas: 3, wait: true,
                                  wait_timeout: 30}
      register: scaled
    - assert: {that: [scaled.changed, "scaled.result.status.readyReplicas == 3"]}

    - name: a 403 from the policy surfaces as a module failure
      kubernetes.core.k8s_info: {kind: Secret, namespace: mesh}
      register: denied
      ignore_errors: true
    - assert:
        that:
          - denied.failed
          - "'403' in denied.msg and 'cannot list resource' in denied.msg and 'in the namespace' in denied.msg"

    - name: delete the namespace and wait until it is gone
      kubernetes.core.k8s: {state: absent, kind: Namespace, name: mesh, wait: true, wait_timeout: 30}
      register: gone
    - assert: {that: [gone.changed]}
"""


def test_kubernetes_core_modules(kubesim, tmp_path):
    kubesim.add_rule(action="forbid", verbs=["list"], resources=["secrets"])
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        K8S_AUTH_KUBECONFIG=kubesim.kubeconfig_path,
        # A private temp dir keeps kubernetes.core's discovery cache (k8srcp-*.json) away from other servers.
        TMPDIR=str(tmp_path),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "home"),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_PIPELINING="1",
    )
    result = subprocess.run(
        [str(PLAYBOOK_BIN), "-i", "localhost,", "play.yml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "failed=0" in result.stdout
    paths = [(r["method"], r["path"]) for r in kubesim.requests]
    # Check mode used a server-side dry run; force used PUT; the restart was a strategic merge PATCH.
    assert ("POST", "/api/v1/namespaces/mesh/configmaps?dryRun=All") in paths
    assert ("PUT", "/api/v1/namespaces/mesh/configmaps/cfg") in paths
    assert any(m == "PATCH" and p.startswith("/apis/apps/v1/namespaces/mesh/deployments/web/scale") for m, p in paths)
    assert ("GET", "/api/v1/namespaces/mesh/secrets", 403) in [
        (r["method"], r["path"], r["status"]) for r in kubesim.requests
    ]
    assert kubesim.get("v1/namespaces", None, "mesh") is None
    # The check-mode object never reached the store (the watch history records every stored change).
    stored = kubesim.call(
        lambda: {e.entry.obj["metadata"]["name"] for e in kubesim.cluster.store.history if e.storage == "v1/configmaps"}
    )
    assert {"cfg", "ssa"} <= stored and "dry" not in stored
