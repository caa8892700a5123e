"""Deterministic rewrites of the clean test split: the ways citizens really type.

Every rewrite keeps entity spans pointing at the same words, so entity scores stay
comparable. Randomness (which word gets a typo or an abbreviation) comes from a generator
seeded per sentence, so the subsets are the same on every run and machine.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable

from bot.benchmark.data import Example
from knowledge.vietnamese import strip_diacritics

SEED = 2026

# Common chat shortenings, whole words only (longest phrases first).
_ABBREVIATE = [
    ("như thế nào", "ntn"), ("bao nhiêu", "bn"), ("trung học phổ thông", "thpt"),
    ("trung học cơ sở", "thcs"), ("cấp 3", "c3"), ("cấp 2", "c2"), ("không", "ko"),
    ("được", "đc"), ("học sinh", "hs"), ("giáo viên", "gv"), ("tốt nghiệp", "tn"),
    ("số điện thoại", "sđt"), ("với", "vs"), ("gì", "j"), ("rồi", "r"), ("mình", "mk"),
    ("vậy", "z"), ("em", "e"), ("anh", "a"),
]  # fmt: skip
_WORD = re.compile(r"[^\W\d_]{2,}")


def _rng(text: str) -> random.Random:
    return random.Random(f"{SEED}:{text}")


def _remap(example: Example, new_text: str, edits: list[tuple[int, int, int]]) -> Example:
    """Shift entity spans after edits given as (start, old_end, new_length) in old text."""

    def moved(position: int) -> int:
        shift = 0
        for start, end, length in edits:
            if end <= position:
                shift += length - (end - start)
        return position + shift

    spans = tuple((moved(s), moved(e), t) for s, e, t in example.entities)
    return Example(new_text, example.intent, spans)


def _outside_entities(example: Example, start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e, _ in example.entities)


def no_diacritics(example: Example) -> Example:
    # NFC letters map one-to-one to ASCII letters, so spans do not move.
    return Example(strip_diacritics(example.text), example.intent, example.entities)


def upper(example: Example) -> Example:
    return Example(example.text.upper(), example.intent, example.entities)


def nfd(example: Example) -> Example:
    text = example.text

    def at(position: int) -> int:
        return len(unicodedata.normalize("NFD", text[:position]))

    spans = tuple((at(s), at(e), t) for s, e, t in example.entities)
    return Example(unicodedata.normalize("NFD", text), example.intent, spans)


def abbreviations(example: Example) -> Example:
    """Shortens up to three phrases, chosen at random among those present."""
    text, edits = example.text, []
    found = []
    for phrase, short in _ABBREVIATE:
        for m in re.finditer(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, flags=re.IGNORECASE):
            overlaps = any(m.start() < e and s < m.end() for s, e, _ in found)
            if not overlaps and _outside_entities(example, m.start(), m.end()):
                found.append((m.start(), m.end(), short))
    chosen = sorted(_rng(text).sample(found, min(3, len(found))))
    out, last = [], 0
    for start, end, short in chosen:
        out += [text[last:start], short]
        edits.append((start, end, len(short)))
        last = end
    return _remap(example, "".join(out) + text[last:], edits)


def typo(example: Example) -> Example:
    """One character typo (drop, double, swap or neighbour key) in one word."""
    text = example.text
    words = [m for m in _WORD.finditer(text) if _outside_entities(example, m.start(), m.end())]
    if not words:
        return example
    rng = _rng(text)
    word = rng.choice(words)
    i = rng.randrange(word.start(), word.end() - 1)
    kind = rng.choice(["drop", "double", "swap", "replace"])
    if kind == "drop":
        new, edit = text[:i] + text[i + 1 :], (i, i + 1, 0)
    elif kind == "double":
        new, edit = text[: i + 1] + text[i:], (i, i + 1, 2)
    elif kind == "swap":
        new, edit = text[:i] + text[i + 1] + text[i] + text[i + 2 :], (i, i + 2, 2)
    else:
        letter = rng.choice([c for c in "aeiounhtcgm" if c != text[i]])
        new, edit = text[:i] + letter + text[i + 1 :], (i, i + 1, 1)
    return _remap(example, new, [edit])


VARIANTS: dict[str, Callable[[Example], Example]] = {
    "no_diacritics": no_diacritics,
    "nfd": nfd,
    "upper": upper,
    "abbreviations": abbreviations,
    "typos": typo,
}
