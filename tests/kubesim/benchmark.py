"""Seed-and-page benchmark for kubesim: `python -m tests.kubesim.benchmark [--pods N] [--namespaces N]`.

Builds a synthetic cluster (namespaces, one Deployment + ReplicaSet per namespace, the pods, events), seeds it,
then pages through all pods with limit=500 over raw HTTPS, cold (first encoding) and warm, with and without
parsing the JSON on the client side.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import ssl
import time
from typing import Any

from .server import KubeSim

_CONTINUE = re.compile(rb'"continue":"([^"]+)"')


def synthetic_cluster(namespaces: int, pods: int, events: int) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    per_ns = max(1, pods // namespaces)
    for i in range(namespaces):
        ns = f"ns-{i:04d}"
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"istio-injection": "enabled" if i % 2 else "disabled"}},
            }
        )
        tpl = {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "app", "image": "nginx:1.25"},
                    {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.0"},
                ]
            },
        }
        d_uid, rs_uid = f"00000000-0000-4000-8000-d{i:011d}", f"00000000-0000-4000-8000-e{i:011d}"
        owner = {"apiVersion": "apps/v1", "controller": True, "blockOwnerDeletion": True}
        objs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web", "namespace": ns, "uid": d_uid},
                "spec": {"replicas": per_ns, "selector": {"matchLabels": {"app": "web"}}, "template": tpl},
            }
        )
        objs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": "web-7d4b9c8f6d",
                    "namespace": ns,
                    "uid": rs_uid,
                    "ownerReferences": [{**owner, "kind": "Deployment", "name": "web", "uid": d_uid}],
                },
                "spec": {"replicas": per_ns, "selector": {"matchLabels": {"app": "web"}}, "template": tpl},
            }
        )
        for j in range(per_ns):
            objs.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"web-7d4b9c8f6d-{j:05d}",
                        "namespace": ns,
                        "labels": {"app": "web"},
                        "ownerReferences": [{**owner, "kind": "ReplicaSet", "name": "web-7d4b9c8f6d", "uid": rs_uid}],
                    },
                    "spec": tpl["spec"],
                }
            )
    for k in range(events):
        ns = f"ns-{k % namespaces:04d}"
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"web.{k:016x}", "namespace": ns},
                "involvedObject": {"kind": "ReplicaSet", "name": "web-7d4b9c8f6d", "namespace": ns},
                "reason": "FailedCreate",
                "message": "Error creating: boom",
                "type": "Warning",
            }
        )
    return objs


def page_all(sim: KubeSim, path: str, limit: int, parse: bool) -> tuple[int, int, float]:
    ctx = ssl.create_default_context(cafile=sim.ca_file)
    conn = http.client.HTTPSConnection("127.0.0.1", sim.port, context=ctx)
    headers = {"Authorization": f"Bearer {sim.token}"}
    started = time.perf_counter()
    token, pages, items = None, 0, 0
    while True:
        conn.request("GET", f"{path}?limit={limit}" + (f"&continue={token}" if token else ""), headers=headers)
        body = conn.getresponse().read()
        pages += 1
        if parse:
            doc = json.loads(body)
            items += len(doc["items"])
            token = doc["metadata"].get("continue")
        else:
            m = _CONTINUE.search(body, 0, 4096)
            token = m.group(1).decode() if m else None
        if not token:
            break
    conn.close()
    return pages, items, time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m tests.kubesim.benchmark")
    p.add_argument("--pods", type=int, default=50_000)
    p.add_argument("--namespaces", type=int, default=2_000)
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--limit", type=int, default=500)
    args = p.parse_args()
    objs = synthetic_cluster(args.namespaces, args.pods, args.events)
    with KubeSim() as sim:
        started = time.perf_counter()
        counts = sim.seed(objs)
        print(
            f"seed: {sum(counts.values())} objects ({counts.get('v1/pods', 0)} pods) in "
            f"{time.perf_counter() - started:.2f}s"
        )
        for label, parse in (
            ("cold, client parses JSON", True),
            ("warm, client parses JSON", True),
            ("warm, transfer only", False),
        ):
            pages, items, took = page_all(sim, "/api/v1/pods", args.limit, parse)
            print(
                f"page all pods (limit={args.limit}, {label}): {pages} pages"
                + (f", {items} items" if parse else "")
                + f" in {took:.2f}s"
            )


if __name__ == "__main__":
    main()
