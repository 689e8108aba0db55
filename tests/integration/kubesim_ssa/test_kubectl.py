"""Real kubectl builds against kubesim: `apply --server-side`, its conflict error, `--force-conflicts`, and
`get -o yaml --show-managed-fields` (kubectl strips managedFields unless asked). kubectl validates manifests
against /openapi/v3 unless `--validate=false`; kubesim does not serve OpenAPI yet (see its README), so these
runs pass `--validate=false` (kubectl then sends fieldValidation=Ignore)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.integration.kubesim_ssa.helpers import MWC_PATH, WEBHOOK, json_patch, managed, mwc

KUBECTL = shutil.which("kubectl")
BUILDS = sorted(Path(os.path.realpath(KUBECTL)).parent.glob("kubectl.1.*")) if KUBECTL else []
VERSIONS = [str(p) for p in BUILDS if p.name in ("kubectl.1.27", "kubectl.1.33")] or ([KUBECTL] if KUBECTL else [])

pytestmark = pytest.mark.skipif(not VERSIONS, reason="no kubectl on PATH")
CONFLICT = (
    'error: Apply failed with 1 conflict: conflict with "pilot-discovery" using admissionregistration.k8s.io/v1: '
    f'.webhooks[name="{WEBHOOK}"].clientConfig.caBundle'
)


def kubectl(sim, binary: str, *args: str) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    env = dict(os.environ, KUBECONFIG=sim.kubeconfig_path, HOME=sim.workdir)
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("binary", VERSIONS, ids=lambda b: Path(b).name)
def test_kubectl_server_side_apply_conflict_and_force(kubesim, tmp_path, binary):
    manifest = tmp_path / "mwc.yaml"
    manifest.write_text(yaml.safe_dump(mwc()))
    first = kubectl(kubesim, binary, "apply", "--server-side", "--validate=false", "-f", str(manifest))
    assert first.returncode == 0, first.stderr
    assert first.stdout == (
        "mutatingwebhookconfiguration.admissionregistration.k8s.io/istio-sidecar-injector serverside-applied\n"
    )
    ca = [{"op": "add", "path": "/webhooks/0/clientConfig/caBundle", "value": "SVNUSU9E"}]
    assert json_patch(kubesim, MWC_PATH, ca, "pilot-discovery").status == 200

    manifest.write_text(yaml.safe_dump(mwc(ca_bundle="TUVTSE9QUw==")))
    refused = kubectl(kubesim, binary, "apply", "--server-side", "--validate=false", "-f", str(manifest))
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[0] == CONFLICT
    assert "re-run the apply\n  command with the `--force-conflicts` flag." in refused.stderr

    forced = kubectl(
        kubesim, binary, "apply", "--server-side", "--force-conflicts", "--validate=false", "-f", str(manifest)
    )
    assert forced.returncode == 0, forced.stderr
    stored = kubesim.get(
        "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", None, "istio-sidecar-injector"
    )
    assert sorted(managed(stored)) == ["kubectl"]  # kubectl's default field manager; istiod lost its only field
    assert managed(stored)["kubectl"]["operation"] == "Apply"

    shown = kubectl(kubesim, binary, "get", "mutatingwebhookconfiguration", "istio-sidecar-injector", "-o", "yaml")
    assert "managedFields" not in yaml.safe_load(shown.stdout)["metadata"]
    full = kubectl(
        kubesim,
        binary,
        "get",
        "mutatingwebhookconfiguration",
        "istio-sidecar-injector",
        "-o",
        "yaml",
        "--show-managed-fields",
    )
    entries = yaml.safe_load(full.stdout)["metadata"]["managedFields"]
    assert [(e["manager"], e["operation"]) for e in entries] == [("kubectl", "Apply")]
    assert entries[0]["fieldsV1"] == managed(stored)["kubectl"]["fieldsV1"]


def test_kubectl_client_side_apply_records_its_manager(kubesim, tmp_path):
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "csa", "namespace": "default"},
                "data": {"a": "1"},
            }
        )
    )
    assert kubectl(kubesim, VERSIONS[-1], "apply", "--validate=false", "-f", str(manifest)).returncode == 0
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "csa", "namespace": "default"},
                "data": {"a": "2"},
            }
        )
    )
    assert kubectl(kubesim, VERSIONS[-1], "apply", "--validate=false", "-f", str(manifest)).returncode == 0
    entries = managed(kubesim.get("v1/configmaps", "default", "csa"))
    assert sorted(entries) == ["kubectl-client-side-apply"]
    assert entries["kubectl-client-side-apply"]["fieldsV1"] == {
        "f:data": {".": {}, "f:a": {}},
        "f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}},
    }
