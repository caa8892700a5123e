"""The fallback that treats the procedure answers as one group (Rasa venv)."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.grouped_fallback_classifier import GroupedFallbackClassifier

GROUP = ["ask_procedure", "ask_documents", "ask_fee"]


def decide(ranking: list[tuple[str, float]], tmp_path) -> tuple[str, list[str]]:
    """(the final intent, the ranking's names) for a classifier's ranking."""
    fallback = GroupedFallbackClassifier.create(
        {"threshold": 0.45, "ambiguity_threshold": 0.05, "grouped_intents": GROUP},
        LocalModelStorage(tmp_path),
        Resource("fallback"),
        ExecutionContext(GraphSchema({}), "test"),
    )
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message = Message(data={TEXT: "x", INTENT: intents[0], INTENT_RANKING_KEY: intents})
    fallback.process([message])
    return message.get(INTENT)["name"], [r["name"] for r in message.get(INTENT_RANKING_KEY)]


def test_a_procedure_question_unsure_of_its_aspect_is_answered(tmp_path) -> None:
    ranking = [("ask_documents", 0.36), ("ask_procedure", 0.33), ("greet", 0.2), ("thank", 0.11)]
    intent, names = decide(ranking, tmp_path)
    assert intent == "ask_documents", "the first choice picks the part of the answer"
    assert names == [name for name, _ in ranking], "the ranking is the classifier's"


@pytest.mark.parametrize(
    "ranking",
    [
        # Together the group is still not sure enough (0.40 < 0.45).
        [("ask_fee", 0.3), ("greet", 0.25), ("out_of_scope", 0.25), ("ask_documents", 0.1),
         ("thank", 0.1)],
        # Together the group (0.46) is barely ahead of an intent outside it (0.42).
        [("ask_fee", 0.43), ("out_of_scope", 0.42), ("greet", 0.12), ("ask_procedure", 0.03)],
    ],
)  # fmt: skip
def test_a_group_that_is_not_sure_falls_back(ranking, tmp_path) -> None:
    assert decide(ranking, tmp_path)[0] == "nlu_fallback"


@pytest.mark.parametrize(
    ("ranking", "expected"),
    [
        ([("greet", 0.4), ("thank", 0.35), ("ask_fee", 0.25)], "nlu_fallback"),  # too low
        ([("greet", 0.5), ("thank", 0.47), ("ask_fee", 0.03)], "nlu_fallback"),  # ambiguous
        ([("greet", 0.8), ("thank", 0.1), ("ask_fee", 0.1)], "greet"),
    ],
)
def test_intents_outside_the_group_keep_the_stock_rules(ranking, expected, tmp_path) -> None:
    intent, names = decide(ranking, tmp_path)
    assert intent == expected
    assert names[-len(ranking) :] == [name for name, _ in ranking]
