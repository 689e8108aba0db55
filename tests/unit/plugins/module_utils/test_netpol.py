from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.analysis import netpol


def pod(name="istiod-abc", ns="istio-system", labels=None, ports=None):
    return {
        "metadata": {"name": name, "namespace": ns, "labels": labels if labels is not None else {"app": "istiod"}},
        "spec": {
            "containers": [
                {
                    "name": "discovery",
                    "ports": ports
                    if ports is not None
                    else [
                        {"containerPort": 15017, "name": "https-webhooks", "protocol": "TCP"},
                        {"containerPort": 15012, "name": "grpc-xds", "protocol": "TCP"},
                    ],
                }
            ]
        },
    }


def policy(name, spec, ns="istio-system"):
    return {"metadata": {"name": name, "namespace": ns}, "spec": spec}


DENY_ALL = policy("deny-all", {"podSelector": {}})
DENY_ALL_EXPLICIT = policy("deny-all", {"podSelector": {}, "policyTypes": ["Ingress"]})


def test_policy_types_defaults():
    assert netpol.policy_types(DENY_ALL) == ["Ingress"]
    assert netpol.policy_types(policy("e", {"podSelector": {}, "egress": [{}]})) == ["Ingress", "Egress"]
    assert netpol.policy_types(policy("e", {"podSelector": {}, "policyTypes": ["Egress"]})) == ["Egress"]


def test_no_policy_admits():
    result = netpol.apiserver_ingress([], [pod()], 15017)
    assert result["verdict"] == "admitted" and result["pods"][0]["isolated"] is False


@pytest.mark.parametrize("deny", [DENY_ALL, DENY_ALL_EXPLICIT])
def test_default_deny_blocks(deny):
    result = netpol.apiserver_ingress([deny], [pod()], 15017)
    assert result == {
        "verdict": "blocked",
        "pods": [
            {
                "pod": "istiod-abc",
                "isolated": True,
                "admitted": "no",
                "isolating": ["deny-all"],
                "admitting": [],
                "uncertain": [],
            }
        ],
        "blocked_pods": ["istiod-abc"],
        "policies": ["deny-all"],
    }


def test_egress_only_policy_does_not_isolate_ingress():
    egress = policy("egress-only", {"podSelector": {}, "policyTypes": ["Egress"]})
    assert netpol.apiserver_ingress([egress], [pod()], 15017)["verdict"] == "admitted"


def test_policy_in_other_namespace_or_other_pods_ignored():
    other_ns = policy("deny-all", {"podSelector": {}}, ns="default")
    other_pods = policy("deny-web", {"podSelector": {"matchLabels": {"app": "web"}}})
    assert netpol.apiserver_ingress([other_ns, other_pods], [pod()], 15017)["verdict"] == "admitted"


def test_allow_all_sources_on_numbered_port():
    allow = policy(
        "allow-webhook",
        {
            "podSelector": {"matchLabels": {"app": "istiod"}},
            "ingress": [{"ports": [{"port": 15017, "protocol": "TCP"}]}],
        },
    )
    result = netpol.apiserver_ingress([DENY_ALL, allow], [pod()], 15017)
    assert result["verdict"] == "admitted" and result["policies"] == ["allow-webhook"]


def test_named_port_resolved_against_pod():
    allow = policy("allow-named", {"podSelector": {}, "ingress": [{"ports": [{"port": "https-webhooks"}]}]})
    assert netpol.apiserver_ingress([allow], [pod()], 15017)["verdict"] == "admitted"
    # the name exists, but on another number: 15012 is grpc-xds, not the webhook port
    only_xds = policy("allow-xds", {"podSelector": {}, "ingress": [{"ports": [{"port": "grpc-xds"}]}]})
    assert netpol.apiserver_ingress([only_xds], [pod()], 15017)["verdict"] == "blocked"


def test_end_port_range_and_protocol():
    rng = policy("range", {"podSelector": {}, "ingress": [{"ports": [{"port": 15000, "endPort": 15020}]}]})
    assert netpol.apiserver_ingress([rng], [pod()], 15017)["verdict"] == "admitted"
    narrow = policy("range", {"podSelector": {}, "ingress": [{"ports": [{"port": 15000, "endPort": 15016}]}]})
    assert netpol.apiserver_ingress([narrow], [pod()], 15017)["verdict"] == "blocked"
    udp = policy("udp", {"podSelector": {}, "ingress": [{"ports": [{"port": 15017, "protocol": "UDP"}]}]})
    assert netpol.apiserver_ingress([udp], [pod()], 15017)["verdict"] == "blocked"


def test_selector_peers_do_not_admit_the_apiserver():
    peers = policy(
        "from-pods",
        {
            "podSelector": {},
            "ingress": [{"from": [{"namespaceSelector": {}}, {"podSelector": {}}], "ports": [{"port": 15017}]}],
        },
    )
    assert netpol.apiserver_ingress([peers], [pod()], 15017)["verdict"] == "blocked"


def test_ip_block_everywhere_admits_other_blocks_unknown():
    everywhere = policy("all-ips", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]})
    assert netpol.apiserver_ingress([everywhere], [pod()], 15017)["verdict"] == "admitted"
    vpc = policy("vpc", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16"}}]}]})
    result = netpol.apiserver_ingress([vpc], [pod()], 15017)
    assert result["verdict"] == "unknown" and result["policies"] == ["vpc"]
    # with the API server address known, the answer is certain
    assert netpol.apiserver_ingress([vpc], [pod()], 15017, source_ips=["10.0.1.5"])["verdict"] == "admitted"
    assert netpol.apiserver_ingress([vpc], [pod()], 15017, source_ips=["172.16.0.2"])["verdict"] == "blocked"
    excepted = policy(
        "vpc-except",
        {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}}]}]},
    )
    assert netpol.apiserver_ingress([excepted], [pod()], 15017, source_ips=["10.0.1.5"])["verdict"] == "blocked"


def test_partial_when_only_some_pods_selected():
    deny_canary = policy("deny-canary", {"podSelector": {"matchLabels": {"istio.io/rev": "canary"}}})
    pods = [pod(), pod("istiod-canary-x", labels={"app": "istiod", "istio.io/rev": "canary"})]
    result = netpol.apiserver_ingress([deny_canary], pods, 15017)
    assert result["verdict"] == "partial" and result["blocked_pods"] == ["istiod-canary-x"]


def test_no_pods():
    assert netpol.apiserver_ingress([DENY_ALL], [], 15017)["verdict"] == "no-pods"
