# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that turns a Plan into the shell steps a person runs (kubectl, and the other tools'
commands the plan names). Every line is valid POSIX shell; the tests run them with real kubectl.

JSON patches carry the diagnosis' preconditions as `test` operations (the webhook at that index is
still the one judged, the field still holds what was seen), so a step printed yesterday fails
loudly instead of changing the wrong webhook today; `kubectl scale` carries `--current-replicas`.
Consecutive JSON patches of one object are one request (all tests first), so they apply together.
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


def _patch_command(ops: List[Operation]) -> str:
    """One `kubectl patch --type json` for consecutive json_patch operations on one object: every
    precondition is tested first, so the changes apply together or not at all."""
    tests: List[Dict[str, Any]] = []
    changes: List[Dict[str, Any]] = []
    for op in ops:
        for test in json_patch(op):
            if test["op"] != "test":
                changes.append(test)
            elif test not in tests:
                tests.append(test)
    why = "; ".join(dict.fromkeys(op.why for op in ops if op.why))
    words = ["kubectl", "patch"] + _object(ops[0].target) + ["--type", "json", "-p", _compact(tests + changes)]
    return _line(words, why)


def render_operation(op: Operation) -> List[str]:
    if op.op in ("set_label", "remove_label", "set_annotation", "remove_annotation"):
        return _metadata_op(op)
    if op.op == "json_patch":
        return [_patch_command([op])]
    if op.op == "restart":
        return _restart(op)
    if op.op == "delete_pods":
        words = ["kubectl", "delete", "pod", "-n", op.target.namespace] + list(op.names)
        return [_line(words, op.why or "%s re-creates them" % op.target.text())]
    if op.op == "create":
        # `create`, not `apply`: an object of that name that the diagnosis did not see is not overwritten.
        manifest = json.dumps(op.manifest, indent=2, sort_keys=False)
        return ["kubectl create -f - <<'EOF'" + ("   # " + op.why if op.why else "") + "\n" + manifest + "\nEOF"]
    if op.op == "scale":
        words = ["kubectl", "scale"] + _object(op.target) + ["--current-replicas=%s" % op.expect]
        return [_line(words + ["--replicas=%s" % op.value], op.why)]
    if op.op == "delete":
        return [_line(["kubectl", "delete"] + _object(op.target), op.why)]
    if op.op == "resync_ca":
        return _render_resync(op)
    if op.op == "rotate_cert":
        return _render_rotation(op)
    if op.op == "inspect":
        text = _line(["kubectl"] + list(op.args))
        return [text + (" | " + op.pipe if op.pipe else "") + ("   # " + op.why if op.why else "")]
    if op.op == "external":
        text = op.command + (" | " + _line(["kubectl"] + list(op.args)) if op.args else "")
        return [text + ("   # " + op.why if op.why else "")]
    return ["# " + op.text]


def render_operations(ops: List[Operation]) -> List[str]:
    """The lines of `ops` in order; consecutive JSON patches of one object become one atomic patch."""
    lines: List[str] = []
    index = 0
    while index < len(ops):
        op = ops[index]
        if op.op != "json_patch":
            lines.extend(render_operation(op))
            index += 1
            continue
        group = [op]
        while index + len(group) < len(ops):
            following = ops[index + len(group)]
            if following.op != "json_patch" or following.target != op.target:
                break
            group.append(following)
        lines.append(_patch_command(group))
        index += len(group)
    return lines


def _double_quoted(text: str) -> str:
    """`text` for the inside of a double-quoted shell word."""
    for char in ("\\", '"', "$", "`"):
        text = text.replace(char, "\\" + char)
    return text


CA_VARIABLE = "CA_BUNDLE"
_PLACEHOLDER = "@CA_BUNDLE@"


def _bundle_patch(op: Operation) -> str:
    """The caBundle patch of every webhook of `op`, with the bundle taken from $CA_BUNDLE: each
    webhook's name is tested at its index first, then all bundles are set in one request. Runs only
    when $CA_BUNDLE is not empty (a failed read must never blank a bundle)."""
    doc: List[Dict[str, Any]] = [
        {"op": "test", "path": "%s/name" % path, "value": name} for name, path in zip(op.webhooks, op.paths)
    ]
    doc += [{"op": "add", "path": "%s/clientConfig/caBundle" % path, "value": _PLACEHOLDER} for path in op.paths]
    body = _double_quoted(_compact(doc)).replace(_PLACEHOLDER, "$" + CA_VARIABLE)
    words = ["kubectl", "patch"] + _object(op.target) + ["--type", "json", "-p"]
    return '[ -n "$%s" ] && %s "%s"%s' % (CA_VARIABLE, _line(words), body, "   # " + op.why if op.why else "")


def _render_resync(op: Operation) -> List[str]:
    source = op.source or op.target
    key = op.source_key.replace(".", "\\.")
    read = ["kubectl", "get"] + _object(source) + ["-o", "jsonpath={.data.%s}" % key]
    # A ConfigMap holds PEM text (caBundle wants it base64-encoded); a Secret's data is base64 already.
    encode = " | base64 | tr -d '\\n'" if source.kind == "ConfigMap" else ""
    return [
        "%s=$(%s%s)   # the CA the webhooks must trust: %s key %s"
        % (CA_VARIABLE, _line(read), encode, source.text(), op.source_key),
        _bundle_patch(op),
    ]


def _render_rotation(op: Operation) -> List[str]:
    """A new self-signed serving certificate, as Linkerd's chart makes it (the certificate is its own
    CA), written into the Secret's tls.crt/tls.key; the caBundle set to it; the injector restarted.
    The key never appears on a command line (printf is a shell builtin) and is removed afterwards."""
    secret = op.source or op.target
    sans = ",".join("DNS:%s" % host for host in op.hosts)
    keygen = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "365",
        "-subj",
        "/CN=%s" % op.hosts[0][:64],  # X.509 caps the common name at 64 characters; Go reads only the SANs
        "-addext",
        "subjectAltName=%s" % sans,
        "-keyout",
        "tls.key",
        "-out",
        "tls.crt",
    ]
    out = [
        "# a new self-signed serving certificate for %s, valid 365 days (openssl >= 1.1.1; the remediation "
        "role makes it with cryptography)" % ", ".join(op.hosts),
        "(umask 077 && %s)" % _line(keygen),
        'printf \'{"data":{"tls.crt":"%s","tls.key":"%s"}}\' '
        "\"$(base64 < tls.crt | tr -d '\\n')\" \"$(base64 < tls.key | tr -d '\\n')\" > secret-patch.json",
        _line(["kubectl", "patch"] + _object(secret) + ["--type", "merge", "--patch-file", "secret-patch.json"]),
        "rm -f tls.key secret-patch.json   # the key now lives only in %s" % secret.text(),
        "%s=$(base64 < tls.crt | tr -d '\\n')   # the new certificate is its own CA" % CA_VARIABLE,
        _bundle_patch(op),
    ]
    if op.workloads:
        out += _restart(Operation("restart", op.workloads[0], workloads=op.workloads, why="serve the new certificate"))
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
    lines = render_operations(plan.operations)
    for alternative in plan.alternatives:
        steps = render(alternative, hint=False)
        if steps:
            lines.append("# or: %s" % (alternative.reason or alternative.action))
            lines.extend(steps)
    if hint and plan.executable:
        lines.append(collection_hint(plan))
    return lines
