# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private keys read from the cluster never appear in a snapshot, a bundle or a log line."""

from __future__ import annotations

import base64
import datetime
import gzip
import json

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import offline as offline_loader

from .conftest import example_files
from .helpers import Recorder, gather_live

cryptography = pytest.importorskip("cryptography")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def pair(name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=7300))
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode(),
    )


def b64(text):
    return base64.b64encode(text.encode()).decode()


def leak_markers(key_pem):
    body = "".join(line for line in key_pem.splitlines() if not line.startswith("-----"))
    return ["PRIVATE KEY", body[:48], body[-48:], b64(key_pem)[:48], b64(key_pem)[-48:]]


def secret(name, namespace, data, annotations=None):
    meta = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": meta,
        "data": {k: b64(v) for k, v in data.items()},
    }


def test_keys_never_leave_the_gathering_code(sim, tmp_path):
    sim.seed(*example_files("istio-broken"))
    cert, key = pair("istiod.istio-system.svc")
    root, root_key = pair("Root CA")
    sim.seed(
        secret("istio-ca-secret", "istio-system", {"ca-cert.pem": root, "ca-key.pem": root_key, "root-cert.pem": root}),
        secret(
            "cacerts",
            "istio-system",
            {"ca-cert.pem": cert, "ca-key.pem": key, "cert-chain.pem": cert + root, "combined.pem": key + cert},
            annotations={"kubectl.kubernetes.io/last-applied-configuration": json.dumps({"data": {"k": b64(key)}})},
        ),
        secret("db-credentials", "istio-system", {"password": "hunter2"}),
    )
    recorder = Recorder()
    live, _unused, _unused = gather_live(sim, recorder)
    secrets = {s["metadata"]["name"]: s for s in live["resources"]["secrets"]}
    assert sorted(secrets) == ["cacerts", "istio-ca-secret"]
    assert secrets["cacerts"]["certificates"] == {
        "ca-cert.pem": cert,
        "cert-chain.pem": cert + root,
        "combined.pem": cert,
    }
    assert secrets["istio-ca-secret"]["certificates"] == {"ca-cert.pem": root, "root-cert.pem": root}

    dest = str(tmp_path / "b.json.gz")
    bundle.write(dest, live)
    with gzip.open(dest, "rb") as handle:
        bundle_text = handle.read().decode()
    outputs = {
        "snapshot": json.dumps(live),
        "bundle": bundle_text,
        "offline": json.dumps(offline_loader.load(dest)),
        "log": "\n".join(recorder.lines),
    }
    for where, text in outputs.items():
        for marker in leak_markers(key) + leak_markers(root_key) + ["hunter2", b64("hunter2")]:
            assert marker not in text, (where, marker)
