# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The injection_facts module in-process (offline mode): results, bundle idempotence, check mode, errors."""

from __future__ import annotations

import base64
import json
import os

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import facts
from ansible_collections.meshops.sidecar_injection.plugins.modules import injection_facts

patch_module_args = pytest.importorskip("ansible.module_utils.testing").patch_module_args

KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "-----END RSA PRIVATE KEY-----\n"
)
CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIBATAKBggqhkjOPQQDAjAA\n-----END CERTIFICATE-----\n"


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as exited:
        injection_facts.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    result["_rc"] = exited.value.code
    result["_stdout"] = out
    return result


@pytest.fixture
def dump(tmp_path):
    root = tmp_path / "dump"
    root.mkdir()
    (root / "version.json").write_text(
        json.dumps({"serverVersion": {"gitVersion": "v1.31.4", "major": "1", "minor": "31"}})
    )
    (root / "all.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: linkerd}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: linkerd-proxy-injector, namespace: linkerd}\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata: {name: linkerd-proxy-injector-k8s-tls, namespace: linkerd}\n"
        "type: kubernetes.io/tls\ndata:\n  tls.crt: %s\n  tls.key: %s\n"
        % (base64.b64encode(CERT.encode()).decode(), base64.b64encode(KEY.encode()).decode())
    )
    return str(root)


def test_offline_summary(capsys, dump):
    result = run(capsys, src=dump)
    assert result["_rc"] == 0 and result["changed"] is False
    summary = result["summary"]
    assert summary["cluster"]["source"] == "offline" and summary["cluster"]["path"] == dump
    assert summary["kubernetes_version"] == "v1.31.4"
    # PodSecurityPolicies are an API old clusters serve: no file of them means none (not a gap)
    assert summary["counts"] == {"namespaces": 1, "deployments": 1, "secrets": 1, "podsecuritypolicies": 0}
    assert summary["control_plane_namespaces"] == ["linkerd"]
    assert summary["requests"] == 0 and summary["files"] == 2 and summary["unknown_kinds"] == {}
    assert len(summary["gaps"]) == 21 and {g["reason"] for g in summary["gaps"]} == {"absent"}
    assert "snapshot" not in result and "bundle" not in result
    assert "ansible_facts" not in result


def test_return_snapshot_never_carries_the_key(capsys, dump):
    result = run(capsys, src=dump, return_snapshot=True)
    secret = result["snapshot"]["resources"]["secrets"][0]
    assert secret["certificates"] == {"tls.crt": CERT}
    for marker in ("PRIVATE KEY", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"):
        assert marker not in result["_stdout"]
    assert base64.b64encode(KEY.encode()).decode()[:40] not in result["_stdout"]


def test_dest_is_written_once_then_unchanged(capsys, dump, tmp_path):
    dest = str(tmp_path / "out.json.gz")
    first = run(capsys, src=dump, dest=dest)
    assert first["changed"] is True and first["bundle"]["written"] is True and first["bundle"]["path"] == dest
    second = run(capsys, src=dump, dest=dest)
    assert second["changed"] is False and second["bundle"]["written"] is False
    assert second["bundle"]["content_sha256"] == first["bundle"]["content_sha256"]
    with open(dest, "rb") as handle:
        assert b"PRIVATE KEY" not in handle.read()
    again = run(capsys, src=dest, return_snapshot=True)
    offline = run(capsys, src=dump, return_snapshot=True)
    assert again["snapshot"] == offline["snapshot"]


def test_check_mode_writes_nothing(capsys, dump, tmp_path):
    dest = str(tmp_path / "out.json.gz")
    result = run(capsys, src=dump, dest=dest, _ansible_check_mode=True)
    assert result["changed"] is True and result["bundle"]["written"] is False
    assert not os.path.exists(dest)


@pytest.mark.parametrize(
    "args, message",
    [
        ({"limit": 0}, "limit must be a positive number of objects per page, got 0"),
        ({"retries": -1}, "retries must be zero or more, got -1"),
    ],
)
def test_bad_options(capsys, dump, args, message):
    result = run(capsys, src=dump, **args)
    assert result["_rc"] == 1 and result["failed"] is True and result["msg"] == message


def test_malformed_file(capsys, tmp_path):
    (tmp_path / "pods.yaml").write_text("kind: Pod\nmetadata:\n  name: [a\n")
    result = run(capsys, src=str(tmp_path))
    assert result["failed"] is True
    assert result["msg"] == "%s: line 4, column 1: did not find expected ',' or ']'" % (tmp_path / "pods.yaml")


def test_missing_src_and_bad_dest(capsys, dump, tmp_path):
    result = run(capsys, src=str(tmp_path / "nope"))
    assert result["msg"] == "src %s does not exist" % (tmp_path / "nope")
    result = run(capsys, src=dump, dest=str(tmp_path / "no-dir" / "b.gz"))
    assert result["msg"] == "dest %s: directory %s does not exist" % (tmp_path / "no-dir" / "b.gz", tmp_path / "no-dir")


def test_argument_spec_reuses_kubernetes_core_auth_options():
    spec = facts.FACTS_ARGUMENT_SPEC
    for option in (
        "kubeconfig",
        "context",
        "host",
        "api_key",
        "username",
        "password",
        "validate_certs",
        "ca_cert",
        "client_cert",
        "client_key",
        "proxy",
        "no_proxy",
        "proxy_headers",
        "persist_config",
        "impersonate_user",
        "impersonate_groups",
    ):
        assert option in spec, option
    assert (
        spec["api_key"]["no_log"] is True
        and spec["password"]["no_log"] is True
        and spec["kubeconfig"]["no_log"] is True
    )
    assert spec["proxy_headers"]["options"]["proxy_basic_auth"]["no_log"] is True
    assert spec["validate_certs"]["aliases"] == ["verify_ssl"]
