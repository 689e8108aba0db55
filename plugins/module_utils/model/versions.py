# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version parsing and the mesh ↔ Kubernetes support matrices (SI701, SI702).

The tables are data, each with its source; update them when a mesh release lands.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional, Tuple

Version = Tuple[int, int]  # (major, minor)

# Istio minor -> (first supported k8s minor, last supported k8s minor, `istioctl x precheck` minimum).
# Sources: istio.io "Supported Releases" table (scraped by endoflife-date/endoflife.date:products/istio.md,
# cross-checked with istio/istio.io:data/compatibility/supportStatus.yml for <= 1.22); the precheck
# minimum is MinK8SVersion in istio/istio:istioctl/pkg/install/k8sversion/version.go on each release
# branch; 1.30 is not in the table yet, so its range is the one of the 1.30.0 release announcement.
ISTIO_K8S_SUPPORT: Dict[Version, Tuple[Version, Version, Optional[Version]]] = {
    # 1.4-1.19: no precheck minimum is recorded here (None: nothing is "below-minimum", only outside
    # the range). 1.6: istio.io Supported Releases as published in 2020
    # (https://github.com/istio/istio.io/blob/master/content/en/about/supported-releases/index.md at
    # the 1.8 release: "1.6 | 1.15, 1.16, 1.17, 1.18"; "1.5 and earlier" had no row any more).
    # 1.4 and 1.5: the Kubernetes releases each was tested with, from the platform-setup page of its own
    # archived docs (https://istio.io/v1.4/docs/setup/platform-setup/: 1.13-1.15;
    # https://istio.io/v1.5/docs/setup/platform-setup/: 1.14-1.16).
    (1, 4): ((1, 13), (1, 15), None),
    (1, 5): ((1, 14), (1, 16), None),
    (1, 6): ((1, 15), (1, 18), None),
    # 1.7-1.19: https://github.com/endoflife-date/endoflife.date/blob/master/products/istio.md (the
    # scrape of https://istio.io/latest/docs/releases/supported-releases/), 1.13-1.19 cross-checked with
    # https://github.com/istio/istio.io/blob/master/data/compatibility/supportStatus.yml; no precheck
    # minimum recorded for them either (below the range is a warning, not an error).
    (1, 7): ((1, 16), (1, 18), None),
    (1, 8): ((1, 16), (1, 19), None),
    (1, 9): ((1, 17), (1, 20), None),
    (1, 10): ((1, 18), (1, 21), None),
    (1, 11): ((1, 18), (1, 22), None),
    (1, 12): ((1, 19), (1, 22), None),
    (1, 13): ((1, 20), (1, 23), None),
    (1, 14): ((1, 21), (1, 24), None),
    (1, 15): ((1, 22), (1, 25), None),
    (1, 16): ((1, 22), (1, 25), None),
    (1, 17): ((1, 23), (1, 26), None),
    (1, 18): ((1, 24), (1, 27), None),
    (1, 19): ((1, 25), (1, 28), None),
    (1, 20): ((1, 25), (1, 29), (1, 25)),
    (1, 21): ((1, 26), (1, 29), (1, 26)),
    (1, 22): ((1, 27), (1, 30), (1, 26)),
    (1, 23): ((1, 27), (1, 30), (1, 26)),
    (1, 24): ((1, 28), (1, 31), (1, 28)),
    (1, 25): ((1, 29), (1, 32), (1, 29)),
    (1, 26): ((1, 29), (1, 33), (1, 29)),
    (1, 27): ((1, 29), (1, 33), (1, 29)),
    (1, 28): ((1, 30), (1, 34), (1, 30)),
    (1, 29): ((1, 31), (1, 35), (1, 30)),
    (1, 30): ((1, 32), (1, 36), (1, 32)),
}

# Linkerd major -> (docs minimum, docs maximum tested, minimum enforced by code).
# Sources: linkerd/website linkerd.io/content/{2-edge,docs}/reference/k8s-versions.md (docs columns) and
# linkerd/linkerd2 pkg/k8s/api.go `minAPIVersion` / the chart's kubeVersion at each version tag (code).
# The docs and the code disagree for 2.18/2.19 (docs 1.22, code 1.23): the code decides hard failure.
LINKERD_K8S_SUPPORT: Dict[Version, Tuple[Version, Version, Optional[Version]]] = {
    # 2.10-2.13: https://github.com/linkerd/website/blob/main/linkerd.io/content/2.14/reference/k8s-versions.md
    # (the same rows in every later doc tree); the docs minimum is taken as the enforced one (2.11.0 still
    # accepted 1.16, 2.11.1+ required 1.17, as that page notes).
    (2, 10): ((1, 16), (1, 23), (1, 16)),
    (2, 11): ((1, 17), (1, 23), (1, 17)),
    (2, 12): ((1, 21), (1, 24), (1, 21)),
    (2, 13): ((1, 21), (1, 28), (1, 21)),
    (2, 14): ((1, 21), (1, 28), (1, 21)),
    (2, 15): ((1, 22), (1, 29), (1, 22)),
    (2, 16): ((1, 22), (1, 29), (1, 22)),
    (2, 17): ((1, 22), (1, 31), (1, 22)),
    (2, 18): ((1, 22), (1, 32), (1, 23)),
    (2, 19): ((1, 22), (1, 35), (1, 23)),
    (2, 20): ((1, 31), (1, 35), (1, 31)),
}

# Edge release a major corresponds to (linkerd/linkerd2 tags version-2.N), to map edge-YY.M.P to a major.
LINKERD_EDGE_MAJORS = (
    ((24, 2, 4), (2, 15)),
    ((24, 8, 2), (2, 16)),
    ((24, 11, 8), (2, 17)),
    ((25, 4, 4), (2, 18)),
    ((25, 10, 7), (2, 19)),
    ((26, 6, 3), (2, 20)),
)

# minAPIVersion by edge release (pkg/k8s/api.go history): >= edge-23.12.2 -> 1.22, >= edge-25.2.3 -> 1.23,
# >= edge-26.5.1 -> 1.31.
LINKERD_EDGE_MIN_K8S = (((23, 12, 2), (1, 22)), ((25, 2, 3), (1, 23)), ((26, 5, 1), (1, 31)))

# Native sidecars (KEP-753 SidecarContainers): beta and on by default from Kubernetes 1.29.
NATIVE_SIDECAR_MIN_K8S = (1, 29)
# Istio 1.27+ ENABLE_NATIVE_SIDECARS=auto: native only if every node's kubelet is >= 1.33
# (istio/istio pkg/kube/inject/webhook.go DetectNativeSidecar).
ISTIO_AUTO_NATIVE_MIN_KUBELET = (1, 33)
ISTIO_AUTO_NATIVE_SINCE = (1, 27)

_K8S = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")
_ISTIO = re.compile(r"(?:^|[:/v])(1)\.(\d+)(?:\.(\d+))?")
_LINKERD_STABLE = re.compile(r"(?:stable|enterprise|version)-(\d+)\.(\d+)(?:\.(\d+))?")
_LINKERD_EDGE = re.compile(r"edge-(\d+)\.(\d+)\.(\d+)")
_LINKERD_PLAIN = re.compile(r"^v?(2)\.(\d+)(?:\.(\d+))?")


def parse_kubernetes(value: Any) -> Optional[Tuple[int, int, int]]:
    """(1, 29, 6) from "v1.29.6-eks-1552ad0", "v1.30.5-gke.1014001", "v1.29.8+f10c92d" or a /version
    dict ({"gitVersion": ...} or {"major": "1", "minor": "29+"})."""
    if isinstance(value, Mapping):
        git = value.get("gitVersion")
        if git:
            return parse_kubernetes(git)
        major = re.match(r"\d+", str(value.get("major") or ""))
        minor = re.match(r"\d+", str(value.get("minor") or ""))
        if major and minor:
            return (int(major.group(0)), int(minor.group(0)), 0)
        return None
    match = _K8S.match(str(value or "").strip())
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def parse_istio(value: Any) -> Optional[Tuple[int, int, int]]:
    """(1, 22, 3) from "1.22.3", "1.22.3-distroless", an image "docker.io/istio/proxyv2:1.22.3",
    a revision-style "1-22-3" is not a version (revisions are free text) and gives None."""
    text = str(value or "").strip()
    match = _ISTIO.search(text)
    if not match:
        return None
    return (1, int(match.group(2)), int(match.group(3) or 0))


def parse_linkerd(value: Any) -> Optional[Dict[str, Any]]:
    """{"major": (2, 14), "channel": "stable"|"edge"|"enterprise", "text": ...} from "stable-2.14.10",
    "edge-24.2.4", "enterprise-2.16.1" or "2.18.0". Edge releases map to the major they belong to
    (the newest major whose edge tag is not later than it); edges older than 2.15 give major None."""
    text = str(value or "").strip()
    edge = _LINKERD_EDGE.search(text)
    if edge:
        release = (int(edge.group(1)), int(edge.group(2)), int(edge.group(3)))
        major = None
        for tag, mapped in LINKERD_EDGE_MAJORS:
            if release >= tag:
                major = mapped
        min_k8s = None
        for tag, floor in LINKERD_EDGE_MIN_K8S:
            if release >= tag:
                min_k8s = floor
        return {"major": major, "channel": "edge", "edge": release, "edge_min_k8s": min_k8s, "text": text}
    stable = _LINKERD_STABLE.search(text) or _LINKERD_PLAIN.search(text)
    if stable:
        channel = "enterprise" if text.startswith("enterprise") else "stable"
        return {
            "major": (int(stable.group(1)), int(stable.group(2))),
            "channel": channel,
            "edge": None,
            "edge_min_k8s": None,
            "text": text,
        }
    return None


def render(version: Optional[Tuple[int, ...]]) -> str:
    return ".".join(str(part) for part in version) if version else "unknown"


def _verdict(
    mesh: str,
    mesh_version: str,
    k8s: Tuple[int, int],
    low: Version,
    high: Version,
    hard_floor: Optional[Version],
    source: str,
) -> Dict[str, Any]:
    if hard_floor is not None and k8s < hard_floor:
        status = "below-minimum"
    elif k8s < low:
        status = "too-old"
    elif k8s > high:
        status = "too-new"
    else:
        status = "supported"
    return {
        "mesh": mesh,
        "mesh_version": mesh_version,
        "kubernetes": render(k8s),
        "supported_range": "%s - %s" % (render(low), render(high)),
        "minimum_enforced": render(hard_floor) if hard_floor is not None else "none recorded",
        "status": status,
        "source": source,
    }


def istio_support(istio_version: Any, kubernetes_version: Any) -> Optional[Dict[str, Any]]:
    """Support status of this Istio release on this Kubernetes, or None when either version is unknown
    or the release is outside the table (no guessing)."""
    istio = parse_istio(istio_version) if not isinstance(istio_version, tuple) else istio_version
    k8s = parse_kubernetes(kubernetes_version) if not isinstance(kubernetes_version, tuple) else kubernetes_version
    if not istio or not k8s or istio[:2] not in ISTIO_K8S_SUPPORT:
        return None
    low, high, floor = ISTIO_K8S_SUPPORT[istio[:2]]
    return _verdict(
        "istio",
        render(istio[:2]),
        k8s[:2],
        low,
        high,
        floor,
        "istio.io Supported Releases; istioctl precheck MinK8SVersion",
    )


def linkerd_support(linkerd_version: Any, kubernetes_version: Any) -> Optional[Dict[str, Any]]:
    """Support status of this Linkerd release on this Kubernetes (docs range; code minimum decides
    `below-minimum`), or None when unknown."""
    parsed = parse_linkerd(linkerd_version) if not isinstance(linkerd_version, dict) else linkerd_version
    k8s = parse_kubernetes(kubernetes_version) if not isinstance(kubernetes_version, tuple) else kubernetes_version
    if not parsed or not k8s or parsed["major"] not in LINKERD_K8S_SUPPORT:
        return None
    low, high, floor = LINKERD_K8S_SUPPORT[parsed["major"]]
    if parsed.get("edge_min_k8s"):
        floor = parsed["edge_min_k8s"]
    return _verdict(
        "linkerd",
        parsed["text"],
        k8s[:2],
        low,
        high,
        floor,
        "linkerd.io reference/k8s-versions; linkerd2 pkg/k8s/api.go minAPIVersion",
    )


def native_sidecar_supported(kubernetes_version: Any) -> Optional[bool]:
    k8s = parse_kubernetes(kubernetes_version)
    if not k8s:
        return None
    return k8s[:2] >= NATIVE_SIDECAR_MIN_K8S
