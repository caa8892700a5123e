"""The README table of the load benchmark and its verdict against the issue's targets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.benchmark import report


def _level(users: int, turns_per_s: float, p95: float, errors: int, rss: float) -> dict[str, Any]:
    processes = {
        "gateway": {"cpu_s": 1.0, "peak_rss_mb": rss},
        "rasa": {"cpu_s": 3.0, "peak_rss_mb": rss},
        "actions": {"cpu_s": 1.0, "peak_rss_mb": rss},
    }
    latency = {"p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 1.2}
    return {"users": users, "turns": 100, "turns_per_s": turns_per_s, **latency,
            "errors": errors, "processes": processes}  # fmt: skip


def test_targets_met() -> None:
    verdict = report.verdict({"levels": [_level(20, 60.0, 250.0, 0, 500.0)]})
    assert "missed" not in verdict and "≥ 50 turns/s" in verdict


def test_each_missed_target_is_named() -> None:
    verdict = report.verdict({"levels": [_level(20, 30.0, 900.0, 2, 800.0)]})
    for target in ("≥ 50 turns/s", "p95 ≤ 300 ms", "0 errors", "stack ≤ 2.0 GB"):
        assert target in verdict.split("missed")[1]


def test_a_row_sums_the_replicas_of_a_tier() -> None:
    level = _level(20, 30.0, 900.0, 0, 100.0)
    level["processes"] = {f"rasa-{i}": {"cpu_s": 1.0, "peak_rss_mb": 100.0} for i in (1, 2)}
    row = report._row("scaled", level)
    assert "| 0 / 20 / 0 |" in row  # 2 s of Rasa CPU for 100 turns
    assert "| 0 / 200 / 0 (0.20 GB) |" in row


def test_the_readme_block_is_replaced(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.START}\nold\n{report.END}\nafter\n", encoding="utf-8")
    report.write_readme(readme)
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and text.startswith("intro\n") and text.endswith("after\n")
    assert "| setup | conversations at once |" in text
