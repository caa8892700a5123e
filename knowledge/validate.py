"""Command-line check of the catalogue, run by `make test`: ``python -m knowledge.validate``.

Fails (exit 1) on a record that does not match the schema (including one without a source or
with a fact group that has neither a source nor an 'uncertain' note), on a national code used
twice, on a legal basis listed in ``replaced_legal_texts.yml``, and on a local override of a
field or record that does not exist.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from knowledge.catalogue import CatalogueError, load_all
from knowledge.legal_texts import load_replaced_texts, replaced_citations
from knowledge.paths import LOCAL_OVERRIDES_FILE, PROCEDURES_DIR


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=PROCEDURES_DIR)
    parser.add_argument("--overrides", type=Path, default=LOCAL_OVERRIDES_FILE)
    args = parser.parse_args(argv)
    try:
        snapshot = load_all(args.folder, args.overrides)
    except CatalogueError as exc:
        print(exc, file=sys.stderr)
        return 1
    replaced = load_replaced_texts()
    stale = [
        f"{p.id}: cites {line!r}, replaced by {text.replaced_by} from {text.replaced_from}"
        for p in snapshot.procedures.values()
        for line, text in replaced_citations(p, replaced)
    ]
    if stale:
        print("legal basis replaced:\n" + "\n".join(stale), file=sys.stderr)
        return 1
    current = [p for p in snapshot.procedures.values() if p.repealed is None]
    by_level = Counter(p.level.value for p in current)
    print(
        f"{len(snapshot)} records valid in {args.folder}: {len(current)} current, "
        f"{len(snapshot) - len(current)} kept to say they were repealed"
    )
    for level, count in sorted(by_level.items()):
        print(f"  level {level}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
