from __future__ import annotations

import datetime

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import x509 as x
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import certificates as r
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.secrets import reduce_secret
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import certgen
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f
from ansible_collections.meshops.sidecar_injection.tests.unit.shared_data import shared_path

L_MWC = "MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config"
NOW = certgen.NOW


def linkerd_case(case):
    """The Linkerd control plane with the Secret and caBundle of a ../shared synthetic fixture; the
    Secret is reduced exactly as gathering reduces it (public certificates only)."""
    path = shared_path("fixtures", "linkerd", "synthetic", "proxy-injector-webhook-tls.%s.yaml" % case)
    with open(path) as handle:
        secret, mwc = [d for d in yaml.safe_load_all(handle) if d]
    objects = f.linkerd_cp(ca_bundle=mwc["webhooks"][0]["clientConfig"]["caBundle"])
    objects.append(reduce_secret(secret))
    chain = x.parse_pem_bundle(reduce_secret(secret)["certificates"]["tls.crt"])["certs"]
    return objects, chain[0]


def facts_text(cert):
    return r.summary(x.cert_facts(cert))


# ---- the Linkerd synthetic cases across SI402-SI406 --------------------------------------------

RULES = (r.cabundle_missing, r.cabundle_validity, r.cabundle_mismatch, r.serving_certificate)


def codes(objects, **kwargs):
    return sorted((fd.code, fd.severity) for rule_obj in RULES for fd in f.run(rule_obj, objects, **kwargs))


@pytest.mark.parametrize(
    "case, expected",
    [
        ("valid", []),
        ("expiring-in-30d", [("SI403", "warning"), ("SI405", "warning")]),
        ("expired", [("SI402", "error"), ("SI405", "error")]),
        ("wrong-san", [("SI406", "error")]),
        ("cabundle-mismatch", [("SI404", "error")]),
    ],
)
def test_linkerd_synthetic_fixtures(case, expected):
    objects, _unused = linkerd_case(case)
    assert codes(objects) == expected


def test_si404_evidence_names_both_certificates():
    objects, leaf = linkerd_case("cabundle-mismatch")
    [finding] = f.run(r.cabundle_mismatch, objects)
    bundle = x.parse_ca_bundle(f.hook(objects, "linkerd-proxy-injector-webhook-config")["clientConfig"]["caBundle"])
    assert finding.message == (
        "caBundle of linkerd-proxy-injector-webhook-config does not sign the proxy-injector's "
        "certificate in Secret linkerd/linkerd-proxy-injector-k8s-tls: x509: certificate signed "
        "by unknown authority"
    )
    assert finding.evidence == [
        EV(L_MWC, "webhooks[0].clientConfig.caBundle[0]", facts_text(bundle["certs"][0])),
        EV("Secret linkerd/linkerd-proxy-injector-k8s-tls", "data[tls.crt][0]", facts_text(leaf)),
    ]
    assert (
        "subject CN=linkerd-proxy-injector.linkerd.svc, issuer CN=linkerd-proxy-injector.linkerd.svc, serial "
        in finding.evidence[1]["value"]
    )
    assert finding.action == "resync_ca"
    assert (
        "kubectl delete secret linkerd-proxy-injector-k8s-tls -n linkerd   # regenerated with a matching caBundle"
        in finding.steps
    )


def test_si406_message_is_gos_error():
    objects, _unused = linkerd_case("wrong-san")
    [finding] = f.run(r.serving_certificate, objects)
    assert finding.message == (
        "the proxy-injector certificate does not cover linkerd-proxy-injector.linkerd.svc, the name the API server "
        "dials: x509: certificate is valid for linkerd-proxy-injector.other-ns.svc, not "
        "linkerd-proxy-injector.linkerd.svc"
    )
    assert finding.evidence[1] == EV(
        "Secret linkerd/linkerd-proxy-injector-k8s-tls",
        "data[tls.crt][0] subjectAltName",
        "linkerd-proxy-injector.other-ns.svc",
    )
    assert finding.action == "rotate_cert"


def test_si405_expired_message_and_window_option():
    objects, leaf = linkerd_case("expired")
    [finding] = f.run(r.serving_certificate, objects)
    assert finding.message == (
        "the proxy-injector serving certificate CN=linkerd-proxy-injector.linkerd.svc expired "
        "on 2026-10-22T02:04:44Z: the API server's TLS handshake fails (x509: certificate has "
        "expired or is not yet valid)"
    )
    assert finding.evidence == [
        EV("Secret linkerd/linkerd-proxy-injector-k8s-tls", "data[tls.crt][0]", facts_text(leaf))
    ]
    expiring, _unused = linkerd_case("expiring-in-30d")
    assert f.run(r.serving_certificate, expiring, options=Options(cert_warning_days=20, now=NOW)) == []


def test_si403_message():
    objects, _unused = linkerd_case("expiring-in-30d")
    [finding] = f.run(r.cabundle_validity, objects)
    assert finding.message == (
        "caBundle certificate CN=linkerd-proxy-injector.linkerd.svc of "
        "linkerd-proxy-injector-webhook-config expires on 2026-12-26T02:04:44Z (28 days, inside "
        "the 60-day window)"
    )


# ---- SI401 -------------------------------------------------------------------------------------


def test_si401_empty_live_is_error_offline_istio_is_info():
    [finding] = f.run(r.cabundle_missing, f.istio_cp(ca_bundle=""))
    assert (finding.severity, finding.name) == ("error", "istio-sidecar-injector")
    assert finding.evidence == [
        EV("MutatingWebhookConfiguration istio-sidecar-injector", "webhooks[0].clientConfig.caBundle", "<empty>")
    ]
    [offline] = f.run(r.cabundle_missing, f.istio_cp(ca_bundle=""), source="offline")
    assert offline.severity == "info" and "filled at runtime" in offline.message
    # Linkerd's Helm chart writes the caBundle itself: empty is an error even offline
    [linkerd] = f.run(r.cabundle_missing, f.linkerd_cp(ca_bundle=""), source="offline")
    assert linkerd.severity == "error"


def test_si401_garbage():
    import base64

    fake = base64.b64encode(b"proxy injector CA bundle").decode()  # the upstream goldens' placeholder
    [finding] = f.run(r.cabundle_missing, f.linkerd_cp(ca_bundle=fake))
    assert finding.message.startswith(
        "caBundle of linkerd-proxy-injector-webhook-config "
        "(linkerd-proxy-injector.linkerd.io) is unusable: not a PEM certificate"
    )
    assert finding.evidence[0]["value"] == "32 base64 characters, not a PEM certificate (no PEM block found)"


# ---- Istio: caBundle vs mesh root --------------------------------------------------------------


def istio_with_root(bundle_certs, root_cert, where="configmap"):
    objects = f.istio_cp(ca_bundle=certgen.b64(*bundle_certs))
    if where == "configmap":
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "istio-ca-root-cert", "namespace": "istio-system"},
                "data": {"root-cert.pem": certgen.pem(root_cert)},
            }
        )
    else:
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "istio.io/ca-root",
                "metadata": {"name": "istio-ca-secret", "namespace": "istio-system"},
                "certificates": {"ca-cert.pem": certgen.pem(root_cert)},
            }
        )
    return objects


def test_si404_istio_bundle_matches_root_or_not():
    root, _unused = certgen.make(certgen.name("cluster.local", "cluster.local"), ca=True, days=3650)
    other, _unused = certgen.make(certgen.name("cluster.local", "cluster.local"), ca=True, days=3650)
    assert f.run(r.cabundle_mismatch, istio_with_root([root], root)) == []
    [finding] = f.run(r.cabundle_mismatch, istio_with_root([other], root))
    assert finding.evidence == [
        EV(
            "MutatingWebhookConfiguration istio-sidecar-injector",
            "webhooks[0].clientConfig.caBundle[0]",
            facts_text(other),
        ),
        EV("ConfigMap istio-system/istio-ca-root-cert", "data[root-cert.pem][0]", facts_text(root)),
    ]
    assert (
        "kubectl rollout restart deployment/istiod -n istio-system   # istiod re-patches the caBundle of MWCs "
        "labelled istio.io/rev=default" in finding.steps
    )
    [from_secret] = f.run(r.cabundle_mismatch, istio_with_root([other], root, where="secret"))
    assert from_secret.evidence[1]["object"] == "Secret istio-system/istio-ca-secret"


def test_si404_istio_without_root_material_is_silent():
    other, _unused = certgen.make("x", ca=True)
    assert f.run(r.cabundle_mismatch, f.istio_cp(ca_bundle=certgen.b64(other))) == []


# ---- SI407 -------------------------------------------------------------------------------------


def test_si407_istio_root_and_linkerd_issuer():
    soon = NOW - datetime.timedelta(days=3640)  # a 10-year root with 10 days left
    root, _unused = certgen.make(certgen.name("cluster.local", "cluster.local"), ca=True, days=3650, start=soon)
    objects = istio_with_root([root], root, where="secret")
    [finding] = f.run(r.mesh_ca_expiring, objects)
    assert (finding.code, finding.severity, finding.kind, finding.name) == (
        "SI407",
        "warning",
        "Secret",
        "istio-ca-secret",
    )
    assert (
        finding.message == "Istio root CA CN=cluster.local,O=cluster.local expires on %s (10 days, inside the "
        "60-day window)" % x.iso(root.not_valid_after_utc)
    )
    assert finding.evidence == [EV("Secret istio-system/istio-ca-secret", "data[ca-cert.pem][0]", facts_text(root))]

    anchor, anchor_key = certgen.make("root.linkerd.cluster.local", ca=True, days=3650)
    issuer, _unused = certgen.make(
        "identity.linkerd.cluster.local",
        signer_key=anchor_key,
        issuer=anchor,
        ca=True,
        days=30,
        start=NOW - datetime.timedelta(days=40),
    )
    linkerd = f.linkerd_cp() + [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "linkerd-identity-trust-roots", "namespace": "linkerd"},
            "data": {"ca-bundle.crt": certgen.pem(anchor)},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "linkerd-identity-issuer", "namespace": "linkerd"},
            "certificates": {"crt.pem": certgen.pem(issuer)},
        },
    ]
    [expired] = f.run(r.mesh_ca_expiring, linkerd)
    assert (expired.severity, expired.name) == ("error", "linkerd-identity-issuer")
    assert expired.message == "Linkerd identity issuer CN=identity.linkerd.cluster.local expired on %s" % x.iso(
        issuer.not_valid_after_utc
    )


def test_si407_same_root_in_configmap_and_secret_reported_once():
    root, _unused = certgen.make("root", ca=True, days=20)
    objects = istio_with_root([root], root, where="secret") + [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "istio-ca-root-cert", "namespace": "istio-system"},
            "data": {"root-cert.pem": certgen.pem(root)},
        }
    ]
    assert len(f.run(r.mesh_ca_expiring, objects)) == 1
