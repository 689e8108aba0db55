"""Verdicts: both stages, both meshes, pods and templates, reason chains, memoisation."""

from __future__ import annotations

import json

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import (
    Decider,
    compute_verdicts,
    proxy_state,
    submitted_spec,
    top_owner,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    build_model,
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    istio_injector_cm,
    namespace,
    pod,
    view,
    workload,
)

STATUS = json.dumps({"initContainers": ["istio-init"], "containers": ["istio-proxy"], "revision": "1-22"})


def tag_mwc(tag, revision):
    """istio-revision-tag-<tag>: the revision MWC's rev.* webhooks selecting the tag, forwarding to revision."""
    config = standard_istio_webhooks(tag)
    config["metadata"] = {
        "name": "istio-revision-tag-%s" % tag,
        "labels": {"istio.io/tag": tag, "istio.io/rev": revision},
    }
    for item in config["webhooks"]:
        item["clientConfig"]["service"]["name"] = "istiod-%s" % revision
    return config


def verdicts_for(*objects):
    v = view(*objects)
    return {(x.kind, x.namespace, x.name): x for x in compute_verdicts(v, build_model(v))}


def test_namespace_revision_tag_reason_chain():
    objects = [
        tag_mwc("canary", "1-22"),
        istio_injector_cm("1-22"),
        namespace("shop", {"istio.io/rev": "canary"}),
        pod("web-1", "shop"),
    ]
    verdict = verdicts_for(*objects)[("Pod", "shop", "web-1")]
    assert verdict.as_dict() == {
        "kind": "Pod",
        "namespace": "shop",
        "name": "web-1",
        "mesh": "istio",
        "webhook": "istio-revision-tag-canary/rev.namespace.sidecar-injector.istio.io",
        "revision": "1-22",
        "should_inject": True,
        "injected": False,
        "reasons": [
            "namespace label istio.io/rev=canary matches webhook rev.namespace.sidecar-injector.istio.io of "
            "istio-revision-tag-canary → revision 1-22 (tag canary)",
            "policy enabled in istio-sidecar-injector-1-22",
            "→ inject",
            "pod carries no mesh proxy",
        ],
    }


def test_not_selected_explains_with_check_inject_reasons():
    objects = [standard_istio_webhooks("default"), namespace("shop"), pod("web-1", "shop")]
    verdict = verdicts_for(*objects)[("Pod", "shop", "web-1")]
    assert (verdict.should_inject, verdict.mesh, verdict.webhook, verdict.decision.outcome) == (
        False,
        "",
        "",
        "not-selected",
    )
    assert verdict.reasons[0] == (
        "not selected by Istio istio-sidecar-injector: No matching namespace labels (istio.io/rev=default, "
        "istio-injection=enabled) or pod labels (istio.io/rev=default, sidecar.istio.io/inject=true)"
    )


def test_annotation_only_opt_in_is_not_selected_but_label_is():
    base = [standard_istio_webhooks("default"), namespace("shop")]
    by_annotation = verdicts_for(*base, pod("a", "shop", annotations={"sidecar.istio.io/inject": "true"}))
    assert by_annotation[("Pod", "shop", "a")].should_inject is False
    by_label = verdicts_for(*base, pod("b", "shop", labels={"sidecar.istio.io/inject": "true"}))
    assert by_label[("Pod", "shop", "b")].webhook == "istio-sidecar-injector/object.sidecar-injector.istio.io"


def test_wrong_case_false_still_injects_and_disabled_namespace_beats_opt_in():
    base = [
        standard_istio_webhooks("default"),
        namespace("on", {"istio-injection": "enabled"}),
        namespace("off", {"istio-injection": "disabled"}),
    ]
    result = verdicts_for(
        *base,
        pod("a", "on", labels={"sidecar.istio.io/inject": "False"}),
        pod("b", "off", labels={"sidecar.istio.io/inject": "true"}),
    )
    a = result[("Pod", "on", "a")]
    assert a.should_inject and "istio.inject-invalid" in a.decision.calls[0].ids
    assert result[("Pod", "off", "b")].decision.outcome == "not-selected"


def test_stage_two_skip_keeps_the_webhook_and_lists_skip_ids():
    objects = [
        standard_istio_webhooks("default"),
        namespace("shop", {"istio-injection": "enabled"}),
        pod("h", "shop", host_network=True),
    ]
    verdict = verdicts_for(*objects)[("Pod", "shop", "h")]
    assert (verdict.should_inject, verdict.decision.outcome, verdict.decision.skip_ids) == (
        False,
        "skipped",
        ("istio.host-network",),
    )
    assert verdict.webhook == "istio-sidecar-injector/namespace.sidecar-injector.istio.io"


def test_linkerd_namespace_annotation_and_skip_reason_text():
    objects = [
        standard_linkerd_webhooks(),
        namespace("emoji", annotations={"linkerd.io/inject": "enabled"}),
        pod("web", "emoji"),
        pod("off", "emoji", annotations={"linkerd.io/inject": "disabled"}),
    ]
    result = verdicts_for(*objects)
    web = result[("Pod", "emoji", "web")]
    assert (web.mesh, web.should_inject, web.reasons[1]) == (
        "linkerd",
        True,
        "namespace annotation linkerd.io/inject=enabled → inject",
    )
    off = result[("Pod", "emoji", "off")]
    assert off.decision.skip_ids == ("injection_disable_annotation_present",)
    assert off.reasons[1] == 'proxy-injector skips it: pod has the annotation "linkerd.io/inject:disabled"'


def test_kube_system_is_excluded_by_the_automatic_metadata_name_label():
    objects = [
        standard_linkerd_webhooks(),
        namespace("kube-system", annotations={"linkerd.io/inject": "enabled"}),
        pod("p", "kube-system"),
    ]
    verdict = verdicts_for(*objects)[("Pod", "kube-system", "p")]
    assert verdict.decision.calls == ()
    assert "kubernetes.io/metadata.name notin (kube-system,cert-manager)" in verdict.reasons[0]


def test_istio_and_linkerd_both_called_in_order_linkerd_then_sees_the_sidecar():
    objects = [
        standard_istio_webhooks("default"),
        standard_linkerd_webhooks(),
        namespace("both", {"istio-injection": "enabled"}, {"linkerd.io/inject": "enabled"}),
        pod("p", "both"),
    ]
    verdict = verdicts_for(*objects)[("Pod", "both", "p")]
    assert verdict.decision.matched == (
        "istio-sidecar-injector/namespace.sidecar-injector.istio.io",
        "linkerd-proxy-injector-webhook-config/linkerd-proxy-injector.linkerd.io",
    )
    assert [c.inject for c in verdict.decision.calls] == [True, False]
    assert verdict.decision.calls[1].ids == ("sidecar_already_exists",)
    assert (verdict.mesh, verdict.decision.matched_meshes) == ("istio", ("istio", "linkerd"))


def test_running_pods_are_judged_as_submitted_and_their_proxy_is_read():
    spec = {
        "initContainers": [{"name": "istio-init"}],
        "containers": [{"name": "app"}, {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.0"}],
    }
    annos = {"sidecar.istio.io/status": STATUS}
    assert submitted_spec(spec, annos) == {"initContainers": [], "containers": [{"name": "app"}]}
    state = proxy_state(spec, annos)
    assert (state.mesh, state.revision, state.version, state.native, state.where) == (
        "istio",
        "1-22",
        "1.22.0",
        False,
        "containers",
    )
    native = proxy_state(
        {
            "initContainers": [
                {"name": "linkerd-proxy", "restartPolicy": "Always", "image": "cr.l5d.io/linkerd/proxy:edge-24.8.2"}
            ]
        },
        {},
    )
    assert (native.mesh, native.native, native.version, native.where) == (
        "linkerd",
        True,
        "edge-24.8.2",
        "initContainers",
    )
    assert proxy_state({"containers": [{"name": "app"}]}, {}) is None


def test_workload_pods_share_one_decision_and_templates_are_listed():
    dep = workload("Deployment", "web", "shop", tmpl_labels={"app": "web"})
    rs = workload(
        "ReplicaSet",
        "web-abc",
        "shop",
        tmpl_labels={"app": "web"},
        owner={"kind": "Deployment", "name": "web", "uid": dep["metadata"]["uid"]},
    )
    owner = {"kind": "ReplicaSet", "name": "web-abc", "uid": rs["metadata"]["uid"]}
    pods = [
        pod("web-abc-%d" % i, "shop", labels={"app": "web", "pod-template-hash": "abc", "i": str(i)}, owner=owner)
        for i in range(3)
    ]
    cj = workload("CronJob", "nightly", "shop")
    job = workload(
        "Job", "nightly-1", "shop", owner={"kind": "CronJob", "name": "nightly", "uid": cj["metadata"]["uid"]}
    )
    objects = [
        standard_istio_webhooks("default"),
        namespace("shop", {"istio-injection": "enabled"}),
        dep,
        rs,
        cj,
        job,
        workload("StatefulSet", "db", "shop"),
        workload("DaemonSet", "agent", "shop"),
        workload("Job", "once", "shop"),
        workload("ReplicaSet", "bare", "shop"),
    ] + pods
    v = view(*objects)
    model = build_model(v)
    decider = Decider(v, model)
    result = compute_verdicts(v, model, decider)
    pod_verdicts = [x for x in result if x.kind == "Pod"]
    assert len({id(x.decision) for x in pod_verdicts}) == 1 and decider.hits >= 2
    assert [x.owner for x in pod_verdicts] == [("Deployment", "web")] * 3
    assert [(x.kind, x.name) for x in result if x.template] == [
        ("Deployment", "web"),
        ("StatefulSet", "db"),
        ("DaemonSet", "agent"),
        ("Job", "once"),
        ("CronJob", "nightly"),
        ("ReplicaSet", "bare"),
    ]
    assert all(x.injected is None and x.should_inject for x in result if x.template)


def test_owner_guess_when_the_replicaset_is_not_in_the_snapshot():
    p = pod(
        "web-7d9f-x",
        "shop",
        labels={"pod-template-hash": "7d9f"},
        owner={"kind": "ReplicaSet", "name": "web-7d9f", "uid": "gone"},
    )
    assert top_owner(view(p), p) == ("Deployment", "web")
    bare = pod("solo", "shop")
    assert top_owner(view(bare), bare) is None


def test_missing_namespace_and_missing_injector_configmap_are_said():
    objects = [standard_istio_webhooks("canary"), pod("p", "ghost", labels={"istio.io/rev": "canary"})]
    verdict = verdicts_for(*objects, istio_injector_cm("default"))[("Pod", "ghost", "p")]
    assert verdict.reasons[0] == "namespace ghost is not in the snapshot: judged with no labels"
    assert verdict.reasons[2] == (
        "injector ConfigMap istio-sidecar-injector-canary not found: istiod of revision canary does not serve "
        "/inject, so with failurePolicy Fail the pod is rejected"
    )
    assert "istio.injector-config-missing" in verdict.decision.calls[0].ids


def test_no_injector_installed():
    result = verdicts_for(namespace("shop"), pod("p", "shop"), workload("Deployment", "d", "shop"))
    assert result[("Pod", "shop", "p")].reasons == [
        "no Istio or Linkerd injector webhook is installed → nothing injects",
        "pod carries no mesh proxy",
    ]


def test_linkerd_before_2_16_does_not_see_a_native_sidecar_proxy():
    native = [{"name": "linkerd-proxy", "restartPolicy": "Always"}]
    for version, skipped in (("stable-2.14.10", False), ("edge-24.8.2", True)):
        objects = [
            standard_linkerd_webhooks(),
            {
                "kind": "ConfigMap",
                "metadata": {"name": "linkerd-config", "namespace": "linkerd"},
                "data": {"values": "linkerdVersion: %s\n" % version},
            },
            namespace("emoji", annotations={"linkerd.io/inject": "enabled"}),
            workload("Deployment", "web", "emoji", initContainers=native),
        ]
        verdict = verdicts_for(*objects)[("Deployment", "emoji", "web")]
        assert (verdict.decision.skip_ids == ("sidecar_already_exists",)) is skipped, version
