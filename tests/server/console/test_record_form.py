"""The record edit form: real records survive a round trip through the rendered form, every
bad input becomes a message beside its field (never an exception), and rows can be added
and removed the way console.js does it."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
from collections.abc import Callable
from functools import cache
from html.parser import HTMLParser
from typing import Any

import pytest
from starlette.datastructures import FormData, UploadFile

from knowledge.catalogue import load_record
from knowledge.models import DocumentForm, FactGroup, Level, Procedure, RequiredDocument
from knowledge.paths import PROCEDURES_DIR
from server.console.deps import TEMPLATES
from server.console.record_form import parse_record_form, posted_form_values, record_form_values

COPY = "cap-ban-sao-van-bang-tu-so-goc"  # 7 sources, a replaced procedure citing "hp-bl"
ROUND_TRIP = [
    COPY,
    "mien-giam-ho-tro-hoc-phi-hoc-sinh-pho-thong",  # 7 sources
    "cho-phep-thanh-lap-truong-trung-cap-trung-tam-giao-duc-nghe-nghiep",  # 8 documents
    "dang-ky-du-thi-tot-nghiep-thpt",  # 7 documents
    "chuyen-doi-truong-trung-hoc-pho-thong-tu-thuc-sang-khong-vi-loi-nhuan",  # a 415-char name
    "phuc-khao-bai-thi-tuyen-sinh-lop-10",  # no national code
]
Fields = list[tuple[str, Any]]


@cache
def record(procedure_id: str) -> Procedure:
    return load_record(PROCEDURES_DIR / f"{procedure_id}.yml")


def render(values: dict[str, Any], errors: dict[str, str], base: Procedure | None) -> str:
    template = TEMPLATES.env.get_template("record_form.html")
    return template.render(values=values, errors=errors, record=base)


class _Browser(HTMLParser):
    """What a browser posts for a form: its controls in page order, outside <template>,
    ticked checkboxes only, the selected option, textareas with CRLF line ends."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: Fields = []
        self._template = 0
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self._template += tag == "template"
        if self._template:
            return
        name = a.get("name") or ""
        if tag == "input" and name and (a.get("type") != "checkbox" or "checked" in a):
            self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = (name, [])
        elif tag == "select":
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value") or "", "selected" in a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._template -= 1
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            self.fields.append((name, "".join(parts).removeprefix("\n").replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [options[0][0]]
            self.fields.append((name, chosen[0]))
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and not self._template:
            self._textarea[1].append(data)


def controls(html: str) -> Fields:
    browser = _Browser()
    browser.feed(html)
    browser.close()
    return browser.fields


def page_form(base: Procedure) -> Fields:
    """The fields a browser posts for the unchanged form of ``base``."""
    return controls(render(record_form_values(base), {}, base))


def edited(fields: Fields, **changes: Any) -> FormData:
    """The form with some fields changed (names with "-" given as "__")."""
    wanted = {name.replace("__", "-"): value for name, value in changes.items()}
    return FormData([(name, wanted.get(name, value)) for name, value in fields])


def parse(fields: Fields | FormData, base: Procedure) -> tuple[Procedure | None, dict[str, str]]:
    form = fields if isinstance(fields, FormData) else FormData(fields)
    return parse_record_form(form, base)


def errors_of(form: FormData, base: Procedure) -> dict[str, str]:
    result, errors = parse_record_form(form, base)
    assert result is None and errors, "the form must be refused"
    return errors


# --- round trip ------------------------------------------------------------------------


@pytest.mark.parametrize("procedure_id", ROUND_TRIP)
def test_real_record_survives_the_rendered_form(procedure_id: str) -> None:
    base = record(procedure_id)
    result, errors = parse(page_form(base), base)
    assert errors == {}
    assert result == base


def test_every_record_of_the_catalogue_survives_the_form() -> None:
    for path in sorted(PROCEDURES_DIR.glob("*.yml")):
        base = load_record(path)
        result, errors = parse(page_form(base), base)
        assert (result, errors) == (base, {}), path.stem


def test_fields_the_form_does_not_show_are_kept_from_the_base() -> None:
    base = record(COPY)
    result, _ = parse(
        edited(page_form(base), name="Cấp bản sao văn bằng từ sổ gốc (sửa tên)"), base
    )
    assert result is not None and result.name == "Cấp bản sao văn bằng từ sổ gốc (sửa tên)"
    kept = ("situations", "keywords", "replaces", "facets", "field", "level", "id")
    assert all(getattr(result, name) == getattr(base, name) for name in kept)


def test_edits_are_read_into_the_record() -> None:
    base = record(COPY)
    form = edited(
        page_form(base),
        fee__amount_vnd="50.000",
        fee__text="50.000 đồng/bản",
        processing_time__days="",
        processing_time__text="Tùy số bản cần cấp",
        channels__online="toan_trinh",
        channels__online_url="https://dichvucong.haiphong.gov.vn/tthc",
        channels__desk_hours="Sáng thứ Bảy: 7h30–11h30",
        steps="Bước một\r\n\r\n  Bước hai  \r\n",
        valid_from="01/07/2026",
        provenance__fee__uncertain="",
    )
    result, errors = parse(form, base)
    assert errors == {} and result is not None
    assert (result.fee.amount_vnd, result.fee.text) == (50_000, "50.000 đồng/bản")
    assert result.processing_time.days is None
    assert result.channels.online.value == "toan_trinh"
    assert str(result.channels.online_url) == "https://dichvucong.haiphong.gov.vn/tthc"
    assert result.channels.desk_hours == "Sáng thứ Bảy: 7h30–11h30"
    assert result.steps == ["Bước một", "Bước hai"]
    assert result.valid_from == dt.date(2026, 7, 1)
    assert result.provenance[FactGroup.fee].uncertain is None


def test_unticked_checkboxes_are_false() -> None:
    base = record(COPY)
    fields = [(n, v) for n, v in page_form(base) if n not in ("channels-desk", "channels-post")]
    result, _ = parse(fields, base)
    assert result is not None and not result.channels.desk and not result.channels.post


# --- field errors ------------------------------------------------------------------------


BAD_FIELDS: list[tuple[dict[str, Any], str, str]] = [
    ({"fee__amount_vnd": "năm mươi nghìn"}, "fee-amount_vnd", "chữ số"),
    ({"processing_time__days": "1.5"}, "processing_time-days", "chữ số"),
    ({"processing_time__days": "400"}, "processing_time-days", "Không được lớn hơn 365"),
    ({"processing_time__days": "9" * 500}, "processing_time-days", "Dài quá"),
    ({"documents__0__copies": "0"}, "documents-0-copies", "Không được nhỏ hơn 1"),
    ({"documents__0__copies": "hai"}, "documents-0-copies", "từ 1 đến 10"),
    ({"name": ""}, "name", "cần điền"),
    ({"name": "   "}, "name", "cần điền"),
    ({"name": "Quá ngắn"}, "name", "ít nhất 10 ký tự"),
    ({"short_name": "x" * 61}, "short_name", "Dài quá"),
    ({"documents__1__name": ""}, "documents-1-name", "cần điền"),
    ({"code": "3000465"}, "code", "1.005092"),
    ({"channels__online_url": "dichvucong.gov.vn"}, "channels-online_url", "https://"),
    ({"sources__2__url": "javascript:alert(1)"}, "sources-2-url", "https://"),
    ({"valid_from": "2026-13-01"}, "valid_from", "Ngày không hợp lệ"),
    ({"valid_from": "31/02/2026"}, "valid_from", "Ngày không hợp lệ"),
    ({"sources__0__checked": ""}, "sources-0-checked", "cần điền"),
    ({"provenance__fee__sources": "dvcqg, khong-co"}, "provenance-fee-sources", "“khong-co”"),
    ({"sources__1__id": "dvcqg"}, "sources-1-id", "đã dùng"),
    ({"sources__3__id": "Nguồn Báo"}, "sources-3-id", "chữ thường không dấu"),
    ({"sources__1__url": "", "sources__1__legal_text": ""}, "sources-1-url", "số hiệu"),
    ({"provenance__fee__sources": "", "provenance__fee__uncertain": ""}, "provenance-fee-sources",
     "chưa chắc chắn"),
    ({"documents__0__form": "ban_photo"}, "documents-0-form", "trong danh sách"),
    ({"authorities__0__level": "huyen"}, "authorities-0-level", "trong danh sách"),
    ({"channels__online": ""}, "channels-online", "cần điền"),
    ({"documents__2__note": "ghi chú " * 1250}, "documents-2-note", "Dài quá 1.000 ký tự"),
    ({"fee__text": "\x00\x01\xff\xfe binary"}, "fee-text", "ký tự lạ"),
    ({"result": "kết quả \ufffd\ufffd"}, "result", "ký tự lạ"),
    ({"steps": "Bước một\r\n" + "x" * 1001}, "steps", "Dòng 2 dài quá"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "field", "words"), BAD_FIELDS)
def test_bad_input_is_reported_beside_its_field(
    changes: dict[str, Any], field: str, words: str
) -> None:
    base = record(COPY)
    errors = errors_of(edited(page_form(base), **changes), base)
    assert field in errors, errors
    assert words in errors[field]


def test_a_10_kb_string_in_any_text_field_is_refused_without_raising() -> None:
    base = record(COPY)
    fields = page_form(base)
    numeric = ("days", "amount_vnd", "copies", "checked", "valid_from", "online", "level", "form")
    texts = [n for n, v in fields if v and not n.endswith(numeric)]
    for name in texts:
        long = ("Thủ tục hành chính " * 600)[:10_240]
        errors = errors_of(FormData([(n, long if n == name else v) for n, v in fields]), base)
        assert name in errors or name.rsplit("-", 1)[0] in errors, name


def test_a_file_where_text_belongs_is_refused() -> None:
    base = record(COPY)
    upload = UploadFile(io.BytesIO(b"\x89PNG\r\n\x1a\n\x00"), filename="anh.png")
    fields = [(n, upload if n == "name" else v) for n, v in page_form(base)]
    assert "không nhận tệp" in errors_of(FormData(fields), base)["name"]


def test_a_field_sent_twice_with_two_values_is_refused() -> None:
    base = record(COPY)
    fields = page_form(base)
    assert "hai lần" in errors_of(FormData([*fields, ("name", "Một tên khác hẳn")]), base)["name"]
    result, errors = parse([*fields, ("name", base.name)], base)
    assert errors == {} and result == base


def test_no_rows_and_an_empty_form_are_refused_without_raising() -> None:
    base = record(COPY)
    without_documents = [(n, v) for n, v in page_form(base) if not n.startswith("documents-")]
    assert errors_of(FormData(without_documents), base)["documents"] == "Cần ít nhất một mục."
    errors = errors_of(FormData(), base)
    for name in ("name", "short_name", "documents", "sources", "fee-text", "valid_from"):
        assert name in errors, name


def test_a_renamed_source_must_be_renamed_where_it_is_cited() -> None:
    base = record(COPY)
    fields = page_form(base)
    renamed = edited(fields, sources__0__id="dvc-quoc-gia")
    errors = errors_of(renamed, base)
    cited = {
        f"provenance-{g.value}-sources" for g in FactGroup if "dvcqg" in base.provenance[g].sources
    }
    assert cited <= set(errors)
    everywhere = [(n, re.sub(r"\bdvcqg\b", "dvc-quoc-gia", v)) for n, v in fields]
    result, errors = parse(everywhere, base)
    assert errors == {} and result is not None
    assert result.provenance[FactGroup.fee].sources == ["dvc-quoc-gia"]


def test_a_source_cited_by_a_replaced_procedure_cannot_be_removed() -> None:
    base = record(COPY)
    fields = [
        (n, re.sub(r",? ?\bhp-bl\b", "", v) if n.startswith("provenance-") else v)
        for n, v in page_form(base)
        if not n.startswith("sources-1-")  # the row of "hp-bl"
    ]
    assert "“hp-bl”" in errors_of(FormData(fields), base)["sources"]


def test_random_garbage_never_raises() -> None:
    base = record(COPY)
    fields = page_form(base)
    junk = ["", " ", "-1", "1e9", "0x10", "١٢", "NaN", "<script>", "\x00", "\udcff", "ー" * 3000,
            "2026-02-30", "https://", "a" * 10_240, "None", "[]", "{}", "\r\n\r\n"]  # fmt: skip
    rng = random.Random(20)
    for _ in range(200):
        names = rng.sample([n for n, _ in fields], 5)
        form = FormData([(n, rng.choice(junk) if n in names else v) for n, v in fields])
        result, errors = parse_record_form(form, base)
        assert (result is None) == bool(errors)
        assert all(isinstance(k, str) and isinstance(m, str) and m for k, m in errors.items())


def test_every_error_links_to_a_field_on_the_page() -> None:
    base = record(COPY)
    form = edited(
        page_form(base),
        name="",
        documents__1__copies="mười",
        sources__2__url="not a url",
        provenance__steps__sources="nguon-la",
        channels__online="huyen",
    )
    errors = errors_of(form, base)
    html = render(posted_form_values(form), errors, base)
    for name, message in errors.items():
        assert f'id="f-{name}"' in html, name
        assert f'id="e-{name}"' in html and message in html
        assert re.search(rf'id="f-{name}"[^>]*aria-describedby="[^"]*e-{name}', html), name
    assert 'href="#f-documents-1-copies">Giấy tờ 2 – Số bản</a>' in html


# --- rows ------------------------------------------------------------------------------


def _document_fields(token: str, name: str, copies: str = "1", form: str = "ban_chinh") -> Fields:
    return [
        (f"documents-{token}-name", name),
        (f"documents-{token}-copies", copies),
        (f"documents-{token}-form", form),
        (f"documents-{token}-note", ""),
    ]


def _insert_after(fields: Fields, prefix: str, extra: Fields) -> Fields:
    """``extra`` placed after the last field starting with ``prefix``, as a row added there."""
    last = max(i for i, (name, _) in enumerate(fields) if name.startswith(prefix))
    return [*fields[: last + 1], *extra, *fields[last + 1 :]]


def test_a_document_row_added_by_the_page_is_read_in_page_order() -> None:
    base = record(COPY)
    added = _document_fields("1712345678901", "Căn cước công dân", "2", "ban_sao_chung_thuc")
    result, errors = parse(_insert_after(page_form(base), "documents-0-", added), base)
    assert errors == {} and result is not None
    assert result.documents[0] == base.documents[0]
    assert result.documents[1] == RequiredDocument(
        name="Căn cước công dân", copies=2, form=DocumentForm.certified_copy
    )
    assert result.documents[2:] == base.documents[1:]


def test_a_row_added_and_left_empty_is_ignored() -> None:
    base = record(COPY)
    fields = _insert_after(page_form(base), "documents-", _document_fields("99", "", "1"))
    result, errors = parse(fields, base)
    assert (result, errors) == (base, {})


def test_a_removed_document_row_is_gone() -> None:
    base = record(COPY)
    fields = [(n, v) for n, v in page_form(base) if not n.startswith("documents-1-")]
    result, errors = parse(fields, base)
    assert errors == {} and result is not None
    assert result.documents == [base.documents[0], base.documents[2]]


def test_a_new_source_can_be_cited_and_an_authority_added() -> None:
    base = record(COPY)
    source = [
        ("sources-t1-id", "qd-123-2026"),
        ("sources-t1-title", "Quyết định 123/QĐ-UBND công bố danh mục"),
        ("sources-t1-url", ""),
        ("sources-t1-legal_text", "Quyết định 123/QĐ-UBND"),
        ("sources-t1-checked", "01/12/2026"),
    ]
    authority = [
        ("authorities-t2-level", "xa"),
        ("authorities-t2-name", "UBND xã, phường"),
        ("authorities-t2-note", ""),
    ]
    fields = _insert_after(page_form(base), "sources-", source)
    fields = _insert_after(fields, "authorities-", authority)
    form = edited(fields, provenance__fee__sources="qd-123-2026")
    result, errors = parse(form, base)
    assert errors == {} and result is not None
    assert result.sources[-1].checked == dt.date(2026, 12, 1)
    assert result.provenance[FactGroup.fee].sources == ["qd-123-2026"]
    assert result.checked(FactGroup.fee) == dt.date(2026, 12, 1)
    assert result.authorities[-1].level is Level.commune


def test_the_page_offers_a_template_row_for_each_list() -> None:
    base = record(COPY)
    html = render(record_form_values(base), {}, base)
    for prefix in ("authorities", "documents", "sources"):
        assert f'<template id="tpl-{prefix}">' in html
        assert f'data-add-row="tpl-{prefix}" data-into="rows-{prefix}"' in html
        assert f'id="rows-{prefix}"' in html
        template = html.split(f'<template id="tpl-{prefix}">')[1].split("</template>")[0]
        assert f'name="{prefix}-__i__-' in template and "data-remove-row" in template
    assert html.count("data-remove-row") == (
        3 + len(base.authorities) + len(base.documents) + len(base.sources)
    )


# --- rendering -------------------------------------------------------------------------


def test_the_form_shows_the_record_with_labels_and_selected_options() -> None:
    base = record(COPY)
    html = render(record_form_values(base), {}, base)
    assert "errors" not in re.findall(r'class="(\w+)"', html)
    assert "Giấy ủy quyền" in html and "Thành phần hồ sơ" in html
    assert '<option value="ban_sao" selected>Bản sao</option>' in html
    assert '<option value="mot_phan" selected>Trực tuyến một phần</option>' in html
    assert 'name="channels-desk" value="1" checked' in html
    assert html.count('name="provenance-') == 2 * len(FactGroup)


def test_an_officers_input_is_shown_again_after_an_error() -> None:
    base = record(COPY)
    added = _document_fields("1712345678901", "Căn cước <b>công dân</b>", "hai")
    form = FormData(_insert_after(page_form(base), "documents-", added))
    errors = errors_of(form, base)
    html = render(posted_form_values(form), errors, base)
    assert controls(html) == [(n, str(v).replace("\n", "\r\n")) for n, v in form.multi_items()]
    assert "Căn cước &lt;b&gt;công dân&lt;/b&gt;" in html
    assert 'role="alert"' in html and "còn 1 chỗ cần sửa" in html


ALTERED: list[Callable[[Procedure], dict[str, Any]]] = [
    lambda p: {"fee": {"amount_vnd": 0, "text": "Không thu phí."}},
    lambda p: {"code": None, "channels": {**p.channels.model_dump(), "online_url": None}},
]


@pytest.mark.parametrize("alter", ALTERED)
def test_optional_values_survive_the_form(alter: Callable[[Procedure], dict[str, Any]]) -> None:
    base = Procedure.model_validate(record(COPY).model_dump() | alter(record(COPY)))
    assert parse(page_form(base), base) == (base, {})
