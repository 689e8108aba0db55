# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""webhook_ca on live kubesim meshes: Linkerd's expired serving certificate is rotated (new CA and
certificate, bundle widened, Secret, injector restart, bundle pruned) and new pods are injected
again; a wrong caBundle is re-synced from the serving Secret; check mode writes nothing; a second run
changes nothing; rotation needs its opt-in; a cert-manager-owned bundle is left to cainjector; no
key material is returned."""

from __future__ import annotations

import base64
import json
import time

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import webhook_ca
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import (
    RemediationError,
    Session,
)

from .helpers import auth, store, writes
from .test_workload_restart import cluster

MWC = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
CONFIG = "linkerd-proxy-injector-webhook-config"
SECRET = "linkerd-proxy-injector-k8s-tls"
STORE = [MWC, "v1/secrets", "apps/v1/deployments"]


def findings(sim, codes):
    session = Session(dict(auth(sim), retries=0))
    try:
        return [f.as_dict() for f in session.diagnose()["findings"] if f.code in codes]
    finally:
        session.close()


def params(sim, tmp_path, **extra):
    out = dict(auth(sim), findings=[], backup_dir=str(tmp_path / "backup"), verify=True, retries=0,
               field_manager="meshops-sidecar-injection", control_plane_namespaces=[], allow_rotation=True,
               cert_days=365, renew_days=30, timeout=60)  # fmt: skip
    out.update(extra)
    return out


def bundle(sim):
    return sim.get(MWC, None, CONFIG)["webhooks"][0]["clientConfig"]["caBundle"]


def injected_preview(sim):
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import restarts

    from .helpers import writer

    w = writer(sim)
    return restarts.admission_preview(w, w.read(restarts.ObjectRef("Deployment", "web", "demo")))


def test_linkerd_expired_certificate_rotated_then_nothing(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd", "expired-cert")
    assert injected_preview(sim) == (False, "a new pod would be admitted without the proxy")
    given = findings(sim, ("SI405",))
    assert [f["code"] for f in given] == ["SI405"]
    old_key = sim.get("v1/secrets", "linkerd", SECRET)["data"]["tls.key"]
    result = webhook_ca.run(params(sim, tmp_path, findings=given))
    assert result["changed"] is True
    assert result["plan"][0]["status"] == "applied"
    assert result["plan"][0]["order"][0] == "caBundle += new CA"
    cert = result["certificates"][0]
    assert cert["hosts"] == ["linkerd-proxy-injector.linkerd.svc"]
    # the order: bundle widened (old + new CA), Secret, injector restart, bundle pruned
    patched = [r["path"].split("?")[0].rsplit("/", 1)[-1] for r in writes(sim) if r["method"] == "PATCH"]
    assert patched == [CONFIG, SECRET, "linkerd-proxy-injector", CONFIG]
    data = sim.get("v1/secrets", "linkerd", SECRET)["data"]
    assert data["tls.key"] != old_key
    from cryptography import x509

    served = x509.load_pem_x509_certificate(base64.b64decode(data["tls.crt"]))
    ca = x509.load_pem_x509_certificates(base64.b64decode(bundle(sim)))
    assert len(ca) == 1 and served.issuer == ca[0].subject
    assert served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == ["linkerd-proxy-injector.linkerd.svc"]
    assert result["verification"]["ok"] is True
    assert result["verification"]["findings"] == [
        {"code": "SI405", "object": {"kind": "Secret", "namespace": "linkerd", "name": SECRET}, "gone": True}
    ]
    assert injected_preview(sim) == (True, "a new pod is injected")
    text = json.dumps(result)
    assert data["tls.key"] not in text and "PRIVATE KEY" not in text and data["tls.crt"] not in text
    assert sorted(f.split(".")[0] for f in result["backups"]["files"]) == ["mutatingwebhookconfiguration", "secret"]

    before = store(sim, STORE)
    sim.clear_requests()
    again = webhook_ca.run(params(sim, tmp_path, findings=given))
    assert again["changed"] is False
    assert [p["status"] for p in again["plan"]] == ["unchanged"]
    assert writes(sim) == []
    assert store(sim, STORE) == before


def test_rotation_check_mode_and_opt_in(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd", "expired-cert")
    given = findings(sim, ("SI405",))
    before = store(sim, STORE)
    with pytest.raises(RemediationError) as err:
        webhook_ca.run(params(sim, tmp_path, findings=given, allow_rotation=False))
    assert str(err.value).startswith("rotating %s replaces the injector's serving certificate" % SECRET)
    result = webhook_ca.run(params(sim, tmp_path, findings=given), check_mode=True)
    assert result["changed"] is True
    assert result["plan"][0]["status"] == "would_change"
    assert "new key, not shown" in result["diff"][1]["after"]
    assert writes(sim) == []
    assert store(sim, STORE) == before
    assert not (tmp_path / "backup").exists()


def test_linkerd_wrong_ca_resynced_from_the_serving_secret(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd", "wrong-ca")
    given = findings(sim, ("SI404",))
    assert [f["code"] for f in given] == ["SI404"]
    result = webhook_ca.run(params(sim, tmp_path, findings=given))
    assert result["changed"] is True
    assert result["changed_objects"] == [{"kind": "MutatingWebhookConfiguration", "namespace": "", "name": CONFIG}]
    assert bundle(sim) == sim.get("v1/secrets", "linkerd", SECRET)["data"]["tls.crt"]
    assert result["verification"]["ok"] is True
    assert [f["gone"] for f in result["verification"]["findings"]] == [True]
    assert injected_preview(sim) == (True, "a new pod is injected")
    sim.clear_requests()
    again = webhook_ca.run(params(sim, tmp_path, findings=given))  # the bundle already is the wanted one
    assert again["changed"] is False
    assert [p["status"] for p in again["plan"]] == ["unchanged"]
    assert writes(sim) == []


def test_cert_manager_owned_bundle_is_not_fought(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd", "wrong-ca")
    given = findings(sim, ("SI404",))
    config = sim.get(MWC, None, CONFIG)
    config["metadata"].setdefault("annotations", {})["cert-manager.io/inject-ca-from"] = "linkerd/injector-cert"
    sim.apply(config)
    sim.clear_requests()
    before = bundle(sim)
    result = webhook_ca.run(params(sim, tmp_path, findings=given))
    assert result["changed"] is False
    assert result["owned"][0]["owner"] == "cert-manager cainjector"
    assert result["owned"][0]["fix"].startswith("the annotation names Certificate linkerd/injector-cert, which")
    assert [n["op"] for n in result["not_executed"]] == ["resync_ca"]
    assert bundle(sim) == before
    assert writes(sim) == []


def test_istio_orphaned_revision_webhook_handed_to_the_running_istiod(kubesim_factory, tmp_path):
    import copy

    sim = cluster(kubesim_factory, "istio")
    live = sim.get(MWC, None, "istio-sidecar-injector")
    root = base64.b64decode(live["webhooks"][0]["clientConfig"]["caBundle"]).decode()
    # istiod publishes its root in every namespace; the scenario's stand-in does not, so seed it
    sim.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-ca-root-cert",
               "namespace": "istio-system"}, "data": {"root-cert.pem": root}})  # fmt: skip
    orphan = copy.deepcopy(live)
    orphan["metadata"] = {"name": "istio-sidecar-injector-canary", "labels": dict(live["metadata"]["labels"])}
    orphan["metadata"]["labels"]["istio.io/rev"] = "canary"
    stale = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()
    for hook in orphan["webhooks"]:
        hook["clientConfig"]["caBundle"] = stale
        hook["namespaceSelector"] = {"matchLabels": {"istio.io/rev": "canary"}}
    sim.apply(orphan)
    sim.settle()
    given = findings(sim, ("SI210",))
    assert [(f["code"], f["name"]) for f in given] == [("SI210", "istio-sidecar-injector-canary")]
    sim.clear_requests()
    result = webhook_ca.run(params(sim, tmp_path, findings=given))
    assert result["changed"] is True
    fixed = sim.get(MWC, None, "istio-sidecar-injector-canary")
    assert fixed["metadata"]["labels"]["istio.io/rev"] == "default"
    assert {h["clientConfig"]["caBundle"] for h in fixed["webhooks"]} == {base64.b64encode(root.encode()).decode()}
    assert result["verification"]["findings"] == [
        {"code": "SI210", "object": {"kind": "MutatingWebhookConfiguration", "namespace": "",
                                     "name": "istio-sidecar-injector-canary"}, "gone": True}
    ]  # fmt: skip
    sim.clear_requests()
    assert webhook_ca.run(params(sim, tmp_path, findings=given))["changed"] is False
    assert writes(sim) == []


def test_bundle_changed_since_the_diagnosis_is_refused(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd", "wrong-ca")
    given = findings(sim, ("SI404",))
    config = sim.get(MWC, None, CONFIG)
    other = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n").decode()
    config["webhooks"][0]["clientConfig"]["caBundle"] = other
    sim.apply(config)
    sim.clear_requests()
    with pytest.raises(RemediationError) as err:
        webhook_ca.run(params(sim, tmp_path, findings=given))
    assert str(err.value).startswith(
        "MutatingWebhookConfiguration %s changed since the diagnosis: /webhooks/0/clientConfig/caBundle is" % CONFIG
    )
    assert writes(sim) == []
    assert bundle(sim) == other


def test_istio_wrong_ca_istiod_restarted_failed_create_gone(kubesim_factory, tmp_path):
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef

    from .helpers import writer

    sim = cluster(kubesim_factory, "istio", "wrong-ca")
    w = writer(sim)
    pod = next(p for p in sim.list("v1/pods") if p["metadata"]["namespace"] == "demo")
    w.delete(ObjectRef("Pod", pod["metadata"]["name"], "demo"))  # the ReplicaSet's re-create meets the x509 failure
    sim.settle()
    assert len([p for p in sim.list("v1/pods") if p["metadata"]["namespace"] == "demo"]) == 1
    given = findings(sim, ("SI303",))
    assert [(f["code"], f["name"]) for f in given] == [("SI303", "istio-sidecar-injector")]
    assert "x509-unknown-authority" in given[0]["message"]
    with pytest.raises(RemediationError):  # without the opt-in SI303 is not this module's
        webhook_ca.run(params(sim, tmp_path, findings=given))
    checked = webhook_ca.run(params(sim, tmp_path, findings=given, restart_istiod=True), check_mode=True)
    assert [p["status"] for p in checked["plan"]] == ["would_change"]
    result = webhook_ca.run(params(sim, tmp_path, findings=given, restart_istiod=True))
    assert result["changed_objects"] == [{"kind": "Deployment", "namespace": "istio-system", "name": "istiod"}]
    assert result["verification"]["objects"][0]["rolled_out"] is True
    deadline = time.monotonic() + 30
    while injected_preview(sim) != (True, "a new pod is injected"):  # the injector notices the restart
        assert time.monotonic() < deadline, injected_preview(sim)
        time.sleep(0.2)
    while len([p for p in sim.list("v1/pods") if p["metadata"]["namespace"] == "demo"]) < 2:
        assert time.monotonic() < deadline, "the ReplicaSet did not re-create its pod"
        sim.settle(1)
    pods = [p for p in sim.list("v1/pods") if p["metadata"]["namespace"] == "demo"]
    assert all("istio-proxy" in [c["name"] for c in p["spec"]["containers"]] for p in pods)


def test_rollback_restores_the_rotated_secret_and_bundle(kubesim_factory, tmp_path):
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import rollback

    sim = cluster(kubesim_factory, "linkerd", "expired-cert")
    old_secret = sim.get("v1/secrets", "linkerd", SECRET)["data"]
    old_bundle = bundle(sim)
    webhook_ca.run(params(sim, tmp_path, findings=findings(sim, ("SI405",))))
    assert bundle(sim) != old_bundle
    out = rollback.run(dict(auth(sim), backup_dir=str(tmp_path / "backup"), force=False, objects=[], retries=0))
    assert out["changed"] is True
    assert sim.get("v1/secrets", "linkerd", SECRET)["data"] == old_secret
    assert bundle(sim) == old_bundle
    # the diff names the Secret's keys and never shows their values (the restored private key)
    [secret_diff] = [d for d in out["diff"] if d["before_header"].startswith("Secret ")]
    text = secret_diff["before"] + secret_diff["after"]
    assert "tls.key: '<not shown: sha256 " in text
    assert all(value not in text for value in old_secret.values())
    assert "PRIVATE KEY" not in json.dumps(out)


def test_secret_write_forbidden_stops_with_both_cas_trusted(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd", "expired-cert")
    given = findings(sim, ("SI405",))
    old_bundle = bundle(sim)
    sim.add_rule(action="forbid", verbs=["patch"], resources=["secrets"], names=[SECRET])
    with pytest.raises(RemediationError) as err:
        webhook_ca.run(params(sim, tmp_path, findings=given))
    prefix = "step 2 (Secret): Not allowed to patch Secret linkerd/%s (403 Forbidden: " % SECRET
    assert str(err.value).startswith(prefix)
    assert str(err.value).endswith("The caBundle trusts both CAs, so the served certificate still verifies.")
    from cryptography import x509

    trusted = x509.load_pem_x509_certificates(base64.b64decode(bundle(sim)))
    assert len(trusted) == 2  # the old certificate (still served) and the new CA
    assert base64.b64decode(old_bundle) in base64.b64decode(bundle(sim))
