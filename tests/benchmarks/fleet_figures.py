"""The fleet benchmark's arithmetic (tests/benchmarks/fleet.py): speed-up, parallel efficiency, the
memory slope per cluster and the table, kept apart from the measuring so it can be unit-tested.

Parallel efficiency of a run with F forks over N clusters on a machine with C usable cores:

    speed-up   = T(N, forks=1) / T(N, forks=F)
    ideal      = min(F, N, C)      (more workers than clusters or cores cannot run at once)
    efficiency = speed-up / ideal

The test API servers run on the same C cores as the controller, so `ideal` is an upper bound that
the machine itself caps: forks can overlap the controller's work with the servers' and with each
other, never beyond C cores of CPU.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

MB = 1000.0 * 1000.0


def ideal_speedup(forks: int, clusters: int, cores: int) -> int:
    """How many clusters can be diagnosed at once: no more than the forks, the clusters or the cores."""
    if forks < 1 or clusters < 1 or cores < 1:
        raise ValueError("forks, clusters and cores must be at least 1 (got %d, %d, %d)" % (forks, clusters, cores))
    return min(forks, clusters, cores)


def speedup(serial_seconds: float, seconds: float) -> float:
    if serial_seconds <= 0 or seconds <= 0:
        raise ValueError("wall times must be positive (got %r and %r)" % (serial_seconds, seconds))
    return serial_seconds / seconds


def efficiency(serial_seconds: float, seconds: float, forks: int, clusters: int, cores: int) -> float:
    """speed-up over forks=1 divided by min(forks, clusters, cores); 1.0 is perfect scaling."""
    return speedup(serial_seconds, seconds) / ideal_speedup(forks, clusters, cores)


def cpu_ratio(serial_cpu: float, cpu: float) -> float:
    """CPU(forks 1) / CPU(forks F): below 1.0 the parallel run burned more CPU for the same clusters.
    Unlike the wall-time efficiency it does not depend on how much of the machine other work took."""
    if serial_cpu <= 0 or cpu <= 0:
        raise ValueError("CPU times must be positive (got %r and %r)" % (serial_cpu, cpu))
    return serial_cpu / cpu


def slope(points: Sequence[Tuple[float, float]]) -> Optional[float]:
    """Least-squares slope of y over x (None with fewer than two distinct x)."""
    xs = [x for x, _ in points]
    if len(set(xs)) < 2:
        return None
    mean_x = sum(xs) / len(xs)
    mean_y = sum(y for _, y in points) / len(points)
    num = sum((x - mean_x) * (y - mean_y) for x, y in points)
    den = sum((x - mean_x) ** 2 for x in xs)
    return num / den


def serial_times(results: Sequence[Mapping[str, Any]]) -> Dict[int, float]:
    """T(N, forks=1) per fleet size N."""
    return {int(r["clusters"]): float(r["seconds"]) for r in results if int(r["forks"]) == 1}


def memory_slopes(results: Sequence[Mapping[str, Any]], key: str = "peak_pss_bytes") -> Dict[int, float]:
    """Bytes of controller memory per extra cluster, per forks value (fitted over the fleet sizes
    measured with that many forks; forks above N are capped by Ansible at N workers, so a run counts
    for its own forks value only when forks <= N)."""
    series: Dict[int, List[Tuple[float, float]]] = {}
    for r in results:
        if int(r["forks"]) <= int(r["clusters"]):
            series.setdefault(int(r["forks"]), []).append((float(r["clusters"]), float(r[key])))
    out: Dict[int, float] = {}
    for forks, points in sorted(series.items()):
        value = slope(points)
        if value is not None:
            out[forks] = value
    return out


def seconds_text(value: float) -> str:
    return "%.1f s" % value if value >= 10 else "%.2f s" % value


def mb_text(value: float) -> str:
    return "%.0f MB" % (value / MB)


HEADERS = (
    "clusters",
    "forks",
    "wall time",
    "per cluster",
    "speed-up",
    "efficiency (ideal = min(F, N, cores))",
    "speed-up / min(F, N)",
    "CPU forks 1 / CPU forks F",
    "controller CPU",
    "servers CPU",
    "controller peak PSS",
    "controller peak RSS (sum)",
    "largest process",
)


def rows(results: Sequence[Mapping[str, Any]], cores: int) -> List[List[str]]:
    """One table row per run, sorted by fleet size then forks."""
    serial = serial_times(results)
    serial_cpu = {
        int(r["clusters"]): float(r["controller_cpu_seconds"]) + float(r["server_cpu_seconds"])
        for r in results
        if int(r["forks"]) == 1
    }
    out: List[List[str]] = []
    for r in sorted(results, key=lambda item: (int(item["clusters"]), int(item["forks"]))):
        clusters, forks, seconds = int(r["clusters"]), int(r["forks"]), float(r["seconds"])
        base = serial.get(clusters)
        cpu = float(r["controller_cpu_seconds"]) + float(r["server_cpu_seconds"])
        if base is None:
            gain = eff = naive = ratio = "-"
        else:
            gain = "%.2fx" % speedup(base, seconds)
            eff = "%.0f%%" % (100 * efficiency(base, seconds, forks, clusters, cores))
            naive = "%.0f%%" % (100 * speedup(base, seconds) / min(forks, clusters))
            ratio = "%.2f" % cpu_ratio(serial_cpu[clusters], cpu)
        out.append(
            [
                str(clusters),
                str(forks),
                seconds_text(seconds),
                seconds_text(seconds / clusters),
                gain,
                eff,
                naive,
                ratio,
                seconds_text(float(r["controller_cpu_seconds"])),
                seconds_text(float(r["server_cpu_seconds"])),
                mb_text(float(r["peak_pss_bytes"])),
                mb_text(float(r["peak_rss_bytes"])),
                mb_text(float(r["max_process_bytes"])),
            ]
        )
    return out
