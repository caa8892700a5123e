"""Who changed what, and when: one row per change made in the staff console.

Written in the same transaction as the change where the caller passes its connection, so
a change is never without its entry. The detail holds identifiers and field names, never a
citizen's words or a password.

The Vietnamese names of the actions live here, in one map, because every part of the
console writes entries and the log page, its CSV export and the reports all name them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, Select, func, select

from server import db
from server.staff.account_models import Account
from server.staff.tables import audit_log

SYSTEM = "system"  # the username of entries no officer made (command line, failed logins)

ACTION_LABELS: dict[str, str] = {
    # Logging in, accounts
    "login": "Đăng nhập",
    "login_failed": "Đăng nhập không thành công",
    "logout": "Đăng xuất",
    "account_created": "Tạo tài khoản",
    "account_updated": "Sửa tài khoản",
    "password_reset": "Đặt lại mật khẩu",
    "password_changed": "Tự đổi mật khẩu",
    "unlock": "Mở khoá tài khoản",
    # The catalogue, one record at a time
    "record_draft_saved": "Lưu bản nháp thủ tục",
    "record_submitted": "Gửi duyệt bản sửa thủ tục",
    "record_withdrawn": "Rút bản sửa thủ tục",
    "record_published": "Xuất bản thủ tục",
    "record_rejected": "Trả lại bản sửa thủ tục",
    "record_rolled_back": "Khôi phục phiên bản cũ của thủ tục",
    # The catalogue, a spreadsheet at a time
    "import_saved": "Nhập bảng tính",
    "import_submitted": "Gửi duyệt đợt nhập bảng tính",
    "import_withdrawn": "Rút đợt nhập bảng tính",
    "import_published": "Xuất bản đợt nhập bảng tính",
    "import_rejected": "Trả lại đợt nhập bảng tính",
    # The inbox, hand-offs, dossiers
    "labelled": "Gán nhãn câu hỏi",
    "inbox_export": "Tải dữ liệu huấn luyện",
    "handoff_taken": "Nhận hỗ trợ trực tiếp",
    "handoff_take_undone": "Huỷ nhận hỗ trợ trực tiếp",
    "handoff_reply": "Trả lời công dân",
    "handoff_released": "Trả cuộc trò chuyện cho trợ lý",
    "handoff_closed": "Đóng yêu cầu hỗ trợ trực tiếp",
    "dossier_step": "Chuyển bước hồ sơ",
    # Names of the first plan, kept so older entries still read well
    "draft_saved": "Lưu bản nháp",
    "submitted": "Gửi duyệt",
    "withdrawn": "Rút bản nháp",
    "published": "Xuất bản",
    "rejected": "Trả lại bản nháp",
    "rolled_back": "Khôi phục phiên bản cũ",
    "import": "Nhập bảng tính",
}


def action_label(action: str) -> str:
    """The action's Vietnamese name; an action nobody named yet is shown as written."""
    return ACTION_LABELS.get(action, action)


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    username: str
    action: str
    target: str
    detail: dict[str, Any] | None = None


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    total: int  # entries matching the filter, on every page


def record(
    conn: Connection,
    actor: Account | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Adds an entry inside the caller's transaction. ``actor`` None is the system (the
    command line, a replica acting on its own)."""
    conn.execute(
        audit_log.insert().values(
            at=dt.datetime.now(dt.timezone.utc),
            account_id=actor.id if actor else None,
            username=actor.username if actor else SYSTEM,
            action=action,
            target=target[:200],
            detail=detail,
        )
    )


def log(
    actor: Account | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    engine: Engine | None = None,
) -> None:
    """Adds an entry in a transaction of its own."""
    with (engine or db.engine()).begin() as conn:
        record(conn, actor, action, target, detail)


def _filtered(query: Select[Any], username: str | None, action: str | None) -> Select[Any]:
    if username:
        query = query.where(audit_log.c.username == username)
    if action:
        query = query.where(audit_log.c.action == action)
    return query


def _entry(row: Any) -> AuditEntry:
    at: dt.datetime = row["at"]
    return AuditEntry(
        id=row["id"],
        at=at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc),  # SQLite: naive UTC
        username=row["username"],
        action=row["action"],
        target=row["target"],
        detail=row["detail"],
    )


def entries(
    engine: Engine | None = None,
    *,
    username: str | None = None,
    action: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEntry]:
    """The newest entries first, optionally of one officer or one kind of action."""
    query = _filtered(select(audit_log), username, action)
    query = query.order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    with (engine or db.engine()).connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [_entry(row) for row in rows]


def page(
    engine: Engine | None = None,
    *,
    username: str | None = None,
    action: str | None = None,
    size: int = 50,
    number: int = 1,
) -> AuditPage:
    """Page ``number`` (from 1) of the filtered log, with the count of all its entries."""
    engine = engine or db.engine()
    count = _filtered(select(func.count()).select_from(audit_log), username, action)
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
    found = entries(
        engine, username=username, action=action, limit=size, offset=(max(number, 1) - 1) * size
    )
    return AuditPage(entries=found, total=total)


def every_entry(
    engine: Engine | None = None,
    *,
    username: str | None = None,
    action: str | None = None,
    batch: int = 1000,
) -> Iterator[AuditEntry]:
    """All matching entries, newest first, read in batches (for the CSV export: the log
    grows without bound, a year of it need not sit in memory at once)."""
    engine = engine or db.engine()
    last_id = None
    while True:
        query = _filtered(select(audit_log), username, action)
        if last_id is not None:
            query = query.where(audit_log.c.id < last_id)
        with engine.connect() as conn:
            rows = conn.execute(query.order_by(audit_log.c.id.desc()).limit(batch)).mappings()
            found = [_entry(row) for row in rows]
        yield from found
        if len(found) < batch:
            return
        last_id = found[-1].id


def usernames(engine: Engine | None = None) -> list[str]:
    """Everyone who has an entry, for the page's filter (the log outlives accounts)."""
    query = select(audit_log.c.username).distinct().order_by(audit_log.c.username)
    with (engine or db.engine()).connect() as conn:
        return list(conn.execute(query).scalars())


def actions(engine: Engine | None = None) -> list[str]:
    """Every action the log holds, named ones first, for the page's filter."""
    with (engine or db.engine()).connect() as conn:
        seen = set(conn.execute(select(audit_log.c.action).distinct()).scalars())
    return [a for a in ACTION_LABELS if a in seen] + sorted(seen - ACTION_LABELS.keys())
