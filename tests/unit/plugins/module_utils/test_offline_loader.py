# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""offline_loader.py: every input shape, the live path's selection rules, gaps and parse errors."""

from __future__ import annotations

import base64
import json
import os
import textwrap

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import offline as offline_loader

yaml = pytest.importorskip("yaml")

CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIBATAKBggqhkjOPQQDAjAA\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"

MWC = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "istio-sidecar-injector", "labels": {"istio.io/rev": "default"}},
    "webhooks": [
        {
            "name": "namespace.sidecar-injector.istio.io",
            "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system", "path": "/inject"}},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        }
    ],
}


def write(root, relative, text):
    path = os.path.join(str(root), relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(textwrap.dedent(text) if isinstance(text, str) else json.dumps(text))
    return path


def b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def dump(tmp_path):
    """A small kubectl-style dump: one file per kind or namespace, several input shapes."""
    root = tmp_path / "cluster-a"
    write(
        root,
        "namespaces.yaml",
        """\
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Namespace
          metadata: {name: shop, labels: {istio-injection: enabled}, creationTimestamp: 2026-01-01T00:00:00Z}
        - apiVersion: v1
          kind: Namespace
          metadata: {name: istio-system}
        - apiVersion: v1
          kind: Namespace
          metadata: {name: sandbox-1}
        """,
    )
    write(
        root,
        "shop/pods.yaml",
        """\
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-1
          namespace: shop
          creationTimestamp: 2026-01-02T03:04:05Z
          managedFields: [{manager: kubelet}]
        spec:
          containers: [{name: web, image: web:1, env: [{name: A, value: b}]}]
        ---
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: web, namespace: shop}
        """,
    )
    write(
        root,
        "sandbox-1/pods.json",
        {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {},
            "items": [{"metadata": {"name": "s", "namespace": "sandbox-1"}}],
        },
    )
    write(root, "webhooks/mwc.json", MWC)
    write(root, "cronjobs.yaml", "apiVersion: v1\nkind: List\nitems: []\n")
    write(root, "jobs.json", {"kind": "JobList", "apiVersion": "batch/v1", "items": []})
    write(
        root,
        "version.json",
        {
            "clientVersion": {"gitVersion": "v1.32.4"},
            "serverVersion": {"gitVersion": "v1.31.4", "major": "1", "minor": "31"},
        },
    )
    write(
        root,
        "events.yaml",
        """\
        apiVersion: v1
        kind: EventList
        items:
        - metadata: {name: a, namespace: shop, uid: e1}
          type: Warning
          reason: FailedCreate
          message: x509
        - metadata: {name: b, namespace: shop, uid: e2}
          type: Normal
          reason: Scheduled
        - metadata: {name: c, namespace: shop, uid: e3}
          type: Normal
          reason: InjectionSkipped
        """,
    )
    write(
        root,
        "istio-system/all.yaml",
        """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio-sidecar-injector, namespace: istio-system}
        data: {config: "policy: enabled"}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio-leader, namespace: istio-system}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: istiod, namespace: istio-system}
        spec: {ports: [{port: 443, targetPort: 15017}]}
        """,
    )
    write(
        root,
        "shop/other.yaml",
        """\
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio-sidecar-injector, namespace: shop}
        """,
    )
    secrets = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "cacerts", "namespace": "istio-system"},
                "data": {"ca-cert.pem": b64(CERT), "ca-key.pem": b64(KEY)},
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "db-password", "namespace": "istio-system"},
                "data": {"password": b64("hunter2")},
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "cacerts", "namespace": "shop"},
                "data": {"ca-cert.pem": b64(CERT)},
            },
        ],
    }
    write(root, "secrets.json", secrets)
    write(root, ".hidden/pods.yaml", "this: [is not read")
    write(root, "README.md", "# notes, not data")
    return str(root)


def load(src, **kwargs):
    stats = {}
    result = offline_loader.load(src, stats=stats, **kwargs)
    return result, stats


def names(snapshot, resource):
    return ["%s/%s" % (snap.namespace_of(o), snap.name_of(o)) for o in snapshot["resources"][resource]]


def test_reads_every_input_shape(dump):
    s, stats = load(dump)
    assert s["cluster"] == {"name": "cluster-a", "source": "offline", "server": None, "context": None, "path": dump}
    assert s["version"] == {"gitVersion": "v1.31.4", "major": "1", "minor": "31"}
    assert s["requests"] == 0 and s["gathered_at"] is None
    assert names(s, "namespaces") == ["/istio-system", "/sandbox-1", "/shop"]
    assert names(s, "pods") == ["sandbox-1/s", "shop/web-1"]
    assert names(s, "mutatingwebhookconfigurations") == ["/istio-sidecar-injector"]
    assert s["resources"]["cronjobs"] == [] and s["resources"]["jobs"] == []
    assert stats == {"files": 11, "unknown_kinds": {"ServiceAccount": 1}, "duplicates": 0}


def test_objects_are_projected_and_timestamps_stay_strings(dump):
    s, _unused = load(dump)
    pod = s["resources"]["pods"][1]
    assert pod == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "shop", "creationTimestamp": "2026-01-02T03:04:05Z"},
        "spec": {"containers": [{"name": "web", "image": "web:1"}]},
    }
    assert s["resources"]["namespaces"][2]["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"
    assert s["resources"]["pods"][0]["kind"] == "Pod"  # raw PodList items carry no kind


def test_live_selection_rules_apply(dump):
    s, _unused = load(dump)
    assert [e["metadata"]["name"] for e in s["resources"]["events"]] == ["a", "c"]
    assert names(s, "configmaps") == ["istio-system/istio-sidecar-injector"]
    assert names(s, "services") == ["istio-system/istiod"]
    assert s["resources"]["secrets"] == [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "cacerts", "namespace": "istio-system"},
            "certificates": {"ca-cert.pem": CERT},
        }
    ]
    assert "PRIVATE KEY" not in json.dumps(s) and "hunter2" not in json.dumps(s)


def test_absent_kinds_are_gaps(dump):
    s, _unused = load(dump)
    absent = {g["resource"]: g for g in s["gaps"]}
    assert sorted(absent) == [
        "clusterrolebindings",
        "clusterroles",
        "daemonsets",
        "deployments",
        "endpoints",
        "endpointslices",
        "limitranges",
        "networkpolicies",
        "nodes",
        "replicasets",
        "resourcequotas",
        "rolebindings",
        "roles",
        "statefulsets",
        "validatingwebhookconfigurations",
    ]
    assert absent["nodes"] == {
        "resource": "nodes",
        "reason": "absent",
        "message": "no Node objects in %s" % dump,
    }
    for resource in absent:
        assert resource not in s["resources"]


def test_namespace_filters_keep_control_plane_namespaces(dump):
    s, _unused = load(dump, namespaces=["sho*"], exclude_namespaces=["istio-system"])
    assert names(s, "namespaces") == ["/istio-system", "/shop"]
    assert names(s, "pods") == ["shop/web-1"]
    assert names(s, "services") == ["istio-system/istiod"]
    s, _unused = load(dump, exclude_namespaces=["sandbox-*"])
    assert names(s, "pods") == ["shop/web-1"]


def test_extra_control_plane_namespace(dump):
    s, _unused = load(dump, control_plane_namespaces=["shop"])
    assert names(s, "services") == ["istio-system/istiod", "shop/web"]
    assert names(s, "configmaps") == ["istio-system/istio-sidecar-injector", "shop/istio-sidecar-injector"]
    assert names(s, "secrets") == ["istio-system/cacerts", "shop/cacerts"]


def test_result_does_not_depend_on_file_creation_order(dump, tmp_path):
    first, _unused = load(dump)
    os.rename(os.path.join(dump, "shop"), os.path.join(dump, "zz-shop"))
    again, _unused = load(dump)
    assert again["resources"] == first["resources"]


def test_malformed_yaml_names_file_line_and_column(tmp_path):
    path = write(
        tmp_path, "x/pods.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels:\n    a: b\n bad: 1\n"
    )
    with pytest.raises(offline_loader.OfflineError) as exc:
        offline_loader.load(str(tmp_path))
    expected = {
        "did not find expected key",  # libyaml
        "expected <block end>, but found '<block mapping start>'",  # pure-Python PyYAML
    }
    prefix = "%s: line 7, column 2: " % path
    assert str(exc.value).startswith(prefix) and str(exc.value)[len(prefix) :] in expected


def test_malformed_json_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "pods.json", '{\n  "kind": "PodList",\n  "items": [\n    {"metadata": }\n  ]\n}\n')
    with pytest.raises(offline_loader.OfflineError) as exc:
        offline_loader.load(str(tmp_path))
    assert str(exc.value) == "%s: line 4, column 18: Expecting value" % path


def test_missing_src(tmp_path):
    with pytest.raises(offline_loader.OfflineError) as exc:
        offline_loader.load(str(tmp_path / "nope"))
    assert str(exc.value) == "src %s does not exist" % (tmp_path / "nope")


def test_raw_version_response_and_single_file_src(tmp_path):
    path = write(tmp_path, "snap.yaml", "gitVersion: v1.30.2\nmajor: '1'\nminor: '30'\n---\n" + json.dumps(MWC))
    s, _unused = load(path)
    assert s["version"] == {"gitVersion": "v1.30.2", "major": "1", "minor": "30"}
    assert s["cluster"]["name"] == "snap"
    assert names(s, "mutatingwebhookconfigurations") == ["/istio-sidecar-injector"]


def test_missing_version_is_a_gap(tmp_path):
    write(tmp_path, "mwc.json", MWC)
    s, _unused = load(str(tmp_path))
    assert s["version"] is None
    assert {
        "resource": "version",
        "reason": "absent",
        "message": "no server version in %s" % tmp_path,
    } in s["gaps"]


def test_duplicates_keep_the_last_copy(tmp_path):
    write(tmp_path, "a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {v: '1'}}\n")
    write(tmp_path, "b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {v: '2'}}\n")
    s, stats = load(str(tmp_path))
    assert s["resources"]["namespaces"][0]["metadata"]["labels"] == {"v": "2"}
    assert stats["duplicates"] == 1


def test_events_k8s_io_events_are_not_core_events(tmp_path):
    write(
        tmp_path,
        "e.yaml",
        "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: x, namespace: a}\ntype: Warning\n"
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",  # a source must hold something known
    )
    s, stats = load(str(tmp_path))
    assert "events" not in s["resources"] and stats["unknown_kinds"] == {"Event": 1}


def test_a_bundle_reads_back_identically_and_filters_apply(dump, tmp_path):
    s, _unused = load(dump)
    dest = str(tmp_path / "saved.json.gz")
    bundle.write(dest, s)
    again, stats = load(dest)
    assert again == s and stats == {"files": 1, "unknown_kinds": {}, "duplicates": 0}
    filtered, _unused = load(dest, exclude_namespaces=["sandbox-1"])
    assert names(filtered, "pods") == ["shop/web-1"]
    assert filtered["cluster"] == s["cluster"]
    assert filtered["gaps"] == s["gaps"]


def test_a_bundle_inside_a_directory_is_merged(dump, tmp_path):
    s, _unused = load(dump)
    folder = tmp_path / "mixed"
    folder.mkdir()
    bundle.write(str(folder / "saved.json.gz"), s)
    write(folder, "extra.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n")
    merged, _unused = load(str(folder))
    assert names(merged, "pods") == names(s, "pods")
    assert names(merged, "nodes") == ["/n1"]
    assert "nodes" not in [g["resource"] for g in merged["gaps"]]
    assert merged["resources"]["secrets"] == s["resources"]["secrets"]


def test_examples_load_completely():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", "..", "..", "..", "examples"))
    folders = [os.path.join(root, d) for d in ("istio-broken", "linkerd-broken")]
    folders = [f for f in folders if os.path.isdir(f)]
    if not folders:
        pytest.skip("examples/ is not shipped with this copy")
    for folder in folders:
        s, stats = load(folder)
        assert s["version"] is not None and s["gaps"] == [], folder
        assert stats["unknown_kinds"] == {} and stats["duplicates"] == 0, folder
        assert list(s["resources"]) == list(snap.RESOURCES), folder
        text = json.dumps(s)
        assert "PRIVATE KEY" not in text and "hunter2" not in text
