# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the remediation tests: the production client and writer against kubesim."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s.writes import KubeWriter


def auth(sim: Any, **overrides: Any) -> Dict[str, Any]:
    params: Dict[str, Any] = {name: None for name in kube_client.AUTH_OPTIONS}
    params["kubeconfig"] = sim.kubeconfig_path
    params.update(overrides)
    return params


def writer(sim: Any) -> KubeWriter:
    client = kube_client.client_from_params(auth(sim), retries=0, sleep=lambda s: None)
    return KubeWriter(client)


def namespace(name: str, labels: Optional[Dict[str, str]] = None, annotations: Optional[Dict[str, str]] = None):
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": dict(labels or {}), "annotations": dict(annotations or {})},
    }


def writes(sim: Any) -> List[Dict[str, Any]]:
    """The write requests kubesim served (admin routes excluded)."""
    return [
        r for r in sim.requests if r["method"] in ("PATCH", "POST", "PUT", "DELETE") and "/_kubesim/" not in r["path"]
    ]


def store(sim: Any, resources: List[str]) -> str:
    """Every object of `resources`, as JSON text: what "byte-identical" compares."""
    return json.dumps({r: sim.list(r) for r in resources}, sort_keys=True)


def istio_cluster(factory: Any, *extra: Dict[str, Any]) -> Any:
    """A fresh kubesim running the Istio scenario (injector webhook for revision default) plus `extra`."""
    from tests.kubesim.scenarios import Scenario, start

    sim = factory()
    start(sim, Scenario("istio"))
    if extra:
        sim.seed(list(extra))
    sim.clear_requests()
    return sim


def labels_of(sim: Any, name: str) -> Dict[str, str]:
    meta = sim.get("v1/namespaces", None, name)["metadata"]
    return {k: v for k, v in (meta.get("labels") or {}).items() if k != "kubernetes.io/metadata.name"}


def annotations_of(sim: Any, name: str) -> Dict[str, str]:
    return dict(sim.get("v1/namespaces", None, name)["metadata"].get("annotations") or {})
