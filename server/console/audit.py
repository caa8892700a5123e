"""The audit log (admins only): who changed what and when, newest first, filtered by
officer and action, a page at a time, and the same list as a CSV file for an inspection.

Actions are named by :data:`server.staff.audit.ACTION_LABELS`; an entry's detail (field
names and identifiers) is written out as one readable line, in Vietnamese where the key
is known and as stored where it is not.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from server.console.accounts import AdminDep
from server.console.deps import render, vn_time
from server.dossiers.models import VN_TZ
from server.staff import audit
from server.staff.accounts import ROLE_LABELS

router = APIRouter(prefix="/staff", include_in_schema=False)

PAGE_SIZE = 50
DETAIL_LABELS = {
    "roles": "Vai trò",
    "active": "Đang hoạt động",
    "procedure_id": "Thủ tục",
    "records": "Thủ tục",
    "version": "Phiên bản",
    "version_id": "Phiên bản",
    "versions": "Các phiên bản",
    "restored": "Khôi phục từ phiên bản",
    "from": "Từ",
    "to": "Sang",
    "note": "Ghi chú",
    "reason": "Lý do",
    "chars": "Số ký tự",
    "examples": "Số câu mẫu",
    "since": "Từ ngày",
    "intent": "Ý định",
    "out_of_scope": "Ngoài phạm vi",
    "previous": "Trước đó",
    "count": "Số lượng",
    "step": "Bước",
}
_CSV_COLUMNS = {
    "at": "Thời gian (giờ Việt Nam)",
    "username": "Cán bộ",
    "action": "Hành động",
    "code": "Mã hành động",
    "target": "Đối tượng",
    "detail": "Chi tiết",
}
# A cell starting with one of these is a formula to a spreadsheet (CSV injection); the
# target of a failed login is whatever someone typed.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_ROLE_NAMES = {role.value: label for role, label in ROLE_LABELS.items()}
Filter = Annotated[str, Query(max_length=64)]


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(_value(key, item) for item in value)
    if isinstance(value, dict):
        if set(value) == {"from", "to"}:
            return f"{_value(key, value['from'])} → {_value(key, value['to'])}"
        return "; ".join(f"{DETAIL_LABELS.get(k, k)}: {_value(k, v)}" for k, v in value.items())
    if key == "roles":
        return _ROLE_NAMES.get(str(value), str(value))
    return str(value)


def describe(detail: dict[str, Any] | None) -> str:
    """``{"roles": {"from": ["desk"], "to": ["desk", "editor"]}}`` as
    "Vai trò: Cán bộ một cửa → Cán bộ một cửa, Biên tập thủ tục"."""
    if not detail:
        return ""
    return "; ".join(f"{DETAIL_LABELS.get(k, k)}: {_value(k, v)}" for k, v in detail.items())


def _row(entry: audit.AuditEntry) -> dict[str, str]:
    return {
        "at": vn_time(entry.at),
        "username": entry.username,
        "action": audit.action_label(entry.action),
        "code": entry.action,
        "target": entry.target,
        "detail": describe(entry.detail),
    }


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    officer: AdminDep,
    who: Annotated[str, Query(alias="officer", max_length=64)] = "",
    action: Filter = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    found = audit.page(username=who or None, action=action or None, size=PAGE_SIZE, number=page)
    pages = max(1, -(-found.total // PAGE_SIZE))
    filters = {k: v for k, v in {"officer": who, "action": action}.items() if v}

    def link(number: int) -> str:
        return "/staff/audit?" + urlencode({**filters, "page": number})

    return render(
        request,
        "audit.html",
        rows=[_row(entry) for entry in found.entries],
        total=found.total,
        page=page,
        pages=pages,
        previous=link(page - 1) if page > 1 else None,
        next=link(page + 1) if page < pages else None,
        csv_link="/staff/audit.csv" + (f"?{urlencode(filters)}" if filters else ""),
        who=who,
        action=action,
        usernames=audit.usernames(),
        actions=[(code, audit.action_label(code)) for code in audit.actions()],
    )


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_lines(who: str, action: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_CSV_COLUMNS.values())
    yield "\ufeff" + buffer.getvalue()  # the BOM: Excel then reads the file as UTF-8
    for entry in audit.every_entry(username=who or None, action=action or None):
        buffer.seek(0)
        buffer.truncate()
        row = _row(entry)
        writer.writerow([_cell(row[key]) for key in _CSV_COLUMNS])
        yield buffer.getvalue()


@router.get("/audit.csv")
def audit_csv(
    officer: AdminDep,
    who: Annotated[str, Query(alias="officer", max_length=64)] = "",
    action: Filter = "",
) -> StreamingResponse:
    """Every matching entry (not only one page), newest first."""
    stamp = dt.datetime.now(VN_TZ).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _csv_lines(who, action),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="nhat-ky-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
