"""``make catalogue-report``: how fresh the catalogue is, for the staff who keep it current.

Departments say keeping guidance current is their hardest problem, so the report puts the
work in order: records and facts by the age of their last check, the facts no source
confirms, legal bases cited that have since been replaced, and procedures whose national
code is unknown. It prints Markdown and writes it to ``docs/catalogue/freshness.md``.

    python -m knowledge.catalogue_report [--today YYYY-MM-DD] [--out PATH|-]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from pathlib import Path

from knowledge.catalogue import Snapshot, load_all
from knowledge.legal_texts import ReplacedLegalText, load_replaced_texts, replaced_citations
from knowledge.models import FactGroup, Procedure
from knowledge.paths import LOCAL_OVERRIDES_FILE, PROCEDURES_DIR, ROOT

DEFAULT_OUT = ROOT / "docs" / "catalogue" / "freshness.md"
# Upper bounds in days of the age buckets, with their labels; None = never checked.
AGE_BUCKETS: list[tuple[int, str]] = [
    (91, "≤ 3 months"),
    (182, "3–6 months"),
    (365, "6–12 months"),
    (10**6, "> 12 months"),
]
NEVER = "no source (uncertain only)"


def age_bucket(checked: dt.date | None, today: dt.date) -> str:
    if checked is None:
        return NEVER
    age = (today - checked).days
    return next(label for limit, label in AGE_BUCKETS if age < limit)


def record_checked(p: Procedure) -> dt.date | None:
    """A record is as fresh as its stalest fact group."""
    dates = [p.checked(group) for group in FactGroup]
    known = [d for d in dates if d is not None]
    return min(known) if known and len(known) == len(dates) else None


def _bucket_table(counts: Counter[str], total: int) -> list[str]:
    lines = ["| last checked | count | share |", "|---|---:|---:|"]
    for label in [label for _, label in AGE_BUCKETS] + [NEVER]:
        lines.append(f"| {label} | {counts[label]} | {counts[label] / max(total, 1):.0%} |")
    return lines


def _by_level(records: list[Procedure]) -> str:
    counts = Counter(p.level.value for p in records)
    return ", ".join(f"{level} {count}" for level, count in sorted(counts.items()))


def render(snapshot: Snapshot, replaced: list[ReplacedLegalText], today: dt.date) -> str:
    records = sorted(snapshot.procedures.values(), key=lambda p: p.id)
    current = [p for p in records if p.repealed is None]
    record_ages = Counter(age_bucket(record_checked(p), today) for p in current)
    fact_ages = Counter(age_bucket(p.checked(g), today) for p in current for g in FactGroup)
    uncertain = [
        (p, g, note) for p in current for g in FactGroup if (note := p.provenance[g].uncertain)
    ]
    stale = [(p, line, text) for p in records for line, text in replaced_citations(p, replaced)]
    no_code = [p for p in current if p.code is None]
    lines = [
        f"# Catalogue freshness report ({today.isoformat()})",
        "",
        "Written by `make catalogue-report` (knowledge/catalogue_report.py); do not edit by hand.",
        "",
        f"- Records: {len(records)}: {len(current)} current procedures, "
        f"{len(records) - len(current)} kept to tell citizens a procedure was repealed.",
        "- Current procedures by level: " + _by_level(current),
        f"- With the department's local facts merged in: {len(snapshot.overridden)}.",
        f"- Fact groups marked uncertain: {len(uncertain)} of {len(current) * len(FactGroup)}.",
        f"- Legal bases cited that have been replaced: {len(stale)}.",
        f"- Current procedures without a national code: {len(no_code)}.",
        "",
        "## Records by the age of their stalest fact",
        "",
        *_bucket_table(record_ages, len(current)),
        "",
        "## Facts (record × fact group) by the age of their last check",
        "",
        *_bucket_table(fact_ages, len(current) * len(FactGroup)),
        "",
        "## Uncertain facts (the bot says they need confirming at the desk)",
        "",
        "| record | fact group | what is not confirmed |",
        "|---|---|---|",
        *[f"| `{p.id}` | {g.value} | {note} |" for p, g, note in uncertain],
        "",
        "## Legal bases cited that have been replaced",
        "",
        "| record | cites | replaced by | from |",
        "|---|---|---|---|",
        *[f"| `{p.id}` | {line} | {t.replaced_by} | {t.replaced_from} |" for p, line, t in stale],
        "",
        "## Current procedures whose national code is unknown",
        "",
        *[f"- `{p.id}`: {p.name}" for p in no_code],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="'-' prints only")
    args = parser.parse_args(argv)
    report = render(
        load_all(PROCEDURES_DIR, LOCAL_OVERRIDES_FILE), load_replaced_texts(), args.today
    )
    print(report)
    if args.out != "-":
        Path(args.out).write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
