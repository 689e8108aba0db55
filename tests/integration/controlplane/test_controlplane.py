# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control-plane diagnosis end to end (issue 6): break one thing for real on kubesim with the test
injectors, let the controllers re-create pods through admission (the API server's own FailedCreate
events), gather over HTTPS, diagnose, and assert the code and its evidence. The healthy control cases
must give no error-severity finding at all."""

from __future__ import annotations

import re

import pytest

from .helpers import Mesh, errors, findings, istio_objects, linkerd_objects, namespace, proxied, web


def same_but_pod_name(message):
    return re.sub(r'pods "[^"]+"', 'pods "<name>"', message)


pytestmark = pytest.mark.slow
kubesim = pytest.importorskip("tests.kubesim")


@pytest.fixture
def meshes(kubesim_factory):
    """Make meshed clusters; each one's demo/web is scaled to 0 before its server stops."""
    made = []

    def make(objects, app=None, container="istio-proxy"):
        mesh = Mesh(kubesim_factory(), objects)
        made.append(mesh)
        if app is not None:
            mesh.apply(app)
            mesh.wait(lambda: mesh.pods() and all(proxied(p, container) for p in mesh.pods()))
        return mesh

    yield make
    for mesh in made:
        if mesh.sim.get("apps/v1/deployments", "demo", "web") is not None:
            mesh.quiesce()


@pytest.fixture
def istio(meshes):
    """istiod + the golden MWC, namespace demo labelled istio-injection=enabled, Deployment demo/web
    with its pod already injected."""
    return meshes(istio_objects() + [namespace("demo", {"istio-injection": "enabled"})], web())


@pytest.fixture
def linkerd(meshes):
    def make(tls_case="valid", failure_policy="Fail"):
        return meshes(
            linkerd_objects(tls_case, failure_policy)
            + [namespace("demo", annotations={"linkerd.io/inject": "enabled"})]
        )

    return make


# ---- healthy control cases ---------------------------------------------------------------------------


def test_healthy_istio_has_no_error(istio):
    result = istio.diagnose()
    assert errors(result) == []
    assert result["summary"]["verdicts"]["pods_injected"] >= 1


def test_healthy_linkerd_has_no_error(linkerd):
    mesh = linkerd()
    mesh.apply(web())
    mesh.wait(lambda: mesh.pods() and all(proxied(p, "linkerd-proxy") for p in mesh.pods()))
    result = mesh.diagnose()
    assert errors(result) == []
    # the injector's proxy version (upstream's rendered placeholder) is what the pods carry: no skew
    assert findings(result, "SI605") == []


# ---- certificates ----------------------------------------------------------------------------------


def test_istiod_serving_a_foreign_certificate(istio):
    istio.control(lambda: istio.injector().serve_foreign_ca())
    istio.restart()
    messages = istio.failed_creates()
    assert messages and all("x509: certificate signed by unknown authority" in m for m in messages)
    result = istio.diagnose()
    [finding] = [f for f in findings(result, "SI303") if "(x509-unknown-authority)" in f.message]
    assert finding.name == "istio-sidecar-injector" and finding.mesh == "istio"
    # The API server's exact words; the ReplicaSet keeps retrying with new pod names while we gather.
    assert same_but_pod_name(finding.evidence[0]["value"]) in {same_but_pod_name(m) for m in messages}
    assert finding.evidence[0]["object"].startswith("ReplicaSet demo/web-")


def test_linkerd_wrong_san(linkerd):
    mesh = linkerd("wrong-san")
    mesh.apply(web())
    result = mesh.diagnose()
    [si406] = findings(result, "SI406")
    assert si406.message == (
        "the proxy-injector certificate does not cover linkerd-proxy-injector.linkerd.svc, the name the API server "
        "dials: x509: certificate is valid for linkerd-proxy-injector.other-ns.svc, not "
        "linkerd-proxy-injector.linkerd.svc"
    )
    [si303] = findings(result, "SI303")
    assert "(x509-wrong-name)" in si303.message
    assert si303.evidence[0]["value"].endswith(
        "x509: certificate is valid for linkerd-proxy-injector.other-ns.svc, not linkerd-proxy-injector.linkerd.svc"
    )


def test_linkerd_cabundle_mismatch(linkerd):
    mesh = linkerd("cabundle-mismatch")
    mesh.apply(web())
    result = mesh.diagnose()
    [si404] = findings(result, "SI404")
    # the certificates, then what it does to the workload it is the root cause of (docs/workloads.md)
    assert si404.evidence[-2]["object"] == "Secret linkerd/linkerd-proxy-injector-k8s-tls"
    assert si404.evidence[-2]["value"].startswith("subject CN=linkerd-proxy-injector.linkerd.svc")
    assert si404.evidence[-1] == {
        "object": "Deployment demo/web",
        "field": "next pod",
        "value": "rejected; a restart would fail: new pods are rejected (failurePolicy Fail) "
        "(SI404 cabundle-mismatch) and the replicas it replaces go down",
    }
    assert [ref.text() for ref in si404.root_cause_of] == ["Deployment demo/web"]
    assert findings(result, "SI604") == []
    [si303] = findings(result, "SI303")
    assert "(x509-unknown-authority)" in si303.message


# ---- reachability ----------------------------------------------------------------------------------


def test_istiod_scaled_to_zero(istio):
    istio.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "istiod", "namespace": "istio-system"},
            "spec": {"replicas": 0},
        }
    )
    istio.wait(lambda: not istio.pods("istio-system"))
    istio.restart()
    assert any('no endpoints available for service "istiod"' in m for m in istio.failed_creates())
    result = istio.diagnose()
    [si301] = findings(result, "SI301")
    assert si301.message.startswith(
        "Istio injector Deployment istio-system/istiod is scaled to 0 replicas: pod "
        "creation fails in every namespace it selects"
    )
    assert si301.evidence[:2] == [
        {"object": "Deployment istio-system/istiod", "field": "spec.replicas", "value": 0},
        {"object": "Deployment istio-system/istiod", "field": "status.availableReplicas", "value": 0},
    ]
    assert findings(result, "SI302")[0].name == "istiod"
    assert [f for f in findings(result, "SI303") if "(no-endpoints)" in f.message]


def test_injector_slower_than_timeout(istio):
    istio.patch_webhooks("istio-sidecar-injector", timeoutSeconds=1)
    istio.control(lambda: setattr(istio.injector().server, "delay", 2.0))
    istio.restart()
    assert any(m.endswith("context deadline exceeded") for m in istio.failed_creates())
    result = istio.diagnose()
    [si204] = findings(result, "SI204")
    assert "timeoutSeconds 1 is below the floor of 5" in si204.message
    assert "event(s) show calls timing out after 1s" in si204.message
    [si303] = [f for f in findings(result, "SI303") if "(timeout)" in f.message]
    assert si303.evidence[0]["value"].endswith('?timeout=1s": context deadline exceeded')


def test_networkpolicy_blocks_webhook_port(istio):
    istio.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": "istio-system"},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [{"ports": [{"port": 15010}, {"port": 15012}]}],
            },
        }
    )
    result = istio.diagnose()
    [si304] = findings(result, "SI304")
    assert (si304.severity, si304.name) == ("error", "default-deny")
    assert si304.evidence[0] == {
        "object": "NetworkPolicy istio-system/default-deny",
        "field": "spec",
        "value": "podSelector <all>; policyTypes Ingress; allow TCP/15010,TCP/15012 from anywhere",
    }


# ---- admission policy --------------------------------------------------------------------------------


def test_restricted_pod_security_rejects_istio_init(istio):
    istio.apply(namespace("demo", {"istio-injection": "enabled", "pod-security.kubernetes.io/enforce": "restricted"}))
    istio.restart()
    messages = istio.failed_creates()
    assert messages and all('violates PodSecurity "restricted:latest"' in m for m in messages)
    result = istio.diagnose()
    static, observed = sorted(findings(result, "SI501"), key=lambda f: f.evidence[0]["field"].startswith("event"))
    assert static.evidence == [
        {
            "object": "Namespace demo",
            "field": "metadata.labels[pod-security.kubernetes.io/enforce]",
            "value": "restricted",
        },
        {  # the root cause of the workload's next pod (docs/workloads.md)
            "object": "Deployment demo/web",
            "field": "next pod",
            "value": "rejected; a restart would fail: new pods are rejected (SI501 pod-security-blocks-init) "
            "and the replicas it replaces go down",
        },
    ]
    assert findings(result, "SI604") == []
    # The API server's exact words; the ReplicaSet keeps retrying with new pod names while we gather.
    assert same_but_pod_name(observed.evidence[0]["value"]) in {same_but_pod_name(m) for m in messages}
    assert 'container "istio-init" must not include "NET_ADMIN", "NET_RAW"' in observed.message


def test_quota_without_room_for_the_proxy(meshes):
    mesh = meshes(istio_objects() + [namespace("demo", {"istio-injection": "enabled"})], web(cpu_limit="500m"))
    mesh.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "compute", "namespace": "demo"},
            "spec": {"hard": {"limits.cpu": "3"}},
        }
    )
    mesh.restart()
    assert any("exceeded quota: compute" in m for m in mesh.failed_creates())
    result = mesh.diagnose()
    codes = {(f.kind, f.name) for f in findings(result, "SI502")}
    assert ("Namespace", "demo") in codes  # the API server's rejection, quoted
    [event_finding] = [f for f in findings(result, "SI502") if f.kind == "Namespace"]
    assert "exceeded quota: compute" in event_finding.evidence[0]["value"]
