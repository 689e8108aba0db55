"""One measurement in a fresh process (so peak memory is this run's alone); prints one JSON line.

    python -m tests.benchmarks.measure gather|floor|floor-gc-paused --kubeconfig FILE [--limit 500]
        [--control-plane NS ...] [--secret NS/NAME ...] [--bundle FILE]

gather: module_utils gathering (gather.Gatherer), then (untimed for the gathering figures) the bundle
write and read-back. floor: plain paginated GETs of the same URLs with `json.loads` and nothing
else (pages are dropped), over the same urllib3 transport; floor-gc-paused: the same with the cyclic
garbage collector paused, as gathering does. Peak memory is the peak RSS minus the RSS just before the
timed part (imports, TLS and client set-up excluded), read from /proc/self/status (VmHWM, VmRSS).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from typing import Any, Dict, List, Optional, Tuple


def _rss() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _peak() -> int:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries the parent's high-water mark
    across fork + exec into it, so a child of a big parent would report the parent's peak."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _client(kubeconfig: str) -> Any:
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client

    params = {name: None for name in kube_client.AUTH_OPTIONS}
    params["kubeconfig"] = kubeconfig
    return kube_client.client_from_params(params, retries=0)


def urls(control_plane: List[str], secrets: List[str]) -> List[Tuple[str, str, Dict[str, str], bool]]:
    """(label, path, query, paginated) for every request of the gathering plan."""
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather

    out = [("version", "/version", {}, False)]
    for resource_name in gather.CLUSTER_KINDS:
        path = gather.resource_path(resource_name)
        if resource_name == "events":
            for label, query in gather.EVENT_QUERIES:
                out.append(("events:" + label, path, dict(query), True))
        else:
            out.append((resource_name, path, {}, True))
    for namespace in control_plane:
        for resource_name in gather.CONTROL_PLANE_LISTS:
            out.append(("%s/%s" % (resource_name, namespace), gather.resource_path(resource_name, namespace), {}, True))
    for item in secrets:
        namespace, name = item.split("/", 1)
        out.append(("secret:" + item, gather.resource_path("secrets", namespace, name), {}, False))
    return out


def floor(args: argparse.Namespace, pause_gc: bool) -> Dict[str, Any]:
    client = _client(args.kubeconfig)
    pool, headers = client.pool, client._headers()
    plan = urls(args.control_plane, args.secret)
    counts: Dict[str, int] = {}
    requests = received = 0
    if pause_gc:
        gc.disable()
    base = _rss()
    started = time.perf_counter()
    for label, path, query, paginated in plan:
        query = dict(query)
        if paginated:
            query["limit"] = str(args.limit)
        counts[label] = 0
        while True:
            response = pool.request(
                "GET", client.url(path, query), headers=headers, retries=False, preload_content=False
            )
            body = response.data
            response.release_conn()
            requests += 1
            received += len(body)
            page = json.loads(body)
            if not paginated:
                break
            counts[label] += len(page.get("items") or ())
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                break
            query["continue"] = token
            del page
    seconds = time.perf_counter() - started
    return {
        "mode": "floor-gc-paused" if pause_gc else "floor",
        "seconds": round(seconds, 3),
        "requests": requests,
        "raw_bytes": received,
        "peak_bytes": _peak() - base,
        "counts": counts,
    }


def gather_run(args: argparse.Namespace) -> Dict[str, Any]:
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle, gather
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import offline as offline_loader

    client = _client(args.kubeconfig)
    base = _rss()
    started = time.perf_counter()
    gatherer = gather.Gatherer(client, limit=args.limit)
    snapshot = gatherer.run()
    seconds = time.perf_counter() - started
    peak = _peak() - base
    retained = _rss() - base
    result = {
        "mode": "gather",
        "seconds": round(seconds, 3),
        "requests": client.requests,
        "raw_bytes": client.bytes_received,
        "peak_bytes": peak,
        "retained_bytes": retained,
        "pages": dict(gatherer.pages),
        "control_plane": gatherer.control_plane.namespaces if gatherer.control_plane else [],
        "secrets": [
            "%s/%s" % (ns, name)
            for ns in (gatherer.control_plane.namespaces if gatherer.control_plane else [])
            for name in gatherer.control_plane.secret_names(ns)
        ],
        "counts": {key: len(items) for key, items in snapshot["resources"].items()},
        "gaps": snapshot["gaps"],
    }
    text = json.dumps(snapshot)
    result["snapshot_json_bytes"] = len(text)
    result["private_key_in_snapshot"] = "PRIVATE KEY" in text
    del text
    if args.bundle:
        started = time.perf_counter()
        written = bundle.write(args.bundle, snapshot)
        result["bundle_write_seconds"] = round(time.perf_counter() - started, 3)
        result["bundle_bytes"] = written["size"]
        started = time.perf_counter()
        loaded = offline_loader.load(args.bundle)
        result["bundle_read_seconds"] = round(time.perf_counter() - started, 3)
        result["bundle_identical"] = loaded == snapshot
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("gather", "floor", "floor-gc-paused"))
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--control-plane", action="append", default=[])
    parser.add_argument("--secret", action="append", default=[])
    parser.add_argument("--bundle")
    args = parser.parse_args(argv)
    if args.mode == "gather":
        result = gather_run(args)
    else:
        result = floor(args, pause_gc=args.mode == "floor-gc-paused")
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip freeing a large heap object by object at exit


if __name__ == "__main__":
    sys.exit(main())
