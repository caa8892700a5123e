"""Provenance per fact: every group of facts cites a source or says what is uncertain."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from knowledge.catalogue import load_all
from knowledge.models import FactGroup, Procedure
from tests.knowledge.sample import sample_record


def test_the_sample_record_is_valid() -> None:
    record = Procedure.model_validate(sample_record())
    assert record.checked(FactGroup.fee) == dt.date(2026, 11, 30)
    assert not record.uncertain(FactGroup.fee)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sources": []}, "at least 1 item"),
        ({"provenance": {"fee": {"sources": ["dvcqg"]}}}, "provenance missing for"),
        ({"provenance": {g.value: {"sources": ["nowhere"]} for g in FactGroup}}, "unknown source"),
        ({"provenance": {g.value: {} for g in FactGroup}}, "needs a source or an 'uncertain'"),
        (
            {"sources": [{"id": "dvcqg", "title": "Trang không địa chỉ", "checked": "2026-11-30"}]},
            "needs a url or a legal_text",
        ),
    ],
)
def test_a_record_without_traceable_facts_is_rejected(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Procedure.model_validate(sample_record(**changes))


def test_an_uncertain_group_is_reported_with_the_ones_asked_about() -> None:
    provenance = {g.value: {"sources": ["dvcqg"]} for g in FactGroup}
    provenance["fee"] = {"uncertain": "Mức phí do tỉnh quy định."}
    record = Procedure.model_validate(sample_record(provenance=provenance))
    assert record.uncertain_among([FactGroup.fee, FactGroup.documents]) == [FactGroup.fee]
    assert record.checked(FactGroup.fee) is None


def test_shipped_records_cite_real_sources_for_every_group() -> None:
    for p in load_all().procedures.values():
        for group in FactGroup:
            entry = p.provenance[group]
            assert entry.sources or entry.uncertain, (p.id, group)
        assert all(s.checked <= dt.date.today() for s in p.sources), p.id
