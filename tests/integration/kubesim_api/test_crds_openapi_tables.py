"""CRDs served generically, the OpenAPI documents and server-side tables, through the kubernetes client
(dynamic client, raw API calls) and kubernetes.core's `validate:` option - no kubectl needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException

from tests.kubesim.openapi_proto import MEDIA_TYPE

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / ".collections"
PLAYBOOK_BIN = Path(sys.executable).with_name("ansible-playbook")
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

ISSUER_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "issuers.cert-manager.io"},
    "spec": {
        "group": "cert-manager.io",
        "names": {
            "kind": "Issuer",
            "plural": "issuers",
            "singular": "issuer",
            "listKind": "IssuerList",
            "categories": ["cert-manager"],
        },
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "properties": {"selfSigned": {"type": "object"}}},
                            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        },
                    }
                },
            }
        ],
    },
}


def _raw(api: client.ApiClient, method: str, path: str, body: Any = None, accept: str = "application/json") -> Any:
    """A raw call through the client's own REST layer (auth, TLS, error mapping included)."""
    headers = {"Accept": accept, "Content-Type": "application/json"}
    api.update_params_for_auth(headers, None, ["BearerToken"], path, method, body)
    resp = api.call_api(method, api.configuration.host + path, header_params=headers, body=body)
    data = resp.read()
    if not 200 <= resp.status < 300:
        raise ApiException(status=resp.status, reason=resp.reason)
    return data


def test_crd_is_established_and_its_kind_served(kubesim: Any) -> None:
    api = kubesim.kube_client()
    dyn = dynamic.DynamicClient(api)
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    created = crds.create(body=ISSUER_CRD)
    assert created.metadata.name == "issuers.cert-manager.io"
    stored = kubesim.get("apiextensions.k8s.io/v1/customresourcedefinitions", None, "issuers.cert-manager.io")
    conditions = {c["type"]: (c["status"], c["reason"]) for c in stored["status"]["conditions"]}
    assert conditions == {"NamesAccepted": ("True", "NoConflicts"), "Established": ("True", "InitialNamesAccepted")}
    assert stored["status"]["storedVersions"] == ["v1"]

    discovery = json.loads(_raw(api, "GET", "/apis/cert-manager.io/v1"))
    assert [(r["name"], r["kind"], r["namespaced"]) for r in discovery["resources"]] == [
        ("issuers", "Issuer", True),
        ("issuers/status", "Issuer", True),
    ]
    groups = [g["name"] for g in json.loads(_raw(api, "GET", "/apis"))["groups"]]
    assert groups[-2:] == ["apiextensions.k8s.io", "cert-manager.io"]

    dyn = dynamic.DynamicClient(api)  # fresh discovery
    issuers = dyn.resources.get(api_version="cert-manager.io/v1", kind="Issuer")
    issuers.create(
        namespace="default",
        body={
            "apiVersion": "cert-manager.io/v1",
            "kind": "Issuer",
            "metadata": {"name": "selfsigned"},
            "spec": {"selfSigned": {}},
        },
    )
    status = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    issuers.status.patch(
        namespace="default", name="selfsigned", body=status, content_type="application/merge-patch+json"
    )
    table = json.loads(_raw(api, "GET", "/apis/cert-manager.io/v1/namespaces/default/issuers", accept=TABLE))
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Ready", "Age"]
    assert [r["cells"][:2] for r in table["rows"]] == [["selfsigned", "True"]]

    crds.delete(name="issuers.cert-manager.io")
    assert kubesim.list("cert-manager.io/v1/issuers") == []
    with pytest.raises(ApiException) as gone:
        _raw(api, "GET", "/apis/cert-manager.io/v1/namespaces/default/issuers")
    assert gone.value.status == 404


def test_crds_are_per_server(kubesim: Any, kubesim_factory: Any) -> None:
    kubesim.apply(ISSUER_CRD)
    other = kubesim_factory()
    with pytest.raises(ApiException) as missing:
        _raw(other.kube_client(), "GET", "/apis/cert-manager.io/v1/issuers")
    assert missing.value.status == 404


def test_seeded_crd_and_custom_resources_in_one_batch(kubesim: Any) -> None:
    issuer = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Issuer",
        "metadata": {"name": "ca", "namespace": "default"},
        "spec": {"selfSigned": {}},
    }
    assert kubesim.seed(ISSUER_CRD, issuer) == {
        "apiextensions.k8s.io/v1/customresourcedefinitions": 1,
        "cert-manager.io/v1/issuers": 1,
    }
    assert kubesim.get("cert-manager.io/v1/issuers", "default", "ca")["spec"] == {"selfSigned": {}}


def test_openapi_v3_root_and_documents(kubesim: Any) -> None:
    api = kubesim.kube_client()
    kubesim.apply(ISSUER_CRD)
    root = json.loads(_raw(api, "GET", "/openapi/v3"))
    assert {"api/v1", "apis/apps/v1", "apis/cert-manager.io/v1"} <= set(root["paths"])
    url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
    doc = json.loads(_raw(api, "GET", url))
    deployment = doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert [p["name"] for p in patch["parameters"]] == ["dryRun", "fieldManager", "fieldValidation", "force"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "kind": "Deployment", "version": "v1"}
    custom = json.loads(_raw(api, "GET", root["paths"]["apis/cert-manager.io/v1"]["serverRelativeURL"]))
    assert custom["components"]["schemas"]["io.cert-manager.v1.Issuer"]["properties"]["spec"] == {
        "type": "object",
        "properties": {"selfSigned": {"type": "object"}},
    }


def test_openapi_v2_json_and_protobuf(kubesim: Any) -> None:
    api = kubesim.kube_client()
    v2 = json.loads(_raw(api, "GET", "/openapi/v2"))
    assert v2["swagger"] == "2.0"
    pod = v2["definitions"]["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    assert v2["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    raw = _raw(api, "GET", "/openapi/v2", accept=MEDIA_TYPE)
    assert raw[:5] == b"\x0a\x032.0"  # Document.swagger = "2.0", field 1
    assert b"io.k8s.api.core.v1.Pod" in raw and b"x-kubernetes-group-version-kind" in raw


def test_table_for_pods_with_the_kubernetes_client(kubesim: Any) -> None:
    kubesim.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "a", "image": "nginx"}]},
        }
    )
    table = json.loads(_raw(kubesim.kube_client(), "GET", "/api/v1/namespaces/default/pods", accept=TABLE))
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [(c["name"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", 0),
        ("Ready", 0),
        ("Status", 0),
        ("Restarts", 0),
        ("Age", 0),
        ("IP", 1),
        ("Node", 1),
        ("Nominated Node", 1),
        ("Readiness Gates", 1),
    ]
    row = table["rows"][0]
    assert row["cells"][:4] == ["p", "1/1", "Running", "0"] and row["cells"][6:] == [
        "kubesim-node-1",
        "<none>",
        "<none>",
    ]
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["name"] == "p"


@pytest.mark.skipif(
    not (COLLECTIONS / "ansible_collections" / "kubernetes" / "core").is_dir(),
    reason="kubernetes.core is not installed (run `make setup`)",
)
def test_kubernetes_core_validate_option(kubesim: Any, tmp_path: Path) -> None:
    pytest.importorskip("kubernetes_validate")
    play = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: ok, namespace: default}, data: {a: "1"}}
        validate: {fail_on_error: true, strict: true}
    - kubernetes.core.k8s:
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: bad, namespace: default}, bogus: 1}
        validate: {fail_on_error: true, strict: true}
"""
    (tmp_path / "play.yml").write_text(play)
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        K8S_AUTH_KUBECONFIG=kubesim.kubeconfig_path,
        TMPDIR=str(tmp_path),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "home"),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_NOCOLOR="1",
    )
    result = subprocess.run(
        [str(PLAYBOOK_BIN), "-i", "localhost,", "play.yml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stdout[-3000:]
    assert (
        "ConfigMap bad: resource definition validation error at : Additional properties are not allowed "
        "('bogus' was unexpected)" in result.stdout
    )
    assert kubesim.get("v1/configmaps", "default", "ok") is not None
    assert kubesim.get("v1/configmaps", "default", "bad") is None
