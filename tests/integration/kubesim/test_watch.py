"""watch=true: event streams that end at timeoutSeconds, resume from a resourceVersion, honour selectors."""

from __future__ import annotations

import threading
import time

import pytest
from kubernetes import client, watch

from .helpers import call, configmap


def _later(delay: float, fn) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        fn()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_watch_streams_changes_and_ends_at_timeout(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    core.create_namespaced_config_map("default", configmap("before"))

    def changes() -> None:
        core.create_namespaced_config_map("default", configmap("c1", data={"a": "1"}))
        core.patch_namespaced_config_map("c1", "default", {"data": {"a": "2"}})
        core.delete_namespaced_config_map("c1", "default")

    worker = _later(0.2, changes)
    started = time.monotonic()
    events = [
        (e["type"], e["object"].metadata.name, e["object"].data)
        for e in watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=1)
    ]
    elapsed = time.monotonic() - started
    worker.join()
    assert events == [
        ("ADDED", "before", None),
        ("ADDED", "c1", {"a": "1"}),
        ("MODIFIED", "c1", {"a": "2"}),
        ("DELETED", "c1", {"a": "2"}),
    ]
    assert 0.9 <= elapsed < 3, elapsed


def test_watch_from_resource_version_sends_only_newer_events(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    core.create_namespaced_config_map("default", configmap("old"))
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", configmap("new"))
    stream = watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=1)
    assert [(e["type"], e["object"].metadata.name) for e in stream] == [("ADDED", "new")]


def test_watch_from_compacted_resource_version_is_410(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    core.create_namespaced_config_map("default", configmap("x"))
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    kubesim.compact()
    with pytest.raises(client.ApiException) as err:
        list(watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=1))
    assert err.value.status == 410
    raw = call(kubesim, "GET", f"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}")
    assert raw.status == 200
    assert raw.json["type"] == "ERROR" and raw.json["object"]["reason"] == "Expired"
    assert raw.json["object"]["message"].startswith(f"too old resource version: {rv} (")


def test_watch_with_label_selector_reports_objects_leaving_it(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())

    def changes() -> None:
        core.create_namespaced_config_map("default", configmap("c", labels={"team": "a"}))
        core.patch_namespaced_config_map("c", "default", {"metadata": {"labels": {"team": "b"}}})
        core.create_namespaced_config_map("default", configmap("other", labels={"team": "b"}))

    worker = _later(0.2, changes)
    events = [
        (e["type"], e["object"].metadata.name, e["object"].metadata.labels)
        for e in watch.Watch().stream(
            core.list_namespaced_config_map, "default", label_selector="team=a", timeout_seconds=1
        )
    ]
    worker.join()
    assert events == [("ADDED", "c", {"team": "a"}), ("DELETED", "c", {"team": "b"})]


def test_watch_single_object_by_field_selector(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    core.create_namespaced_config_map("default", configmap("a"))
    core.create_namespaced_config_map("default", configmap("b"))
    worker = _later(0.2, lambda: core.patch_namespaced_config_map("b", "default", {"data": {"k": "v"}}))
    events = [
        (e["type"], e["object"].metadata.name)
        for e in watch.Watch().stream(
            core.list_namespaced_config_map, "default", field_selector="metadata.name=b", timeout_seconds=1
        )
    ]
    worker.join()
    assert events == [("ADDED", "b"), ("MODIFIED", "b")]


def test_reset_ends_open_watches(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    worker = _later(0.3, kubesim.reset)
    started = time.monotonic()
    list(watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=30))
    worker.join()
    assert time.monotonic() - started < 5


def test_watch_resumes_across_a_seed(kubesim):
    core = client.CoreV1Api(kubesim.kube_client())
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    kubesim.seed(configmap("seeded"))
    stream = watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=1)
    assert [(e["type"], e["object"].metadata.name) for e in stream] == [("ADDED", "seeded")]
