"""The record edit form: a procedure's facts as form values, and the posted form as a record.

Officers edit what citizens are told (documents, time, fee, where and how to apply) together
with the sources that state it, so the form carries each fact group's provenance beside the
group: which sources state it, and what no source confirms. Fields the form does not show
(situations, keywords, facets, replaced procedures) are kept from the record being edited.

Repeated rows (authorities, documents, sources) are named ``<list>-<token>-<part>``; a row
the page adds gets a fresh token (console.js ``data-add-row``), a removed row is simply not
sent, and rows are read in page order. Every problem is reported under the form field's
name with a short Vietnamese message; :func:`parse_record_form` never raises on what a
browser, or anything else, posts.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from knowledge.models import FACT_LABELS, FactGroup, Procedure
from server.console.record_form_parse import FormReader, pydantic_message
from server.dossiers.models import today_vn
from server.staff.record_words import DOCUMENT_FORM_LABELS, LEVEL_LABELS, ONLINE_LABELS

ROWS: dict[str, tuple[str, ...]] = {
    "authorities": ("level", "name", "note"),
    "documents": ("name", "copies", "form", "note"),
    "sources": ("id", "title", "url", "legal_text", "checked"),
}
LINES = ("applicants", "steps", "legal_basis", "notes")
CHECKBOXES = ("processing_time-working_days", "channels-desk", "channels-post")
# Single-value fields and the most characters each takes.
LIMITS: dict[str, int] = {
    "code": 40,
    "name": 1000,
    "short_name": 60,
    "valid_from": 20,
    "result": 1000,
    "processing_time-days": 20,
    "processing_time-text": 1000,
    "fee-amount_vnd": 20,
    "fee-text": 1000,
    "channels-online": 40,
    "channels-online_url": 2000,
    "channels-desk_note": 1000,
    "channels-desk_hours": 300,
    "authorities-level": 40,
    "authorities-name": 300,
    "authorities-note": 1000,
    "documents-name": 500,
    "documents-copies": 20,
    "documents-form": 40,
    "documents-note": 1000,
    "sources-id": 60,
    "sources-title": 300,
    "sources-url": 2000,
    "sources-legal_text": 300,
    "sources-checked": 20,
    "provenance-sources": 1000,
    "provenance-uncertain": 1000,
}
# Whether a row the officer left empty is dropped: its parts that are typed, not preset.
_TYPED = {
    "authorities": ("name", "note"),
    "documents": ("name", "note"),
    "sources": ("id", "title", "url", "legal_text"),
}
_OPTIONAL = ("note", "url", "legal_text")
# Where an error about a whole row is shown.
_ROW_FIX = {"authorities": "name", "documents": "name", "sources": "url"}
_DAYS = "Cần số ngày bằng chữ số, ví dụ 20; để trống nếu không có một con số chung."
_AMOUNT = "Cần số tiền bằng chữ số, ví dụ 50000 hoặc 50.000; để trống nếu mức thu không cố định."
_COPIES = "Cần số bản bằng chữ số, từ 1 đến 10."


def _choices() -> dict[str, Any]:
    """What the selects offer, and the date a new source row starts with."""
    return {
        "levels": [(level.value, label) for level, label in LEVEL_LABELS.items()],
        "document_forms": [(form.value, label) for form, label in DOCUMENT_FORM_LABELS.items()],
        "online_services": [(online.value, label) for online, label in ONLINE_LABELS.items()],
        "groups": [(group.value, FACT_LABELS[group]) for group in FactGroup],
        "today": today_vn().isoformat(),
    }


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def record_form_values(record: Procedure) -> dict[str, Any]:
    """The values the form shows for ``record``, by form field name (rows as lists)."""
    time, fee, channels = record.processing_time, record.fee, record.channels
    values: dict[str, Any] = {
        "code": record.code or "",
        "name": record.name,
        "short_name": record.short_name,
        "valid_from": record.valid_from.isoformat(),
        "result": record.result,
        "processing_time-days": _number(time.days),
        "processing_time-working_days": time.working_days,
        "processing_time-text": time.text,
        "fee-amount_vnd": _number(fee.amount_vnd),
        "fee-text": fee.text,
        "channels-online": channels.online.value,
        "channels-online_url": str(channels.online_url or ""),
        "channels-desk": channels.desk,
        "channels-post": channels.post,
        "channels-desk_note": channels.desk_note or "",
        "channels-desk_hours": channels.desk_hours or "",
        **{name: "\n".join(getattr(record, name)) for name in LINES},
        "authorities": [
            {"key": str(i), "level": a.level.value, "name": a.name, "note": a.note or ""}
            for i, a in enumerate(record.authorities)
        ],
        "documents": [
            {
                "key": str(i),
                "name": d.name,
                "copies": str(d.copies),
                "form": d.form.value,
                "note": d.note or "",
            }
            for i, d in enumerate(record.documents)
        ],
        "sources": [
            {
                "key": str(i),
                "id": s.id,
                "title": s.title,
                "url": str(s.url or ""),
                "legal_text": s.legal_text or "",
                "checked": s.checked.isoformat(),
            }
            for i, s in enumerate(record.sources)
        ],
    }
    for group, entry in record.provenance.items():
        values[f"provenance-{group.value}-sources"] = ", ".join(entry.sources)
        values[f"provenance-{group.value}-uncertain"] = entry.uncertain or ""
    return values | _choices()


def posted_form_values(form: FormData) -> dict[str, Any]:
    """The values as posted, in the shape of :func:`record_form_values`: what the form shows
    again after an error, so that nothing the officer typed is lost."""
    read = FormReader(form)
    values: dict[str, Any] = {name: read.shown(name) for name in (*LIMITS, *LINES)}
    values |= {name: bool(read.shown(name)) for name in CHECKBOXES}
    for prefix, parts in ROWS.items():
        values[prefix] = [
            {"key": token, **{part: read.shown(f"{prefix}-{token}-{part}") for part in parts}}
            for token in read.rows(prefix, parts)
        ]
    for group in FactGroup:
        for part in ("sources", "uncertain"):
            name = f"provenance-{group.value}-{part}"
            values[name] = read.shown(name)
    return values | _choices()


def parse_record_form(form: FormData, base: Procedure) -> tuple[Procedure | None, dict[str, str]]:
    """The record the form describes, on top of ``base``: (record, {}) when every field is
    valid, else (None, {form field name: Vietnamese message})."""
    read = FormReader(form)
    tokens = {prefix: _filled_rows(read, prefix) for prefix in ROWS}
    data = base.model_dump()
    data.update(_scalars(read))
    data.update({prefix: [_row(read, prefix, t) for t in tokens[prefix]] for prefix in ROWS})
    data["provenance"] = {
        group.value: {
            "sources": read.ids(f"provenance-{group.value}-sources"),
            "uncertain": read.optional(
                f"provenance-{group.value}-uncertain", LIMITS["provenance-uncertain"]
            ),
        }
        for group in FactGroup
    }
    _check_sources(read, data, tokens["sources"], base)
    record = _validate(read, data, tokens)
    if record is None or read.errors:
        return None, read.ordered_errors()
    return record, {}


def _scalars(read: FormReader) -> dict[str, Any]:
    def text(name: str) -> str:
        return read.text(name, LIMITS[name])

    return {
        "code": text("code") or None,
        "name": text("name"),
        "short_name": text("short_name"),
        "valid_from": read.date("valid_from"),
        "result": text("result"),
        "processing_time": {
            "days": read.integer("processing_time-days", _DAYS),
            "working_days": read.flag("processing_time-working_days"),
            "text": text("processing_time-text"),
        },
        "fee": {"amount_vnd": read.integer("fee-amount_vnd", _AMOUNT), "text": text("fee-text")},
        "channels": {
            "online": text("channels-online"),
            "online_url": text("channels-online_url") or None,
            "desk": read.flag("channels-desk"),
            "post": read.flag("channels-post"),
            "desk_note": text("channels-desk_note") or None,
            "desk_hours": text("channels-desk_hours") or None,
        },
        **{name: read.lines(name) for name in LINES},
    }


def _filled_rows(read: FormReader, prefix: str) -> list[str]:
    """The rows of a list, without the ones added and left empty."""
    return [
        token
        for token in read.rows(prefix, ROWS[prefix])
        if any(read.shown(f"{prefix}-{token}-{part}").strip() for part in _TYPED[prefix])
    ]


def _row(read: FormReader, prefix: str, token: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for part in ROWS[prefix]:
        name = f"{prefix}-{token}-{part}"
        if part == "copies":
            row[part] = read.integer(name, _COPIES, empty=1)
        elif part == "checked":
            row[part] = read.date(name)
        else:
            text = read.text(name, LIMITS[f"{prefix}-{part}"])
            row[part] = (text or None) if part in _OPTIONAL else text
    return row


def _check_sources(
    read: FormReader, data: dict[str, Any], tokens: list[str], base: Procedure
) -> None:
    """What the model checks across fields, said beside the field to fix."""
    known: set[str] = set()
    for token, source in zip(tokens, data["sources"], strict=True):
        if source["id"] in known:
            read.fail(f"sources-{token}-id", "Mã này đã dùng cho nguồn khác; mỗi nguồn một mã.")
        known.add(source["id"])
        if not source["url"] and not source["legal_text"]:
            read.fail(f"sources-{token}-url", "Cần đường dẫn hoặc số hiệu văn bản của nguồn.")
    for group, entry in data["provenance"].items():
        name = f"provenance-{group}-sources"
        unknown = [source_id for source_id in entry["sources"] if source_id not in known]
        if unknown:
            listed = ", ".join(f"“{source_id}”" for source_id in unknown)
            read.fail(name, f"Không có nguồn mã {listed} trong mục Nguồn.")
        elif not entry["sources"] and not entry["uncertain"]:
            read.fail(name, "Cần ít nhất một nguồn, hoặc ghi rõ điều chưa chắc chắn.")
    cited = {old.source for old in base.replaces}
    cited |= {base.repealed.source} if base.repealed else set()
    for source_id in sorted(cited - known):
        read.fail(
            "sources",
            f"Nguồn “{source_id}” đang được dẫn cho thủ tục cũ hoặc việc bãi bỏ; "
            "anh/chị giữ lại nguồn này.",
        )


def _validate(
    read: FormReader, data: dict[str, Any], tokens: dict[str, list[str]]
) -> Procedure | None:
    """The record, or None with each model error noted under its form field."""
    try:
        return Procedure.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            name = _field_name(error["loc"], tokens)
            if name != "record" or not read.errors:
                read.fail(name, pydantic_message(error, name))
        return None


def _field_name(loc: tuple[int | str, ...], tokens: dict[str, list[str]]) -> str:
    """The form field an error of the model is about: ("documents", 2, "name") ->
    "documents-<token of the third row>-name"; an error about a whole row or fact group
    goes to the field that most often fixes it."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):  # a row of a list of the record, or an item of a textarea
            rows = tokens.get(str(loc[0]), []) if i == 1 else []
            if part < len(rows):
                parts.append(rows[part])
            continue
        parts.append(part)
    if not parts:
        return "record"
    if len(parts) == 2 and parts[0] in ROWS:
        parts.append(_ROW_FIX[parts[0]])
    if len(parts) == 2 and parts[0] == "provenance":
        parts.append("sources")
    return "-".join(parts)
