"""What a user sees from each real kubectl build against kubesim: server-side tables (default columns,
-o wide, -L), -o yaml/json, describe, label/annotate/patch, apply (client-side and --server-side), diff,
rollout restart + status, auth can-i, create --dry-run=server, get events and explain."""

from __future__ import annotations

import json
import re

import yaml

from tests.kubesim import KubeSim

from .conftest import Kubectl, table

NS = "demo"


def _web_pods(cluster: KubeSim) -> list[dict]:
    return sorted(
        (p for p in cluster.list("v1/pods", NS) if p["metadata"]["name"].startswith("web-")),
        key=lambda p: p["metadata"]["name"],
    )


def test_get_pods_default_columns(kubectl: Kubectl, cluster: KubeSim) -> None:
    header, rows = table(kubectl.out("get", "pods", "-n", NS, "-l", "app=web"))
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    names = [p["metadata"]["name"] for p in _web_pods(cluster)]
    assert [r[0] for r in rows] == names and len(names) == 2
    assert {tuple(r[1:4]) for r in rows} == {("2/2", "Running", "0")}
    assert all(re.fullmatch(r"\d+(s|m\d*s?)", r[4]) for r in rows)


def test_get_pods_wide_and_label_columns(kubectl: Kubectl, cluster: KubeSim) -> None:
    header, rows = table(kubectl.out("get", "pods", "-n", NS, "-l", "app=web", "-o", "wide", "-L", "app"))
    assert header == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
        "APP",
    ]
    pods = _web_pods(cluster)
    assert [r[5] for r in rows] == [p["status"]["podIP"] for p in pods]
    assert {(r[6], r[7], r[8], r[9]) for r in rows} == {("kubesim-node-1", "<none>", "<none>", "web")}


def test_get_all_namespaces_adds_the_namespace_column(kubectl: Kubectl) -> None:
    header, rows = table(kubectl.out("get", "deployments", "-A"))
    assert header == ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert [r[:5] for r in rows] == [["demo", "web", "2/2", "2", "2"], ["istio-system", "istiod", "1/1", "1", "1"]]


def test_get_namespaces_and_webhooks(kubectl: Kubectl) -> None:
    header, rows = table(kubectl.out("get", "namespaces", "--show-labels"))
    assert header == ["NAME", "STATUS", "AGE", "LABELS"]
    demo = next(r for r in rows if r[0] == NS)
    assert demo[1] == "Active" and demo[3] == "istio-injection=enabled,kubernetes.io/metadata.name=demo"
    header, rows = table(kubectl.out("get", "mutatingwebhookconfigurations"))
    assert header == ["NAME", "WEBHOOKS", "AGE"]
    assert rows[0][0] == "istio-sidecar-injector" and rows[0][1] in ("2", "4")


def test_get_output_yaml_and_json(kubectl: Kubectl, cluster: KubeSim) -> None:
    as_yaml = yaml.safe_load(kubectl.out("get", "deployment", "web", "-n", NS, "-o", "yaml"))
    as_json = json.loads(kubectl.out("get", "deployment", "web", "-n", NS, "-o", "json"))
    stored = cluster.get("apps/v1/deployments", NS, "web")
    assert as_yaml["metadata"]["uid"] == as_json["metadata"]["uid"] == stored["metadata"]["uid"]
    assert as_json["kind"] == "Deployment" and as_json["spec"]["replicas"] == 2


def test_describe_deployment(kubectl: Kubectl) -> None:
    text = kubectl.out("describe", "deployment", "web", "-n", NS)
    lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in text.splitlines() if ":" in line}
    assert lines["Name"] == "web" and lines["Namespace"] == NS and lines["Selector"] == "app=web"
    assert re.search(r"^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$", text, re.M)
    assert re.search(r"^\s+Available\s+True\s+MinimumReplicasAvailable$", text, re.M)
    assert "Events:" in text


def test_label_annotate_and_show_them(kubectl: Kubectl) -> None:
    key = f"kubectl-{kubectl.minor}"
    name = f"labeled-{kubectl.minor}"
    kubectl.out("apply", "-f", "-", stdin=_configmap(name, "one", b="2"))
    assert kubectl.out("label", "configmap", name, "-n", NS, f"{key}=yes").strip() == f"configmap/{name} labeled"
    header, rows = table(kubectl.out("get", "configmap", name, "-n", NS, "-L", key))
    assert header == ["NAME", "DATA", "AGE", key.upper()]
    assert (rows[0][0], rows[0][1], rows[0][3]) == (name, "2", "yes")
    assert (
        kubectl.out("annotate", "deployment", "web", "-n", NS, f"example.com/{key}=set", "--overwrite").strip()
        == "deployment.apps/web " + ("annotated" if kubectl.minor >= 28 else "annotate")  # 1.27 prints "annotate"
    )
    got = json.loads(kubectl.out("get", "deployment", "web", "-n", NS, "-o", "json"))
    assert got["metadata"]["annotations"][f"example.com/{key}"] == "set"


def test_patch_every_type(kubectl: Kubectl, cluster: KubeSim) -> None:
    name = f"patched-{kubectl.minor}"
    kubectl.out("apply", "-f", "-", stdin=_configmap(name, "1", key="a"))
    cases = [
        ("strategic", '{"data":{"b":"2"}}'),
        ("merge", '{"data":{"c":"3"}}'),
        ("json", '[{"op":"replace","path":"/data/a","value":"10"}]'),
    ]
    for kind, doc in cases:
        assert kubectl.out("patch", "configmap", name, "-n", NS, "--type", kind, "-p", doc).strip() == (
            f"configmap/{name} patched"
        )
    assert cluster.get("v1/configmaps", NS, name)["data"] == {"a": "10", "b": "2", "c": "3"}
    assert kubectl.out("patch", "configmap", name, "-n", NS, "--type", "merge", "-p", '{"data":{"c":"3"}}').strip() == (
        f"configmap/{name} patched (no change)"
    )
    failed = kubectl.run(
        "patch",
        "configmap",
        name,
        "-n",
        NS,
        "--type",
        "json",
        "-p",
        '[{"op":"test","path":"/data/a","value":"0"}]',
        check=False,
    )
    assert failed.returncode == 1 and failed.stderr.startswith("The request is invalid: ")


def _configmap(name: str, value: str, key: str = "key", **more: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": NS},
            "data": {key: value, **more},
        }
    )


def test_apply_client_side_and_diff(kubectl: Kubectl, cluster: KubeSim) -> None:
    name = f"applied-{kubectl.minor}"
    assert kubectl.out("apply", "-f", "-", stdin=_configmap(name, "one")).strip() == f"configmap/{name} created"
    assert kubectl.out("apply", "-f", "-", stdin=_configmap(name, "one")).strip() == f"configmap/{name} unchanged"
    diff = kubectl.run("diff", "-f", "-", stdin=_configmap(name, "two"), check=False)
    assert diff.returncode == 1, diff.stderr
    changed = [line for line in diff.stdout.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert "-  key: one" in changed and "+  key: two" in changed
    assert cluster.get("v1/configmaps", NS, name)["data"] == {"key": "one"}  # diff is a server-side dry run
    assert kubectl.out("apply", "-f", "-", stdin=_configmap(name, "two")).strip() == f"configmap/{name} configured"
    stored = cluster.get("v1/configmaps", NS, name)
    assert stored["data"] == {"key": "two"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in stored["metadata"]["annotations"]
    assert kubectl.run("diff", "-f", "-", stdin=_configmap(name, "two"), check=False).returncode == 0


def test_apply_server_side(kubectl: Kubectl, cluster: KubeSim) -> None:
    name = f"ssa-{kubectl.minor}"
    assert kubectl.out("apply", "--server-side", "-f", "-", stdin=_configmap(name, "one")).strip() == (
        f"configmap/{name} serverside-applied"
    )
    assert kubectl.out("apply", "--server-side", "-f", "-", stdin=_configmap(name, "two")).strip() == (
        f"configmap/{name} serverside-applied"
    )
    assert cluster.get("v1/configmaps", NS, name)["data"] == {"key": "two"}


def test_create_dry_run_server_stores_nothing(kubectl: Kubectl, cluster: KubeSim) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", "namespace": NS},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }
    out = kubectl.out("create", "--dry-run=server", "-o", "json", "-f", "-", stdin=json.dumps(pod))
    returned = json.loads(out)
    assert [c["name"] for c in returned["spec"]["containers"]] == ["app", "istio-proxy"]
    assert [c["name"] for c in returned["spec"]["initContainers"]] == ["istio-init"]
    assert cluster.get("v1/pods", NS, "probe") is None
    text = kubectl.out("create", "--dry-run=server", "-f", "-", stdin=json.dumps(pod))
    assert text.strip() == "pod/probe created (server dry run)"


def test_rollout_restart_and_status(kubectl: Kubectl, cluster: KubeSim) -> None:
    name = f"roll-{kubectl.minor}"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        },
    }
    assert kubectl.out("apply", "-f", "-", stdin=json.dumps(deployment)).strip() == f"deployment.apps/{name} created"
    assert kubectl.out("rollout", "restart", f"deployment/{name}", "-n", NS).strip() == (
        f"deployment.apps/{name} restarted"
    )
    status = kubectl.out("rollout", "status", f"deployment/{name}", "-n", NS, "--timeout=60s")
    assert status.splitlines()[-1] == f'deployment "{name}" successfully rolled out'
    template = cluster.get("apps/v1/deployments", NS, name)["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]


def test_auth_can_i(kubectl: Kubectl) -> None:
    assert kubectl.out("auth", "can-i", "create", "pods", "-n", NS).strip() == "yes"
    denied = kubectl.run("auth", "can-i", "create", "pods", "-n", NS, "--as", "jane", check=False)
    assert (denied.returncode, denied.stdout.strip()) == (1, "no")


def test_get_events(kubectl: Kubectl) -> None:
    header, rows = table(kubectl.out("get", "events", "-n", NS))
    assert header == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any(r[1:4] == ["Normal", "ScalingReplicaSet", "deployment/web"] for r in rows)
    assert any(r[2] == "SuccessfulCreate" and r[3].startswith("replicaset/web-") for r in rows)


def test_explain_reads_openapi_v3(kubectl: Kubectl) -> None:
    text = kubectl.out("explain", "deployment.spec.replicas")
    assert re.search(r"^KIND:\s+Deployment$", text, re.M) and re.search(r"^VERSION:\s+v1$", text, re.M)
    assert re.search(r"^FIELD:\s+replicas <integer>$", text, re.M)
    assert "Number of desired pods." in text
