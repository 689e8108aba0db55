# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live gathering against kubesim: the request plan, and live == bundle == kubectl-dump snapshots."""

from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle, gather
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import offline as offline_loader
from tests.unit.plugins.module_utils.request_plan import expected_requests

from .conftest import example_files
from .helpers import api_requests, dump_like_kubectl, gather_live


@pytest.mark.parametrize("example", ["istio-broken", "linkerd-broken"])
def test_live_bundle_and_kubectl_dump_give_the_same_snapshot(sim, tmp_path, example):
    sim.seed(*example_files(example))
    live, _unused, _unused = gather_live(sim)
    assert live["gaps"] == []
    assert live["cluster"]["source"] == "live" and live["cluster"]["server"] == sim.url

    # live -> bundle -> offline: identical, byte for byte in content
    dest = str(tmp_path / "cluster.json.gz")
    assert bundle.write(dest, live)["written"] is True
    assert offline_loader.load(dest) == live

    # the same cluster state dumped the way people do it (kubectl get -A -o yaml) and loaded offline
    dump = str(tmp_path / "dump")
    dump_like_kubectl(sim, dump)
    offline = offline_loader.load(dump)
    assert offline["resources"] == live["resources"]
    assert offline["version"] == live["version"]
    assert offline["gaps"] == live["gaps"] == []


def test_request_plan_is_a_fixed_set_plus_pagination(sim):
    sim.seed(*example_files("istio-broken"))
    live, client, _unused = gather_live(sim, limit=5)
    served = api_requests(sim)
    assert client.requests == len(served) == live["requests"]
    # what the server holds, before any client-side selection
    server = {
        "mutatingwebhookconfigurations": 4,
        "validatingwebhookconfigurations": 1,
        "deployments": 21,
        "namespaces": len(sim.list("v1/namespaces")),
        "pods": 28,
        "replicasets": 21,
        "daemonsets": 3,
        "jobs": 1,
        "events:Warning": 7,
        "events:InjectionSkipped": 0,
        "resourcequotas": 1,
        "limitranges": 1,
        "nodes": len(sim.list("v1/nodes")),
        "clusterroles": len(sim.list("rbac.authorization.k8s.io/v1/clusterroles")),
        "clusterrolebindings": len(sim.list("rbac.authorization.k8s.io/v1/clusterrolebindings")),
    }
    in_istio_system = {
        resource: len(sim.list("%s/%s" % (snap.RESOURCES[resource].api_version, resource), "istio-system"))
        for resource in gather.CONTROL_PLANE_LISTS
    }
    assert in_istio_system["services"] == 2 and in_istio_system["roles"] == 2
    control_plane = {"%s/istio-system" % k: v for k, v in in_istio_system.items()}
    expected = expected_requests(server, 5, control_plane, secret_gets=2)
    assert client.requests == expected
    # pods: 28 objects / 5 per page = 6 pages; never a request per namespace or per pod
    assert len([r for r in served if r["path"].startswith("/api/v1/pods?")]) == 6
    assert not [r for r in served if r.get("resource") == "pods" and r.get("namespace")]
    assert {r["path"].split("?")[0] for r in served if r.get("namespace")} <= {
        "/api/v1/namespaces/istio-system/services",
        "/api/v1/namespaces/istio-system/endpoints",
        "/apis/discovery.k8s.io/v1/namespaces/istio-system/endpointslices",
        "/api/v1/namespaces/istio-system/configmaps",
        "/apis/networking.k8s.io/v1/namespaces/istio-system/networkpolicies",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/istio-system/roles",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/istio-system/rolebindings",
        "/api/v1/namespaces/istio-system/secrets/istio-ca-secret",
        "/api/v1/namespaces/istio-system/secrets/cacerts",
    }


def test_warning_events_are_filtered_on_the_server(sim):
    sim.seed(*example_files("linkerd-broken"))
    sim.seed(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "skip.1", "namespace": "web"},
            "type": "Normal",
            "reason": "InjectionSkipped",
            "message": "Linkerd sidecar proxy injection skipped: hostNetwork is enabled",
            "involvedObject": {"kind": "DaemonSet", "name": "log-agent", "namespace": "web"},
        },
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "ok.1", "namespace": "web"},
            "type": "Normal",
            "reason": "Injected",
            "message": "Linkerd sidecar proxy injected",
            "involvedObject": {"kind": "Deployment", "name": "frontend", "namespace": "web"},
        },
    )
    live, _unused, _unused = gather_live(sim)
    names = [e["metadata"]["name"] for e in live["resources"]["events"]]
    assert "skip.1" in names and "ok.1" not in names and len(names) == 6  # 5 Warning events + skip.1
    event_paths = [r["path"] for r in api_requests(sim) if r["path"].startswith("/api/v1/events")]
    assert event_paths == [
        "/api/v1/events?fieldSelector=type%3DWarning&limit=500",
        "/api/v1/events?fieldSelector=reason%3DInjectionSkipped&limit=500",
    ]
