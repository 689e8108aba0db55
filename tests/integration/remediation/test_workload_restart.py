# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""workload_restart on live kubesim meshes: after a Linkerd upgrade (scenarios.upgrade_linkerd_proxy)
the SI605 restart rolls `demo/web` through admission and the test injector (new pods carry the new
proxy), a second run changes nothing, check mode writes nothing, batches stop at the first failure,
and a restart is refused while the root cause (a wrong caBundle: Linkerd admits the pod without its
proxy) is unfixed."""

from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import workload_restart
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import (
    RemediationError,
    Session,
)

from .helpers import auth, store, writes

DEPLOY = "apps/v1/deployments"
WEB = {"kind": "Deployment", "namespace": "demo", "name": "web"}


def cluster(factory, mesh, *breaks, upgraded=True):
    from tests.kubesim.scenarios import Scenario, start, upgrade_linkerd_proxy

    sim = factory()
    registry = start(sim, Scenario(mesh, tuple(breaks)))
    if upgraded and mesh == "linkerd":  # demo/web's pods run the proxy from before the upgrade: SI605
        upgrade_linkerd_proxy(sim, registry)
    sim.clear_requests()
    return sim


def findings(sim, codes=("SI604", "SI605")):
    session = Session(dict(auth(sim), retries=0))
    try:
        return [f.as_dict() for f in session.diagnose()["findings"] if f.code in codes]
    finally:
        session.close()


def params(sim, tmp_path, **extra):
    out = dict(auth(sim), findings=[], backup_dir=str(tmp_path / "backup"), verify=True, retries=0,
               field_manager="meshops-sidecar-injection", control_plane_namespaces=[], workloads=[], report=None,
               batch_size=1, pause_seconds=0, max_unavailable=0, timeout=60, allow_restart=True)  # fmt: skip
    out.update(extra)
    return out


def web_pods(sim):
    return [p for p in sim.list("v1/pods") if p["metadata"]["namespace"] == "demo"]


def test_si605_restart_rolls_pods_through_the_injector_then_nothing(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd")
    given = findings(sim)
    assert [f["code"] for f in given] == ["SI605"]
    old = sorted(p["metadata"]["name"] for p in web_pods(sim))
    assert len(old) == 2
    result = workload_restart.run(params(sim, tmp_path, findings=given))
    assert result["changed"] is True
    assert result["changed_objects"] == [WEB]
    assert result["blocked"] == []
    assert [b["batch"] for b in result["batches"]] == [1]
    state = result["batches"][0]["workloads"]["Deployment demo/web"]
    assert state["rolled_out"] is True and state["proxy"] is True and len(state["new_pods"]) == 2
    pods = web_pods(sim)
    assert sorted(p["metadata"]["name"] for p in pods) == state["new_pods"]
    assert not set(state["new_pods"]) & set(old)
    assert all("linkerd-proxy" in [c["name"] for c in p["spec"]["containers"]] for p in pods)
    assert {p["metadata"]["annotations"]["linkerd.io/proxy-version"] for p in pods} == {"edge-25.6.2"}
    assert findings(sim) == []  # the skew is gone
    template = sim.get(DEPLOY, "demo", "web")["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in template
    assert result["verification"]["ok"] is True
    assert result["backups"]["files"][0].startswith("deployment.demo.web.")
    patches = [r for r in writes(sim) if r["method"] == "PATCH"]
    assert [r["path"].split("?")[0] for r in patches] == ["/apis/apps/v1/namespaces/demo/deployments/web"]

    before = store(sim, [DEPLOY, "v1/pods"])
    sim.clear_requests()
    again = workload_restart.run(params(sim, tmp_path, findings=given))  # the same (now stale) findings
    assert again["changed"] is False
    assert [p["status"] for p in again["plan"]] == ["unchanged"]
    assert [r for r in writes(sim) if "dryRun" not in r["path"]] == []
    assert store(sim, [DEPLOY, "v1/pods"]) == before


def test_check_mode_writes_nothing(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd")
    given = findings(sim)
    before = store(sim, [DEPLOY, "v1/pods", "apps/v1/replicasets"])
    result = workload_restart.run(params(sim, tmp_path, findings=given), check_mode=True)
    assert result["changed"] is True
    assert [p["status"] for p in result["plan"]] == ["would_change"]
    assert "kubectl.kubernetes.io/restartedAt" in result["diff"][0]["after"]
    assert [r for r in writes(sim) if "dryRun=All" not in r["path"]] == []
    assert store(sim, [DEPLOY, "v1/pods", "apps/v1/replicasets"]) == before
    assert not (tmp_path / "backup").exists()


def test_restart_refused_while_the_root_cause_is_unfixed(kubesim_factory, tmp_path):
    """A restart plan handed over from an older diagnosis (the current one emits no SI605 while the
    caBundle is wrong): the dry-run pod comes back without the proxy, so nothing is restarted."""
    sim = cluster(kubesim_factory, "linkerd", "wrong-ca")
    assert [f["code"] for f in findings(sim, codes=("SI404", "SI604", "SI605"))] == ["SI404"]
    pods = sorted(p["metadata"]["name"] for p in web_pods(sim) if p["metadata"]["name"].startswith("web-"))
    assert len(pods) == 2
    stale = {
        "code": "SI605",
        "evidence": [{"object": "Pod demo/%s" % name, "field": "proxy version", "value": "old"} for name in pods],
        "plan": {"action": "restart_workload", "operations": [{"op": "restart", "target": WEB, "workloads": [WEB]}]},
    }
    before = store(sim, [DEPLOY, "v1/pods"])
    result = workload_restart.run(params(sim, tmp_path, findings=[stale]))
    assert result["changed"] is False
    assert result["blocked"] == [{"object": WEB, "why": "a new pod would be admitted without the proxy"}]
    assert result["plan"][0]["status"] == "blocked"
    assert result["plan"][0]["message"] == (
        "not restarted: a new pod would be admitted without the proxy; fix the root cause first"
    )
    assert store(sim, [DEPLOY, "v1/pods"]) == before


def test_istio_refusal_names_what_admission_answered(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "istio", "wrong-ca")
    result = workload_restart.run(params(sim, tmp_path, workloads=[dict(WEB)]))
    assert result["changed"] is False
    assert len(result["blocked"]) == 1
    why = result["blocked"][0]["why"]
    assert why.startswith("admission refused the pod (500") and "x509" in why


def test_batches_stop_at_the_first_failing_batch(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "istio")
    api = {"kind": "Deployment", "namespace": "demo", "name": "api"}
    web = sim.get(DEPLOY, "demo", "web")
    # api's pods never become ready (kubesim's kubelet honours this template annotation)
    template = {
        "metadata": {"labels": {"app": "api"}, "annotations": {"kubesim.meshops.io/pod-ready": "false"}},
        "spec": web["spec"]["template"]["spec"],
    }
    sim.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "demo"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}}, "template": template},
        }
    )
    sim.settle()  # fmt: skip
    web_before = sim.get(DEPLOY, "demo", "web")["metadata"]["resourceVersion"]
    with pytest.raises(RemediationError) as err:
        workload_restart.run(params(sim, tmp_path, workloads=[api, dict(WEB)], timeout=2, batch_size=1))
    result = err.value.details
    assert str(err.value) == (
        "batch 1 did not finish within 2s: Deployment demo/api (not rolled out, or new pods without the proxy)"
    )
    assert [p["status"] for p in result["plan"]] == ["applied", "not_attempted"]
    assert [b["batch"] for b in result["batches"]] == [1]
    assert result["batches"][0]["workloads"]["Deployment demo/api"]["rolled_out"] is False
    assert result["changed_objects"] == [api]
    assert sim.get(DEPLOY, "demo", "web")["metadata"]["resourceVersion"] == web_before


def test_restart_needs_the_opt_in(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd")
    with pytest.raises(RemediationError) as err:
        workload_restart.run(params(sim, tmp_path, findings=findings(sim), allow_restart=False))
    assert str(err.value) == workload_restart.OPT_IN
    assert writes(sim) == []


def test_forbidden_restart_is_a_clear_failure(kubesim_factory, tmp_path):
    sim = cluster(kubesim_factory, "linkerd")
    sim.add_rule(action="forbid", verbs=["patch"], resources=["deployments"], names=["web"])
    with pytest.raises(RemediationError) as err:
        workload_restart.run(params(sim, tmp_path, findings=findings(sim)))
    assert str(err.value).startswith("Not allowed to patch Deployment demo/web (403 Forbidden: ")
    result = err.value.details
    assert [p["status"] for p in result["plan"]] == ["failed"]
    assert result["changed"] is False and result["changed_objects"] == []
