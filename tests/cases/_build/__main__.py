"""Regenerate the corpus snapshots: `.venv/bin/python -m tests.cases._build [case-id ...]`.

Each module in tests/cases/_build/cases/ builds one case (`CASE`, `build() -> Cluster`); its
snapshot is written to tests/cases/<CASE>/snapshot/. Every run reproduces the same bytes, certificates
included (their keys are derived, see certs.py, and never written).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from typing import Any, Dict, List

from tests.cases._build import cases, certs

CORPUS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def modules() -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(cases.__path__), key=lambda i: i.name):
        module = importlib.import_module("tests.cases._build.cases." + info.name)
        found[module.CASE] = module
    return found


def main(argv: List[str]) -> int:
    found = modules()
    wanted = argv or sorted(found)
    unknown = [w for w in wanted if w not in found]
    if unknown:
        print("unknown case(s): %s" % ", ".join(unknown), file=sys.stderr)
        return 2
    for case in wanted:
        certs.start_case(case)
        cluster = found[case].build()
        cluster.write(os.path.join(CORPUS, case, "snapshot"))
        print("wrote %s" % case)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
