"""Linkerd's proxy-injector decision and `linkerd inject` reports beyond the conformance tables."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision import linkerd as ld
from ansible_collections.meshops.sidecar_injection.tests.unit.conformance import linkerd_cli

MOUNT = [{"name": "t", "mountPath": ld.SA_TOKEN_PATH}]


def spec(**extra):
    base = {"containers": [{"name": "app", "image": "app:1", "volumeMounts": MOUNT}]}
    base.update(extra)
    return base


def test_annotation_precedence_and_where_it_comes_from():
    assert ld.annotation_decision({"linkerd.io/inject": "ingress"}, {}) == (False, "", "namespace")
    assert ld.annotation_decision({}, {"linkerd.io/inject": "enabled"}) == (False, "", "workload")
    assert ld.annotation_decision({"linkerd.io/inject": "enabled"}, {"linkerd.io/inject": "disabled"}) == (
        True,
        "injection_disable_annotation_present",
        "workload",
    )
    # pod "disabled" in an unannotated namespace: upstream reports the *absent* enable annotation
    assert ld.annotation_decision({}, {"linkerd.io/inject": "disabled"}) == (
        True,
        "injection_enable_annotation_absent",
        "",
    )
    assert ld.annotation_decision({"linkerd.io/inject": "Enabled"}, {"linkerd.io/inject": "enabled"})[1] == (
        "invalid_inject_annotation_at_ns"
    )


def test_automount_only_matters_without_token_projection():
    no_mount = {"containers": [{"name": "app"}]}
    assert ld.injectable({"linkerd.io/inject": "enabled"}, {}, no_mount) == (True, [])
    assert ld.injectable({"linkerd.io/inject": "enabled"}, {}, no_mount, token_projection=False) == (
        False,
        ["disabled_automount_service_account_token_account"],
    )
    # a template gets its token mount from the ServiceAccount admission plugin later
    assert ld.injectable({"linkerd.io/inject": "enabled"}, {}, no_mount, token_projection=False, template=True) == (
        True,
        [],
    )


def test_existing_sidecars_by_name_or_image_and_native_scan_switch():
    native = spec(initContainers=[{"name": "linkerd-proxy", "restartPolicy": "Always"}])
    assert ld.has_existing_sidecar(native) is True
    assert ld.has_existing_sidecar(native, scan_init_for_proxy=False) is False  # 2.14/2.15 behaviour
    assert ld.has_existing_sidecar(spec(containers=[{"name": "x", "image": "gcr.io/istio-release/proxyv2:1.5"}]))
    assert not ld.has_existing_sidecar(spec(containers=[{"name": "envoy", "image": "envoyproxy/envoy:v1"}]))


def test_cli_inject_report_strings():
    deploy = {
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "template": {
                "metadata": {"annotations": {"linkerd.io/inject": "disabled"}},
                "spec": {"containers": [{"name": "a", "ports": [{"containerPort": 53, "protocol": "UDP"}]}]},
            }
        },
    }
    out = linkerd_cli.cli_inject([deploy])
    assert out["error"] == "failed to inject deployment/web: UDP port(s) configured on pod spec"
    assert out["warnings"] == [
        '"linkerd.io/inject: disabled" annotation set on deployment/web',
        'deployment/web uses "protocol: UDP"',
    ]
    svc = {"kind": "Service", "metadata": {"name": "s"}}
    assert linkerd_cli.cli_inject([svc, None, {"kind": "Namespace", "metadata": {"name": "n"}}])["lines"] == [
        'service "s" skipped',
        'document missing "kind" field, skipped',
        'namespace "n" annotated',
    ]


def test_split_documents_like_kubernetes_yaml_reader():
    assert linkerd_cli.split_documents("---\na: 1\n---\n\n---\nb: 2\n---\n") == ["a: 1\n", "\n", "b: 2\n"]


def test_skipped_event_message():
    assert linkerd_cli.skipped_event_message(["host_network_enabled", "injection_enable_annotation_absent"]) == (
        "Linkerd sidecar proxy injection skipped: hostNetwork is enabled, neither the namespace nor the pod have "
        'the annotation "linkerd.io/inject:enabled"'
    )
