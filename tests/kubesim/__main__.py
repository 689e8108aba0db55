"""Run kubesim as a process:

    .venv/bin/python -m tests.kubesim --seed DIR_OR_FILE [--seed ...] --write-kubeconfig FILE [--port 0]
        [--token T] [--kubernetes-version v1.31.4] [--policy FILE] [--access-log FILE]
        [--scenario istio|linkerd [--break wrong-ca|expired-cert|injector-down|timeout|networkpolicy|
                                           psa-restricted|quota ...]]

Prints one line with the server URL once it is ready, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

import yaml

from .scenarios import BREAKS, MESHES, Scenario, start
from .seeding import seed_server_version
from .server import KubeSim


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.kubesim", description="kube-apiserver stand-in for tests")
    p.add_argument(
        "--seed",
        action="append",
        default=[],
        metavar="PATH",
        help="YAML/JSON file or directory to load at start (repeatable)",
    )
    p.add_argument("--write-kubeconfig", metavar="FILE", help="write a kubeconfig for this server here")
    p.add_argument("--context", default="kubesim", help="context/cluster/user name in the kubeconfig")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: pick a free one)")
    p.add_argument("--token", default="kubesim-token", help="bearer token of the admin user")
    p.add_argument(
        "--kubernetes-version",
        default=None,
        help="gitVersion served by /version (default: from the seed's kubectl version file, else v1.31.4)",
    )
    p.add_argument("--policy", metavar="FILE", help="policy file: extra tokens, 403 rules, faults")
    p.add_argument("--access-log", metavar="FILE", help="append one JSON line per API request")
    p.add_argument(
        "--reconcile-seed",
        action="store_true",
        help="run the controllers over seeded objects (e.g. create pods for seeded Deployments)",
    )
    p.add_argument("--no-controllers", action="store_true", help="disable all controllers")
    p.add_argument(
        "--no-baseline", action="store_true", help="start empty (no default namespaces, node or kubernetes Service)"
    )
    p.add_argument(
        "--sync-wait", type=float, default=5.0, help="seconds a write waits for controllers to settle before answering"
    )
    p.add_argument("--workdir", help="directory for the CA and serving certificate (default: a temp dir)")
    p.add_argument(
        "--scenario",
        choices=MESHES,
        help="a live mesh: control plane, running test injector, application namespace 'demo' (see scenarios.py)",
    )
    p.add_argument(
        "--break",
        dest="breaks",
        action="append",
        default=[],
        choices=BREAKS,
        metavar="BREAKAGE",
        help=f"break the scenario (repeatable): {', '.join(BREAKS)}",
    )
    args = p.parse_args(argv)
    if args.breaks and not args.scenario:
        p.error("--break needs --scenario")

    version = args.kubernetes_version or seed_server_version(args.seed) or "v1.31.4"
    sim = KubeSim(
        port=args.port,
        token=args.token,
        kubernetes_version=version,
        policy=args.policy,
        access_log=args.access_log,
        seed=args.seed,
        reconcile_seed=args.reconcile_seed,
        controllers=not args.no_controllers,
        base_objects=not args.no_baseline,
        sync_wait=args.sync_wait,
        workdir=args.workdir,
        context=args.context,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        sim.start()
        if args.scenario:
            scenario = Scenario(args.scenario, tuple(args.breaks))
            start(sim, scenario)
            sources = sorted(set(scenario.sources.values()))
            print(
                f"kubesim: scenario {args.scenario}"
                + (f" broken by {', '.join(args.breaks)}" if args.breaks else "")
                + f" ({' + '.join(sources)} webhook configuration)",
                file=sys.stderr,
                flush=True,
            )
    except (OSError, ValueError, yaml.YAMLError) as exc:  # bad seed or policy: say so without a traceback
        print(f"kubesim: error: {exc}", file=sys.stderr)
        sim.stop()
        return 2
    if args.write_kubeconfig:
        sim.write_kubeconfig(args.write_kubeconfig, args.context)
    print(sim.url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
