"""The NLU file generated from the training pairs is current, and names answer intents only."""

from __future__ import annotations

import yaml

from actions.answers import Aspect
from knowledge.export_nlu_questions import OUT, render
from knowledge.paths import TRAIN_PAIRS_FILE


def test_generated_nlu_file_is_current() -> None:
    assert OUT.read_text(encoding="utf-8") == render(), (
        "run: python -m knowledge.export_nlu_questions"
    )


def test_pairs_name_only_intents_the_answer_action_handles() -> None:
    pairs = yaml.safe_load(TRAIN_PAIRS_FILE.read_text(encoding="utf-8"))["pairs"]
    intents = {p["intent"] for p in pairs if "intent" in p}
    assert intents <= {aspect.value for aspect in Aspect}
    # The pairs of the 2026 records carry none: as NLU data they cost accuracy (README).
    assert sum("intent" in p for p in pairs) >= 800
