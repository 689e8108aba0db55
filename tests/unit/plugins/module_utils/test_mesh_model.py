"""The mesh model: webhooks, Istio revisions/tags/injector config, Linkerd config, assumptions."""

from __future__ import annotations

import json

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model import mesh as mesh_model
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    NEVER_MATCH,
    build_model,
    linkerd_major,
    linkerd_version_key,
    parse_injector_configmap,
)
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    configmap,
    hook,
    istio_injector_cm,
    istiod,
    mwc,
    namespace,
    pod,
    service,
    shared_docs,
    view,
    workload,
)

GOLDEN_MWC = ("fixtures", "istio", "istio-sidecar-injector.mwc.golden.yaml")
TAG_MWC = ("fixtures", "istio", "istio-revision-tag-default.mwc.yaml")
NEVER_MWC = ("conformance", "istio", "check-inject", "never-match-injector.yaml")
LINKERD_MWC = ("fixtures", "linkerd", "upstream-head", "mwc-linkerd-proxy-injector-webhook-config.yaml")


def test_golden_istio_webhooks_are_parsed_in_call_order_with_api_defaults():
    model = build_model(view(*shared_docs(GOLDEN_MWC)))
    names = [w.name for w in model.webhooks]
    assert names == [
        "rev.namespace.sidecar-injector.istio.io",
        "rev.object.sidecar-injector.istio.io",
        "namespace.sidecar-injector.istio.io",
        "object.sidecar-injector.istio.io",
    ]
    first = model.webhooks[0]
    assert (first.config, first.index, first.mesh, first.injector, first.revision, first.target_revision) == (
        "istio-sidecar-injector",
        0,
        "istio",
        True,
        "default",
        "default",
    )
    assert (first.failure_policy, first.timeout_seconds, first.reinvocation_policy, first.match_policy) == (
        "Fail",
        10,
        "Never",
        "Equivalent",
    )
    assert first.service == mesh_model.ServiceRef("istio-system", "istiod", 443, "/inject")
    assert first.intercepts_pod_create and not first.deactivated
    assert first.rev_values == ("default",)
    assert model.meshes() == ["istio"]


def test_revision_tag_maps_tag_to_revision_and_never_match_is_deactivated():
    model = build_model(view(*shared_docs(TAG_MWC, NEVER_MWC, GOLDEN_MWC)))
    assert [w.config for w in model.webhooks][::4] == [
        "istio-revision-tag-default",
        "istio-sidecar-injector",
        "istio-sidecar-injector-deactivated",
    ]
    assert model.istio.tags == {"default": "test-dev2"}
    tag_hook = model.webhooks[0]
    assert (tag_hook.tag, tag_hook.revision, tag_hook.target_revision) == ("default", "test-dev2", "test-dev2")
    deactivated = [w for w in model.webhooks if w.config == "istio-sidecar-injector-deactivated"]
    assert len(deactivated) == 4 and all(w.deactivated for w in deactivated)
    assert deactivated[0].namespace_selector == NEVER_MATCH
    active = {w.config for w in model.injectors("istio")}
    assert active == {"istio-revision-tag-default", "istio-sidecar-injector"}
    assert model.istio.resolve("default") == "test-dev2"
    assert model.istio.resolve("nope") is None
    assert model.istio.served_rev_values() == {"default"}


def test_rules_decide_whether_pod_create_is_intercepted():
    cases = [
        ([{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}], True),
        ([{"operations": ["UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}], False),
        ([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/exec"]}], False),
        (
            [
                {
                    "operations": ["CREATE"],
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "resources": ["pods"],
                    "scope": "Cluster",
                }
            ],
            False,
        ),
        ([], False),
    ]
    for rules, expected in cases:
        model = build_model(view(mwc("x", [hook("a.sidecar-injector.istio.io", rules=rules)])))
        assert model.webhooks[0].intercepts_pod_create is expected, rules
        assert model.injectors() == ([model.webhooks[0]] if expected else [])


def test_linkerd_injector_is_told_apart_from_other_linkerd_and_foreign_webhooks():
    docs = shared_docs(LINKERD_MWC) + [
        mwc(
            "linkerd-tap-injector-webhook-config",
            [hook("linkerd-tap-injector.linkerd.io", service=("linkerd-viz", "tap-injector"))],
        ),
        mwc("vault-agent-injector-cfg", [hook("vault.hashicorp.com", service=("vault", "vault-agent-injector"))]),
    ]
    model = build_model(view(*docs))
    kinds = {w.config: (w.mesh, w.injector) for w in model.webhooks}
    assert kinds == {
        "linkerd-proxy-injector-webhook-config": ("linkerd", True),
        "linkerd-tap-injector-webhook-config": ("linkerd", False),
        "vault-agent-injector-cfg": ("other", False),
    }
    [injector] = model.injectors("linkerd")
    assert injector.object_selector is None and injector.failure_policy == "Ignore"
    assert injector.service == mesh_model.ServiceRef("linkerd", "linkerd-proxy-injector", 443, "/")
    assert model.linkerd.namespace == "linkerd"


def test_injector_configmap_golden_and_expected_proxy_image():
    [cm] = shared_docs(("fixtures", "istio", "istio-sidecar-injector.configmap.golden.yaml"))
    cfg = parse_injector_configmap(cm)
    assert (cfg.name, cfg.revision, cfg.policy) == ("istio-sidecar-injector", "default", "enabled")
    assert cfg.never_inject_selector == [] and cfg.always_inject_selector == []
    assert cfg.expected_proxy_image == "registry.istio.io/release/proxyv2:1.1.4"
    assert cfg.accepts_proxy_image("registry.istio.io/release/proxyv2:1.1.4")
    assert not cfg.accepts_proxy_image("registry.istio.io/release/proxyv2:1.1.3")
    assert cfg.accepts_proxy_image("registry.istio.io/release/proxyv2:1.1.4-distroless", "distroless")


def test_injector_configmap_variants():
    absolute = parse_injector_configmap(
        istio_injector_cm(
            "canary",
            values={
                "global": {"hub": "h", "tag": 1.5, "proxy": {"image": "reg.example/p/proxyv2:9"}},
                "sidecarInjectorWebhook": {"enableNamespacesByDefault": True},
                "pilot": {"cni": {"enabled": True}, "env": {"ENABLE_NATIVE_SIDECARS": True}},
            },
        )
    )
    assert (absolute.revision, absolute.expected_proxy_image, absolute.tag) == (
        "canary",
        "reg.example/p/proxyv2:9",
        "1.5",
    )
    assert absolute.enable_namespaces_by_default and absolute.cni_enabled and absolute.native_sidecars == "true"
    no_policy = parse_injector_configmap(
        configmap("istio-sidecar-injector-x", "istio-system", {"config": "templates: {}\n", "values": "{}"})
    )
    assert (no_policy.revision, no_policy.policy) == ("x", "")  # istiod: "" is an illegal policy
    broken = parse_injector_configmap(
        configmap("istio-sidecar-injector", "istio-system", {"config": "policy: [", "values": "{nope"})
    )
    assert broken.parse_error.startswith("cannot parse YAML")


def test_istiod_deployments_give_revisions_versions_and_readiness():
    model = build_model(
        view(
            istiod("default", ready=2),
            istiod("1-22", image="docker.io/istio/pilot:1.22.0-distroless", ready=0),
            read=["mutatingwebhookconfigurations"],
        )
    )
    revs = {
        name: (r.namespace, r.deployments, r.version, r.ready_replicas) for name, r in model.istio.revisions.items()
    }
    assert revs == {
        "default": ("istio-system", ["istiod"], "1.22.3", 2),
        "1-22": ("istio-system", ["istiod-1-22"], "1.22.0-distroless", 0),
    }
    assert model.istio.version() == "1.22.0-distroless,1.22.3"


def test_linkerd_config_values_and_versions():
    values = (
        "linkerdVersion: edge-24.8.2\nproxy:\n  nativeSidecar: true\n  image:\n    name: cr.l5d.io/linkerd/proxy\n"
        "identity:\n  serviceAccountTokenProjection: false\ncniEnabled: true\n"
    )
    model = build_model(
        view(configmap("linkerd-config", "linkerd", {"values": values}), read=["mutatingwebhookconfigurations"])
    )
    lk = model.linkerd
    assert (lk.version, lk.major, lk.proxy_image) == ("edge-24.8.2", "2.16", "cr.l5d.io/linkerd/proxy:edge-24.8.2")
    assert (lk.native_sidecar, lk.cni_enabled, lk.token_projection, lk.config_found) == (True, True, False, True)
    assert linkerd_major("stable-2.14.10") == "2.14"
    assert linkerd_major("edge-24.5.1") == "2.15"
    assert linkerd_major("edge-26.8.3") == "2.20"
    assert linkerd_version_key("stable-2.16.1") == (24, 8, 2)
    assert linkerd_version_key("edge-25.1.1") == (25, 1, 1)


def _proxy_injector(controller_tag, proxy_version):
    return workload(
        "Deployment",
        "linkerd-proxy-injector",
        "linkerd",
        tmpl_annotations={"linkerd.io/proxy-version": proxy_version},
        labels={"linkerd.io/control-plane-component": "proxy-injector"},
        containers=[
            {"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:%s" % proxy_version},
            {"name": "proxy-injector", "image": "cr.l5d.io/linkerd/controller:%s" % controller_tag},
        ],
    )


def test_linkerd_proxy_version_the_injector_injects():
    # no linkerd-config readable: the injector's own meshed pod shows the install's proxy version
    bare = build_model(view(_proxy_injector("edge-25.4.4", "v2.290.0"))).linkerd
    assert (bare.version, bare.proxy_version, bare.proxy_image) == (
        "edge-25.4.4",
        "v2.290.0",
        "cr.l5d.io/linkerd/proxy:v2.290.0",
    )
    # linkerd-config's proxy.image.version wins; without it, linkerdVersion (what the injector uses)
    pinned = "linkerdVersion: edge-25.4.4\nproxy:\n  image:\n    version: v2.300.0\n"
    for values, expected in (
        (pinned, "v2.300.0"),
        ("linkerdVersion: edge-25.4.4\n", "edge-25.4.4"),
    ):
        objects = (
            _proxy_injector("edge-25.4.4", "v2.290.0"),
            configmap("linkerd-config", "linkerd", {"values": values}),
        )
        assert build_model(view(*objects)).linkerd.proxy_version == expected


def test_assumed_webhooks_when_the_snapshot_has_no_webhook_configurations():
    istio_only = build_model(view(namespace("shop", {"istio-injection": "enabled"})))
    assert not istio_only.webhooks_read
    assert {w.key for w in istio_only.webhooks} == {
        "istio-sidecar-injector/rev.namespace.sidecar-injector.istio.io",
        "istio-sidecar-injector/rev.object.sidecar-injector.istio.io",
        "istio-sidecar-injector/namespace.sidecar-injector.istio.io",
        "istio-sidecar-injector/object.sidecar-injector.istio.io",
    }
    assert all(w.assumed for w in istio_only.webhooks)
    both = build_model(view(istiod("canary"), namespace("a", annotations={"linkerd.io/inject": "enabled"})))
    assert sorted({w.config for w in both.webhooks}) == [
        "istio-sidecar-injector",
        "istio-sidecar-injector-canary",
        "linkerd-proxy-injector-webhook-config",
    ]
    assert build_model(view(namespace("plain"))).webhooks == []
    # read but empty: nothing is assumed
    assert (
        build_model(
            view(namespace("shop", {"istio-injection": "enabled"}), read=["mutatingwebhookconfigurations"])
        ).webhooks
        == []
    )


def test_injector_backends_follow_the_service_selector():
    svc = service("istiod", "istio-system", selector={"app": "istiod"})
    objects = shared_docs(GOLDEN_MWC) + [
        svc,
        istiod(),
        pod("istiod-abc", "istio-system", labels={"app": "istiod"}),
        pod("other", "istio-system", labels={"app": "x"}),
    ]
    model = build_model(view(*objects))
    backend = model.injector_backends(model.webhooks[0])
    assert backend.problem == "" and backend.selector == {"app": "istiod"}
    assert [d["metadata"]["name"] for d in backend.deployments] == ["istiod"]
    assert [p["metadata"]["name"] for p in backend.pods] == ["istiod-abc"]
    missing = build_model(view(*shared_docs(GOLDEN_MWC), read=["services"]))
    assert missing.injector_backends(missing.webhooks[0]).problem == "service-missing"
    unread = build_model(view(*shared_docs(GOLDEN_MWC)))
    assert unread.injector_backends(unread.webhooks[0]).problem == "service-not-read"
    url = build_model(view(mwc("u", [{"name": "u.istio.io", "clientConfig": {"url": "https://1.2.3.4/inject"}}])))
    assert url.injector_backends(url.webhooks[0]).problem == "url"


def test_summary_is_json_and_lists_both_meshes():
    objects = shared_docs(TAG_MWC, LINKERD_MWC) + [istiod("test-dev2"), istio_injector_cm("test-dev2")]
    summary = build_model(view(*objects)).summary()
    json.dumps(summary)
    assert [s["mesh"] for s in summary] == ["istio", "linkerd"]
    istio = summary[0]
    assert (istio["version"], istio["namespace"], istio["tags"]) == ("1.22.3", "istio-system", {"default": "test-dev2"})
    assert istio["revisions"][0]["name"] == "test-dev2"
    assert istio["webhooks"][0] == "istio-revision-tag-default/rev.namespace.sidecar-injector.istio.io"
    assert summary[1]["webhooks"] == ["linkerd-proxy-injector-webhook-config/linkerd-proxy-injector.linkerd.io"]


def test_relevant_label_keys_cover_selectors_and_injector_selectors():
    objects = shared_docs(GOLDEN_MWC) + [istio_injector_cm(never=[{"matchLabels": {"team": "x"}}])]
    keys = build_model(view(*objects)).relevant_label_keys
    assert keys == {"istio.io/rev", "istio-injection", "sidecar.istio.io/inject", "team"}


def test_workload_helper_builds_templates():
    dep = workload("Deployment", "web", "shop", tmpl_labels={"a": "b"})
    assert dep["spec"]["template"]["metadata"]["labels"] == {"a": "b"}
