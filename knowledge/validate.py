"""Command-line check of the catalogue: ``python -m knowledge.validate [folder]``."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from knowledge.catalogue import CatalogueError, load_all
from knowledge.paths import PROCEDURES_DIR


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else PROCEDURES_DIR
    try:
        snapshot = load_all(folder)
    except CatalogueError as exc:
        print(exc, file=sys.stderr)
        return 1
    by_field = Counter(p.field.value for p in snapshot.procedures.values())
    print(f"{len(snapshot)} procedures valid in {folder}")
    for field, count in sorted(by_field.items()):
        print(f"  {field}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
