# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a snapshot's gaps cost: the checks each unread kind skips or narrows, from the registry.

The snapshot records only what could not be read and why; which checks that takes away is what
the checks declare (rules/registry.py), so the modules' warnings, their returned `gaps` and the
diagnosis' SI801/SI803 name the same checks.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules import registry
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.rules.coverage import reading_codes, where
from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot.gather import FAILED_READS


def describe(gap: Dict[str, Any]) -> Dict[str, Any]:
    """The gap with `checks` (codes skipped without it) and `narrowed` (codes that run without it).

    A gap of one namespace or one named Secret keeps `namespace` (and `name`), one of a cluster-wide
    LIST read only in the control-plane namespaces `read_namespaces`: the kind was read in part, so
    nothing is skipped, and every check that reads the kind ran without the rest."""
    out = {k: gap.get(k) for k in ("resource", "reason", "message")}
    for key in ("namespace", "name", "read_namespaces"):
        if gap.get(key) is not None:
            out[key] = gap[key]
    if gap.get("namespace") is not None or gap.get("read_namespaces"):
        out["checks"] = []
        out["narrowed"] = reading_codes(gap["resource"], registry.RULES)
    else:
        out["checks"] = registry.skipped_without(gap["resource"])
        out["narrowed"] = registry.narrowed_without(gap["resource"])
    return out


def failed(snapshot: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The gaps of live reads that failed (403, errors after the retries, the deadline)."""
    return [g for g in snapshot.get("gaps") or [] if g.get("reason") in FAILED_READS]


def partial_line(snapshot: Dict[str, Any]) -> str:
    """`only partly diagnosed: could not read pods (error), secrets istio-system/x (forbidden)`, or ""."""
    gaps = failed(snapshot)
    if not gaps:
        return ""
    return "only partly diagnosed: could not read %s" % ", ".join("%s (%s)" % (where(g), g["reason"]) for g in gaps)


def warnings(snapshot: Dict[str, Any]) -> List[str]:
    """One warning per kind (or part of one) that could not be read from a live cluster (absent kinds
    are expected offline and reported by the diagnosis instead)."""
    out = []
    for gap in failed(snapshot):
        item = describe(gap)
        text = "could not read %s (%s): %s; checks skipped: %s" % (
            where(item),
            item["reason"],
            item["message"],
            ", ".join(item["checks"]) or "none",
        )
        if item["narrowed"]:
            text += "; checks run without it: %s" % ", ".join(item["narrowed"])
        out.append(text)
    return out
