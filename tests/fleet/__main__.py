"""`python -m tests.fleet [--out DIR]`: the demo fleet (tests/fleet/fleet.py) diagnosed by the playbook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import browser
from .fleet import run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fleet", description=__doc__)
    parser.add_argument("--out", default="reports/demo-fleet", help="working folder; the reports go to OUT/reports")
    parser.add_argument("--fail-on", default="error", choices=["never", "info", "warning", "error"])
    parser.add_argument("--screenshot", help="also write a screenshot of fleet.html here (needs chromium)")
    args = parser.parse_args()
    result = run(Path(args.out), fail_on=args.fail_on)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    print(
        "\nansible-playbook exited %d (4: a cluster could not be diagnosed, 2: the gate was breached)"
        % result.returncode
    )
    reports = Path(args.out).resolve() / "reports"
    print("reports: %s" % reports)
    if args.screenshot:
        why = browser.install()
        if why:
            print("no screenshot: %s" % why)
        else:
            browser.screenshot(reports / "fleet.html", Path(args.screenshot))
            print("screenshot: %s" % args.screenshot)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
