# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""injection_facts through ansible-playbook against kubesim: check mode, bundle idempotence, errors."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap

from .conftest import REPO, example_files

KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2\n"
    "-----END PRIVATE KEY-----\n"
)


def playbook(tmp_path, text, env=None, verbosity="-vvv"):
    path = tmp_path / "play.yml"
    path.write_text(textwrap.dedent(text))
    environment = dict(os.environ)
    environment.update(
        {
            "ANSIBLE_CONFIG": os.path.join(REPO, "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".collections"),
            "ANSIBLE_HOME": str(tmp_path / ".ansible"),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / ".ansible" / "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        }
    )
    environment.update(env or {})
    binary = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run(
        [binary, verbosity, str(path)], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )
    return proc


def read(tmp_path, name):
    with open(str(tmp_path / name)) as handle:
        return json.load(handle)


def test_check_mode_dest_idempotence_and_offline_read(sim, tmp_path):
    sim.seed(*example_files("linkerd-broken"))
    sim.seed(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": "linkerd-sp-validator-k8s-tls", "namespace": "linkerd"},
            "data": {"tls.key": base64.b64encode(KEY.encode()).decode()},
        }
    )
    dest = tmp_path / "bundle.json.gz"
    proc = playbook(
        tmp_path,
        """
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: check mode writes nothing
              meshops.sidecar_injection.injection_facts:
                kubeconfig: {kubeconfig}
                dest: {dest}
              check_mode: true
              register: checked
            - name: first run writes the bundle
              meshops.sidecar_injection.injection_facts:
                kubeconfig: {kubeconfig}
                dest: {dest}
                limit: 7
              register: first
            - name: second run finds it unchanged
              meshops.sidecar_injection.injection_facts:
                dest: {dest}
              environment:
                K8S_AUTH_KUBECONFIG: {kubeconfig}
              register: second
            - name: offline read of the bundle
              meshops.sidecar_injection.injection_facts:
                src: {dest}
                return_snapshot: true
              register: offline
            - ansible.builtin.copy:
                content: "{{{{ {{'checked': checked, 'first': first, 'second': second,
                                 'offline': offline}} | to_json }}}}"
                dest: {out}
    """.format(kubeconfig=sim.kubeconfig_path, dest=dest, out=tmp_path / "out.json"),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = read(tmp_path, "out.json")
    assert out["checked"]["changed"] is True and out["checked"]["bundle"]["written"] is False
    assert out["first"]["changed"] is True and out["first"]["bundle"]["written"] is True
    assert out["second"]["changed"] is False and out["second"]["bundle"]["written"] is False
    assert out["first"]["bundle"]["content_sha256"] == out["checked"]["bundle"]["content_sha256"]
    summary = out["first"]["summary"]
    assert summary["cluster"]["source"] == "live" and summary["cluster"]["server"] == sim.url
    assert summary["kubernetes_version"] == "v1.31.4" and summary["gaps"] == []
    assert summary["control_plane_namespaces"] == ["linkerd"]
    assert summary["counts"]["pods"] == 15 and summary["counts"]["secrets"] == 4
    assert summary["meshes"][0]["mesh"] == "linkerd" and summary["meshes"][0]["version"] == "edge-25.4.4"
    assert summary["platform"]["name"] == "gke"
    assert summary["requests"] > 0 and "snapshot" not in out["first"]
    assert out["offline"]["snapshot"]["resources"]["pods"]
    assert out["offline"]["summary"]["counts"] == summary["counts"]
    assert os.stat(str(dest)).st_mode & 0o777 == 0o600
    for text in (proc.stdout, proc.stderr, json.dumps(out)):
        assert "PRIVATE KEY" not in text and "MIGHAgEAMBMGByqGSM49" not in text
        assert base64.b64encode(KEY.encode()).decode()[:40] not in text
        assert sim.token not in text


def test_failures_give_one_clear_message(sim, tmp_path, closed_port):
    sim.seed(*example_files("linkerd-broken"))
    sim.add_rule(action="forbid", verbs=["get"], resources=["secrets"])
    bad = tmp_path / "broken-kubeconfig"
    bad.write_text("apiVersion: v1\nclusters: [\n")
    proc = playbook(
        tmp_path,
        """
        - hosts: localhost
          gather_facts: false
          tasks:
            - meshops.sidecar_injection.injection_facts:
                host: https://127.0.0.1:{port}
                api_key: super-secret-token
              register: unreachable
              ignore_errors: true
            - meshops.sidecar_injection.injection_facts:
                kubeconfig: {bad}
              register: broken
              ignore_errors: true
            - meshops.sidecar_injection.injection_facts:
                kubeconfig: {kubeconfig}
                limit: 0
              register: badlimit
              ignore_errors: true
            - meshops.sidecar_injection.injection_facts:
                src: {repo}/examples/linkerd-broken/pods.yaml.missing
              register: nosrc
              ignore_errors: true
            - meshops.sidecar_injection.injection_facts:
                kubeconfig: {kubeconfig}
              register: forbidden
            - ansible.builtin.copy:
                content: "{{{{ {{'unreachable': unreachable, 'broken': broken, 'badlimit': badlimit,
                                 'nosrc': nosrc, 'forbidden': forbidden}} | to_json }}}}"
                dest: {out}
    """.format(port=closed_port, bad=bad, kubeconfig=sim.kubeconfig_path, repo=REPO, out=tmp_path / "out.json"),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = read(tmp_path, "out.json")
    assert out["unreachable"]["msg"] == (
        "Cannot reach the Kubernetes API server at https://127.0.0.1:%d: connection refused" % closed_port
    )
    # kubernetes.core marks kubeconfig no_log (it may be a dict with credentials): Ansible masks its value
    assert out["broken"]["msg"].startswith(
        "Cannot load the Kubernetes client configuration from kubeconfig ********: while parsing a flow node"
    )
    assert out["badlimit"]["msg"] == "limit must be a positive number of objects per page, got 0"
    assert out["nosrc"]["msg"] == "src %s/examples/linkerd-broken/pods.yaml.missing does not exist" % REPO
    for key in ("unreachable", "broken", "badlimit", "nosrc"):
        assert out[key]["failed"] is True and "Traceback" not in out[key]["msg"] and "\n" not in out[key]["msg"]
    assert "super-secret-token" not in proc.stdout + proc.stderr
    forbidden = out["forbidden"]
    message = (
        'secrets "linkerd-proxy-injector-k8s-tls" is forbidden: User "kubernetes-admin" cannot get resource '
        '"secrets" in API group "" in the namespace "linkerd"'
    )
    assert forbidden["failed"] is False and "secrets" not in forbidden["summary"]["counts"]
    assert forbidden["summary"]["gaps"] == [
        {
            "resource": "secrets",
            "reason": "forbidden",
            "message": message,
            "checks": ["SI405", "SI406", "SI407"],
            "narrowed": ["SI404"],
        }
    ]
    assert forbidden["warnings"] == [
        "could not read secrets (forbidden): %s; checks skipped: SI405, SI406, SI407; checks run without it: SI404"
        % message
    ]
