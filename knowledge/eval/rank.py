"""Ranks sentences with the product's catalogue search, for tools that cannot load it.

The NLU benchmark runs in the Rasa venv, which has no torch; it asks this module (in the app
venv) for the procedures the search would offer, with the same model and weight as the
action server.

    python -m knowledge.eval.rank TEXTS.json RANKS.json   # ["text", ...] -> {"text": [id, ...]}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from knowledge.catalogue import Catalogue
from knowledge.paths import EMBEDDING_MODEL_DIR
from knowledge.retrieval import DEFAULT_DENSE_WEIGHT, build_search

TOP_K = 3


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    search = build_search(Catalogue(), str(EMBEDDING_MODEL_DIR), DEFAULT_DENSE_WEIGHT)
    texts: list[str] = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    ranks = {text: [hit.procedure.id for hit in search.search(text, k=TOP_K)] for text in texts}
    Path(argv[1]).write_text(json.dumps(ranks, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
