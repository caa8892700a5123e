"""One load level's numbers from what the load generator recorded, and the process watch."""

from __future__ import annotations

import os

from server.benchmark.load import _result
from server.benchmark.processes import ProcessUsage, ProcessWatch


def test_percentiles_throughput_and_errors() -> None:
    raw = {"latencies_ms": [float(ms) for ms in range(1, 101)], "elapsed_s": 10.0,
           "errors": {"HTTP 503": 2}}  # fmt: skip
    usage = {"rasa": ProcessUsage(cpu_s=2.0, peak_rss_mb=600.0)}
    result = _result(20, raw, usage, generator_cpu=0.5)
    assert (result.turns, result.turns_per_s, result.errors) == (100, 10.0, 2)
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (50.5, 95.0, 99.0)  # rounded
    assert result.cpu_ms_per_turn("rasa") == 20.0


def test_no_turn_at_all_is_reported_not_raised() -> None:
    result = _result(1, {"latencies_ms": [], "elapsed_s": 0.0, "errors": {}}, {}, 0.0)
    assert result.turns == 0 and result.turns_per_s == 0.0


def test_the_watch_sees_this_process_work() -> None:
    with ProcessWatch({"me": os.getpid()}, interval_s=0.01) as watch:
        sum(i * i for i in range(2_000_000))
    usage = watch.usage()["me"]
    assert usage.cpu_s > 0 and usage.peak_rss_mb > 10
