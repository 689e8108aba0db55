# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SI4xx: webhook and mesh certificates (certificates.py does the X.509 work).

What is visible: the webhook caBundle (every injector), Linkerd's serving certificate (Secret
linkerd-proxy-injector-k8s-tls, public part only), Istio's mesh root (ConfigMap istio-ca-root-cert,
Secrets istio-ca-secret / cacerts) and Linkerd's trust anchors and issuer. istiod's own webhook
serving certificate lives in istiod's memory, so for Istio the question asked is whether the caBundle
is the mesh root istiod signs with (what istio.io's webhook troubleshooting compares).
Evidence gives each certificate's subject, issuer, serial, validity and SHA-256 fingerprint.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import x509 as x509util
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.findings import (
    Finding,
    evidence,
    object_ref,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.controlplane import (
    MAX_EVIDENCE,
    hook_field,
    live_injectors,
    mwc_ref,
    role_hint,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule

LINKERD_SERVING = (("linkerd-proxy-injector-k8s-tls", ("tls.crt",)), ("linkerd-proxy-injector-tls", ("crt.pem",)))
CA_INJECT_ANNOTATIONS = ("cert-manager.io/inject-ca-from", "cert-manager.io/inject-ca-from-secret")


def summary(facts: Dict[str, Any]) -> str:
    """One evidence value per certificate: what `openssl x509 -noout -subject -issuer -serial -dates
    -fingerprint -sha256` shows."""
    return "subject %s, issuer %s, serial %s, notBefore %s, notAfter %s, sha256 %s" % (
        facts["subject"] or "<empty>",
        facts["issuer"] or "<empty>",
        facts["serial"],
        facts["not_before"],
        facts["not_after"],
        facts["sha256"],
    )


def _configs(ctx: RuleContext) -> List[Tuple[str, List[Any]]]:
    """(MWC name, its active injector webhooks that call a Service) in order; Istio's webhooks of one
    configuration share one caBundle, so they are judged together."""
    out: Dict[str, List[Any]] = {}
    for webhook in live_injectors(ctx):
        if webhook.url is None and webhook.service is not None:
            out.setdefault(webhook.config, []).append(webhook)
    return list(out.items())


def _bundle(webhook: Any) -> Dict[str, Any]:
    return x509util.parse_ca_bundle(webhook.ca_bundle)


def _steps_resync(webhook: Any) -> List[str]:
    ns = webhook.service.namespace if webhook.service else ""
    check = (
        "kubectl get mutatingwebhookconfiguration %s -o jsonpath='{.webhooks[%d].clientConfig.caBundle}' | "
        "base64 -d | openssl x509 -noout -subject -enddate -fingerprint -sha256" % (webhook.config, webhook.index)
    )
    if webhook.mesh == "istio":
        rev = webhook.revision or "default"
        deploy = "istiod" if rev == "default" else "istiod-%s" % rev
        return [
            check,
            "kubectl get configmap istio-ca-root-cert -n %s -o jsonpath='{.data.root-cert\\.pem}' | openssl x509 "
            "-noout -subject -enddate -fingerprint -sha256   # must be the same certificate" % ns,
            "kubectl rollout restart deployment/%s -n %s   # istiod re-patches the caBundle of MWCs labelled "
            "istio.io/rev=%s" % (deploy, ns, rev),
            role_hint("remediate_certs", "resync_ca", "remediate_certs_resync_ca: true"),
        ]
    if any(a in webhook.config_annotations for a in CA_INJECT_ANNOTATIONS):
        return [
            check,
            "kubectl get certificate -n %s   # cert-manager's cainjector fills the caBundle from it" % ns,
            "kubectl logs -n cert-manager deploy/cert-manager-cainjector --tail=100",
        ]
    return [
        check,
        "kubectl delete secret linkerd-proxy-injector-k8s-tls -n %s   # regenerated with a matching caBundle" % ns,
        "linkerd upgrade | kubectl apply -f -   # Helm: helm upgrade linkerd-control-plane "
        "linkerd/linkerd-control-plane -n %s --reuse-values" % ns,
        "kubectl rollout restart deployment/linkerd-proxy-injector -n %s" % ns,
        role_hint("remediate_certs", "resync_ca", "remediate_certs_resync_ca: true"),
    ]


def _filled_at_runtime(webhook: Any) -> bool:
    """Empty caBundles that a controller fills after apply: istiod (revision-labelled MWCs) and
    cert-manager's cainjector (annotations)."""
    return (webhook.mesh == "istio" and bool(webhook.revision)) or any(
        a in webhook.config_annotations for a in CA_INJECT_ANNOTATIONS
    )


# ---- SI401 ----------------------------------------------------------------------------------------


@rule(codes=["SI401"], needs=["mutatingwebhookconfigurations"], requires=["cryptography"])
def cabundle_missing(ctx: RuleContext) -> Iterator[Finding]:
    """The caBundle of an active, service-referenced injector webhook is empty or not PEM certificates.
    In an offline snapshot (manifests before apply) an empty bundle that istiod or cert-manager fills
    later is reported at info only."""
    offline = (ctx.view.raw.get("cluster") or {}).get("source") == "offline"
    for config, hooks in _configs(ctx):
        webhook = hooks[0]
        parsed = _bundle(webhook)
        if parsed["certs"] and not parsed["error"]:
            continue
        empty = parsed["error"] == "caBundle is empty"
        severity = "info" if (empty and offline and _filled_at_runtime(webhook)) else "error"
        effect = (
            "the API server cannot verify the injector (x509: certificate signed by unknown authority)"
            if severity == "error"
            else "expected before the manifest is applied: it is filled at runtime"
        )
        yield Finding(
            code="SI401",
            kind="MutatingWebhookConfiguration",
            name=config,
            mesh=webhook.mesh,
            severity=severity,
            message="caBundle of %s (%s) is unusable: %s; %s"
            % (config, ", ".join(w.name for w in hooks), parsed["error"], effect),
            evidence=[
                evidence(
                    mwc_ref(webhook),
                    hook_field(webhook, "clientConfig.caBundle"),
                    "<empty>" if empty else "%d base64 characters, %s" % (len(webhook.ca_bundle), parsed["error"]),
                )
            ],
            steps=_steps_resync(webhook),
        )


# ---- SI402 / SI403 --------------------------------------------------------------------------------


@rule(codes=["SI402", "SI403"], needs=["mutatingwebhookconfigurations"], requires=["cryptography"])
def cabundle_validity(ctx: RuleContext) -> Iterator[Finding]:
    """Each caBundle certificate: expired or not yet valid (SI402, error: Go refuses it as a root) or
    expiring within Options.cert_warning_days (SI403, warning)."""
    now = ctx.options.current_time()
    window = ctx.options.cert_warning_days
    for config, hooks in _configs(ctx):
        webhook = hooks[0]
        for index, cert in enumerate(_bundle(webhook)["certs"]):
            state = x509util.validity(cert, now, window)
            if state["state"] == "valid":
                continue
            facts = x509util.cert_facts(cert)
            ev = [evidence(mwc_ref(webhook), hook_field(webhook, "clientConfig.caBundle[%d]" % index), summary(facts))]
            if state["state"] == "expiring":
                yield Finding(
                    code="SI403",
                    kind="MutatingWebhookConfiguration",
                    name=config,
                    mesh=webhook.mesh,
                    message="caBundle certificate %s of %s expires on %s (%d days, inside the %d-day window)"
                    % (facts["subject"], config, facts["not_after"], state["days_left"], window),
                    evidence=ev,
                    steps=_steps_resync(webhook),
                )
            else:
                what = (
                    "expired on %s" % facts["not_after"]
                    if state["state"] == "expired"
                    else ("is not valid before %s" % facts["not_before"])
                )
                yield Finding(
                    code="SI402",
                    kind="MutatingWebhookConfiguration",
                    name=config,
                    mesh=webhook.mesh,
                    message="caBundle certificate %s of %s %s: the API server rejects the injector's certificate "
                    "(x509: certificate has expired or is not yet valid)" % (facts["subject"], config, what),
                    evidence=ev,
                    steps=_steps_resync(webhook),
                )


# ---- serving certificates (Linkerd) ---------------------------------------------------------------


def linkerd_serving_chain(ctx: RuleContext, webhook: Any) -> Optional[Tuple[Dict[str, Any], str, List[Any]]]:
    """(Secret, data key, certificate chain) of the Linkerd proxy-injector, from the Secret the webhook
    server mounts (fallback: the pre-2.9 name, as `linkerd check` does)."""
    if webhook.mesh != "linkerd" or webhook.service is None or not ctx.view.has("secrets"):
        return None
    for name, keys in LINKERD_SERVING:
        secret = ctx.view.get("secrets", webhook.service.namespace, name)
        if secret is None:
            continue
        key, parsed = x509util.secret_certificates(secret, keys)
        if key and parsed["certs"]:
            return secret, key, parsed["certs"]
    return None


def _secret_ev(secret: Dict[str, Any], key: str, index: int, cert: Any) -> Dict[str, Any]:
    ns = (secret.get("metadata") or {}).get("namespace") or ""
    return evidence(
        object_ref("Secret", ns, name_of(secret)), "data[%s][%d]" % (key, index), summary(x509util.cert_facts(cert))
    )


def _rotate_steps(ns: str) -> List[str]:
    return [
        "kubectl delete secret linkerd-proxy-injector-k8s-tls -n %s" % ns,
        "linkerd upgrade | kubectl apply -f -   # or: helm upgrade linkerd-control-plane linkerd/linkerd-control-plane "
        "-n %s --reuse-values (a new 365-day certificate and a matching caBundle)" % ns,
        "kubectl rollout restart deployment/linkerd-proxy-injector -n %s" % ns,
        "linkerd check   # 'proxy-injector webhook has valid cert'",
        role_hint("remediate_certs", "rotate_cert", "remediate_certs_rotate: true"),
    ]


# ---- SI404 ----------------------------------------------------------------------------------------


def _istio_roots(ctx: RuleContext, namespace: str) -> Tuple[List[Any], List[Dict[str, Any]]]:
    """The mesh root(s) istiod signs its webhook certificate with: ConfigMap istio-ca-root-cert, else
    the CA Secret (cacerts root-cert.pem, istio-ca-secret ca-cert.pem)."""
    view = ctx.view
    cm = view.get("configmaps", namespace, "istio-ca-root-cert") if view.has("configmaps") else None
    if cm is not None and (cm.get("data") or {}).get("root-cert.pem"):
        certs = x509util.parse_pem_bundle(cm["data"]["root-cert.pem"])["certs"]
        if certs:
            ref = object_ref("ConfigMap", namespace, "istio-ca-root-cert")
            return certs, [
                evidence(ref, "data[root-cert.pem][%d]" % i, summary(x509util.cert_facts(c)))
                for i, c in enumerate(certs)
            ]
    if view.has("secrets"):
        for name, keys in (("cacerts", ("root-cert.pem",)), ("istio-ca-secret", ("ca-cert.pem",))):
            secret = view.get("secrets", namespace, name)
            if secret is None:
                continue
            key, parsed = x509util.secret_certificates(secret, keys)
            if key and parsed["certs"]:
                return parsed["certs"], [_secret_ev(secret, key, i, c) for i, c in enumerate(parsed["certs"])]
    return [], []


@rule(
    codes=["SI404"], needs=["mutatingwebhookconfigurations"], requires=["cryptography"], uses=["configmaps", "secrets"]
)
def cabundle_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    """The caBundle does not sign the injector's serving certificate (Linkerd: the Secret's tls.crt,
    time and name aside, which SI405/SI406 judge), or is not the Istio mesh root istiod signs with."""
    for config, hooks in _configs(ctx):
        webhook = hooks[0]
        bundle = _bundle(webhook)["certs"]
        if not bundle:
            continue  # SI401
        bundle_ev = [
            evidence(
                mwc_ref(webhook), hook_field(webhook, "clientConfig.caBundle[%d]" % i), summary(x509util.cert_facts(c))
            )
            for i, c in enumerate(bundle[:MAX_EVIDENCE])
        ]
        if webhook.mesh == "linkerd":
            served = linkerd_serving_chain(ctx, webhook)
            if served is None:
                continue
            secret, key, chain = served
            result = x509util.chain_to_roots(chain[0], chain[1:], bundle)
            if result["ok"]:
                continue
            yield Finding(
                code="SI404",
                kind="MutatingWebhookConfiguration",
                name=config,
                mesh="linkerd",
                message="caBundle of %s does not sign the proxy-injector's certificate in Secret %s/%s: %s"
                % (config, webhook.service.namespace, name_of(secret), result["error"]),
                evidence=bundle_ev + [_secret_ev(secret, key, 0, chain[0])],
                steps=_steps_resync(webhook),
            )
        elif webhook.mesh == "istio" and webhook.service is not None:
            roots, roots_ev = _istio_roots(ctx, webhook.service.namespace)
            if not roots:
                continue
            if x509util.same_certificates(bundle, roots) or any(
                x509util.chain_to_roots(root, [], bundle)["ok"] for root in roots
            ):
                continue
            yield Finding(
                code="SI404",
                kind="MutatingWebhookConfiguration",
                name=config,
                mesh="istio",
                message="caBundle of %s is not the mesh root istiod signs its webhook certificate with: the API "
                "server fails with x509: certificate signed by unknown authority" % config,
                evidence=bundle_ev + roots_ev,
                steps=_steps_resync(webhook),
            )


# ---- SI405 / SI406 --------------------------------------------------------------------------------


@rule(codes=["SI405", "SI406"], needs=["mutatingwebhookconfigurations", "secrets"], requires=["cryptography"])
def serving_certificate(ctx: RuleContext) -> Iterator[Finding]:
    """Linkerd's proxy-injector serving certificate: expired or not yet valid (SI405 error), expiring
    within the window (SI405 warning), SANs not covering <service>.<namespace>.svc (SI406, with Go's
    exact error). istiod's serving certificate is not stored anywhere readable."""
    now = ctx.options.current_time()
    window = ctx.options.cert_warning_days
    for _config, hooks in _configs(ctx):
        webhook = hooks[0]
        served = linkerd_serving_chain(ctx, webhook)
        if served is None:
            continue
        secret, key, chain = served
        ns = webhook.service.namespace
        for index, cert in enumerate(chain):
            state = x509util.validity(cert, now, window)
            if state["state"] == "valid":
                continue
            facts = x509util.cert_facts(cert)
            role = "serving certificate" if index == 0 else "chain certificate %d" % index
            if state["state"] == "expiring":
                message = "the proxy-injector %s %s expires on %s (%d days, inside the %d-day window)" % (
                    role,
                    facts["subject"],
                    facts["not_after"],
                    state["days_left"],
                    window,
                )
            elif state["state"] == "expired":
                message = (
                    "the proxy-injector %s %s expired on %s: the API server's TLS handshake fails (x509: "
                    "certificate has expired or is not yet valid)" % (role, facts["subject"], facts["not_after"])
                )
            else:
                message = "the proxy-injector %s %s is not valid before %s" % (
                    role,
                    facts["subject"],
                    facts["not_before"],
                )
            yield Finding(
                code="SI405",
                kind="Secret",
                namespace=ns,
                name=name_of(secret),
                mesh="linkerd",
                severity="warning" if state["state"] == "expiring" else "error",
                message=message,
                evidence=[_secret_ev(secret, key, index, cert)],
                steps=_rotate_steps(ns),
            )
        host = x509util.service_dns_name(webhook.service.name, ns)
        error = x509util.hostname_error(chain[0], host)
        if error:
            facts = x509util.cert_facts(chain[0])
            yield Finding(
                code="SI406",
                kind="Secret",
                namespace=ns,
                name=name_of(secret),
                mesh="linkerd",
                message="the proxy-injector certificate does not cover %s, the name the API server dials: %s"
                % (host, error),
                evidence=[
                    _secret_ev(secret, key, 0, chain[0]),
                    evidence(
                        object_ref("Secret", ns, name_of(secret)),
                        "data[%s][0] subjectAltName" % key,
                        ", ".join(facts["dns_names"] + facts["ip_addresses"]) or "<none>",
                    ),
                ],
                steps=_rotate_steps(ns),
            )


# ---- SI407 ----------------------------------------------------------------------------------------


def _mesh_ca_sources(ctx: RuleContext) -> List[Tuple[str, str, str, List[Any], Dict[str, Any]]]:
    """(mesh, what, field, certs, object) for every mesh CA certificate in the snapshot."""
    view, model = ctx.view, ctx.model
    out: List[Tuple[str, str, str, List[Any], Dict[str, Any]]] = []

    def from_secret(mesh: str, what: str, ns: str, name: str, keys: Tuple[str, ...]) -> None:
        secret = view.get("secrets", ns, name) if view.has("secrets") else None
        if secret is None:
            return
        for key in keys:
            _unused, parsed = x509util.secret_certificates(secret, (key,))
            if parsed["certs"]:
                out.append((mesh, what, "data[%s]" % key, parsed["certs"], secret))

    def from_configmap(mesh: str, what: str, ns: str, name: str, key: str) -> None:
        cm = view.get("configmaps", ns, name) if view.has("configmaps") else None
        text = ((cm or {}).get("data") or {}).get(key)
        if cm is not None and text:
            certs = x509util.parse_pem_bundle(text)["certs"]
            if certs:
                out.append((mesh, what, "data[%s]" % key, certs, cm))

    if model.istio is not None:
        for ns in model.istio.namespaces:
            from_secret("istio", "Istio root CA", ns, "istio-ca-secret", ("ca-cert.pem",))
            from_secret("istio", "Istio plugged-in CA", ns, "cacerts", ("root-cert.pem", "ca-cert.pem"))
            from_configmap("istio", "Istio mesh root", ns, "istio-ca-root-cert", "root-cert.pem")
    if model.linkerd is not None:
        ns = model.linkerd.namespace
        from_configmap("linkerd", "Linkerd trust anchor", ns, "linkerd-identity-trust-roots", "ca-bundle.crt")
        from_secret("linkerd", "Linkerd trust anchor", ns, "linkerd-trust-anchor", ("tls.crt", "ca.crt"))
        from_secret("linkerd", "Linkerd identity issuer", ns, "linkerd-identity-issuer", ("crt.pem", "tls.crt"))
        anchors = str((model.linkerd.values or {}).get("identityTrustAnchorsPEM") or "")
        if anchors.strip():
            certs = x509util.parse_pem_bundle(anchors)["certs"]
            cm = view.get("configmaps", ns, "linkerd-config") or {
                "metadata": {"name": "linkerd-config", "namespace": ns}
            }
            if certs:
                out.append(("linkerd", "Linkerd trust anchor", "data[values].identityTrustAnchorsPEM", certs, cm))
    return out


@rule(codes=["SI407"], needs=["secrets"], requires=["cryptography"], uses=["configmaps"])
def mesh_ca_expiring(ctx: RuleContext) -> Iterator[Finding]:
    """Istio root/plugged-in CA and Linkerd trust anchor/issuer certificates: expired or not yet valid
    (error: workload identities stop being issued or trusted) or inside the warning window (warning,
    linkerd check's 60-day rule). Each certificate is reported once, wherever it is stored."""
    now = ctx.options.current_time()
    window = ctx.options.cert_warning_days
    seen = set()
    for mesh, what, field, certs, obj in _mesh_ca_sources(ctx):
        kind = obj.get("kind") or ("Secret" if "certificates" in obj else "ConfigMap")
        ns = (obj.get("metadata") or {}).get("namespace") or ""
        for index, cert in enumerate(certs):
            fingerprint = x509util.fingerprint(cert)
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
            state = x509util.validity(cert, now, window)
            if state["state"] == "valid":
                continue
            facts = x509util.cert_facts(cert)
            if state["state"] == "expiring":
                text = "expires on %s (%d days, inside the %d-day window)" % (
                    facts["not_after"],
                    state["days_left"],
                    window,
                )
            elif state["state"] == "expired":
                text = "expired on %s" % facts["not_after"]
            else:
                text = "is not valid before %s" % facts["not_before"]
            if mesh == "istio":
                steps = [
                    "# plan a root rotation: https://istio.io/latest/docs/tasks/security/cert-management/",
                    "kubectl get secret -n %s %s   # the CA istiod signs with" % (ns, name_of(obj)),
                    "istioctl proxy-config secret <pod> -n <namespace>   # what a sidecar holds",
                ]
            else:
                steps = [
                    "linkerd check --proxy   # trust anchor / issuer checks",
                    "# issuer: linkerd upgrade --identity-issuer-certificate-file=issuer.crt "
                    "--identity-issuer-key-file=issuer.key | kubectl apply -f - (or let cert-manager renew it)",
                    "# trust anchor: follow linkerd.io/2/tasks/manually-rotating-control-plane-tls-credentials, then "
                    "restart meshed workloads",
                ]
            yield Finding(
                code="SI407",
                kind=kind,
                namespace=ns,
                name=name_of(obj),
                mesh=mesh,
                severity="warning" if state["state"] == "expiring" else "error",
                message="%s %s %s" % (what, facts["subject"], text),
                evidence=[evidence(object_ref(kind, ns, name_of(obj)), "%s[%d]" % (field, index), summary(facts))],
                steps=steps,
            )
