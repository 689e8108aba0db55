# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that turns a Plan into the shell steps a person runs (kubectl, and the other tools'
commands the plan names). Every line is valid POSIX shell; the tests run them with real kubectl.

JSON patches carry the diagnosis' preconditions as `test` operations (the webhook at that index is
still the one judged, the field still holds what was seen), so a step printed yesterday fails
loudly instead of changing the wrong webhook today.
"""

from __future__ import annotations

import json
import shlex
from typing import Any, Dict, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import ABSENT, Operation, Plan
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ROLLOUT_KINDS, ObjectRef

# kubectl's resource names for the kinds plans touch.
RESOURCE = {
    "MutatingWebhookConfiguration": "mutatingwebhookconfiguration",
    "ValidatingWebhookConfiguration": "validatingwebhookconfiguration",
    "NetworkPolicy": "networkpolicy",
}
TEMPLATE_PATH = {"CronJob": ("spec", "jobTemplate", "spec", "template")}


def resource_name(kind: str) -> str:
    return RESOURCE.get(kind, kind.lower())


def _object(ref: ObjectRef) -> List[str]:
    """`namespace shop`, `deployment/web -n shop`, `mutatingwebhookconfiguration istio-sidecar-injector`."""
    if ref.namespace:
        return ["%s/%s" % (resource_name(ref.kind), ref.name), "-n", ref.namespace]
    return [resource_name(ref.kind), ref.name]


def _line(words: List[str], why: str = "") -> str:
    text = " ".join(shlex.quote(w) for w in words)
    return text + ("   # " + why if why else "")


def pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) from path parts: `sidecar.istio.io/inject` becomes `sidecar.istio.io~1inject`."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def json_patch(op: Operation) -> List[Dict[str, Any]]:
    """The RFC 6902 document of a json_patch operation, preconditions first."""
    doc: List[Dict[str, Any]] = [{"op": "test", "path": path, "value": value} for path, value in op.guards]
    if op.expect is not ABSENT:
        doc.append({"op": "test", "path": op.path, "value": op.expect})
    if op.value is None:
        doc.append({"op": "remove", "path": op.path})
    else:
        doc.append({"op": "replace" if op.expect is not ABSENT else "add", "path": op.path, "value": op.value})
    return doc


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def _metadata_op(op: Operation) -> List[str]:
    section = "labels" if op.op.endswith("_label") else "annotations"
    value = op.value if op.op.startswith("set_") else None
    if op.scope == "template":
        body: Dict[str, Any] = {"metadata": {section: {op.key: value}}}
        for part in reversed(TEMPLATE_PATH.get(op.target.kind, ("spec", "template"))):
            body = {part: body}
        return [_line(["kubectl", "patch"] + _object(op.target) + ["--type", "merge", "-p", _compact(body)], op.why)]
    verb = "label" if section == "labels" else "annotate"
    change = "%s=%s" % (op.key, value) if value is not None else "%s-" % op.key
    words = ["kubectl", verb] + _object(op.target) + [change]
    if value is not None:
        words.append("--overwrite")
    return [_line(words, op.why)]


def _restart(op: Operation) -> List[str]:
    out: List[str] = []
    for ref in op.workloads:
        if ref.kind in ROLLOUT_KINDS:
            target = ["%s/%s" % (resource_name(ref.kind), ref.name), "-n", ref.namespace]
            out.append(_line(["kubectl", "rollout", "restart"] + target, op.why))
            out.append(_line(["kubectl", "rollout", "status"] + target))
        elif ref.kind == "CronJob":
            out.append(
                _line(
                    [
                        "kubectl",
                        "create",
                        "job",
                        "%s-rerun" % ref.name,
                        "--from=cronjob/%s" % ref.name,
                        "-n",
                        ref.namespace,
                    ],
                    "the next scheduled Job gets the new decision anyway; this runs one now",
                )
            )
        else:
            out.append("# %s has no rollout: its pods must be re-created (see the delete step)" % ref.text())
    return out


def render_operation(op: Operation) -> List[str]:
    if op.op in ("set_label", "remove_label", "set_annotation", "remove_annotation"):
        return _metadata_op(op)
    if op.op == "json_patch":
        words = ["kubectl", "patch"] + _object(op.target) + ["--type", "json", "-p", _compact(json_patch(op))]
        return [_line(words, op.why)]
    if op.op == "restart":
        return _restart(op)
    if op.op == "delete_pods":
        words = ["kubectl", "delete", "pod", "-n", op.target.namespace] + list(op.names)
        return [_line(words, op.why or "%s re-creates them" % op.target.text())]
    if op.op == "create":
        manifest = json.dumps(op.manifest, indent=2, sort_keys=False)
        return ["kubectl apply -f - <<'EOF'" + ("   # " + op.why if op.why else "") + "\n" + manifest + "\nEOF"]
    if op.op == "resync_ca":
        return _render_resync(op)
    if op.op == "rotate_cert":
        return _render_rotation(op)
    if op.op == "inspect":
        return [_line(["kubectl"] + list(op.args), op.why)]
    if op.op == "external":
        return [op.command + ("   # " + op.why if op.why else "")]
    return ["# " + op.text]


def _render_resync(op: Operation) -> List[str]:
    source = op.source or op.target
    key = op.source_key.replace(".", "\\.")
    read = [
        "kubectl",
        "get",
        resource_name(source.kind),
        source.name,
        "-n",
        source.namespace,
        "-o",
        "jsonpath={.data.%s}" % key,
    ]
    # A ConfigMap holds PEM text (caBundle wants it base64-encoded); a Secret's data is base64 already.
    encode = " | base64 | tr -d '\\n'" if source.kind == "ConfigMap" else ""
    out = ["CA_BUNDLE=$(%s%s)   # the CA the webhooks must trust (%s)" % (_line(read), encode, source.text())]
    for path_name, index_path in zip(op.webhooks, op.paths):
        # The patch is built by the shell so the CA can be inserted; the webhook name is tested first.
        out.append(
            "kubectl patch %s %s --type json -p "
            '"[{\\"op\\":\\"test\\",\\"path\\":\\"%s/name\\",\\"value\\":\\"%s\\"},'
            '{\\"op\\":\\"add\\",\\"path\\":\\"%s/clientConfig/caBundle\\",\\"value\\":\\"$CA_BUNDLE\\"}]"'
            % (resource_name(op.target.kind), shlex.quote(op.target.name), index_path, path_name, index_path)
        )
    return out


def _render_rotation(op: Operation) -> List[str]:
    secret = op.source or op.target
    hosts = ",".join(op.hosts)
    out = [
        "# a new CA and serving certificate for %s (role meshops.sidecar_injection.remediate_certs makes them "
        "with cryptography); with openssl:" % hosts,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj /CN=webhook-ca "
        "-keyout ca.key -out ca.crt",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=%s -keyout tls.key -out tls.csr"
        % op.hosts[0],
        "openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -out tls.crt "
        "-extfile <(printf 'subjectAltName=%s')" % ",".join("DNS:" + h for h in op.hosts),
        _line(
            [
                "kubectl",
                "create",
                "secret",
                "tls",
                secret.name,
                "-n",
                secret.namespace,
                "--cert=tls.crt",
                "--key=tls.key",
            ]
            + ["--dry-run=client", "-o", "yaml"]
        )
        + " | kubectl apply -f -",
    ]
    resync = Operation(
        "resync_ca",
        op.target,
        webhooks=op.webhooks,
        paths=op.paths,
        source=ObjectRef("Secret", secret.name, secret.namespace),
        source_key="ca.crt",
    )
    out += ["CA_BUNDLE=$(base64 < ca.crt | tr -d '\\n')"] + _render_resync(resync)[1:]
    out += _restart(Operation("restart", op.workloads[0], workloads=op.workloads)) if op.workloads else []
    return out


def collection_hint(plan: Plan) -> str:
    """How to apply the plan with this collection instead of by hand."""
    extra = "".join(" -e %s=true" % variable for variable in plan.opt_in)
    return "# or with this collection: ansible-playbook meshops.sidecar_injection.remediate -i INVENTORY%s   # %s" % (
        extra,
        "action %s, risk %s" % (plan.action, plan.risk),
    )


def render(plan: Plan, hint: bool = True) -> List[str]:
    """The shell steps of a plan, then of each alternative (prefixed so they read as choices), then
    how to apply it with this collection when remediation can."""
    lines: List[str] = []
    for op in plan.operations:
        lines.extend(render_operation(op))
    for alternative in plan.alternatives:
        steps = render(alternative, hint=False)
        if steps:
            lines.append("# or: %s" % (alternative.reason or alternative.action))
            lines.extend(steps)
    if hint and plan.executable:
        lines.append(collection_hint(plan))
    return lines
