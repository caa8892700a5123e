"""What changed between two versions of a procedure record, in words a reviewer checks.

A reviewer publishes what the assistant will tell citizens, so each change is said the way
the record means it ("Lệ phí: Không thu phí → 50.000 đồng", a document with its form and
copies), not as YAML keys. Lists of things (documents, authorities, sources) are matched item
by item, so one added document reads as one added row rather than a changed list. Every field
that differs yields at least one row: no version is published with a change nobody saw.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from knowledge.models import (
    FACT_LABELS,
    Channels,
    FactGroup,
    Fee,
    Procedure,
    ProcessingTime,
    Provenance,
    Repeal,
)
from server.staff.import_values import describe_channels, text_key
from server.staff.record_words import (
    fee_words,
    item_words,
    provenance_words,
    repeal_words,
    time_words,
    words,
)

# How the console names each field of a record, in the record's own order.
LABELS: dict[str, str] = {
    "id": "Mã định danh",
    "code": "Mã thủ tục",
    "name": "Tên thủ tục",
    "short_name": "Tên ngắn",
    "field": "Lĩnh vực",
    "level": "Cấp giải quyết",
    "authorities": "Cơ quan giải quyết",
    "applicants": "Đối tượng thực hiện",
    "situations": "Tình huống công dân hỏi",
    "keywords": "Từ khoá",
    "documents": "Giấy tờ",
    "processing_time": "Thời hạn",
    "fee": "Lệ phí",
    "channels": "Cách nộp",
    "steps": "Các bước",
    "result": "Kết quả",
    "legal_basis": "Căn cứ pháp lý",
    "valid_from": "Ngày áp dụng",
    "sources": "Nguồn",
    "provenance": "Nguồn từng nhóm thông tin",
    "replaces": "Thay cho thủ tục",
    "repealed": "Bãi bỏ",
    "notes": "Lưu ý cho công dân",
    "facets": "Đặc điểm phân biệt",
}


class FieldDiff(BaseModel):
    """One change, in words; ``old`` is empty for something added, ``new`` for something removed."""

    model_config = ConfigDict(frozen=True)

    field: str  # the record field, e.g. "fee", "documents", "channels.online_url"
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}: {self.old or '(chưa có)'} → {self.new or '(bỏ)'}"


def diff_records(old: Procedure | None, new: Procedure) -> list[FieldDiff]:
    """The changes from ``old`` to ``new`` in the record's field order; ``old`` None is a
    new record, every field of which is shown as added. Equal records give no row."""
    diffs: list[FieldDiff] = []
    for name in Procedure.model_fields:
        before = getattr(old, name) if old is not None else None
        after = getattr(new, name)
        if old is not None and before == after:
            continue
        found = [d for d in _DIFFERS.get(name, _scalar)(name, before, after) if d.old != d.new]
        if not found and old is not None:
            found = [_whole(name, before, after)]
        diffs += found
    return diffs


# --- differs, one per kind of field ------------------------------------------------------

Differ = Callable[[str, Any, Any], list[FieldDiff]]


def _row(field: str, old: str, new: str, label: str | None = None) -> FieldDiff:
    return FieldDiff(field=field, label=label or LABELS[field.split(".")[0]], old=old, new=new)


def _scalar(name: str, old: Any, new: Any) -> list[FieldDiff]:
    return [_row(name, words(old), words(new))]


def _whole(name: str, old: Any, new: Any) -> FieldDiff:
    """The field at full length: what a change no finer row shows (e.g. a new order)."""
    return _row(name, words(old), words(new), f"{LABELS[name]} (toàn bộ)")


def _items(key: Callable[[Any], Hashable]) -> Differ:
    """Items matched by ``key``: one row per item added, removed or changed."""

    def differ(name: str, old: Sequence[Any] | None, new: Sequence[Any]) -> list[FieldDiff]:
        unmatched = list(old or [])
        rows: list[FieldDiff] = []
        for item in new:
            twin = next((o for o in unmatched if key(o) == key(item)), None)
            if twin is not None:
                unmatched.remove(twin)
            if twin != item:
                before = item_words(twin) if twin is not None else ""
                rows.append(_row(name, before, item_words(item)))
        rows += [_row(name, item_words(gone), "") for gone in unmatched]
        return rows

    return differ


def _sequence(name: str, old: list[str] | None, new: list[str]) -> list[FieldDiff]:
    """Steps are read in order: the whole numbered list, before and after."""
    return [_row(name, words(old), words(new))]


def _time(name: str, old: ProcessingTime | None, new: ProcessingTime) -> list[FieldDiff]:
    figure = old is None or (old.days, old.working_days) != (new.days, new.working_days)
    return [_row(name, time_words(old, figure) if old else "", time_words(new, figure))]


def _fee(name: str, old: Fee | None, new: Fee) -> list[FieldDiff]:
    figure = old is None or old.amount_vnd != new.amount_vnd
    return [_row(name, fee_words(old, figure) if old else "", fee_words(new, figure))]


def _channels(name: str, old: Channels | None, new: Channels) -> list[FieldDiff]:
    def ways(c: Channels | None) -> str:
        return describe_channels(c.desk, c.post, c.online).capitalize() if c else ""

    rows = [_row(name, ways(old), ways(new))]
    for part, label in (
        ("online_url", "Địa chỉ nộp trực tuyến"),
        ("desk_note", "Nơi nộp trực tiếp"),
        ("desk_hours", "Giờ nhận hồ sơ"),
    ):
        before = words(getattr(old, part)) if old else ""
        rows.append(_row(f"{name}.{part}", before, words(getattr(new, part)), label))
    return rows


def _provenance(
    name: str, old: dict[FactGroup, Provenance] | None, new: dict[FactGroup, Provenance]
) -> list[FieldDiff]:
    rows = []
    for group in FactGroup:
        before, after = provenance_words((old or {}).get(group)), provenance_words(new.get(group))
        label = f"Nguồn cho {FACT_LABELS[group]}"
        rows.append(_row(f"{name}.{group.value}", before, after, label))
    return rows


def _repealed(name: str, old: Repeal | None, new: Repeal | None) -> list[FieldDiff]:
    return [_row(name, repeal_words(old), repeal_words(new))]


def _facets(name: str, old: Any, new: Any) -> list[FieldDiff]:
    def say(facets: Any) -> str:
        dumped = facets.model_dump(exclude_none=True) if facets is not None else {}
        return ", ".join(f"{key} = {value}" for key, value in dumped.items()) or "không có"

    return [_row(name, say(old) if old is not None else "", say(new))]


_DIFFERS: dict[str, Differ] = {
    "authorities": _items(lambda a: text_key(a.name)),
    "applicants": _items(lambda item: item),
    "situations": _items(lambda item: item),
    "keywords": _items(lambda item: item),
    "documents": _items(lambda d: text_key(d.name)),
    "processing_time": _time,
    "fee": _fee,
    "channels": _channels,
    "steps": _sequence,
    "legal_basis": _items(lambda item: item),
    "sources": _items(lambda s: s.id),
    "provenance": _provenance,
    "replaces": _items(lambda r: text_key(r.name)),
    "repealed": _repealed,
    "notes": _items(lambda item: item),
    "facets": _facets,
}
