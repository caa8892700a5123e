"""The record_versions table underneath :mod:`server.staff.catalogue_versions`: the
version model, its statuses, and the reads and writes the rules are made of.

Nothing here decides who may do what; the service does, and calls these inside its own
transaction so that a change and its audit entry commit together.
"""

from __future__ import annotations

import datetime as dt
import threading
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, RowMapping, Select, func, select, text, update

from knowledge.catalogue import CatalogueError, RecordFiles, Snapshot, load_all
from knowledge.models import Procedure
from server.staff.accounts import Account
from server.staff.tables import record_versions, staff_accounts

_T = record_versions.c
PUBLISH_LOCK = 20261201  # the advisory lock that serialises publishing on PostgreSQL
MOVED = "Dạ, phiên bản này vừa được xử lý hoặc đổi trạng thái; xin tải lại trang ạ."


class Status(str, Enum):
    draft = "draft"  # the editor's work, seen by nobody else
    submitted = "submitted"  # waiting for a reviewer
    published = "published"  # the bot answers from the newest of these
    rejected = "rejected"  # sent back with the reviewer's note
    withdrawn = "withdrawn"  # cancelled by its editor


STATUS_LABELS = {
    Status.draft: "Bản nháp",
    Status.submitted: "Chờ duyệt",
    Status.published: "Đã xuất bản",
    Status.rejected: "Bị trả lại",
    Status.withdrawn: "Đã huỷ",
}


class VersionRefused(ValueError):
    """A change the rules refuse; ``message`` is for the officer, ``status`` for the page."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Version(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    procedure_id: str
    status: Status
    body: dict[str, Any]  # the record, as its YAML file would hold it
    base_version_id: int | None  # the published version it started from; None = the file
    batch_id: str | None  # the spreadsheet import it came from
    note: str
    created_by: int
    author: str
    created_at: dt.datetime
    reviewed_by: int | None = None
    reviewer: str | None = None
    reviewed_at: dt.datetime | None = None
    review_note: str | None = None
    published_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    def record(self) -> Procedure:
        return Procedure.model_validate(self.body)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive times: they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)


def body_of(record: Procedure) -> dict[str, Any]:
    """A record as stored: the shape of its YAML file."""
    return record.model_dump(mode="json", exclude_none=True)


# Reading

_author = staff_accounts.alias("author")
_reviewer = staff_accounts.alias("reviewer")


def version_query() -> Select[Any]:
    """Versions with the names of their author and reviewer."""
    joined = record_versions.join(_author, _author.c.id == _T.created_by).outerjoin(
        _reviewer, _reviewer.c.id == _T.reviewed_by
    )
    names = (_author.c.full_name.label("author"), _reviewer.c.full_name.label("reviewer"))
    return select(record_versions, *names).select_from(joined)


def read_versions(conn: Connection, query: Select[Any]) -> list[Version]:
    return [_version(row) for row in conn.execute(query).mappings()]


def _version(row: RowMapping) -> Version:
    created_at = _utc(row["created_at"])
    assert created_at is not None
    return Version(
        id=row["id"],
        procedure_id=row["procedure_id"],
        status=Status(row["status"]),
        body=row["body"],
        base_version_id=row["base_version_id"],
        batch_id=row["batch_id"],
        note=row["note"] or "",
        created_by=row["created_by"],
        author=row["author"],
        created_at=created_at,
        reviewed_by=row["reviewed_by"],
        reviewer=row["reviewer"],
        reviewed_at=_utc(row["reviewed_at"]),
        review_note=row["review_note"],
        published_at=_utc(row["published_at"]),
    )


def current_ids(conn: Connection) -> dict[str, int]:
    """Procedure id -> its newest published version. Each publish and rollback adds or
    promotes a version younger than the one it replaces, so the newest is the largest id."""
    query = (
        select(_T.procedure_id, func.max(_T.id))
        .where(_T.status == Status.published.value)
        .group_by(_T.procedure_id)
    )
    return {procedure_id: version_id for procedure_id, version_id in conn.execute(query)}


def published_bodies(
    conn: Connection, ids: dict[str, int] | None = None
) -> dict[str, dict[str, Any]]:
    """Procedure id -> the body the bot answers from (of the versions ``ids``, if given)."""
    newest = list((current_ids(conn) if ids is None else ids).values())
    if not newest:
        return {}
    rows = conn.execute(select(_T.procedure_id, _T.body).where(_T.id.in_(newest)))
    return {procedure_id: body for procedure_id, body in rows}


def published_count(conn: Connection) -> int:
    query = select(func.count()).where(_T.status == Status.published.value)
    return int(conn.execute(query).scalar_one())


def fetch_row(conn: Connection, version_id: int, *statuses: Status) -> RowMapping:
    """The row to change, if it is still in one of ``statuses`` (any, when none given)."""
    row = conn.execute(select(record_versions).where(_T.id == version_id)).mappings().first()
    if row is None:
        raise VersionRefused("Dạ, không tìm thấy phiên bản này ạ.", 404)
    if statuses and row["status"] not in {s.value for s in statuses}:
        raise VersionRefused(MOVED, 409)
    return row


def fetch_batch(conn: Connection, batch_id: str, *statuses: Status) -> list[RowMapping]:
    """Every row of an import, if all are still in one of ``statuses``."""
    query = select(record_versions).where(_T.batch_id == batch_id).order_by(_T.id)
    rows = list(conn.execute(query).mappings())
    if not rows:
        raise VersionRefused("Dạ, không tìm thấy lần nhập này ạ.", 404)
    if any(row["status"] not in {s.value for s in statuses} for row in rows):
        raise VersionRefused(MOVED, 409)
    return rows


# Writing


def lock_publishing(conn: Connection) -> None:
    """Serialises publishing across replicas; must be the transaction's first statement."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLISH_LOCK})
    else:  # a write takes SQLite's lock now, so the checks read what the last one committed
        conn.execute(update(record_versions).where(_T.id < 0).values(status=_T.status))


def move(
    conn: Connection,
    ids: list[int],
    old: tuple[Status, ...],
    new: Status,
    reviewer: Account | None = None,
    review_note: str = "",
) -> None:
    """Changes the status of rows still in ``old``; a racing click finds none left."""
    values: dict[str, Any] = {"status": new.value}
    if reviewer is not None:
        stamp = now()
        values.update(reviewed_by=reviewer.id, reviewed_at=stamp, review_note=review_note.strip())
        if new is Status.published:
            values["published_at"] = stamp
    query = update(record_versions).where(_T.id.in_(ids), _T.status.in_([s.value for s in old]))
    if conn.execute(query.values(**values)).rowcount != len(ids):
        raise VersionRefused(MOVED, 409)


def insert(
    conn: Connection, actor: Account, procedure_id: str, status: Status, **values: Any
) -> int:
    inserted = conn.execute(
        record_versions.insert().values(
            procedure_id=procedure_id,
            status=status.value,
            created_by=actor.id,
            created_at=now(),
            **values,
        )
    ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


_files: dict[Path, RecordFiles] = {}
_files_lock = threading.Lock()


def load_catalogue(folder: Path, overrides: Path, published: dict[str, dict[str, Any]]) -> Snapshot:
    """The whole catalogue as the bot loads it: the files, the ``published`` bodies and the
    department's local overrides; a :class:`VersionRefused` saying what would break."""
    with _files_lock:  # one parse cache per folder: a check must not re-read every file
        files = _files.setdefault(folder, RecordFiles())
    try:
        return load_all(folder, overrides, published, files=files)
    except CatalogueError as exc:
        raise VersionRefused(
            f"Dạ, danh mục sẽ có lỗi nếu dùng bản này nên chưa lưu được ạ: {exc}"
        ) from exc


def check_catalogue(
    conn: Connection, folder: Path, overrides: Path, bodies: dict[str, dict[str, Any]]
) -> None:
    """Loads the whole catalogue as the bot would with ``bodies`` published too."""
    load_catalogue(folder, overrides, {**published_bodies(conn), **bodies})
