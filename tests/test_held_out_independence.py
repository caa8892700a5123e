"""The held-out sets stay held out: no training sentence is a near copy of a test sentence.

Near copy: the same syllables once diacritics and abbreviations are normalized, or more than 60%
of the word 3-grams of the longer of the two sentences shared with the other (a common short
phrase such as "có mất tiền không" inside a longer test question is not a copy of it); test
sentences under four syllables are left out.
Training data written later is checked here, so a leak cannot slip into the numbers we report.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from bot.benchmark.data import load, split_files
from knowledge.eval.evaluate import load_questions
from knowledge.vietnamese import keys

ROOT = Path(__file__).resolve().parents[1]
MAX_SHARED_TRIGRAMS = 0.6
# Shorter sentences ("đúng rồi", "không phải") are formulas everyone types, not copies.
MIN_SYLLABLES = 4


def _syllables(text: str) -> list[str]:
    """Normalized syllables: two spellings of a sentence may be segmented differently."""
    return [syllable for key in keys(text) for syllable in key.split("_")]


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def near_copies(training: Iterable[str], held_out: Iterable[str]) -> list[tuple[str, str]]:
    test_items = [(text, _syllables(text)) for text in held_out]
    test_items = [(text, words) for text, words in test_items if len(words) >= MIN_SYLLABLES]
    test_grams = [(text, words, _trigrams(words)) for text, words in test_items]
    found = []
    for text in training:
        words = _syllables(text)
        grams = _trigrams(words)
        for other, other_words, other_grams in test_grams:
            shared = len(grams & other_grams)
            if words == other_words or (
                shared and shared / max(len(grams), len(other_grams)) > MAX_SHARED_TRIGRAMS
            ):
                found.append((text, other))
    return found


def test_the_check_finds_a_rewritten_copy() -> None:
    held_out = ["mẹ em bị mất bằng cấp 3 thì xin lại ở đâu"]
    assert near_copies(["me em bi mat bang c3 thi xin lai o dau"], held_out)
    assert not near_copies(["bằng tốt nghiệp bị cháy thì làm sao"], held_out)


def test_retrieval_training_pairs_are_not_evaluation_questions() -> None:
    pairs = yaml.safe_load((ROOT / "knowledge/data/train_pairs.yml").read_text("utf-8"))
    leaks = near_copies([p["q"] for p in pairs["pairs"]], [q.q for q in load_questions()])
    assert not leaks, leaks


def test_nlu_training_examples_are_not_test_sentences() -> None:
    """The retrieval questions are held out for NLU too: the benchmark's procedure scores."""
    training = [e.text for f in sorted((ROOT / "nlu_data/nlu").glob("*.yml")) for e in load(f)]
    held_out = [e.text for f in split_files().values() for e in load(f)]
    held_out += [q.q for q in load_questions()]
    leaks = near_copies(training, held_out)
    assert not leaks, leaks
