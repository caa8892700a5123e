"""Staff import procedure facts from a published procedure list, seeing every change first.

An officer uploads the list a decision published (CSV or XLSX, one row per procedure) and
names it as a source. Each row is matched to a record, by national code or else by its name,
and each fact the list states (time, fee, authorities, where and how to apply, legal basis)
is read into the record's own structure and compared with it. What differs becomes a field
change on a proposed record that cites the list as its source for that group of facts; a
group's "uncertain" note is cleared only where the list states the whole group.

Nothing is applied here. The preview is all or nothing: one unreadable cell, unknown or
duplicate row, and :attr:`ImportPreview.proposed` is empty, because a half-applied list
leaves the catalogue saying two things at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from knowledge.catalogue import Snapshot
from knowledge.models import FactGroup, OnlineService, Procedure, Source
from server.staff import import_values as v
from server.staff.import_sheet import Column, SheetError, SheetRow, read_sheet
from server.staff.record_diff import FieldDiff

LABELS: dict[Column, str] = {
    "processing_time": "Thời hạn giải quyết",
    "fee": "Phí, lệ phí",
    "authorities": "Cơ quan thực hiện",
    "place": "Địa điểm thực hiện",
    "channels": "Cách thức thực hiện",
    "legal_basis": "Căn cứ pháp lý",
}
_ONLINE_GUESS = "Danh mục ghi có nộp trực tuyến nhưng không nêu toàn trình hay một phần."


class RowResult(BaseModel):
    row_number: int
    procedure_id: str | None = None
    name: str = ""
    changes: list[FieldDiff] = []
    errors: list[str] = []
    record: Procedure | None = None  # the proposed record, when the row changes one

    @property
    def status(self) -> Literal["error", "changed", "unchanged"]:
        if self.errors:
            return "error"
        return "changed" if self.changes else "unchanged"


class ImportPreview(BaseModel):
    rows: list[RowResult] = []
    file_errors: list[str] = []

    @property
    def ok(self) -> bool:
        """No error anywhere: only then may the import be applied."""
        return not self.file_errors and not any(row.errors for row in self.rows)

    @property
    def proposed(self) -> dict[str, Procedure]:
        """The changed records by id; empty unless :attr:`ok` (all or nothing)."""
        if not self.ok:
            return {}
        return {r.procedure_id: r.record for r in self.rows if r.procedure_id and r.record}


@dataclass
class _Update:
    """What one cell changes: shown as ``change``, written by ``patch`` into the record."""

    change: FieldDiff
    group: FactGroup
    patch: dict[str, Any]
    complete: bool = True  # the cell states the whole group, so its doubt is resolved
    note: str | None = None  # a doubt the cell itself leaves


@dataclass
class _Index:
    by_code: dict[str, Procedure] = field(default_factory=dict)
    by_name: dict[str, list[Procedure]] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: Snapshot) -> _Index:
        """Over the records before the department's local facts: those are what the console
        edits, so the local values are never written into a record."""
        index = cls()
        for record in snapshot.unmerged.values():
            if record.code:
                index.by_code[record.code] = record
            index.by_name.setdefault(v.name_key(record.name), []).append(record)
        return index


def preview_import(data: bytes, filename: str, snapshot: Snapshot, source: Source) -> ImportPreview:
    """Read a procedure list and say, row by row, what importing it would change."""
    try:
        sheet = read_sheet(data, filename)
    except SheetError as exc:
        return ImportPreview(file_errors=[str(exc)])
    index = _Index.of(snapshot)
    rows: list[RowResult] = []
    first_row: dict[str, int] = {}
    for sheet_row in sheet.rows:
        row = _preview_row(sheet_row, sheet.headers, index, source)
        if row.procedure_id is not None:
            first = first_row.setdefault(row.procedure_id, row.row_number)
            if first != row.row_number:
                row.errors.append(_duplicate(first))
        rows.append(row)
    if not rows:
        return ImportPreview(file_errors=["Dạ, bảng có tiêu đề nhưng chưa có dòng thủ tục nào ạ."])
    return ImportPreview(rows=rows)


def _duplicate(first: int) -> str:
    return f"Dạ, dòng này trùng thủ tục với dòng {first}; mỗi thủ tục chỉ được có một dòng ạ."


def _preview_row(
    row: SheetRow, headers: dict[Column, str], index: _Index, source: Source
) -> RowResult:
    result = RowResult(row_number=row.number, name=v.clean(row.cells.get("name", "")))
    try:
        record = _match(row, headers, index)
    except v.ValueProblem as exc:
        result.errors.append(str(exc))
        return result
    result.procedure_id, result.name = record.id, record.name
    if record.repealed is not None:
        result.errors.append(f"Dạ, thủ tục này đã bị bãi bỏ từ {record.repealed.on:%d/%m/%Y} ạ.")
        return result
    updates: list[_Update] = []
    for column, read in _READERS.items():
        if column not in row.cells:
            continue
        try:
            update = read(record, row.cells[column])
        except v.ValueProblem as exc:
            result.errors.append(f"Cột “{headers[column]}”: {exc}.")
            continue
        if update is not None:
            updates.append(update)
    result.changes = [update.change for update in updates]
    if updates and not result.errors:
        try:
            result.record = _proposed(record, updates, source)
        except ValidationError as exc:
            problems = "; ".join(str(e["msg"]) for e in exc.errors())
            result.errors.append(f"Dạ, bản cập nhật không hợp lệ: {problems}.")
    return result


def _match(row: SheetRow, headers: dict[Column, str], index: _Index) -> Procedure:
    """The record a row is about: by national code, else by its name normalised."""
    code_text, name = row.cells.get("code", ""), v.clean(row.cells.get("name", ""))
    if not code_text and not name:
        raise v.ValueProblem("Dạ, dòng này thiếu cả mã và tên thủ tục ạ.")
    try:
        code = v.parse_code(code_text) if code_text else None
    except v.ValueProblem as exc:
        raise v.ValueProblem(f"Cột “{headers['code']}”: {exc}.") from exc
    if code is not None:
        record = index.by_code.get(code) or index.by_code.get(v.base_code(code))
        if record is not None:
            return record
    candidates = index.by_name.get(v.name_key(name), []) if name else []
    if len(candidates) > 1:
        ids = ", ".join(r.id for r in candidates)
        raise v.ValueProblem(f"Dạ, tên này trùng nhiều thủ tục ({ids}); xin ghi mã TTHC ạ.")
    if candidates and code is not None and candidates[0].code not in (None, v.base_code(code)):
        raise v.ValueProblem(
            f"Dạ, mã {code} không khớp mã {candidates[0].code} của thủ tục cùng tên ạ."
        )
    if candidates:
        return candidates[0]
    wanted = " / ".join(f"“{part}”" for part in (code, name) if part)
    raise v.ValueProblem(f"Dạ, không tìm thấy thủ tục {wanted} trong danh mục ạ.")


def _change(column: Column, old: str, new: str, field_name: str | None = None) -> FieldDiff:
    return FieldDiff(field=field_name or column, label=LABELS[column], old=old, new=new)


def _time(record: Procedure, text: str) -> _Update | None:
    old, new = record.processing_time, v.parse_processing_time(text)
    same = (old.days, old.working_days) == (new.days, new.working_days)
    if same and (new.days is not None or v.text_key(old.text) == v.text_key(new.text)):
        return None
    change = _change("processing_time", v.describe_time(old), v.describe_time(new))
    return _Update(change, FactGroup.processing_time, {"processing_time": new.model_dump()})


def _fee(record: Procedure, text: str) -> _Update | None:
    old, new = record.fee, v.parse_fee(text)
    if old.amount_vnd == new.amount_vnd and (
        new.amount_vnd is not None or v.text_key(old.text) == v.text_key(new.text)
    ):
        return None
    change = _change("fee", v.describe_fee(old), v.describe_fee(new))
    return _Update(change, FactGroup.fee, {"fee": new.model_dump()})


def _authorities(record: Procedure, text: str) -> _Update | None:
    new = v.parse_authorities(text)
    covered = [
        any(a.level == b.level and v.text_key(b.name).startswith(v.text_key(a.name)) for b in
            record.authorities)
        for a in new
    ]  # fmt: skip
    if all(covered) and len(new) == len(record.authorities):
        return None  # the record says the same, with its own details ("(với văn bằng ...)")
    old_names = "; ".join(a.name for a in record.authorities)
    change = _change("authorities", old_names, "; ".join(a.name for a in new))
    patch = {"authorities": [a.model_dump(mode="json") for a in new]}
    return _Update(change, FactGroup.authorities, patch)


def _place(record: Procedure, text: str) -> _Update | None:
    old, new = record.channels.desk_note or "", v.clean(text)
    if v.text_key(old) == v.text_key(new):
        return None
    change = _change("place", old or "(chưa ghi)", new, "channels.desk_note")
    return _Update(change, FactGroup.channels, {"channels": {"desk_note": new}}, complete=False)


def _channels(record: Procedure, text: str) -> _Update | None:
    old, facts = record.channels, v.parse_channels(text)
    online, note = facts.online, None
    if online is None:  # online, level not stated: keep the record's level if it has one
        online = old.online if old.online is not OnlineService.none else OnlineService.partial
        note = None if old.online is not OnlineService.none else _ONLINE_GUESS
    if (old.desk, old.post, old.online) == (facts.desk, facts.post, online):
        return None
    old_words = v.describe_channels(old.desk, old.post, old.online)
    new_words = v.describe_channels(facts.desk, facts.post, online)
    if note:
        new_words += " (mức độ trực tuyến chưa rõ, tạm ghi một phần)"
    patch = {"channels": {"desk": facts.desk, "post": facts.post, "online": online.value}}
    complete = facts.online is not None
    return _Update(_change("channels", old_words, new_words), FactGroup.channels, patch,
                   complete=complete, note=note)  # fmt: skip


def _legal_basis(record: Procedure, text: str) -> _Update | None:
    old, new = record.legal_basis, v.parse_legal_basis(text)
    old_numbers, new_numbers = v.legal_numbers(old), v.legal_numbers(new)
    if old_numbers and new_numbers:
        if old_numbers == new_numbers:
            return None
    elif v.text_key(" ".join(old)) == v.text_key(" ".join(new)):
        return None
    change = _change("legal_basis", "; ".join(old), "; ".join(new))
    return _Update(change, FactGroup.legal_basis, {"legal_basis": new})


_READERS: dict[Column, Callable[[Procedure, str], _Update | None]] = {
    "processing_time": _time,
    "fee": _fee,
    "authorities": _authorities,
    "place": _place,
    "channels": _channels,
    "legal_basis": _legal_basis,
}


def _proposed(record: Procedure, updates: list[_Update], source: Source) -> Procedure:
    """The record with the list's facts written in, citing the list for each changed group."""
    data = record.model_dump(mode="json")
    for update in updates:
        for key, value in update.patch.items():
            data[key] = {**data[key], **value} if isinstance(value, dict) else value
    sources, source_id = _with_source(record.sources, source)
    data["sources"] = [s.model_dump(mode="json") for s in sources]
    for group in {update.group for update in updates}:
        touched = [update for update in updates if update.group is group]
        entry = data["provenance"][group.value]
        if source_id not in entry["sources"]:
            entry["sources"] = [*entry["sources"], source_id]
        if any(update.complete for update in touched):
            entry["uncertain"] = None
        else:
            notes = [update.note for update in touched if update.note]
            entry["uncertain"] = entry.get("uncertain") or (notes[0] if notes else None)
    return Procedure.model_validate(data)


def _with_source(sources: list[Source], source: Source) -> tuple[list[Source], str]:
    """The record's sources with the list among them: a source already cited for the same page
    or text is re-dated, not repeated; a different one never takes an id in use."""
    for existing in sources:
        if (existing.url, existing.legal_text) == (source.url, source.legal_text):
            checked = max(existing.checked, source.checked)
            dated = existing.model_copy(update={"checked": checked})
            return [dated if s is existing else s for s in sources], existing.id
    taken, source_id, n = {s.id for s in sources}, source.id, 2
    while source_id in taken:
        source_id, n = f"{source.id}-{n}", n + 1
    return [*sources, source.model_copy(update={"id": source_id})], source_id
