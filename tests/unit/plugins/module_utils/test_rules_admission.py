"""SI5xx rules: the exact evidence, the plan each finding carries and the workloads it affects."""

from __future__ import annotations

import json

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import evidence as EV
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import admission as r
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils import cp_fixtures as f


def quota(ns, hard, used, name="compute"):
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"hard": dict(hard)},
        "status": {"hard": dict(hard), "used": dict(used)},
    }


def limitrange(ns, item, name="limits"):
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"limits": [item]},
    }


def shop(labels=None, annotations=None):
    return f.namespace("shop", labels if labels is not None else {"istio-injection": "enabled"}, annotations)


WEB = f.deployment("web", "shop", {"app": "web"}, [{"name": "web", "image": "web:1"}])
NOWHERE = {"kind": "", "namespace": "", "name": ""}  # the target of notes and other tools' commands
RECREATE = (
    "# pods that already run keep their old spec until they are re-created; once this is applied, restart the "
    "workloads a new diagnosis lists under SI604 (remediate_restart_workloads)"
)


def ref(kind, namespace, name):
    return {"kind": kind, "namespace": namespace, "name": name}


def ns(name):
    return ref("Namespace", "", name)


def plan_of(finding):
    return finding.as_dict()["plan"]


def affects(finding):
    return [r.as_dict() for r in finding.affects]


def annotate_template(name, key, value):
    return {
        "op": "set_annotation",
        "target": ref("Deployment", "shop", name),
        "key": key,
        "scope": "template",
        "value": value,
        "expect": None,
        "expect_absent": True,
        "risk": "disruptive",
    }


def annotate_namespace(name, key, value):
    return {
        "op": "set_annotation",
        "target": ns(name),
        "key": key,
        "scope": "metadata",
        "value": value,
        "expect": None,
        "expect_absent": True,
        "why": "read by the injector for new pods",
        "risk": "safe",
    }


# ---- SI501 -------------------------------------------------------------------------------------


def test_si501_baseline_without_cni():
    objects = f.istio_cp() + [shop({"istio-injection": "enabled", "pod-security.kubernetes.io/enforce": "baseline"})]
    [finding] = f.run(r.pod_security_blocks_init, objects)
    assert (finding.kind, finding.name, finding.mesh) == ("Namespace", "shop", "istio")
    assert finding.message == (
        'namespace shop enforces Pod Security "baseline:latest", which forbids the istio-init init container the '
        "Istio injector adds (capabilities NET_ADMIN, NET_RAW): every injected pod is rejected with violates "
        'PodSecurity (container "istio-init" must not include "NET_ADMIN", "NET_RAW" in '
        "securityContext.capabilities.add)"
    )
    assert finding.evidence == [EV("Namespace shop", "metadata.labels[pod-security.kubernetes.io/enforce]", "baseline")]


def test_si501_plan_installs_the_mesh_cni_or_weakens_the_namespace_as_the_alternative():
    objects = f.istio_cp() + [
        shop({"istio-injection": "enabled", "pod-security.kubernetes.io/enforce": "baseline"}),
        WEB,
    ]
    [finding] = f.run(r.pod_security_blocks_init, objects)
    plan = plan_of(finding)
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == ("manual", ns("shop"), "safe", [])
    assert finding.rendered_steps() == [
        "istioctl install --set components.cni.enabled=true   # Helm: install istio/cni and set pilot.cni.enabled=true "
        "(no NET_ADMIN init container; required on OpenShift)",
        RECREATE,
        "# or: weaker: let the namespace run privileged pods",
        "kubectl label namespace shop pod-security.kubernetes.io/enforce=privileged --overwrite",
    ]
    [weaker] = plan["alternatives"]
    assert weaker["operations"] == [
        {
            "op": "set_label",
            "target": ns("shop"),
            "key": "pod-security.kubernetes.io/enforce",
            "scope": "metadata",
            "value": "privileged",
            "expect": "baseline",
            "expect_absent": False,
            "risk": "weakens-safety",
        }
    ]
    assert (weaker["risk"], weaker["opt_in"]) == ("weakens-safety", ["remediate_allow_fail_open"])
    assert affects(finding) == [ns("shop"), ref("Deployment", "shop", "web")]


def test_si501_cni_mode_privileged_and_unmeshed_are_fine():
    cni_cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "istio-sidecar-injector", "namespace": "istio-system"},
        "data": {"config": "policy: enabled\n", "values": json.dumps({"pilot": {"cni": {"enabled": True}}})},
    }
    restricted = shop({"istio-injection": "enabled", "pod-security.kubernetes.io/enforce": "restricted"})
    assert f.run(r.pod_security_blocks_init, f.istio_cp() + [restricted, cni_cm]) == []
    privileged = shop({"istio-injection": "enabled", "pod-security.kubernetes.io/enforce": "privileged"})
    assert f.run(r.pod_security_blocks_init, f.istio_cp() + [privileged]) == []
    not_meshed = f.namespace("batch", {"pod-security.kubernetes.io/enforce": "restricted"})
    assert f.run(r.pod_security_blocks_init, f.istio_cp() + [not_meshed]) == []


def test_si501_linkerd_and_event():
    objects = f.linkerd_cp() + [
        f.namespace("shop", {"pod-security.kubernetes.io/enforce": "restricted"}, {"linkerd.io/inject": "enabled"})
    ]
    [finding] = f.run(r.pod_security_blocks_init, objects)
    assert "forbids the linkerd-init init container the Linkerd injector adds" in finding.message
    message = (
        'Error creating: pods "web-7d9c-abcde" is forbidden: violates PodSecurity "baseline:latest": '
        'non-default capabilities (container "linkerd-init" must not include "NET_ADMIN", "NET_RAW" in '
        "securityContext.capabilities.add)"
    )
    events = f.linkerd_cp() + [f.namespace("shop"), f.event("shop", "ReplicaSet", "web-7d9c", message, count=3)]
    [from_event] = f.run(r.pod_security_blocks_init, events)
    assert from_event.message.startswith(
        "pod-security rejected 3 injected pod(s) in shop because of the mesh containers: non-default capabilities"
    )
    assert from_event.mesh == "linkerd"
    assert [(op["command"], op["args"]) for op in plan_of(from_event)["operations"][:2]] == [
        ("linkerd install-cni", ["apply", "-f", "-"]),
        ("linkerd upgrade --linkerd-cni-enabled", ["apply", "-f", "-"]),
    ]
    assert from_event.rendered_steps()[0] == (
        "linkerd install-cni | kubectl apply -f -   # or helm install linkerd2-cni linkerd/linkerd2-cni"
    )
    assert affects(from_event) == [ns("shop")]  # no workload there asks for a proxy
    assert from_event.evidence == [
        EV("ReplicaSet shop/web-7d9c", "event FailedCreate message (x3, last 2026-11-27T11:00:00Z)", message)
    ]


def test_si501_policy_engine_denial_of_init_capabilities():
    message = (
        'Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [psp-capabilities] '
        "container <istio-init> has a disallowed capability. Allowed capabilities are []"
    )
    [finding] = f.run(r.pod_security_blocks_init, f.istio_cp() + [shop(), f.event("shop", "ReplicaSet", "w", message)])
    assert finding.message.startswith("policy-engine validation.gatekeeper.sh rejected 1 injected pod(s) in shop")


# ---- SI502 -------------------------------------------------------------------------------------


def test_si502_linkerd_no_limits_vs_quota_on_limits():
    objects = f.linkerd_cp() + [
        f.namespace("shop", annotations={"linkerd.io/inject": "enabled"}),
        quota("shop", {"limits.cpu": "4", "requests.cpu": "2"}, {"limits.cpu": "1", "requests.cpu": "500m"}),
    ]
    [finding] = f.run(r.quota_blocks_proxy, objects)
    assert finding.message == (
        "ResourceQuota shop/compute tracks limits.cpu but the Linkerd injector adds linkerd-proxy without a cpu limit "
        "(LimitRange defaults do not reach webhook-added containers): a new pod in shop is rejected with 'must "
        "specify limits.cpu for: linkerd-proxy'"
    )
    assert finding.evidence == [
        EV("ResourceQuota shop/compute", "status.hard[limits.cpu]", "4"),
        EV(
            "container linkerd-proxy",
            "resources (linkerd-config values proxy.resources and config.linkerd.io/proxy-* annotations)",
            "no requests or limits",
        ),
    ]
    assert finding.rendered_steps() == [
        "kubectl annotate namespace shop config.linkerd.io/proxy-cpu-limit=500m --overwrite"
        "   # read by the injector for new pods",
        "# or: mesh-wide, with Helm",
        "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n linkerd --reuse-values "
        "--set proxy.resources.cpu.limit=500m   # mesh-wide",
    ]
    plan = plan_of(finding)
    assert (plan["action"], plan["target"], plan["risk"]) == ("manual", ns("shop"), "safe")
    assert plan["operations"] == [annotate_namespace("shop", "config.linkerd.io/proxy-cpu-limit", "500m")]
    assert affects(finding) == [ns("shop")]
    # with a namespace-level limit annotation the proxy has one: nothing to report
    fixed = f.linkerd_cp() + [
        f.namespace("shop", annotations={"linkerd.io/inject": "enabled", "config.linkerd.io/proxy-cpu-limit": "1"}),
        quota("shop", {"limits.cpu": "4"}, {"limits.cpu": "1"}),
    ]
    assert f.run(r.quota_blocks_proxy, fixed) == []


def test_si502_istio_headroom():
    objects = f.istio_cp() + [shop(), quota("shop", {"requests.memory": "1Gi"}, {"requests.memory": "960Mi"})]
    [finding] = f.run(r.quota_blocks_proxy, objects)
    assert finding.message == (
        "ResourceQuota shop/compute has 64Mi requests.memory left but the Istio sidecar alone "
        "needs 128Mi per pod: a new pod in shop cannot be created (exceeded quota)"
    )
    assert finding.evidence == [
        EV("ResourceQuota shop/compute", "status.hard[requests.memory]", "1Gi"),
        EV("ResourceQuota shop/compute", "status.used[requests.memory]", "960Mi"),
        EV(
            "container istio-proxy",
            "resources (Istio chart defaults)",
            "requests.cpu=100m, requests.memory=128Mi, limits.cpu=2, limits.memory=1Gi",
        ),
    ]
    # the sidecar's request lowered by what the quota lacks (128Mi needed, 64Mi left); all four annotations,
    # as istiod drops the mesh-wide resources once one is set
    assert finding.rendered_steps()[:3] == [
        "kubectl describe resourcequota compute -n shop",
        "# raise the quota by at least 128Mi per injected pod, or lower the sidecar's requests.memory:",
        '# per workload: pod template annotations sidecar.istio.io/proxyCPU: "100m", sidecar.istio.io/proxyMemory: '
        '"64Mi", sidecar.istio.io/proxyCPULimit: "2", sidecar.istio.io/proxyMemoryLimit: "1Gi"',
    ]
    [mesh_wide] = plan_of(finding)["alternatives"]
    assert mesh_wide["operations"][0]["command"] == (
        "helm upgrade istiod istio/istiod -n istio-system --reuse-values "
        "--set global.proxy.resources.requests.memory=64Mi"
    )
    full = f.istio_cp() + [shop(), quota("shop", {"requests.memory": "1Gi"}, {"requests.memory": "1Gi"})]
    [no_room] = f.run(r.quota_blocks_proxy, full)  # nothing left: only the quota can move
    assert no_room.rendered_steps() == [
        "kubectl describe resourcequota compute -n shop",
        "# raise the quota by at least 128Mi per injected pod",
    ]
    roomy = f.istio_cp() + [shop(), quota("shop", {"requests.memory": "1Gi"}, {"requests.memory": "512Mi"})]
    assert f.run(r.quota_blocks_proxy, roomy) == []


def test_si502_workload_annotation_overrides_defaults():
    deploy = f.deployment(
        "web",
        "shop",
        {"app": "web"},
        [{"name": "web", "image": "web:1"}],
        tmpl_annotations={"sidecar.istio.io/proxyCPU": "50m"},
    )
    objects = f.istio_cp() + [shop(), deploy, quota("shop", {"limits.cpu": "10"}, {"limits.cpu": "1"})]
    [finding] = f.run(r.quota_blocks_proxy, objects)
    assert "adds istio-proxy, istio-init without a cpu limit" in finding.message
    assert "Deployment shop/web is rejected" in finding.message
    # the workload already sets a proxy annotation: only the missing one is added to its template
    plan = plan_of(finding)
    assert plan["target"] == ref("Deployment", "shop", "web")
    assert plan["operations"][0] == annotate_template("web", "sidecar.istio.io/proxyCPULimit", "500m")
    assert (plan["risk"], plan["opt_in"]) == ("disruptive", ["remediate_restart_workloads"])
    assert finding.rendered_steps()[:2] == [
        "kubectl patch deployment/web -n shop --type merge -p "
        '\'{"spec":{"template":{"metadata":{"annotations":{"sidecar.istio.io/proxyCPULimit":"500m"}}}}}\'',
        "kubectl rollout status deployment/web -n shop   # the changed template rolls the pods",
    ]
    assert affects(finding) == [ns("shop"), ref("Deployment", "shop", "web")]


def test_si502_event():
    message = (
        'Error creating: pods "web-1" is forbidden: exceeded quota: compute, requested: limits.cpu=2100m, '
        "used: limits.cpu=3, limited: limits.cpu=4"
    )
    objects = f.istio_cp() + [shop(), f.event("shop", "ReplicaSet", "web-5d8f", message)]
    [finding] = f.run(r.quota_blocks_proxy, objects)
    assert (finding.kind, finding.name) == ("Namespace", "shop")
    assert finding.evidence[0]["value"] == message
    assert finding.rendered_steps() == [
        "kubectl describe resourcequota -n shop",
        "kubectl get events -n shop --field-selector reason=FailedCreate",
    ]
    assert [op["op"] for op in plan_of(finding)["operations"]] == ["inspect", "inspect"]
    assert affects(finding) == [ns("shop")]


# ---- SI503 -------------------------------------------------------------------------------------


def test_si503_max_without_limit_and_min():
    item = {"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "256Mi"}, "default": {"cpu": "500m"}}
    objects = f.linkerd_cp() + [
        f.namespace("shop", annotations={"linkerd.io/inject": "enabled"}),
        limitrange("shop", item),
    ]
    [finding] = f.run(r.limitrange_blocks_proxy, objects)
    assert finding.message == (
        "LimitRange shop/limits rejects the containers the Linkerd injector adds to a new pod in shop: linkerd-proxy: "
        "maximum cpu usage per Container is 1.  No limit is specified; linkerd-proxy: minimum memory usage per "
        "Container is 256Mi.  No request is specified; linkerd-init: minimum memory usage per Container is 256Mi, "
        "but request is 20Mi"
    )
    assert finding.evidence[0] == EV(
        "LimitRange shop/limits", "spec.limits[0]", "type Container; min memory=256Mi; max cpu=1; default cpu=500m"
    )
    # the proxy within max cpu and min memory through the namespace annotations, linkerd-init (no
    # annotation exists for it) through its Helm values, request and limit raised together
    plan = plan_of(finding)
    assert plan["operations"][2:4] == [
        annotate_namespace("shop", "config.linkerd.io/proxy-cpu-limit", "1"),
        annotate_namespace("shop", "config.linkerd.io/proxy-memory-request", "256Mi"),
    ]
    assert finding.rendered_steps()[:5] == [
        "kubectl describe limitrange limits -n shop",
        "# set the sidecar's requests/limits inside the LimitRange bounds:",
        "kubectl annotate namespace shop config.linkerd.io/proxy-cpu-limit=1 --overwrite"
        "   # read by the injector for new pods",
        "kubectl annotate namespace shop config.linkerd.io/proxy-memory-request=256Mi --overwrite"
        "   # read by the injector for new pods",
        "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n linkerd --reuse-values "
        "--set proxyInit.resources.memory.limit=256Mi --set proxyInit.resources.memory.request=256Mi   # mesh-wide",
    ]
    assert [alt["reason"] for alt in plan["alternatives"]] == [
        "mesh-wide, with Helm",
        "widen the LimitRange for the sidecar",
    ]
    assert affects(finding) == [ns("shop")]


def test_si503_istio_within_bounds_and_ratio():
    ok = {"type": "Container", "max": {"cpu": "4", "memory": "2Gi"}}
    assert f.run(r.limitrange_blocks_proxy, f.istio_cp() + [shop(), limitrange("shop", ok)]) == []
    ratio = {"type": "Container", "maxLimitRequestRatio": {"cpu": "4"}}
    [finding] = f.run(r.limitrange_blocks_proxy, f.istio_cp() + [shop(), limitrange("shop", ratio)])
    assert (
        "istio-proxy: cpu max limit to request ratio per Container is 4, but provided ratio is 20.000000"
        in finding.message
    )


def test_si503_plans_fit_the_sidecar_into_the_range_or_widen_the_range():
    ratio = {"type": "Container", "maxLimitRequestRatio": {"cpu": "4"}}
    [finding] = f.run(r.limitrange_blocks_proxy, f.istio_cp() + [shop(), WEB, limitrange("shop", ratio)])
    plan = plan_of(finding)
    # limit 2 / request 100m is 20 > 4: the request raised to 500m, on the workload's template with the
    # other three values as they are (istiod ignores the mesh-wide ones once an annotation is set)
    assert plan["target"] == ref("Deployment", "shop", "web")
    assert plan["operations"][2:6] == [
        annotate_template("web", "sidecar.istio.io/proxyCPU", "500m"),
        annotate_template("web", "sidecar.istio.io/proxyMemory", "128Mi"),
        annotate_template("web", "sidecar.istio.io/proxyCPULimit", "2"),
        annotate_template("web", "sidecar.istio.io/proxyMemoryLimit", "1Gi"),
    ]
    assert plan["operations"][6]["args"] == ["rollout", "status", "deployment/web", "-n", "shop"]  # once
    mesh_wide, widen = plan["alternatives"]
    assert mesh_wide["operations"][0]["command"] == (
        "helm upgrade istiod istio/istiod -n istio-system --reuse-values --set global.proxy.resources.requests.cpu=500m"
    )
    assert widen["operations"] == [
        {
            "op": "json_patch",
            "target": ref("LimitRange", "shop", "limits"),
            "path": "/spec/limits/0/maxLimitRequestRatio/cpu",
            "value": "20",
            "guards": [["/spec/limits/0/type", "Container"]],
            "expect": "4",
            "expect_absent": False,
            "risk": "safe",
        }
    ]
    assert finding.rendered_steps()[-1] == (
        "kubectl patch limitrange/limits -n shop --type json -p "
        '\'[{"op":"test","path":"/spec/limits/0/type","value":"Container"},'
        '{"op":"test","path":"/spec/limits/0/maxLimitRequestRatio/cpu","value":"4"},'
        '{"op":"replace","path":"/spec/limits/0/maxLimitRequestRatio/cpu","value":"20"}]\''
    )
    assert affects(finding) == [ns("shop"), ref("Deployment", "shop", "web")]
    too_small = {"type": "Container", "max": {"cpu": "1", "memory": "512Mi"}}
    [capped] = f.run(r.limitrange_blocks_proxy, f.istio_cp() + [shop(), limitrange("shop", too_small)])
    assert capped.rendered_steps()[2] == (
        '# per workload: pod template annotations sidecar.istio.io/proxyCPU: "100m", sidecar.istio.io/proxyMemory: '
        '"128Mi", sidecar.istio.io/proxyCPULimit: "1", sidecar.istio.io/proxyMemoryLimit: "512Mi"'
    )
    assert [op["path"] for op in plan_of(capped)["alternatives"][1]["operations"]] == [
        "/spec/limits/0/max/cpu",
        "/spec/limits/0/max/memory",
    ]
    assert [op["value"] for op in plan_of(capped)["alternatives"][1]["operations"]] == ["2", "1Gi"]


def test_si503_limitrange_helpers():
    container = {"resources": {"requests": {}, "limits": {}}}
    assert r.limitrange_violations({"type": "Container", "max": {"memory": "512Mi"}}, container) == [
        "maximum memory usage per Container is 512Mi.  No limit is specified"
    ]


# ---- SI504 -------------------------------------------------------------------------------------


def clusterrole(name, rules):
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": rules,
    }


def binding(name, role, sa, ns):
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"kind": "ClusterRole", "name": role, "apiGroup": "rbac.authorization.k8s.io"},
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}],
    }


ISTIOD_RULES = [
    {
        "apiGroups": ["admissionregistration.k8s.io"],
        "resources": ["mutatingwebhookconfigurations"],
        "verbs": ["get", "list", "watch", "update", "patch"],
    },
    {
        "apiGroups": [""],
        "resources": ["pods", "nodes", "services", "namespaces", "endpoints"],
        "verbs": ["get", "list", "watch"],
    },
]


def test_si504_istiod_cannot_patch_webhooks():
    healthy = f.istio_cp() + [
        clusterrole("istiod-clusterrole-istio-system", ISTIOD_RULES),
        binding("istiod-clusterrole-istio-system", "istiod-clusterrole-istio-system", "istiod", "istio-system"),
    ]
    assert f.run(r.injector_rbac_missing, healthy) == []
    trimmed = [dict(ISTIOD_RULES[0], verbs=["get", "list", "watch"]), ISTIOD_RULES[1]]
    broken = f.istio_cp() + [
        clusterrole("istiod-clusterrole-istio-system", trimmed),
        binding("istiod-clusterrole-istio-system", "istiod-clusterrole-istio-system", "istiod", "istio-system"),
    ]
    [finding] = f.run(r.injector_rbac_missing, broken)
    assert finding.message == (
        "ServiceAccount istio-system/istiod of the Istio injector may not: update or patch "
        "mutatingwebhookconfigurations.admissionregistration.k8s.io"
    )
    assert finding.evidence == [
        EV(
            "ServiceAccount istio-system/istiod",
            "ClusterRoleBindings",
            "istiod-clusterrole-istio-system -> istiod-clusterrole-istio-system",
        ),
        EV(
            "ServiceAccount istio-system/istiod",
            "permission",
            "update or patch mutatingwebhookconfigurations.admissionregistration.k8s.io",
        ),
    ]
    assert finding.rendered_steps() == [
        "kubectl auth can-i patch mutatingwebhookconfigurations.admissionregistration.k8s.io --all-namespaces "
        "--as=system:serviceaccount:istio-system:istiod",
        "helm upgrade istiod istio/istiod -n istio-system --reuse-values   # re-apply the mesh's RBAC",
    ]
    plan = plan_of(finding)
    assert (plan["action"], plan["target"]) == ("manual", ref("Deployment", "istio-system", "istiod"))
    assert plan["operations"][0]["target"] == ref("ServiceAccount", "istio-system", "istiod")
    # no workload is injected by this istiod: the Deployment and its namespace
    assert affects(finding) == [ref("Deployment", "istio-system", "istiod"), ns("istio-system")]
    [served] = f.run(r.injector_rbac_missing, broken + [shop(), WEB])
    assert affects(served) == [ref("Deployment", "shop", "web"), ns("shop")]


def test_si504_linkerd_unbound():
    assert f.run(r.injector_rbac_missing, f.linkerd_cp()) == []  # no ClusterRole at all: trimmed data, no verdict
    [finding] = f.run(r.injector_rbac_missing, f.linkerd_cp() + [clusterrole("view", [])])
    assert finding.evidence[0] == EV("ServiceAccount linkerd/linkerd-proxy-injector", "ClusterRoleBindings", "none")
    assert "get namespaces" in finding.message and "create events" in finding.message
    assert finding.rendered_steps()[-1] == "linkerd upgrade | kubectl apply -f -   # re-apply the mesh's RBAC"
    assert finding.rendered_steps()[0] == (
        "kubectl auth can-i get namespaces --all-namespaces --as=system:serviceaccount:linkerd:linkerd-proxy-injector"
    )


def test_si504_wildcards_grant():
    admin = clusterrole("cluster-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
    objects = f.linkerd_cp() + [admin, binding("l5d", "cluster-admin", "linkerd-proxy-injector", "linkerd")]
    assert f.run(r.injector_rbac_missing, objects) == []


# ---- SI505 -------------------------------------------------------------------------------------


def test_si505_kyverno_denial_in_meshed_namespace():
    vwc = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "kyverno-resource-validating-webhook-cfg"},
        "webhooks": [{"name": "validate.kyverno.svc-fail"}],
    }
    message = (
        'Error creating: admission webhook "validate.kyverno.svc-fail" denied the request: \n\nresource '
        "Pod/shop/web-1 was blocked due to the following policies\n\nrequire-image-digest:\n  check-digest: "
        "image docker.io/istio/proxyv2:1.24.2 must use a digest"
    )
    objects = f.istio_cp() + [shop(), vwc, f.event("shop", "ReplicaSet", "web-5d8f", message)]
    [finding] = f.run(r.policy_engine_denies, objects)
    assert (finding.kind, finding.name) == ("ValidatingWebhookConfiguration", "kyverno-resource-validating-webhook-cfg")
    assert finding.message.startswith("Kyverno validate.kyverno.svc-fail denied 1 pod create(s) in meshed namespaces")
    assert finding.rendered_steps() == [
        "# exempt the mesh containers (istio-proxy, istio-init, linkerd-proxy, linkerd-init) or the namespace in "
        "the policy that denied, or make the policy accept the injected fields",
        "kubectl get clusterpolicies,policies -A   # Kyverno",
    ]
    assert plan_of(finding)["target"] == ref(
        "ValidatingWebhookConfiguration", "", "kyverno-resource-validating-webhook-cfg"
    )
    assert affects(finding) == [ns("shop")]
    [with_workload] = f.run(r.policy_engine_denies, objects + [WEB])
    assert affects(with_workload) == [ns("shop"), ref("Deployment", "shop", "web")]
    # a webhook no configuration in the snapshot holds: where to find it
    unknown = message.replace("validate.kyverno.svc-fail", "check.example.com")
    [elsewhere] = f.run(r.policy_engine_denies, f.istio_cp() + [shop(), f.event("shop", "ReplicaSet", "w", unknown)])
    assert elsewhere.rendered_steps()[1] == (
        "kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations"
        "   # the configuration that holds webhook check.example.com"
    )
    # not meshed and not about mesh containers: not ours
    other = 'Error creating: admission webhook "validate.kyverno.svc-fail" denied the request: no latest tags'
    assert (
        f.run(
            r.policy_engine_denies,
            f.istio_cp() + [f.namespace("batch"), vwc, f.event("batch", "ReplicaSet", "job-1", other)],
        )
        == []
    )
