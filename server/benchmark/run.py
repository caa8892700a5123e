"""`make bench-load`: the stack on this machine (SQLite, the embedded default) under 1, 20
and 100 simulated citizens at once; writes docs/load_benchmark.json and the README table.

The stack runs from a fresh folder on its own loopback ports, so neither a running
``make run`` nor its data is touched. ``--url`` measures a stack started elsewhere instead
(the scale-out test does so behind its load balancer), with ``--pid name=PID`` naming the
processes whose CPU and memory are to be reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import tempfile
from pathlib import Path

from pydantic import BaseModel

from server.benchmark.load import LevelResult, run_level
from server.benchmark.profile import Profiler
from server.benchmark.report import write_readme
from server.benchmark.scripts import DemoDossier, Scripts, build
from server.core.config import ROOT
from server.db import make_engine
from server.dossiers.seed import demo_in
from server.stack import Ports, Stack

DEFAULT_OUT = ROOT / "docs" / "load_benchmark.json"
LEVELS = {1: 30, 20: 60, 100: 60}  # concurrent conversations: seconds
BENCH_PORTS = Ports(rasa=18005, actions=18055, gateway=18000)


class LoadReport(BaseModel):
    setup: str
    date: str
    commit: str
    cpus: int
    machine: str
    levels: list[LevelResult]


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip() or "unknown"


def scripts_for(database_url: str) -> Scripts:
    """The conversations, with the demo dossiers of the database the stack uses."""
    engine = make_engine(database_url)
    try:
        demo = [DemoDossier(code=d.code, phone_last4=d.phone_last4) for d in demo_in(engine)]
    finally:
        engine.dispose()
    return build(demo)


def run_levels(
    url: str, pids: dict[str, int], scripts: Scripts, levels: dict[int, int], setup: str,
    profile: Path | None = None,
) -> LoadReport:  # fmt: skip
    results = []
    for users, seconds in levels.items():
        if profile:  # one level at a time: the summaries say which
            with Profiler(pids, profile / f"{users}-users", seconds):
                result = run_level(url, users, seconds, scripts, pids)
        else:
            result = run_level(url, users, seconds, scripts, pids)
        print(
            f"{users:>4} users: {result.turns} turns, {result.turns_per_s} turns/s, "
            f"p50 {result.p50_ms} ms, p95 {result.p95_ms} ms, p99 {result.p99_ms} ms, "
            f"{result.errors} errors",
            flush=True,
        )
        results.append(result)
    return LoadReport(
        setup=setup, date=dt.date.today().isoformat(), commit=_commit(),
        cpus=os.cpu_count() or 0, machine=platform.processor() or platform.machine(),
        levels=results,
    )  # fmt: skip


def on_own_stack(levels: dict[int, int], profile: Path | None) -> LoadReport:
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-stack-") as var_dir,
        Stack(ports=BENCH_PORTS, var_dir=Path(var_dir)) as stack,
    ):
        pids = {name: process.pid for name, process in stack.by_name.items()}
        scripts = scripts_for(stack.settings.app_database_url)
        setup = "one machine, SQLite"
        return run_levels(stack.gateway_url, pids, scripts, levels, setup, profile)


def _levels(text: str) -> dict[int, int]:
    """'1:30,20:60' -> {1: 30, 20: 60}"""
    pairs = (item.split(":") for item in text.split(",") if item)
    return {int(users): int(seconds) for users, seconds in pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_levels = ",".join(f"{u}:{s}" for u, s in LEVELS.items())
    parser.add_argument("--levels", type=_levels, default=LEVELS,
                        help=f"users:seconds,... (default {default_levels})")  # fmt: skip
    parser.add_argument("--url", help="a running gateway instead of a stack of our own")
    parser.add_argument("--database-url", help="with --url: its app database, for the demo "
                        "dossiers to look up (without it, no dossier lookups)")  # fmt: skip
    parser.add_argument("--pid", action="append", default=[], help="with --url: name=PID")
    parser.add_argument("--setup", default="", help="with --url: what is measured")
    parser.add_argument("--profile", type=Path, help="also sample every process with py-spy")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md",
                        help="'-' to leave it alone")  # fmt: skip
    args = parser.parse_args()
    if args.url:
        pids = {n: int(p) for n, p in (item.split("=") for item in args.pid)}
        # Without the database, no demo dossiers to look up: the other conversations only.
        scripts = scripts_for(args.database_url) if args.database_url else build([])
        report = run_levels(args.url, pids, scripts, args.levels, args.setup, args.profile)
    else:
        report = on_own_stack(args.levels, args.profile)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if str(args.readme) != "-":
        write_readme(args.readme)
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
