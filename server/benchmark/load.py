"""One load level: N simulated citizens for a bounded time against a running gateway.

Locust runs headless in its own process (it needs gevent's monkey patching) with the
conversations of :mod:`server.benchmark.scripts`; the stack's processes are watched
meanwhile. Everything stays on the machine: the gateway URL is a loopback one.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from server.benchmark.processes import ProcessUsage, ProcessWatch
from server.benchmark.scripts import Scripts

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


class LevelResult(BaseModel):
    users: int
    seconds: float
    turns: int
    turns_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    error_kinds: dict[str, int]
    processes: dict[str, ProcessUsage]
    load_generator_cpu_s: float

    def cpu_ms_per_turn(self, name: str) -> float:
        return 1000 * self.processes[name].cpu_s / max(self.turns, 1)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_level(
    url: str, users: int, seconds: int, scripts: Scripts, pids: dict[str, int],
    max_turns: int = 50_000,
) -> LevelResult:  # fmt: skip
    """Drives ``users`` concurrent conversations for ``seconds`` (or ``max_turns`` turns)."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        scripts_file, out_file = Path(tmp) / "scripts.json", Path(tmp) / "out.json"
        scripts_file.write_text(scripts.model_dump_json())
        command = [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "--host", url, "--users", str(users), "--spawn-rate", str(max(users, 1)),
            "--run-time", f"{seconds}s", "--stop-timeout", "10", "--only-summary",
            "--loglevel", "WARNING", "--exit-code-on-error", "0",
        ]  # fmt: skip
        env = {**os.environ, "BENCH_SCRIPTS": str(scripts_file), "BENCH_OUT": str(out_file),
               "BENCH_MAX_TURNS": str(max_turns)}  # fmt: skip
        generator_cpu = _children_cpu_s()
        with ProcessWatch(pids) as watch:
            subprocess.run(command, env=env, check=True, timeout=seconds + 60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        generator_cpu = _children_cpu_s() - generator_cpu
        raw = json.loads(out_file.read_text())
    return _result(users, raw, watch.usage(), generator_cpu)


def _result(
    users: int, raw: dict[str, object], usage: dict[str, ProcessUsage], generator_cpu: float
) -> LevelResult:
    latencies = np.asarray(raw["latencies_ms"], dtype=float)
    error_kinds: dict[str, int] = raw["errors"]  # type: ignore[assignment]
    elapsed = float(raw["elapsed_s"])  # type: ignore[arg-type]
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99]) if latencies.size else (0, 0, 0)
    return LevelResult(
        users=users,
        seconds=round(elapsed, 1),
        turns=int(latencies.size),
        turns_per_s=round(latencies.size / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(float(p50), 1),
        p95_ms=round(float(p95), 1),
        p99_ms=round(float(p99), 1),
        errors=sum(error_kinds.values()),
        error_kinds=error_kinds,
        processes=usage,
        load_generator_cpu_s=round(generator_cpu, 2),
    )
