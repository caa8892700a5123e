"""The diff of two versions of a record says each change the way a reviewer checks it."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from knowledge.catalogue import load_record
from knowledge.models import Procedure
from knowledge.paths import PROCEDURES_DIR
from server.console.deps import TEMPLATES
from server.staff.record_diff import FieldDiff, diff_records

COPY = "cap-ban-sao-van-bang-tu-so-goc"
OTHERS = ["mien-giam-ho-tro-hoc-phi-hoc-sinh-pho-thong", "dang-ky-du-thi-tot-nghiep-thpt"]


@cache
def record(procedure_id: str = COPY) -> Procedure:
    return load_record(PROCEDURES_DIR / f"{procedure_id}.yml")


def changed(base: Procedure, **fields: Any) -> Procedure:
    """``base`` with some fields replaced, validated as a stored version would be."""
    return Procedure.model_validate(base.model_dump(mode="json") | fields)


def said(diffs: list[FieldDiff]) -> list[str]:
    return [str(diff) for diff in diffs]


@pytest.mark.parametrize("procedure_id", [COPY, *OTHERS])
def test_no_change_gives_no_row(procedure_id: str) -> None:
    assert diff_records(record(procedure_id), record(procedure_id)) == []
    copy = Procedure.model_validate(record(procedure_id).model_dump(mode="json"))
    assert diff_records(record(procedure_id), copy) == []


def test_fee_is_said_as_citizens_read_it() -> None:
    free = changed(record(), fee={"amount_vnd": 0, "text": "Không thu phí"})
    paid = changed(record(), fee={"amount_vnd": 50_000, "text": "50.000 đồng"})
    assert said(diff_records(free, paid)) == ["Lệ phí: Không thu phí → 50.000 đồng"]
    assert diff_records(free, paid)[0].field == "fee"


def test_a_fee_figure_the_wording_does_not_say_is_shown() -> None:
    old = changed(record(), fee={"amount_vnd": None, "text": "Theo quy định của tỉnh"})
    new = changed(record(), fee={"amount_vnd": 20_000, "text": "Theo quy định của tỉnh"})
    assert said(diff_records(old, new)) == [
        "Lệ phí: Theo quy định của tỉnh (mức thu không cố định hoặc chưa rõ)"
        " → Theo quy định của tỉnh (20.000 đồng)"
    ]


def test_processing_time_wording_and_figure() -> None:
    old = changed(record(), processing_time={"days": 5, "text": "05 ngày làm việc"})
    new = changed(record(), processing_time={"days": 3, "text": "03 ngày làm việc"})
    assert said(diff_records(old, new)) == ["Thời hạn: 05 ngày làm việc → 03 ngày làm việc"]
    calendar = changed(
        record(), processing_time={"days": 5, "working_days": False, "text": "05 ngày làm việc"}
    )
    assert said(diff_records(old, calendar)) == [
        "Thời hạn: 05 ngày làm việc → 05 ngày làm việc (5 ngày)"
    ]
    text_only = changed(record(), processing_time={"days": 5, "text": "Trong 05 ngày làm việc"})
    assert said(diff_records(old, text_only)) == [
        "Thời hạn: 05 ngày làm việc → Trong 05 ngày làm việc"
    ]


def test_documents_added_removed_and_changed_are_one_row_each() -> None:
    base = record()
    docs = base.model_dump(mode="json")["documents"]
    docs[1] = {**docs[1], "copies": 2, "form": "ban_sao_chung_thuc"}
    new = changed(
        base,
        documents=[docs[1], {"name": "Căn cước công dân", "copies": 1, "form": "ban_sao"}],
    )
    rows = diff_records(base, new)
    assert [row.field for row in rows] == ["documents"] * 4
    assert (
        rows[0].old == "Giấy ủy quyền (bản sao, 01 bản) — Chỉ khi người được ủy quyền đi làm thay."
    )
    assert rows[0].new == (
        "Giấy ủy quyền (bản sao có chứng thực hoặc bản sao kèm bản chính, 02 bản)"
        " — Chỉ khi người được ủy quyền đi làm thay."
    )
    assert (rows[1].old, rows[1].new) == ("", "Căn cước công dân (bản sao, 01 bản)")
    assert rows[2].old.startswith("Phiếu đề nghị cấp bản sao") and rows[2].new == ""
    assert rows[3].old.startswith("Giấy tờ chứng minh quan hệ") and rows[3].new == ""
    assert str(rows[1]) == "Giấy tờ: (chưa có) → Căn cước công dân (bản sao, 01 bản)"


def test_documents_only_reordered_still_show() -> None:
    base = record()
    new = changed(base, documents=base.model_dump(mode="json")["documents"][::-1])
    rows = diff_records(base, new)
    assert [row.label for row in rows] == ["Giấy tờ (toàn bộ)"]
    assert rows[0].old.startswith("1. Phiếu đề nghị") and rows[0].new.startswith("1. Giấy tờ")


def test_sources_and_their_check_dates() -> None:
    base = record()
    sources = base.model_dump(mode="json")["sources"]
    sources[0]["checked"] = "2026-12-15"
    added = {
        "id": "qd-123-2026",
        "title": "Quyết định 123/QĐ-UBND công bố danh mục",
        "legal_text": "Quyết định 123/QĐ-UBND",
        "checked": "2026-12-15",
    }
    new = changed(base, sources=[*sources, added])
    rows = diff_records(base, new)
    assert [row.field for row in rows] == ["sources", "sources"]
    assert rows[0].old.endswith("(kiểm tra ngày 30/11/2026)")
    assert rows[0].new.endswith("(kiểm tra ngày 15/12/2026)")
    assert rows[1].old == ""
    assert rows[1].new == (
        "Quyết định 123/QĐ-UBND công bố danh mục — Quyết định 123/QĐ-UBND"
        " (kiểm tra ngày 15/12/2026)"
    )


def test_provenance_and_uncertain_notes_per_fact_group() -> None:
    base = record()
    provenance = base.model_dump(mode="json")["provenance"]
    provenance["fee"] = {"sources": ["dvcqg", "hp-bl"]}
    provenance["steps"] = {"sources": ["dvcqg"], "uncertain": "Chưa rõ bước nhận kết quả."}
    rows = diff_records(base, changed(base, provenance=provenance))
    assert said(rows) == [
        "Nguồn cho lệ phí: dvcqg; chưa chắc chắn: Nguồn không ghi phí, lệ phí; chưa xác nhận"
        " được có thu hay không. → dvcqg, hp-bl",
        "Nguồn cho các bước: dvcqg → dvcqg; chưa chắc chắn: Chưa rõ bước nhận kết quả.",
    ]
    assert [row.field for row in rows] == ["provenance.fee", "provenance.steps"]


def test_channels_in_words() -> None:
    base = record()
    channels = base.model_dump(mode="json")["channels"]
    new = changed(
        base,
        channels={**channels, "desk": False, "online_url": None, "desk_hours": "Sáng thứ Bảy"},
    )
    assert said(diff_records(base, new)) == [
        "Cách nộp: Trực tiếp, bưu chính, trực tuyến một phần → Bưu chính, trực tuyến một phần",
        "Địa chỉ nộp trực tuyến: https://dichvucong.gov.vn/ → (bỏ)",
        "Giờ nhận hồ sơ: (chưa có) → Sáng thứ Bảy",
    ]


def test_lists_of_lines_show_what_was_added_and_removed() -> None:
    base = record()
    notes = [*base.notes[1:], "Mang theo căn cước khi nhận kết quả."]
    rows = diff_records(base, changed(base, notes=notes, valid_from="2026-07-01"))
    assert [(row.label, row.old[:20], row.new) for row in rows] == [
        ("Ngày áp dụng", "15/04/2026", "01/07/2026"),
        ("Lưu ý cho công dân", "", "Mang theo căn cước khi nhận kết quả."),
        ("Lưu ý cho công dân", base.notes[0][:20], ""),
    ]


@pytest.mark.parametrize("other", OTHERS)
def test_every_field_that_differs_has_a_row(other: str) -> None:
    base, new = record(), changed(record(other), id=COPY)
    differing = {
        name for name in Procedure.model_fields if getattr(base, name) != getattr(new, name)
    }
    rows = diff_records(base, new)
    assert {row.field.split(".")[0] for row in rows} == differing
    assert all(row.old != row.new and row.label for row in rows)


def test_a_new_record_shows_its_facts_as_added() -> None:
    rows = diff_records(None, record())
    assert all(row.old == "" and row.new for row in rows)
    assert "Lệ phí" in {row.label for row in rows}
    assert sum(row.field == "documents" for row in rows) == len(record().documents)


def test_the_diff_table_renders_with_del_and_ins() -> None:
    template = TEMPLATES.env.get_template("record_diff.html")
    base = record()
    new = changed(
        base,
        fee={"amount_vnd": 50_000, "text": "50.000 đồng <b>mỗi bản</b>"},
        valid_from=dt.date(2026, 7, 1).isoformat(),
    )
    html = template.render(diffs=diff_records(base, new))
    assert '<table class="diff">' in html and 'class="table-wrap"' in html
    assert "<del>15/04/2026</del>" in html and "<ins>01/07/2026</ins>" in html
    assert "<ins>50.000 đồng &lt;b&gt;mỗi bản&lt;/b&gt;</ins>" in html
    assert "2 thay đổi" in html
    assert "không có thay đổi" in template.render(diffs=[])
    added = FieldDiff(field="documents", label="Giấy tờ", old="", new="Căn cước")
    assert "(chưa có)" in template.render(diffs=[added]) and "<del>" not in template.render(
        diffs=[added]
    )
