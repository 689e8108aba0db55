# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every certificate the injection path depends on, with its expiry: the report's `summary.certificates`.

The findings (SI402-SI407) name only the certificates that are already a problem; the fleet roll-up
("expiring soonest") and the Prometheus metrics (seconds until expiry, for alerting) need all of them:
the webhook caBundle roots, the Linkerd proxy-injector's serving chain and the mesh CAs (Istio root or
plugged-in CA, Linkerd trust anchor and identity issuer). The same places the certificate rules read,
found with their helpers, so the inventory and the findings can never disagree on what exists.
Each certificate appears once per place it is stored; only public facts are kept.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import x509 as x509util
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import certificates as cert_rules
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.engine import Options, RuleContext


def _entry(mesh: str, role: str, obj: str, field: str, cert: Any, now: datetime.datetime) -> Dict[str, Any]:
    facts = x509util.cert_facts(cert)
    not_after = x509util.utc(cert.not_valid_after_utc)
    return {
        "mesh": mesh,
        "role": role,
        "object": obj,
        "field": field,
        "subject": facts["subject"],
        "not_after": facts["not_after"],
        "seconds_left": int((not_after - x509util.utc(now)).total_seconds()),
        "sha256": facts["sha256"],
    }


def inventory(view: Any, model: Any, options: Options) -> List[Dict[str, Any]]:
    """The certificates, soonest expiry first. Empty when `cryptography` is missing (SI804 says so)."""
    if not x509util.HAS_CRYPTOGRAPHY:
        return []
    now = options.current_time()
    ctx = RuleContext(view=view, model=model, verdicts=[], options=options)
    out: List[Dict[str, Any]] = []
    for config, hooks in cert_rules._configs(ctx):
        webhook = hooks[0]
        obj = "MutatingWebhookConfiguration %s" % config
        for index, cert in enumerate(cert_rules._bundle(webhook)["certs"]):
            out.append(
                _entry(webhook.mesh, "webhook caBundle", obj, "webhooks[].clientConfig.caBundle[%d]" % index, cert, now)
            )
        served = cert_rules.serving_chain(ctx, webhook)
        if served is not None:
            secret, key, chain = served
            meta = secret.get("metadata") or {}
            name = "Secret %s/%s" % (meta.get("namespace"), meta.get("name"))
            for index, cert in enumerate(chain):
                role = "injector serving certificate" if index == 0 else "injector chain certificate"
                out.append(_entry(webhook.mesh, role, name, "data[%s][%d]" % (key, index), cert, now))
    for mesh, what, field, certs, obj in cert_rules._mesh_ca_sources(ctx):
        meta = obj.get("metadata") or {}
        kind = obj.get("kind") or ("Secret" if "certificates" in obj else "ConfigMap")
        name = "%s %s/%s" % (kind, meta.get("namespace"), meta.get("name"))
        for index, cert in enumerate(certs):
            out.append(_entry(mesh, what, name, "%s[%d]" % (field, index), cert, now))
    out.sort(key=lambda c: (c["seconds_left"], c["object"], c["field"]))
    return out
