"""Peak memory of writing a bundle, above the loaded snapshot (issue 12); prints one line.

    .venv/bin/python -m tests.benchmarks.bundle_memory SNAPSHOT [--module OTHER_bundle.py]

Loads SNAPSHOT (any offline source, e.g. the benchmark's cluster-5000pods.json), resets the peak RSS
(VmHWM, through /proc/self/clear_refs), writes the bundle with snapshot/bundle.py (or another version of
it, e.g. `git show main:plugins/module_utils/snapshot/bundle.py > /tmp/old_bundle.py`), and reports the
new peak minus the RSS before writing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from typing import Any, List, Optional


def _status(key: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    from ansible_collections.meshops.sidecar_injection.plugins.module_utils.snapshot import bundle, offline

    parser = argparse.ArgumentParser()
    parser.add_argument("snapshot")
    parser.add_argument("--module", help="another bundle.py to measure instead")
    args = parser.parse_args(argv)
    module: Any = bundle
    if args.module:
        spec = importlib.util.spec_from_file_location("other_bundle", args.module)
        if spec is None or spec.loader is None:
            raise SystemExit("cannot load %s" % args.module)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    snapshot = offline.load(args.snapshot)
    dest = os.path.join(tempfile.mkdtemp(prefix="bundle-memory-"), "bundle.json.gz")
    base = _status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    started = time.perf_counter()
    result = module.write(dest, snapshot)
    seconds = time.perf_counter() - started
    sys.stdout.write(
        "%s: %d pods, snapshot loaded %.0f MB RSS, write peak above it %.0f MB, %.1f s, %d bytes\n"
        % (
            args.module or "bundle.py",
            len(snapshot["resources"].get("pods") or ()),
            base / 1e6,
            (_status("VmHWM:") - base) / 1e6,
            seconds,
            result["size"],
        )
    )
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
