"""`make bench`: every benchmark, each rewriting its own section of docs/performance.md.

    .venv/bin/python -m tests.benchmarks [--quick] [--only snapshot-gathering|verdicts|end-to-end|fleet] [--no-k8s-info]
    .venv/bin/python -m tests.benchmarks fleet [--clusters 1,10,50] [--forks 1,10,25]  (tests/benchmarks/fleet.py)

Not part of `make test` (the full run takes about an hour on 2 cores: half of it the
kubernetes.core.k8s_info comparison, a good part of the rest the fleet of 50 test API servers).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

from . import end_to_end, fleet, perfdoc, snapshot_gathering


def verdicts_section(quick: bool) -> Optional[str]:
    """The verdict benchmark's figures (tests/benchmarks/verdicts.py, owned by the verdicts work)."""
    try:
        from . import verdicts
    except ImportError:
        return None
    if hasattr(verdicts, "section"):
        return verdicts.section(quick=quick)
    figures = verdicts.run(pods=5000 if quick else 50000, namespaces=200 if quick else 2000)
    rows = [[key, json.dumps(value)] for key, value in figures.items()]
    return "## Verdicts\n\n`.venv/bin/python -m tests.benchmarks.verdicts` on %s.\n\n%s\n" % (
        perfdoc.machine(),
        perfdoc.table(["figure", "value"], rows),
    )


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["fleet"]:  # the fleet benchmark's own options (sizes, forks)
        return fleet.main(argv[1:])
    parser = argparse.ArgumentParser(description="run the benchmarks and update docs/performance.md")
    parser.add_argument("--quick", action="store_true", help="small data sets; docs/performance.md is not touched")
    parser.add_argument("--only", choices=("snapshot-gathering", "verdicts", "end-to-end", "fleet"))
    parser.add_argument("--no-k8s-info", action="store_true")
    args = parser.parse_args(argv)
    if args.only in (None, "snapshot-gathering"):
        extra = ["--quick"] if args.quick else []
        extra += ["--no-k8s-info"] if args.no_k8s_info else []
        snapshot_gathering.main(extra)
    if args.only in (None, "verdicts"):
        text = verdicts_section(args.quick)
        if text:
            sys.stdout.write(text)
            if not args.quick:
                perfdoc.update_section(snapshot_gathering.DOC, "verdicts", text)
    if args.only in (None, "end-to-end"):
        end_to_end.main(["--quick"] if args.quick else [])
    if args.only in (None, "fleet"):
        fleet.main(["--clusters", "1,3", "--forks", "1,3"] if args.quick else [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
