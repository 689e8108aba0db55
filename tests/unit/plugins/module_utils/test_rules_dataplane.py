"""SI6xx rules: runtime state of injected and not-injected pods, with exact evidence, the plan each
finding carries and the workloads it affects."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import dataplane
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    configmap,
    event,
    istio_injector_cm,
    namespace,
    pod,
    snapshot,
    workload,
)

ISTIO = standard_istio_webhooks("default")
NOWHERE = {"kind": "", "namespace": "", "name": ""}  # the target of notes and other tools' commands
HINT = (
    "# or with this collection: ansible-playbook meshops.sidecar_injection.remediate -i INVENTORY "
    "-e remediate_restart_workloads=true   # action restart_workload, risk disruptive"
)
BARE_POD_NOTE = (
    "# a bare pod has no controller to re-create it: delete it and create it again from its manifest (without "
    "status and the injected fields)"
)
ON = namespace("shop", {"istio-injection": "enabled"})
STATUS = {
    "sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["istio-proxy"],"revision":"default"}'
}


def ref(kind, namespace, name):
    return {"kind": kind, "namespace": namespace, "name": name}


def ns(name):
    return ref("Namespace", "", name)


def deployment_chain(name="web", ns_name="shop"):
    """A Deployment, its ReplicaSet, and the ownerReference its pods carry."""
    dep = workload("Deployment", name, ns_name)
    rs = workload(
        "ReplicaSet", name + "-1", ns_name, owner={"kind": "Deployment", "name": name, "uid": dep["metadata"]["uid"]}
    )
    return dep, rs, {"kind": "ReplicaSet", "name": name + "-1", "uid": rs["metadata"]["uid"]}


def run(rule, *objects):
    """The rule's own findings; a rule the engine skipped fails the test."""
    result = diagnose(snapshot(*objects), Options(), rules=[rule])
    assert result["skipped"] == [], result["skipped"]
    return [f.as_dict() for f in result["findings"] if f.code in rule.codes]


def injected_pod(
    name,
    image="docker.io/istio/proxyv2:1.22.3",
    init_status=None,
    statuses=None,
    owner=None,
    annotations=None,
    **kwargs,
):
    annos = dict(STATUS, **(annotations or {}))
    return pod(
        name,
        "shop",
        annotations=annos,
        init=[{"name": "istio-init"}],
        containers=[{"name": "app"}, {"name": "istio-proxy", "image": image}],
        init_statuses=init_status,
        statuses=statuses,
        owner=owner,
        **kwargs,
    )


CRASH = {
    "name": "istio-init",
    "ready": False,
    "restartCount": 4,
    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "message": "iptables-restore: line 3 failed"}},
}


def test_si601_init_container_crash_with_termination_message_and_event():
    dep = workload("Deployment", "web", "shop")
    rs = workload(
        "ReplicaSet", "web-1", "shop", owner={"kind": "Deployment", "name": "web", "uid": dep["metadata"]["uid"]}
    )
    owner = {"kind": "ReplicaSet", "name": "web-1", "uid": rs["metadata"]["uid"]}
    objects = [
        ISTIO,
        ON,
        dep,
        rs,
        injected_pod("web-1-a", init_status=[CRASH], owner=owner, phase="Pending"),
        event("shop", "Pod", "web-1-a", "BackOff", "Back-off restarting failed container istio-init"),
        injected_pod("fine", init_status=[{"name": "istio-init", "state": {"terminated": {"exitCode": 0}}}]),
    ]
    [f] = run(dataplane.init_container_failing, *objects)
    assert (f["code"], f["kind"], f["namespace"], f["name"], f["mesh"]) == (
        "SI601",
        "Deployment",
        "shop",
        "web",
        "istio",
    )
    assert f["message"] == (
        "istio-init init container fails in 1 pods of deployment/web in namespace shop: iptables-restore: line 3 failed"
    )
    assert f["evidence"] == [
        {
            "object": "Pod shop/web-1-a",
            "field": "status.initContainerStatuses[istio-init]",
            "value": "waiting CrashLoopBackOff, ready false, restarts 4, last terminated exitCode 1 (Error): "
            "iptables-restore: line 3 failed",
        },
        {
            "object": "Pod shop/web-1-a",
            "field": "event BackOff message",
            "value": "Back-off restarting failed container istio-init",
        },
        {  # the root cause of the workload's next pod (rules/answers.py): a restart does not fix it
            "object": "Deployment shop/web",
            "field": "next pod",
            "value": "injected; a restart re-creates the pods with a sidecar that still does not work "
            "(SI601 init-container-failing)",
        },
    ]
    assert f["root_cause_of"] == [{"kind": "Deployment", "namespace": "shop", "name": "web"}]
    assert f["remediation"]["steps"][0] == "kubectl logs web-1-a -n shop -c istio-init --previous"
    assert "Istio CNI" in f["remediation"]["steps"][1]
    plan = f["plan"]
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == (
        "manual",
        ref("Deployment", "shop", "web"),
        "safe",
        [],
    )
    assert plan["operations"][0] == {
        "op": "inspect",
        "target": ref("Pod", "shop", "web-1-a"),
        "args": ["logs", "web-1-a", "-n", "shop", "-c", "istio-init", "--previous"],
        "risk": "safe",
    }
    assert [op["op"] for op in plan["operations"]] == ["inspect", "note", "external", "note"]
    assert plan["operations"][2]["command"] == "istioctl install --set components.cni.enabled=true"
    assert f["affects"] == [ref("Deployment", "shop", "web"), ns("shop")]


def test_si602_validator_failing_with_cni_pod_readiness():
    validator = {
        "name": "istio-validation",
        "ready": False,
        "restartCount": 2,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 126, "message": "iptables validation failed"}},
    }
    bad = pod("web", "shop", init_statuses=[validator], phase="Pending", nodeName="node-1")
    cni = pod(
        "istio-cni-node-x",
        "istio-system",
        labels={"k8s-app": "istio-cni-node"},
        nodeName="node-1",
        statuses=[{"name": "install-cni", "ready": False, "state": {"running": {}}}],
    )
    [f] = run(dataplane.cni_validation_failing, ISTIO, ON, bad, cni)
    assert (f["kind"], f["name"]) == ("Pod", "web")
    assert f["evidence"][1] == {
        "object": "Pod istio-system/istio-cni-node-x",
        "field": "ready on node node-1",
        "value": False,
    }
    assert f["remediation"]["steps"] == [
        "kubectl get daemonset -A -l k8s-app=istio-cni-node   # must be ready on node node-1",
        "kubectl logs web -n shop -c istio-validation",
        "# check that the mesh CNI plugin is chained in the node's CNI configuration (Cilium: cni.exclusive=false), "
        "then delete the failing pods so they are re-created",
    ]
    assert (f["plan"]["action"], f["plan"]["risk"]) == ("manual", "safe")  # a bare pod: nothing re-creates it
    assert f["affects"] == [ref("Pod", "shop", "web"), ns("shop")]
    assert run(dataplane.cni_validation_failing, ISTIO, ON, pod("ok", "shop")) == []


def test_si602_plan_deletes_the_failing_pods_of_a_workload_after_the_cni_fix():
    validator = {
        "name": "istio-validation",
        "ready": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 126, "message": "iptables validation failed"}},
    }
    dep, rs, owner = deployment_chain()
    failing = [
        pod(n, "shop", init_statuses=[validator], phase="Pending", nodeName="node-1", owner=owner)
        for n in ("web-1-b", "web-1-a")
    ]
    [f] = run(dataplane.cni_validation_failing, ISTIO, ON, dep, rs, *failing)
    assert f["plan"]["operations"][-1] == {
        "op": "delete_pods",
        "target": ref("Deployment", "shop", "web"),
        "names": ["web-1-a", "web-1-b"],
        "risk": "disruptive",
    }
    assert (
        f["remediation"]["steps"][-1]
        == "kubectl delete pod -n shop web-1-a web-1-b   # Deployment shop/web re-creates them"
    )
    assert (f["plan"]["action"], f["plan"]["risk"], f["plan"]["opt_in"]) == (
        "manual",
        "disruptive",
        ["remediate_restart_workloads"],
    )
    assert f["affects"] == [ref("Deployment", "shop", "web"), ns("shop")]


def test_si603_proxy_not_ready_in_running_pod():
    not_ready = [
        {"name": "app", "ready": True, "state": {"running": {}}},
        {"name": "istio-proxy", "ready": False, "restartCount": 0, "state": {"running": {}}},
    ]
    [f] = run(dataplane.proxy_not_ready, ISTIO, ON, injected_pod("web", statuses=not_ready))
    assert (
        f["message"]
        == "istio-proxy is not ready in 1 pods of pod/web in namespace shop: running, ready false, restarts 0"
    )
    assert f["remediation"]["steps"] == [
        "istioctl proxy-status",
        "kubectl logs web -n shop -c istio-proxy   # xDS/CA reachability (istiod:15012)",
    ]
    assert f["plan"]["operations"][0] == {
        "op": "external",
        "target": NOWHERE,
        "command": "istioctl proxy-status",
        "risk": "safe",
    }
    assert (f["plan"]["action"], f["plan"]["target"]) == ("manual", ref("Pod", "shop", "web"))
    assert f["affects"] == [ref("Pod", "shop", "web"), ns("shop")]
    ready = [dict(s, ready=True) for s in not_ready]
    assert run(dataplane.proxy_not_ready, ISTIO, ON, injected_pod("web", statuses=ready)) == []


def test_si604_groups_missing_pods_per_workload_and_restarts_it():
    dep = workload("Deployment", "web", "shop")
    rs = workload(
        "ReplicaSet", "web-1", "shop", owner={"kind": "Deployment", "name": "web", "uid": dep["metadata"]["uid"]}
    )
    owner = {"kind": "ReplicaSet", "name": "web-1", "uid": rs["metadata"]["uid"]}
    objects = [
        ISTIO,
        ON,
        dep,
        rs,
        pod("web-1-a", "shop", owner=owner),
        pod("web-1-b", "shop", owner=owner),
        pod("done", "shop", phase="Succeeded"),
        pod("optout", "shop", labels={"sidecar.istio.io/inject": "false"}),
        injected_pod("meshed"),
    ]
    [f] = run(dataplane.pod_predates_injection, *objects)
    assert (f["kind"], f["name"], f["mesh"], f["severity"]) == ("Deployment", "web", "istio", "warning")
    assert f["evidence"][:2] == [
        {"object": "Pod shop/web-1-a", "field": "spec.containers", "value": ["app"]},
        {"object": "Pod shop/web-1-b", "field": "spec.containers", "value": ["app"]},
    ]
    assert f["remediation"] == {
        "action": "restart_workload",
        "steps": [
            "kubectl rollout restart deployment/web -n shop",
            "kubectl rollout status deployment/web -n shop",
            HINT,
        ],
    }
    plan = f["plan"]
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == (
        "restart_workload",
        ref("Deployment", "shop", "web"),
        "disruptive",
        ["remediate_restart_workloads"],
    )
    assert plan["operations"] == [
        {
            "op": "restart",
            "target": ref("Deployment", "shop", "web"),
            "workloads": [ref("Deployment", "shop", "web")],
            "risk": "disruptive",
        }
    ]
    assert f["affects"] == [ref("Deployment", "shop", "web"), ns("shop")]


def test_si604_bare_pod_uses_istioctl_wording():
    [f] = run(dataplane.pod_predates_injection, ISTIO, ON, pod("lonely", "shop"))
    assert f["message"].startswith("The pod shop/lonely is missing the Istio proxy")
    # nothing re-creates a bare pod: the finding keeps its action, the plan is guidance only
    assert (f["remediation"]["action"], f["plan"]["action"]) == ("restart_workload", "manual")
    assert f["remediation"]["steps"] == ["kubectl get pod lonely -n shop -o yaml", BARE_POD_NOTE]
    assert f["affects"] == [ref("Pod", "shop", "lonely"), ns("shop")]


def test_si604_pods_of_a_bare_replicaset_are_deleted_so_it_recreates_them():
    rs = workload("ReplicaSet", "legacy", "shop")
    owner = {"kind": "ReplicaSet", "name": "legacy", "uid": rs["metadata"]["uid"]}
    [f] = run(
        dataplane.pod_predates_injection,
        ISTIO,
        ON,
        rs,
        pod("legacy-y", "shop", owner=owner),
        pod("legacy-x", "shop", owner=owner),
    )
    assert f["plan"]["operations"] == [
        {
            "op": "delete_pods",
            "target": ref("ReplicaSet", "shop", "legacy"),
            "names": ["legacy-x", "legacy-y"],
            "why": "replicaset/legacy creates replacements",
            "risk": "disruptive",
        }
    ]
    assert (f["plan"]["action"], f["plan"]["opt_in"]) == ("restart_workload", ["remediate_restart_workloads"])
    assert f["remediation"]["steps"] == [
        "kubectl delete pod -n shop legacy-x legacy-y   # replicaset/legacy creates replacements",
        HINT,
    ]
    assert f["affects"] == [ref("ReplicaSet", "shop", "legacy"), ns("shop")]


def test_si605_image_and_revision_skew_per_namespace():
    objects = [
        ISTIO,
        ON,
        istio_injector_cm(),
        injected_pod("old", image="docker.io/istio/proxyv2:1.21.0"),
        injected_pod("distroless", image="docker.io/istio/proxyv2:1.22.3-distroless"),
        injected_pod("custom", image="my/proxy:1", annotations={"sidecar.istio.io/proxyImage": "my/proxy:1"}),
        injected_pod("current"),
    ]
    [f] = run(dataplane.proxy_version_skew, *objects)
    assert (f["kind"], f["name"]) == ("Namespace", "shop")
    assert f["evidence"] == [
        {
            "object": "Pod shop/old",
            "field": "proxy",
            "value": "proxy image docker.io/istio/proxyv2:1.21.0, revision default injects "
            "docker.io/istio/proxyv2:1.22.3",
        }
    ]
    assert f["remediation"]["steps"] == ["kubectl get pod old -n shop -o yaml", BARE_POD_NOTE]
    assert (f["plan"]["action"], f["remediation"]["action"]) == ("manual", "restart_workload")
    assert f["affects"] == [ref("Pod", "shop", "old"), ns("shop")]


def test_si605_plan_restarts_exactly_the_workloads_with_a_stale_proxy():
    dep, rs, owner = deployment_chain()
    other, other_rs, other_owner = deployment_chain("api")
    objects = [
        ISTIO,
        ON,
        istio_injector_cm(),
        dep,
        rs,
        other,
        other_rs,
        injected_pod("old", image="docker.io/istio/proxyv2:1.21.0"),
        injected_pod("web-1-a", image="docker.io/istio/proxyv2:1.21.0", owner=owner),
        injected_pod("api-1-a", owner=other_owner),  # current proxy: not restarted
    ]
    [f] = run(dataplane.proxy_version_skew, *objects)
    plan = f["plan"]
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == (
        "restart_workload",
        ns("shop"),
        "disruptive",
        ["remediate_restart_workloads"],
    )
    assert [(op["op"], op["target"]) for op in plan["operations"]] == [
        ("restart", ref("Deployment", "shop", "web")),
        ("inspect", ref("Pod", "shop", "old")),
        ("note", NOWHERE),
    ]
    assert f["remediation"]["steps"] == [
        "kubectl rollout restart deployment/web -n shop",
        "kubectl rollout status deployment/web -n shop",
        "kubectl get pod old -n shop -o yaml",
        BARE_POD_NOTE,
        HINT,
    ]
    assert f["affects"] == [ref("Deployment", "shop", "web"), ref("Pod", "shop", "old"), ns("shop")]


def test_si605_linkerd_proxy_version_against_control_plane():
    objects = [
        standard_linkerd_webhooks(),
        configmap("linkerd-config", "linkerd", {"values": "linkerdVersion: edge-24.8.2\n"}),
        namespace("emoji", annotations={"linkerd.io/inject": "enabled"}),
        pod(
            "web",
            "emoji",
            annotations={"linkerd.io/proxy-version": "edge-24.5.1"},
            containers=[{"name": "linkerd-proxy", "image": "cr.l5d.io/linkerd/proxy:edge-24.5.1"}, {"name": "a"}],
        ),
        pod(
            "new",
            "emoji",
            annotations={"linkerd.io/proxy-version": "edge-24.8.2"},
            containers=[{"name": "linkerd-proxy"}, {"name": "a"}],
        ),
    ]
    [f] = run(dataplane.proxy_version_skew, *objects)
    assert f["evidence"] == [
        {
            "object": "Pod emoji/web",
            "field": "proxy",
            "value": "proxy version edge-24.5.1, control plane injects edge-24.8.2",
        }
    ]


def _linkerd_pod(name, version, annotations=None):
    annos = {"linkerd.io/proxy-version": version}
    annos.update(annotations or {})
    return pod(name, "emoji", annotations=annos, containers=[{"name": "linkerd-proxy"}, {"name": "a"}])


def test_si605_linkerd_compares_with_the_proxy_version_the_injector_injects():
    # proxy.image.version set on its own (a pinned or separately versioned proxy): a pod at that
    # version is current, although it differs from linkerdVersion; a restart would change nothing
    values = "linkerdVersion: edge-24.8.2\nproxy:\n  image:\n    version: v2.250.0\n"
    objects = [
        standard_linkerd_webhooks(),
        configmap("linkerd-config", "linkerd", {"values": values}),
        namespace("emoji", annotations={"linkerd.io/inject": "enabled"}),
        _linkerd_pod("current", "v2.250.0"),
        _linkerd_pod("old", "v2.240.1"),
    ]
    [f] = run(dataplane.proxy_version_skew, *objects)
    assert f["name"] == "emoji"
    assert f["evidence"] == [
        {"object": "Pod emoji/old", "field": "proxy", "value": "proxy version v2.240.1, control plane injects v2.250.0"}
    ]


def test_si605_linkerd_proxy_version_pinned_on_the_namespace_or_pod():
    objects = [
        standard_linkerd_webhooks(),
        configmap("linkerd-config", "linkerd", {"values": "linkerdVersion: edge-24.8.2\n"}),
        namespace(
            "emoji",
            annotations={"linkerd.io/inject": "enabled", "config.linkerd.io/proxy-version": "edge-24.5.1"},
        ),
        _linkerd_pod("pinned-by-namespace", "edge-24.5.1"),
        _linkerd_pod("pinned-by-pod", "edge-24.2.1", {"config.linkerd.io/proxy-version": "edge-24.2.1"}),
        _linkerd_pod("behind-its-pin", "edge-24.2.1"),
    ]
    [f] = run(dataplane.proxy_version_skew, *objects)
    assert f["evidence"] == [
        {
            "object": "Pod emoji/behind-its-pin",
            "field": "proxy",
            "value": "proxy version edge-24.2.1, config.linkerd.io/proxy-version edge-24.5.1",
        }
    ]


def test_si606_job_pod_kept_running_by_classic_sidecar():
    job = workload("Job", "migrate", "shop")
    owner = {"kind": "Job", "name": "migrate", "uid": job["metadata"]["uid"]}
    statuses = [
        {"name": "app", "ready": False, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        {"name": "istio-proxy", "ready": True, "state": {"running": {}}},
    ]
    [f] = run(
        dataplane.job_sidecar_blocks_completion,
        ISTIO,
        ON,
        job,
        injected_pod("migrate-x", statuses=statuses, owner=owner),
    )
    assert (f["kind"], f["name"], f["mesh"]) == ("Job", "migrate", "istio")
    assert f["evidence"][0]["value"] == [
        "app: terminated exitCode 0 (Completed), ready false, restarts 0",
        "istio-proxy: running, ready true, restarts 0",
    ]
    # a Job's pod template is immutable: guidance only
    assert [op["op"] for op in f["plan"]["operations"]] == ["note", "note", "note"]
    assert f["remediation"]["steps"][1] == (
        "# set annotation sidecar.istio.io/nativeSidecar=true in the manifest of job/migrate and re-create it "
        "(admission only runs when a pod is created)"
    )
    assert f["affects"] == [ref("Job", "shop", "migrate"), ns("shop")]
    running = [dict(statuses[0], state={"running": {}}), statuses[1]]
    assert (
        run(
            dataplane.job_sidecar_blocks_completion,
            ISTIO,
            ON,
            job,
            injected_pod("migrate-y", statuses=running, owner=owner),
        )
        == []
    )


def test_si606_cronjob_plan_annotates_the_job_template_for_the_next_job():
    cronjob = workload("CronJob", "nightly", "shop")
    job = workload(
        "Job", "nightly-1", "shop", owner={"kind": "CronJob", "name": "nightly", "uid": cronjob["metadata"]["uid"]}
    )
    statuses = [
        {"name": "app", "ready": False, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        {"name": "istio-proxy", "ready": True, "state": {"running": {}}},
    ]
    stuck = injected_pod(
        "nightly-1-x", statuses=statuses, owner={"kind": "Job", "name": "nightly-1", "uid": job["metadata"]["uid"]}
    )
    [f] = run(dataplane.job_sidecar_blocks_completion, ISTIO, ON, cronjob, job, stuck)
    assert (f["kind"], f["name"]) == ("CronJob", "nightly")
    assert f["plan"]["operations"][1] == {
        "op": "set_annotation",
        "target": ref("CronJob", "shop", "nightly"),
        "key": "sidecar.istio.io/nativeSidecar",
        "scope": "template",
        "value": "true",
        "expect": None,
        "expect_absent": True,
        "risk": "disruptive",
    }
    assert f["remediation"]["steps"][1:3] == [
        "kubectl patch cronjob/nightly -n shop --type merge -p "
        '\'{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":'
        '{"sidecar.istio.io/nativeSidecar":"true"}}}}}}}\'',
        "# the next Job gets it",
    ]
    assert f["plan"]["action"] == "manual"
    assert f["affects"] == [ref("CronJob", "shop", "nightly"), ns("shop")]
