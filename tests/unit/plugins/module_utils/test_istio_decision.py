"""istiod's injectRequired and istioctl check-inject, beyond the upstream conformance cases."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.istio import (
    check_inject,
    inject_required,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    build_model,
    parse_injector_configmap,
    standard_istio_webhooks,
)
from ansible_collections.meshops.sidecar_injection.tests.unit.conformance.istio_cli import (
    check_inject_summary,
    render_check_inject,
)
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    istio_injector_cm,
    view,
)


def cfg(**kwargs):
    return parse_injector_configmap(istio_injector_cm(**kwargs))


def decide(labels=None, annos=None, host=False, ns="shop", config=None):
    return inject_required(ns, labels or {}, annos or {}, host, config if config is not None else cfg())


def test_host_network_and_ignored_namespaces_come_first():
    result = decide(labels={"sidecar.istio.io/inject": "true"}, host=True)
    assert (result.inject, result.ids) == (False, ["istio.host-network"])
    for ns in ("kube-system", "kube-public", "kube-node-lease", "local-path-storage"):
        result = decide(labels={"sidecar.istio.io/inject": "true"}, ns=ns)
        assert (result.inject, result.ids) == (False, ["istio.ignored-namespace"])


def test_label_wins_over_annotation_and_values_are_exact():
    result = decide(labels={"sidecar.istio.io/inject": "false"}, annos={"sidecar.istio.io/inject": "true"})
    assert (result.inject, result.ids) == (False, ["istio.inject-false"])
    assert result.texts[0] == "pod label sidecar.istio.io/inject=false"
    # "False" is not "false": istiod falls back to the policy, which injects
    result = decide(labels={"sidecar.istio.io/inject": "False"})
    assert (result.inject, result.ids) == (True, ["istio.inject-invalid", "istio.policy-enabled"])
    result = decide(annos={"sidecar.istio.io/inject": "yes"}, config=cfg(policy="disabled"))
    assert (result.inject, result.ids) == (False, ["istio.inject-invalid", "istio.policy-disabled"])


def test_never_beats_always_and_explicit_value_beats_both():
    config = cfg(never=[{"matchLabels": {"team": "a"}}, {}], always=[{"matchLabels": {"team": "a"}}])
    result = decide(labels={"team": "a"}, config=config)
    assert (result.inject, result.ids) == (False, ["istio.never-inject-selector"])
    assert result.texts == ["pod labels match neverInjectSelector team=a of istio-sidecar-injector"]
    result = decide(labels={"team": "a", "sidecar.istio.io/inject": "true"}, config=config)
    assert (result.inject, result.ids) == (True, ["istio.inject-true"])
    always = cfg(policy="disabled", always=[{"matchExpressions": [{"key": "app", "operator": "Exists"}]}])
    result = decide(labels={"app": "x"}, config=always)
    assert (result.inject, result.ids) == (True, ["istio.always-inject-selector"])
    # the empty selector in neverInjectSelector is ignored, as istiod does
    assert decide(labels={"team": "b"}, config=config).inject is True


def test_policy_values():
    assert decide(config=cfg(policy="disabled")).inject is False
    assert decide(labels={"sidecar.istio.io/inject": "true"}, config=cfg(policy="disabled")).inject is True
    bad = decide(labels={"sidecar.istio.io/inject": "true"}, config=cfg(policy="Enabled"))
    assert (bad.inject, bad.ids) == (False, ["istio.inject-true", "istio.policy-invalid"])
    assert bad.texts[-1] == (
        "policy 'Enabled' in istio-sidecar-injector is neither enabled nor disabled → istiod disables all injection"
    )
    assumed = inject_required("shop", {}, {}, False, None)
    assert assumed.inject and assumed.texts == [
        "policy enabled in the injector ConfigMap (not in snapshot, Istio's default assumed)"
    ]


def test_check_inject_auto_webhook_reason_and_summary_lines():
    model = build_model(view(standard_istio_webhooks("default", auto=True)))
    rows = check_inject(model.webhooks, {}, {"kubernetes.io/metadata.name": "shop"})
    assert rows == [
        {
            "webhook": "istio-sidecar-injector",
            "revision": "default",
            "injected": True,
            "reason": "Namespace label kubernetes.io/metadata.name=shop matches (Automatic injection is "
            "enabled in all namespaces).",
        }
    ]
    assert check_inject_summary([]) == "ERROR: no Istio injection hooks present."
    twice = rows + [dict(rows[0], webhook="istio-revision-tag-default")]
    assert check_inject_summary(twice) == "ERROR: multiple webhooks will inject, which can lead to errors"
    table = render_check_inject(twice).splitlines()
    assert table[0].split() == ["WEBHOOK", "REVISION", "INJECTED", "REASON"]
    assert table[-1] == "ERROR: multiple webhooks will inject, which can lead to errors"


def test_check_inject_ignores_non_istio_configurations():
    model = build_model(
        view(
            {
                "kind": "MutatingWebhookConfiguration",
                "metadata": {"name": "vault"},
                "webhooks": [{"name": "vault.hashicorp.com"}],
            }
        )
    )
    assert check_inject(model.webhooks, {}, {}) == []
