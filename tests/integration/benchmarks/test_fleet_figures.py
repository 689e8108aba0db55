"""The fleet benchmark's arithmetic and plan (tests/benchmarks/fleet_figures.py, fleet.py): no timing.

Here rather than in tests/unit because tests/unit also runs under `ansible-test units` in the built
collection, which does not ship tests/benchmarks.
"""

from __future__ import annotations

import argparse

import pytest

from tests.benchmarks import fleet
from tests.benchmarks import fleet_figures as figures


def run(clusters, forks, seconds, pss=100e6, controller=10.0, servers=1.0):
    return {
        "clusters": clusters,
        "forks": forks,
        "seconds": seconds,
        "controller_cpu_seconds": controller,
        "server_cpu_seconds": servers,
        "peak_pss_bytes": pss,
        "peak_rss_bytes": 2 * pss,
        "max_process_bytes": 90e6,
    }


def test_ideal_speedup_is_capped_by_forks_clusters_and_cores():
    assert figures.ideal_speedup(25, 50, 2) == 2
    assert figures.ideal_speedup(1, 50, 2) == 1
    assert figures.ideal_speedup(10, 1, 2) == 1
    assert figures.ideal_speedup(25, 50, 32) == 25
    assert figures.ideal_speedup(25, 10, 32) == 10


def test_efficiency_is_speedup_over_the_ideal():
    # 400 s with one fork, 250 s with 25 forks on 2 cores: 1.6x of an ideal 2x
    assert figures.speedup(400.0, 250.0) == pytest.approx(1.6)
    assert figures.efficiency(400.0, 250.0, 25, 50, 2) == pytest.approx(0.8)
    # the same times judged as if every fork had its own core
    assert figures.efficiency(400.0, 250.0, 25, 50, 64) == pytest.approx(1.6 / 25)
    assert figures.efficiency(90.0, 90.0, 1, 10, 2) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: figures.ideal_speedup(0, 10, 2),
        lambda: figures.ideal_speedup(10, 0, 2),
        lambda: figures.speedup(0.0, 1.0),
        lambda: figures.speedup(1.0, -1.0),
    ],
)
def test_impossible_inputs_are_refused(call):
    with pytest.raises(ValueError):
        call()


def test_cpu_ratio_compares_the_cpu_the_runs_burned():
    assert figures.cpu_ratio(168.0, 140.0) == pytest.approx(1.2)
    with pytest.raises(ValueError):
        figures.cpu_ratio(0.0, 1.0)


def test_slope_is_the_least_squares_fit():
    assert figures.slope([(1, 150.0), (10, 168.0), (50, 248.0)]) == pytest.approx(2.0)
    assert figures.slope([(1, 10.0), (2, 12.0), (3, 11.0)]) == pytest.approx(0.5)
    assert figures.slope([(10, 1.0), (10, 2.0)]) is None
    assert figures.slope([]) is None


def test_memory_slopes_per_forks_value_ignore_runs_capped_by_the_fleet_size():
    results = [
        run(1, 1, 9.0, pss=150e6),
        run(10, 1, 90.0, pss=168e6),
        run(50, 1, 450.0, pss=248e6),
        run(10, 10, 50.0, pss=600e6),
        run(50, 10, 250.0, pss=680e6),
        run(50, 25, 240.0, pss=900e6),
    ]
    slopes = figures.memory_slopes(results)
    assert sorted(slopes) == [1, 10]  # forks 25 has one fleet size: no slope
    assert slopes[1] == pytest.approx(2e6)
    assert slopes[10] == pytest.approx(2e6)


def test_rows_give_every_column_of_the_table():
    results = [
        run(50, 25, 250.0, pss=900e6, controller=300.0, servers=40.0),
        run(1, 1, 9.42, pss=156e6, controller=4.01, servers=0.13),
        run(50, 1, 400.0, pss=250e6, controller=280.0, servers=35.0),
    ]
    table = figures.rows(results, cores=2)
    assert len(table) == 3
    assert table[0] == [
        "1",
        "1",
        "9.42 s",
        "9.42 s",
        "1.00x",
        "100%",
        "100%",
        "1.00",
        "4.01 s",
        "0.13 s",
        "156 MB",
        "312 MB",
        "90 MB",
    ]
    assert table[1] == [
        "50",
        "1",
        "400.0 s",
        "8.00 s",
        "1.00x",
        "100%",
        "100%",
        "1.00",
        "280.0 s",
        "35.0 s",
        "250 MB",
        "500 MB",
        "90 MB",
    ]
    assert table[2] == [
        "50",
        "25",
        "250.0 s",
        "5.00 s",
        "1.60x",
        "80%",
        "6%",
        "0.93",
        "300.0 s",
        "40.0 s",
        "900 MB",
        "1800 MB",
        "90 MB",
    ]
    assert len(table[0]) == len(figures.HEADERS)


def test_rows_without_a_serial_run_have_no_speedup():
    table = figures.rows([run(10, 10, 50.0)], cores=2)
    assert table[0][4:8] == ["-", "-", "-", "-"]


def test_the_plan_skips_forks_above_the_fleet_size():
    assert fleet.runs([1, 10, 50], [1, 10, 25]) == [(1, 1), (10, 1), (10, 10), (50, 1), (50, 10), (50, 25)]
    # 3 forks over 2 clusters is the 2-fork run
    assert fleet.runs([2], [1, 3]) == [(2, 1), (2, 2)]


def test_the_fleet_cycles_through_the_kinds():
    names = fleet.fleet_names(7)
    assert [name for name, _ in names] == [
        "c01-small",
        "c02-istio-wrong-ca",
        "c03-medium",
        "c04-linkerd-injector-down",
        "c05-large",
        "c06-small",
        "c07-istio-wrong-ca",
    ]
    assert names[1][1].mesh == "istio" and names[1][1].breaks == ("wrong-ca",)
    assert names[4][1].size == "large" and not names[4][1].mesh


def test_sizes_option_parses_and_refuses_nonsense():
    assert fleet._sizes("1,10,50") == [1, 10, 50]
    for bad in ("", "0,10", "ten"):
        with pytest.raises(argparse.ArgumentTypeError):
            fleet._sizes(bad)


def test_command_names_only_the_options_that_differ_from_the_defaults():
    assert fleet.command([1, 10, 50], [1, 10, 25]) == ".venv/bin/python -m tests.benchmarks fleet"
    assert fleet.command([1, 3], [1, 3]) == ".venv/bin/python -m tests.benchmarks fleet --clusters 1,3 --forks 1,3"
