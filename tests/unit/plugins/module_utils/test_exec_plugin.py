# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A missing exec credential plugin is named with the kubeconfig, context, user and command, before
the kubernetes library would swallow it and the API server would answer 401."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client

pytest.importorskip("kubernetes")

KUBECONFIG = (
    "apiVersion: v1\nkind: Config\ncurrent-context: eks\n"
    "clusters: [{name: eks, cluster: {server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true}}]\n"
    "users: [{name: ci, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: %s,"
    " args: [eks, get-token], installHint: 'Install the AWS CLI v2.'}}}]\n"
    "contexts: [{name: eks, context: {cluster: eks, user: ci}}]\n"
)


def params(**kwargs):
    return dict({name: None for name in kube_client.AUTH_OPTIONS}, **kwargs)


def test_a_missing_exec_plugin_is_named_not_reported_as_a_401(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    path = tmp_path / "config"
    path.write_text(KUBECONFIG % "aws-iam-nowhere")
    with pytest.raises(kube_client.KubeClientError) as exc:
        kube_client.client_from_params(params(kubeconfig=str(path)))
    assert str(exc.value) == (
        "Cannot load the Kubernetes client configuration: kubeconfig %s (context eks): the exec credential "
        "plugin 'aws-iam-nowhere' of user ci is not installed: not found in PATH (%s); Install the AWS CLI v2."
        % (path, tmp_path / "bin")
    )


def test_a_relative_plugin_is_looked_up_next_to_the_kubeconfig(tmp_path):
    path = tmp_path / "config"
    path.write_text(KUBECONFIG % "./bin/get-token")
    with pytest.raises(kube_client.KubeClientError) as exc:
        kube_client.client_from_params(params(kubeconfig=str(path)))
    assert "not found in %s" % os.path.join(str(tmp_path), "./bin/get-token") in str(exc.value)

    plugin = tmp_path / "bin" / "get-token"
    plugin.parent.mkdir()
    plugin.write_text(
        '#!/bin/sh\necho \'{"apiVersion": "client.authentication.k8s.io/v1beta1",'
        ' "kind": "ExecCredential", "status": {"token": "t0k3n"}}\'\n'
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    client = kube_client.client_from_params(params(kubeconfig=str(path)))
    assert client.host == "https://127.0.0.1:6443"
