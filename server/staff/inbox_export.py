"""The inbox's labels as training data: text for the officer to download, never a file.

Two files come out of the labelled citizen questions: Rasa NLU examples (``nlu_data/nlu/``)
for those labelled with an intent, and retrieval pairs in the shape of
``knowledge/data/train_pairs.yml`` for those labelled with a procedure. A pair that also
names what it asks (an answer intent) already becomes NLU data when ``make`` regenerates
``nlu_data/nlu/procedure_questions.yml`` from the pairs, so it is left out of the NLU file
rather than counted twice.

The held-out benchmark sets (``knowledge/eval/questions.yml``, ``tests/nlu/*.yml``) are only
read, to drop any labelled question equal to one of theirs once normalised: training on a
test question would make the next benchmark look better than the assistant is. Questions
the training data already holds are dropped as duplicates, and so are repeats in the export
(the newest label wins). The files read are cached until they change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from bot.benchmark.data import SPLIT_DIR
from bot.benchmark.data import load as load_nlu_examples
from knowledge.eval.evaluate import QUESTIONS, load_questions
from knowledge.paths import TRAIN_PAIRS_FILE
from knowledge.vietnamese import normalize_unicode, syllable_key
from server.core.config import ROOT

# The settings name no path inside bot/ or nlu_data/: these are the checkout's, as `make` uses.
BOT_DOMAIN_DIR = ROOT / "bot" / "domain"
NLU_DIR = ROOT / "nlu_data" / "nlu"

FALLBACK_INTENT = "nlu_fallback"  # Rasa's, set by bot.components.grouped_fallback_classifier
OUT_OF_SCOPE_INTENT = "out_of_scope"  # bot/domain/general.yml, nlu_data/nlu/out_of_scope.yml
RATE_INTENT = "rate"  # the satisfaction buttons (bot/domain/feedback.yml)
# What the procedure answer handles (actions.answers.Aspect): the intents a pair may carry.
ANSWER_INTENTS = frozenset(
    {
        "ask_procedure",
        "ask_documents",
        "ask_processing_time",
        "ask_fee",
        "ask_submission",
        "ask_legal_basis",
    }
)

_WORD = re.compile(r"\w+")
Signature = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class TrainingFiles:
    """Where the export reads the domain, the training data and the held-out sets."""

    domain_dir: Path = BOT_DOMAIN_DIR
    nlu_dir: Path = NLU_DIR
    train_pairs: Path = TRAIN_PAIRS_FILE
    held_out_questions: Path = QUESTIONS
    held_out_nlu_dir: Path = SPLIT_DIR


@dataclass(frozen=True)
class LabelledText:
    """A labelled citizen message, as the export needs it."""

    text: str  # masked
    intent: str | None
    procedure_id: str | None
    out_of_scope: bool


class ExportFile(BaseModel):
    text: str
    examples: int
    held_out_dropped: int
    duplicates_dropped: int


class TrainingExport(BaseModel):
    nlu: ExportFile
    pairs: ExportFile
    # Questions with a procedure and an answer intent: in the pairs file only, since `make`
    # turns those pairs into NLU data.
    nlu_via_pairs: int


def normalised(text: str) -> str:
    """The text as the duplicate checks compare it: words only, lower case, no diacritics."""
    return " ".join(syllable_key(word) for word in _WORD.findall(normalize_unicode(text)))


def _signature(paths: Sequence[Path]) -> Signature:
    return tuple(
        (str(path), stat.st_mtime_ns, stat.st_size)
        for path in sorted(paths)
        if path.is_file()
        for stat in [path.stat()]
    )


def _domain_file_intents(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    # An intent is a name, or a mapping of its name to options (use_entities...).
    return [next(iter(i)) if isinstance(i, dict) else str(i) for i in data.get("intents", [])]


def _pair_questions(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [str(pair["q"]) for pair in data.get("pairs") or []]


_READERS: dict[str, Callable[[Path], list[str]]] = {
    "intents": _domain_file_intents,
    "nlu": lambda path: [example.text for example in load_nlu_examples(path)],
    "questions": lambda path: [question.q for question in load_questions(path)],
    "pairs": _pair_questions,
}


@lru_cache(maxsize=32)
def _read(kind: str, signature: Signature) -> frozenset[str]:
    texts = [text for path, _, _ in signature for text in _READERS[kind](Path(path))]
    return frozenset(texts if kind == "intents" else (normalised(t) for t in texts))


def domain_intents(domain_dir: Path = BOT_DOMAIN_DIR) -> frozenset[str]:
    """Every intent of the bot's domain (the ``intents`` lists of bot/domain/*.yml)."""
    return _read("intents", _signature(list(domain_dir.glob("*.yml"))))


def held_out(files: TrainingFiles) -> frozenset[str]:
    """The normalised questions of both benchmarks."""
    return _read("questions", _signature([files.held_out_questions])) | _read(
        "nlu", _signature(list(files.held_out_nlu_dir.glob("*.yml")))
    )


@dataclass
class _Kept:
    """Examples kept for one file, and what was dropped on the way."""

    seen: set[str]
    held_out: frozenset[str]
    groups: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    held_out_dropped: int = 0
    duplicates_dropped: int = 0

    def add(self, group: str, text: str, intent: str | None = None) -> bool:
        """Keeps the example unless held out or already there; True if kept."""
        key = normalised(text)
        if key in self.held_out:
            self.held_out_dropped += 1
            return False
        if key in self.seen:
            self.duplicates_dropped += 1
            return False
        self.seen.add(key)
        self.groups.setdefault(group, []).append((text, intent))
        return True

    def file(self, text: str) -> ExportFile:
        return ExportFile(
            text=text,
            examples=sum(len(group) for group in self.groups.values()),
            held_out_dropped=self.held_out_dropped,
            duplicates_dropped=self.duplicates_dropped,
        )


def _nlu_text(kept: _Kept, header: str) -> str:
    lines = [header, 'version: "3.1"', ""]
    if not kept.groups:
        return "\n".join([*lines, "nlu: []", ""])
    lines.append("nlu:")
    for intent in sorted(kept.groups):
        lines += [f"- intent: {intent}", "  examples: |"]
        # Square brackets would read as an entity annotation (as knowledge.export_nlu_questions).
        lines += [
            f"    - {text.replace('[', '(').replace(']', ')')}" for text, _ in kept.groups[intent]
        ]
        lines.append("")
    return "\n".join(lines)


def _pairs_text(kept: _Kept, header: str) -> str:
    if not kept.groups:
        return f"{header}\npairs: []\n"
    lines = [header, "pairs:"]
    for procedure_id in sorted(kept.groups):
        lines.append(f"  # --- {procedure_id}")
        for text, intent in kept.groups[procedure_id]:
            # A JSON string is a YAML double-quoted scalar: quotes, colons and '#' stay text.
            lines += [
                f"  - q: {json.dumps(text, ensure_ascii=False)}",
                f"    expected: {procedure_id}",
            ]
            if intent:
                lines.append(f"    intent: {intent}")
    return "\n".join(lines) + "\n"


def build_export(
    labelled: Sequence[LabelledText], files: TrainingFiles, header: str
) -> TrainingExport:
    """Both files from ``labelled`` (newest label first: a repeated question keeps it)."""
    protected = held_out(files)
    nlu = _Kept(set(_read("nlu", _signature(list(files.nlu_dir.glob("*.yml"))))), protected)
    pairs = _Kept(set(_read("pairs", _signature([files.train_pairs]))), protected)
    via_pairs = 0
    for item in labelled:
        text = " ".join(normalize_unicode(item.text).split())
        if not normalised(text):
            continue  # nothing left to learn from (only masked digits, say)
        if item.out_of_scope:
            nlu.add(OUT_OF_SCOPE_INTENT, text)
            continue
        answer_intent = item.intent if item.intent in ANSWER_INTENTS else None
        if item.procedure_id:
            kept = pairs.add(item.procedure_id, text, answer_intent)
            if answer_intent:  # the NLU learns it from the pair (or already has it)
                via_pairs += kept
                continue
        if item.intent:
            nlu.add(item.intent, text)
    return TrainingExport(
        nlu=nlu.file(_nlu_text(nlu, header)),
        pairs=pairs.file(_pairs_text(pairs, header)),
        nlu_via_pairs=via_pairs,
    )
