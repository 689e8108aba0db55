"""SI109-SI111 (rules/selection_injectors.py): the exact evidence, the plan each finding carries and the
workloads it affects."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import selection_injectors as injectors
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    hook,
    istio_injector_cm,
    istiod,
    mwc,
    namespace,
    snapshot,
    workload,
)

ISTIO = standard_istio_webhooks("default")
LINKERD = standard_linkerd_webhooks()
NOWHERE = {"kind": "", "namespace": "", "name": ""}  # the target of notes and other tools' commands
AUTO_INJECT = [
    "istioctl install --set values.global.proxy.autoInject=enabled",
    "helm upgrade istiod istio/istiod -n istio-system --reuse-values --set global.proxy.autoInject=enabled"
    "   # if Istio was installed with Helm",
]


def run(rule, *objects):
    """The rule's own findings; a rule the engine skipped fails the test."""
    result = diagnose(snapshot(*objects), Options(), rules=[rule])
    assert result["skipped"] == [], result["skipped"]
    return [f.as_dict() for f in result["findings"] if f.code in rule.codes]


def ref(kind, namespace, name):
    return {"kind": kind, "namespace": namespace, "name": name}


def ns(name):
    return ref("Namespace", "", name)


def label_template(kind, namespace, name, value):
    return {
        "op": "set_label",
        "target": ref(kind, namespace, name),
        "key": "sidecar.istio.io/inject",
        "scope": "template",
        "value": value,
        "expect": None,
        "expect_absent": True,
        "risk": "disruptive",
    }


def patch_line(kind, namespace, name, value):
    return (
        "kubectl patch %s/%s -n %s --type merge -p "
        '\'{"spec":{"template":{"metadata":{"labels":{"sidecar.istio.io/inject":"%s"}}}}}\''
        % (kind.lower(), name, namespace, value)
    )


def status_line(kind, namespace, name):
    return "kubectl rollout status %s/%s -n %s   # the changed template rolls the pods" % (
        kind.lower(),
        name,
        namespace,
    )


# SI109 ---------------------------------------------------------------------------------------


def test_si109_host_network_only_when_a_webhook_is_called():
    objects = [
        ISTIO,
        namespace("on", {"istio-injection": "enabled"}),
        namespace("off"),
        workload("DaemonSet", "exporter", "on", hostNetwork=True),
        workload("DaemonSet", "other", "off", hostNetwork=True),
    ]
    [f] = run(injectors.hostnetwork_not_injected, *objects)
    assert (f["name"], f["severity"]) == ("exporter", "info")
    assert f["evidence"] == [
        {"object": "DaemonSet on/exporter", "field": "spec.template.spec.hostNetwork", "value": True}
    ]


def test_si109_istio_plan_keeps_the_webhook_from_being_called_linkerd_has_nothing_to_do():
    objects = [
        ISTIO,
        namespace("on", {"istio-injection": "enabled"}),
        workload("DaemonSet", "exporter", "on", hostNetwork=True),
    ]
    [f] = run(injectors.hostnetwork_not_injected, *objects)
    plan = f["plan"]
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == (
        "manual",
        ref("DaemonSet", "on", "exporter"),
        "disruptive",
        ["remediate_restart_workloads"],
    )
    assert plan["operations"][1] == label_template("DaemonSet", "on", "exporter", "false")
    assert f["remediation"]["steps"] == [
        '# expected; label the pod template sidecar.istio.io/inject="false" so the webhook is not called at all '
        "(then an unavailable istiod cannot block these pods):",
        patch_line("DaemonSet", "on", "exporter", "false"),
        status_line("DaemonSet", "on", "exporter"),
    ]
    assert f["affects"] == [ref("DaemonSet", "on", "exporter"), ns("on")]
    linkerd = [
        LINKERD,
        namespace("web", annotations={"linkerd.io/inject": "enabled"}),
        workload("DaemonSet", "agent", "web", hostNetwork=True),
    ]
    [g] = run(injectors.hostnetwork_not_injected, *linkerd)
    assert g["plan"]["operations"] == [
        {
            "op": "note",
            "target": NOWHERE,
            "text": "nothing to do: Linkerd never injects host-network pods",
            "risk": "safe",
        }
    ]
    assert g["affects"] == [ref("DaemonSet", "web", "agent"), ns("web")]


# SI110 ---------------------------------------------------------------------------------------


def test_si110_invalid_policy_disabled_policy_and_never_selector():
    objects = [
        ISTIO,
        istio_injector_cm(policy="Enabled", never=[{"matchLabels": {"app": "legacy"}}]),
        namespace("on", {"istio-injection": "enabled"}),
        workload("Deployment", "web", "on"),
    ]
    [f] = run(injectors.injector_policy_excludes, *objects)
    assert (f["kind"], f["namespace"], f["name"], f["severity"]) == (
        "ConfigMap",
        "istio-system",
        "istio-sidecar-injector",
        "error",
    )
    assert f["evidence"][0] == {
        "object": "ConfigMap istio-system/istio-sidecar-injector",
        "field": "data.config policy",
        "value": "Enabled",
    }
    never = [
        ISTIO,
        istio_injector_cm(never=[{"matchLabels": {"app": "legacy"}}]),
        namespace("on", {"istio-injection": "enabled"}),
        workload("Deployment", "old", "on", tmpl_labels={"app": "legacy"}),
        workload("Deployment", "new", "on"),
    ]
    [g] = run(injectors.injector_policy_excludes, *never)
    assert (g["kind"], g["name"], g["severity"]) == ("Deployment", "old", "warning")
    assert g["message"] == (
        "deployment/old in namespace on is not injected: pod labels match neverInjectSelector "
        "app=legacy of istio-sidecar-injector"
    )
    disabled = [ISTIO, istio_injector_cm(policy="disabled"), namespace("on", {"istio-injection": "enabled"})]
    assert run(injectors.injector_policy_excludes, *disabled) == []  # nothing relies on it


def test_si110_invalid_policy_plan_turns_injection_on_and_restarts_the_revisions_istiod():
    objects = [
        ISTIO,
        istiod(),
        istio_injector_cm(policy="Enabled"),
        namespace("on", {"istio-injection": "enabled"}),
        workload("Deployment", "web", "on"),
    ]
    [f] = run(injectors.injector_policy_excludes, *objects)
    plan = f["plan"]
    assert (plan["action"], plan["target"]) == ("manual", ref("ConfigMap", "istio-system", "istio-sidecar-injector"))
    assert plan["operations"][2] == {
        "op": "restart",
        "target": ref("Deployment", "istio-system", "istiod"),
        "workloads": [ref("Deployment", "istio-system", "istiod")],
        "why": "istiod reads the ConfigMap",
        "risk": "disruptive",
    }
    assert f["remediation"]["steps"] == AUTO_INJECT + [
        "kubectl rollout restart deployment/istiod -n istio-system   # istiod reads the ConfigMap",
        "kubectl rollout status deployment/istiod -n istio-system",
    ]
    assert f["affects"] == [ref("Deployment", "on", "web"), ns("on")]
    # no workload relies on the revision: the ConfigMap and its namespace; no istiod seen: said, not run
    [bare] = run(injectors.injector_policy_excludes, ISTIO, istio_injector_cm(policy="Enabled"), namespace("x"))
    assert bare["affects"] == [ref("ConfigMap", "istio-system", "istio-sidecar-injector"), ns("istio-system")]
    assert bare["remediation"]["steps"][2] == "# then restart istiod of revision default: it reads the ConfigMap"


def test_si110_disabled_policy_plan_opts_the_workloads_in_or_turns_injection_on():
    objects = [
        ISTIO,
        istio_injector_cm(policy="disabled"),
        namespace("on", {"istio-injection": "enabled"}),
        workload("Deployment", "web", "on"),
        workload("StatefulSet", "db", "on"),
    ]
    [f] = run(injectors.injector_policy_excludes, *objects)
    plan = f["plan"]
    assert [op["op"] for op in plan["operations"]] == ["note", "set_label", "inspect", "set_label", "inspect"]
    assert plan["operations"][1] == label_template("Deployment", "on", "web", "true")
    assert plan["operations"][3] == label_template("StatefulSet", "on", "db", "true")
    assert plan["alternatives"][0]["reason"] == "set values.global.proxy.autoInject=enabled in the Istio install"
    assert f["remediation"]["steps"][-4:] == [
        "# or: set values.global.proxy.autoInject=enabled in the Istio install"
    ] + AUTO_INJECT + ["# then restart istiod of revision default: it reads the ConfigMap"]
    assert f["affects"] == [ref("Deployment", "on", "web"), ref("StatefulSet", "on", "db"), ns("on")]


def test_si110_never_inject_selector_plan_opts_the_workload_in_explicitly():
    never = [
        ISTIO,
        istio_injector_cm(never=[{"matchLabels": {"app": "legacy"}}]),
        namespace("on", {"istio-injection": "enabled"}),
        workload("Deployment", "old", "on", tmpl_labels={"app": "legacy"}),
    ]
    [g] = run(injectors.injector_policy_excludes, *never)
    assert g["plan"]["operations"][0] == label_template("Deployment", "on", "old", "true")
    assert (g["plan"]["action"], g["plan"]["risk"]) == ("manual", "disruptive")
    assert g["remediation"]["steps"] == [
        patch_line("Deployment", "on", "old", "true"),
        status_line("Deployment", "on", "old"),
        "# or: stop excluding it",
        "# remove the matching entry from values.sidecarInjectorWebhook.neverInjectSelector in the Istio install "
        "(istioctl install / helm upgrade), or change the workload's labels",
    ]
    assert g["affects"] == [ref("Deployment", "on", "old"), ns("on")]


# SI111 ---------------------------------------------------------------------------------------


def test_si111_overlapping_configurations_and_cross_mesh_workloads():
    overlap = [
        mwc(
            "a",
            [
                {
                    "name": "a.sidecar-injector.istio.io",
                    "namespaceSelector": {"matchLabels": {"istio-injection": "enabled"}},
                }
            ],
        ),
        mwc(
            "b",
            [
                {
                    "name": "b.sidecar-injector.istio.io",
                    "namespaceSelector": {"matchLabels": {"istio-injection": "enabled"}},
                }
            ],
        ),
    ]
    findings = run(injectors.multiple_injectors, *overlap)
    assert [f["message"] for f in findings] == [
        "Webhook overlaps with others: [b/b.sidecar-injector.istio.io]. This may cause injection to occur twice.",
        "Webhook overlaps with others: [a/a.sidecar-injector.istio.io]. This may cause injection to occur twice.",
    ]
    assert findings[0]["evidence"][0]["value"] == (
        "namespace labels {istio-injection=enabled} + pod labels {<none>} select it and b/b.sidecar-injector.istio.io"
    )
    # webhooks without pod rules decide no pod: nothing is affected (yet)
    assert [f["affects"] for f in findings] == [[], []]
    both = [
        ISTIO,
        LINKERD,
        namespace("both", {"istio-injection": "enabled"}, {"linkerd.io/inject": "enabled"}),
        workload("Deployment", "web", "both"),
    ]
    [f] = run(injectors.multiple_injectors, *both)
    assert (f["kind"], f["name"], f["mesh"]) == ("Namespace", "both", "any")
    assert f["evidence"][0]["value"] == [
        "istio-sidecar-injector/namespace.sidecar-injector.istio.io",
        "linkerd-proxy-injector-webhook-config/linkerd-proxy-injector.linkerd.io",
    ]
    assert run(injectors.multiple_injectors, ISTIO, istiod(), namespace("n", {"istio-injection": "enabled"})) == []


def test_si111_overlap_plan_and_the_workloads_the_configuration_decides():
    selected = {"matchLabels": {"istio-injection": "enabled"}}
    objects = [
        mwc("a", [hook("a.sidecar-injector.istio.io", ns_sel=selected)]),
        mwc("b", [hook("b.sidecar-injector.istio.io", ns_sel=selected)], labels={"istio.io/rev": "canary"}),
        istio_injector_cm(),
        istio_injector_cm("canary"),
        namespace("on", {"istio-injection": "enabled"}),
        workload("Deployment", "web", "on"),
    ]
    a, b = run(injectors.multiple_injectors, *objects)
    assert a["plan"]["target"] == ref("MutatingWebhookConfiguration", "", "a")
    assert a["remediation"]["steps"] == [
        "kubectl get mutatingwebhookconfiguration a -o yaml   # which revision it serves",
        "istioctl tag set default --revision default --overwrite   # revision default serves the default tag; "
        "deactivates the old istio-sidecar-injector webhooks",
        "# or delete MutatingWebhookConfiguration a if its revision was removed",
    ]
    assert b["plan"]["operations"][1]["command"] == "istioctl tag set default --revision canary --overwrite"
    assert a["affects"] == b["affects"] == [ref("Deployment", "on", "web"), ns("on")]


def test_si111_cross_mesh_plan_removes_one_marker_then_recreates_the_pods():
    both = [
        ISTIO,
        LINKERD,
        namespace("both", {"istio-injection": "enabled"}, {"linkerd.io/inject": "enabled"}),
        workload("Deployment", "web", "both"),
    ]
    [f] = run(injectors.multiple_injectors, *both)
    plan = f["plan"]
    assert (plan["action"], plan["target"], plan["risk"]) == ("manual", ns("both"), "disruptive")
    assert plan["operations"][1:] == [
        {
            "op": "remove_label",
            "target": ns("both"),
            "key": "istio-injection",
            "scope": "metadata",
            "expect": "enabled",
            "expect_absent": False,
            "risk": "safe",
        },
        {
            "op": "restart",
            "target": ref("Deployment", "both", "web"),
            "workloads": [ref("Deployment", "both", "web")],
            "risk": "disruptive",
        },
    ]
    [linkerd_out] = plan["alternatives"]
    assert linkerd_out["reason"] == "remove linkerd.io/inject=enabled"
    assert linkerd_out["operations"][0]["op"] == "remove_annotation"
    assert f["remediation"]["steps"] == [
        "# decide which mesh or revision owns namespace both and remove the other marker:",
        "kubectl label namespace both istio-injection-",
        "kubectl rollout restart deployment/web -n both",
        "kubectl rollout status deployment/web -n both",
        "# or: remove linkerd.io/inject=enabled",
        "kubectl annotate namespace both linkerd.io/inject-",
        "kubectl rollout restart deployment/web -n both",
        "kubectl rollout status deployment/web -n both",
    ]
    assert f["affects"] == [ref("Deployment", "both", "web"), ns("both")]
