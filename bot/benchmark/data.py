"""Reads Rasa NLU YAML examples with their entity spans; the held-out test split lives in
tests/nlu/*.yml, apart from the training data. Plain Python, so both venvs can use it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

SPLIT_DIR = Path(__file__).resolve().parents[2] / "tests" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\(([\w-]+)\)")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[int, int, str], ...]  # (start, end, entity type)


def parse_line(line: str, intent: str) -> Example:
    text, entities, last = "", [], 0
    for match in _ANNOTATION.finditer(line):
        text += line[last : match.start()]
        entities.append((len(text), len(text) + len(match.group(1)), match.group(2)))
        text += match.group(1)
        last = match.end()
    return Example(text + line[last:], intent, tuple(entities))


def annotated(example: Example) -> str:
    """The inverse of :func:`parse_line`: the example in Rasa's annotation."""
    text, last = "", 0
    for start, end, entity in sorted(example.entities):
        text += example.text[last:start] + f"[{example.text[start:end]}]({entity})"
        last = end
    return text + example.text[last:]


def load(path: Path) -> list[Example]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append(parse_line(line[2:].strip(), block["intent"]))
    return examples


def split_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(SPLIT_DIR.glob("*.yml"))}
