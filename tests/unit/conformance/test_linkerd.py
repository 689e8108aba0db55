"""Linkerd conformance: the proxy-injector decision tables, the webhook test data, and
`linkerd inject` (CLI) reports, from ../shared/conformance/linkerd.

The decision must give the same injectable yes/no and the same ordered reason ids as upstream;
CLI runs must print the same report lines (or the same error text) as upstream's goldens.
"""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision import linkerd as linkerd_decision
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import compute_verdicts
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import build_model
from ansible_collections.meshops.sidecar_injection.tests.unit.conformance import linkerd_cli
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    load_yaml_files,
    namespace,
    pod,
    view,
)
from ansible_collections.meshops.sidecar_injection.tests.unit.shared_data import shared_path

pytestmark = pytest.mark.conformance

SA_MOUNT = {"name": "token", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}


def _cases():
    path = shared_path("conformance", "linkerd", "decision-cases", "webhook-inject-decision.yaml")
    with open(path) as handle:
        return yaml.safe_load(handle)


def _spec(case):
    spec = dict(case.get("pod_spec") or {})
    containers = spec.get("containers") or [{"name": "app", "image": "app"}]
    # upstream's TestInjectable pods all mount the service-account token in their first container
    spec["containers"] = [dict(containers[0], volumeMounts=[SA_MOUNT])] + list(containers[1:])
    return spec


def test_reason_texts_are_upstreams():
    assert _cases()["reason_text"] == linkerd_decision.REASONS


@pytest.mark.parametrize("section", ["upstream_TestInjectable", "derived_from_code"])
def test_injectable_tables(section):
    for case in _cases()[section]:
        values = case.get("values") or {}
        ok, reasons = linkerd_decision.injectable(
            case.get("ns_annotations") or {},
            case.get("pod_annotations") or {},
            _spec(case),
            origin=case["origin"],
            unsupported=bool(case.get("unsupported_resource")),
            token_projection=values.get("identity.serviceAccountTokenProjection", True),
        )
        assert (ok, reasons) == (case["expect"]["injectable"], case["expect"]["reasons"]), case["id"]


def _annos(value):
    return {} if value is None else {"linkerd.io/inject": value}


def test_disable_by_annotation_and_truth_table():
    cases = _cases()
    checked = 0
    for case in cases["upstream_TestDisableByAnnotation"]["webhook"]:
        disabled, _reason, _where = linkerd_decision.annotation_decision(_annos(case["ns"]), _annos(case["pod"]))
        assert disabled == case["disabled"], case["id"]
        checked += 1
    for case in cases["upstream_TestDisableByAnnotation"]["cli"]:
        disabled, _reason, _where = linkerd_decision.annotation_decision({}, _annos(case["pod"]), origin="cli")
        assert disabled == case["disabled"], case["id"]
        checked += 1
    for row in cases["truth_table"]:
        ns = None if row["ns"] == "n/a" else row["ns"]
        disabled, _reason, _where = linkerd_decision.annotation_decision(
            _annos(ns), _annos(row["pod"]), origin=row["origin"]
        )
        assert (not disabled) == row["inject"], row
        checked += 1
    assert checked == 24


def _mwc(rendered):
    path = shared_path("fixtures", "linkerd", "upstream-head", "mwc-linkerd-proxy-injector-webhook-config.yaml")
    [mwc] = load_yaml_files(path)
    # the fixture is `linkerd install` output (objectSelector: null); Helm renders values.yaml's selector
    assert mwc["webhooks"][0]["objectSelector"] is None
    if rendered == "helm":
        mwc["webhooks"][0]["objectSelector"] = {
            "matchExpressions": [
                {"key": "linkerd.io/control-plane-component", "operator": "DoesNotExist"},
                {"key": "linkerd.io/cni-resource", "operator": "DoesNotExist"},
            ]
        }
    return mwc


@pytest.mark.parametrize("rendered", ["helm", "cli"])
def test_webhook_not_called_cases(rendered):
    for case in _cases()["webhook_not_called"]:
        if case.get("operation") == "UPDATE":
            model = build_model(view(_mwc(rendered)))
            [hook] = model.injectors("linkerd")
            assert hook.intercepts("CREATE", "pods") and not hook.intercepts("UPDATE", "pods"), case["id"]
            continue
        ns_name = case.get("namespace") or "apps"
        objects = [
            _mwc(rendered),
            namespace(ns_name, case.get("namespace_labels"), case.get("namespace_annotations")),
            pod("p", ns_name, labels=case.get("pod_labels"), annotations={"linkerd.io/inject": "enabled"}),
        ]
        [verdict] = [v for v in compute_verdicts(view(*objects), build_model(view(*objects))) if v.kind == "Pod"]
        called = bool(verdict.decision.calls)
        expected = {"not_called": False, "called": True, "not_called_if_objectSelector_rendered": rendered == "cli"}[
            case["expect"]
        ]
        assert called == expected, (case["id"], rendered, verdict.reasons)


WEBHOOK_DATA = [
    # (pod or workload file, namespace file, injectable, reasons)
    ("pod-inject-enabled.yaml", "namespace-inject-enabled.yaml", True, []),
    ("pod-inject-empty.yaml", "namespace-inject-enabled.yaml", True, []),
    ("pod-inject-enabled.yaml", "namespace-inject-disabled.yaml", True, []),
    ("pod-with-debug-disabled.yaml", "namespace-inject-disabled.yaml", True, []),
    ("pod-nativesidecar-inject-enabled.yaml", "namespace-inject-enabled.yaml", True, []),
    (
        "deployment-inject-disabled.yaml",
        "namespace-inject-enabled.yaml",
        False,
        ["injection_disable_annotation_present"],
    ),
    ("deployment-with-injected-proxy.yaml", "namespace-inject-enabled.yaml", False, ["sidecar_already_exists"]),
]


@pytest.mark.parametrize("obj_file,ns_file,ok,reasons", WEBHOOK_DATA, ids=[w[0] + "+" + w[1] for w in WEBHOOK_DATA])
def test_proxy_injector_webhook_data(obj_file, ns_file, ok, reasons):
    folder = shared_path("conformance", "linkerd", "proxy-injector-webhook", "head")
    with open(os.path.join(folder, obj_file)) as handle:
        obj = yaml.safe_load(handle)
    with open(os.path.join(folder, ns_file)) as handle:
        ns = yaml.safe_load(handle)
    meta, spec = linkerd_cli._pod_parts(obj)
    annos = {k: str(v) for k, v in (meta.get("annotations") or {}).items()}
    got = linkerd_decision.injectable((ns.get("metadata") or {}).get("annotations") or {}, annos, spec)
    assert got == (ok, reasons)


# (input, expected output file, serviceAccountTokenProjection, --manual)
CLI_CASES = [
    ("head", "inject_emojivoto_deployment.input.yml", "inject_emojivoto_deployment.report", True, True),
    (
        "head",
        "inject_emojivoto_deployment_config_overrides.input.yml",
        "inject_emojivoto_deployment.report",
        True,
        True,
    ),
    (
        "head",
        "inject_emojivoto_deployment_injectDisabled.input.yml",
        "inject_emojivoto_deployment_injectDisabled.report",
        True,
        True,
    ),
    (
        "head",
        "inject_emojivoto_deployment_hostNetwork_true.input.yml",
        "inject_emojivoto_deployment_hostNetwork_true.golden.stderr",
        True,
        True,
    ),
    (
        "head",
        "inject_emojivoto_deployment_hostNetwork_false.input.yml",
        "inject_emojivoto_deployment_hostNetwork_false.report",
        True,
        True,
    ),
    ("head", "inject_emojivoto_istio.input.yml", "inject_emojivoto_istio.golden.stderr", True, True),
    ("head", "inject_emojivoto_already_injected.input.yml", "inject_emojivoto_already_injected.report", True, True),
    ("head", "inject_emojivoto_deployment_udp.input.yml", "inject_emojivoto_deployment_udp.report", True, True),
    (
        "head",
        "inject_emojivoto_deployment_automountServiceAccountToken_false.input.yml",
        "inject_emojivoto_deployment_automountServiceAccountToken_false.golden.stderr",
        True,
        True,
    ),
    (
        "head",
        "inject_emojivoto_deployment_automountServiceAccountToken_false.input.yml",
        "inject_emojivoto_deployment_automountServiceAccountToken_false_volumeProjection_disabled.golden.stderr",
        False,
        False,
    ),
    ("head", "inject_emojivoto_pod.input.yml", "inject_emojivoto_pod.report", True, True),
    ("head", "inject_emojivoto_namespace_good.input.yml", "inject_emojivoto_namespace_good.golden.report", True, False),
    ("head", "inject_emojivoto_cronjob.input.yml", "inject_emojivoto_cronjob.report", True, False),
    ("head", "inject_emojivoto_statefulset.input.yml", "inject_emojivoto_statefulset.report", True, True),
    ("head", "inject_emojivoto_list.input.yml", "inject_emojivoto_list.report", True, True),
    (
        "head",
        "inject_emojivoto_deployment_empty_resources.input.yml",
        "inject_emojivoto_deployment_empty_resources.report",
        True,
        True,
    ),
    ("head", "inject_contour.input.yml", "inject_contour.report", True, True),
    ("head", "inject_tap_deployment.input.yml", "inject_tap_deployment.bad.golden", True, False),
    ("v2.18", "inject_emojivoto_deployment.input.yml", "inject_emojivoto_deployment.report", True, True),
]


def _upstream(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if text.startswith("Error transforming resources:\n"):
        return {"error": text.split("\n", 1)[1].strip()}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return {
        "error": None,
        "warnings": [line[2:] for line in lines if line.startswith("‼ ")],
        "lines": [line for line in lines if not line.startswith(("‼ ", "√ "))],
    }


@pytest.mark.parametrize(
    "version,source,golden,projection,manual", CLI_CASES, ids=["%s/%s" % (c[0], c[2]) for c in CLI_CASES]
)
def test_cli_inject_reports(version, source, golden, projection, manual):
    folder = shared_path("conformance", "linkerd", "cli-inject", version)
    with open(os.path.join(folder, source)) as handle:
        docs = [yaml.safe_load(chunk) for chunk in linkerd_cli.split_documents(handle.read())]
    ours = linkerd_cli.cli_inject(docs, token_projection=projection, manual=manual)
    want = _upstream(os.path.join(folder, golden))
    assert ours["error"] == want["error"]
    if want["error"] is None:
        assert ours["lines"] == want["lines"]
        assert ours["warnings"] == want["warnings"]


def test_cli_inject_malformed_yaml_is_a_parse_error():
    folder = shared_path("conformance", "linkerd", "cli-inject", "head")
    with open(os.path.join(folder, "inject_gettest_deployment.bad.input.yml")) as handle, pytest.raises(yaml.YAMLError):
        list(yaml.safe_load_all(handle))


def test_integration_smoke_report():
    folder = shared_path("conformance", "linkerd", "integration", "head")
    with open(os.path.join(folder, "smoke_test.yaml")) as handle:
        docs = [yaml.safe_load(chunk) for chunk in linkerd_cli.split_documents(handle.read())]
    ours = linkerd_cli.cli_inject(docs)
    assert ours["lines"] == _upstream(os.path.join(folder, "inject.report.golden"))["lines"]


@pytest.mark.parametrize("ns_value,injected", [("enabled", True), ("disabled", False)])
def test_integration_inject_namespaces(ns_value, injected):
    """test/integration/install/inject: the same workloads in a namespace annotated enabled are
    injected, and in one annotated disabled are not (unless a pod opts in itself)."""
    folder = shared_path("conformance", "linkerd", "integration", "head")
    docs = load_yaml_files(
        os.path.join(folder, "inject-testdata-inject_test.yaml"), os.path.join(folder, "inject-testdata-pods.yaml")
    )
    ns = namespace("inject-test", annotations={"linkerd.io/inject": ns_value})
    for doc in docs:
        meta, spec = linkerd_cli._pod_parts(doc)
        pod_annos = meta.get("annotations") or {}
        ok, reasons = linkerd_decision.injectable(ns["metadata"]["annotations"], pod_annos, spec, template=True)
        expected = injected or pod_annos.get("linkerd.io/inject") in ("enabled", "ingress")
        assert ok == expected, (doc["metadata"]["name"], reasons)
