# -*- coding: utf-8 -*-
# Copyright: (c) 2026, meshops.sidecar_injection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exit policy: per cluster, did it breach the gate, or could it not be diagnosed at all.

Two different failures that CI must tell apart: "gate breached" (the cluster was diagnosed and has
findings at or above `fail_on`) and "not diagnosed" (unreachable, bad credentials, unreadable
snapshot: nothing is known). The fleet outcome is `not_diagnosed` when any cluster could not be
diagnosed (whatever the others show, the picture is incomplete), else `gate_breached` when any
cluster breached, else `passed`.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from ansible_collections.meshops.sidecar_injection.plugins.module_utils.core.catalogue import SEVERITIES, severity_rank

FAIL_ON = ("never",) + tuple(SEVERITIES)
PASSED, BREACHED, NOT_DIAGNOSED = "passed", "gate_breached", "not_diagnosed"
OUTCOMES = (PASSED, BREACHED, NOT_DIAGNOSED)


def at_or_above(severities: Dict[str, int], level: str) -> Dict[str, int]:
    """The counts of the severities at `level` or worse, worst first, zeros left out."""
    ranked = sorted(SEVERITIES, key=severity_rank, reverse=True)
    return {
        s: int(severities.get(s, 0)) for s in ranked if severity_rank(s) >= severity_rank(level) and severities.get(s)
    }


def breach(summary: Dict[str, Any], fail_on: str) -> Dict[str, int]:
    """{severity: count} of the findings that breach `fail_on` ({} when none, or fail_on is never)."""
    if fail_on not in FAIL_ON:
        raise ValueError("fail_on must be one of %s, got %r" % (", ".join(FAIL_ON), fail_on))
    if fail_on == "never":
        return {}
    return at_or_above(summary.get("severities") or {}, fail_on)


def breach_message(cluster: str, fail_on: str, counts: Dict[str, int], report: Optional[str] = None) -> str:
    """`prod-eu: gate breached: 5 findings at warning or worse (2 error, 3 warning); see reports/prod-eu.json`"""
    total = sum(counts.values())
    text = "%s: gate breached: %d finding%s at %s or worse (%s)" % (
        cluster,
        total,
        "" if total == 1 else "s",
        fail_on,
        ", ".join("%d %s" % (n, s) for s, n in counts.items()),
    )
    return text + ("; see %s" % report if report else "")


def not_diagnosed_message(cluster: str, error: str) -> str:
    return "%s: could not be diagnosed: %s" % (cluster, " ".join(str(error or "no result").split()))


def fleet_outcome(statuses: Iterable[str]) -> str:
    seen = set(statuses)
    if NOT_DIAGNOSED in seen:
        return NOT_DIAGNOSED
    return BREACHED if BREACHED in seen else PASSED


def outcome_counts(statuses: List[str]) -> Dict[str, int]:
    return {outcome: statuses.count(outcome) for outcome in OUTCOMES}


def decide(cluster: str, result: Any, fail_on: str) -> Dict[str, Any]:
    """The exit policy for one host from its registered diagnosis result: {outcome, msg, breached}."""
    if not isinstance(result, dict) or not result or result.get("failed") or result.get("skipped"):
        error = "no diagnosis result"
        if isinstance(result, dict) and result.get("failed"):
            error = str(result.get("msg") or "the diagnosis failed")
        elif isinstance(result, dict) and result.get("skipped"):
            error = "the diagnosis was skipped"
        return {"outcome": NOT_DIAGNOSED, "msg": not_diagnosed_message(cluster, error), "breached": {}}
    counts = breach(result.get("summary") or {}, fail_on)
    if counts:
        return {
            "outcome": BREACHED,
            "msg": breach_message(cluster, fail_on, counts, result.get("report_path")),
            "breached": counts,
        }
    return {"outcome": PASSED, "msg": "%s: passed the gate (fail_on %s)" % (cluster, fail_on), "breached": {}}
