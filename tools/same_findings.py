#!/usr/bin/env python3
"""Fails unless two report directories hold the same findings for the same hosts.

`make demo-min` runs the demo at the lowest declared versions and at the pinned ones; the
diagnosis must not depend on which ansible-core, kubernetes.core or library floor runs it.
Compared per host: each finding's code, object and message (timestamps and paths may differ).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Tuple

Key = Tuple[str, str, str, str, str]


def findings(path: Path) -> List[Key]:
    report = json.loads(path.read_text())
    return sorted(
        (f["code"], f.get("kind") or "", f.get("namespace") or "", f.get("name") or "", f["message"])
        for f in report["findings"]
    )


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print("usage: same_findings.py DIR_A DIR_B", file=sys.stderr)
        return 2
    a, b = (Path(d) for d in argv)
    hosts_a = sorted(p.name for p in a.glob("*.json") if not p.name.startswith("fleet"))
    hosts_b = sorted(p.name for p in b.glob("*.json") if not p.name.startswith("fleet"))
    if not hosts_a or hosts_a != hosts_b:
        print("same_findings: host reports differ: %s has %s, %s has %s" % (a, hosts_a, b, hosts_b), file=sys.stderr)
        return 1
    failed = False
    for name in hosts_a:
        left, right = findings(a / name), findings(b / name)
        if left != right:
            failed = True
            print("same_findings: %s differs:" % name, file=sys.stderr)
            for item in sorted(set(left) ^ set(right)):
                print("  %s %s" % ("only in %s:" % (a if item in left else b), item), file=sys.stderr)
    if failed:
        return 1
    total = sum(len(findings(a / n)) for n in hosts_a)
    print("same_findings: %d hosts, %d findings, identical in %s and %s" % (len(hosts_a), total, a, b))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
