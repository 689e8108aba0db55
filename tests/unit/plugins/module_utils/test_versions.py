from __future__ import annotations

import pytest

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.model import versions as v


@pytest.mark.parametrize(
    "text, expected",
    [
        ("v1.29.6-eks-1552ad0", (1, 29, 6)),
        ("v1.30.5-gke.1014001", (1, 30, 5)),
        ("v1.29.8+f10c92d", (1, 29, 8)),
        ("v1.31.4", (1, 31, 4)),
        ("1.28", (1, 28, 0)),
        ({"gitVersion": "v1.33.1"}, (1, 33, 1)),
        ({"major": "1", "minor": "27+"}, (1, 27, 0)),
        ("garbage", None),
        (None, None),
    ],
)
def test_parse_kubernetes(text, expected):
    assert v.parse_kubernetes(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.22.3", (1, 22, 3)),
        ("1.22.3-distroless", (1, 22, 3)),
        ("docker.io/istio/proxyv2:1.24.1", (1, 24, 1)),
        ("1.27-alpha.0f3b", (1, 27, 0)),
        ("1-22-3", None),
        ("", None),
    ],
)
def test_parse_istio(text, expected):
    assert v.parse_istio(text) == expected


def test_parse_linkerd_stable_and_edge():
    assert v.parse_linkerd("stable-2.14.10")["major"] == (2, 14)
    assert v.parse_linkerd("enterprise-2.16.1")["channel"] == "enterprise"
    assert v.parse_linkerd("2.18.0")["major"] == (2, 18)
    edge = v.parse_linkerd("edge-24.2.4")
    assert edge["major"] == (2, 15) and edge["channel"] == "edge" and edge["edge_min_k8s"] == (1, 22)
    assert v.parse_linkerd("edge-24.5.1")["major"] == (2, 15)  # between 2.15 and 2.16
    assert v.parse_linkerd("edge-25.3.1")["edge_min_k8s"] == (1, 23)
    assert v.parse_linkerd("edge-26.8.3")["major"] == (2, 20)
    assert v.parse_linkerd("edge-23.1.1")["major"] is None
    assert v.parse_linkerd("latest") is None


def test_istio_support_statuses():
    ok = v.istio_support("1.22.3", "v1.29.6-eks-1552ad0")
    assert ok == {
        "mesh": "istio",
        "mesh_version": "1.22",
        "kubernetes": "1.29",
        "supported_range": "1.27 - 1.30",
        "minimum_enforced": "1.26",
        "status": "supported",
        "source": "istio.io Supported Releases; istioctl precheck MinK8SVersion",
    }
    assert v.istio_support("1.22.3", "v1.26.1")["status"] == "too-old"
    assert v.istio_support("1.22.3", "v1.25.1")["status"] == "below-minimum"
    assert v.istio_support("1.22.3", "v1.31.0")["status"] == "too-new"
    assert v.istio_support("1.3.5", "v1.16.0") is None  # outside the table: no guess
    assert v.istio_support("1.22.0", None) is None


def test_linkerd_support_statuses():
    assert v.linkerd_support("stable-2.14.10", "v1.28.3")["status"] == "supported"
    assert v.linkerd_support("stable-2.14.10", "v1.30.0")["status"] == "too-new"
    assert v.linkerd_support("stable-2.14.10", "v1.20.0")["status"] == "below-minimum"
    # 2.18: docs say 1.22 but the code refuses < 1.23
    assert v.linkerd_support("edge-25.4.4", "v1.22.9")["status"] == "below-minimum"
    twenty = v.linkerd_support("edge-26.6.3", "v1.30.4")
    assert twenty["status"] == "below-minimum" and twenty["supported_range"] == "1.31 - 1.35"


def test_native_sidecar_supported():
    assert v.native_sidecar_supported("v1.29.0") is True
    assert v.native_sidecar_supported("v1.28.9") is False
    assert v.native_sidecar_supported("x") is None


def test_old_meshes_on_upgraded_clusters():
    """Istio back to 1.4 and Linkerd back to stable-2.10 (issue 10): an old mesh on a newer cluster
    is outside its range; with no precheck minimum recorded, below the range is only too-old."""
    old = v.istio_support("docker.io/istio/pilot:1.5.0", "v1.23.8")
    assert (old["status"], old["supported_range"], old["minimum_enforced"]) == (
        "too-new",
        "1.14 - 1.16",
        "none recorded",
    )
    assert v.istio_support("1.4.6", "v1.14.10")["status"] == "supported"
    assert v.istio_support("1.9.9", "v1.16.3")["status"] == "too-old"
    assert v.istio_support("1.12.1", "v1.22.0")["status"] == "supported"
    assert v.istio_support("1.12.1", "v1.24.0")["status"] == "too-new"
    assert [m for m in range(4, 31) if (1, m) not in v.ISTIO_K8S_SUPPORT] == []
    linkerd = v.linkerd_support("stable-2.10.2", "v1.25.4")
    assert (linkerd["status"], linkerd["supported_range"]) == ("too-new", "1.16 - 1.23")
    assert v.linkerd_support("stable-2.11.1", "v1.16.0")["status"] == "below-minimum"
    assert v.linkerd_support("stable-2.13.4", "v1.28.2")["status"] == "supported"
    assert [m for m in range(10, 21) if (2, m) not in v.LINKERD_K8S_SUPPORT] == []
