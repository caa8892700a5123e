"""A small run of the NLU benchmark (2 epochs, 20 sentences per file): the report must
come out with every field, so the benchmark cannot silently rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.benchmark.run import ROOT, goal_summary, markdown, write_readme
from bot.benchmark.variants import VARIANTS

SUBSETS = {"clean", *VARIANTS} | {
    f"handwritten_{name}" for name in ("no_diacritics", "abbreviations", "blind")
}


def test_small_benchmark_writes_a_complete_report(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    args = ["--epochs", "2", "--limit", "20", "--out", str(out), "--readme", "-"]
    subprocess.run([sys.executable, "-m", "bot.benchmark.run", *args], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=900)  # fmt: skip
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["pipelines"]) == {"ours", "stock"}
    for report in results["pipelines"].values():
        assert set(report["subsets"]) == SUBSETS
        for scores in report["subsets"].values():
            assert scores["n"] > 0
            assert 0 <= scores["intent_accuracy"] <= 1 and 0 <= scores["intent_macro_f1"] <= 1
            assert set(scores["entity"]) == {"n", "precision", "recall", "f1"}
        assert set(report["procedures"]) == {"clean", *VARIANTS}
        for scores in report["procedures"].values():
            assert scores["n"] > 0
            assert 0 <= scores["top1"] <= min(scores["routed"], scores["top3"])
            assert scores["top3"] <= 1
        assert (
            report["latency_ms"]["p50"] > 0
            and report["latency_ms"]["p95"] >= report["latency_ms"]["p50"]
        )
        assert (
            report["training_s"] > 0 and report["model_mb"] > 0 and report["peak_memory_mb"] > 100
        )
    assert results["summary"]

    readme = tmp_path / "README.md"
    readme.write_text("# x\n", encoding="utf-8")
    write_readme(markdown(results), readme)
    write_readme(markdown(results), readme)  # replaces its own block, never duplicates it
    text = readme.read_text(encoding="utf-8")
    assert text.count("<!-- bench-nlu:start -->") == 1
    assert "| no_diacritics |" in text and "peak memory" in text and "top-1 / top-3" in text


def summary(
    ours: dict[str, float], stock: dict[str, float], top1: tuple[float, float] = (0.9, 0.8)
) -> str:
    def pipeline(accuracy: dict[str, float], p50: float, top1: float) -> dict[str, object]:
        subsets = {n: {"intent_accuracy": v, "entity": {"f1": 1.0}} for n, v in accuracy.items()}
        return {"subsets": subsets, "procedures": {"clean": {"top1": top1}},
                "latency_ms": {"p50": p50}}  # fmt: skip

    return goal_summary(
        {"pipelines": {"ours": pipeline(ours, 10, top1[0]), "stock": pipeline(stock, 20, top1[1])}}
    )


def test_goal_summary_names_every_miss_and_a_tie() -> None:
    stock = {"clean": 0.90, "no_diacritics": 0.80, "handwritten_abbreviations": 1.0}
    ours = {"clean": 0.96, "no_diacritics": 0.93, "handwritten_abbreviations": 1.0}
    assert summary(ours, stock) == "Missed: tied with stock on handwritten_abbreviations (100.0%)."
    assert summary({**ours, "clean": 0.89}, stock) == (
        "Missed: not better than stock on clean; tied with stock on handwritten_abbreviations "
        "(100.0%); clean accuracy below 95 %."
    )
    assert summary(ours, {**stock, "handwritten_abbreviations": 0.95}) == "All goals met."
    assert summary(ours, {**stock, "handwritten_abbreviations": 0.95}, (0.8, 0.8)) == (
        "Missed: procedure top-1 not better than stock on clean."
    )
