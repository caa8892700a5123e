"""Retrieval evaluation on the held-out citizen questions: ``make eval``.

Reports top-1 and top-3 accuracy overall and for the subsets people type differently
(no diacritics at all; chat abbreviations), prints the misses, and writes the numbers to
``knowledge/eval/report.json`` so that changes to retrieval can be compared.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.catalogue import Catalogue
from knowledge.paths import EMBEDDING_MODEL_DIR
from knowledge.retrieval import DEFAULT_DENSE_WEIGHT, ProcedureSearch, build_search, decisive
from knowledge.vietnamese import REWRITES, has_diacritics, keys

EVAL_DIR = Path(__file__).resolve().parent
QUESTIONS = EVAL_DIR / "questions.yml"
REPORT = EVAL_DIR / "report.json"
_ABBREVIATIONS = {k[0] for k in REWRITES if len(k) == 1}


@dataclass(frozen=True)
class Question:
    q: str
    expected: str


@dataclass
class Score:
    n: int = 0
    top1: int = 0
    top3: int = 0

    def add(self, rank: int | None) -> None:
        self.n += 1
        self.top1 += rank == 0
        self.top3 += rank is not None and rank < 3

    def as_dict(self) -> dict[str, float | int]:
        n = max(1, self.n)
        return {"n": self.n, "top1": round(self.top1 / n, 4), "top3": round(self.top3 / n, 4)}


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Question(str(item["q"]), str(item["expected"])) for item in data["questions"]]


def subsets(question: str) -> list[str]:
    names = ["all"]
    if not has_diacritics(question):
        names.append("no_diacritics")
    if any(word.lower() in _ABBREVIATIONS for word in question.replace(",", " ").split()):
        names.append("abbreviations")
    return names


def evaluate(search: ProcedureSearch, questions: list[Question]) -> dict[str, object]:
    scores: dict[str, Score] = {}
    misses = []
    answered = answered_right = 0  # decisive rankings: the bot answers without asking
    started = time.perf_counter()
    for item in questions:
        hits = search.search(item.q, k=3)
        ranked = [hit.procedure.id for hit in hits]
        rank = ranked.index(item.expected) if item.expected in ranked else None
        if decisive(hits):
            answered += 1
            answered_right += rank == 0
        for name in subsets(item.q):
            scores.setdefault(name, Score()).add(rank)
        if rank != 0:
            misses.append({"q": item.q, "expected": item.expected, "got": ranked})
    elapsed_ms = (time.perf_counter() - started) * 1000 / max(1, len(questions))
    return {
        "method": f"hybrid ({search.encoder.name}, dense weight {search.dense_weight})"
        if search.encoder is not None
        else "bm25",
        "scores": {name: score.as_dict() for name, score in scores.items()},
        "answered_at_once": {
            "share": round(answered / max(1, len(questions)), 4),
            "precision": round(answered_right / max(1, answered), 4),
        },
        "mean_latency_ms": round(elapsed_ms, 2),
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--model", help="embedding model (default: models/e5-small-edu-int8)")
    parser.add_argument("--dense-weight", type=float, help=f"default: {DEFAULT_DENSE_WEIGHT}")
    parser.add_argument("--lexical-only", action="store_true", help="BM25 alone")
    args = parser.parse_args()
    model = "" if args.lexical_only else (args.model or str(EMBEDDING_MODEL_DIR))
    weight = DEFAULT_DENSE_WEIGHT if args.dense_weight is None else args.dense_weight
    catalogue = Catalogue()
    questions = load_questions(args.questions)
    unknown = {q.expected for q in questions} - {p.id for p in catalogue.all()}
    if unknown:
        raise SystemExit(f"questions expect unknown procedures: {sorted(unknown)}")
    keys("khởi động")  # load underthesea before timing
    report = evaluate(build_search(catalogue, model, weight), questions)
    for miss in report["misses"]:  # type: ignore[attr-defined]
        print(f"MISS {miss['expected']:<45} got {miss['got'][:1]}  | {miss['q']}")
    print(f"\nretrieval: {report['method']}, {len(questions)} held-out questions")
    for name, score in report["scores"].items():  # type: ignore[attr-defined]
        top1, top3 = score["top1"], score["top3"]
        print(f"  {name:<14} n={score['n']:<4} top-1 {top1:.1%}  top-3 {top3:.1%}")
    at_once = report["answered_at_once"]
    print(f"  answered without asking: {at_once['share']:.1%} of questions, "  # type: ignore[index]
          f"{at_once['precision']:.1%} of them right")  # type: ignore[index]  # fmt: skip
    print(f"  mean latency {report['mean_latency_ms']} ms/question")
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
