# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gather.py: the request plan (exact counts), control-plane detection, gaps, 410 restarts, filters.

The API server here is a tiny in-memory fake at the connection-pool level, so kube_client's real
request path runs without a network (the integration tests repeat the important cases against
kubesim)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core import schema as snap
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client as kube_client
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import gather
from ansible_collections.meshops.sidecar_injection.tests.unit.plugins.module_utils.request_plan import expected_requests

HOST = "https://fake:6443"
CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIBATAKBggqhkjOPQQDAjAA\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oKQ2\n-----END EC PRIVATE KEY-----\n"


class Response(object):
    def __init__(self, status, body, headers=None):
        self.status = status
        self.data = json.dumps(body).encode()
        self.headers = headers or {}
        self.reason = ""

    def release_conn(self):
        pass


def _status(code, reason, message):
    return Response(
        code,
        {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason, "code": code},
    )


class FakeCluster(object):
    """Paginated LIST/GET over in-memory objects, with 403 and 410 policies and a request log."""

    def __init__(self, objects, version=None):
        self.objects = objects  # resource -> [raw objects]
        self.version = version or {"gitVersion": "v1.31.4", "major": "1", "minor": "31"}
        self.forbidden = set()  # (resource, namespace or None, verb)
        self.forbidden_names = set()  # (resource, namespace, name): an identity limited by resourceNames
        self.forbidden_cluster_scope = set()  # (resource, verb): refused cluster-wide, allowed per namespace
        self.gone = {}  # resource -> number of 410s to answer on continue requests
        self.not_served = set()  # resources whose API the server does not serve (404 on LIST)
        self.log = []

    def request(self, method, url, **kwargs):
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.log.append((parts.path, query))
        if parts.path == "/version":
            return Response(200, self.version)
        segments = parts.path.split("/")[3:] if parts.path.startswith("/api/") else parts.path.split("/")[4:]
        namespace = name = None
        if segments[0] == "namespaces" and len(segments) >= 3:
            namespace, resource = segments[1], segments[2]
            name = segments[3] if len(segments) > 3 else None
        else:
            resource = segments[0]
        verb = "get" if name else "list"
        if (
            (resource, namespace, verb) in self.forbidden
            or (resource, None, verb) in self.forbidden
            or (resource, namespace, name) in self.forbidden_names
            or (namespace is None and (resource, verb) in self.forbidden_cluster_scope)
        ):
            scope = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
            group = snap.RESOURCES[resource].group
            what = '%s "%s"' % (resource, name) if name else resource
            return _status(
                403,
                "Forbidden",
                '%s is forbidden: User "tester" cannot %s resource "%s" in API group "%s" %s'
                % (what, verb, resource, group, scope),
            )
        if resource in self.not_served:
            return _status(404, "NotFound", "the server could not find the requested resource")
        items = [o for o in self.objects.get(resource, []) if not namespace or snap.namespace_of(o) == namespace]
        if name:
            for obj in items:
                if snap.name_of(obj) == name:
                    return Response(200, obj)
            return _status(404, "NotFound", '%s "%s" not found' % (resource, name))
        selector = query.get("fieldSelector")
        if selector:
            field, _unused, value = selector.partition("=")
            items = [o for o in items if o.get(field) == value]
        items.sort(key=lambda o: (snap.namespace_of(o), snap.name_of(o)))
        start = int(query.get("continue", "0"))
        if start and self.gone.get(resource):
            self.gone[resource] -= 1
            return _status(
                410, "Expired", "The provided continue parameter is too old to display a consistent list result."
            )
        limit = int(query.get("limit", "0")) or len(items) or 1
        page = items[start : start + limit]
        token = str(start + limit) if start + limit < len(items) else ""
        return Response(200, {"kind": "List", "metadata": {"continue": token}, "items": page})

    def paths(self):
        return [entry[0] for entry in self.log]


def ns(name, **labels):
    return {"metadata": {"name": name, "labels": labels}}


def pod(name, namespace, **labels):
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "c"}]},
    }


def istio_cluster(app_namespaces=3, pods_per_namespace=3):
    objects = {
        "namespaces": [ns("istio-system")]
        + [ns("app-%d" % i, **{"istio-injection": "enabled"}) for i in range(app_namespaces)],
        "pods": [pod("istiod-1", "istio-system", app="istiod")]
        + [pod("p%d" % j, "app-%d" % i) for i in range(app_namespaces) for j in range(pods_per_namespace)],
        "deployments": [{"metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}}}],
        "mutatingwebhookconfigurations": [
            {
                "metadata": {"name": "istio-sidecar-injector"},
                "webhooks": [
                    {
                        "name": "namespace.sidecar-injector.istio.io",
                        "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system"}},
                        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "resources": ["pods"]}],
                    }
                ],
            },
            {
                "metadata": {"name": "cert-manager-webhook"},
                "webhooks": [
                    {
                        "name": "webhook.cert-manager.io",
                        "clientConfig": {"service": {"name": "cert-manager-webhook", "namespace": "cert-manager"}},
                        "rules": [{"operations": ["CREATE"], "apiGroups": ["cert-manager.io"], "resources": ["*/*"]}],
                    }
                ],
            },
        ],
        "events": [
            {
                "metadata": {"name": "w1", "namespace": "app-0", "uid": "w1"},
                "type": "Warning",
                "reason": "FailedCreate",
            },
            {"metadata": {"name": "n1", "namespace": "app-0", "uid": "n1"}, "type": "Normal", "reason": "Scheduled"},
            {
                "metadata": {"name": "s1", "namespace": "app-1", "uid": "s1"},
                "type": "Normal",
                "reason": "InjectionSkipped",
            },
        ],
        "services": [
            {"metadata": {"name": "istiod", "namespace": "istio-system"}, "spec": {"ports": [{"port": 443}]}},
            {"metadata": {"name": "web", "namespace": "app-0"}, "spec": {}},
        ],
        "configmaps": [
            {"metadata": {"name": "istio-sidecar-injector", "namespace": "istio-system"}, "data": {"config": "x"}},
            {"metadata": {"name": "istio-leader", "namespace": "istio-system"}},
        ],
        "secrets": [
            {
                "metadata": {"name": "istio-ca-secret", "namespace": "istio-system"},
                "type": "istio.io/ca-root",
                "data": {
                    "ca-cert.pem": base64.b64encode(CERT.encode()).decode(),
                    "ca-key.pem": base64.b64encode(KEY.encode()).decode(),
                },
            },
            {"metadata": {"name": "unrelated", "namespace": "istio-system"}, "data": {"x": "eA=="}},
        ],
    }
    return FakeCluster(objects)


def run(cluster, **options):
    client = kube_client.KubeClient(cluster, HOST, sleep=lambda s: None)
    gatherer = gather.Gatherer(client, **options)
    return gatherer.run(), gatherer, client


# ---- request plan arithmetic ------------------------------------------------------------------


def test_expected_requests_arithmetic():
    # /version + 17 cluster kinds (one page each when empty) + 2 event lists (events counted twice)
    assert expected_requests({}, 500) == 1 + 16 + 2
    assert len(gather.CLUSTER_KINDS) == 17
    counts = {"pods": 1001, "namespaces": 500, "events:Warning": 501, "events:InjectionSkipped": 0}
    # pods: 3 pages, namespaces: exactly 1 page, warnings: 2 pages
    assert expected_requests(counts, 500) == 19 + 2 + 0 + 1
    assert (
        expected_requests({}, 500, {"services/istio-system": 0, "configmaps/istio-system": 1200}, 2) == 19 + 1 + 3 + 2
    )


def test_request_count_matches_the_plan_and_not_the_namespace_count():
    small, _unused, small_client = run(istio_cluster(app_namespaces=2, pods_per_namespace=6), limit=5)
    large, _unused, large_client = run(istio_cluster(app_namespaces=12, pods_per_namespace=1), limit=5)
    # 13 pods in 3 namespaces vs 13 pods in 13 namespaces: only the namespaces LIST itself gets more
    # pages (13 namespaces / limit 5 = 3); nothing is requested per namespace.
    assert len(small["resources"]["pods"]) == len(large["resources"]["pods"]) == 13
    control_plane = {"%s/istio-system" % r: 0 for r in gather.CONTROL_PLANE_LISTS}
    control_plane["services/istio-system"] = 1
    control_plane["configmaps/istio-system"] = 2
    server = {
        "pods": 13,
        "deployments": 1,
        "mutatingwebhookconfigurations": 2,
        "events:Warning": 1,
        "events:InjectionSkipped": 1,
    }
    assert small_client.requests == expected_requests(dict(server, namespaces=3), 5, control_plane, 2) == 30
    assert large_client.requests == expected_requests(dict(server, namespaces=13), 5, control_plane, 2) == 32
    assert small["requests"] == small_client.requests


def test_phase_order_and_urls():
    cluster = istio_cluster()
    run(cluster, limit=500)
    assert cluster.paths()[:5] == [
        "/version",
        "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
        "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
        "/apis/apps/v1/deployments",
        "/api/v1/namespaces",
    ]
    assert [q.get("fieldSelector") for p, q in cluster.log if p == "/api/v1/events"] == [
        "type=Warning",
        "reason=InjectionSkipped",
    ]
    assert cluster.paths()[-9:-2] == [
        "/api/v1/namespaces/istio-system/services",
        "/api/v1/namespaces/istio-system/endpoints",
        "/apis/discovery.k8s.io/v1/namespaces/istio-system/endpointslices",
        "/api/v1/namespaces/istio-system/configmaps",
        "/apis/networking.k8s.io/v1/namespaces/istio-system/networkpolicies",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/istio-system/roles",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/istio-system/rolebindings",
    ]
    secret_paths = [p for p in cluster.paths() if "/secrets" in p]
    assert secret_paths == [
        "/api/v1/namespaces/istio-system/secrets/istio-ca-secret",
        "/api/v1/namespaces/istio-system/secrets/cacerts",
    ]
    assert all(q.get("limit") == "500" for p, q in cluster.log if p != "/version" and "/secrets/" not in p)


# ---- what is kept -----------------------------------------------------------------------------


def test_control_plane_namespaces_and_their_objects():
    s, gatherer, _unused = run(istio_cluster())
    # cert-manager's webhook does not intercept pods: its namespace is not a control-plane namespace
    assert gatherer.control_plane.namespaces == ["istio-system"]
    assert [snap.name_of(o) for o in s["resources"]["services"]] == ["istiod"]
    assert [snap.name_of(o) for o in s["resources"]["configmaps"]] == ["istio-sidecar-injector"]
    assert s["resources"]["secrets"] == [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "istio-ca-secret", "namespace": "istio-system"},
            "type": "istio.io/ca-root",
            "certificates": {"ca-cert.pem": CERT},
        }
    ]
    assert "PRIVATE KEY" not in json.dumps(s)
    assert s["gaps"] == []
    assert list(s["resources"]) == list(snap.RESOURCES)


def test_events_are_warnings_plus_injection_skipped():
    s, _unused, _unused = run(istio_cluster())
    assert [e["metadata"]["name"] for e in s["resources"]["events"]] == ["w1", "s1"]


def test_control_plane_from_deployments_and_user_option():
    cluster = istio_cluster()
    cluster.objects["mutatingwebhookconfigurations"] = []
    cluster.objects["deployments"].append({"metadata": {"name": "linkerd-destination", "namespace": "linkerd"}})
    _unused, gatherer, _unused = run(cluster, control_plane_namespaces=["mesh-extra"])
    assert gatherer.control_plane.meshes == {
        "istio-system": ("istio",),
        "linkerd": ("linkerd",),
        "mesh-extra": ("istio", "linkerd"),
    }
    secrets = [p.rsplit("/", 1)[1] for p in cluster.paths() if "/namespaces/linkerd/secrets/" in p]
    assert secrets == [
        "linkerd-proxy-injector-k8s-tls",
        "linkerd-proxy-injector-tls",
        "linkerd-sp-validator-k8s-tls",
        "linkerd-policy-validator-k8s-tls",
        "linkerd-identity-issuer",
        "linkerd-trust-anchor",
    ]
    assert len([p for p in cluster.paths() if "/namespaces/mesh-extra/secrets/" in p]) == 8


def test_namespace_filters_always_keep_control_plane_namespaces():
    s, _unused, _unused = run(istio_cluster(), namespaces=["app-*"], exclude_namespaces=["app-1", "istio-system"])
    assert [snap.name_of(n) for n in s["resources"]["namespaces"]] == ["app-0", "app-2", "istio-system"]
    assert sorted({snap.namespace_of(p) for p in s["resources"]["pods"]}) == ["app-0", "app-2", "istio-system"]
    assert [snap.namespace_of(d) for d in s["resources"]["deployments"]] == ["istio-system"]
    assert [e["metadata"]["name"] for e in s["resources"]["events"]] == ["w1"]


# ---- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", list(gather.CLUSTER_KINDS))
def test_403_on_a_cluster_kind_is_a_gap_and_gathering_goes_on(resource):
    cluster = istio_cluster()
    cluster.forbidden.add((resource, None, "list"))
    s, _unused, _unused = run(cluster)
    group = snap.RESOURCES[resource].group
    assert s["gaps"] == [
        {
            "resource": resource,
            "reason": "forbidden",
            "message": '%s is forbidden: User "tester" cannot list resource "%s" in API group "%s" at the cluster scope'
            % (resource, resource, group),
        }
    ]
    assert resource not in s["resources"]
    assert len(s["resources"]) == len(snap.RESOURCES) - 1


@pytest.mark.parametrize("resource", list(gather.CONTROL_PLANE_LISTS) + ["secrets"])
def test_403_on_a_control_plane_kind_is_a_gap(resource):
    cluster = istio_cluster()
    verb = "get" if resource == "secrets" else "list"
    cluster.forbidden.add((resource, "istio-system", verb))
    s, _unused, _unused = run(cluster)
    group = snap.RESOURCES[resource].group
    what = resource + (' "istio-ca-secret"' if resource == "secrets" else "")
    assert s["gaps"] == [
        {
            "resource": resource,
            "reason": "forbidden",
            "message": '%s is forbidden: User "tester" cannot %s resource "%s" in API group "%s" in the namespace '
            '"istio-system"' % (what, verb, resource, group),
        }
    ]
    assert resource not in s["resources"]


def test_every_certificate_secret_is_read_when_all_are_forbidden():
    cluster = istio_cluster()
    cluster.forbidden.add(("secrets", "istio-system", "get"))
    s, _unused, _unused = run(cluster)
    assert [p for p in cluster.paths() if "/secrets/" in p] == [
        "/api/v1/namespaces/istio-system/secrets/istio-ca-secret",
        "/api/v1/namespaces/istio-system/secrets/cacerts",
    ]
    # nothing of the kind could be read: the whole kind is the gap, named by the first refusal
    assert [g for g in s["gaps"] if g["resource"] == "secrets"] == [
        {
            "resource": "secrets",
            "reason": "forbidden",
            "message": 'secrets "istio-ca-secret" is forbidden: User "tester" cannot get resource "secrets" in API '
            'group "" in the namespace "istio-system"',
        }
    ]
    assert "secrets" not in s["resources"]


def test_one_forbidden_secret_name_keeps_the_others():
    cluster = istio_cluster()
    cluster.forbidden_names.add(("secrets", "istio-system", "cacerts"))
    s, _unused, _unused = run(cluster)
    assert [snap.name_of(x) for x in s["resources"]["secrets"]] == ["istio-ca-secret"]
    assert s["gaps"] == [
        {
            "resource": "secrets",
            "reason": "forbidden",
            "message": 'secrets "cacerts" is forbidden: User "tester" cannot get resource "secrets" in API group "" '
            'in the namespace "istio-system"',
            "namespace": "istio-system",
            "name": "cacerts",
        }
    ]


def test_a_control_plane_list_forbidden_in_one_namespace_keeps_the_others():
    cluster = istio_cluster()
    cluster.objects["deployments"].append({"metadata": {"name": "linkerd-destination", "namespace": "linkerd"}})
    cluster.objects["configmaps"].append({"metadata": {"name": "linkerd-config", "namespace": "linkerd"}})
    cluster.forbidden.add(("configmaps", "istio-system", "list"))
    s, _unused, _unused = run(cluster)
    assert [(snap.namespace_of(c), snap.name_of(c)) for c in s["resources"]["configmaps"]] == [
        ("linkerd", "linkerd-config")
    ]
    assert s["gaps"] == [
        {
            "resource": "configmaps",
            "reason": "forbidden",
            "message": 'configmaps is forbidden: User "tester" cannot list resource "configmaps" in API group "" in '
            'the namespace "istio-system"',
            "namespace": "istio-system",
        }
    ]
    # one LIST per control-plane namespace, whatever the other namespaces answered
    assert [p for p in cluster.paths() if p.endswith("/configmaps")] == [
        "/api/v1/namespaces/istio-system/configmaps",
        "/api/v1/namespaces/linkerd/configmaps",
    ]


def test_a_cluster_wide_list_forbidden_falls_back_to_the_control_plane_namespaces():
    cluster = istio_cluster()
    cluster.forbidden_cluster_scope.add(("pods", "list"))
    s, _unused, _unused = run(cluster)
    assert [(snap.namespace_of(p), snap.name_of(p)) for p in s["resources"]["pods"]] == [("istio-system", "istiod-1")]
    assert s["gaps"] == [
        {
            "resource": "pods",
            "reason": "forbidden",
            "message": 'pods is forbidden: User "tester" cannot list resource "pods" in API group "" at the cluster '
            "scope",
            "read_namespaces": ["istio-system"],
        }
    ]
    # one extra LIST per control-plane namespace, not per application namespace
    assert [p for p in cluster.paths() if p.endswith("/pods")] == [
        "/api/v1/pods",
        "/api/v1/namespaces/istio-system/pods",
    ]


def test_a_kind_forbidden_everywhere_is_a_whole_kind_gap_after_the_fallback():
    cluster = istio_cluster()
    cluster.forbidden.add(("deployments", None, "list"))
    s, _unused, _unused = run(cluster)
    assert "deployments" not in s["resources"]
    assert [g["resource"] for g in s["gaps"]] == ["deployments"] and "read_namespaces" not in s["gaps"][0]
    # the webhook still names istio-system as a control-plane namespace, so its Deployments were tried there
    assert [p for p in cluster.paths() if p.endswith("/deployments")] == [
        "/apis/apps/v1/deployments",
        "/apis/apps/v1/namespaces/istio-system/deployments",
    ]


def test_expired_continue_token_restarts_the_list():
    cluster = istio_cluster(app_namespaces=1, pods_per_namespace=5)
    cluster.gone["pods"] = 1
    s, gatherer, _unused = run(cluster, limit=2)
    assert [snap.name_of(p) for p in s["resources"]["pods"]] == ["p0", "p1", "p2", "p3", "p4", "istiod-1"]
    pod_requests = [q.get("continue") for p, q in cluster.log if p == "/api/v1/pods"]
    assert pod_requests == [None, "2", None, "2", "4"]  # page 1, 410, restart: 3 pages
    assert gatherer.pages["/api/v1/pods"] == 5
    assert s["gaps"] == []


def test_continue_token_expiring_three_times_is_a_gap():
    cluster = istio_cluster(app_namespaces=1, pods_per_namespace=5)
    cluster.gone["pods"] = 3
    s, _unused, _unused = run(cluster, limit=2)
    pod_requests = [q.get("continue") for p, q in cluster.log if p == "/api/v1/pods"]
    assert pod_requests == [None, "2", None, "2", None, "2"]
    assert s["gaps"] == [
        {
            "resource": "pods",
            "reason": "error",
            "message": "GET /api/v1/pods: 410 Expired: the continue token of /api/v1/pods expired 3 times in a row "
            "(410 Gone): The provided continue parameter is too old to display a consistent list result.",
        }
    ]


def test_unserved_kind_is_an_error_gap():
    cluster = istio_cluster()
    original = cluster.request

    def request(method, url, **kwargs):
        if "/endpointslices" in url:
            cluster.log.append((urlsplit(url).path, {}))
            return _status(404, "NotFound", "the server could not find the requested resource")
        return original(method, url, **kwargs)

    cluster.request = request
    s, _unused, _unused = run(cluster)
    assert s["gaps"] == [
        {
            "resource": "endpointslices",
            "reason": "error",
            "message": "GET /apis/discovery.k8s.io/v1/namespaces/istio-system/endpointslices: 404 NotFound: "
            "the server could not find the requested resource",
        }
    ]


def test_forbidden_version_is_a_gap():
    cluster = istio_cluster()
    original = cluster.request

    def request(method, url, **kwargs):
        if url.endswith("/version"):
            return _status(403, "Forbidden", 'forbidden: User "tester" cannot get path "/version"')
        return original(method, url, **kwargs)

    cluster.request = request
    s, _unused, _unused = run(cluster)
    assert s["version"] is None
    assert s["gaps"] == [
        {
            "resource": "version",
            "reason": "forbidden",
            "message": 'forbidden: User "tester" cannot get path "/version"',
        }
    ]


def test_snapshot_metadata():
    s, _unused, _unused = run(istio_cluster(), context="prod-eu")
    assert s["schema"] == 1
    assert s["cluster"] == {"name": "prod-eu", "source": "live", "server": HOST, "context": "prod-eu", "path": None}
    assert s["version"]["gitVersion"] == "v1.31.4"
    assert s["gathered_at"].endswith("Z") and len(s["gathered_at"]) == 20


def test_a_removed_api_is_none_read_not_a_gap():
    """policy/v1beta1 PodSecurityPolicy is gone from Kubernetes 1.25+: its 404 means there are none."""
    cluster = istio_cluster()
    cluster.not_served.add("podsecuritypolicies")
    snapshot, _unused, _client = run(cluster)
    assert snapshot["resources"]["podsecuritypolicies"] == []
    assert [g for g in snapshot["gaps"] if g["resource"] == "podsecuritypolicies"] == []
    # any other kind's 404 stays a gap
    cluster = istio_cluster()
    cluster.not_served.add("limitranges")
    snapshot, _unused, _client = run(cluster)
    assert "limitranges" not in snapshot["resources"]
    assert [g["resource"] for g in snapshot["gaps"]] == ["limitranges"]


def test_psps_served_are_read():
    cluster = istio_cluster()
    cluster.objects["podsecuritypolicies"] = [{"metadata": {"name": "restricted"}, "spec": {"privileged": False}}]
    snapshot, _unused, _client = run(cluster)
    [psp] = snapshot["resources"]["podsecuritypolicies"]
    assert (psp["kind"], psp["metadata"]["name"], psp["spec"]) == (
        "PodSecurityPolicy",
        "restricted",
        {"privileged": False},
    )
