"""The answer per workload (rules/answers.py): for each class of blocker, a pod that predates the
namespace's enablement gets no restart advice (SI604), the blocker is its root cause and names it in
`affects` and `root_cause_of`, and next_pod is what the real path gives (failurePolicy decides a
failed call). Full diagnoses of cp_fixtures snapshots, as injection_diagnose runs them."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import Finding
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import answers as answers_mod
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.secrets import reduce_secret
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import certgen
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f
from ansible_collections.meshops.sidecar_injection.tests.unit.shared_data import shared_path

APP = {"name": "web", "image": "web:1"}
WEB = ObjectRef("Deployment", "web", "shop")
ISTIO_SHOP = {"istio-injection": "enabled"}
LINKERD_SHOP = {"linkerd.io/inject": "enabled"}
REJECTED_FAIL = (
    "a restart would fail: new pods are rejected (failurePolicy Fail) (%s) and the replicas it replaces go down"
)
REJECTED = "a restart would fail: new pods are rejected (%s) and the replicas it replaces go down"
UNMESHED = (
    "a restart re-creates the pods without a sidecar because the webhook fails open (failurePolicy Ignore) (%s): "
    "they stay un-meshed"
)


ROOT, _KEY = certgen.make(certgen.name("cluster.local", "cluster.local"), ca=True, days=3650)


def root_configmap(root):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "istio-ca-root-cert", "namespace": "istio-system"},
        "data": {"root-cert.pem": certgen.pem(root)},
    }


def istio():
    """A healthy Istio control plane whose caBundle is the mesh root."""
    return f.istio_cp(ca_bundle=certgen.b64(ROOT)) + [root_configmap(ROOT)]


def shop(labels=None, annotations=None):
    """Namespace shop, Deployment web and one of its pods without a proxy: it predates the enablement."""
    return [
        f.namespace("shop", labels, annotations),
        f.deployment("web", "shop", {"app": "web"}, [APP]),
        f.pod("web-6b9f-abcde", "shop", {"app": "web", "pod-template-hash": "6b9f"}, containers=[APP]),
    ]


def owned(objects):
    """The pod is the Deployment's (through ReplicaSet web-6b9f, which the snapshot does not hold)."""
    pod = f.find(objects, "Pod", "web-6b9f-abcde", "shop")
    pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "web-6b9f", "uid": "rs-1", "controller": True}]
    return objects


def diagnosed(objects):
    result = diagnose(f.snapshot(owned(objects), read=f.ALL_READ), Options(now=f.NOW))
    [answer] = [a for a in result["workloads"] if a.ref == WEB]
    return result, answer


def check_blocked(objects, code, outcome, effect):
    """SI604 absent, `code` the root cause of Deployment shop/web, naming it; the answer as expected."""
    result, answer = diagnosed(objects)
    codes = [x.code for x in result["findings"]]
    assert "SI604" not in codes and "SI605" not in codes
    [cause] = [x for x in result["findings"] if x.code == code and WEB in x.root_cause_of]
    assert WEB in cause.affects
    assert answer.root_cause is cause
    item = answer.as_dict()
    assert item["next_pod"]["outcome"] == outcome
    assert item["root_cause"] == code
    assert item["blocked_by"][0] == code
    assert item["intent"]["wants"] is True
    assert item["current"] == {"pods": 1, "with_proxy": 0, "without_proxy": 1, "proxy_versions": []}
    assert item["restart"] == {"helps": False, "effect": effect % ("%s %s" % (code, cause.slug))}
    assert {
        "object": "Deployment shop/web",
        "field": "next pod",
        "value": "%s; %s" % (outcome, item["restart"]["effect"]),
    } in cause.evidence
    return result, answer


def test_a_clear_path_keeps_the_restart_advice():
    result, answer = diagnosed(istio() + shop(ISTIO_SHOP))
    [advice] = [x for x in result["findings"] if x.code == "SI604"]
    assert (advice.kind, advice.namespace, advice.name) == ("Deployment", "shop", "web")
    item = answer.as_dict()
    assert item["next_pod"]["outcome"] == "injected" and item["blocked_by"] == [] and item["root_cause"] == ""
    assert item["restart"] == {"helps": True, "effect": "a restart re-creates the pods with the sidecar"}
    assert [s["status"] for s in item["next_pod"]["path"]] == ["ok"] * 5
    assert item["intent"] == {
        "wants": True,
        "mesh": "istio",
        "revision": "default",  # the revision the selecting webhook forwards to
        "sources": ["namespace label istio-injection=enabled"],
    }
    assert item["next_pod"]["failure_policy"] == "Fail"


def test_cabundle_mismatch_rejects_with_failure_policy_fail():
    other, _unused = certgen.make(certgen.name("cluster.local", "cluster.local"), ca=True, days=3650)
    objects = f.istio_cp(ca_bundle=certgen.b64(other)) + [root_configmap(ROOT)] + shop(ISTIO_SHOP)
    _result, answer = check_blocked(objects, "SI404", "rejected", REJECTED_FAIL)
    path = answer.as_dict()["next_pod"]["path"]
    assert [(s["stage"], s["status"], s["codes"]) for s in path] == [
        ("selection", "ok", []),
        ("call", "blocked", ["SI404"]),
        ("injector", "not_reached", []),
        ("admission", "not_reached", []),
        ("runtime", "not_reached", []),
    ]


def test_networkpolicy_that_firewalls_the_injector_rejects():
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": "istio-system"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    check_blocked(istio() + shop(ISTIO_SHOP) + [deny], "SI304", "rejected", REJECTED_FAIL)


def test_injector_down_fails_open_with_ignore_and_rejects_with_fail():
    down = [o for o in linkerd_tls("valid", "Ignore") if o["kind"] != "Pod"] + shop(annotations=LINKERD_SHOP)
    deploy = f.find(down, "Deployment", "linkerd-proxy-injector")
    deploy["spec"]["replicas"] = 0
    deploy["status"] = {"replicas": 0}
    _result, answer = check_blocked(down, "SI301", "admitted_without_sidecar", UNMESHED)
    assert answer.as_dict()["next_pod"]["failure_policy"] == "Ignore"
    assert answer.as_dict()["blocked_by"] == ["SI301"]
    istiod_down = [o for o in istio() if o["kind"] != "Pod"] + shop(ISTIO_SHOP)
    deploy = f.find(istiod_down, "Deployment", "istiod")
    deploy["spec"]["replicas"] = 0
    deploy["status"] = {"replicas": 0}
    _result, answer = check_blocked(istiod_down, "SI301", "rejected", REJECTED_FAIL)
    assert answer.as_dict()["blocked_by"] == ["SI301"]


def linkerd_tls(case, failure_policy):
    """The Linkerd control plane with the serving Secret and caBundle of a ../shared synthetic fixture."""
    path = shared_path("fixtures", "linkerd", "synthetic", "proxy-injector-webhook-tls.%s.yaml" % case)
    with open(path) as handle:
        secret, mwc = [d for d in yaml.safe_load_all(handle) if d]
    objects = f.linkerd_cp(ca_bundle=mwc["webhooks"][0]["clientConfig"]["caBundle"], failure_policy=failure_policy)
    return objects + [reduce_secret(secret)]


@pytest.mark.parametrize(
    "case, code, failure_policy, outcome, effect",
    [
        ("expired", "SI402", "Fail", "rejected", REJECTED_FAIL),
        ("expired", "SI402", "Ignore", "admitted_without_sidecar", UNMESHED),
        ("wrong-san", "SI406", "Fail", "rejected", REJECTED_FAIL),
        ("wrong-san", "SI406", "Ignore", "admitted_without_sidecar", UNMESHED),
    ],
)
def test_expired_or_wrong_name_certificate(case, code, failure_policy, outcome, effect):
    """An expired chain is first an expired caBundle (SI402), then the expired serving certificate (SI405)."""
    _result, answer = check_blocked(
        linkerd_tls(case, failure_policy) + shop(annotations=LINKERD_SHOP), code, outcome, effect
    )
    expected = ["SI402", "SI405"] if case == "expired" else ["SI406"]
    assert answer.as_dict()["blocked_by"] == expected


def test_pod_security_rejects_the_injected_pod():
    labels = dict(ISTIO_SHOP, **{"pod-security.kubernetes.io/enforce": "baseline"})
    _result, answer = check_blocked(istio() + shop(labels), "SI501", "rejected", REJECTED)
    assert [s["status"] for s in answer.as_dict()["next_pod"]["path"]] == ["ok", "ok", "ok", "blocked", "not_reached"]


def test_quota_without_room_for_the_proxy_rejects():
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "compute", "namespace": "shop"},
        "spec": {"hard": {"requests.memory": "1Gi"}},
        "status": {"hard": {"requests.memory": "1Gi"}, "used": {"requests.memory": "960Mi"}},
    }
    check_blocked(istio() + shop(ISTIO_SHOP) + [quota], "SI502", "rejected", REJECTED)


def test_limitrange_below_the_proxy_rejects():
    limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "limits", "namespace": "shop"},
        "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "256Mi"}}]},
    }
    check_blocked(
        linkerd_tls("valid", "Ignore") + shop(annotations=LINKERD_SHOP) + [limits], "SI503", "rejected", REJECTED
    )


def test_policy_engine_denial_rejects():
    vwc = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "kyverno-resource-validating-webhook-cfg"},
        "webhooks": [{"name": "validate.kyverno.svc-fail"}],
    }
    message = (
        'Error creating: admission webhook "validate.kyverno.svc-fail" denied the request: \n\nresource '
        "Pod/shop/web-1 was blocked due to the following policies\n\nrequire-image-digest:\n  check-digest: "
        "image docker.io/istio/proxyv2:1.24.2 must use a digest"
    )
    event = f.event("shop", "ReplicaSet", "web-6b9f", message)
    check_blocked(istio() + shop(ISTIO_SHOP) + [vwc, event], "SI505", "rejected", REJECTED)


def test_not_selected_and_opted_out_and_control_plane():
    objects = istio() + shop(annotations={}) + [f.namespace("other")]
    result = diagnose(
        f.snapshot(owned(objects), read=f.ALL_READ),
        Options(now=f.NOW, desired_namespaces=[{"name": "shop", "mesh": "istio"}]),
    )
    [web] = [a.as_dict() for a in result["workloads"] if a.ref == WEB]
    assert (web["next_pod"]["outcome"], web["blocked_by"], web["intent"]["sources"]) == (
        "not_selected",
        ["SI101"],
        ["desired_namespaces"],
    )
    assert web["restart"]["effect"] == (
        "a restart changes nothing: a pod created now is not selected for injection (SI101 namespace-not-enabled)"
    )
    [istiod] = [a.as_dict() for a in result["workloads"] if a.ref.name == "istiod"]
    assert (istiod["control_plane"], istiod["intent"]["wants"]) == (True, False)
    assert result["summary"]["workloads"] == {
        "meshes": {"istio": {"want": 1, "have": 0, "lack": 1, "pods_want": 1, "pods_have": 0, "pods_lack": 1}},
        # Deployment istiod and its pod, which names no owner in the fixture (so it stands alone)
        "own_manifest": {"workloads": 2, "pods": 1, "with_proxy": 0},
        "lacking_by_cause": [
            {
                "code": "SI101",
                "slug": "namespace-not-enabled",
                "workloads": 1,
                "pods": 1,
                "fix": result["summary"]["workloads"]["lacking_by_cause"][0]["fix"],
                "fix_text": result["summary"]["workloads"]["lacking_by_cause"][0]["fix_text"],
                "examples": ["Deployment shop/web"],
            }
        ],
    }
    assert result["summary"]["workloads"]["lacking_by_cause"][0]["fix"][0] == (
        "kubectl label namespace shop istio-injection=enabled --overwrite"
    )


def _deadlock_findings(injector_down):
    istiod = ObjectRef("Deployment", "istiod", "istio-system")
    deadlock = Finding(
        code="SI209",
        message="webhook selects its own injector",
        kind="MutatingWebhookConfiguration",
        name="istio-sidecar-injector",
        evidence=[{"object": "Namespace istio-system", "field": "metadata.labels", "value": "istio-injection=enabled"}],
        affects=[istiod, WEB],
    )
    found = [deadlock]
    if injector_down:
        found.append(
            Finding(code="SI301", message="no istiod replica", kind="Deployment", name="istiod", affects=[istiod, WEB])
        )
    return answers_mod._blockers_by_workload(found), istiod


def test_a_bootstrap_deadlock_blocks_only_its_namespace_and_only_while_the_injector_is_down():
    """SI209 is the root cause of istiod's own next pod while istiod is down; the application's next pod
    is blocked by the outage itself (SI301); with istiod up SI209 is a risk and blocks nothing."""
    by_ref, istiod = _deadlock_findings(injector_down=True)
    assert [f.code for f in by_ref[istiod]] == ["SI209", "SI301"]
    assert [f.code for f in by_ref[WEB]] == ["SI301"]
    by_ref, istiod = _deadlock_findings(injector_down=False)
    assert by_ref == {istiod: [], WEB: []}
