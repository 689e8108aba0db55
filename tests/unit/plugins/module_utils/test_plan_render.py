"""core/plan.py and core/kubectl.py: every operation kind rendered, exactly, and every line valid POSIX
shell (parsed by `sh -n`, dash on Debian). Running the rendered commands with real kubectl against
kubesim is tests/integration/controlplane/test_rendered_plans.py."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import kubectl
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    ABSENT,
    MUTATIONS,
    OPERATIONS,
    Operation,
    Plan,
    delete,
    external,
    inspect,
    note,
    patch,
    remove_annotation,
    remove_label,
    restart,
    scale,
    set_annotation,
    set_label,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef, namespace_ref

MWC = ObjectRef("MutatingWebhookConfiguration", "istio-sidecar-injector")
SECRET = ObjectRef("Secret", "linkerd-proxy-injector-k8s-tls", "linkerd")
WEB = ObjectRef("Deployment", "web", "shop")


def resync(source, key, names=("a.example.io", "b.example.io"), paths=("/webhooks/0", "/webhooks/2")):
    return Operation("resync_ca", MWC, source=source, source_key=key, webhooks=names, paths=paths, expect=("", "QUJD"))


def rotation():
    return Operation(
        "rotate_cert",
        ObjectRef("MutatingWebhookConfiguration", "linkerd-proxy-injector-webhook-config"),
        source=SECRET,
        source_key="tls.crt",
        webhooks=("linkerd-proxy-injector.linkerd.io",),
        paths=("/webhooks/0",),
        hosts=("linkerd-proxy-injector.linkerd.svc",),
        workloads=(ObjectRef("Deployment", "linkerd-proxy-injector", "linkerd"),),
    )


def one_of_each():
    """One operation of every kind plan.py knows (the test below counts them)."""
    return [
        set_label(namespace_ref("shop"), "istio-injection", "enabled"),
        remove_label(namespace_ref("shop"), "istio.io/rev", "canary"),
        set_annotation(WEB, "sidecar.istio.io/inject", "true", scope="template"),
        remove_annotation(WEB, "linkerd.io/inject", "disabled", scope="template"),
        patch(MWC, "/webhooks/0/failurePolicy", "Fail", "Ignore", guards=[("/webhooks/0/name", "a.example.io")]),
        resync(ObjectRef("ConfigMap", "istio-ca-root-cert", "istio-system"), "root-cert.pem"),
        rotation(),
        restart([WEB]),
        Operation("delete_pods", ObjectRef("ReplicaSet", "web-5d8f", "shop"), names=("web-5d8f-a", "web-5d8f-b")),
        Operation("create", ObjectRef("NetworkPolicy", "allow", "istio-system"), manifest={"kind": "NetworkPolicy"}),
        scale(ObjectRef("Deployment", "istiod", "istio-system"), 1, 0),
        delete(MWC),
        inspect(MWC, "get", "mutatingwebhookconfiguration", MWC.name, pipe="base64 -d"),
        external("linkerd upgrade", into=("apply", "-f", "-")),
        note("guidance"),
    ]


def test_every_operation_kind_is_covered_and_knows_whether_it_mutates():
    ops = one_of_each()
    assert sorted(op.op for op in ops) == sorted(OPERATIONS)
    assert len(OPERATIONS) == 15 and len(MUTATIONS) == 12
    assert [op.op for op in ops if op.mutates] == [op for op in OPERATIONS if op in MUTATIONS]


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_every_rendered_line_is_valid_posix_shell():
    lines = kubectl.render(Plan("manual", MWC, one_of_each()))
    assert len(lines) == 25
    for line in lines:
        result = subprocess.run(["sh", "-n"], input=line, text=True, capture_output=True, check=False)
        assert result.returncode == 0, (line, result.stderr)


def test_metadata_operations():
    assert kubectl.render_operation(set_label(namespace_ref("shop"), "istio-injection", "enabled")) == [
        "kubectl label namespace shop istio-injection=enabled --overwrite"
    ]
    assert kubectl.render_operation(remove_label(MWC, "istio.io/rev", "1-20", why="no revision")) == [
        "kubectl label mutatingwebhookconfiguration istio-sidecar-injector istio.io/rev-   # no revision"
    ]
    assert kubectl.render_operation(set_annotation(WEB, "sidecar.istio.io/inject", "true", scope="template")) == [
        "kubectl patch deployment/web -n shop --type merge -p "
        '\'{"spec":{"template":{"metadata":{"annotations":{"sidecar.istio.io/inject":"true"}}}}}\''
    ]
    cron = ObjectRef("CronJob", "nightly", "shop")
    assert kubectl.render_operation(remove_annotation(cron, "linkerd.io/inject", "disabled", scope="template")) == [
        "kubectl patch cronjob/nightly -n shop --type merge -p "
        '\'{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":{"linkerd.io/inject":null}}}}}}}\''
    ]


def test_json_patch_tests_guards_and_the_seen_value_first():
    op = patch(MWC, "/webhooks/1/timeoutSeconds", 10, 3, guards=[("/webhooks/1/name", "b.example.io")], why="raise it")
    [line] = kubectl.render_operation(op)
    assert line == (
        "kubectl patch mutatingwebhookconfiguration istio-sidecar-injector --type json -p "
        '\'[{"op":"test","path":"/webhooks/1/name","value":"b.example.io"},'
        '{"op":"test","path":"/webhooks/1/timeoutSeconds","value":3},'
        '{"op":"replace","path":"/webhooks/1/timeoutSeconds","value":10}]\'   # raise it'
    )
    assert kubectl.json_patch(patch(WEB, "/spec/template/spec/hostNetwork", True)) == [
        {"op": "add", "path": "/spec/template/spec/hostNetwork", "value": True}
    ]
    assert kubectl.json_patch(patch(WEB, "/spec/paused", None, True)) == [
        {"op": "test", "path": "/spec/paused", "value": True},
        {"op": "remove", "path": "/spec/paused"},
    ]


def test_consecutive_json_patches_of_one_object_are_one_request():
    guard0, guard1 = ("/webhooks/0/name", "a.example.io"), ("/webhooks/1/name", "b.example.io")
    ops = [
        patch(MWC, "/webhooks/0/failurePolicy", "Fail", "Ignore", guards=[guard0], why="fail closed"),
        patch(MWC, "/webhooks/1/failurePolicy", "Fail", "Ignore", guards=[guard1], why="fail closed"),
        note("between"),
        patch(MWC, "/webhooks/1/timeoutSeconds", 10, ABSENT, guards=[guard1]),
    ]
    first, between, last = kubectl.render_operations(ops)
    words = shlex.split(first.split("   # ")[0])
    assert words[:6] == ["kubectl", "patch", "mutatingwebhookconfiguration", "istio-sidecar-injector", "--type", "json"]
    assert json.loads(words[7]) == [
        {"op": "test", "path": "/webhooks/0/name", "value": "a.example.io"},
        {"op": "test", "path": "/webhooks/0/failurePolicy", "value": "Ignore"},
        {"op": "test", "path": "/webhooks/1/name", "value": "b.example.io"},
        {"op": "test", "path": "/webhooks/1/failurePolicy", "value": "Ignore"},
        {"op": "replace", "path": "/webhooks/0/failurePolicy", "value": "Fail"},
        {"op": "replace", "path": "/webhooks/1/failurePolicy", "value": "Fail"},
    ]
    assert first.endswith("   # fail closed")  # one comment for the same reason
    assert between == "# between"
    assert json.loads(shlex.split(last)[7]) == [
        {"op": "test", "path": "/webhooks/1/name", "value": "b.example.io"},
        {"op": "add", "path": "/webhooks/1/timeoutSeconds", "value": 10},
    ]


def test_resync_from_a_configmap_encodes_and_from_a_secret_does_not():
    cm = kubectl.render_operation(resync(ObjectRef("ConfigMap", "istio-ca-root-cert", "istio-system"), "root-cert.pem"))
    assert cm[0] == (
        "CA_BUNDLE=$(kubectl get configmap/istio-ca-root-cert -n istio-system -o "
        "'jsonpath={.data.root-cert\\.pem}' | base64 | tr -d '\\n')   # the CA the webhooks must trust: "
        "ConfigMap istio-system/istio-ca-root-cert key root-cert.pem"
    )
    assert cm[1] == (
        '[ -n "$CA_BUNDLE" ] && kubectl patch mutatingwebhookconfiguration istio-sidecar-injector --type json -p '
        '"[{\\"op\\":\\"test\\",\\"path\\":\\"/webhooks/0/name\\",\\"value\\":\\"a.example.io\\"},'
        '{\\"op\\":\\"test\\",\\"path\\":\\"/webhooks/2/name\\",\\"value\\":\\"b.example.io\\"},'
        '{\\"op\\":\\"add\\",\\"path\\":\\"/webhooks/0/clientConfig/caBundle\\",\\"value\\":\\"$CA_BUNDLE\\"},'
        '{\\"op\\":\\"add\\",\\"path\\":\\"/webhooks/2/clientConfig/caBundle\\",\\"value\\":\\"$CA_BUNDLE\\"}]"'
    )
    secret = kubectl.render_operation(resync(SECRET, "ca.crt", names=("x.io",), paths=("/webhooks/0",)))
    assert secret[0].startswith(
        "CA_BUNDLE=$(kubectl get secret/linkerd-proxy-injector-k8s-tls -n linkerd -o 'jsonpath={.data.ca\\.crt}')   #"
    )


def test_resync_patch_expands_only_the_bundle_variable():
    """What the shell hands kubectl: the JSON document with $CA_BUNDLE substituted, nothing else."""
    line = kubectl.render_operation(resync(SECRET, "ca.crt"))[1]
    script = "CA_BUNDLE=QUJD; kubectl() { printf '%s\\n' \"$@\"; }; " + line
    out = subprocess.run(["sh", "-c", script], text=True, capture_output=True, check=True).stdout.splitlines()
    assert out[:5] == ["patch", "mutatingwebhookconfiguration", "istio-sidecar-injector", "--type", "json"]
    assert json.loads(out[6])[-1] == {"op": "add", "path": "/webhooks/2/clientConfig/caBundle", "value": "QUJD"}
    empty = subprocess.run(
        ["sh", "-c", script.replace("CA_BUNDLE=QUJD", "CA_BUNDLE=")], text=True, capture_output=True, check=False
    )
    assert (empty.returncode, empty.stdout) == (1, "")  # a failed read never blanks a bundle


def test_rotation_makes_a_self_signed_certificate_without_the_key_on_a_command_line():
    lines = kubectl.render_operation(rotation())
    assert lines[1] == (
        "(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "
        "/CN=linkerd-proxy-injector.linkerd.svc -addext subjectAltName=DNS:linkerd-proxy-injector.linkerd.svc "
        "-keyout tls.key -out tls.crt)"
    )
    assert lines[2].startswith('printf \'{"data":{"tls.crt":"%s","tls.key":"%s"}}\' ')
    assert lines[3] == (
        "kubectl patch secret/linkerd-proxy-injector-k8s-tls -n linkerd --type merge --patch-file secret-patch.json"
    )
    assert lines[4].startswith("rm -f tls.key secret-patch.json")
    assert lines[5] == "CA_BUNDLE=$(base64 < tls.crt | tr -d '\\n')   # the new certificate is its own CA"
    assert lines[6].startswith('[ -n "$CA_BUNDLE" ] && kubectl patch mutatingwebhookconfiguration ')
    assert lines[7:] == [
        "kubectl rollout restart deployment/linkerd-proxy-injector -n linkerd   # serve the new certificate",
        "kubectl rollout status deployment/linkerd-proxy-injector -n linkerd",
    ]
    assert not any("<(" in line for line in lines)  # no bash process substitution


def test_restarts_deletes_scale_create_inspect_external_note():
    assert kubectl.render_operation(restart([WEB, ObjectRef("CronJob", "nightly", "shop")], why="re-admit")) == [
        "kubectl rollout restart deployment/web -n shop   # re-admit",
        "kubectl rollout status deployment/web -n shop",
        "kubectl create job nightly-rerun --from=cronjob/nightly -n shop   # the next scheduled Job gets the new "
        "decision anyway; this runs one now",
    ]
    assert kubectl.render_operation(scale(ObjectRef("Deployment", "istiod", "istio-system"), 1, 0)) == [
        "kubectl scale deployment/istiod -n istio-system --current-replicas=0 --replicas=1"
    ]
    assert kubectl.render_operation(delete(MWC, why="if unused")) == [
        "kubectl delete mutatingwebhookconfiguration istio-sidecar-injector   # if unused"
    ]
    [create] = kubectl.render_operation(
        Operation("create", ObjectRef("NetworkPolicy", "allow", "ns"), manifest={"kind": "NetworkPolicy"}, why="x")
    )
    assert create == 'kubectl create -f - <<\'EOF\'   # x\n{\n  "kind": "NetworkPolicy"\n}\nEOF'
    assert kubectl.render_operation(
        inspect(MWC, "get", "mutatingwebhookconfiguration", "x", "-o", "jsonpath={.webhooks[0].name}", pipe="wc -c")
    ) == ["kubectl get mutatingwebhookconfiguration x -o 'jsonpath={.webhooks[0].name}' | wc -c"]
    assert kubectl.render_operation(external("linkerd upgrade", why="CLI", into=("apply", "-f", "-"))) == [
        "linkerd upgrade | kubectl apply -f -   # CLI"
    ]
    assert kubectl.render_operation(external("istioctl x precheck")) == ["istioctl x precheck"]
    assert kubectl.render_operation(note("read this")) == ["# read this"]


def test_plan_risk_opt_in_alternatives_and_hint():
    fail_closed = patch(MWC, "/webhooks/0/failurePolicy", "Fail", "Ignore", risk="disruptive")
    fail_open = patch(MWC, "/webhooks/0/failurePolicy", "Ignore", "Fail", risk="weakens-safety")
    plan = Plan(
        "set_webhook",
        MWC,
        [note("first"), fail_closed],
        alternatives=[Plan("manual", MWC, [fail_open], reason="fail open")],
    )
    assert (plan.risk, plan.opt_in, plan.executable) == ("disruptive", ("remediate_webhooks",), True)
    assert plan.alternatives[0].opt_in == ("remediate_allow_fail_open",)
    lines = kubectl.render(plan)
    assert lines[0] == "# first"
    assert lines[2] == "# or: fail open"
    assert lines[-1] == (
        "# or with this collection: ansible-playbook meshops.sidecar_injection.remediate -i INVENTORY "
        "-e remediate_webhooks=true   # action set_webhook, risk disruptive"
    )
    assert kubectl.render(Plan("manual", MWC, [fail_open]))[-1].startswith("kubectl patch")  # manual: no hint


def test_risk_of_each_kind():
    template_patch = patch(WEB, "/spec/template/spec/hostNetwork", True)
    assert (template_patch.rolls_pods, template_patch.risk_of()) == (True, "disruptive")
    assert patch(MWC, "/webhooks/0/timeoutSeconds", 10).rolls_pods is False
    assert scale(WEB, 1, 0).risk_of() == "safe" and scale(WEB, 0, 2).risk_of() == "disruptive"
    assert delete(MWC).risk_of() == "disruptive" and rotation().risk_of() == "disruptive"
    assert Plan("restart_workload", WEB, [restart([WEB])]).opt_in == ("remediate_restart_workloads",)  # once


def test_as_dict_of_the_new_kinds():
    assert scale(WEB, 1, 0).as_dict() == {
        "op": "scale",
        "target": {"kind": "Deployment", "namespace": "shop", "name": "web"},
        "value": 1,
        "expect": 0,
        "expect_absent": False,
        "risk": "safe",
    }
    assert resync(SECRET, "ca.crt").as_dict()["expect"] == ["", "QUJD"]
    assert delete(MWC).as_dict() == {
        "op": "delete",
        "target": {"kind": "MutatingWebhookConfiguration", "namespace": "", "name": "istio-sidecar-injector"},
        "risk": "disruptive",
    }
    assert inspect(MWC, "get", "x", pipe="wc -c").as_dict()["pipe"] == "wc -c"
    assert external("linkerd upgrade", into=("apply", "-f", "-")).as_dict()["args"] == ["apply", "-f", "-"]
