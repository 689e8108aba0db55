"""`istioctl x check-inject`'s table and trailing error line, from the collection's check-inject rows.

Test-only: it exists so the conformance suites can compare with upstream's own output; nothing
shipped needs it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional


def check_inject_summary(rows: List[Dict[str, Any]]) -> Optional[str]:
    """istioctl's trailing error line, if any."""
    if not rows:
        return "ERROR: no Istio injection hooks present."
    if sum(1 for r in rows if r["injected"]) > 1:
        return "ERROR: multiple webhooks will inject, which can lead to errors"
    return None


def render_check_inject(rows: List[Dict[str, Any]]) -> str:
    """A plain (colourless) version of istioctl's table, for reports."""
    table = [("WEBHOOK", "REVISION", "INJECTED", "REASON")]
    table += [(r["webhook"], r["revision"], "✔" if r["injected"] else "✘", r["reason"]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3] for row in table]
    tail = check_inject_summary(rows)
    return "\n".join(lines + ([tail] if tail else []))
