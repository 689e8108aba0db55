"""Benchmark: the whole `ansible-playbook playbooks/diagnose.yml` against kubesim (issue 12).

    .venv/bin/python -m tests.benchmarks.end_to_end [--quick] [--repeat 2] [--sizes 5000,50000,100000]
        [--no-doc] [--render-only]

kubesim runs as its own process with an access log and is warmed (one untimed playbook run encodes
every object once). Then, per repeat and in the same run on the same server:
  * the playbook: wall time from ansible-playbook's start to its exit (every report written), the peak
    RSS of the whole process tree (ansible-playbook, its workers and the module: the sum of their RSS,
    sampled every 20 ms) and of its largest process;
  * the replay floor: exactly the GET requests that playbook run made, read back from the access log
    (same paths and queries, continue tokens included, same headers so the same bodies are gzipped),
    sent with urllib3 and parsed with `json.loads`, nothing else, in a fresh process;
  * wire bytes: the access log's `wire_bytes` (as sent) against `bytes` (the JSON as encoded).
The main figures are at 50,000 pods (2,000 namespaces); the scaling table adds 5,000 and 100,000.
Targets: playbook within 1.5x the floor, whole-run peak RSS within 0.6x the raw JSON served, wire
bytes within 0.15x the raw JSON. Speed is never asserted in tests; the request count is checked here
(the playbook's GETs equal the replay's, and the plain decoder makes the same requests: test_fast_path).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from . import REPO, perfdoc
from .snapshot_gathering import OUTPUT, PYTHON, _dataset, _env

DOC = os.path.join(REPO, "docs", "performance.md")
SIZES = {
    5000: {"namespaces": 200, "pods": 5000, "events": 2000, "nodes": 20},
    50000: {"namespaces": 2000, "pods": 50000, "events": 20000, "nodes": 100},
    100000: {"namespaces": 4000, "pods": 100000, "events": 40000, "nodes": 200},
}
MAIN_SIZE = 50000
TIME_TARGET = 1.5
MEMORY_TARGET = 0.6
WIRE_TARGET = 0.15
SAMPLE_SECONDS = 0.02


class Server(object):
    """kubesim in its own process, seeded from the data set file, every request in `access_log`."""

    def __init__(self, seed: str, workdir: str) -> None:
        os.makedirs(workdir, exist_ok=True)
        self.kubeconfig = os.path.join(workdir, "kubeconfig")
        self.access_log = os.path.join(workdir, "access.log")
        if os.path.exists(self.access_log):
            os.unlink(self.access_log)
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "tests.kubesim", "--seed", seed, "--write-kubeconfig", self.kubeconfig]
            + ["--no-controllers", "--access-log", self.access_log],
            cwd=REPO,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("https://"):
            self.stop()
            raise RuntimeError("kubesim did not start: %s" % (self.proc.stderr.read() if self.proc.stderr else ""))
        self.start_seconds = time.perf_counter() - started

    def log_size(self) -> int:
        return os.path.getsize(self.access_log) if os.path.exists(self.access_log) else 0

    def entries_since(self, offset: int) -> List[Dict[str, Any]]:
        with open(self.access_log, "rb") as handle:
            handle.seek(offset)
            return [json.loads(line) for line in handle.read().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _tree_rss(root: int) -> Tuple[int, int]:
    """(sum of RSS, largest RSS) over `root` and all its descendants, from /proc."""
    parents: Dict[int, int] = {}
    rss: Dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    members = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                changed = True
    sizes = [rss.get(pid, 0) for pid in members]
    return sum(sizes), max(sizes or [0])


def run_tree(cmd: List[str], env: Dict[str, str], timeout: int = 3600) -> Dict[str, Any]:
    """Run `cmd`; wall time, exit code and the peak RSS of its whole process tree (sampled)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = {"sum": 0, "largest": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, largest = _tree_rss(proc.pid)
            peak["sum"], peak["largest"] = max(peak["sum"], total), max(peak["largest"], largest)
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {
        "returncode": proc.returncode,
        "seconds": round(seconds, 3),
        "peak_bytes": peak["sum"],
        "largest_process_bytes": peak["largest"],
        "stdout_tail": out.decode("utf-8", "replace")[-3000:],
        "stderr_tail": err.decode("utf-8", "replace")[-3000:],
    }


def playbook(server: Server, report_dir: str, decoder: Optional[str] = None) -> Dict[str, Any]:
    inventory = os.path.join(os.path.dirname(report_dir), "inventory.yml")
    with open(inventory, "w") as handle:
        handle.write("all:\n  hosts:\n    bench:\n      kubeconfig: %s\n" % server.kubeconfig)
    env = _env()
    if decoder:
        env["MESHOPS_JSON_DECODER"] = decoder
    binary = os.path.join(os.path.dirname(PYTHON), "ansible-playbook")
    cmd = [binary, os.path.join(REPO, "playbooks", "diagnose.yml"), "-i", inventory, "-e", "report_dir=" + report_dir]
    offset = server.log_size()
    result = run_tree(cmd, env)
    entries = [e for e in server.entries_since(offset) if not e["path"].startswith("/_kubesim/")]
    gets = [e for e in entries if e["method"] == "GET"]
    result.update(
        requests=len(entries),
        gets=[e["path"] for e in gets],
        raw_bytes=sum(e.get("bytes", 0) for e in gets),
        wire_bytes=sum(e.get("wire_bytes", 0) for e in gets),
        gzipped=sum(1 for e in gets if e.get("wire_bytes", 0) < e.get("bytes", 0)),
    )
    report = os.path.join(report_dir, "bench.json")
    if result["returncode"] in (0, 2) and os.path.exists(report):
        with open(report) as handle:
            doc = json.load(handle)
        summary = doc.get("summary") or {}
        result["report"] = {
            "findings": len(doc.get("findings") or ()),
            "verdicts": len(doc.get("verdicts") or ()),
            "pods": (summary.get("pods") or {}).get("total"),
            "module_seconds": summary.get("duration_seconds"),
            "module_requests": summary.get("requests"),
        }
    return result


def replay(server: Server, paths: List[str]) -> Dict[str, Any]:
    """The floor, in a fresh process: tests/benchmarks/replay.py over exactly these GETs."""
    plan = os.path.join(OUTPUT, "replay-plan.json")
    with open(plan, "w") as handle:
        json.dump(paths, handle)
    cmd = [PYTHON, "-m", "tests.benchmarks.replay", "--kubeconfig", server.kubeconfig, "--plan", plan]
    out = subprocess.run(cmd, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError("replay failed: %s" % out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_size(pods: int, repeat: int) -> Dict[str, Any]:
    size = SIZES[pods]
    seed = os.path.join(OUTPUT, "cluster-%dpods.json" % size["pods"])
    objects = _dataset(seed, size)
    workdir = os.path.join(OUTPUT, "e2e-%d" % pods)
    server = Server(seed, workdir)
    result: Dict[str, Any] = {"pods": pods, "size": size, "objects": objects, "server_start": server.start_seconds}
    try:
        warm = playbook(server, os.path.join(workdir, "reports-warm"))
        if warm["returncode"] not in (0, 2):
            raise RuntimeError("the warm-up playbook failed: %s" % warm["stdout_tail"])
        runs, floors = [], []
        for index in range(repeat):
            run = playbook(server, os.path.join(workdir, "reports-%d" % index))
            if run["returncode"] not in (0, 2):
                raise RuntimeError("the playbook failed: %s" % run["stdout_tail"])
            floor = replay(server, run["gets"])
            if floor["requests"] != len(run["gets"]) or floor["raw_bytes"] != run["raw_bytes"]:
                raise AssertionError(
                    "the replay made %d requests for %d bytes; the playbook %d for %d"
                    % (floor["requests"], floor["raw_bytes"], len(run["gets"]), run["raw_bytes"])
                )
            runs.append({k: v for k, v in run.items() if k != "gets"})
            floors.append(floor)
        result.update(warm={k: v for k, v in warm.items() if k != "gets"}, runs=runs, floors=floors)
    finally:
        server.stop()
    return result


def _mb(value: float) -> str:
    return "%.0f MB" % (value / 1e6)


def summary(size: Dict[str, Any]) -> Dict[str, Any]:
    runs, floors = size["runs"], size["floors"]
    first = min(runs, key=lambda r: r["seconds"])  # the least disturbed run
    return {
        "pods": size["pods"],
        # best of the runs, for both: on a shared machine other load only ever adds time
        "seconds": min(r["seconds"] for r in runs),
        "floor_seconds": min(f["seconds"] for f in floors),
        "all_seconds": [r["seconds"] for r in runs],
        "all_floor_seconds": [f["seconds"] for f in floors],
        "peak_bytes": max(r["peak_bytes"] for r in runs),
        "largest_process_bytes": max(r["largest_process_bytes"] for r in runs),
        "floor_peak_bytes": max(f["peak_bytes"] for f in floors),
        "raw_bytes": first["raw_bytes"],
        "wire_bytes": first["wire_bytes"],
        "requests": first["requests"],
        "gets": floors[0]["requests"],
        "module_seconds": (first.get("report") or {}).get("module_seconds"),
        "findings": (first.get("report") or {}).get("findings"),
    }


def render(results: Dict[str, Any]) -> str:
    sizes = {int(k): v for k, v in results["sizes"].items()}
    main = summary(sizes[MAIN_SIZE]) if MAIN_SIZE in sizes else summary(sizes[min(sizes)])
    t_ratio = main["seconds"] / main["floor_seconds"]
    m_ratio = main["peak_bytes"] / float(main["raw_bytes"])
    w_ratio = main["wire_bytes"] / float(main["raw_bytes"])
    repeat = len(sizes[main["pods"]]["runs"])
    lines = [
        "## End to end: `ansible-playbook playbooks/diagnose.yml`",
        "",
        "The diagnose playbook (one host, live gathering, every report format) against kubesim in its own process "
        "(no controllers, warmed by one untimed run), %s pods in %s namespaces, against a replay floor measured in "
        "the same run on the same server: exactly the GET requests that playbook run made (read back from kubesim's "
        "access log, continue tokens included, same headers) sent with urllib3 and parsed with `json.loads`, "
        "nothing else." % ("{:,}".format(main["pods"]), "{:,}".format(sizes[main["pods"]]["size"]["namespaces"])),
        "",
        "- Command: `make bench` (this section: `.venv/bin/python -m tests.benchmarks.end_to_end`).",
        "- Machine: %s; %s; JSON decoder: %s."
        % (
            perfdoc.machine(),
            perfdoc.versions(["ansible-core", "kubernetes", "urllib3", "msgspec"]),
            results.get("decoder", "json"),
        ),
        "- Best of %d runs for the playbook and for the floor (each run is followed by its replay; on a shared "
        "machine other load only adds time: all runs, playbook / floor: %s). Peak RSS is the whole run: the sum "
        "of the RSS of ansible-playbook and every process it started, sampled every %d ms (the largest single "
        "process alongside), the highest of the runs."
        % (
            repeat,
            ", ".join("%.1f s / %.1f s" % pair for pair in zip(main["all_seconds"], main["all_floor_seconds"])),
            SAMPLE_SECONDS * 1000,
        ),
        "",
        perfdoc.table(
            ["", "wall time", "GET requests", "raw JSON", "on the wire", "peak RSS (whole run)"],
            [
                [
                    "playbook (start to reports written)",
                    "%.1f s" % main["seconds"],
                    main["gets"],
                    _mb(main["raw_bytes"]),
                    _mb(main["wire_bytes"]),
                    "%s (largest process %s)" % (_mb(main["peak_bytes"]), _mb(main["largest_process_bytes"])),
                ],
                [
                    "replay floor: same GETs + `json.loads`",
                    "%.1f s" % main["floor_seconds"],
                    main["gets"],
                    _mb(main["raw_bytes"]),
                    _mb(main["wire_bytes"]),
                    _mb(main["floor_peak_bytes"]),
                ],
            ],
        ),
        "",
        "| target | measured | result |",
        "| --- | --- | --- |",
        "| playbook within %.1fx the replay floor | %.2fx | %s |"
        % (TIME_TARGET, t_ratio, "met" if t_ratio <= TIME_TARGET else "not met"),
        "| peak RSS of the whole run within %.1fx the raw JSON served | %.2fx | %s |"
        % (MEMORY_TARGET, m_ratio, "met" if m_ratio <= MEMORY_TARGET else "not met"),
        "| bytes on the wire within %.2fx the raw JSON | %.3fx | %s |"
        % (WIRE_TARGET, w_ratio, "met" if w_ratio <= WIRE_TARGET else "not met"),
        "",
        "Inside the module: %.1f s of the %.1f s (the report's `duration_seconds`: gathering, diagnosis, the "
        "report); the rest is ansible-playbook start-up, the role's tasks and the fleet reports."
        % (main["module_seconds"] or 0, main["seconds"]),
        "",
        "### Scaling",
        "",
    ]
    rows = []
    for pods in sorted(sizes):
        item = summary(sizes[pods])
        rows.append(
            [
                "{:,}".format(pods),
                "%.1f s" % item["seconds"],
                "%.1f s" % item["floor_seconds"],
                "%.2fx" % (item["seconds"] / item["floor_seconds"]),
                "%.0f us" % (item["seconds"] / pods * 1e6),
                _mb(item["peak_bytes"]),
                "%.1f KB" % (item["peak_bytes"] / pods / 1e3),
                "%.3fx" % (item["wire_bytes"] / float(item["raw_bytes"])),
                item["gets"],
            ]
        )
    lines += [
        perfdoc.table(
            ["pods", "playbook", "floor", "ratio", "time per pod", "peak RSS", "RSS per pod", "wire / raw", "GETs"],
            rows,
        ),
        "",
        "Raw figures: `tests/output/bench/end-to-end.json` (not committed).",
    ]
    return "\n".join(lines) + "\n"


def decoder_in_use() -> str:
    """The JSON decoder the module will use (k8s/client.py JSON_DECODER), asked in a child process."""
    code = (
        "from ansible_collections.meshops.sidecar_injection.plugins.module_utils.k8s import client; "
        "print(client.JSON_DECODER)"
    )
    out = subprocess.run([PYTHON, "-c", code], cwd=REPO, env=_env(), capture_output=True, text=True)
    return out.stdout.strip() or "unknown: %s" % out.stderr[-300:]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 pods only; docs/performance.md is not touched")
    parser.add_argument("--sizes", default="5000,50000,100000", help="pod counts (of %s)" % sorted(SIZES))
    parser.add_argument("--repeat", type=int, default=2, help="runs at 50,000 pods (the other sizes run once)")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--merge", action="store_true", help="keep the last results of the sizes not measured now")
    parser.add_argument("--render-only", action="store_true", help="re-render the last results (no measuring)")
    args = parser.parse_args(argv)
    path = os.path.join(OUTPUT, "end-to-end.json")
    os.makedirs(os.path.join(OUTPUT, "home"), exist_ok=True)
    if args.render_only:
        with open(path) as handle:
            results = json.load(handle)
    else:
        pods = [5000] if args.quick else [int(v) for v in args.sizes.split(",")]
        results = {"decoder": decoder_in_use(), "sizes": {}}
        if args.merge and os.path.exists(path):  # re-measure some sizes, keep the others
            with open(path) as handle:
                results["sizes"] = json.load(handle)["sizes"]
        for count in pods:
            # the other sizes once: the machine is shared, and they only show how cost grows with size
            results["sizes"][str(count)] = measure_size(count, args.repeat if count == MAIN_SIZE else 1)
            with open(path, "w") as handle:
                json.dump(results, handle, indent=2)
    text = render(results)
    sys.stdout.write(text)
    if not args.no_doc and not args.quick:
        perfdoc.update_section(DOC, "end-to-end", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
