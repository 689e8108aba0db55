"""injection_probe's runner against the live scenarios of tests/kubesim (`--scenario istio|linkerd --break ...`).

Each breakage probes with the outcome, class and exact message kube-apiserver would give; nothing is ever
stored (the pods in `demo` are the same before and after, and every write the server saw carried
`dryRun=All`); a server that ignores dry run is refused, and what it stored is deleted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import probe
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather
from tests.kubesim import KubeSim
from tests.kubesim.scenarios import Scenario, start

ISTIO_WEBHOOK = "namespace.sidecar-injector.istio.io"
ISTIO_CALL = (
    f'Internal error occurred: failed calling webhook "{ISTIO_WEBHOOK}": failed to call webhook: '
    'Post "https://istiod.istio-system.svc:443/inject?timeout={t}s": {err}'
)
X509 = "tls: failed to verify certificate: x509: "
EXPIRED = re.escape(X509 + "certificate has expired or is not yet valid: current time ") + (
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ is after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
)
POD = r'pods "meshops-probe-[a-z0-9]{5}" is forbidden: '
PSA_ISTIO = POD + re.escape(
    'violates PodSecurity "restricted:latest": unrestricted capabilities (container '
    '"istio-init" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add), runAsNonRoot != true '
    '(container "istio-init" must not set securityContext.runAsNonRoot=false), runAsUser=0 (container "istio-init" '
    "must not set runAsUser=0)"
)
PSA_LINKERD = POD + re.escape(
    'violates PodSecurity "restricted:latest": unrestricted capabilities (container '
    '"linkerd-init" must set securityContext.capabilities.drop=["ALL"]; container "linkerd-init" must not include '
    '"NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)'
)
QUOTA_ISTIO = POD + re.escape(
    "exceeded quota: compute, requested: requests.cpu=150m, used: requests.cpu=300m, limited: requests.cpu=350m"
)
QUOTA_LINKERD = POD + re.escape("failed quota: compute: must specify requests.cpu for: linkerd-init,linkerd-proxy")


def _call(t: int, err: str) -> str:
    return re.escape(ISTIO_CALL.format(t=t, err="@")).replace("@", err)


# (mesh, breakage) -> (outcome, reason_class, webhook, message regex, agrees_with_model)
EXPECTED: dict[tuple[str, str | None], tuple[str, str, str, str, bool | None]] = {
    ("istio", None): ("injected", "", "", "", True),
    # istiod's serving certificate lives in its memory: the snapshot cannot show it is not from the mesh
    # root, so next_pod says injected and the probe, which saw the call fail, disagrees (SI309)
    ("istio", "wrong-ca"): (
        "rejected",
        "x509-unknown-authority",
        ISTIO_WEBHOOK,
        _call(10, re.escape(X509 + "certificate signed by unknown authority")),
        False,
    ),
    ("istio", "expired-cert"): ("rejected", "x509-expired", ISTIO_WEBHOOK, _call(10, EXPIRED), False),
    ("istio", "injector-down"): (
        "rejected",
        "no-endpoints",
        ISTIO_WEBHOOK,
        _call(10, re.escape('no endpoints available for service "istiod"')),
        True,
    ),
    # the injector answers a second after the webhook's 2 s: nothing static shows it
    ("istio", "timeout"): ("rejected", "timeout", ISTIO_WEBHOOK, _call(2, "context deadline exceeded"), False),
    ("istio", "networkpolicy"): ("rejected", "timeout", ISTIO_WEBHOOK, _call(10, "context deadline exceeded"), True),
    ("istio", "psa-restricted"): ("rejected", "pod-security", "", PSA_ISTIO, True),
    # the quota names no mesh container: the rejection says nothing about injection
    ("istio", "quota"): ("rejected", "quota-exceeded", "", QUOTA_ISTIO, None),
    ("linkerd", None): ("injected", "", "", "", True),
    # failurePolicy Ignore: next_pod is admitted without a sidecar by the failed call, as the probe sees
    ("linkerd", "wrong-ca"): ("admitted_without_sidecar", "", "", "", True),
    ("linkerd", "injector-down"): ("admitted_without_sidecar", "", "", "", True),
    ("linkerd", "psa-restricted"): ("rejected", "pod-security", "", PSA_LINKERD, True),
    # the quota names linkerd-init and linkerd-proxy, which next_pod expects to be admitted
    ("linkerd", "quota"): ("rejected", "quota-must-specify", "", QUOTA_LINKERD, False),
}
# (mesh, breakage) -> the model's next_pod outcome and blocked_by codes for Deployment demo/web
NEXT_POD: dict[tuple[str, str | None], tuple[str, list[str]]] = {
    ("istio", None): ("injected", []),
    ("istio", "wrong-ca"): ("injected", []),
    ("istio", "expired-cert"): ("injected", []),
    ("istio", "injector-down"): ("rejected", ["SI301", "SI302"]),
    ("istio", "timeout"): ("injected", []),
    ("istio", "networkpolicy"): ("rejected", ["SI304"]),
    ("istio", "psa-restricted"): ("rejected", ["SI501"]),
    ("istio", "quota"): ("injected", []),
    ("linkerd", None): ("injected", []),
    ("linkerd", "wrong-ca"): ("admitted_without_sidecar", ["SI404"]),
    ("linkerd", "injector-down"): ("admitted_without_sidecar", ["SI301", "SI302"]),
    ("linkerd", "psa-restricted"): ("rejected", ["SI501"]),
    ("linkerd", "quota"): ("injected", []),
}
WEBHOOKS = {
    "istio": ("istio-sidecar-injector/" + ISTIO_WEBHOOK, "Fail"),
    "linkerd": ("linkerd-proxy-injector-webhook-config/linkerd-proxy-injector.linkerd.io", "Ignore"),
}
PROXY = {
    "istio": {"mesh": "istio", "container": "istio-proxy", "revision": "default"},
    "linkerd": {"mesh": "linkerd", "container": "linkerd-proxy", "revision": ""},
}


@pytest.fixture
def live() -> Iterator[Any]:
    sims: list[KubeSim] = []

    def make(mesh: str, breakage: str | None) -> KubeSim:
        sim = KubeSim().start()
        sims.append(sim)
        start(sim, Scenario(mesh, (breakage,) if breakage else ()))
        return sim

    yield make
    for sim in sims:
        sim.stop()


def params(sim: KubeSim, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kubeconfig": sim.kubeconfig_path, "namespaces": [], "like": {}}
    out.update(extra)
    return out


def stored(sim: KubeSim) -> dict[str, list[str]]:
    return {r: sorted(o["metadata"]["name"] for o in sim.list(r, "demo")) for r in ("v1/pods", "v1/configmaps")}


def writes(sim: KubeSim) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in sim.requests if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]


@pytest.mark.parametrize(("mesh", "breakage"), list(EXPECTED), ids=[f"{m}-{b or 'healthy'}" for m, b in EXPECTED])
def test_each_breakage_probes_with_its_outcome_class_and_exact_message(
    live: Any, mesh: str, breakage: str | None
) -> None:
    sim = live(mesh, breakage)
    outcome, reason_class, webhook, message, agrees = EXPECTED[(mesh, breakage)]
    before = stored(sim)
    assert len(before["v1/pods"]) == 2
    sim.clear_requests()
    warnings: list[str] = []
    out = probe.run(params(sim, cluster_name="kubesim-" + mesh), warn=warnings.append)
    assert warnings == []
    assert len(out["results"]) == 1
    result = out["results"][0]
    assert (result["namespace"], result["like"], result["selected_because"]) == (
        "demo",
        "Deployment demo/web",
        "a new pod in the namespace gets a sidecar",
    )
    assert (result["outcome"], result["reason_class"], result["webhook"], result["agrees_with_model"]) == (
        outcome,
        reason_class,
        webhook,
        agrees,
    )
    if message:
        assert re.fullmatch(message, result["message"]), result["message"]
    else:
        assert result["message"] == ""
    if outcome == "injected":
        assert result["status"] == 201
        # Linkerd puts its proxy first (proxy-await), Istio after the app
        assert result["containers"] == (["web", "istio-proxy"] if mesh == "istio" else ["linkerd-proxy", "web"])
        assert result["init_containers"] == [mesh + "-init"]
        proxy = result["proxy"]
        assert {k: proxy[k] for k in ("mesh", "container", "revision")} == PROXY[mesh]
        assert proxy["image"] and proxy["version"] and proxy["version"] in proxy["image"]
        assert out["findings"] == []
    elif outcome == "admitted_without_sidecar":
        assert (result["status"], result["containers"], result["init_containers"], result["proxy"]) == (
            201,
            ["web"],
            [],
            None,
        )
    else:
        assert result["status"] == (403 if reason_class.startswith(("pod-security", "quota")) else 500)
    assert result["model"]["should_inject"] is True
    next_outcome, blockers = NEXT_POD[(mesh, breakage)]
    assert result["model"]["workload"] == "Deployment demo/web"
    assert result["model"]["next_pod"] == {
        "outcome": next_outcome,
        "webhook": WEBHOOKS[mesh][0],
        "failure_policy": WEBHOOKS[mesh][1],
    }
    assert [b["code"] for b in result["model"]["blocked_by"]] == blockers
    codes = [f["code"] for f in out["findings"]]
    assert codes == (["SI308"] if outcome != "injected" else []) + (["SI309"] if agrees is False else [])
    assert out["summary"]["disagreements"] == (1 if agrees is False else 0)
    if outcome != "injected":
        finding = out["findings"][0]
        assert (finding["namespace"], finding["name"], finding["severity"]) == ("", "demo", "error")
        values = {e["field"]: e["value"] for e in finding["evidence"]}
        assert values["probe pod shaped like"] == "Deployment demo/web"
        if outcome == "rejected":
            assert values["API server answer (HTTP %d)" % result["status"]] == result["message"]
            assert values["reason class"] == reason_class
            assert finding["message"] == (
                "a dry-run pod in namespace demo (shaped like Deployment demo/web) was rejected (%s): %s"
                % (reason_class, result["message"])
            )
        else:
            assert finding["message"] == (
                "a dry-run pod in namespace demo (shaped like Deployment demo/web) came back without a proxy "
                "(containers web); the model's next pod is admitted without a sidecar too (%s)"
                % ", ".join("%s %s" % (b["code"], b["slug"]) for b in result["model"]["blocked_by"])
            )
    status = "  demo: %s" % outcome + (" (%s)" % reason_class if reason_class else "")
    assert [line for line in out["summary_lines"] if line.startswith("  demo: ")] == [
        status
        + (" " + result["proxy"]["image"] if result["proxy"] else "")
        + (" - disagrees with the model (next_pod %s)" % next_outcome if agrees is False else "")
    ]
    if agrees is False:
        disagreement = out["findings"][-1]
        seen = "was injected" if outcome == "injected" else "was rejected (%s): %s" % (reason_class, result["message"])
        assert disagreement["message"] == (
            "the dry-run pod in namespace demo %s, but the model's next pod for Deployment demo/web is %s"
            % (seen, next_outcome)
        )
        values = {e["field"]: e["value"] for e in disagreement["evidence"]}
        assert (values["model: next pod of"], values["model: next_pod outcome"], values["model: blocked by"]) == (
            "Deployment demo/web",
            next_outcome,
            "nothing on the path",
        )
    assert out["summary"]["outcomes"] == {
        "injected": 0,
        "admitted_without_sidecar": 0,
        "rejected": 0,
        "skipped": 0,
        **{outcome: 1},
    }
    # nothing stored, and every write carried dryRun=All
    assert stored(sim) == before
    assert [(m, re.sub(r"check-[0-9a-f]{10}", "check-X", p)) for m, p in writes(sim)] == [
        ("POST", "/api/v1/namespaces/demo/configmaps?dryRun=All"),
        ("POST", "/api/v1/namespaces/demo/pods?dryRun=All"),
    ]
    assert out["summary"]["dry_run_check"].startswith("a dry-run create of ConfigMap demo/meshops-dry-run-check-")


def test_a_server_that_ignores_dry_run_is_refused_and_what_it_stored_is_deleted(live: Any) -> None:
    sim = live("istio", None)
    before = stored(sim)
    sim.set_policy({"rules": [{"action": "ignore-dry-run"}]})
    sim.clear_requests()
    with pytest.raises(probe.ProbeError) as raised:
        probe.run(params(sim))
    text = str(raised.value)
    assert re.fullmatch(
        r"the API server ignores dryRun=All: a dry-run create of ConfigMap demo/meshops-dry-run-check-[0-9a-f]{10} "
        r"stored it \(it was deleted\); the probe would create real pods, so it does not run",
        text,
    ), text
    assert raised.value.details == {"refused": True}
    assert stored(sim) == before
    methods = [(m, p.split("?")[0].rsplit("/", 1)[0]) for m, p in writes(sim)]
    assert methods == [
        ("POST", "/api/v1/namespaces/demo"),
        ("DELETE", "/api/v1/namespaces/demo/configmaps"),
    ]  # no pod was ever sent


def test_a_server_that_ignores_dry_run_only_for_pods_is_caught_after_the_first_pod(live: Any) -> None:
    sim = live("istio", None)
    before = stored(sim)
    sim.set_policy({"rules": [{"action": "ignore-dry-run", "resources": ["pods"], "verbs": ["create"]}]})
    with pytest.raises(probe.ProbeError) as raised:
        probe.run(params(sim))
    assert re.fullmatch(
        r"the API server ignores dryRun=All for pods: the dry-run probe pod demo/meshops-probe-[a-z0-9]{5} was "
        r"stored \(it was deleted\); the probe stops",
        str(raised.value),
    ), str(raised.value)
    sim.settle()
    assert stored(sim) == before


def test_a_403_on_pods_create_is_coverage_not_a_failure(live: Any) -> None:
    sim = live("istio", None)
    sim.set_policy({"rules": [{"action": "forbid", "verbs": ["create"], "resources": ["pods"]}]})
    warnings: list[str] = []
    out = probe.run(params(sim), warn=warnings.append)
    result = out["results"][0]
    denied = (
        'pods is forbidden: User "kubernetes-admin" cannot create resource "pods" in API group "" '
        'in the namespace "demo"'
    )
    assert (result["outcome"], result["reason_class"], result["message"], result["agrees_with_model"]) == (
        "skipped",
        "forbidden",
        denied,
        None,
    )
    assert warnings == ["probe skipped in namespace demo: " + denied]
    assert [(f["code"], f["name"], f["message"]) for f in out["findings"]] == [
        ("SI801", "demo", "the dry-run injection probe (SI308) was skipped in namespace demo: " + denied)
    ]


def test_namespaces_and_like_add_namespaces_and_shape_the_pod(live: Any) -> None:
    sim = live("istio", None)
    sim.apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "plain"}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "batch", "namespace": "demo"},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {"app": "batch"}},
                "template": {
                    "metadata": {"labels": {"app": "batch", "sidecar.istio.io/inject": "false"}},
                    "spec": {"containers": [{"name": "batch", "image": "busybox"}]},
                },
            },
        },
    )
    out = probe.run(params(sim, namespaces=["plain", "gone"], like={"demo": "deploy/batch"}))
    got = [(r["namespace"], r["outcome"], r["reason_class"], r["like"], r["agrees_with_model"]) for r in out["results"]]
    assert got == [
        ("demo", "admitted_without_sidecar", "", "Deployment demo/batch", True),
        ("gone", "skipped", "not-found", "", None),
        ("plain", "admitted_without_sidecar", "", "a plain pod (no workload in the namespace)", True),
    ]
    assert out["results"][1]["message"] == "namespace gone does not exist"
    assert out["results"][2]["containers"] == ["probe"]
    # the model's side of `like`: that workload's next_pod (its own opt-out); a plain pod has none
    demo, _gone, plain = (r["model"] for r in out["results"])
    assert (demo["workload"], demo["next_pod"]["outcome"], demo["blocked_by"]) == (
        "Deployment demo/batch",
        "not_selected",
        [],
    )
    assert (plain["workload"], plain["next_pod"], plain["should_inject"]) == ("", None, False)
    assert out["findings"] == []  # nothing expected a sidecar there


@pytest.mark.parametrize(
    ("like", "message"),
    [
        (
            {"demo": "web"},
            "like: demo: 'web' is not KIND/NAME with KIND one of deployment, statefulset, daemonset, "
            "replicaset, job, cronjob",
        ),
        ({"demo": "deployment/nope"}, "like: demo: Deployment demo/nope not found"),
    ],
)
def test_bad_like_is_a_clear_error(live: Any, like: dict, message: str) -> None:
    sim = live("istio", None)
    with pytest.raises(probe.ProbeError) as raised:
        probe.run(params(sim, like=like))
    assert str(raised.value) == message


def test_the_total_timeout_bounds_a_hanging_webhook(live: Any) -> None:
    """networkpolicy: the call hangs for the webhook's 10 s; a 2 s probe timeout ends it as skipped."""
    sim = live("istio", "networkpolicy")
    out = probe.run(params(sim, timeout=2))
    result = out["results"][0]
    assert (result["outcome"], result["reason_class"]) == ("skipped", "timeout")
    assert re.fullmatch(
        r"no answer within what was left of the probe's total timeout \(\d\.\ds\): POST /api/v1/namespaces/demo/pods "
        r"at https://127\.0\.0\.1:\d+ failed: read timed out",
        result["message"],
    ), result["message"]
    assert out["findings"] == []


def test_a_webhook_the_model_expects_but_the_server_does_not_call_is_a_disagreement(live: Any) -> None:
    """kube-apiserver without MutatingAdmissionWebhook: next_pod says injected, the pod comes back bare."""
    sim = live("istio", None)
    sim.admission.disabled_plugins.add("MutatingAdmissionWebhook")
    sim.clear_requests()
    out = probe.run(params(sim))
    result = out["results"][0]
    assert (result["outcome"], result["agrees_with_model"], result["containers"]) == (
        "admitted_without_sidecar",
        False,
        ["web"],
    )
    assert result["model"]["next_pod"] == {
        "outcome": "injected",
        "webhook": "istio-sidecar-injector/namespace.sidecar-injector.istio.io",
        "failure_policy": "Fail",
    }
    assert result["model"]["blocked_by"] == []
    assert [f["code"] for f in out["findings"]] == ["SI308", "SI309"]
    disagreement = out["findings"][1]
    assert disagreement["message"] == (
        "the dry-run pod in namespace demo came back without a proxy (containers web), but the model's next pod "
        "for Deployment demo/web is injected"
    )
    assert [(e["field"], e["value"]) for e in disagreement["evidence"]] == [
        ("model: next pod of", "Deployment demo/web"),
        ("model: next_pod outcome", "injected"),
        (
            "model: next_pod webhook",
            "istio-sidecar-injector/namespace.sidecar-injector.istio.io (failurePolicy Fail)",
        ),
        ("model: blocked by", "nothing on the path"),
        # the model's own reasons (they name the webhook configuration of the fixture in use)
        *[("model: because", reason) for reason in result["model"]["reasons"][:3]],
        ("probe pod shaped like", "Deployment demo/web"),
        ("returned pod containers", ["web"]),
        ("returned pod initContainers", []),
    ]
    assert result["model"]["reasons"][0].startswith("namespace label istio-injection=enabled matches webhook")
    assert out["summary"]["disagreements"] == 1
    # the diagnosis runs on the snapshot already gathered: the probe reads what a gathering reads, plus
    # the two looks whether its dry runs were stored; it writes only its two dry runs
    probe_reads = [p for m, p in ((r["method"], r["path"]) for r in sim.requests) if m == "GET"]
    sim.clear_requests()
    client = kube_client.client_from_params(params(sim))
    try:
        gather.gather(client)
    finally:
        client.close()
    gathered = [r["path"] for r in sim.requests]
    extra = list(probe_reads)
    for path in gathered:
        extra.remove(path)
    assert [re.sub(r"-[0-9a-z]{5,10}$", "-X", p) for p in extra] == [
        "/api/v1/namespaces/demo/configmaps/meshops-dry-run-check-X",
        "/api/v1/namespaces/demo/pods/meshops-probe-X",
    ]
    assert out["summary"]["requests"] == len(probe_reads) + 2


def test_concurrent_probes_count_every_request_they_send(live: Any) -> None:
    # 24 namespaces probed 8 at a time through one client: its count is kubesim's access log, exactly
    sim = live("istio", None)
    extra = ["team-%02d" % n for n in range(24)]
    sim.apply(
        *[
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"istio-injection": "enabled"}}}
            for n in extra
        ]
    )
    sim.clear_requests()
    out = probe.run(params(sim, namespaces=extra, concurrency=8))
    assert sorted(r["namespace"] for r in out["results"]) == sorted(["demo"] + extra)
    assert {r["outcome"] for r in out["results"]} == {"injected"}
    posts = [r["path"] for r in sim.requests if r["method"] == "POST"]
    assert all(p.endswith("?dryRun=All") for p in posts)
    # one dry-run pod per namespace, after the one check that the server honours dryRun (a ConfigMap)
    assert sorted(p.split("/")[4] for p in posts if "/pods?" in p) == sorted(["demo"] + extra)
    assert [p for p in posts if "/pods?" not in p] == ["/api/v1/namespaces/demo/configmaps?dryRun=All"]
    assert out["summary"]["requests"] == len(sim.requests)
