"""Requests for the server-side apply tests: apply / patch / create through raw HTTPS (exact Status bodies and
Warning headers), and the managedFields of a stored object by manager."""

from __future__ import annotations

import http.client
import json
import ssl
from typing import Any

import yaml

from tests.integration.kubesim.helpers import Reply, call
from tests.kubesim import KubeSim

APPLY = "application/apply-patch+yaml"
WEBHOOK = HOOK_NAME = "namespace.sidecar-injector.istio.io"
MWC_PATH = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-sidecar-injector"


def apply(sim: KubeSim, path: str, doc: dict, manager: str, force: bool = False, query: str = "") -> Reply:
    q = f"?fieldManager={manager}" + ("&force=true" if force else "") + query
    return call(sim, "PATCH", path + q, yaml.safe_dump(doc), content_type=APPLY)


def managed(obj: dict) -> dict[str, dict[str, Any]]:
    """manager → its entry (without the time, checked separately)."""
    return {
        e["manager"]: {k: v for k, v in e.items() if k != "time"} for e in obj["metadata"].get("managedFields") or ()
    }


def mwc(ca_bundle: str | None = None, timeout: int | None = None, with_service: bool = True) -> dict:
    hook: dict[str, Any] = {"name": WEBHOOK}
    if with_service:
        hook.update(
            admissionReviewVersions=["v1"],
            sideEffects="None",
            clientConfig={"service": {"name": "istiod", "namespace": "istio-system", "path": "/inject"}},
        )
    if ca_bundle is not None:
        hook.setdefault("clientConfig", {})["caBundle"] = ca_bundle
    if timeout is not None:
        hook["timeoutSeconds"] = timeout
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "istio-sidecar-injector"},
        "webhooks": [hook],
    }


def json_patch(sim: KubeSim, path: str, ops: list[dict], manager: str) -> Reply:
    return call(
        sim, "PATCH", f"{path}?fieldManager={manager}", json.dumps(ops), content_type="application/json-patch+json"
    )


def key(**fields: Any) -> str:
    """A fieldsV1 key element: k:{"name":"app"} (key fields sorted, compact JSON)."""
    return "k:" + json.dumps(dict(sorted(fields.items())), separators=(",", ":"))


def warnings_of(sim: KubeSim, method: str, path: str, body: Any, content_type: str = "application/json") -> list[str]:
    """Every `Warning` response header, in order (the shared raw helper keeps one value per header name)."""
    conn = http.client.HTTPSConnection("127.0.0.1", sim.port, context=ssl.create_default_context(cafile=sim.ca_file))
    try:
        data = body if isinstance(body, str) else json.dumps(body)
        conn.request(method, path, data, {"Authorization": f"Bearer {sim.token}", "Content-Type": content_type})
        resp = conn.getresponse()
        resp.read()
        return list(resp.headers.get_all("Warning") or [])
    finally:
        conn.close()
