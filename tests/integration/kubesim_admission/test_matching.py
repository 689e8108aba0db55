"""Which webhooks a request reaches: label selectors, rules, scope, namespace handling."""

from __future__ import annotations

import pytest

from tests.kubesim.admission import selectors
from tests.kubesim.admission.attributes import Attributes
from tests.kubesim.admission.rules import Hook, is_exempt, should_call
from tests.kubesim.errors import StatusError

from .helpers import MemStore, load_fixture, namespace, run

NEVER_MATCH = {"matchLabels": {"istio.io/deactivated": "never-match"}}
LINKERD_NS = {
    "matchExpressions": [
        {"key": "config.linkerd.io/admission-webhooks", "operator": "NotIn", "values": ["disabled"]},
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system", "cert-manager"]},
    ]
}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        (None, {}, True),
        ({}, {"a": "b"}, True),
        ({"matchLabels": {"a": "b"}}, {"a": "b", "c": "d"}, True),
        ({"matchLabels": {"a": "b"}}, {"a": "c"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["x", "y"]}]}, {"a": "y"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["x"]}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["x"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["x"]}]}, {"a": "x"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"b": "1"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "1"}, False),
        # sidecar.istio.io/inject values are case-sensitive
        (
            {"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "In", "values": ["true"]}]},
            {"sidecar.istio.io/inject": "True"},
            False,
        ),
        (NEVER_MATCH, {}, False),
        (NEVER_MATCH, {"istio-injection": "enabled", "istio.io/rev": "default"}, False),
        (LINKERD_NS, {"kubernetes.io/metadata.name": "kube-system"}, False),
        (LINKERD_NS, {"kubernetes.io/metadata.name": "cert-manager"}, False),
        (
            LINKERD_NS,
            {"kubernetes.io/metadata.name": "apps", "config.linkerd.io/admission-webhooks": "disabled"},
            False,
        ),
        (LINKERD_NS, {"kubernetes.io/metadata.name": "apps"}, True),
        (LINKERD_NS, {"kubernetes.io/metadata.name": "apps", "config.linkerd.io/admission-webhooks": "enabled"}, True),
    ],
)
def test_label_selector_semantics(selector: dict | None, labels: dict, expected: bool) -> None:
    assert selectors.matches(selector, labels) is expected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ({"key": "a", "operator": "Equals", "values": ["x"]}, '"Equals" is not a valid label selector operator'),
        (
            {"key": "a", "operator": "In", "values": []},
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
    ],
)
def test_invalid_selectors_are_errors(expr: dict, message: str) -> None:
    with pytest.raises(selectors.SelectorError) as err:
        selectors.matches({"matchExpressions": [expr]}, {})
    assert str(err.value) == message


def _attrs(
    resource: str = "v1/pods",
    ns: str | None = "demo",
    operation: str = "CREATE",
    obj: dict | None = None,
    subresource: str | None = None,
) -> Attributes:
    obj = obj if obj is not None else {"kind": "Pod", "metadata": {"name": "p", "labels": {"app": "x"}}}
    return Attributes.build(
        operation=operation,
        resource=resource,
        subresource=subresource,
        namespace=ns,
        obj=obj,
        old=None,
        dry_run=False,
        user={},
    )


def _hook(**spec: object) -> Hook:
    rule = {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}
    base: dict = {"name": "h.example.com", "rules": [rule]}
    base.update(spec)
    return Hook("cfg", 0, base)


def _store(*namespaces: dict) -> MemStore:
    store = MemStore()
    store.add(*namespaces)
    return store


def test_rules_operations_groups_resources_and_subresources() -> None:
    store = _store(namespace("demo"))
    assert run(should_call(store, _hook(), _attrs())) == ("", "v1", "pods")
    assert run(should_call(store, _hook(), _attrs(operation="UPDATE"))) is None
    assert run(should_call(store, _hook(), _attrs(subresource="status", operation="CREATE"))) is None
    status_rule = [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["pods/*"]}]
    assert run(should_call(store, _hook(rules=status_rule), _attrs(subresource="status"))) is not None
    # rules.Matcher: "pods/*" has sub "*", which also equals-or-wildcards the empty subresource.
    assert run(should_call(store, _hook(rules=status_rule), _attrs())) is not None
    only_status = [{"operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/status"]}]
    assert run(should_call(store, _hook(rules=only_status), _attrs())) is None
    wildcard = [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}]
    assert run(should_call(store, _hook(rules=wildcard), _attrs("apps/v1/deployments"))) == (
        "apps",
        "v1",
        "deployments",
    )


def test_rule_scope() -> None:
    store = _store(namespace("demo", {"team": "a"}))
    any_rule = {"operations": ["CREATE"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}
    namespaced = _hook(rules=[dict(any_rule, scope="Namespaced")])
    cluster = _hook(rules=[dict(any_rule, scope="Cluster")])
    ns_obj = {"kind": "Namespace", "metadata": {"name": "demo", "labels": {"team": "a"}}}
    assert run(should_call(store, namespaced, _attrs())) is not None
    assert run(should_call(store, namespaced, _attrs("v1/namespaces", None, obj=ns_obj))) is None
    assert run(should_call(store, cluster, _attrs("v1/namespaces", None, obj=ns_obj))) is not None
    assert run(should_call(store, cluster, _attrs())) is None


def test_namespace_selector_uses_namespace_labels_and_namespace_objects_themselves() -> None:
    store = _store(namespace("demo", {"istio-injection": "enabled"}), namespace("other"))
    selector = {"matchLabels": {"istio-injection": "enabled"}}
    all_rule = [{"operations": ["CREATE"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}]
    hook = _hook(namespaceSelector=selector, rules=all_rule)
    assert run(should_call(store, hook, _attrs(ns="demo"))) is not None
    assert run(should_call(store, hook, _attrs(ns="other"))) is None
    # A Namespace being created is matched on its own labels, not on a stored namespace.
    new_ns = {"kind": "Namespace", "metadata": {"name": "fresh", "labels": {"istio-injection": "enabled"}}}
    assert run(should_call(store, hook, _attrs("v1/namespaces", None, obj=new_ns))) is not None
    # Cluster-scoped objects other than namespaces are never exempted by a namespaceSelector.
    node = {"kind": "Node", "metadata": {"name": "n1"}}
    assert run(should_call(store, hook, _attrs("v1/nodes", None, obj=node))) is not None


def test_missing_namespace_is_404_only_when_the_rules_match() -> None:
    store = _store()
    hook = _hook(namespaceSelector={"matchLabels": {"x": "y"}})
    with pytest.raises(StatusError) as err:
        run(should_call(store, hook, _attrs(ns="ghost")))
    assert (err.value.code, err.value.reason, err.value.message) == (404, "NotFound", 'namespaces "ghost" not found')
    assert run(should_call(store, hook, _attrs("apps/v1/deployments", ns="ghost"))) is None


def test_object_selector_matches_new_or_old_object() -> None:
    store = _store(namespace("demo"))
    hook = _hook(
        objectSelector={"matchLabels": {"app": "old"}},
        rules=[{"operations": ["UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
    )
    attrs = Attributes.build(
        operation="UPDATE",
        resource="v1/pods",
        subresource=None,
        namespace="demo",
        obj={"kind": "Pod", "metadata": {"name": "p", "labels": {"app": "new"}}},
        old={"kind": "Pod", "metadata": {"name": "p", "labels": {"app": "old"}}},
        dry_run=False,
        user={},
    )
    assert run(should_call(store, hook, attrs)) is not None


def test_invalid_object_selector_is_internal_error() -> None:
    store = _store(namespace("demo"))
    hook = _hook(objectSelector={"matchExpressions": [{"key": "a", "operator": "Bogus"}]})
    with pytest.raises(StatusError) as err:
        run(should_call(store, hook, _attrs()))
    assert err.value.code == 500
    assert err.value.message == 'Internal error occurred: "Bogus" is not a valid label selector operator'


def test_webhook_configurations_are_exempt() -> None:
    attrs = _attrs(
        "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
        None,
        obj={"kind": "MutatingWebhookConfiguration", "metadata": {"name": "x"}},
    )
    assert is_exempt(attrs)
    assert not is_exempt(_attrs())


def _golden_hooks(relative: str) -> list[Hook]:
    config = load_fixture(relative)[0]
    return [Hook(config["metadata"]["name"], i, w) for i, w in enumerate(config["webhooks"])]


@pytest.mark.parametrize(
    ("ns_labels", "pod_labels", "expected"),
    [
        ({}, {}, []),
        ({}, {"sidecar.istio.io/inject": "true"}, ["object.sidecar-injector.istio.io"]),
        ({}, {"sidecar.istio.io/inject": "True"}, []),
        ({"istio-injection": "enabled"}, {}, ["namespace.sidecar-injector.istio.io"]),
        ({"istio-injection": "enabled"}, {"sidecar.istio.io/inject": "false"}, []),
        ({"istio-injection": "disabled"}, {"sidecar.istio.io/inject": "true"}, []),
        ({"istio.io/rev": "default"}, {}, ["rev.namespace.sidecar-injector.istio.io"]),
        ({}, {"istio.io/rev": "default"}, ["rev.object.sidecar-injector.istio.io"]),
        ({"istio-injection": "enabled", "istio.io/rev": "canary"}, {}, ["namespace.sidecar-injector.istio.io"]),
    ],
)
def test_golden_istio_webhooks(ns_labels: dict, pod_labels: dict, expected: list[str]) -> None:
    hooks = _golden_hooks("istio/istio-sidecar-injector.mwc.golden.yaml")
    store = _store(namespace("demo", ns_labels))
    obj = {"kind": "Pod", "metadata": {"name": "p", "labels": pod_labels}}
    called = [h.name for h in hooks if run(should_call(store, h, _attrs(obj=obj))) is not None]
    assert called == expected


def test_golden_linkerd_webhook_null_object_selector_matches_everything() -> None:
    hooks = _golden_hooks("linkerd/upstream-v2.18/mwc-linkerd-proxy-injector-webhook-config.yaml")
    assert hooks[0].spec["objectSelector"] is None
    store = _store(
        namespace("apps"),
        namespace("kube-system"),
        namespace("off", {"config.linkerd.io/admission-webhooks": "disabled"}),
    )
    assert run(should_call(store, hooks[0], _attrs(ns="apps"))) is not None
    assert run(should_call(store, hooks[0], _attrs(ns="kube-system"))) is None
    assert run(should_call(store, hooks[0], _attrs(ns="off"))) is None
    svc = {"kind": "Service", "metadata": {"name": "s"}}
    assert run(should_call(store, hooks[0], _attrs("v1/services", "apps", obj=svc))) is not None
