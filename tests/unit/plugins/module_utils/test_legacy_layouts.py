"""Legacy control-plane layouts: Istio <= 1.5 (separate istio-sidecar-injector Deployment, istio-pilot,
Citadel) is modelled with the injector as the revision, and its Citadel-issued serving certificate
is judged by SI405/SI406 like Linkerd's."""

from __future__ import annotations

import base64
import copy

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import x509
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import standard_istio_webhooks
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import certificates as certs
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import webhooks as hooks
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.gather import ControlPlane
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.secrets import reduce_secret
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import certgen
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f

NS = "istio-system"
PILOT_LABELS = {"app": "pilot", "istio": "pilot"}
INJECTOR_LABELS = {"app": "sidecarInjectorWebhook", "istio": "sidecar-injector"}
INJECTOR_CONTAINER = {"name": "sidecar-injector-webhook", "image": "docker.io/istio/sidecar_injector:1.4.0"}
PILOT_CONTAINER = {"name": "discovery", "image": "docker.io/istio/pilot:1.4.0"}
SERVING_SECRET = "istio.istio-sidecar-injector-service-account"


def legacy_mwc(service="istio-sidecar-injector", ns=NS):
    raw = standard_istio_webhooks("default", ns)
    raw["metadata"]["labels"] = {"app": "sidecarInjectorWebhook"}  # no istio.io/rev before 1.6
    for hook in raw["webhooks"]:
        hook["clientConfig"]["service"] = {"name": service, "namespace": ns, "path": "/inject"}
    return f.mwc(raw)


def legacy_cp(service="istio-sidecar-injector", injector_ready=1):
    return [
        f.namespace(NS),
        f.deployment("istio-pilot", NS, PILOT_LABELS, [copy.deepcopy(PILOT_CONTAINER)]),
        f.pod("istio-pilot-6b7f-abcde", NS, PILOT_LABELS, containers=[copy.deepcopy(PILOT_CONTAINER)]),
        f.deployment(
            "istio-sidecar-injector",
            NS,
            INJECTOR_LABELS,
            [copy.deepcopy(INJECTOR_CONTAINER)],
            ready=injector_ready,
            serviceAccountName="istio-sidecar-injector-service-account",
        ),
        f.service(service, NS, {"istio": "sidecar-injector"}, [{"port": 443, "targetPort": 9443}]),
        legacy_mwc(service),
    ]


def citadel_secret(sans):
    leaf, _key = certgen.make(certgen.name("istio-sidecar-injector", org="k8s.cluster.local"), sans=sans)
    raw = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": SERVING_SECRET, "namespace": NS},
        "type": "istio.io/key-and-cert",
        "data": {"cert-chain.pem": base64.b64encode(certgen.pem(leaf).encode()).decode()},
    }
    return reduce_secret(raw), leaf


def test_the_legacy_injector_is_the_revision_and_istio_pilot_is_not():
    ctx = f.context(legacy_cp())
    [revision] = ctx.model.istio.revisions.values()
    assert (revision.name, revision.deployments, revision.version, revision.legacy) == (
        "default",
        ["istio-sidecar-injector"],
        "1.4.0",
        True,
    )
    assert {w.target_revision for w in ctx.model.istio.webhooks} == {"default"}


def test_no_si201_or_si210_on_a_healthy_legacy_install():
    assert f.run(hooks.webhook_missing, legacy_cp()) == []
    assert f.run(hooks.webhook_revision_orphaned, legacy_cp()) == []
    # a renamed Service still belongs to the injector running in its namespace
    assert f.run(hooks.webhook_missing, legacy_cp(service="is-sidecar")) == []
    # down, it is still no orphaned revision webhook (nobody patches legacy MWCs by revision)
    assert f.run(hooks.webhook_revision_orphaned, legacy_cp(injector_ready=0)) == []


def test_a_modern_unlabelled_webhook_still_gets_si210():
    objects = f.istio_cp()
    del f.find(objects, "MutatingWebhookConfiguration", "istio-sidecar-injector")["metadata"]["labels"]
    [finding] = f.run(hooks.webhook_revision_orphaned, objects)
    assert (finding.code, finding.name) == ("SI210", "istio-sidecar-injector")


def test_si406_on_citadels_certificate_for_a_renamed_service():
    secret, leaf = citadel_secret(["istio-sidecar-injector.istio-system.svc"])
    [finding] = f.run(certs.serving_certificate, legacy_cp(service="is-sidecar") + [secret])
    assert (finding.code, finding.kind, finding.namespace, finding.name, finding.mesh) == (
        "SI406",
        "Secret",
        NS,
        SERVING_SECRET,
        "istio",
    )
    assert finding.message == (
        "the istio-sidecar-injector certificate does not cover is-sidecar.istio-system.svc, the name the API "
        "server dials: x509: certificate is valid for istio-sidecar-injector.istio-system.svc, not "
        "is-sidecar.istio-system.svc"
    )
    assert finding.evidence == [
        EV("Secret istio-system/%s" % SERVING_SECRET, "data[cert-chain.pem][0]", certs.summary(x509.cert_facts(leaf))),
        EV(
            "Secret istio-system/%s" % SERVING_SECRET,
            "data[cert-chain.pem][0] subjectAltName",
            "istio-sidecar-injector.istio-system.svc",
        ),
    ]
    plan = finding.plan.as_dict()
    assert (plan["action"], [op["op"] for op in plan["operations"]]) == ("manual", ["note", "delete", "restart"])


def test_no_si406_when_citadel_covers_the_service_and_none_for_istiod():
    secret, _leaf = citadel_secret(["istio-sidecar-injector.istio-system.svc"])
    assert f.run(certs.serving_certificate, legacy_cp() + [secret]) == []
    # istiod's certificate is in memory: the same Secret next to istiod is not its serving certificate
    modern_secret, _leaf = citadel_secret(["nothing.example"])
    assert f.run(certs.serving_certificate, f.istio_cp() + [modern_secret]) == []


def test_gathering_reads_citadels_secret_only_where_a_legacy_control_plane_runs():
    legacy = ControlPlane([legacy_mwc("is-sidecar", "control")], [], None)
    assert legacy.meshes == {"control": ("istio",)}
    assert SERVING_SECRET not in legacy.secret_names("control")  # no legacy Deployment seen there
    deploys = [o for o in legacy_cp() if o["kind"] == "Deployment"]
    plane = ControlPlane([legacy_mwc()], deploys, None)
    assert plane.secret_names(NS) == ("istio-ca-secret", "cacerts", SERVING_SECRET)
    modern = ControlPlane([o for o in f.istio_cp() if o["kind"] == "MutatingWebhookConfiguration"], [], None)
    assert modern.secret_names(NS) == ("istio-ca-secret", "cacerts")


def test_no_si210_for_a_revision_whose_istiod_is_scaled_down():
    objects = f.istio_cp()
    istiod = f.find(objects, "Deployment", "istiod")
    istiod["spec"]["replicas"], istiod["status"]["readyReplicas"] = 0, 0
    objects = [o for o in objects if o["kind"] != "Pod"]
    assert f.run(hooks.webhook_revision_orphaned, objects) == []  # down is SI301's, not an orphaned label
    renamed = f.istio_cp()
    f.find(renamed, "MutatingWebhookConfiguration", "istio-sidecar-injector")["metadata"]["labels"]["istio.io/rev"] = (
        "gone"
    )
    [finding] = f.run(hooks.webhook_revision_orphaned, renamed)
    assert finding.message.startswith("istio-sidecar-injector carries istio.io/rev=gone but no istiod of that revision")
