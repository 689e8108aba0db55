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


def describe(gap: Dict[str, Any]) -> Dict[str, Any]:
    """The gap with `checks` (codes skipped without it) and `narrowed` (codes that run without it)."""
    out = {k: gap.get(k) for k in ("resource", "reason", "message")}
    out["checks"] = registry.skipped_without(gap["resource"])
    out["narrowed"] = registry.narrowed_without(gap["resource"])
    return out


def warnings(snapshot: Dict[str, Any]) -> List[str]:
    """One warning per kind that could not be read from a live cluster (absent kinds are expected
    offline and reported by the diagnosis instead)."""
    out = []
    for gap in snapshot.get("gaps") or []:
        if gap.get("reason") not in ("forbidden", "error"):
            continue
        item = describe(gap)
        text = "could not read %s (%s): %s; checks skipped: %s" % (
            item["resource"],
            item["reason"],
            item["message"],
            ", ".join(item["checks"]) or "none",
        )
        if item["narrowed"]:
            text += "; checks run without it: %s" % ", ".join(item["narrowed"])
        out.append(text)
    return out
