# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediation/certs.issue: a CA and a serving certificate the API server accepts for the hosts."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.remediation import certs

x509 = pytest.importorskip("cryptography.x509")


def test_issue_signs_a_serving_certificate_for_the_hosts():
    now = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.timezone.utc)
    out = certs.issue(["linkerd-proxy-injector.linkerd.svc"], days=365, now=now)
    ca = x509.load_pem_x509_certificate(out["ca_pem"])
    leaf = x509.load_pem_x509_certificate(out["cert_pem"])
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert leaf.issuer == ca.subject
    leaf.verify_directly_issued_by(ca)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["linkerd-proxy-injector.linkerd.svc"]
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert [u.dotted_string for u in usage] == ["1.3.6.1.5.5.7.3.1"]  # serverAuth
    assert leaf.not_valid_before_utc == now - datetime.timedelta(minutes=1)
    assert leaf.not_valid_after_utc == now + datetime.timedelta(days=365)
    assert b"PRIVATE KEY" in out["key_pem"] and b"PRIVATE KEY" not in out["cert_pem"]
    fp = certs.fingerprint(out["cert_pem"])
    assert len(fp.split(":")) == 32


def test_bundle_pems_splits_a_base64_bundle():
    a = certs.issue(["a.ns.svc"])["ca_pem"]
    b = certs.issue(["b.ns.svc"])["ca_pem"]
    assert certs.bundle_pems(certs.b64(a + b)) == [a, b]
    assert certs.bundle_pems("") == []
