"""SI104-SI107 (rules/selection_markers.py): the exact evidence, the plan each finding carries (its
operations with the value the diagnosis saw as precondition, risk and opt-in) and what it affects."""

from __future__ import annotations

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import selection_markers as markers
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.mesh_fixtures import (
    namespace,
    snapshot,
    workload,
)

ISTIO = standard_istio_webhooks("default")
LINKERD = standard_linkerd_webhooks()
RECREATE = (
    "# pods that already run keep their old spec until they are re-created; once this is applied, restart the "
    "workloads a new diagnosis lists under SI604 (remediate_restart_workloads)"
)
HINT = "# or with this collection: ansible-playbook meshops.sidecar_injection.remediate -i INVENTORY"


def run(rule, *objects):
    """The rule's own findings; a rule the engine skipped fails the test."""
    result = diagnose(snapshot(*objects), Options(), rules=[rule])
    assert result["skipped"] == [], result["skipped"]
    return [f.as_dict() for f in result["findings"] if f.code in rule.codes]


def ns(name):
    return {"kind": "Namespace", "namespace": "", "name": name}


def ref(kind, namespace, name):
    return {"kind": kind, "namespace": namespace, "name": name}


def template_op(op, kind, namespace, name, key, value=None, expect=None):
    """A pod-template label/annotation operation as the plan serialises it (expect None: absent)."""
    out = {"op": op, "target": ref(kind, namespace, name), "key": key, "scope": "template"}
    if op.startswith("set_"):
        out["value"] = value
    out.update(expect=expect, expect_absent=expect is None, risk="disruptive")
    return out


def metadata_op(op, name, key, value=None, expect=None):
    """A namespace label/annotation operation as the plan serialises it."""
    out = {"op": op, "target": ns(name), "key": key, "scope": "metadata"}
    if op.startswith("set_"):
        out["value"] = value
    out.update(expect=expect, expect_absent=expect is None, risk="safe")
    return out


def rollout_status(kind, namespace, name):
    return {
        "op": "inspect",
        "target": ref(kind, namespace, name),
        "args": ["rollout", "status", "%s/%s" % (kind.lower(), name), "-n", namespace],
        "why": "the changed template rolls the pods",
        "risk": "safe",
    }


# SI104 ---------------------------------------------------------------------------------------


def test_si104_wrong_metadata_types():
    objects = [
        ISTIO,
        LINKERD,
        namespace("a", {"linkerd.io/inject": "enabled"}),
        namespace("b", annotations={"config.linkerd.io/admission-webhooks": "disabled"}),
        namespace("c"),
        workload("Deployment", "web", "c", tmpl_annotations={"sidecar.istio.io/inject": "true"}),
        workload("Deployment", "api", "c", tmpl_labels={"config.linkerd.io/proxy-cpu-request": "100m"}),
        workload("Deployment", "ok", "c", tmpl_labels={"sidecar.istio.io/inject": "true"}),
    ]
    findings = run(markers.inject_marker_wrong_type, *objects)
    assert [(f["kind"], f["name"], f["mesh"]) for f in findings] == [
        ("Deployment", "api", "linkerd"),
        ("Deployment", "web", "istio"),
        ("Namespace", "a", "linkerd"),
        ("Namespace", "b", "linkerd"),
    ]
    web = findings[1]
    assert web["evidence"][0] == {
        "object": "Deployment c/web",
        "field": "spec.template.metadata.annotations.sidecar.istio.io/inject",
        "value": "true",
    }
    assert findings[2]["remediation"]["steps"][:2] == [
        "kubectl annotate namespace a linkerd.io/inject=enabled --overwrite",
        "kubectl label namespace a linkerd.io/inject-",
    ]


def test_si104_namespace_plans_move_the_marker_and_affect_the_namespace():
    objects = [
        LINKERD,
        namespace("a", {"linkerd.io/inject": "enabled"}),
        namespace("b", annotations={"config.linkerd.io/admission-webhooks": "disabled"}),
        workload("Deployment", "ledger", "a"),
    ]
    label, annotation = run(markers.inject_marker_wrong_type, *objects)
    plan = label["plan"]
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == ("label_namespace", ns("a"), "safe", [])
    assert plan["operations"][:2] == [
        metadata_op("set_annotation", "a", "linkerd.io/inject", "enabled"),
        metadata_op("remove_label", "a", "linkerd.io/inject", expect="enabled"),
    ]
    assert label["remediation"]["steps"] == [
        "kubectl annotate namespace a linkerd.io/inject=enabled --overwrite",
        "kubectl label namespace a linkerd.io/inject-",
        RECREATE,
        HINT + "   # action label_namespace, risk safe",
    ]
    assert label["affects"] == [ns("a"), ref("Deployment", "a", "ledger")]
    assert annotation["plan"]["operations"] == [
        metadata_op("set_label", "b", "config.linkerd.io/admission-webhooks", "disabled"),
        metadata_op("remove_annotation", "b", "config.linkerd.io/admission-webhooks", expect="disabled"),
    ]
    assert annotation["remediation"]["steps"][:2] == [
        "kubectl label namespace b config.linkerd.io/admission-webhooks=disabled --overwrite",
        "kubectl annotate namespace b config.linkerd.io/admission-webhooks-",
    ]
    assert annotation["affects"] == [ns("b")]


def test_si104_template_plans_patch_the_pod_template_or_fall_back_to_manual():
    objects = [
        ISTIO,
        LINKERD,
        namespace("c"),
        workload("Deployment", "web", "c", tmpl_annotations={"sidecar.istio.io/inject": "true"}),
        workload("Deployment", "api", "c", tmpl_labels={"config.linkerd.io/proxy-cpu-request": "100m"}),
        workload("Job", "once", "c", tmpl_annotations={"sidecar.istio.io/inject": "true"}),
    ]
    api, web, job = run(markers.inject_marker_wrong_type, *objects)
    assert web["plan"]["operations"] == [
        template_op("set_label", "Deployment", "c", "web", "sidecar.istio.io/inject", "true"),
        rollout_status("Deployment", "c", "web"),
    ]
    assert (web["plan"]["action"], web["plan"]["risk"], web["plan"]["opt_in"]) == (
        "label_namespace",
        "disruptive",
        ["remediate_restart_workloads"],
    )
    assert web["remediation"]["steps"] == [
        "kubectl patch deployment/web -n c --type merge -p "
        '\'{"spec":{"template":{"metadata":{"labels":{"sidecar.istio.io/inject":"true"}}}}}\'',
        "kubectl rollout status deployment/web -n c   # the changed template rolls the pods",
        HINT + " -e remediate_restart_workloads=true   # action label_namespace, risk disruptive",
    ]
    assert web["affects"] == [ref("Deployment", "c", "web"), ns("c")]
    assert api["plan"]["operations"][0] == template_op(
        "set_annotation", "Deployment", "c", "api", "config.linkerd.io/proxy-cpu-request", "100m"
    )
    # a Job's pod template is immutable: nothing remediation could run, so the plan is guidance
    assert (job["remediation"]["action"], job["plan"]["action"]) == ("label_namespace", "manual")
    assert job["remediation"]["steps"] == [
        "# set label sidecar.istio.io/inject=true in the manifest of job/once and re-create it (admission only "
        "runs when a pod is created)"
    ]
    assert job["affects"] == [ref("Job", "c", "once"), ns("c")]


# SI105 ---------------------------------------------------------------------------------------


def test_si105_marker_on_the_controller_or_namespace():
    objects = [
        ISTIO,
        namespace("shop", annotations={"sidecar.istio.io/inject": "true"}),
        workload("Deployment", "web", "shop", annotations={"sidecar.istio.io/inject": "false"}),
        workload("Deployment", "same", "shop", labels={"istio.io/rev": "x"}, tmpl_labels={"istio.io/rev": "x"}),
        workload("CronJob", "job", "shop", tmpl_labels={"istio-injection": "enabled"}),
    ]
    findings = run(markers.inject_marker_wrong_object, *objects)
    assert [(f["kind"], f["name"]) for f in findings] == [
        ("CronJob", "job"),
        ("Deployment", "web"),
        ("Namespace", "shop"),
    ]
    assert findings[1]["evidence"] == [
        {"object": "Deployment shop/web", "field": "metadata.annotations.sidecar.istio.io/inject", "value": "false"},
        {"object": "Deployment shop/web", "field": "spec.template.metadata.labels", "value": "<none>"},
    ]
    assert findings[2]["message"].startswith("Misplaced annotation: sidecar.istio.io/inject can only be applied to Pod")
    assert findings[0]["evidence"][0]["field"] == "spec.jobTemplate.spec.template.metadata.labels.istio-injection"


def test_si105_a_label_repeated_only_as_a_template_annotation_still_misses():
    """istio/istio#32853: the Deployment has the inject label, its template only the annotation, which
    is read once a webhook is called; no webhook selects the pod on an annotation, so SI105 stands.
    Repeated as a template label it works, and nothing is reported."""
    marker = {"sidecar.istio.io/inject": "true"}
    objects = [
        ISTIO,
        namespace("default"),
        workload("Deployment", "httpd", "default", labels=marker, tmpl_annotations=marker),
        workload("Deployment", "fine", "default", labels=marker, tmpl_labels=marker),
    ]
    [finding] = run(markers.inject_marker_wrong_object, *objects)
    assert (finding["kind"], finding["name"]) == ("Deployment", "httpd")
    assert finding["evidence"] == [
        {"object": "Deployment default/httpd", "field": "metadata.labels.sidecar.istio.io/inject", "value": "true"},
        {"object": "Deployment default/httpd", "field": "spec.template.metadata.labels", "value": "<none>"},
        {
            "object": "Deployment default/httpd",
            "field": "next pod",
            "value": "not_selected; a restart changes nothing: a pod created now is not selected for injection "
            "(SI105 inject-marker-wrong-object)",
        },
    ]


def test_si105_plans_move_the_marker_where_it_is_read():
    objects = [
        ISTIO,
        namespace("shop", annotations={"sidecar.istio.io/inject": "true"}),
        workload("Deployment", "web", "shop", annotations={"sidecar.istio.io/inject": "false"}),
        workload("CronJob", "job", "shop", tmpl_labels={"istio-injection": "enabled"}),
    ]
    cronjob, web, shop = run(markers.inject_marker_wrong_object, *objects)
    # the namespace ignores the pod marker: remove it, or (the alternative) use the namespace label instead
    assert shop["plan"]["action"] == "manual"
    assert shop["plan"]["operations"] == [
        metadata_op("remove_annotation", "shop", "sidecar.istio.io/inject", expect="true")
    ]
    [alternative] = shop["plan"]["alternatives"]
    assert alternative["operations"][:2] == [
        metadata_op("remove_annotation", "shop", "sidecar.istio.io/inject", expect="true"),
        metadata_op("set_label", "shop", "istio-injection", "enabled"),
    ]
    assert shop["remediation"]["steps"] == [
        "kubectl annotate namespace shop sidecar.istio.io/inject-",
        "# or: if namespace-wide injection was meant: istio-injection=enabled instead",
        "kubectl annotate namespace shop sidecar.istio.io/inject-",
        "kubectl label namespace shop istio-injection=enabled --overwrite",
        RECREATE,
    ]
    assert shop["affects"] == [ns("shop"), ref("CronJob", "shop", "job"), ref("Deployment", "shop", "web")]
    # the controller's own metadata never reaches the pods: the same marker on the pod template
    assert web["plan"]["operations"] == [
        template_op("set_label", "Deployment", "shop", "web", "sidecar.istio.io/inject", "false"),
        rollout_status("Deployment", "shop", "web"),
    ]
    assert (web["plan"]["risk"], web["plan"]["opt_in"]) == ("disruptive", ["remediate_restart_workloads"])
    assert web["affects"] == [ref("Deployment", "shop", "web"), ns("shop")]
    # a namespace label on a CronJob's template: removed from the jobTemplate, or moved to the namespace
    assert cronjob["plan"]["operations"][0] == template_op(
        "remove_label", "CronJob", "shop", "job", "istio-injection", expect="enabled"
    )
    assert cronjob["remediation"]["steps"][:2] == [
        "kubectl patch cronjob/job -n shop --type merge -p "
        '\'{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"labels":{"istio-injection":null}}}}}}}\'',
        "# the next Job gets it",
    ]
    [namespace_wide] = cronjob["plan"]["alternatives"]
    assert namespace_wide["reason"] == "if the whole namespace is meant: label it istio-injection=enabled"
    assert namespace_wide["operations"][0] == metadata_op("set_label", "shop", "istio-injection", "enabled")
    assert cronjob["affects"] == [ref("CronJob", "shop", "job"), ns("shop")]


# SI106 ---------------------------------------------------------------------------------------


def test_si106_invalid_values_with_their_effect():
    objects = [
        ISTIO,
        LINKERD,
        namespace("on", {"istio-injection": "enabled"}),
        namespace("typo", {"istio-injection": "true"}),
        namespace("lk", annotations={"linkerd.io/inject": "Enabled"}),
        workload("Deployment", "web", "on", tmpl_labels={"sidecar.istio.io/inject": "False"}),
        workload("Deployment", "ok", "on", tmpl_labels={"sidecar.istio.io/inject": "false"}),
    ]
    findings = run(markers.inject_marker_invalid_value, *objects)
    assert [(f["kind"], f["name"]) for f in findings] == [
        ("Deployment", "web"),
        ("Namespace", "lk"),
        ("Namespace", "typo"),
    ]
    assert findings[0]["message"] == (
        "deployment/web in namespace on has sidecar.istio.io/inject=False: Istio accepts exactly true or false, "
        "ignores this value and falls back to the default, so it is still injected"
    )
    assert findings[0]["remediation"]["steps"][0] == (
        "kubectl patch deployment/web -n on --type merge -p "
        '\'{"spec":{"template":{"metadata":{"labels":{"sidecar.istio.io/inject":"false"}}}}}\''
    )


def test_si106_plans_set_the_value_the_typo_meant():
    objects = [
        ISTIO,
        LINKERD,
        namespace("on", {"istio-injection": "enabled"}),
        namespace("typo", {"istio-injection": "true"}),
        namespace("off", {"istio-injection": "False"}),
        namespace("lk", annotations={"linkerd.io/inject": "Enabled"}),
        workload("Deployment", "web", "on", tmpl_labels={"sidecar.istio.io/inject": "False"}),
        workload("Deployment", "pay", "lk", tmpl_annotations={"linkerd.io/inject": "yes"}),
    ]
    findings = {(f["kind"], f["name"]): f for f in run(markers.inject_marker_invalid_value, *objects)}
    web = findings[("Deployment", "web")]
    assert web["plan"]["operations"] == [
        template_op("set_label", "Deployment", "on", "web", "sidecar.istio.io/inject", "false", expect="False"),
        rollout_status("Deployment", "on", "web"),
    ]
    assert (web["plan"]["action"], web["plan"]["risk"]) == ("manual", "disruptive")
    assert web["affects"] == [ref("Deployment", "on", "web"), ns("on")]
    pay = findings[("Deployment", "pay")]
    assert pay["plan"]["operations"][0] == template_op(
        "set_annotation", "Deployment", "lk", "pay", "linkerd.io/inject", "enabled", expect="yes"
    )
    # "true" meant enabled; "False" meant disabled; the other value is offered as the alternative
    typo = findings[("Namespace", "typo")]
    assert typo["plan"]["operations"][0] == metadata_op("set_label", "typo", "istio-injection", "enabled", "true")
    assert typo["plan"]["alternatives"][0]["operations"] == [
        metadata_op("set_label", "typo", "istio-injection", "disabled", "true")
    ]
    assert typo["remediation"]["steps"] == [
        "kubectl label namespace typo istio-injection=enabled --overwrite",
        RECREATE,
        "# or: set istio-injection=disabled",
        "kubectl label namespace typo istio-injection=disabled --overwrite",
    ]
    assert typo["affects"] == [ns("typo")]
    off = findings[("Namespace", "off")]
    assert off["plan"]["operations"] == [metadata_op("set_label", "off", "istio-injection", "disabled", "False")]
    lk = findings[("Namespace", "lk")]
    assert lk["plan"]["operations"][0] == metadata_op("set_annotation", "lk", "linkerd.io/inject", "enabled", "Enabled")
    assert lk["affects"] == [ns("lk"), ref("Deployment", "lk", "pay")]


# SI107 ---------------------------------------------------------------------------------------


def test_si107_opt_out_in_enabled_namespace_only():
    objects = [
        ISTIO,
        namespace("on", {"istio-injection": "enabled"}),
        namespace("off"),
        workload("Deployment", "batch", "on", tmpl_labels={"sidecar.istio.io/inject": "false"}),
        workload("Deployment", "other", "off", tmpl_labels={"sidecar.istio.io/inject": "false"}),
    ]
    [f] = run(markers.pod_opted_out, *objects)
    assert (f["code"], f["severity"], f["name"]) == ("SI107", "info", "batch")
    assert f["evidence"][0] == {
        "object": "Deployment on/batch",
        "field": "spec.template.metadata.labels.sidecar.istio.io/inject",
        "value": "false",
    }
    plan = f["plan"]
    assert (plan["action"], plan["target"], plan["risk"], plan["opt_in"]) == (
        "manual",
        ref("Deployment", "on", "batch"),
        "disruptive",
        ["remediate_restart_workloads"],
    )
    assert plan["operations"][1] == template_op(
        "remove_label", "Deployment", "on", "batch", "sidecar.istio.io/inject", expect="false"
    )
    assert f["remediation"]["steps"] == [
        "# nothing to do if the opt-out is intended; to mesh it:",
        "kubectl patch deployment/batch -n on --type merge -p "
        '\'{"spec":{"template":{"metadata":{"labels":{"sidecar.istio.io/inject":null}}}}}\'',
        "kubectl rollout status deployment/batch -n on   # the changed template rolls the pods",
    ]
    assert f["affects"] == [ref("Deployment", "on", "batch"), ns("on")]
