"""Discovery documents as kube-apiserver serves them (legacy, non-aggregated form)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .resources import GROUP_ORDER, GROUP_VERSIONS, RESOURCES, SUB_VERBS, ResourceType

_SUBRESOURCE_KINDS = {"scale": ("Scale", "autoscaling", "v1"), "log": ("Pod", None, None)}


def version_info(git_version: str) -> dict[str, Any]:
    m = re.match(r"v?(\d+)\.(\d+)", git_version)
    major, minor = (m.group(1), m.group(2)) if m else ("1", "31")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-12-10T11:37:27Z",
        "goVersion": "go1.22.9",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group(group: str, versions_of: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions_of[group]]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(versions_of: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """`versions_of`: group → versions in /apis order (default: the built-in groups)."""
    versions_of = versions_of or {g: GROUP_VERSIONS[g] for g in GROUP_ORDER}
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g, versions_of) for g in versions_of]}


def api_group(group: str, versions_of: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(group, versions_of or GROUP_VERSIONS)}


def _entry(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    return entry


def _sub_entry(rt: ResourceType, sub: str) -> dict[str, Any]:
    kind, group, version = _SUBRESOURCE_KINDS.get(sub, (rt.kind, None, None))
    entry: dict[str, Any] = {"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced}
    if group:
        entry.update(group=group, version=version)
    entry["kind"] = kind
    entry["verbs"] = ["get"] if sub == "log" else list(SUB_VERBS)
    return entry


def resource_list(group: str, version: str, types: Iterable[ResourceType] = RESOURCES) -> dict[str, Any] | None:
    resources = [r for r in types if r.group == group and r.version == version]
    if not resources:
        return None
    out: list[dict[str, Any]] = []
    for rt in sorted(resources, key=lambda r: r.plural):
        out.append(_entry(rt))
        out.extend(_sub_entry(rt, sub) for sub in sorted(rt.subresources))
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}
