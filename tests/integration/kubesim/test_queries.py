"""List queries: label and field selectors, limit/continue paging, expired continue tokens."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.dynamic import DynamicClient

from tests.kubesim.errors import CONTINUE_EXPIRED

from .helpers import call, pod

LABELS = {
    "a": {"app": "web", "tier": "front", "env": "prod"},
    "b": {"app": "web", "tier": "back"},
    "c": {"app": "db", "env": "dev"},
    "d": {},
}


@pytest.fixture
def pods(kubesim):
    kubesim.seed(
        [pod(name, "default", labels) for name, labels in LABELS.items()]
        + [{**pod("e", "other", {"app": "web"}), "status": {"phase": "Pending"}}]
    )
    return client.CoreV1Api(kubesim.kube_client())


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d"]),  # != also matches pods without the label
        ("app in (web,db)", ["a", "b", "c"]),
        ("env notin (prod)", ["b", "c", "d"]),
        ("tier", ["a", "b"]),
        ("!tier", ["c", "d"]),
        ("app=web,env", ["a"]),
        ("app=web,tier in (back, front),!env", ["b"]),
    ],
)
def test_label_selectors(pods, selector, expected):
    got = pods.list_namespaced_pod("default", label_selector=selector).items
    assert [p.metadata.name for p in got] == expected


def test_label_selector_parse_error(kubesim):
    reply = call(kubesim, "GET", "/api/v1/pods?labelSelector=app%20is%20web")
    assert reply.status == 400 and reply.json["reason"] == "BadRequest"
    assert reply.json["message"].startswith("unable to parse requirement")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("metadata.name=b", ["default/b"]),
        ("metadata.name!=b,metadata.namespace=default", ["default/a", "default/c", "default/d"]),
        ("metadata.namespace==other", ["other/e"]),
        ("status.phase=Pending", ["other/e"]),
        ("status.phase!=Pending", ["default/a", "default/b", "default/c", "default/d"]),
        ("spec.nodeName=kubesim-node-1,metadata.name=a", ["default/a"]),
    ],
)
def test_field_selectors_on_pods(pods, selector, expected):
    got = pods.list_pod_for_all_namespaces(field_selector=selector).items
    assert [f"{p.metadata.namespace}/{p.metadata.name}" for p in got] == expected


def test_field_selectors_on_events(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    for name, (kind, obj, reason) in {
        "e1": ("ReplicaSet", "web-1", "FailedCreate"),
        "e2": ("ReplicaSet", "web-2", "SuccessfulCreate"),
        "e3": ("Pod", "web-1", "FailedCreate"),
    }.items():
        core.create_namespaced_event(
            "default",
            {
                "metadata": {"name": name},
                "reason": reason,
                "type": "Warning",
                "involvedObject": {"kind": kind, "name": obj, "namespace": "default"},
            },
        )
    found = core.list_namespaced_event("default", field_selector="involvedObject.kind=ReplicaSet,reason=FailedCreate")
    assert [e.metadata.name for e in found.items] == ["e1"]
    found = core.list_namespaced_event("default", field_selector="involvedObject.name=web-1,type=Warning")
    assert [e.metadata.name for e in found.items] == ["e1", "e3"]


def test_unsupported_field_selector_is_400(kubesim):
    reply = call(kubesim, "GET", "/api/v1/configmaps?fieldSelector=data.x%3D1")
    assert reply.status == 400
    assert reply.json["message"] == "field label not supported: data.x"


def test_paging_with_limit_and_continue(kubesim):
    kubesim.seed([pod(f"p{i:03d}", f"ns{i % 3}") for i in range(25)])
    core = client.CoreV1Api(kubesim.kube_client())
    first = core.list_pod_for_all_namespaces(limit=10)
    assert len(first.items) == 10
    assert first.metadata.remaining_item_count == 15 and first.metadata._continue
    names = [p.metadata.name for p in first.items]
    token = first.metadata._continue
    rv = first.metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "bump"}})  # moves the global RV
    while token:
        page = core.list_pod_for_all_namespaces(limit=10, _continue=token)
        assert page.metadata.resource_version == rv  # every page reports the list's snapshot RV
        names += [p.metadata.name for p in page.items]
        token = page.metadata._continue
    assert page.metadata.remaining_item_count is None
    assert sorted(names) == [f"p{i:03d}" for i in range(25)] and len(set(names)) == 25
    # Order is by namespace, then name, as etcd keys sort.
    assert names[:3] == ["p000", "p003", "p006"]


def test_paging_with_selector_has_no_remaining_count(kubesim):
    kubesim.seed([pod(f"p{i}", labels={"keep": str(i % 2 == 0).lower()}) for i in range(10)])
    reply = call(kubesim, "GET", "/api/v1/namespaces/default/pods?limit=2&labelSelector=keep%3Dtrue").json
    assert [p["metadata"]["name"] for p in reply["items"]] == ["p0", "p2"]
    assert "remainingItemCount" not in reply["metadata"] and reply["metadata"]["continue"]


def test_expired_continue_token_is_410_after_compaction(kubesim):
    kubesim.seed([pod(f"p{i}") for i in range(6)])
    first = call(kubesim, "GET", "/api/v1/namespaces/default/pods?limit=2").json
    kubesim.compact()
    reply = call(kubesim, "GET", f"/api/v1/namespaces/default/pods?limit=2&continue={first['metadata']['continue']}")
    assert reply.status == 410
    assert reply.json["reason"] == "Expired" and reply.json["code"] == 410
    assert reply.json["message"] == CONTINUE_EXPIRED
    # The Status carries a fresh (inconsistent) continue token that picks up where the old one stopped.
    fresh = reply.json["metadata"]["continue"]
    rest = call(kubesim, "GET", f"/api/v1/namespaces/default/pods?limit=10&continue={fresh}")
    assert [p["metadata"]["name"] for p in rest.json["items"]] == ["p2", "p3", "p4", "p5"]


def test_continue_expiry_by_age_through_the_client(kubesim):
    kubesim.seed([pod(f"p{i}") for i in range(4)])
    kubesim.set_continue_expiry(2)
    core = client.CoreV1Api(kubesim.kube_client())
    first = core.list_namespaced_pod("default", limit=2)
    assert core.list_namespaced_pod("default", limit=2, _continue=first.metadata._continue).items  # still young
    for i in range(3):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
    with pytest.raises(client.ApiException) as err:
        core.list_namespaced_pod("default", limit=2, _continue=first.metadata._continue)
    assert err.value.status == 410
    assert json.loads(err.value.body)["message"] == CONTINUE_EXPIRED


def test_invalid_continue_token_is_400(kubesim):
    reply = call(kubesim, "GET", "/api/v1/pods?limit=1&continue=not-a-token")
    assert reply.status == 400 and reply.json["message"].startswith("continue key is not valid")


def test_dynamic_client_lists_with_selectors(pods, kubesim):
    dyn = DynamicClient(kubesim.kube_client())
    api = dyn.resources.get(api_version="v1", kind="Pod")
    got = api.get(namespace="default", label_selector="app=web", field_selector="metadata.name!=a")
    assert got.kind == "PodList" and [p.metadata.name for p in got.items] == ["b"]
