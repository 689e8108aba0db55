"""Through the real HTTPS API server (KubeSim): the chain is wired in, the injectors are attached as a
background service, and the admin route drives them."""

from __future__ import annotations

import copy
import json
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.kubesim.injectors.attach import attach

from .helpers import load_fixture

server = pytest.importorskip("tests.kubesim.server")


def _call(
    sim: Any, method: str, path: str, body: dict | None = None, content_type: str = "application/json"
) -> tuple[int, dict]:
    ctx = ssl.create_default_context(cafile=sim.ca_file)
    request = urllib.request.Request(
        sim.url + path,
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {sim.token}", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, context=ctx, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.slow
def test_pod_create_and_dry_run_through_the_api_and_admin_route() -> None:
    seed = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}},
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "demo", "labels": {"istio-injection": "enabled"}},
        },
        *load_fixture("istio/istiod.service.golden.yaml"),
        *load_fixture("istio/istio-sidecar-injector.mwc.golden.yaml"),
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "istiod-x",
                "namespace": "istio-system",
                "labels": {"kubernetes.io/service-name": "istiod"},
            },
            "addressType": "IPv4",
            "ports": [{"name": "https-webhook", "port": 15017}],
            "endpoints": [{"addresses": ["10.244.0.9"], "conditions": {"ready": True}}],
        },
    ]
    sim = server.KubeSim(seed=copy.deepcopy(seed)).start()
    try:
        registry = attach(sim, ["istio=istio-system/istiod"], auto=False)
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"generateName": "web-"},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]},
        }
        status, created = _call(sim, "POST", "/api/v1/namespaces/demo/pods?dryRun=All", pod)
        assert status == 201, created
        assert [c["name"] for c in created["spec"]["containers"]] == ["web", "istio-proxy"]
        assert registry.istio().server.requests[-1]["request"]["dryRun"] is True

        status, state = _call(
            sim, "POST", "/_kubesim/injectors/istiod.istio-system.svc:443", {"certificate": "foreign"}
        )
        assert status == 200 and state["listening"] is True
        status, error = _call(sim, "POST", "/api/v1/namespaces/demo/pods", pod)
        assert (status, error["reason"]) == (500, "InternalError")
        assert error["message"] == (
            'Internal error occurred: failed calling webhook "namespace.sidecar-injector.istio.io": failed to call '
            'webhook: Post "https://istiod.istio-system.svc:443/inject?timeout=10s": tls: failed to verify '
            "certificate: x509: certificate signed by unknown authority"
        )

        _call(
            sim, "POST", "/_kubesim/injectors/istiod.istio-system.svc:443", {"certificate": "valid", "listening": False}
        )
        status, error = _call(sim, "POST", "/api/v1/namespaces/demo/pods", pod)
        assert error["message"].endswith("dial tcp 10.244.0.9:15017: connect: connection refused")
        status, listing = _call(sim, "GET", "/_kubesim/injectors")
        assert listing["istiod.istio-system.svc:443"]["listening"] is False
    finally:
        sim.stop()
