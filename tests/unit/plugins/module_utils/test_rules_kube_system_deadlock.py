"""SI209 for kube-system: a failurePolicy Fail injector webhook that selects kube-system deadlocks the
cluster's own bootstrap (coredns, CNI) while the injector is down, for either mesh and whether or
not the injector is down now."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import webhooks as r
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f

L_MWC = "MutatingWebhookConfiguration linkerd-proxy-injector-webhook-config"
MWC = "MutatingWebhookConfiguration istio-sidecar-injector"
COREDNS = ObjectRef("Deployment", "coredns", "kube-system")
DNS_LABELS = {"k8s-app": "kube-dns"}


def kube_system(labels=None, with_pod=True):
    objects = [
        f.namespace("kube-system", labels),
        f.deployment("coredns", "kube-system", DNS_LABELS, [{"name": "coredns", "image": "coredns:1.9"}]),
    ]
    if with_pod:
        objects.append(f.pod("coredns-5d78c9869d-abcde", "kube-system", DNS_LABELS))
    return objects


OLD_LINKERD_SELECTOR = {
    "matchExpressions": [{"key": "config.linkerd.io/admission-webhooks", "operator": "NotIn", "values": ["disabled"]}]
}


def old_linkerd(failure_policy="Fail"):
    """Linkerd <= 2.12's chart: kube-system is not excluded by name (linkerd/linkerd2#10817)."""
    objects = f.linkerd_cp(failure_policy=failure_policy)
    f.hook(objects, "linkerd-proxy-injector-webhook-config")["namespaceSelector"] = dict(OLD_LINKERD_SELECTOR)
    return objects


def test_linkerd_fail_webhook_selecting_kube_system():
    objects = old_linkerd() + kube_system()
    [finding] = f.run(r.injector_bootstrap_deadlock, objects)
    assert (finding.code, finding.kind, finding.name, finding.mesh) == (
        "SI209",
        "MutatingWebhookConfiguration",
        "linkerd-proxy-injector-webhook-config",
        "linkerd",
    )
    assert finding.message == (
        "webhook linkerd-proxy-injector.linkerd.io (failurePolicy Fail) selects kube-system: namespace "
        "kube-system and pod coredns-5d78c9869d-abcde match, so while the injector is down kube-system pods "
        "(DNS, CNI, kube-proxy) cannot be created, and the injector may need them to come back"
    )
    assert finding.evidence[0] == EV(L_MWC, "webhooks[0].failurePolicy", "Fail")
    assert finding.evidence[3:] == [
        EV("Namespace kube-system", "metadata.labels", "<none>"),
        EV("Pod kube-system/coredns-5d78c9869d-abcde", "metadata.labels", "k8s-app=kube-dns"),
    ]
    assert finding.rendered_steps()[0] == (
        "kubectl label namespace kube-system config.linkerd.io/admission-webhooks=disabled --overwrite   # "
        "Linkerd's webhook skips namespaces labelled so (its chart labels kube-system so)"
    )
    [exclude] = finding.plan.alternatives[0].operations
    assert (exclude.path, exclude.expect) == ("/webhooks/0/namespaceSelector", OLD_LINKERD_SELECTOR)
    assert exclude.value["matchExpressions"] == OLD_LINKERD_SELECTOR["matchExpressions"] + [
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}
    ]
    # the fixture's pod has no owner, so it is a bare Pod of its own
    assert finding.affects == [
        COREDNS,
        ObjectRef("Pod", "coredns-5d78c9869d-abcde", "kube-system"),
        namespace_ref("kube-system"),
    ]


def test_linkerd_excluded_kube_system_is_healthy_and_ignore_cannot_deadlock():
    excluded = old_linkerd() + kube_system({"config.linkerd.io/admission-webhooks": "disabled"})
    assert f.run(r.injector_bootstrap_deadlock, excluded) == []
    assert f.run(r.injector_bootstrap_deadlock, old_linkerd("Ignore") + kube_system()) == []
    # the current chart excludes kube-system by name
    assert f.run(r.injector_bootstrap_deadlock, f.linkerd_cp(failure_policy="Fail") + kube_system()) == []


def test_istio_kube_system_labelled_for_injection_with_the_injector_down():
    objects = f.istio_cp() + kube_system({"istio-injection": "enabled"}, with_pod=False)
    istiod = f.find(objects, "Deployment", "istiod")
    istiod["status"]["readyReplicas"] = 0
    [finding] = f.run(r.injector_bootstrap_deadlock, objects)
    assert (finding.code, finding.mesh, finding.name) == ("SI209", "istio", "istio-sidecar-injector")
    assert finding.evidence[-1] == EV("Pod kube-system/coredns (pod template)", "metadata.labels", "k8s-app=kube-dns")
    [unlabel] = finding.plan.operations
    assert (unlabel.op, unlabel.target, unlabel.key) == (
        "remove_label",
        namespace_ref("kube-system"),
        "istio-injection",
    )


def test_istio_default_install_does_not_select_an_unlabelled_kube_system():
    assert f.run(r.injector_bootstrap_deadlock, f.istio_cp() + kube_system()) == []


def test_kube_system_missing_from_the_snapshot_is_not_judged():
    assert f.run(r.injector_bootstrap_deadlock, old_linkerd()) == []
