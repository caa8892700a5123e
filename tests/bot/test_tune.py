"""The training-data split that pipeline settings are chosen on."""

from __future__ import annotations

from bot.benchmark.data import Example, annotated, parse_line
from bot.benchmark.tune import split


def test_every_fifth_example_of_each_intent_is_held_back() -> None:
    examples = [Example(f"a{i}", "a", ()) for i in range(10)] + [Example("b", "b", ())] * 4
    train, validation = split(examples)
    assert [e.text for e in validation] == ["a4", "a9"]
    assert len(train) == 12


def test_annotation_survives_the_round_trip() -> None:
    line = "hồ sơ [H27.15-250310-0107](dossier_code) tới đâu rồi"
    example = parse_line(line, "ask_dossier_status")
    assert annotated(example) == line
