"""Importing procedure facts from a published procedure list: layout, parsing, matching, errors."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from knowledge.catalogue import Snapshot, load_record
from knowledge.models import (
    FactGroup,
    Fee,
    Level,
    OnlineService,
    Procedure,
    ProcessingTime,
    Provenance,
    Repeal,
    Source,
)
from knowledge.paths import PROCEDURES_DIR
from server.staff import import_values as values
from server.staff.catalogue_import import ImportPreview, preview_import
from server.staff.import_sheet import MAX_BYTES, MAX_ROWS, column_of

DATA = Path(__file__).parent / "data"
REISSUE = "cap-lai-van-bang-chung-chi"  # 2.002850 Cấp lại văn bằng, chứng chỉ
COPY = "cap-ban-sao-van-bang-tu-so-goc"  # 3.000465, name ends "(tại cấp tỉnh)"
NO_CODE = "phuc-khao-bai-thi-tuyen-sinh-lop-10"  # a record without a national code
CHANGED = dt.date(2026, 12, 1)
SOURCE = Source(
    id="qd-123-2026",
    title="Quyết định 123/QĐ-UBND công bố danh mục thủ tục hành chính",
    url="https://vanban.example.gov.vn/qd-123-2026",
    checked=CHANGED,
)


def _record(procedure_id: str, **facts: object) -> Procedure:
    """A real record, with the facts a test compares against set to known values."""
    return load_record(PROCEDURES_DIR / f"{procedure_id}.yml").model_copy(update=facts)


def _snapshot(*records: Procedure) -> Snapshot:
    chosen = records or tuple(_record(i) for i in (REISSUE, COPY, NO_CODE))
    return Snapshot({r.id: r for r in chosen}, signature=((), None))


def _known(procedure_id: str = REISSUE) -> Procedure:
    return _record(
        procedure_id,
        processing_time=ProcessingTime(days=3, text="03 ngày làm việc kể từ ngày nhận đủ hồ sơ."),
        fee=Fee(amount_vnd=None, text="Chưa xác nhận; hỏi Bộ phận Một cửa."),
    )


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\n".join(lines).encode(encoding)


def _xlsx(rows: list[list[object]], merged_title: bool = False) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merged_title:  # as decisions lay out their title over the table
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _preview(data: bytes, filename: str = "danh-muc.csv", *records: Procedure) -> ImportPreview:
    return preview_import(data, filename, _snapshot(*records), SOURCE)


HEADER = 'STT,Mã TTHC,Tên thủ tục hành chính,Thời hạn giải quyết,"Phí, lệ phí",Căn cứ pháp lý'


# --- layout ------------------------------------------------------------------------------


def test_header_found_under_title_rows_numbering_and_section_rows() -> None:
    data = _csv(
        "DANH MỤC THỦ TỤC HÀNH CHÍNH,,,,,",
        "(Kèm theo Quyết định số 123/QĐ-UBND ngày 01/12/2026),,,,,",
        "",
        HEADER,
        "(1),(2),(3),(4),(5),(6)",
        'I,,"Lĩnh vực Hệ thống văn bằng, chứng chỉ",,,',
        "1,2.002850,Cấp lại văn bằng,20 ngày làm việc,Không,",
    )
    preview = _preview(data, "danh-muc.csv", _known())
    assert preview.file_errors == []
    assert [(r.row_number, r.procedure_id, r.status) for r in preview.rows] == [
        (7, REISSUE, "changed")
    ]
    assert preview.ok


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Ma TTHC", "code"),
        ("  MÃ SỐ  TTHC ", "code"),
        ("Mã thủ tục", "code"),
        ("Ten thu tuc hanh chinh", "name"),
        ("THỜI HẠN\nGIẢI QUYẾT", "processing_time"),
        ("Phí, lệ phí (nếu có)", "fee"),
        ("Le phi", "fee"),
        ("Căn cứ pháp lý của TTHC", "legal_basis"),
        ("can cu phap li", "legal_basis"),
        ("Cơ quan thực hiện", "authorities"),
        ("Địa điểm thực hiện", "place"),
        ("Cách thức thực hiện", "channels"),
        ("STT", "stt"),
        ("DANH MỤC THỦ TỤC HÀNH CHÍNH", None),
        ("Ghi chú", None),
    ],
)
def test_header_variants(header: str, column: str | None) -> None:
    assert column_of(header) == column


def test_headers_without_diacritics_semicolons_and_windows_1258() -> None:
    preview = _preview((DATA / "danh_muc_cp1258.csv").read_bytes(), "danh_muc.csv", _known())
    assert preview.ok, preview
    (row,) = preview.rows
    assert (row.row_number, row.procedure_id) == (6, REISSUE)
    record = preview.proposed[REISSUE]
    assert (record.processing_time.days, record.processing_time.working_days) == (7, True)
    assert record.processing_time.text == "07 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ"
    assert record.fee.amount_vnd == 0


def test_plain_headers_semicolon_csv_with_bom() -> None:
    data = "\ufeffstt;ma tthc;ten thu tuc;thoi han giai quyet\n1;2.002850;x;10 ngày làm việc\n"
    preview = _preview(data.encode("utf-8"), "ds.CSV", _known())
    assert preview.ok
    assert preview.proposed[REISSUE].processing_time.days == 10


def test_utf16_tab_separated_export() -> None:
    data = "Mã TTHC\tThời hạn giải quyết\n2.002850\t10 ngày làm việc\n".encode("utf-16")
    assert _preview(data, "ds.csv", _known()).proposed[REISSUE].processing_time.days == 10


def test_xlsx_with_title_rows_and_code_typed_as_a_number() -> None:
    data = _xlsx(
        [
            ["DANH MỤC THỦ TỤC HÀNH CHÍNH", None, None, None],
            [None, None, None, None],
            ["STT", "Mã TTHC", "Tên thủ tục hành chính", "Lệ phí"],
            [1, 2.00285, "Cấp lại văn bằng, chứng chỉ", "50.000 đồng/bản"],
        ],
        merged_title=True,
    )
    preview = _preview(data, "Danh mục.xlsx", _known())
    assert preview.ok, preview
    assert preview.rows[0].row_number == 4
    fee = preview.proposed[REISSUE].fee
    assert (fee.amount_vnd, fee.text) == (50000, "50.000 đồng/bản")


def test_xlsx_cell_lines_are_list_items() -> None:
    basis = "- Luật Giáo dục số 43/2019/QH14;\n- Thông tư số 10/2026/TT-BGDĐT"
    data = _xlsx([["Mã TTHC", "Căn cứ pháp lý", None, None], ["2.002850", basis, None, None]])
    record = _preview(data, "ds.xlsx", _known()).proposed[REISSUE]
    assert record.legal_basis == ["Luật Giáo dục số 43/2019/QH14", "Thông tư số 10/2026/TT-BGDĐT"]


def test_too_many_rows() -> None:
    rows = [f"2.002850,{n} ngày làm việc" for n in range(MAX_ROWS + 1)]
    (error,) = _preview(_csv("Mã TTHC,Thời hạn", *rows), "ds.csv", _known()).file_errors
    assert f"hơn {MAX_ROWS} dòng" in error


# --- matching ------------------------------------------------------------------------------


def test_matched_by_name_without_code_or_diacritics() -> None:
    no_code = _record(NO_CODE, processing_time=ProcessingTime(days=None, text="Chưa rõ."))
    data = _csv(
        "Tên thủ tục,Thời hạn giải quyết",
        "Thủ tục phuc khao bai thi tuyen sinh vao lop 10 trung hoc pho thong,15 ngày",
        '"Cấp bản sao văn bằng, chứng chỉ từ sổ gốc (tại cấp tỉnh)",Trong ngày',
    )
    preview = _preview(data, "ds.csv", no_code, _record(COPY))
    assert [r.procedure_id for r in preview.rows] == [NO_CODE, COPY]
    time = preview.proposed[NO_CODE].processing_time
    assert (time.days, time.working_days) == (15, False)


def test_code_wins_over_name_and_province_suffix_is_ignored() -> None:
    data = _csv("Mã TTHC,Tên thủ tục,Thời hạn", "2.002850.H10,Tên khác hẳn,9 ngày làm việc")
    assert _preview(data, "ds.csv", _known()).rows[0].procedure_id == REISSUE


def test_a_name_shared_by_two_records_needs_the_code() -> None:
    twin = _known().model_copy(update={"id": "cap-lai-van-bang-ban-sao", "code": None})
    data = _csv("Tên thủ tục hành chính,Phí", '"Cấp lại văn bằng, chứng chỉ",Không')
    (row,) = _preview(data, "ds.csv", _known(), twin).rows
    assert row.errors == [
        "Dạ, tên này trùng nhiều thủ tục (cap-lai-van-bang-chung-chi, cap-lai-van-bang-ban-sao); "
        "xin ghi mã TTHC ạ."
    ]


def test_unchanged_row_is_reported_and_not_proposed() -> None:
    data = _csv("Mã TTHC,Thời hạn giải quyết", "2.002850,03 ngày làm việc")
    preview = _preview(data, "ds.csv", _known())
    assert preview.ok
    assert [(r.status, r.changes, r.record) for r in preview.rows] == [("unchanged", [], None)]
    assert preview.proposed == {}


# --- row errors: all or nothing --------------------------------------------------------------


def test_row_errors_name_the_column_and_block_the_whole_import() -> None:
    data = _csv(
        "Mã TTHC,Tên thủ tục,Thời hạn giải quyết,Phí",
        "3.000465,,Trong ngày,20.000 đồng",  # fine on its own
        "2.002850,,sớm nhất có thể,Không",  # unreadable time
        "1.999999,Thủ tục không có,5 ngày làm việc,",  # no such record
        "abc,,5 ngày làm việc,",  # not a code
        ",,5 ngày làm việc,Không",  # neither code nor name
        "3.000465,,Trong ngày,20.000 đồng",  # the same record again
    )
    preview = _preview(data, "ds.csv", _known(), _record(COPY))
    errors = {row.row_number: row.errors for row in preview.rows}
    assert errors[2] == []
    assert errors[3] == [
        "Cột “Thời hạn giải quyết”: không đọc được thời hạn “sớm nhất có thể” "
        "(ví dụ: “20 ngày làm việc”)."
    ]
    assert "không tìm thấy thủ tục “1.999999” / “Thủ tục không có”" in errors[4][0]
    assert errors[5][0].startswith("Cột “Mã TTHC”: “abc” không phải mã thủ tục")
    assert "thiếu cả mã và tên" in errors[6][0]
    assert "trùng thủ tục với dòng 2" in errors[7][0]
    assert not preview.ok
    assert preview.proposed == {}
    assert preview.rows[0].record is not None  # the fine row still shows what it would do


def test_code_and_name_of_two_different_records_conflict() -> None:
    data = _csv("Mã TTHC,Tên thủ tục,Phí", '1.111111,"Cấp lại văn bằng, chứng chỉ",Không')
    (row,) = _preview(data, "ds.csv", _known()).rows
    assert row.errors == ["Dạ, mã 1.111111 không khớp mã 2.002850 của thủ tục cùng tên ạ."]


def test_repealed_record_is_not_updated() -> None:
    repealed = _known().model_copy(
        update={"repealed": Repeal(on=CHANGED, by="Quyết định 1/QĐ", source="dvcqg",
                                   instead="Không còn thủ tục này, hỏi Sở GDĐT.")}
    )  # fmt: skip
    (row,) = _preview(_csv("Mã TTHC,Phí", "2.002850,Không"), "ds.csv", repealed).rows
    assert "đã bị bãi bỏ" in row.errors[0]


# --- whole-file errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"", "ds.csv", "tệp trống"),
        (b" \r\n \n", "ds.csv", "tệp trống"),
        (b"x" * MAX_BYTES, "ds.csv", "10 MB"),
        (b"STT,Ma TTHC\n", "ds.pdf", "chỉ nhận tệp .csv hoặc .xlsx"),
        ("Mã TTHC,Phí\n".encode(), "ds", "chỉ nhận tệp .csv hoặc .xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "ds.xls", ".xls"),
        (bytes(range(256)) * 40, "ds.csv", "không phải văn bản CSV"),
        (b"PK\x03\x04 not really a zip", "ds.xlsx", "tệp Excel bị hỏng"),
        (b"Just some text, not a workbook", "ds.xlsx", "tệp Excel bị hỏng"),
        (b"PK\x03\x04" + b"\x00" * 64, "ds.csv", "là tệp Excel"),
        (b"Ho ten,Ngay sinh\nAn,1/1/2000\n", "ds.csv", "không tìm thấy dòng tiêu đề"),
        (b"Ma TTHC,Ten thu tuc\n2.002850,x\n", "ds.csv", "chưa có cột thông tin nào"),
        ("Mã TTHC,Phí\n,\n".encode(), "ds.csv", "chưa có dòng thủ tục nào"),
    ],
)
def test_file_errors(data: bytes, filename: str, expected: str) -> None:
    preview = _preview(data, filename, _known())
    assert preview.rows == []
    assert len(preview.file_errors) == 1
    assert expected in preview.file_errors[0]
    assert not preview.ok
    assert preview.proposed == {}


def test_zip_that_is_no_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    preview = _preview(buffer.getvalue(), "ds.xlsx", _known())
    assert "tệp Excel bị hỏng" in preview.file_errors[0]


def test_legacy_font_encoding_gets_a_hint() -> None:
    # "Mã TTHC;Thời hạn" typed with a TCVN3 (.VnTime) font: neither UTF-8 nor readable as 1258.
    data = b"M\xb7 TTHC;Th\xeai h\xb9n\r\n2.002850;5 ng\xb5y\r\n"
    (error,) = _preview(data, "ds.csv", _known()).file_errors
    assert "không tìm thấy dòng tiêu đề" in error
    assert "UTF-8" in error


# --- proposed records ---------------------------------------------------------------------


def test_proposed_record_validates_and_cites_the_list() -> None:
    data = _csv(
        "Mã TTHC,Thời hạn giải quyết,Phí,Cách thức thực hiện,Địa điểm thực hiện,Căn cứ pháp lý",
        "2.002850,05 ngày làm việc,Không,Trực tiếp; Trực tuyến,Trung tâm Phục vụ hành chính công,"
        "Thông tư số 10/2026/TT-BGDĐT ngày 01/3/2026",
    )
    before = _known()
    preview = _preview(data, "ds.csv", before)
    record = preview.proposed[REISSUE]
    assert Procedure.model_validate(record.model_dump(mode="json")) == record
    assert record.sources[-1] == SOURCE
    assert [s.id for s in record.sources] == [*(s.id for s in before.sources), SOURCE.id]
    changed = {c.field for c in preview.rows[0].changes}
    assert changed == {"processing_time", "fee", "channels", "channels.desk_note"}
    for group in (FactGroup.processing_time, FactGroup.fee, FactGroup.channels):
        assert SOURCE.id in record.provenance[group].sources
    assert record.provenance[FactGroup.legal_basis] == before.provenance[FactGroup.legal_basis]
    assert record.provenance[FactGroup.fee].uncertain is None  # the list states the fee
    # "Trực tuyến" without its level leaves the record's doubt about it in place.
    assert record.channels.online is OnlineService.partial
    assert record.channels.post is False
    assert record.provenance[FactGroup.channels].uncertain is not None
    assert record.channels.desk_note == "Trung tâm Phục vụ hành chính công"
    assert record.checked(FactGroup.fee) == CHANGED


def test_online_without_its_level_on_a_record_without_online_is_flagged() -> None:
    before = _known()
    provenance = {**before.provenance, FactGroup.channels: Provenance(sources=["dvcqg"])}
    offline = before.model_copy(
        update={
            "channels": before.channels.model_copy(update={"online": OnlineService.none}),
            "provenance": provenance,
        }
    )
    data = _csv("Mã TTHC,Cách thức thực hiện", "2.002850,Trực tiếp hoặc trực tuyến")
    preview = _preview(data, "ds.csv", offline)
    record = preview.proposed[REISSUE]
    assert record.channels.online is OnlineService.partial
    assert record.provenance[FactGroup.channels] == Provenance(
        sources=["dvcqg", SOURCE.id],
        uncertain="Danh mục ghi có nộp trực tuyến nhưng không nêu toàn trình hay một phần.",
    )
    assert "tạm ghi một phần" in preview.rows[0].changes[0].new


def test_the_department_local_facts_are_not_written_into_the_record() -> None:
    before = _known()
    local = Source(id="local", title="Quyết định phí của tỉnh", url=SOURCE.url, checked=CHANGED)
    merged = before.model_copy(
        update={
            "fee": Fee(amount_vnd=30000, text="30.000 đồng"),
            "sources": [*before.sources, local],
        }
    )
    snapshot = Snapshot(
        {REISSUE: merged}, ((), None), overridden=frozenset({REISSUE}), unmerged={REISSUE: before}
    )
    data = _csv("Mã TTHC,Phí", "2.002850,Không")
    preview = preview_import(data, "ds.csv", snapshot, SOURCE)
    assert preview.rows[0].changes[0].old.startswith("mức thu không cố định")
    assert "local" not in {s.id for s in preview.proposed[REISSUE].sources}


def test_field_changes_say_what_was_read() -> None:
    data = _csv("Mã TTHC,Thời hạn giải quyết,Phí", '2.002850,20 ngày làm việc,"1,5 triệu đồng"')
    changes = {c.field: c for c in _preview(data, "ds.csv", _known()).rows[0].changes}
    assert changes["processing_time"].label == "Thời hạn giải quyết"
    assert changes["processing_time"].old.startswith("3 ngày làm việc — ")
    assert changes["processing_time"].new == "20 ngày làm việc"
    assert changes["fee"].new == "1.500.000 đồng — “1,5 triệu đồng”"


def test_source_already_cited_is_redated_and_an_id_in_use_is_not_reused() -> None:
    before = _known()
    same_page = SOURCE.model_copy(update={"id": "other", "url": before.sources[0].url})
    data = _csv("Mã TTHC,Phí", "2.002850,Không")
    record = preview_import(data, "ds.csv", _snapshot(before), same_page).proposed[REISSUE]
    assert len(record.sources) == len(before.sources)
    assert record.sources[0].checked == max(before.sources[0].checked, CHANGED)
    assert record.provenance[FactGroup.fee].sources[-1] == before.sources[0].id

    clash = SOURCE.model_copy(update={"id": before.sources[0].id})
    record = preview_import(data, "ds.csv", _snapshot(before), clash).proposed[REISSUE]
    assert record.sources[-1].id == f"{before.sources[0].id}-2"


def test_same_legal_texts_in_other_words_are_no_change() -> None:
    before = _known()
    numbers = ";".join(values.legal_numbers(before.legal_basis))
    data = _csv("Mã TTHC,Căn cứ pháp lý", f'2.002850,"Căn cứ: {numbers}"')
    assert _preview(data, "ds.csv", before).rows[0].status == "unchanged"


# --- values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days", "working"),
    [
        ("20 ngày làm việc", 20, True),
        ("Không quá 05 (năm) ngày làm việc kể từ ngày nhận đủ hồ sơ", 5, True),
        ("30 ngày kể từ ngày nhận hồ sơ", 30, False),
        ("Trong ngày", 1, True),
        ("10 ngày làm việc (cấp mới); 05 ngày làm việc (cấp lại)", None, True),
        ("20 ngay lam viec", 20, True),
    ],
)
def test_processing_time(text: str, days: int | None, working: bool) -> None:
    time = values.parse_processing_time(text)
    assert (time.days, time.working_days) == (days, working)


@pytest.mark.parametrize("text", ["sớm", "20", "400 ngày làm việc", "2 tháng"])
def test_unreadable_processing_time(text: str) -> None:
    with pytest.raises(values.ValueProblem):
        values.parse_processing_time(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("Không", 0),
        ("Không có", 0),
        ("Miễn phí", 0),
        ("0", 0),
        ("50.000 đồng/bản", 50000),
        ("50 000đ", 50000),
        ("150 nghìn đồng", 150000),
        ("1,5 triệu đồng", 1500000),
        ("Lệ phí 20.000 VNĐ (Thông tư 85/2019/TT-BTC)", 20000),
        ("20000", 20000),
        ("Cấp mới: 100.000 đồng; cấp lại: 50.000 đồng", None),
    ],
)
def test_fee(text: str, amount: int | None) -> None:
    assert values.parse_fee(text).amount_vnd == amount


def test_unreadable_fee() -> None:
    with pytest.raises(values.ValueProblem, match="mức phí"):
        values.parse_fee("Theo quy định")


def test_authorities_and_their_level() -> None:
    parsed = values.parse_authorities("Sở GDĐT\n- Ủy ban nhân dân cấp xã; Trường THPT")
    assert [a.level for a in parsed] == [Level.province, Level.commune, Level.institution]
    assert values.parse_authorities("Bộ Giáo dục và Đào tạo")[0].level is Level.ministry
    with pytest.raises(values.ValueProblem, match="cấp huyện"):
        values.parse_authorities("Ủy ban nhân dân cấp huyện")


def test_channels() -> None:
    facts = values.parse_channels("Trực tiếp; Trực tuyến toàn trình; Dịch vụ bưu chính công ích")
    assert facts == values.ChannelFacts(desk=True, post=True, online=OnlineService.full)
    assert values.parse_channels("Nộp trực tuyến").online is None
    with pytest.raises(values.ValueProblem):
        values.parse_channels("Tùy")
