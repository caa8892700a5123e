"""``make bench-nlu``: our Vietnamese pipeline against Rasa's stock pipeline, side by side.

Both are trained in one run on the same training data (nlu_data/) and evaluated on the same
held-out split (tests/nlu/clean.yml), on deterministic rewrites of it (no diacritics, NFD,
upper case, chat abbreviations, one-character typos) and on the hand-written files.

Which procedure applies is picked by the catalogue search both pipelines share; what the
pipeline decides is whether a question reaches it. So the procedure scores run the held-out
retrieval questions (knowledge/eval/questions.yml) and their rewrites through each pipeline,
and rank them with the product's search in the app venv (``knowledge.eval.rank``).

Each pipeline runs in its own process so that its peak memory can be read. Results go to a
JSON file and to a markdown table in the README, both written here.

    python -m bot.benchmark.run [--epochs N] [--limit N] [--out DIR] [--readme PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bot.benchmark.data import Example, load, split_files
from bot.benchmark.variants import VARIANTS

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = {
    "ours": ROOT / "bot" / "config.yml",
    "stock": ROOT / "bot" / "benchmark" / "stock_config.yml",
}
PROCEDURE_QUESTIONS = ROOT / "knowledge" / "eval" / "questions.yml"
# The app venv (torch, the fine-tuned retrieval model), where the catalogue search runs.
APP_PYTHON = os.environ.get("APP_PYTHON", str(ROOT / ".venv" / "bin" / "python"))


def _answer_intents() -> frozenset[str]:
    """The intents answered from the catalogue search (the values of actions.answers.Aspect),
    which our pipeline's fallback treats as one group."""
    pipeline = yaml.safe_load(PIPELINES["ours"].read_text(encoding="utf-8"))["pipeline"]
    return frozenset(
        intent for component in pipeline for intent in component.get("grouped_intents", [])
    )


ANSWER_INTENTS = _answer_intents()
FALLBACK = "nlu_fallback"  # the fallback action offers the three closest procedures
DEFAULT_OUT = ROOT / "docs" / "nlu_benchmark.json"
README = ROOT / "README.md"
START, END = "<!-- bench-nlu:start -->", "<!-- bench-nlu:end -->"
ENTITY = "dossier_code"
LATENCY_SAMPLES = 200


def test_sets(limit: int | None) -> dict[str, list[Example]]:
    """The clean split, its rewrites (only sentences a rewrite changed), the hand-written sets
    (tests/nlu/handwritten_*.yml)."""
    files = split_files()
    clean = load(files["clean"])[:limit]
    sets: dict[str, list[Example]] = {"clean": clean, **_rewrites(clean)}
    for name in sorted(files):
        if name.startswith("handwritten_"):
            sets[name] = load(files[name])[:limit]
    return sets


def _rewrites(examples: list[Example]) -> dict[str, list[Example]]:
    """Each rewrite of the clean examples, keeping only the sentences it changed."""
    sets = {}
    for name, rewrite in VARIANTS.items():
        rewritten = [rewrite(e) for e in examples]
        sets[name] = [r for r, e in zip(rewritten, examples, strict=True) if r.text != e.text]
    return sets


def procedure_sets(limit: int | None) -> dict[str, list[Example]]:
    """The held-out retrieval questions as written and rewritten; ``intent`` holds the
    expected procedure id."""
    data = yaml.safe_load(PROCEDURE_QUESTIONS.read_text(encoding="utf-8"))
    questions = [Example(str(q["q"]), str(q["expected"]), ()) for q in data["questions"]]
    return {"clean": questions[:limit], **_rewrites(questions[:limit])}


def rank_procedures(texts: list[str], out: Path) -> None:
    """Writes the top three procedure ids the product's search gives each text to ``out``."""
    given = out.with_suffix(".texts.json")
    given.write_text(json.dumps(sorted(set(texts)), ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    subprocess.run([APP_PYTHON, "-m", "knowledge.eval.rank", str(given), str(out)],
                   cwd=ROOT, env=env, check=True)  # fmt: skip


def _config_with_epochs(config: Path, epochs: int | None, folder: Path) -> Path:
    if epochs is None:
        return config
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for component in data["pipeline"]:
        if "Classifier" in component["name"] and component["name"] != "FallbackClassifier":
            component["epochs"] = epochs
    out = folder / config.name
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def top_intent(result: dict[str, Any]) -> str:
    """The classifier's own first choice: FallbackClassifier's "nlu_fallback" is a product
    decision about confidence, not a prediction of what was asked."""
    ranking = [r for r in result.get("intent_ranking", []) if r["name"] != "nlu_fallback"]
    return str(ranking[0]["name"]) if ranking else str(result["intent"]["name"])


def _scores(gold: list[Example], parsed: list[dict[str, Any]]) -> dict[str, Any]:
    from sklearn.metrics import f1_score

    predicted = [top_intent(p) for p in parsed]
    expected = [e.intent for e in gold]
    tp = fp = fn = 0
    for example, result in zip(gold, parsed, strict=True):
        want = {(s, e) for s, e, t in example.entities if t == ENTITY}
        got = {(x["start"], x["end"]) for x in result.get("entities", []) if x["entity"] == ENTITY}
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(gold),
        "intent_accuracy": round(
            sum(p == e for p, e in zip(predicted, expected, strict=True)) / max(1, len(gold)), 4
        ),
        "intent_macro_f1": round(
            float(f1_score(expected, predicted, average="macro", zero_division=0)), 4
        ),
        "entity": {
            "n": tp + fn,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        },
    }


def _procedure_scores(
    questions: list[Example], parsed: list[dict[str, Any]], ranks: dict[str, list[str]]
) -> dict[str, Any]:
    """top-1: the question gets a procedure answer (an answer intent) and the search ranks
    the right procedure first; top-3: it reaches the search at all (an answer intent, or low
    confidence, which offers the three closest as buttons) and the right one is offered."""
    routed = top1 = top3 = 0
    for question, result in zip(questions, parsed, strict=True):
        intent = result["intent"]["name"]  # the product's decision, fallback included
        ranked, expected = ranks[question.text], question.intent
        answered = intent in ANSWER_INTENTS
        routed += answered
        top1 += answered and ranked[:1] == [expected]
        top3 += (answered or intent == FALLBACK) and expected in ranked
    n = max(1, len(questions))
    return {
        "n": len(questions),
        "routed": round(routed / n, 4),
        "top1": round(top1 / n, 4),
        "top3": round(top3 / n, 4),
    }


def run_one(
    config: Path, epochs: int | None, limit: int | None, ranks: dict[str, list[str]]
) -> dict[str, Any]:
    """Train and evaluate one pipeline (in this process); returns its report."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    with tempfile.TemporaryDirectory() as folder:
        config_path = _config_with_epochs(config, epochs, Path(folder))
        started = time.perf_counter()
        model = train_nlu(
            str(config_path), str(ROOT / "nlu_data" / "nlu"), folder, fixed_model_name="bench"
        )
        training_s = time.perf_counter() - started
        assert model, "training failed"
        size_mb = os.path.getsize(model) / 1e6
        agent = Agent.load(model)

        async def parse_all(texts: list[str]) -> list[dict[str, Any]]:
            return [await agent.parse_message(t) for t in texts]

        loop = asyncio.new_event_loop()
        sets = test_sets(limit)
        report: dict[str, Any] = {"subsets": {}}
        for name, examples in sets.items():
            parsed = loop.run_until_complete(parse_all([e.text for e in examples]))
            report["subsets"][name] = _scores(examples, parsed)
        report["procedures"] = {}
        for name, questions in procedure_sets(limit).items():
            parsed = loop.run_until_complete(parse_all([q.text for q in questions]))
            report["procedures"][name] = _procedure_scores(questions, parsed, ranks)
        samples = [e.text for e in sets["clean"]][:LATENCY_SAMPLES]
        loop.run_until_complete(parse_all(samples[:10]))  # warm up
        timings = []
        for text in samples:
            begin = time.perf_counter()
            loop.run_until_complete(agent.parse_message(text))
            timings.append((time.perf_counter() - begin) * 1000)
        timings.sort()
        report.update(
            training_s=round(training_s, 1),
            model_mb=round(size_mb, 1),
            latency_ms={"p50": round(timings[len(timings) // 2], 1),
                        "p95": round(timings[int(len(timings) * 0.95) - 1], 1)},
        )  # fmt: skip
        return report


def _child(name: str, epochs: int | None, limit: int | None, ranks: Path) -> dict[str, Any]:
    """Runs one pipeline in a fresh process and adds its peak resident memory."""
    args = [sys.executable, "-m", "bot.benchmark.run", "--one", name, "--limit", str(limit or 0)]
    if epochs is not None:
        args += ["--epochs", str(epochs)]
    with (
        tempfile.NamedTemporaryFile(suffix=".json") as result,
        tempfile.TemporaryFile() as log,
        tempfile.TemporaryDirectory() as cache,
    ):
        # An empty Rasa training cache: a hit from an earlier run would report seconds for
        # minutes of training.
        env = dict(os.environ, BENCH_RESULT=result.name, BENCH_RANKS=str(ranks))
        env.update(PYTHONPATH=str(ROOT), RASA_CACHE_DIRECTORY=cache, RASA_MAX_CACHE_SIZE="0")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = status
        if status != 0:
            log.seek(0)
            raise SystemExit(f"{name} pipeline failed:\n{log.read().decode()[-3000:]}")
        report: dict[str, Any] = json.loads(Path(result.name).read_text(encoding="utf-8"))
    report["peak_memory_mb"] = round(usage.ru_maxrss / 1024, 1)
    return report


def _cell(value: float, clean: float) -> str:
    text = f"{value:.1%}"
    drop = value - clean
    return text if abs(drop) < 1e-9 else f"{text} ({drop:+.1%})"


def _prf(report: dict[str, Any]) -> str:
    e = report["subsets"]["clean"]["entity"]
    return f"{e['precision']:.3f} / {e['recall']:.3f} / {e['f1']:.3f}"


MEASURES: list[tuple[str, Any]] = [
    ("dossier code P / R / F1 (clean)", _prf),
    ("dossier code F1, worst subset",
     lambda r: f"{min(v['entity']['f1'] for v in r['subsets'].values()):.3f}"),
    ("parse latency p50 / p95 (ms, one warm message)",
     lambda r: f"{r['latency_ms']['p50']} / {r['latency_ms']['p95']}"),
    ("training time (s)", lambda r: str(r["training_s"])),
    ("model size (MB)", lambda r: str(r["model_mb"])),
    ("peak memory (MB)", lambda r: str(r["peak_memory_mb"])),
]  # fmt: skip


def _better(ours: float, stock: float) -> str:
    if ours > stock:
        return "yes"
    return "**tie**" if ours == stock else "**no**"


def markdown(results: dict[str, Any]) -> str:
    ours, stock = results["pipelines"]["ours"], results["pipelines"]["stock"]
    epochs = results["epochs"] or "as configured"
    lines = [
        f"Written by `make bench-nlu` on {results['date']} ({results['machine']}, epochs "
        f"{epochs}). Intent accuracy with its change against clean text, and macro-F1.",
        "",
        "| subset | n | ours | stock | ours macro-F1 | stock macro-F1 | ours better |",
        "|---|---|---|---|---|---|---|",
    ]
    clean_o = ours["subsets"]["clean"]["intent_accuracy"]
    clean_s = stock["subsets"]["clean"]["intent_accuracy"]
    for name, o in ours["subsets"].items():
        s = stock["subsets"][name]
        acc_o, acc_s = _cell(o["intent_accuracy"], clean_o), _cell(s["intent_accuracy"], clean_s)
        better = _better(o["intent_accuracy"], s["intent_accuracy"])
        f1_o, f1_s = o["intent_macro_f1"], s["intent_macro_f1"]
        lines.append(
            f"| {name} | {o['n']} | {acc_o} | {acc_s} | {f1_o:.3f} | {f1_s:.3f} | {better} |"
        )
    lines += [
        "",
        "Procedure picked, on the held-out retrieval questions (`knowledge/eval/questions.yml`) "
        "and their rewrites: share given a procedure answer, and the right procedure first "
        "(top-1) or among the three the bot shows (top-3). The search is the same for both; "
        "the pipeline decides whether a question reaches it.",
        "",
        "| subset | n | ours answered | stock answered | ours top-1 / top-3 "
        "| stock top-1 / top-3 | ours better |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, o in ours["procedures"].items():
        s = stock["procedures"][name]
        lines.append(
            f"| {name} | {o['n']} | {o['routed']:.1%} | {s['routed']:.1%} "
            f"| {o['top1']:.1%} / {o['top3']:.1%} | {s['top1']:.1%} / {s['top3']:.1%} "
            f"| {_better(o['top1'], s['top1'])} |"
        )
    lines += ["", "| measure | ours | stock |", "|---|---|---|"]
    lines += [f"| {label} | {fn(ours)} | {fn(stock)} |" for label, fn in MEASURES]
    lines += [
        "",
        "Goals: ours better on every subset; intent accuracy ≥ 95 % clean, ≥ 92 % without "
        "diacritics; dossier code F1 = 1.0; p50 ≤ 25 ms and ≤ 1.5× stock. " + goal_summary(results),
    ]
    return "\n".join(lines)


def goal_summary(results: dict[str, Any]) -> str:
    ours, stock = results["pipelines"]["ours"], results["pipelines"]["stock"]
    missed = []
    for name, o in ours["subsets"].items():
        stock_accuracy = stock["subsets"][name]["intent_accuracy"]
        if o["intent_accuracy"] < stock_accuracy:
            missed.append(f"not better than stock on {name}")
        elif o["intent_accuracy"] == stock_accuracy:
            missed.append(f"tied with stock on {name} ({stock_accuracy:.1%})")
    for name, o in ours["procedures"].items():
        if o["top1"] <= stock["procedures"][name]["top1"]:
            missed.append(f"procedure top-1 not better than stock on {name}")
    if ours["subsets"]["clean"]["intent_accuracy"] < 0.95:
        missed.append("clean accuracy below 95 %")
    if ours["subsets"]["no_diacritics"]["intent_accuracy"] < 0.92:
        missed.append("no-diacritics accuracy below 92 %")
    if any(v["entity"]["f1"] < 1.0 for v in ours["subsets"].values()):
        missed.append("dossier code F1 below 1.0 on some subset")
    p50 = ours["latency_ms"]["p50"]
    if p50 > 25 or p50 > 1.5 * stock["latency_ms"]["p50"]:
        missed.append("latency goal")
    return "Missed: " + "; ".join(missed) + "." if missed else "All goals met."


def write_readme(table: str, readme: Path) -> None:
    text = readme.read_text(encoding="utf-8")
    block = f"{START}\n{table}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n## NLU benchmark\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, help="override classifier epochs (quick runs)")
    parser.add_argument(
        "--limit", type=int, default=0, help="use only the first N test examples per file"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--readme", type=Path, default=README, help="'-' to leave it alone")
    parser.add_argument("--one", choices=sorted(PIPELINES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    limit = args.limit or None
    if args.one:
        ranks = json.loads(Path(os.environ["BENCH_RANKS"]).read_text(encoding="utf-8"))
        report = run_one(PIPELINES[args.one], args.epochs, limit, ranks)
        Path(os.environ["BENCH_RESULT"]).write_text(json.dumps(report), encoding="utf-8")
        return
    texts = [q.text for questions in procedure_sets(limit).values() for q in questions]
    with tempfile.TemporaryDirectory() as folder:
        ranks = Path(folder) / "ranks.json"
        rank_procedures(texts, ranks)
        pipelines = {name: _child(name, args.epochs, limit, ranks) for name in PIPELINES}
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} CPU cores",
        "epochs": args.epochs,
        "pipelines": pipelines,
    }
    results["summary"] = goal_summary(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    table = markdown(results)
    if str(args.readme) != "-":
        write_readme(table, args.readme)
    print(table)


if __name__ == "__main__":
    main()
