"""Benchmark: verdicts (and the whole diagnosis) for a large synthetic cluster.

    python -m tests.benchmarks.verdicts [--pods 50000] [--namespaces 2000]

Builds a snapshot in memory (Istio default install, Linkerd, 1/3 of namespaces per mesh, 5
Deployments per namespace, half of the Istio pods already injected), then times build_model +
compute_verdicts and the full diagnose(). `run()` returns the figures for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Dict, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.decision.verdicts import (
    Decider,
    compute_verdicts,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model.mesh import (
    build_model,
    standard_istio_webhooks,
    standard_linkerd_webhooks,
)
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.diagnosis import diagnose
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.view import SnapshotView

STATUS = json.dumps({"initContainers": ["istio-init"], "containers": ["istio-proxy"], "revision": "default"})


def synthetic_snapshot(pods: int = 50000, namespaces: int = 2000, per_namespace_deployments: int = 5) -> Dict[str, Any]:
    res: Dict[str, List[Dict[str, Any]]] = {
        "mutatingwebhookconfigurations": [standard_istio_webhooks("default"), standard_linkerd_webhooks()],
        "namespaces": [],
        "pods": [],
        "deployments": [],
        "replicasets": [],
    }
    per_deploy = max(1, pods // (namespaces * per_namespace_deployments))
    count = 0
    for n in range(namespaces):
        ns = "ns-%04d" % n
        labels = {"istio-injection": "enabled"} if n % 3 == 0 else {}
        annos = {"linkerd.io/inject": "enabled"} if n % 3 == 1 else {}
        res["namespaces"].append(
            {"kind": "Namespace", "metadata": {"name": ns, "labels": labels, "annotations": annos}}
        )
        for d in range(per_namespace_deployments):
            app = "app-%d" % d
            dep_uid, rs_uid = "d-%s-%s" % (ns, app), "r-%s-%s" % (ns, app)
            tmpl = {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": app, "image": "app:1"}]}}
            res["deployments"].append(
                {
                    "kind": "Deployment",
                    "metadata": {"name": app, "namespace": ns, "uid": dep_uid},
                    "spec": {"template": tmpl},
                }
            )
            res["replicasets"].append(
                {
                    "kind": "ReplicaSet",
                    "metadata": {
                        "name": app + "-7d9f",
                        "namespace": ns,
                        "uid": rs_uid,
                        "ownerReferences": [{"kind": "Deployment", "name": app, "uid": dep_uid, "controller": True}],
                    },
                    "spec": {"template": tmpl},
                }
            )
            for i in range(per_deploy):
                if count >= pods:
                    break
                count += 1
                injected = n % 3 == 0 and i % 2 == 0
                containers = [{"name": app, "image": "app:1"}]
                annotations = {}
                if injected:
                    containers.append({"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.22.3"})
                    annotations = {"sidecar.istio.io/status": STATUS}
                res["pods"].append(
                    {
                        "kind": "Pod",
                        "metadata": {
                            "name": "%s-7d9f-%05d" % (app, i),
                            "namespace": ns,
                            "uid": "p-%s-%s-%d" % (ns, app, i),
                            "labels": {"app": app, "pod-template-hash": "7d9f"},
                            "annotations": annotations,
                            "ownerReferences": [
                                {"kind": "ReplicaSet", "name": app + "-7d9f", "uid": rs_uid, "controller": True}
                            ],
                        },
                        "spec": {"containers": containers},
                        "status": {"phase": "Running"},
                    }
                )
    return {"schema": 1, "cluster": {"name": "bench", "source": "offline"}, "resources": res, "gaps": []}


def run(pods: int = 50000, namespaces: int = 2000) -> Dict[str, Any]:
    snap = synthetic_snapshot(pods, namespaces)
    started = time.perf_counter()
    view = SnapshotView(snap)
    model = build_model(view)
    decider = Decider(view, model)
    verdicts = compute_verdicts(view, model, decider)
    verdict_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = diagnose(snap)
    diagnose_seconds = time.perf_counter() - started
    return {
        "pods": len(snap["resources"]["pods"]),
        "namespaces": namespaces,
        "verdicts": len(verdicts),
        "distinct_decisions": len(decider._memo),
        "verdict_seconds": round(verdict_seconds, 3),
        "diagnose_seconds": round(diagnose_seconds, 3),
        "findings": len(result["findings"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=50000)
    parser.add_argument("--namespaces", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(run(args.pods, args.namespaces), indent=2))


if __name__ == "__main__":
    main()
