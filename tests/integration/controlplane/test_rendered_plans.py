# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubectl steps a plan renders, run for real: seed a broken control plane on kubesim, gather and
diagnose over HTTPS, run the finding's rendered steps through sh with a real kubectl build (the
oldest and newest this machine ships), then check the object changed exactly as the plan says and a
new diagnosis no longer reports the code. A step whose precondition no longer holds must fail and
change nothing. Other tools' commands (helm, istioctl, linkerd) are not run: only kubectl and shell."""

from __future__ import annotations

import base64
import glob
import os
import re
import shutil
import subprocess
from typing import Any, Dict, List

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import kubectl as render
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather

pytestmark = pytest.mark.slow
kubesim_module = pytest.importorskip("tests.kubesim")
certgen = pytest.importorskip("ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.certgen")
serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")

MWC = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
ISTIO_MWC = "istio-sidecar-injector"
LINKERD_MWC = "linkerd-proxy-injector-webhook-config"
SERVING_SECRET = "linkerd-proxy-injector-k8s-tls"


def kubectl_builds() -> List[str]:
    """The oldest and the newest versioned kubectl next to the one on PATH (kubectl.1.27 ... 1.33)."""
    found = shutil.which("kubectl")
    if not found:
        return []
    builds = glob.glob(os.path.join(os.path.dirname(os.path.realpath(found)), "kubectl.1.*"))
    builds.sort(key=lambda p: int(p.rsplit(".", 1)[1]))
    return [builds[0], builds[-1]] if len(builds) > 1 else builds


BUILDS = kubectl_builds()
NEWEST = BUILDS[-1:] or [None]
needs_kubectl = pytest.mark.skipif(not BUILDS, reason="no kubectl.1.NN build on this machine")
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


def version_of(build: Any) -> str:
    return os.path.basename(build) if build else "none"


# ---- the cluster ----------------------------------------------------------------------------------


def namespace(name: str, labels: Any = None) -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels or {})}}


def deployment(name: str, ns: str, labels: Dict[str, str], ports: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{"name": "server", "image": "server:1", "ports": ports}]},
            },
        },
    }


def service(name: str, ns: str, selector: Dict[str, str], port: int, target: Any) -> Dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": dict(selector), "ports": [{"name": "https-webhook", "port": port, "targetPort": target}]},
    }


def webhooks(raw: Dict[str, Any], **fields: Any) -> Dict[str, Any]:
    out = dict(raw, apiVersion="admissionregistration.k8s.io/v1", kind="MutatingWebhookConfiguration")
    out["webhooks"] = [dict(hook, **fields) for hook in raw["webhooks"]]
    return out


def istio(ca_bundle: str, root_pem: str, **hook_fields: Any) -> List[Dict[str, Any]]:
    """istiod (default revision) with its Service, the chart's webhooks (caBundle and `hook_fields`
    as given) and the mesh root in ConfigMap istio-ca-root-cert. No pod asks for injection, so the
    broken webhooks block nothing while the test runs."""
    labels = {"app": "istiod", "istio": "pilot"}
    hooks = webhooks(standard_istio_webhooks("default", "istio-system"), **hook_fields)
    for hook in hooks["webhooks"]:
        hook["clientConfig"] = dict(hook["clientConfig"], caBundle=ca_bundle)
    return [
        namespace("istio-system"),
        deployment("istiod", "istio-system", labels, [{"name": "https-webhooks", "containerPort": 15017}]),
        service("istiod", "istio-system", labels, 443, 15017),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "istio-ca-root-cert", "namespace": "istio-system"},
            "data": {"root-cert.pem": root_pem},
        },
        hooks,
    ]


def linkerd(cert: Any, key: Any, **hook_fields: Any) -> List[Dict[str, Any]]:
    """The Linkerd proxy-injector with its serving Secret (`cert`, `key`) and a caBundle of `cert`."""
    labels = {"linkerd.io/control-plane-component": "proxy-injector", "linkerd.io/control-plane-ns": "linkerd"}
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    hooks = webhooks(standard_linkerd_webhooks("linkerd"), failurePolicy="Fail", **hook_fields)
    hooks["webhooks"][0]["clientConfig"] = dict(hooks["webhooks"][0]["clientConfig"], caBundle=certgen.b64(cert))
    return [
        namespace("linkerd", {"config.linkerd.io/admission-webhooks": "disabled"}),
        deployment("linkerd-proxy-injector", "linkerd", labels, [{"name": "proxy-injector", "containerPort": 8443}]),
        service(
            "linkerd-proxy-injector",
            "linkerd",
            {"linkerd.io/control-plane-component": "proxy-injector"},
            443,
            "proxy-injector",
        ),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": SERVING_SECRET, "namespace": "linkerd"},
            "data": {
                "tls.crt": certgen.b64(cert),
                "tls.key": base64.b64encode(key_pem).decode(),
            },
        },
        hooks,
    ]


def self_signed(host: str) -> Any:
    return certgen.make(host, sans=[host], start=certgen.NOW.replace(year=2025), days=3650)


# ---- diagnose, render, run -------------------------------------------------------------------------


def findings(sim: Any, code: str) -> List[Any]:
    params = {name: None for name in kube_client.AUTH_OPTIONS}
    params["kubeconfig"] = sim.kubeconfig_path
    client = kube_client.client_from_params(params)
    try:
        snapshot = gather.Gatherer(client).run()
    finally:
        client.close()
    assert snapshot["gaps"] == []
    return [f for f in diagnose(snapshot, Options())["findings"] if f.code == code]


def runnable(plan: Any) -> List[str]:
    """The plan's own lines that this machine can run: kubectl and shell (not helm/istioctl/linkerd,
    not the alternatives, not the in-cluster curl probe that attaches to a pod)."""
    ops = [op for op in plan.operations if op.op != "external" and op.args[:2] != ("run", "webhook-probe")]
    return render.render_operations(ops)


def run_steps(lines: List[str], build: str, sim: Any, workdir: Any) -> subprocess.CompletedProcess:
    """The lines as one POSIX sh script (shell variables carry from line to line, as when pasted),
    with `kubectl` the given build talking to kubesim."""
    bindir = workdir / "bin"
    bindir.mkdir(exist_ok=True)
    link = bindir / "kubectl"
    if not link.exists():
        link.symlink_to(build)
    env = dict(os.environ, KUBECONFIG=sim.kubeconfig_path, PATH="%s:%s" % (bindir, os.environ.get("PATH", "")))
    script = "set -e\n" + "\n".join(lines) + "\n"
    return subprocess.run(["sh", "-c", script], cwd=str(workdir), env=env, text=True, capture_output=True, timeout=120)


def hook(sim: Any, config: str, index: int = 0) -> Dict[str, Any]:
    return sim.get(MWC, None, config)["webhooks"][index]


# ---- set_webhook and resync_ca on Istio's configuration ----------------------------------------------


@needs_kubectl
@pytest.mark.parametrize("build", BUILDS, ids=version_of)
def test_istio_fail_open_short_timeout_and_foreign_bundle_are_fixed_by_their_plans(kubesim, tmp_path, build):
    root, _root_key = certgen.make(certgen.name("cluster.local", "cluster.local"), ca=True, days=3650)
    foreign, _other_key = certgen.make(certgen.name("cluster.local", "cluster.local"), ca=True, days=3650)
    kubesim.seed(
        istio(certgen.b64(foreign), certgen.pem(root), failurePolicy="Ignore", timeoutSeconds=2), reconcile=True
    )
    for code in ("SI203", "SI204", "SI404"):
        [finding] = findings(kubesim, code)
        assert finding.plan.executable
        result = run_steps(runnable(finding.plan), build, kubesim, tmp_path)
        assert result.returncode == 0, (code, result.stderr)
        assert findings(kubesim, code) == [], code
    stored = kubesim.get(MWC, None, ISTIO_MWC)["webhooks"]
    assert len(stored) == 4
    assert {(h["failurePolicy"], h["timeoutSeconds"]) for h in stored} == {("Fail", 10)}
    # the bundle is the mesh root, base64 of the ConfigMap's PEM exactly
    assert {h["clientConfig"]["caBundle"] for h in stored} == {certgen.b64(root)}


@needs_kubectl
@pytest.mark.parametrize("build", NEWEST, ids=version_of)
def test_a_step_whose_precondition_changed_fails_and_changes_nothing(kubesim, tmp_path, build):
    root, _root_key = certgen.make("root", ca=True)
    foreign, _other_key = certgen.make("foreign", ca=True)
    kubesim.seed(istio(certgen.b64(foreign), certgen.pem(root), timeoutSeconds=2), reconcile=True)
    [timeout] = findings(kubesim, "SI204")
    [mismatch] = findings(kubesim, "SI404")
    # another writer changes the configuration after the diagnosis: one timeout, then the webhook order
    mwc = kubesim.get(MWC, None, ISTIO_MWC)
    mwc["webhooks"][1]["timeoutSeconds"] = 7
    kubesim.apply(mwc)
    failed = run_steps(runnable(timeout.plan), build, kubesim, tmp_path)
    assert failed.returncode != 0 and "The request is invalid" in failed.stderr  # 422: a JSON patch test failed
    assert [h["timeoutSeconds"] for h in kubesim.get(MWC, None, ISTIO_MWC)["webhooks"]] == [2, 7, 2, 2]

    mwc = kubesim.get(MWC, None, ISTIO_MWC)
    mwc["webhooks"] = list(reversed(mwc["webhooks"]))
    kubesim.seed([mwc])
    stale = run_steps(runnable(mismatch.plan), build, kubesim, tmp_path)
    assert stale.returncode != 0
    assert {h["clientConfig"]["caBundle"] for h in kubesim.get(MWC, None, ISTIO_MWC)["webhooks"]} == {
        certgen.b64(foreign)
    }


@needs_kubectl
@pytest.mark.parametrize("build", NEWEST, ids=version_of)
def test_resync_never_blanks_a_bundle_when_the_source_is_missing(kubesim, tmp_path, build):
    root, _root_key = certgen.make("root", ca=True)
    foreign, _other_key = certgen.make("foreign", ca=True)
    kubesim.seed(istio(certgen.b64(foreign), certgen.pem(root)), reconcile=True)
    [mismatch] = findings(kubesim, "SI404")
    subprocess.run(
        [build, "delete", "configmap", "istio-ca-root-cert", "-n", "istio-system"],
        env=dict(os.environ, KUBECONFIG=kubesim.kubeconfig_path),
        check=True,
        capture_output=True,
    )
    result = run_steps(runnable(mismatch.plan), build, kubesim, tmp_path)
    assert result.returncode != 0 and "not found" in result.stderr
    assert {h["clientConfig"]["caBundle"] for h in kubesim.get(MWC, None, ISTIO_MWC)["webhooks"]} == {
        certgen.b64(foreign)
    }


# ---- rotate_cert and resync_ca on Linkerd's proxy-injector -------------------------------------------


@needs_kubectl
@needs_openssl
@pytest.mark.parametrize("build", BUILDS, ids=version_of)
def test_linkerd_wrong_san_is_fixed_by_rotating_the_serving_certificate(kubesim, tmp_path, build):
    cert, key = self_signed("linkerd-proxy-injector.other-ns.svc")
    kubesim.seed(linkerd(cert, key), reconcile=True)
    [finding] = findings(kubesim, "SI406")
    assert finding.plan.action == "rotate_cert"
    result = run_steps(runnable(finding.plan), build, kubesim, tmp_path)
    assert result.returncode == 0, result.stderr
    assert findings(kubesim, "SI406") == []
    for code in ("SI401", "SI402", "SI403", "SI404", "SI405"):
        assert findings(kubesim, code) == [], code
    secret = kubesim.get("v1/secrets", "linkerd", SERVING_SECRET)
    new_cert = base64.b64decode(secret["data"]["tls.crt"]).decode()
    assert new_cert != certgen.pem(cert) and "PRIVATE KEY" in base64.b64decode(secret["data"]["tls.key"]).decode()
    assert hook(kubesim, LINKERD_MWC)["clientConfig"]["caBundle"] == secret["data"]["tls.crt"]
    assert not (tmp_path / "tls.key").exists()  # the key lives only in the Secret
    template = kubesim.get("apps/v1/deployments", "linkerd", "linkerd-proxy-injector")["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]


@needs_kubectl
@pytest.mark.parametrize("build", NEWEST, ids=version_of)
def test_linkerd_bundle_mismatch_is_fixed_by_resyncing_from_the_serving_secret(kubesim, tmp_path, build):
    cert, key = self_signed("linkerd-proxy-injector.linkerd.svc")
    other, _unused = self_signed("linkerd-proxy-injector.linkerd.svc")
    objects = linkerd(cert, key)
    objects[-1]["webhooks"][0]["clientConfig"]["caBundle"] = certgen.b64(other)
    kubesim.seed(objects, reconcile=True)
    [finding] = findings(kubesim, "SI404")
    result = run_steps(runnable(finding.plan), build, kubesim, tmp_path)
    assert result.returncode == 0, result.stderr
    assert findings(kubesim, "SI404") == []
    assert hook(kubesim, LINKERD_MWC)["clientConfig"]["caBundle"] == certgen.b64(cert)


# ---- manual plans' concrete changes -------------------------------------------------------------------


@needs_kubectl
@pytest.mark.parametrize("build", NEWEST, ids=version_of)
def test_port_scale_and_target_port_changes_run_as_rendered(kubesim, tmp_path, build):
    cert, key = self_signed("linkerd-proxy-injector.linkerd.svc")
    objects = linkerd(cert, key)
    objects[-1]["webhooks"][0]["clientConfig"]["service"]["port"] = 8443
    objects[1]["spec"]["replicas"] = 0
    root, _root_key = certgen.make("root", ca=True)
    istio_objects = istio(certgen.b64(root), certgen.pem(root))
    istio_objects[0]["metadata"]["labels"] = {"config.linkerd.io/admission-webhooks": "disabled"}  # keep istiod up
    istio_objects[2]["spec"]["ports"][0]["targetPort"] = 15018
    kubesim.seed(objects + istio_objects, reconcile=True)
    assert [f.name for f in findings(kubesim, "SI301")] == ["linkerd-proxy-injector"]
    for code in ("SI202", "SI301", "SI306"):
        [finding] = findings(kubesim, code)
        lines = runnable(finding.plan)
        assert any(re.match(r"kubectl (patch|scale) ", line) for line in lines), (code, lines)
        result = run_steps(lines, build, kubesim, tmp_path)
        assert result.returncode == 0, (code, lines, result.stderr)
        assert findings(kubesim, code) == [], code
    assert hook(kubesim, LINKERD_MWC)["clientConfig"]["service"]["port"] == 443
    assert kubesim.get("apps/v1/deployments", "linkerd", "linkerd-proxy-injector")["spec"]["replicas"] == 1
    assert kubesim.get("v1/services", "istio-system", "istiod")["spec"]["ports"][0]["targetPort"] == 15017


@needs_kubectl
@pytest.mark.parametrize("build", NEWEST, ids=version_of)
def test_allow_webhook_ingress_creates_the_policy(kubesim, tmp_path, build):
    root, _root_key = certgen.make("root", ca=True)
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": "istio-system"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    kubesim.seed(istio(certgen.b64(root), certgen.pem(root)) + [deny], reconcile=True)
    [finding] = findings(kubesim, "SI304")
    lines = runnable(finding.plan)
    probe = run_steps(["kubectl get --raw /openapi/v2 > /dev/null"], build, kubesim, tmp_path)
    if probe.returncode != 0:
        # kubesim serves no OpenAPI (its README), which kubectl create validates against: the same
        # command without that client-side validation (the server still validates and creates it)
        lines = [line.replace("kubectl create -f -", "kubectl create --validate=false -f -", 1) for line in lines]
    result = run_steps(lines, build, kubesim, tmp_path)
    assert result.returncode == 0, result.stderr
    assert findings(kubesim, "SI304") == []
    created = kubesim.get("networking.k8s.io/v1/networkpolicies", "istio-system", "allow-apiserver-to-istiod")
    assert created["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 15017}]}]
