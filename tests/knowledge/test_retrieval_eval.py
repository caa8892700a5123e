"""Retrieval on the held-out questions must not fall below what it measured when merged."""

from __future__ import annotations

from knowledge.catalogue import Catalogue
from knowledge.eval.evaluate import evaluate, load_questions
from knowledge.retrieval import ProcedureSearch

# Floors a little under the measured values (README, "Measured").
FLOORS = {"all": (0.78, 0.95), "no_diacritics": (0.75, 0.94)}


def test_held_out_questions_are_many_and_varied() -> None:
    questions = load_questions()
    assert len(questions) >= 150
    assert len({q.expected for q in questions}) >= 50


def test_retrieval_accuracy_floors() -> None:
    report = evaluate(ProcedureSearch(Catalogue()), load_questions())
    scores = report["scores"]
    assert isinstance(scores, dict)
    for subset, (top1, top3) in FLOORS.items():
        assert scores[subset]["top1"] >= top1, (subset, scores[subset])
        assert scores[subset]["top3"] >= top3, (subset, scores[subset])
