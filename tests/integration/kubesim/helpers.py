"""Raw HTTPS access to a KubeSim (for what the typed clients hide: headers, status bodies, dropped connections)
and small object builders."""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any

from tests.kubesim import KubeSim

UNSET: Any = object()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def call(
    sim: KubeSim,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: Any = UNSET,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Reply:
    ctx = ssl.create_default_context(cafile=sim.ca_file)
    conn = http.client.HTTPSConnection("127.0.0.1", sim.port, context=ctx, timeout=30)
    hdrs = dict(headers or {})
    if token is UNSET:
        token = sim.token
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        hdrs["Content-Type"] = content_type
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def namespace(name: str, labels: dict[str, str] | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def pod(name: str, ns: str = "default", labels: dict[str, str] | None = None, **spec: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}], **spec},
    }


def deployment(
    name: str,
    ns: str = "default",
    replicas: int = 2,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    **spec: Any,
) -> dict:
    labels = labels or {"app": name}
    tpl_meta: dict[str, Any] = {"labels": labels}
    if annotations:
        tpl_meta["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": tpl_meta,
                "spec": {
                    "containers": [
                        {"name": "app", "image": "nginx:1.25", "ports": [{"name": "http", "containerPort": 80}]}
                    ]
                },
            },
            **spec,
        },
    }


def configmap(
    name: str, ns: str = "default", data: dict[str, str] | None = None, labels: dict[str, str] | None = None
) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "data": data or {},
    }
