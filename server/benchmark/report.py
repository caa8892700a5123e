"""The README table of the load benchmark, from its JSON files: the single machine, and
beside it the scale-out setup when that has been measured."""

from __future__ import annotations

import json
from pathlib import Path

from server.core.config import ROOT

# One machine (`make bench-load`), and the scale-out setup of tests/scale/test_load.py
# (which writes VAR_DIR/bench/scale_out.json, copied here when it is the measure to keep).
RESULTS = (ROOT / "docs" / "load_benchmark.json", ROOT / "docs" / "load_benchmark_scaled.json")
START, END = "<!-- bench-load:start -->", "<!-- bench-load:end -->"
# The targets, on the 2-core machine with the SQLite default, at 20 conversations.
TARGET_USERS, TARGET_TURNS_PER_S, TARGET_P95_MS, TARGET_STACK_MB = 20, 50.0, 300.0, 2048.0
STACK = ("gateway", "rasa", "actions")


def _tier_sum(processes: dict[str, dict[str, float]], tier: str, key: str) -> float:
    """A measure summed over a tier: its one process, or its replicas ("rasa-1", "rasa-2")."""
    return sum(p[key] for n, p in processes.items() if n == tier or n.startswith(f"{tier}-"))


def _row(setup: str, level: dict[str, object]) -> str:
    processes: dict[str, dict[str, float]] = level["processes"]  # type: ignore[assignment]
    turns = max(int(level["turns"]), 1)  # type: ignore[call-overload]
    cpu = " / ".join(f"{1000 * _tier_sum(processes, t, 'cpu_s') / turns:.0f}" for t in STACK)
    memory = " / ".join(f"{_tier_sum(processes, t, 'peak_rss_mb'):.0f}" for t in STACK)
    stack = sum(p["peak_rss_mb"] for p in processes.values())
    return (
        f"| {setup} | {level['users']} | {level['turns']} | {level['turns_per_s']} | "
        f"{level['p50_ms']:.0f} / {level['p95_ms']:.0f} / {level['p99_ms']:.0f} | "
        f"{level['errors']} | {cpu} | {memory} ({stack / 1024:.2f} GB) |"
    )


def verdict(report: dict[str, object]) -> str:
    """Which of the targets the single-machine run meets, with the numbers."""
    levels: list[dict[str, object]] = report["levels"]  # type: ignore[assignment]
    at_target = [lv for lv in levels if lv["users"] == TARGET_USERS]
    if not at_target:
        return f"No run at {TARGET_USERS} conversations: targets not checked."
    level = at_target[0]
    memory = max(
        sum(p["peak_rss_mb"] for p in lv["processes"].values())  # type: ignore[attr-defined]
        for lv in levels
    )
    checks = [
        (f"≥ {TARGET_TURNS_PER_S:.0f} turns/s", float(level["turns_per_s"]) >= TARGET_TURNS_PER_S),  # type: ignore[arg-type]
        (f"p95 ≤ {TARGET_P95_MS:.0f} ms", float(level["p95_ms"]) <= TARGET_P95_MS),  # type: ignore[arg-type]
        ("0 errors", level["errors"] == 0),
        (f"stack ≤ {TARGET_STACK_MB / 1024:.1f} GB", memory <= TARGET_STACK_MB),
    ]
    met = [name for name, ok in checks if ok]
    missed = [name for name, ok in checks if not ok]
    text = f"Targets at {TARGET_USERS} conversations: met {', '.join(met) or 'none'}"
    return text + (f"; **missed {', '.join(missed)}**." if missed else ".")


def table() -> str:
    lines = [
        "| setup | conversations at once | turns | turns/s | p50 / p95 / p99 ms | errors | "
        "CPU ms per turn: gateway / Rasa / actions | peak memory MB: gateway / Rasa / actions "
        "(whole stack) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in RESULTS if p.exists()]
    for report in reports:
        setup = f"{report['setup']} ({report['date']}, {report['commit']})"
        lines += [_row(setup, level) for level in report["levels"]]
    if reports:
        lines += ["", verdict(reports[0])]
    return "\n".join(lines)


def write_readme(readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    block = f"{START}\n{table()}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n## Load benchmark\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")
