"""Builds ``data/domain_words.txt``: the words of this domain and how often they occur.

underthesea segments our training sentences and catalogue records (typed with
diacritics); every word it finds is counted ("word<TAB>count"). Text typed without
diacritics is then segmented against this list (see :mod:`knowledge.vietnamese`), so
both spellings of a sentence end up with the same words. Run by ``make`` when data change.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import yaml

from knowledge.catalogue import load_all
from knowledge.paths import DOMAIN_WORDS_FILE, PROCEDURES_DIR
from knowledge.retrieval.search import procedure_text
from knowledge.vietnamese import has_diacritics, normalize_unicode

ROOT = Path(__file__).resolve().parents[1]
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def nlu_sentences(folder: Path) -> Iterator[str]:
    for path in sorted(folder.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield _ANNOTATION.sub(r"\1", line[2:])


def count_words(sentences: Iterator[str]) -> Counter[str]:
    from underthesea import word_tokenize

    counts: Counter[str] = Counter()
    for sentence in sentences:
        sentence = normalize_unicode(sentence).lower()
        if not has_diacritics(sentence):
            continue
        for word in word_tokenize(sentence):
            parts = word.split()
            if 1 <= len(parts) <= 4 and all(p.isalpha() for p in parts):
                counts[" ".join(parts)] += 1
    return counts


def main() -> None:
    catalogue = load_all(PROCEDURES_DIR)
    texts = [line for p in catalogue.procedures.values() for line in procedure_text(p).splitlines()]
    counts = count_words(iter([*nlu_sentences(ROOT / "nlu_data"), *texts]))
    lines = [f"{word}\t{count}" for word, count in sorted(counts.items())]
    DOMAIN_WORDS_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(counts)} domain words written to {DOMAIN_WORDS_FILE}")


if __name__ == "__main__":
    main()
