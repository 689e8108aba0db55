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
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.plan import (
    Operation,
    Plan,
    delete,
    external,
    inspect,
    note,
    restart,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.refs import ObjectRef
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.schema import name_of
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.controlplane import (
    MAX_EVIDENCE,
    OPENSSL_SUMMARY,
    bundle_step,
    hook_field,
    istio_ca_source,
    live_injectors,
    mesh_affects,
    mwc_ref,
    resync_from,
    rotate_op,
    webhook_affects,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import RuleContext, rule

LINKERD_SERVING = (("linkerd-proxy-injector-k8s-tls", ("tls.crt",)), ("linkerd-proxy-injector-tls", ("crt.pem",)))
# Istio <= 1.5's separate injector serves the certificate Citadel writes for its ServiceAccount
# (istio/istio install/kubernetes/helm/istio/charts/sidecarInjectorWebhook, `secretName:
# istio.istio-sidecar-injector-service-account`, mounted at /etc/istio/certs).
ISTIO_LEGACY_SERVING = (("istio.istio-sidecar-injector-service-account", ("cert-chain.pem",)),)
INJECTOR_TITLE = {"linkerd": "proxy-injector", "istio": "istio-sidecar-injector"}
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


def _source_step(source: ObjectRef, key: str) -> Operation:
    """Read-only: the certificate the bundle must hold, as openssl shows it."""
    from_secret = source.kind == "Secret"
    return inspect(
        source,
        "get",
        source.kind.lower(),
        source.name,
        "-n",
        source.namespace,
        "-o",
        "jsonpath={.data.%s}" % key.replace(".", "\\."),
        pipe=("base64 -d | " if from_secret else "") + OPENSSL_SUMMARY,
        why="must be the same certificate",
    )


def _linkerd_ca_source(ctx: RuleContext, webhook: Any) -> Optional[Tuple[ObjectRef, str]]:
    """The CA a Linkerd caBundle must hold: the Secret cert-manager's cainjector reads (annotation
    inject-ca-from-secret), else the serving Secret's ca.crt, else its serving certificate itself (as
    Linkerd's chart does: the certificate is self-signed, and Go trusts a certificate that is in the
    bundle even when it was issued by a CA that is not)."""
    ns = webhook.service.namespace if webhook.service else ""
    named = webhook.config_annotations.get("cert-manager.io/inject-ca-from-secret", "")
    if "/" in named:
        secret_ns, _sep, secret_name = named.partition("/")
        return ObjectRef("Secret", secret_name, secret_ns), "ca.crt"
    served = linkerd_serving_chain(ctx, webhook)
    if served is None:
        return None
    secret, key, _chain = served
    held = x509util.secret_pems(secret)
    return ObjectRef("Secret", name_of(secret), ns), "ca.crt" if "ca.crt" in held else key


def _resync_plan(ctx: RuleContext, webhook: Any, hooks: List[Any], renew_first: bool = False) -> Plan:
    """Set the caBundle of the configuration's webhooks from the CA they must trust (the mesh root for
    Istio, the serving Secret for Linkerd); the installer's own way is the alternative."""
    ns = webhook.service.namespace if webhook.service else ""
    target = ObjectRef("MutatingWebhookConfiguration", webhook.config)
    ops: List[Operation] = [bundle_step(webhook)]
    alternatives: List[Plan] = []
    if webhook.mesh == "istio":
        source: Optional[Tuple[ObjectRef, str]] = istio_ca_source(ctx, ns)
        rev = webhook.revision or "default"
        if webhook.revision:
            deploy = _istiod_deployment(ctx, rev)
            alternatives.append(
                Plan(
                    "manual",
                    deploy,
                    [restart([deploy], why="istiod re-patches the caBundle of MWCs labelled istio.io/rev=%s" % rev)],
                    reason="let istiod re-patch it",
                )
            )
    else:
        source = _linkerd_ca_source(ctx, webhook)
        alternatives.append(
            Plan(
                "manual",
                target,
                [
                    external(
                        "linkerd upgrade", into=("apply", "-f", "-"), why="a new certificate and a matching bundle"
                    ),
                    external(
                        "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n %s --reuse-values" % ns,
                        why="Helm installs: the same",
                    ),
                    restart([ObjectRef("Deployment", "linkerd-proxy-injector", ns)]),
                ],
                reason="re-render the webhook certificate and bundle with the installer",
            )
        )
    if any(a in webhook.config_annotations for a in CA_INJECT_ANNOTATIONS):
        ops += [
            note(
                "cert-manager's cainjector owns this caBundle: if it writes a wrong one, fix the Certificate it reads"
            ),
            inspect(ObjectRef("Namespace", ns), "get", "certificate", "-n", ns),
            inspect(
                ObjectRef("Deployment", "cert-manager-cainjector", "cert-manager"),
                "logs",
                "-n",
                "cert-manager",
                "deploy/cert-manager-cainjector",
                "--tail=100",
            ),
        ]
    if source is None:
        # The serving Secret is not in the snapshot: nothing names the CA to copy.
        return Plan("manual", target, ops, reason="find the CA the bundle must hold", alternatives=alternatives)
    ops.append(_source_step(*source))
    if renew_first:
        ops.append(
            note(
                "this copies what %s holds: if that certificate is itself expired or expiring (SI405/SI407), "
                "renew it first" % source[0].text()
            )
        )
    ops.append(resync_from(hooks, source[0], source[1]))
    return Plan(
        "resync_ca", target, ops, reason="trust the CA the injector's certificate chains to", alternatives=alternatives
    )


def _istiod_deployment(ctx: RuleContext, revision: str) -> ObjectRef:
    istio = ctx.model.istio
    rev = istio.revisions.get(revision) if istio is not None else None
    if rev is not None and rev.deployments:
        return ObjectRef("Deployment", rev.deployments[0], rev.namespace)
    name = "istiod" if revision == "default" else "istiod-%s" % revision
    return ObjectRef("Deployment", name, rev.namespace if rev is not None else "istio-system")


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
            plan=_resync_plan(ctx, webhook, hooks),
            affects=webhook_affects(ctx, hooks),
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
                    plan=_resync_plan(ctx, webhook, hooks, renew_first=True),
                    affects=webhook_affects(ctx, hooks),
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
                    plan=_resync_plan(ctx, webhook, hooks, renew_first=True),
                    affects=webhook_affects(ctx, hooks),
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


def serving_chain(ctx: RuleContext, webhook: Any) -> Optional[Tuple[Dict[str, Any], str, List[Any]]]:
    """(Secret, data key, chain) of the certificate an injector serves, where it is stored: Linkerd's
    proxy-injector Secret, or for a legacy Istio injector (no istiod) Citadel's Secret of its
    ServiceAccount. None for istiod, whose serving certificate lives in memory."""
    if webhook.mesh == "linkerd":
        return linkerd_serving_chain(ctx, webhook)
    istio = ctx.model.istio
    revision = istio.revisions.get(webhook.target_revision) if istio is not None else None
    if revision is None or not revision.legacy or webhook.service is None or not ctx.view.has("secrets"):
        return None
    for name, keys in ISTIO_LEGACY_SERVING:
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


def _rotate_plan(ctx: RuleContext, webhook: Any, hooks: List[Any], secret: Dict[str, Any]) -> Plan:
    """A new serving certificate for <service>.<namespace>.svc into the Secret, the caBundle set to it
    and the proxy-injector restarted; the installer's own rotation is the alternative."""
    ns = webhook.service.namespace
    secret_ref = ObjectRef("Secret", name_of(secret), ns)
    host = x509util.service_dns_name(webhook.service.name, ns)
    backend = ctx.model.injector_backends(webhook)
    injectors = [ObjectRef("Deployment", name_of(d), ns) for d in backend.deployments] or [
        ObjectRef("Deployment", "linkerd-proxy-injector", ns)
    ]
    ops: List[Operation] = []
    issuer = webhook.config_annotations.get("cert-manager.io/inject-ca-from", "")
    if issuer:
        cert_ns, _sep, cert_name = issuer.partition("/")
        ops.append(
            external(
                "cmctl renew -n %s %s" % (cert_ns, cert_name),
                why="cert-manager issues this certificate: renew it there, or it replaces the one below",
            )
        )
    ops += [
        rotate_op(hooks, secret_ref, [host], injectors),
        external("linkerd check", why="'proxy-injector webhook has valid cert'"),
    ]
    installer = Plan(
        "manual",
        secret_ref,
        [
            external(
                "helm upgrade linkerd-control-plane linkerd/linkerd-control-plane -n %s --reuse-values" % ns,
                why="a new 365-day certificate and a matching caBundle",
            ),
            external("linkerd upgrade", into=("apply", "-f", "-"), why="CLI installs: the same"),
            restart(injectors),
        ],
        reason="let the installer render a new certificate and bundle",
    )
    return Plan(
        "rotate_cert", secret_ref, ops, reason="serve a valid certificate for %s" % host, alternatives=[installer]
    )


def _serving_plan(ctx: RuleContext, webhook: Any, hooks: List[Any], secret: Dict[str, Any]) -> Plan:
    if webhook.mesh == "linkerd":
        return _rotate_plan(ctx, webhook, hooks, secret)
    return _citadel_plan(ctx, webhook, secret)


def _citadel_plan(ctx: RuleContext, webhook: Any, secret: Dict[str, Any]) -> Plan:
    """Legacy Istio: Citadel re-issues an `istio.<serviceaccount>` Secret that is deleted, for the
    names it knows for that account (istio-sidecar-injector.<ns>.svc); a renamed Service needs its
    old name back (or the name added to Citadel's --custom-dns-names)."""
    ns = webhook.service.namespace
    secret_ref = ObjectRef("Secret", name_of(secret), ns)
    backend = ctx.model.injector_backends(webhook)
    injectors = [ObjectRef("Deployment", name_of(d), ns) for d in backend.deployments] or [
        ObjectRef("Deployment", "istio-sidecar-injector", ns)
    ]
    return Plan(
        "manual",
        secret_ref,
        [
            note(
                "Citadel issues this certificate for Service istio-sidecar-injector.%s.svc: serve the webhook "
                "under that name (or add %s to Citadel's --custom-dns-names)"
                % (ns, x509util.service_dns_name(webhook.service.name, ns))
            ),
            delete(secret_ref, why="Citadel re-issues it within seconds"),
            restart(injectors),
        ],
        reason="have Citadel issue a valid certificate for the injector",
    )


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
                plan=_resync_plan(ctx, webhook, hooks),
                affects=webhook_affects(ctx, hooks),
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
                plan=_resync_plan(ctx, webhook, hooks),
                affects=webhook_affects(ctx, hooks),
            )


# ---- SI405 / SI406 --------------------------------------------------------------------------------


@rule(codes=["SI405", "SI406"], needs=["mutatingwebhookconfigurations", "secrets"], requires=["cryptography"])
def serving_certificate(ctx: RuleContext) -> Iterator[Finding]:
    """The injector's stored serving certificate (Linkerd's proxy-injector; the legacy Istio injector's
    Citadel Secret): expired or not yet valid (SI405 error), expiring within the window (SI405
    warning), SANs not covering <service>.<namespace>.svc (SI406, with Go's exact error). istiod's
    serving certificate is not stored anywhere readable."""
    now = ctx.options.current_time()
    window = ctx.options.cert_warning_days
    for _config, hooks in _configs(ctx):
        webhook = hooks[0]
        served = serving_chain(ctx, webhook)
        who = INJECTOR_TITLE.get(webhook.mesh, "injector")
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
                message = "the %s %s %s expires on %s (%d days, inside the %d-day window)" % (
                    who,
                    role,
                    facts["subject"],
                    facts["not_after"],
                    state["days_left"],
                    window,
                )
            elif state["state"] == "expired":
                message = (
                    "the %s %s %s expired on %s: the API server's TLS handshake fails (x509: "
                    "certificate has expired or is not yet valid)" % (who, role, facts["subject"], facts["not_after"])
                )
            else:
                message = "the %s %s %s is not valid before %s" % (
                    who,
                    role,
                    facts["subject"],
                    facts["not_before"],
                )
            yield Finding(
                code="SI405",
                kind="Secret",
                namespace=ns,
                name=name_of(secret),
                mesh=webhook.mesh,
                severity="warning" if state["state"] == "expiring" else "error",
                message=message,
                evidence=[_secret_ev(secret, key, index, cert)],
                plan=_serving_plan(ctx, webhook, hooks, secret),
                affects=webhook_affects(ctx, hooks),
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
                mesh=webhook.mesh,
                message="the %s certificate does not cover %s, the name the API server dials: %s" % (who, host, error),
                evidence=[
                    _secret_ev(secret, key, 0, chain[0]),
                    evidence(
                        object_ref("Secret", ns, name_of(secret)),
                        "data[%s][0] subjectAltName" % key,
                        ", ".join(facts["dns_names"] + facts["ip_addresses"]) or "<none>",
                    ),
                ],
                plan=_serving_plan(ctx, webhook, hooks, secret),
                affects=webhook_affects(ctx, hooks),
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
            yield Finding(
                code="SI407",
                kind=kind,
                namespace=ns,
                name=name_of(obj),
                mesh=mesh,
                severity="warning" if state["state"] == "expiring" else "error",
                message="%s %s %s" % (what, facts["subject"], text),
                evidence=[evidence(object_ref(kind, ns, name_of(obj)), "%s[%d]" % (field, index), summary(facts))],
                plan=_ca_plan(ctx, mesh, what, ObjectRef(kind, name_of(obj), ns)),
                affects=mesh_affects(ctx, mesh),
            )


def _ca_plan(ctx: RuleContext, mesh: str, what: str, ref: ObjectRef) -> Plan:
    """A mesh CA is rotated by hand, with the mesh's own procedure: guidance and read-only checks."""
    where = inspect(ref, "get", ref.kind.lower(), ref.name, "-n", ref.namespace, why="the CA as stored")
    if mesh == "istio":
        pod = next(
            (
                v
                for v in ctx.verdicts
                if v.injected and v.proxy is not None and v.proxy.mesh == "istio" and not v.control_plane
            ),
            None,
        )
        ops = [note("plan a root rotation: https://istio.io/latest/docs/tasks/security/cert-management/"), where]
        ops.append(
            external(
                "istioctl proxy-config secret %s -n %s"
                % ((pod.name, pod.namespace) if pod else ("<pod>", "<namespace>")),
                why="what a sidecar holds",
            )
        )
    else:
        ops = [where, external("linkerd check --proxy", why="trust anchor / issuer checks")]
        if "issuer" in what:
            ops.append(
                external(
                    "linkerd upgrade --identity-issuer-certificate-file=issuer.crt "
                    "--identity-issuer-key-file=issuer.key",
                    into=("apply", "-f", "-"),
                    why="a new issuer (or let cert-manager renew it)",
                )
            )
        else:
            ops.append(
                note(
                    "trust anchor: follow linkerd.io/2/tasks/manually-rotating-control-plane-tls-credentials, then "
                    "restart meshed workloads"
                )
            )
    return Plan("manual", ref, ops, reason="rotate the %s before it expires" % what)
