from __future__ import annotations

import datetime

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import x509 as x
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import certificates as r
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.secrets import reduce_secret
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import certgen
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f
from ansible_collections.meshops.sidecar_injection.tests.unit.shared_data import shared_path

L_MWC = "MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config"
NOW = certgen.NOW
LINKERD_MWC = ObjectRef("MutatingWebhookConfiguration", "linkerd-proxy-injector-webhook-config")
ISTIO_MWC = ObjectRef("MutatingWebhookConfiguration", "istio-sidecar-injector")
SERVING = ObjectRef("Secret", "linkerd-proxy-injector-k8s-tls", "linkerd")
APP = {"name": "app", "image": "app:1"}
VOTING = ObjectRef("Deployment", "voting", "emoji")
WEB = ObjectRef("Deployment", "web", "shop")
MESHED_EMOJI = [
    f.namespace("emoji", annotations={"linkerd.io/inject": "enabled"}),
    f.deployment("voting", "emoji", {"app": "voting"}, [APP]),
]
MESHED_SHOP = [f.namespace("shop", {"istio-injection": "enabled"}), f.deployment("web", "shop", {"app": "web"}, [APP])]


def resync_of(finding):
    [op] = [op for op in finding.plan.operations if op.op == "resync_ca"]
    return op


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
    # the serving certificate is self-signed (as Linkerd's chart makes it): the bundle must hold it
    plan = finding.plan.as_dict()
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == (
        "resync_ca",
        LINKERD_MWC.as_dict(),
        "safe",
        ["remediate_certs"],
    )
    resync = [op for op in plan["operations"] if op["op"] == "resync_ca"]
    assert resync == [
        {
            "op": "resync_ca",
            "target": LINKERD_MWC.as_dict(),
            "expect": [f.hook(objects, "linkerd-proxy-injector-webhook-config")["clientConfig"]["caBundle"]],
            "expect_absent": False,
            "source": SERVING.as_dict(),
            "source_key": "tls.crt",
            "webhooks": ["linkerd-proxy-injector.linkerd.io"],
            "paths": ["/webhooks/0"],
            "risk": "safe",
        }
    ]
    steps = finding.rendered_steps()
    assert steps[2] == (
        "CA_BUNDLE=$(kubectl get secret/linkerd-proxy-injector-k8s-tls -n linkerd -o 'jsonpath={.data.tls\\.crt}')"
        "   # the CA the webhooks must trust: Secret linkerd/linkerd-proxy-injector-k8s-tls key tls.crt"
    )
    assert steps[3].startswith('[ -n "$CA_BUNDLE" ] && kubectl patch mutatingwebhookconfiguration ')
    assert steps[4] == "# or: re-render the webhook certificate and bundle with the installer"
    assert finding.affects == []  # nothing here asks for Linkerd
    [meshed] = f.run(r.cabundle_mismatch, objects + MESHED_EMOJI)
    assert meshed.affects == [VOTING, namespace_ref("emoji")]


def test_si404_linkerd_resyncs_from_ca_crt_or_the_secret_cainjector_reads():
    objects, _unused = linkerd_case("cabundle-mismatch")
    secret = f.find(objects, "Secret", "linkerd-proxy-injector-k8s-tls")
    secret["certificates"]["ca.crt"] = secret["certificates"]["tls.crt"]  # cert-manager's Secret layout
    [finding] = f.run(r.cabundle_mismatch, objects)
    assert (resync_of(finding).source, resync_of(finding).source_key) == (SERVING, "ca.crt")
    mwc = f.find(objects, "MutatingWebhookConfiguration", "linkerd-proxy-injector-webhook-config")
    mwc["metadata"]["annotations"] = {"cert-manager.io/inject-ca-from-secret": "cert-manager/webhook-ca"}
    [managed] = f.run(r.cabundle_mismatch, objects)
    assert (resync_of(managed).source, resync_of(managed).source_key) == (
        ObjectRef("Secret", "webhook-ca", "cert-manager"),
        "ca.crt",
    )
    assert "kubectl logs -n cert-manager deploy/cert-manager-cainjector --tail=100" in managed.rendered_steps()


def test_si406_message_is_gos_error():
    objects, _unused = linkerd_case("wrong-san")
    [finding] = f.run(r.serving_certificate, objects)
    assert finding.message == (
        "the proxy-injector certificate does not cover linkerd-proxy-injector.linkerd.svc, the name the API server "
        "dials: x509: certificate is valid for linkerd-proxy-injector.other-ns.svc, not "
        "linkerd-proxy-injector.linkerd.svc"
    )
    plan = finding.plan.as_dict()
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == (
        "rotate_cert",
        SERVING.as_dict(),
        "disruptive",  # the injector is restarted
        ["remediate_certs"],
    )
    rotate = plan["operations"][0]
    assert {k: rotate[k] for k in ("op", "target", "source", "hosts", "webhooks", "paths", "workloads")} == {
        "op": "rotate_cert",
        "target": LINKERD_MWC.as_dict(),
        "source": SERVING.as_dict(),
        "hosts": ["linkerd-proxy-injector.linkerd.svc"],
        "webhooks": ["linkerd-proxy-injector.linkerd.io"],
        "paths": ["/webhooks/0"],
        "workloads": [{"kind": "Deployment", "namespace": "linkerd", "name": "linkerd-proxy-injector"}],
    }
    assert rotate["expect"] == [f.hook(objects, "linkerd-proxy-injector-webhook-config")["clientConfig"]["caBundle"]]
    steps = finding.rendered_steps()
    assert "-addext subjectAltName=DNS:linkerd-proxy-injector.linkerd.svc" in steps[1]
    assert steps[3] == (
        "kubectl patch secret/linkerd-proxy-injector-k8s-tls -n linkerd --type merge --patch-file secret-patch.json"
    )
    assert "linkerd check   # 'proxy-injector webhook has valid cert'" in steps
    [installer] = finding.plan.alternatives
    assert [op.op for op in installer.operations] == ["external", "external", "restart"]
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
    assert (finding.plan.action, finding.plan.operations[0].op) == ("rotate_cert", "rotate_cert")
    [meshed] = f.run(r.serving_certificate, objects + MESHED_EMOJI)
    assert meshed.affects == [VOTING, namespace_ref("emoji")]
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
    assert finding.plan.action == "resync_ca"
    assert "renew it first" in finding.rendered_steps()[2]  # the source holds the same certificate


def test_si402_expired_bundle_is_resynced_from_the_serving_secret():
    objects, _unused = linkerd_case("expired")
    [finding] = f.run(r.cabundle_validity, objects + MESHED_EMOJI)
    assert finding.code == "SI402"
    assert (resync_of(finding).source, resync_of(finding).source_key) == (SERVING, "tls.crt")
    assert finding.affects == [VOTING, namespace_ref("emoji")]


# ---- SI401 -------------------------------------------------------------------------------------


def test_si401_empty_live_is_error_offline_istio_is_info():
    [finding] = f.run(r.cabundle_missing, f.istio_cp(ca_bundle="") + MESHED_SHOP)
    assert (finding.severity, finding.name) == ("error", "istio-sidecar-injector")
    assert finding.evidence == [
        EV("MutatingWebhookConfiguration istio-sidecar-injector", "webhooks[0].clientConfig.caBundle", "<empty>")
    ]
    resync = resync_of(finding)
    assert (resync.target, resync.source, resync.source_key, resync.expect) == (
        ISTIO_MWC,
        ObjectRef("ConfigMap", "istio-ca-root-cert", "istio-system"),  # istiod writes it: the default source
        "root-cert.pem",
        ("", "", "", ""),
    )
    assert resync.paths == ("/webhooks/0", "/webhooks/1", "/webhooks/2", "/webhooks/3")
    [restart] = finding.plan.alternatives
    assert [(op.op, op.workloads) for op in restart.operations] == [
        ("restart", (ObjectRef("Deployment", "istiod", "istio-system"),))
    ]
    assert finding.affects == [WEB, namespace_ref("shop")]
    [offline] = f.run(r.cabundle_missing, f.istio_cp(ca_bundle=""), source="offline")
    assert offline.severity == "info" and "filled at runtime" in offline.message
    # Linkerd's Helm chart writes the caBundle itself: empty is an error even offline
    [linkerd] = f.run(r.cabundle_missing, f.linkerd_cp(ca_bundle=""), source="offline")
    assert linkerd.severity == "error"


def test_si401_garbage():
    import base64

    fake = base64.b64encode(b"proxy injector CA bundle").decode()  # the upstream goldens' placeholder
    [finding] = f.run(r.cabundle_missing, f.linkerd_cp(ca_bundle=fake))
    # no serving Secret in the snapshot: nothing names the CA to copy, so only checks and the installer
    assert (finding.plan.action, [op.op for op in finding.plan.operations]) == ("manual", ["inspect"])
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
        "labelled istio.io/rev=default" in finding.rendered_steps()
    )
    assert (resync_of(finding).source, resync_of(finding).source_key) == (
        ObjectRef("ConfigMap", "istio-ca-root-cert", "istio-system"),
        "root-cert.pem",
    )
    assert resync_of(finding).expect == (certgen.b64(other),) * 4
    [from_secret] = f.run(r.cabundle_mismatch, istio_with_root([other], root, where="secret"))
    assert from_secret.evidence[1]["object"] == "Secret istio-system/istio-ca-secret"
    assert (resync_of(from_secret).source, resync_of(from_secret).source_key) == (
        ObjectRef("Secret", "istio-ca-secret", "istio-system"),
        "ca-cert.pem",
    )
    assert from_secret.rendered_steps()[1] == (
        "kubectl get secret istio-ca-secret -n istio-system -o 'jsonpath={.data.ca-cert\\.pem}' | base64 -d | "
        "openssl x509 -noout -subject -enddate -fingerprint -sha256   # must be the same certificate"
    )


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
    assert finding.rendered_steps() == [
        "# plan a root rotation: https://istio.io/latest/docs/tasks/security/cert-management/",
        "kubectl get secret istio-ca-secret -n istio-system   # the CA as stored",
        "istioctl proxy-config secret <pod> -n <namespace>   # what a sidecar holds",
    ]
    assert finding.plan.action == "manual"

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
    assert expired.rendered_steps() == [
        "kubectl get secret linkerd-identity-issuer -n linkerd   # the CA as stored",
        "linkerd check --proxy   # trust anchor / issuer checks",
        "linkerd upgrade --identity-issuer-certificate-file=issuer.crt --identity-issuer-key-file=issuer.key | "
        "kubectl apply -f -   # a new issuer (or let cert-manager renew it)",
    ]
    # every workload that carries or should get Linkerd's proxy depends on the issuer
    proxied = f.pod(
        "voting-1",
        "emoji",
        {"app": "voting"},
        annotations={"linkerd.io/proxy-version": "stable-2.14.10"},
        containers=[APP, {"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:stable-2.14.10"}],
    )
    [meshed] = f.run(r.mesh_ca_expiring, linkerd + MESHED_EMOJI + [proxied])
    assert meshed.affects == [VOTING, ObjectRef("Pod", "voting-1", "emoji"), namespace_ref("emoji")]


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
