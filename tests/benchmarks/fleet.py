"""Benchmark: a fleet of test API servers diagnosed by `ansible-playbook playbooks/diagnose.yml` through
the kubeconfig inventory plugin (issue 16).

    .venv/bin/python -m tests.benchmarks fleet [--clusters 1,10,50] [--forks 1,10,25] [--no-doc]

Starts max(--clusters) kubesim processes once (tests/fleet/fleet.py starts the demo fleet the same
way: one process and one kubeconfig per cluster), cycling through five kinds of cluster: seeded
copies of the benchmark data set (tests/benchmarks/dataset.py) at three sizes, and the live Istio
`wrong-ca` and Linkerd `injector-down` scenarios. For every fleet size N and forks value F it runs the
playbook over the first N clusters, with `-f F`, and measures:

  * wall time of ansible-playbook (start to exit);
  * controller CPU: user + system time of ansible-playbook and every process it waited for (its
    workers and the modules they ran), from wait4(2);
  * servers CPU: user + system time the kubesim processes used meanwhile (/proc/PID/stat);
  * controller memory, sampled every 0.2 s over ansible-playbook's process tree (the kubesim processes
    are not in it): the peak of the summed PSS (shared pages split between the processes sharing them,
    what the tree really occupies), the peak of the summed RSS (shared pages counted once per process:
    an upper bound) and the largest single process (its VmHWM, from wait4's ru_maxrss);
  * the diagnosis itself: the sum of every report's `summary.duration_seconds` (time inside the
    module's runner, without Python start-up, module transfer and result handling).

A run whose forks exceed N is not measured: Ansible starts at most N workers, so it is the forks=N
run. Every run must produce a report per cluster with every cluster diagnosed (checked), else the
benchmark stops. Figures: tests/output/bench/fleet.json; docs/performance.md's `fleet` section is
rewritten only by a run with the default sizes (or --doc). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from . import REPO, perfdoc
from . import fleet_figures as figures

PYTHON = sys.executable
OUTPUT = Path(REPO) / "tests" / "output" / "bench"
WORK = OUTPUT / "fleet"
DOC = os.path.join(REPO, "docs", "performance.md")
DEFAULT_CLUSTERS = (1, 10, 50)
DEFAULT_FORKS = (1, 10, 25)
TARGET_EFFICIENCY = 0.60
SAMPLE_SECONDS = 0.2
TICKS = os.sysconf("SC_CLK_TCK")

# dataset.build(namespaces, pods, events, nodes); the builder adds 100 StatefulSets and 200 Jobs with
# their pods to every size, so the smallest cluster still has about 500 pods.
SIZES = {
    "small": (10, 100, 100, 3),
    "medium": (40, 1200, 400, 10),
    "large": (100, 2500, 1000, 30),
}


@dataclass(frozen=True)
class Kind:
    name: str
    size: str = ""  # a seeded data set (no controllers) ...
    mesh: str = ""  # ... or a live scenario (controllers and a running injector)
    breaks: Tuple[str, ...] = ()


# The order the fleet cycles through: one cluster is a small seeded one, ten are two of each kind.
KINDS = (
    Kind("small", size="small"),
    Kind("istio-wrong-ca", mesh="istio", breaks=("wrong-ca",)),
    Kind("medium", size="medium"),
    Kind("linkerd-injector-down", mesh="linkerd", breaks=("injector-down",)),
    Kind("large", size="large"),
)


def fleet_names(count: int) -> List[Tuple[str, Kind]]:
    """`c01-small`, `c02-istio-wrong-ca`, ...: the clusters' contexts (the inventory's host names)."""
    return [("c%02d-%s" % (i + 1, KINDS[i % len(KINDS)].name), KINDS[i % len(KINDS)]) for i in range(count)]


def runs(clusters: Sequence[int], forks: Sequence[int]) -> List[Tuple[int, int]]:
    """(N, F) pairs to measure: forks above N would be the forks=N run again (Ansible caps workers at
    the host count), so only the first F >= N is kept, as F = N when no F equals N."""
    out: List[Tuple[int, int]] = []
    for n in sorted(set(clusters)):
        seen = set()
        for f in sorted(set(forks)):
            effective = min(f, n)
            if effective not in seen:
                seen.add(effective)
                out.append((n, effective))
    return out


def _env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("K8S_AUTH_") and k != "KUBECONFIG"}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [os.path.join(REPO, ".collections"), REPO, env.get("PYTHONPATH", "")])
    )
    env.update(
        ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".collections"),
        ANSIBLE_INVENTORY_ENABLED="meshops.sidecar_injection.kubeconfig",
        ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true",
        ANSIBLE_HOME=str(WORK / ".ansible"),
        ANSIBLE_LOCAL_TEMP=str(WORK / ".ansible" / "tmp"),
        ANSIBLE_NOCOLOR="1",
    )
    return env


def datasets() -> Dict[str, Dict[str, int]]:
    """Write (or reuse) the three seed files in a child process; their object counts."""
    (WORK / "datasets").mkdir(parents=True, exist_ok=True)
    counts: Dict[str, Dict[str, int]] = {}
    for size, args in SIZES.items():
        out = subprocess.run(
            [PYTHON, "-m", "tests.benchmarks.dataset", str(WORK / "datasets" / ("%s.json" % size))]
            + [str(a) for a in args],
            cwd=REPO,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError("data set %s failed: %s" % (size, out.stderr[-2000:]))
        counts[size] = json.loads(out.stdout.strip().splitlines()[-1])
    return counts


class Fleet(object):
    """kubesim processes, one per cluster, started at most `parallel` at a time (each start is a
    CPU-bound second or two: starting fifty at once on two cores only makes every one slow)."""

    def __init__(self, count: int, parallel: int = 4, timeout: float = 600.0):
        self.names = fleet_names(count)
        self.procs: Dict[str, subprocess.Popen] = {}
        self.logs: List[Any] = []
        for sub in ("kubeconfigs", "logs"):
            shutil.rmtree(WORK / sub, ignore_errors=True)
            (WORK / sub).mkdir(parents=True)
        started = time.perf_counter()
        try:
            pending = list(self.names)
            while pending or any(not self._ready(name) for name in self.procs):
                starting = [name for name in self.procs if not self._ready(name)]
                while pending and len(starting) < parallel:
                    name, kind = pending.pop(0)
                    self.procs[name] = self._start(name, kind)
                    starting.append(name)
                if time.perf_counter() - started > timeout:
                    raise RuntimeError("the fleet did not start in %ds (%s)" % (timeout, ", ".join(starting)))
                time.sleep(0.1)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.perf_counter() - started

    def warm(self) -> float:
        """Every server answers the gathering plan's GETs once (measure.py's `floor`, one process per
        server), so that no timed run pays a server's first JSON encoding of its objects (kubesim caches
        each object's encoding): otherwise whichever run first meets a cluster, the forks=1 one, would."""
        started = time.perf_counter()
        for name, _ in self.names:
            cmd = [PYTHON, "-m", "tests.benchmarks.measure", "floor", "--kubeconfig", str(self.kubeconfig(name))]
            out = subprocess.run(cmd, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600, check=False)
            if out.returncode != 0:
                raise RuntimeError("warming %s failed: %s" % (name, out.stderr[-2000:]))
        return time.perf_counter() - started

    def kubeconfig(self, name: str) -> Path:
        return WORK / "kubeconfigs" / ("%s.yaml" % name)

    def _start(self, name: str, kind: Kind) -> subprocess.Popen:
        cmd = [PYTHON, "-m", "tests.kubesim", "--context", name, "--write-kubeconfig", str(self.kubeconfig(name))]
        if kind.size:
            cmd += ["--seed", str(WORK / "datasets" / ("%s.json" % kind.size)), "--no-controllers"]
        else:
            cmd += ["--scenario", kind.mesh] + [arg for b in kind.breaks for arg in ("--break", b)]
        out = open(WORK / "logs" / ("%s.out" % name), "w")  # noqa: SIM115 - closed in stop()
        err = open(WORK / "logs" / ("%s.log" % name), "w")  # noqa: SIM115 - closed in stop()
        self.logs += [out, err]
        return subprocess.Popen(cmd, cwd=REPO, env=_env(), stdout=out, stderr=err, start_new_session=True)

    def _ready(self, name: str) -> bool:
        """kubesim prints its URL once it serves (after writing the kubeconfig)."""
        proc = self.procs[name]
        if proc.poll() is not None:
            raise RuntimeError(
                "kubesim for %s exited: %s" % (name, (WORK / "logs" / ("%s.log" % name)).read_text()[-2000:])
            )
        return (WORK / "logs" / ("%s.out" % name)).read_text().startswith("https://")

    def cpu_seconds(self) -> float:
        total = 0
        for proc in self.procs.values():
            try:
                with open("/proc/%d/stat" % proc.pid) as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / float(TICKS)

    def memory_bytes(self) -> int:
        return sum(_status(proc.pid).get("VmRSS", 0) for proc in self.procs.values())

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for handle in self.logs:
            handle.close()


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all processes, all cores), from /proc/stat."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / float(TICKS)  # guest time is already inside user


def _status(pid: int) -> Dict[str, int]:
    out: Dict[str, int] = {}
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return out


def _children() -> Dict[int, List[int]]:
    tree: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _rollup(pid: int) -> Tuple[int, int]:
    """(Rss, Pss) of one process in bytes, 0 when it is gone."""
    rss = pss = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, pss


class TreeSampler(threading.Thread):
    """Peak summed RSS and PSS of a process and its descendants, sampled every SAMPLE_SECONDS."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root = root
        self.done = threading.Event()
        self.peak_rss = self.peak_pss = self.peak_processes = self.samples = 0

    def run(self) -> None:
        while not self.done.is_set():
            tree = _children()
            pids, todo = [], [self.root]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(tree.get(pid, ()))
            rss = pss = 0
            for pid in pids:
                one_rss, one_pss = _rollup(pid)
                rss += one_rss
                pss += one_pss
            self.samples += 1
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_processes = max(self.peak_processes, len(pids))
            self.done.wait(SAMPLE_SECONDS)


def inventory(fleet: Fleet, count: int) -> Path:
    path = WORK / ("fleet-%d.kubeconfig.yml" % count)
    config = {
        "plugin": "meshops.sidecar_injection.kubeconfig",
        "kubeconfig": [str(fleet.kubeconfig(name)) for name, _ in fleet.names[:count]],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def playbook(fleet: Fleet, count: int, forks: int, timeout: float = 3600.0) -> Dict[str, Any]:
    reports = WORK / "reports" / ("N%d-f%d" % (count, forks))
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    log_path = WORK / "logs" / ("playbook-N%d-f%d.log" % (count, forks))
    cmd = [os.path.join(os.path.dirname(PYTHON), "ansible-playbook"), os.path.join(REPO, "playbooks", "diagnose.yml")]
    cmd += ["-i", str(inventory(fleet, count)), "-f", str(forks), "-e", "report_dir=%s" % reports]
    load = os.getloadavg()[0]
    servers_before = fleet.cpu_seconds()
    machine_before = machine_busy_seconds()
    with open(log_path, "w") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=str(WORK), env=_env(), stdout=log, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        # wait4, not Popen.wait: its rusage is the CPU time of the playbook and of everything it waited for
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        machine_busy = machine_busy_seconds() - machine_before
        sampler.done.set()
        sampler.join()
    controller_cpu = usage.ru_utime + usage.ru_stime
    server_cpu = fleet.cpu_seconds() - servers_before
    result: Dict[str, Any] = {
        "clusters": count,
        "forks": forks,
        "returncode": proc.returncode,
        "seconds": round(seconds, 3),
        "controller_cpu_seconds": round(controller_cpu, 3),
        "server_cpu_seconds": round(server_cpu, 3),
        # everything else the machine ran meanwhile (other sessions, this benchmark's sampler)
        "other_cpu_seconds": round(max(0.0, machine_busy - controller_cpu - server_cpu), 3),
        "peak_pss_bytes": sampler.peak_pss,
        "peak_rss_bytes": sampler.peak_rss,
        "max_process_bytes": usage.ru_maxrss * 1024,
        "peak_processes": sampler.peak_processes,
        "samples": sampler.samples,
        "load_average_before": round(load, 2),
        "log": str(log_path),
    }
    result.update(check_reports(reports, [name for name, _ in fleet.names[:count]], log_path, proc.returncode))
    return result


def check_reports(reports: Path, hosts: List[str], log_path: Path, returncode: int) -> Dict[str, Any]:
    """Every cluster diagnosed, one report each: else the figures would time a different job."""
    problem = ""
    fleet_json = reports / "fleet.json"
    if returncode != 0:
        problem = "ansible-playbook exited %d" % returncode
    elif not fleet_json.is_file():
        problem = "no fleet.json"
    if problem:
        raise RuntimeError("%s; see %s:\n%s" % (problem, log_path, log_path.read_text()[-3000:]))
    totals = json.loads(fleet_json.read_text())["totals"]
    if totals["diagnosed"] != len(hosts) or totals["not_diagnosed"]:
        raise RuntimeError("%d of %d clusters diagnosed; see %s" % (totals["diagnosed"], len(hosts), log_path))
    module_seconds, findings, pods = 0.0, 0, 0
    for host in hosts:
        summary = json.loads((reports / ("%s.json" % host)).read_text())["summary"]
        module_seconds += float(summary["duration_seconds"])
        findings += sum(summary["severities"].values())
        pods += int(summary["pods"]["total"])
    return {"module_seconds": round(module_seconds, 3), "findings": findings, "pods": pods}


PING = """\
- name: One trivial module per cluster (the fleet benchmark's baseline)
  hosts: all
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""

IMPORTS = (
    "import time; started = time.process_time(); "
    "from ansible_collections.meshops.sidecar_injection.plugins.module_utils.runners import diagnose; "
    "print(time.process_time() - started)"
)


def _cpu_of(cmd: List[str]) -> float:
    """User + system CPU seconds of a command and everything it waited for."""
    proc = subprocess.Popen(cmd, cwd=str(WORK), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s exited %d" % (" ".join(cmd), os.waitstatus_to_exitcode(status)))
    return usage.ru_utime + usage.ru_stime


def baseline(fleet: Fleet, count: int) -> Dict[str, Any]:
    """What a cluster costs the controller before any diagnosing: ansible-playbook's start-up (parsing
    the inventory: --list-hosts), one trivial module per host (ping, forks 1) and importing the
    diagnose module's code in a fresh interpreter (median of three), in CPU seconds."""
    binary = os.path.join(os.path.dirname(PYTHON), "ansible-playbook")
    path = WORK / "ping.yml"
    path.write_text(PING)
    source = str(inventory(fleet, count))
    startup = _cpu_of([binary, "-i", source, "--list-hosts", str(path)])
    ping = _cpu_of([binary, "-i", source, "-f", "1", str(path)])
    imports = []
    for _ in range(3):
        out = subprocess.run([PYTHON, "-c", IMPORTS], env=_env(), capture_output=True, text=True, check=True)
        imports.append(float(out.stdout.strip()))
    return {
        "clusters": count,
        "startup_cpu_seconds": round(startup, 3),
        "ping_cpu_seconds_per_host": round((ping - startup) / count, 3),
        "import_cpu_seconds": round(sorted(imports)[1], 3),
    }


def run(clusters: Sequence[int], forks: Sequence[int]) -> Dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    counts = datasets()
    plan = runs(clusters, forks)
    fleet = Fleet(max(clusters))
    results: List[Dict[str, Any]] = []
    try:
        warm_seconds = fleet.warm()
        servers_memory = fleet.memory_bytes()
        base = baseline(fleet, min(10, max(clusters)))
        for count, fork in plan:
            sys.stderr.write("fleet benchmark: %d clusters, forks %d ...\n" % (count, fork))
            sys.stderr.flush()
            result = playbook(fleet, count, fork)
            sys.stderr.write(
                "  %.1f s wall, controller %.1f s CPU, servers %.1f s CPU, peak PSS %.0f MB\n"
                % (
                    result["seconds"],
                    result["controller_cpu_seconds"],
                    result["server_cpu_seconds"],
                    result["peak_pss_bytes"] / figures.MB,
                )
            )
            results.append(result)
    finally:
        fleet.stop()
    return {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": perfdoc.machine(),
        "versions": perfdoc.versions(["ansible-core", "kubernetes", "urllib3"]),
        "revision": perfdoc.git_revision(REPO),
        "cores": len(os.sched_getaffinity(0)),
        "sizes": {size: {"arguments": list(SIZES[size]), "counts": counts[size]} for size in SIZES},
        "kinds": [kind.name for kind in KINDS],
        "fleet_start_seconds": round(fleet.start_seconds, 1),
        "warm_seconds": round(warm_seconds, 1),
        "servers_rss_bytes": servers_memory,
        "command": command(clusters, forks),
        "baseline": base,
        "results": results,
    }


def command(clusters: Sequence[int], forks: Sequence[int]) -> str:
    text = ".venv/bin/python -m tests.benchmarks fleet"
    if tuple(clusters) != DEFAULT_CLUSTERS:
        text += " --clusters %s" % ",".join(str(c) for c in clusters)
    if tuple(forks) != DEFAULT_FORKS:
        text += " --forks %s" % ",".join(str(f) for f in forks)
    return text


def render(data: Dict[str, Any]) -> str:
    results, cores = data["results"], int(data["cores"])
    serial = figures.serial_times(results)
    sizes = data["sizes"]
    lines = ["## Fleet: `playbooks/diagnose.yml` over N test API servers", ""]
    lines.append(
        "N kubesim processes (one per cluster, started before the runs; the fleet of %d started in %.0f s, "
        "then answered the gathering plan's requests once, untimed, so that no run pays a server's first "
        "encoding of its objects; its servers hold %s) diagnosed by `ansible-playbook playbooks/diagnose.yml "
        "-f F` through the "
        "`meshops.sidecar_injection.kubeconfig` inventory plugin, all on one machine. The fleet cycles through "
        "five kinds of cluster: seeded copies of the benchmark data set, small (%s pods), medium (%s pods) and "
        "large (%s pods, %s namespaces), and the live Istio `wrong-ca` and Linkerd `injector-down` scenarios "
        "(controllers and a running injector); N = 1 is one small cluster, N = 10 two of each kind."
        % (
            max(r["clusters"] for r in results),
            data["fleet_start_seconds"],
            figures.mb_text(data["servers_rss_bytes"]),
            sizes["small"]["counts"].get("Pod"),
            sizes["medium"]["counts"].get("Pod"),
            sizes["large"]["counts"].get("Pod"),
            sizes["large"]["counts"].get("Namespace"),
        )
    )
    lines += [
        "",
        "- Command: `%s` (part of `make bench`; `--clusters 1,3 --forks 1,3` for a quick try)." % data["command"],
        "- Machine: %s; %s; revision %s; measured %s. The machine is shared: the load average before each "
        "run is in the raw figures (%s)."
        % (
            data["machine"],
            data["versions"],
            data["revision"],
            data["measured"],
            ", ".join("%.1f" % r["load_average_before"] for r in results),
        ),
        "- Parallel efficiency = speed-up / min(F, N, cores), speed-up = T(N, forks 1) / T(N, forks F), "
        "cores = %d (the CPUs this process may use). The test API servers run on the same %d cores as the "
        "controller and compete with it, so no fork count can make the fleet more than %dx faster here: "
        "the ideal is min(F, N, %d), not F. The column after it divides by min(F, N) instead, what the "
        "figure would be if every fork had a core of its own." % (cores, cores, cores, cores),
        "- Controller memory is ansible-playbook's process tree only (workers, modules; the servers are "
        "not in it), sampled every %.1f s: PSS sums shared pages once (what the tree occupies), RSS counts "
        "them in every process (an upper bound); `largest process` is the biggest single peak (VmHWM)."
        % SAMPLE_SECONDS,
        "- A run with F > N is not measured (Ansible starts at most N workers: it is the F = N run).",
        "",
        perfdoc.table(figures.HEADERS, figures.rows(results, cores)),
        "",
    ]
    lines += verdict(results, serial, cores)
    lines += profile(results, cores)
    base = data.get("baseline")
    if base:
        lines += [
            "",
            "Baseline (CPU, measured in the same run): ansible-playbook's start-up with this inventory "
            "(`--list-hosts`) %s; one trivial module per cluster (`ansible.builtin.ping`, forks 1, over %d "
            "clusters) %s per cluster; importing the diagnose module's code in a fresh interpreter "
            "(`module_utils.runners.diagnose`, which loads the `kubernetes` client library for kubernetes.core's "
            "authentication) %s, paid again by every cluster's module run."
            % (
                figures.seconds_text(base["startup_cpu_seconds"]),
                base["clusters"],
                figures.seconds_text(base["ping_cpu_seconds_per_host"]),
                figures.seconds_text(base["import_cpu_seconds"]),
            ),
        ]
    lines += ["", "Raw figures: `tests/output/bench/fleet.json` (not committed)."]
    return "\n".join(lines) + "\n"


def verdict(results: Sequence[Dict[str, Any]], serial: Dict[int, float], cores: int) -> List[str]:
    out: List[str] = []
    target = [r for r in results if r["clusters"] == 50 and r["forks"] == 25]
    if target and 50 in serial:
        r = target[0]
        value = figures.efficiency(serial[50], r["seconds"], 25, 50, cores)
        out.append(
            "Target, 50 clusters with forks 25: parallel efficiency %.0f%% against a target of %.0f%%: **%s**."
            % (100 * value, 100 * TARGET_EFFICIENCY, "met" if value >= TARGET_EFFICIENCY else "missed")
        )
    slopes = figures.memory_slopes(results)
    if slopes:
        parts = ["%s per cluster with forks %d" % (figures.mb_text(v), f) for f, v in slopes.items()]
        single = sorted((r for r in results if r["forks"] == 1), key=lambda r: r["clusters"])
        measured = ", ".join("%s at N = %d" % (figures.mb_text(r["peak_pss_bytes"]), r["clusters"]) for r in single)
        out.append(
            "Controller memory (peak PSS, least-squares fit over the fleet sizes): %s (forks 1: %s)."
            % ("; ".join(parts), measured)
        )
    if target and 50 in serial:
        value = figures.efficiency(serial[50], target[0]["seconds"], 25, 50, cores)
        if value > 1.0:
            out.append(
                "An efficiency above 100%% says the forks=1 run did not have the %d cores the formula assumes: "
                "other sessions kept the machine's run queue full (the `other load` column below), and a serial "
                "run, one process runnable at a time, waits for a core at every hand-off between ansible-playbook, "
                "its worker, the module and the server, while 25 forks put many runnable processes in the fair "
                "scheduler and get a larger share of the machine. The CPU ratio in the table does not depend on "
                "that share: the parallel runs burned no more CPU per cluster than the serial one, so on an idle "
                "machine the speed-up is bounded by the cores (wall >= CPU / cores), not by Ansible's forking." % cores
            )
    return out + [""] if out else out


def profile(results: Sequence[Dict[str, Any]], cores: int) -> List[str]:
    """Where the time goes, per run: the controller's CPU, the servers' CPU, the diagnosis inside the
    module, and how busy the machine was."""
    rows = []
    for r in sorted(results, key=lambda item: (item["clusters"], item["forks"])):
        n, seconds = r["clusters"], r["seconds"]
        busy = (r["controller_cpu_seconds"] + r["server_cpu_seconds"]) / (seconds * cores)
        rows.append(
            [
                n,
                r["forks"],
                figures.seconds_text(r["controller_cpu_seconds"] / n),
                figures.seconds_text(r["module_seconds"] / n),
                figures.seconds_text(r["server_cpu_seconds"] / n),
                "%.0f%%" % (100 * busy),
                "%.1f" % (r.get("other_cpu_seconds", 0.0) / seconds),
                r["peak_processes"],
            ]
        )
    return [
        "Where the time goes (per cluster): the controller's CPU time (Ansible and the modules), the wall time "
        "of the diagnosis inside the module's runner (`summary.duration_seconds`: a wall time, so it grows when "
        "concurrent modules share the cores; it is not CPU and cannot be subtracted from the CPU column), the "
        "servers' CPU time answering it, how busy the run kept the machine's cores (controller + servers CPU / "
        "(wall x cores)), and the CPU everything else on the machine used meanwhile, in cores (other sessions "
        "share the machine: each core they take is one the fleet could not use):",
        "",
        perfdoc.table(
            [
                "clusters",
                "forks",
                "controller CPU",
                "diagnosis in the module (wall)",
                "servers CPU",
                "cores busy",
                "other load (cores)",
                "processes (peak)",
            ],
            rows,
        ),
    ]


def _sizes(text: str) -> List[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated whole numbers, got %r" % text) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("expected numbers of at least 1, got %r" % text)
    return values


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks fleet", description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=_sizes, default=list(DEFAULT_CLUSTERS), help="fleet sizes, e.g. 1,10,50")
    parser.add_argument("--forks", type=_sizes, default=list(DEFAULT_FORKS), help="forks values, e.g. 1,10,25")
    parser.add_argument("--doc", action="store_true", help="rewrite docs/performance.md even for other sizes")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")
    parser.add_argument("--render-only", action="store_true", help="re-render the last results (no measuring)")
    args = parser.parse_args(argv)
    raw = OUTPUT / "fleet.json"
    if args.render_only:
        data = json.loads(raw.read_text())
    else:
        if 1 not in args.forks:
            parser.error("--forks must include 1: efficiency is measured against the forks=1 run")
        data = run(args.clusters, args.forks)
        OUTPUT.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps(data, indent=2))
    text = render(data)
    sys.stdout.write(text)
    default = data["command"] == command(DEFAULT_CLUSTERS, DEFAULT_FORKS)
    if not args.no_doc and (default or args.doc):
        perfdoc.update_section(DOC, "fleet", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
