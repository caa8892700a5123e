"""The freshness report puts the upkeep work in order."""

from __future__ import annotations

import datetime as dt

from knowledge.catalogue import Snapshot
from knowledge.catalogue_report import age_bucket, render
from knowledge.legal_texts import load_replaced_texts
from knowledge.models import FactGroup, Procedure
from tests.knowledge.sample import sample_record


def snapshot(*records: dict[str, object]) -> Snapshot:
    procedures = {r["id"]: Procedure.model_validate(r) for r in records}  # type: ignore[misc]
    return Snapshot({str(k): v for k, v in procedures.items()}, ())


def test_age_buckets() -> None:
    today = dt.date(2026, 11, 30)
    assert age_bucket(dt.date(2026, 11, 1), today) == "≤ 3 months"
    assert age_bucket(dt.date(2026, 6, 1), today) == "6–12 months"
    assert age_bucket(dt.date(2024, 1, 1), today) == "> 12 months"
    assert age_bucket(None, today).startswith("no source")


def test_report_lists_uncertain_facts_replaced_texts_and_unknown_codes() -> None:
    provenance = {g.value: {"sources": ["dvcqg"]} for g in FactGroup}
    provenance["fee"] = {"uncertain": "Mức phí do tỉnh quy định."}
    report = render(
        snapshot(
            sample_record(provenance=provenance),
            sample_record(id="thu-tuc-cu", code=None, legal_basis=["Thông tư 21/2019/TT-BGDĐT"]),
        ),
        load_replaced_texts(),
        dt.date(2027, 12, 1),
    )
    assert "| `thu-tuc-mau` | fee | Mức phí do tỉnh quy định. |" in report
    assert "| `thu-tuc-cu` | Thông tư 21/2019/TT-BGDĐT | Thông tư 10/2026" in report
    assert "- `thu-tuc-cu`: Thủ tục mẫu" in report
    # A record is as fresh as its stalest fact; a fact with no source was never checked.
    assert "| > 12 months | 1 | 50% |" in report
    assert "| no source (uncertain only) | 1 | 50% |" in report
