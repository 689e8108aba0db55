# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the webhook_ca module does with the resync_ca and rotate_cert plans of the given findings.

* resync_ca (SI401-SI404, SI210): each webhook's caBundle set from the plan's source (ConfigMap
  istio-ca-root-cert, Secret cacerts / istio-ca-secret, the injector's serving Secret), with the
  plan's other field operations (SI210's istio.io/rev relabel), through the remediation lifecycle.
* rotate_cert (SI405, SI406; needs allow_rotation): a new CA and serving certificate
  (remediation/certs.py), written in an order under which the caBundle always trusts the
  certificate being served: (1) caBundle = old bundle + new CA, (2) Secret = new cert and key,
  (3) injector restarted and rolled out, (4) caBundle = new CA only. A failure at any step stops
  there; every state up to it verifies.
* cert-manager: a configuration annotated `cert-manager.io/inject-ca-from` has its caBundle written
  by cainjector, which would put its own back; such plans are not executed, `owned` says which
  Certificate feeds it and its state, which is where the fix belongs.
Nothing returned or logged holds key material: certificates are reported by SHA-256 fingerprint.
"""

from __future__ import annotations

import base64
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.client import ApiError
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import backup, certs, restarts
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.edits import (
    ANY,
    Edit,
    PlanError,
    Target,
    _operation,
    edits_of,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation.lifecycle import (
    Remediation,
    RemediationFailed,
    describe_api_error,
    dump_yaml,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners.remediate import (
    RemediationError,
    Session,
    argument_spec,
    finding_plans,
)

ARGUMENT_SPEC = argument_spec(
    {
        "allow_rotation": {"type": "bool", "default": False},
        "cert_days": {"type": "int", "default": 365},
        "renew_days": {"type": "int", "default": 30},
        "timeout": {"type": "int", "default": 300},
        "restart_istiod": {"type": "bool", "default": False},
    }
)
# x509 admission failures (SI303's error classes) that a fresh istiod serving certificate ends.
X509_REASONS = ("x509-unknown-authority", "x509-expired", "x509-hostname")
ACTIONS = ("resync_ca", "rotate_cert")
INJECT_CA = ("cert-manager.io/inject-ca-from", "cert-manager.io/inject-ca-from-secret")
ROTATION_OPT_IN = (
    "rotating %s replaces the injector's serving certificate and restarts it; set allow_rotation: true "
    "(playbooks: remediate_certs) to allow it"
)


def _read(session: Session, ref: ObjectRef) -> Optional[Dict[str, Any]]:
    try:
        return session.writer.read(ref)
    except ApiError as exc:
        raise RemediationError(describe_api_error(ref, exc, "read")) from None


def _source_pem(obj: Dict[str, Any], ref: ObjectRef, key: str) -> bytes:
    if ref.kind == "Secret":
        raw = (obj.get("data") or {}).get(key)
        pem = base64.b64decode(raw) if raw else b""
    else:
        pem = str((obj.get("data") or {}).get(key) or "").encode("ascii")
    if b"BEGIN CERTIFICATE" not in pem:
        raise RemediationError("%s has no PEM certificate under %s: nothing to trust" % (ref.text(), key))
    return pem


class _Hooks(object):
    """The webhooks a resync_ca / rotate_cert operation names, read from its serialised form."""

    def __init__(self, raw: Dict[str, Any]) -> None:
        self.target = ObjectRef.from_dict(raw.get("target") or {})
        self.paths = [str(p) for p in raw.get("paths") or []]
        self.webhooks = [str(w) for w in raw.get("webhooks") or []]
        expect = raw.get("expect")
        self.expect = list(expect) if isinstance(expect, (list, tuple)) else []
        if not self.paths or len(self.paths) != len(self.webhooks):
            raise RemediationError("%s operation on %s names no webhooks" % (raw.get("op"), self.target.text()))


def _bundle_edits(op: _Hooks, bundles: List[str], code: str, expect: Optional[List[str]] = None) -> List[Edit]:
    """A name guard and the caBundle edit per webhook of the operation; `expect` the bundles the
    edits must find (default: what the diagnosis saw; an empty one only the resourceVersion guards)."""
    seen = list(expect if expect is not None else op.expect)
    out = []
    for index, (path, name) in enumerate(zip(op.paths, op.webhooks)):
        was = seen[index] if index < len(seen) else ""
        out.append(Edit(path + "/name", name, name, "guard", code))
        out.append(Edit(path + "/clientConfig/caBundle", bundles[index], was or ANY, "caBundle", code))
    return out


def _owned(session: Session, mwc: Dict[str, Any], ref: ObjectRef) -> Optional[Dict[str, Any]]:
    """cert-manager's cainjector writes this caBundle: which Certificate, and what state it is in."""
    annotations = (mwc.get("metadata") or {}).get("annotations") or {}
    source = next((annotations[a] for a in INJECT_CA if a in annotations), None)
    if source is None:
        return None
    ns, _sep, name = source.partition("/")
    out: Dict[str, Any] = {"object": ref.as_dict(), "owner": "cert-manager cainjector", "source": source}
    if "cert-manager.io/inject-ca-from" not in annotations:
        out["fix"] = "cainjector copies ca.crt of Secret %s: fix that Secret's issuer, not the caBundle" % source
        return out
    try:
        cert = session.client.get("/apis/cert-manager.io/v1/namespaces/%s/certificates/%s" % (ns, name))
    except ApiError as exc:
        if exc.status == 404:
            out["fix"] = (
                "the annotation names Certificate %s, which does not exist (or cert-manager is not installed): "
                "create it or correct the annotation; cainjector then writes the caBundle" % source
            )
            return out
        raise RemediationError(describe_api_error(ObjectRef("Certificate", name, ns), exc, "read")) from None
    ready = [c for c in (cert.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"]
    out["certificate_ready"] = bool(ready and ready[0].get("status") == "True")
    out["fix"] = "cmctl renew -n %s %s (Certificate %s: %s); cainjector then writes the caBundle" % (
        ns,
        name,
        source,
        (ready[0].get("message") if ready else "no Ready condition"),
    )
    return out


def run(
    params: Dict[str, Any],
    check_mode: bool = False,
    debug: Optional[Callable[[str], None]] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Dict[str, Any]:
    try:
        plans, skipped = finding_plans(params.get("findings") or [], ACTIONS)
    except PlanError as exc:
        raise RemediationError(str(exc)) from None
    istiod = _istiod_findings(params.get("findings") or []) if params.get("restart_istiod") else []
    if not plans and not istiod:
        raise RemediationError(
            "nothing to do: give findings with resync_ca or rotate_cert plans (SI401-SI406, SI210), or SI303 x509 "
            "failures of an Istio webhook with restart_istiod"
        )
    rotations = [(c, p) for c, p in plans if p.get("action") == "rotate_cert"]
    if rotations and not params.get("allow_rotation"):
        raise RemediationError(ROTATION_OPT_IN % ", ".join(sorted({p["target"]["name"] for _c, p in rotations})))
    session = Session(params, debug=debug)
    try:
        result = _resync(session, params, [(c, p) for c, p in plans if p.get("action") == "resync_ca"], check_mode)
        for code, plan in rotations:
            _merge(result, _rotate(session, params, code, plan, check_mode, sleep))
        if istiod:
            _merge(result, _restart_istiod(session, params, istiod, check_mode, sleep))
            done = {(f["code"], f.get("name")) for f in istiod}
            skipped = [s for s in skipped if (s["code"], s["object"].get("name")) not in done]
        if not check_mode and result["changed"] and params.get("verify", True):
            _verify_findings(session, result)
    finally:
        session.close()
    result["not_executed"] = skipped + result.pop("_not_executed", [])
    return result


def _empty() -> Dict[str, Any]:
    return {
        "changed": False,
        "plan": [],
        "changed_objects": [],
        "backups": {"dir": None, "files": [], "manifest": None},
        "verification": {"objects": [], "findings": [], "ok": None},
        "diff": [],
        "owned": [],
        "certificates": [],
        "_resolves": [],
    }


def _merge(into: Dict[str, Any], other: Dict[str, Any]) -> None:
    into["changed"] = into["changed"] or other["changed"]
    for key in ("plan", "changed_objects", "diff", "owned", "certificates", "_resolves"):
        into[key].extend(other.get(key) or [])
    into["verification"]["objects"].extend(other["verification"]["objects"])
    files = other["backups"]["files"]
    if files:
        into["backups"] = {"dir": other["backups"]["dir"], "files": into["backups"]["files"] + files,
                           "manifest": backup.MANIFEST}  # fmt: skip


def _resync(session: Session, params: Dict[str, Any], plans: List[Tuple[str, Any]], check_mode: bool) -> Dict[str, Any]:
    result = _empty()
    targets: Dict[ObjectRef, Target] = {}
    not_run = []
    for code, plan in plans:
        finding_ref = ObjectRef.from_dict(plan.get("target") or {})
        for raw in plan.get("operations") or []:
            op = _operation(raw)
            if not op.mutates:
                continue
            live = _read(session, op.target)
            if live is None:
                raise RemediationError("%s does not exist." % op.target.text())
            owned = _owned(session, live, op.target) if op.op == "resync_ca" else None
            if owned is not None:
                result["owned"].append(owned)
                not_run.append({"code": code, "op": op.op, "target": op.target.as_dict(), "why": owned["fix"]})
                continue
            target = targets.setdefault(op.target, Target(op.target))
            if op.op == "resync_ca":
                source_ref = ObjectRef.from_dict(raw.get("source") or {})
                source = _read(session, source_ref)
                if source is None:
                    raise RemediationError("%s (the CA to trust) does not exist." % source_ref.text())
                bundle = certs.b64(_source_pem(source, source_ref, raw.get("source_key") or ""))
                hooks = _Hooks(raw)
                target.edits.extend(_bundle_edits(hooks, [bundle] * len(hooks.paths), code))
                target.notes.append("caBundle from %s key %s" % (source_ref.text(), raw.get("source_key")))
            else:
                try:
                    target.edits.extend(edits_of(op, code))
                except PlanError as exc:
                    raise RemediationError(str(exc)) from None
            if (code, finding_ref) not in target.resolves:
                target.resolves.append((code, finding_ref))
    result["_not_executed"] = not_run
    if not targets:
        return result
    engine = Remediation(session.writer, "webhook_ca", params.get("backup_dir"), check_mode)
    try:
        changes = engine.plan(list(targets.values()))
        out = engine.run(changes)
    except PlanError as exc:
        raise RemediationError(str(exc)) from None
    except RemediationFailed as exc:
        raise RemediationError(str(exc), **exc.result) from None
    _merge(result, dict(out, owned=[], certificates=[], _resolves=[r for c in changes for r in c.target.resolves]))
    result["plan"] = out["plan"]
    return result


def _secret_view(secret: Dict[str, Any], fingerprints: Dict[str, str]) -> Dict[str, Any]:
    """What a diff shows of the Secret: its name and the certificate fingerprint, never the data."""
    meta = secret.get("metadata") or {}
    return {"kind": "Secret", "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace")},
            "data": {k: "(sha256 %s)" % v for k, v in fingerprints.items()}}  # fmt: skip


def _rotate(session: Session, params: Dict[str, Any], code: str, plan: Dict[str, Any], check_mode: bool,
            sleep: Callable[[float], None]) -> Dict[str, Any]:  # fmt: skip
    result = _empty()
    raw = next((o for o in plan.get("operations") or [] if o.get("op") == "rotate_cert"), None)
    if raw is None:
        raise RemediationError("finding %s: its rotate_cert plan has no rotate_cert operation" % code)
    op = _Hooks(raw)
    secret_ref = ObjectRef.from_dict(raw.get("source") or {})
    key = raw.get("source_key") or "tls.crt"
    hosts = list(raw.get("hosts") or [])
    injectors = [ObjectRef.from_dict(w) for w in raw.get("workloads") or []]
    mwc = _read(session, op.target)
    secret = _read(session, secret_ref)
    if mwc is None or secret is None:
        raise RemediationError("%s does not exist." % (op.target if mwc is None else secret_ref).text())
    owned = _owned(session, mwc, op.target)
    if owned is not None:
        result["owned"].append(owned)
        result["_not_executed"] = [{"code": code, "op": "rotate_cert", "target": op.target.as_dict(),
                                    "why": owned["fix"]}]  # fmt: skip
        return result
    hooks = {h.get("name"): h for h in mwc.get("webhooks") or []}
    bundles = [((hooks.get(n) or {}).get("clientConfig") or {}).get("caBundle") or "" for n in op.webhooks]
    step: Dict[str, Any] = {"object": secret_ref.as_dict(), "code": code, "hosts": hosts,
                            "injectors": [i.as_dict() for i in injectors]}  # fmt: skip
    served = base64.b64decode((secret.get("data") or {}).get(key) or "")
    if certs.serving_ok(served, bundles, hosts, params.get("renew_days", 30)):
        step["status"] = "unchanged"
        result["plan"].append(step)
        return result
    new = certs.issue(hosts, days=params.get("cert_days") or 365)
    ca_b64 = certs.b64(new["ca_pem"])
    # (1) old + new CA: the certificate served now and the one about to be served both verify
    both = [certs.b64(b"".join(certs.bundle_pems(b)) + new["ca_pem"]) for b in bundles]
    engine = Remediation(session.writer, "webhook_ca", params.get("backup_dir"), check_mode)
    target = Target(op.target, _bundle_edits(op, both, code), resolves=[(code, secret_ref)])
    try:
        first = engine.plan([target])
    except PlanError as exc:
        raise RemediationError(str(exc)) from None
    not_after = new["not_after"].strftime("%Y-%m-%dT%H:%M:%SZ")
    info = {"secret": secret_ref.as_dict(), "hosts": hosts, "not_after": not_after,
            "fingerprint_sha256": certs.fingerprint(new["cert_pem"]),
            "ca_fingerprint_sha256": certs.fingerprint(new["ca_pem"])}  # fmt: skip
    result["certificates"].append(info)
    step["status"] = "would_change"
    step["order"] = ["caBundle += new CA", "%s <- new certificate and key" % secret_ref.text(),
                     "restart %s" % ", ".join(i.text() for i in injectors), "caBundle = new CA"]  # fmt: skip
    result["plan"].append(step)
    result["changed"] = True
    result["changed_objects"] = [op.target.as_dict(), secret_ref.as_dict()] + [i.as_dict() for i in injectors]
    old_fp = {}
    try:
        old_fp[key] = certs.fingerprint(base64.b64decode((secret.get("data") or {}).get(key) or ""))
    except ValueError:
        old_fp[key] = "unreadable"
    result["diff"] = [
        {"before_header": op.target.text(), "after_header": op.target.text() + " (after the rotation)",
         "before": "\n".join("%s caBundle: %s" % (n, b[:24] + "...") for n, b in zip(op.webhooks, bundles)) + "\n",
         "after": "\n".join("%s caBundle: new CA sha256 %s" % (n, info["ca_fingerprint_sha256"]) for n in op.webhooks)
         + "\n"},
        {"before_header": secret_ref.text(), "after_header": secret_ref.text(),
         "before": dump_yaml(_secret_view(secret, old_fp)),
         "after": dump_yaml(_secret_view(secret, {key: info["fingerprint_sha256"], "tls.key": "new key, not shown"}))},
    ]  # fmt: skip
    if check_mode:
        return result
    # backups: the configuration (by the engine) and the Secret (rollback needs its old key; mode 0600)
    secret_entries: List[Dict[str, Any]] = []
    if params.get("backup_dir"):
        try:
            secret_entries = backup.write_objects(params["backup_dir"], [{"ref": secret_ref, "before": secret,
                                                  "pointers": ["/data"]}], "webhook_ca")  # fmt: skip
        except backup.BackupError as exc:
            raise RemediationError("%s Nothing was changed." % exc) from None
        result["backups"] = {"dir": params["backup_dir"], "files": [e["file"] for e in secret_entries],
                             "manifest": backup.MANIFEST}  # fmt: skip
    entries, failure = engine.apply(first)
    result["backups"]["files"] = [e["file"] for e in entries] + result["backups"]["files"]
    if failure is not None:
        raise RemediationError("step 1 (caBundle += new CA): %s" % failure, **_public(result))
    # (2) the Secret, guarded by the resourceVersion read before step 1
    rv = (secret.get("metadata") or {}).get("resourceVersion")
    ops = [{"op": "replace", "path": "/metadata/resourceVersion", "value": rv},
           {"op": "add", "path": "/data/" + key, "value": certs.b64(new["cert_pem"])},
           {"op": "add", "path": "/data/tls.key", "value": certs.b64(new["key_pem"])}]  # fmt: skip
    try:
        written = session.writer.json_patch(secret_ref, ops)
    except ApiError as exc:
        raise RemediationError(
            "step 2 (Secret): %s The caBundle trusts both CAs, so the served certificate still verifies."
            % describe_api_error(secret_ref, exc),
            **_public(result),
        ) from None
    finally:
        del ops, new  # the key leaves no reference behind
    for entry in secret_entries:
        entry["resource_version_after"] = (written.get("metadata") or {}).get("resourceVersion")
    # (3) the injector serves the new certificate once restarted
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    started = []
    for ref in injectors:
        live = _read(session, ref)
        if live is None:
            continue
        try:
            session.writer.json_patch(ref, restarts.restart_patch(live, stamp))
        except ApiError as exc:
            raise RemediationError("step 3 (restart): %s" % describe_api_error(ref, exc), **_public(result)) from None
        started.append(ref)
    state = restarts.wait_batch(session.writer, started, stamp, params.get("timeout") or 300, sleep=sleep,
                                need_proxy=False)  # fmt: skip
    result["verification"]["objects"].extend(dict(s, object=n, checked=["rolled_out"]) for n, s in state.items())
    if not all(s["rolled_out"] for s in state.values()):
        raise RemediationError(
            "step 3: %s did not roll out within %ss; the caBundle still trusts both CAs"
            % (", ".join(n for n, s in state.items() if not s["rolled_out"]), params.get("timeout")),
            **_public(result),
        )
    # (4) prune the old CA
    prune = Remediation(session.writer, "webhook_ca", None, False)
    try:
        changes = prune.plan([Target(op.target, _bundle_edits(op, [ca_b64] * len(op.paths), code, expect=both))])
        _entries, failure = prune.apply(changes)
    except PlanError as exc:
        failure = str(exc)
    if failure is not None:
        raise RemediationError("step 4 (prune the old CA): %s" % failure, **_public(result))
    result["verification"]["objects"].extend(prune.verify_objects(changes))
    if params.get("backup_dir"):
        # rollback compares the live resourceVersions with the ones this rotation left
        after = (changes[0].after or {}).get("metadata") or {}
        for entry in entries:
            entry["resource_version_after"] = after.get("resourceVersion") or entry.get("resource_version_after")
        backup.record_after(params["backup_dir"], entries + secret_entries)
    result["plan"][-1]["status"] = "applied"
    result["_resolves"].append((code, ObjectRef.from_dict(plan.get("target") or {})))
    return result


def _public(result: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in result.items() if not k.startswith("_")}


def _verify_findings(session: Session, result: Dict[str, Any]) -> None:
    present = {(f.get("code"), f.get("kind"), f.get("namespace") or "", f.get("name")) for f in session.rediagnose()()}
    found = [{"code": c, "object": r.as_dict(), "gone": (c, r.kind, r.namespace, r.name) not in present}
             for c, r in result.pop("_resolves")]  # fmt: skip
    objects = result["verification"]["objects"]
    ok = all(o.get("ok", True) for o in objects) and all(f["gone"] for f in found)
    result["verification"] = {"objects": objects, "findings": found, "ok": ok}


def _istiod_findings(findings: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """SI303 x509 failures calling an Istio webhook: istiod serves a certificate its bundle does not
    trust, which a restarted istiod (a fresh certificate from its CA, the bundle re-patched) ends."""
    return [
        f
        for f in findings
        if isinstance(f, dict)
        and f.get("code") == "SI303"
        and f.get("mesh") == "istio"
        and any(reason in str(f.get("message") or "") for reason in X509_REASONS)
    ]


def _restart_istiod(session: Session, params: Dict[str, Any], found: List[Dict[str, Any]], check_mode: bool,
                    sleep: Callable[[float], None]) -> Dict[str, Any]:  # fmt: skip
    """Rollout-restart the istiod serving each configuration (its istio.io/rev label and Service
    namespace), wait for it, and let it re-patch the caBundle."""
    result = _empty()
    deployments: Dict[ObjectRef, Dict[str, Any]] = {}
    for finding in found:
        ref = ObjectRef("MutatingWebhookConfiguration", str(finding.get("name") or ""), "")
        mwc = _read(session, ref)
        if mwc is None:
            raise RemediationError("%s does not exist." % ref.text())
        rev = ((mwc.get("metadata") or {}).get("labels") or {}).get("istio.io/rev") or "default"
        services = [((h.get("clientConfig") or {}).get("service") or {}) for h in mwc.get("webhooks") or []]
        ns = next((svc.get("namespace") for svc in services if svc.get("namespace")), "istio-system")
        deploy = ObjectRef("Deployment", "istiod" if rev == "default" else "istiod-%s" % rev, ns)
        live = _read(session, deploy)
        if live is None:
            raise RemediationError("%s (the istiod of revision %s) does not exist." % (deploy.text(), rev))
        deployments.setdefault(deploy, live)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    why = "istiod serves a fresh certificate from its CA and re-patches the caBundle"
    for deploy in deployments:
        result["plan"].append({"object": deploy.as_dict(), "code": "SI303", "status": "would_change", "why": why})
        result["changed_objects"].append(deploy.as_dict())
    result["changed"] = bool(deployments)
    if check_mode or not deployments:
        return result
    if params.get("backup_dir"):
        items = [
            {"ref": d, "before": live, "pointers": [restarts.RESTARTED_POINTER]} for d, live in deployments.items()
        ]
        try:
            entries = backup.write_objects(params["backup_dir"], items, "webhook_ca")
        except backup.BackupError as exc:
            raise RemediationError("%s Nothing was changed." % exc) from None
        result["backups"] = {"dir": params["backup_dir"], "files": [e["file"] for e in entries],
                             "manifest": backup.MANIFEST}  # fmt: skip
    for (deploy, live), step in zip(deployments.items(), result["plan"]):
        try:
            session.writer.json_patch(deploy, restarts.restart_patch(live, stamp))
        except ApiError as exc:
            step.update(status="failed", message=describe_api_error(deploy, exc))
            raise RemediationError(step["message"], **_public(result)) from None
        step["status"] = "applied"
    state = restarts.wait_batch(session.writer, list(deployments), stamp, params.get("timeout") or 300, sleep=sleep,
                                need_proxy=False)  # fmt: skip
    result["verification"]["objects"].extend(dict(s, object=n, checked=["rolled_out"]) for n, s in state.items())
    if not all(s["ok"] for s in state.values()):
        raise RemediationError("%s did not roll out within %ss" % (", ".join(state), params.get("timeout")),
                               **_public(result))  # fmt: skip
    return result
