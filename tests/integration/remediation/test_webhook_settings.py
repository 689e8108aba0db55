# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""webhook_settings on the live Istio scenario: declared settings converge and stay put, check mode
writes nothing, Ignore needs the acknowledgement, owners that revert a change are named, and the
NetworkPolicy plan of SI304 (the `networkpolicy` breakage) is executed and verified."""

from __future__ import annotations

import json

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import webhook_settings
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import RemediationError

from .helpers import auth, istio_cluster, store, writer, writes
from .test_namespace_injection import namespace_findings

MWC = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
HARDEN = [{"configuration": "istio-sidecar-injector", "timeout_seconds": 5, "failure_policy": "Fail",
           "exclude_namespaces": ["istio-system", "kube-system"]}]  # fmt: skip


def params(sim, tmp_path, **extra):
    out = dict(auth(sim), findings=[], backup_dir=str(tmp_path / "backup"), verify=True, retries=0,
               field_manager="meshops-sidecar-injection", control_plane_namespaces=[], webhooks=HARDEN,
               allow_fail_open=False)  # fmt: skip
    out.update(extra)
    return out


def hooks(sim):
    return sim.get(MWC, None, "istio-sidecar-injector")["webhooks"]


def test_settings_converge_then_nothing_changes(kubesim_factory, tmp_path):
    sim = istio_cluster(kubesim_factory)
    selectors_before = [h["namespaceSelector"] for h in hooks(sim)]
    result = webhook_settings.run(params(sim, tmp_path))
    assert result["changed"] is True
    assert result["changed_objects"] == [
        {"kind": "MutatingWebhookConfiguration", "namespace": "", "name": "istio-sidecar-injector"}
    ]
    got = hooks(sim)
    assert len(got) == len(selectors_before) >= 2  # the scenario's install: all its webhooks are hardened
    assert [(h["timeoutSeconds"], h["failurePolicy"]) for h in got] == [(5, "Fail")] * len(got)
    for hook, before in zip(got, selectors_before):
        assert hook["namespaceSelector"]["matchExpressions"] == before["matchExpressions"] + [
            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["istio-system", "kube-system"]}
        ]
    assert result["verification"]["objects"][0]["ok"] is True
    assert result["backups"]["files"][0].startswith("mutatingwebhookconfiguration._cluster.istio-sidecar-injector.")

    before = store(sim, [MWC])
    sim.clear_requests()
    again = webhook_settings.run(params(sim, tmp_path))
    assert again["changed"] is False
    assert writes(sim) == []
    assert store(sim, [MWC]) == before


def test_check_mode_writes_nothing(kubesim_factory, tmp_path):
    sim = istio_cluster(kubesim_factory)
    before = store(sim, [MWC])
    result = webhook_settings.run(params(sim, tmp_path), check_mode=True)
    assert result["changed"] is True
    assert [p["status"] for p in result["plan"]] == ["would_change"]
    assert "timeoutSeconds: 5" in result["diff"][0]["after"]
    assert writes(sim) == []
    assert store(sim, [MWC]) == before


def test_ignore_needs_the_acknowledgement(kubesim_factory, tmp_path):
    sim = istio_cluster(kubesim_factory)
    ignore = [{"configuration": "istio-sidecar-injector", "webhook": "object.sidecar-injector.istio.io",
               "failure_policy": "Ignore"}]  # fmt: skip
    with pytest.raises(RemediationError) as caught:
        webhook_settings.run(params(sim, tmp_path, webhooks=ignore))
    assert str(caught.value) == (
        "failurePolicy Ignore fails open: while the injector is unreachable the API server admits pods without their "
        "sidecar, silently. Refused for MutatingWebhookConfiguration istio-sidecar-injector webhook "
        "object.sidecar-injector.istio.io; set allow_fail_open: true (playbooks: remediate_allow_fail_open) to "
        "acknowledge that."
    )
    assert writes(sim) == []
    result = webhook_settings.run(params(sim, tmp_path, webhooks=ignore, allow_fail_open=True))
    assert {h["name"]: h["failurePolicy"] for h in hooks(sim)}["object.sidecar-injector.istio.io"] == "Ignore"
    assert [h["failurePolicy"] for h in hooks(sim)].count("Ignore") == 1
    assert result["plan"][0]["edits"][0]["reason"].startswith("fails open: ")


def test_helm_owned_configuration_is_reported_as_reverted(kubesim_factory, tmp_path):
    sim = istio_cluster(kubesim_factory)
    # a Helm install (istioctl's own label, if the scenario's install has it, removed)
    sim.apply({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
               "metadata": {"name": "istio-sidecar-injector",
                            "labels": {"app.kubernetes.io/managed-by": "Helm",
                                       "install.operator.istio.io/owning-resource": None},
                            "annotations": {"meta.helm.sh/release-name": "istiod",
                                            "meta.helm.sh/release-namespace": "istio-system"}}})  # fmt: skip
    result = webhook_settings.run(params(sim, tmp_path, webhooks=[{"configuration": "istio-sidecar-injector",
                                                                   "timeout_seconds": 7}]))  # fmt: skip
    count = len(hooks(sim))
    assert result["reverts"] == [
        {
            "owner": "Helm",
            "fields": ["/webhooks/%d/timeoutSeconds" % i for i in range(count)],
            "how": "the next helm upgrade of release istiod (namespace istio-system) renders the chart's value again",
            "lasting_fix": "set the value in the Helm values of release istiod (namespace istio-system) and upgrade",
            "object": {"kind": "MutatingWebhookConfiguration", "namespace": "", "name": "istio-sidecar-injector"},
        }
    ]
    assert result["plan"][0]["warnings"] == [
        "%s: the next helm upgrade of release istiod (namespace istio-system) renders the chart's value again; "
        "lasting fix: set the value in the Helm values of release istiod (namespace istio-system) and upgrade"
        % ", ".join("/webhooks/%d/timeoutSeconds" % i for i in range(count))
    ]


def test_field_manager_owning_the_field_is_named(kubesim_factory, tmp_path):
    sim = istio_cluster(kubesim_factory)
    body = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "istio-sidecar-injector"},
            "webhooks": [{"name": h["name"], "timeoutSeconds": 9} for h in hooks(sim)]}  # fmt: skip
    w = writer(sim)  # a server-side apply by pilot-discovery, as istiod's webhook patcher writes
    w.client.pool.request(
        "PATCH",
        w.client.url("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-sidecar-injector",
                     {"fieldManager": "pilot-discovery", "force": "true"}),
        body=json.dumps(body).encode(),
        headers=dict(w.client._headers(), **{"Content-Type": "application/apply-patch+yaml"}),
    )  # fmt: skip
    result = webhook_settings.run(params(sim, tmp_path, webhooks=[{"configuration": "istio-sidecar-injector",
                                                                   "timeout_seconds": 7}]))  # fmt: skip
    istiod = [r for r in result["reverts"] if r["owner"] == "istiod"]
    assert istiod == [
        {
            "owner": "istiod",
            "fields": ["/webhooks/%d/timeoutSeconds" % i for i in range(len(hooks(sim)))],
            "how": "field manager pilot-discovery owns the field and writes it again when it reconciles",
            "lasting_fix": "configure it where istiod takes it from (install values or configuration), not on the live "
            "object",
            "object": {"kind": "MutatingWebhookConfiguration", "namespace": "", "name": "istio-sidecar-injector"},
        }
    ]


def test_networkpolicy_plan_of_si304_is_executed_and_the_finding_is_gone(kubesim_factory, tmp_path):
    from tests.kubesim.scenarios import Scenario, start

    sim = kubesim_factory()
    start(sim, Scenario("istio", ("networkpolicy",)))
    found = [f for f in namespace_findings(sim) if f["code"] == "SI304"]
    assert len(found) == 1
    assert found[0]["plan"]["action"] == "allow_webhook_ingress"
    sim.clear_requests()
    result = webhook_settings.run(params(sim, tmp_path, webhooks=[], findings=found))
    created = [p for p in result["plan"] if p.get("create")]
    assert len(created) == 1 and created[0]["status"] == "applied"
    assert created[0]["object"]["kind"] == "NetworkPolicy" and created[0]["object"]["namespace"] == "istio-system"
    assert [(f["code"], f["gone"]) for f in result["verification"]["findings"]] == [("SI304", True)]
    assert not [f for f in namespace_findings(sim) if f["code"] == "SI304"]
    again = webhook_settings.run(params(sim, tmp_path, webhooks=[], findings=found))
    assert again["changed"] is False
