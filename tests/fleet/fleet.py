"""A demo fleet: separate test API server processes (tests/kubesim live scenarios), one kubeconfig
file per cluster, read by the kubeconfig inventory plugin, and playbooks/diagnose.yml over them.

| cluster               | what it is                                                             |
|-----------------------|------------------------------------------------------------------------|
| istio-healthy         | `--scenario istio`: injection works                                    |
| istio-wrong-ca        | `--scenario istio --break wrong-ca`: the caBundle does not verify istiod; |
|                       | with a rendered manifest overlaid (the pre-deployment check)           |
| linkerd-injector-down | `--scenario linkerd --break injector-down`: no endpoints, fails open   |
| istio-secrets-403     | `--scenario istio`, read with an identity that may not read Secrets    |
| unreachable           | a kubeconfig whose server does not listen                              |

`run(out)` starts the servers, runs the playbook with `report_dir=<out>/reports`, stops the servers
whatever happened and returns the playbook's exit code (4: one cluster could not be diagnosed).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
LIMITED_TOKEN = "fleet-diag-token"
LIMITED_USER = "system:serviceaccount:meshops:diagnose"

MANIFEST = """\
# helm template checkout charts/checkout (rendered in CI, before it is applied)
apiVersion: v1
kind: Namespace
metadata:
  name: checkout
  labels:
    istio-injection: enabled
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: checkout
  labels:
    app: checkout
    sidecar.istio.io/inject: "true"
spec:
  replicas: 2
  selector:
    matchLabels: {app: checkout}
  template:
    metadata:
      labels: {app: checkout}
    spec:
      containers:
        - name: app
          image: registry.example/checkout:1.4.0
"""

POLICY = {
    "users": [{"token": LIMITED_TOKEN, "user": LIMITED_USER, "authorize": "allow"}],
    "rules": [
        {"action": "forbid", "verbs": ["get", "list", "watch"], "resources": ["secrets"], "users": [LIMITED_USER]}
    ],
}


@dataclass(frozen=True)
class Cluster:
    name: str
    mesh: str = ""
    breaks: tuple = ()
    limited: bool = False  # read with a token that is 403 on secrets
    manifests: bool = False
    scale_up: bool = False  # an incident leaves traces: the next pod meets the breakage (FailedCreate)


CLUSTERS = (
    Cluster("istio-healthy", "istio"),
    Cluster("istio-wrong-ca", "istio", ("wrong-ca",), manifests=True, scale_up=True),
    Cluster("linkerd-injector-down", "linkerd", ("injector-down",)),
    Cluster("istio-secrets-403", "istio", limited=True),
    Cluster("unreachable"),
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_kubeconfig(path: Path, name: str) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {"server": "https://127.0.0.1:%d" % closed_port(), "insecure-skip-tls-verify": True},
            }
        ],
        "users": [{"name": name, "user": {"token": "nobody-listens"}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    path.write_text(yaml.safe_dump(config))


def use_token(path: Path, token: str) -> None:
    config = yaml.safe_load(path.read_text())
    for user in config["users"]:
        user["user"] = {"token": token}
    path.write_text(yaml.safe_dump(config))


def start(cluster: Cluster, out: Path) -> subprocess.Popen:
    kubeconfig = out / "kubeconfigs" / ("%s.yaml" % cluster.name)
    cmd = [sys.executable, "-m", "tests.kubesim", "--scenario", cluster.mesh, "--context", cluster.name]
    cmd += ["--write-kubeconfig", str(kubeconfig), "--access-log", str(out / "logs" / ("%s.access.log" % cluster.name))]
    for breakage in cluster.breaks:
        cmd += ["--break", breakage]
    if cluster.limited:
        policy = out / "logs" / "policy-secrets-403.yaml"
        policy.write_text(yaml.safe_dump(POLICY))
        cmd += ["--policy", str(policy)]
    log = open(out / "logs" / ("%s.log" % cluster.name), "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, cwd=str(REPO), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(procs: dict, out: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    for name, proc in procs.items():
        kubeconfig = out / "kubeconfigs" / ("%s.yaml" % name)
        while not (kubeconfig.is_file() and kubeconfig.stat().st_size > 0):
            if proc.poll() is not None:
                raise RuntimeError(
                    "kubesim for %s exited: %s" % (name, (out / "logs" / ("%s.log" % name)).read_text()[-2000:])
                )
            if time.monotonic() > deadline:
                raise RuntimeError("kubesim for %s did not start in %ds" % (name, timeout))
            time.sleep(0.2)


def scale_up(kubeconfig: Path, timeout: float = 30.0) -> None:
    """Scale demo/web by one and wait for the ReplicaSet's FailedCreate event: what a user sees after
    an incident (the webhook call's error), which the diagnosis reads (SI303)."""
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        current = apps.read_namespaced_deployment("web", "demo").spec.replicas
        apps.patch_namespaced_deployment_scale("web", "demo", {"spec": {"replicas": current + 1}})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e.reason == "FailedCreate" for e in core.list_namespaced_event("demo").items):
                return
            time.sleep(0.2)
        raise RuntimeError("no FailedCreate event in demo after scaling %s" % kubeconfig)
    finally:
        api.close()


def stop(procs: dict) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def inventory(out: Path) -> list:
    """The inventory plugin's config (one host per context of the kubeconfig files) and a static
    file that adds the rendered manifests to one host."""
    plugin = out / "fleet.kubeconfig.yml"
    plugin.write_text(
        yaml.safe_dump(
            {
                "plugin": "meshops.sidecar_injection.kubeconfig",
                "kubeconfig": [str(out / "kubeconfigs" / ("%s.yaml" % c.name)) for c in CLUSTERS],
            },
            sort_keys=False,
        )
    )
    manifest = out / "rendered" / "checkout.yaml"
    manifest.parent.mkdir(exist_ok=True)
    manifest.write_text(MANIFEST)
    extra = out / "pipeline.yml"
    hosts = {c.name: {"manifests": [str(manifest)]} for c in CLUSTERS if c.manifests}
    extra.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    return [str(plugin), str(extra)]


def environment() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"}
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"),
        ANSIBLE_INVENTORY_ENABLED="meshops.sidecar_injection.kubeconfig,ansible.builtin.yaml",
        ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true",
        ANSIBLE_NOCOLOR="1",
    )
    return env


def run(out: Path, fail_on: str = "error", extra_args: tuple = ()) -> subprocess.CompletedProcess:
    out = Path(out).resolve()
    for sub in ("kubeconfigs", "logs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    procs = {c.name: start(c, out) for c in CLUSTERS if c.mesh}
    try:
        wait_ready(procs, out)
        for cluster in CLUSTERS:
            kubeconfig = out / "kubeconfigs" / ("%s.yaml" % cluster.name)
            if not cluster.mesh:
                unreachable_kubeconfig(kubeconfig, cluster.name)
            if cluster.scale_up:
                scale_up(kubeconfig)
            if cluster.limited:
                use_token(kubeconfig, LIMITED_TOKEN)
        inventories = inventory(out)
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO / "playbooks" / "diagnose.yml")]
        for source in inventories:
            cmd += ["-i", source]
        cmd += ["-e", "report_dir=%s" % (out / "reports"), "-e", "diagnose_fail_on=%s" % fail_on] + list(extra_args)
        return subprocess.run(
            cmd, cwd=str(out), env=environment(), capture_output=True, text=True, timeout=900, check=False
        )
    finally:
        stop(procs)
