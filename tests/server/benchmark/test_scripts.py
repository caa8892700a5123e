"""The simulated citizens' conversations: varied, reproducible, in the desk's proportions."""

from __future__ import annotations

from collections import Counter

from knowledge.vietnamese import has_diacritics
from server.benchmark.scripts import DemoDossier, build

DOSSIERS = [DemoDossier(code="H10.22-260101-9001", phone_last4="5678")]


def test_the_same_seed_gives_the_same_conversations() -> None:
    assert build(DOSSIERS, count=50) == build(DOSSIERS, count=50)
    assert build(DOSSIERS, count=50, seed=1) != build(DOSSIERS, count=50, seed=2)


def test_the_mix_is_mostly_procedure_questions() -> None:
    kinds = Counter(s.kind for s in build(DOSSIERS, count=400).scripts)
    assert kinds["procedure"] > kinds["dossier"] > kinds["handoff"] > 0


def test_questions_come_with_and_without_diacritics() -> None:
    questions = [s.turns[-1 if s.kind == "handoff" else 0].text for s in build(DOSSIERS).scripts]
    typed = Counter(has_diacritics(q) for q in questions)
    assert typed[True] > 20 and typed[False] > 20


def test_a_dossier_lookup_gives_the_code_then_its_digits() -> None:
    lookups = [s for s in build(DOSSIERS, count=200).scripts if s.kind == "dossier"]
    assert lookups
    for script in lookups:
        code, digits = script.turns[1].text, script.turns[2].text
        assert code.replace(".", "").lower() == "h1022-260101-9001"
        assert digits.endswith("5678")


def test_without_dossiers_every_conversation_is_something_else() -> None:
    assert all(s.kind != "dossier" for s in build([], count=100).scripts)
