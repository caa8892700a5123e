"""The rules every move of a catalogue version obeys, shared by the single-record moves
(:mod:`server.staff.catalogue_versions`) and those of an import
(:mod:`server.staff.import_batches`): roles, four eyes, stale drafts, a valid catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping

from server import db
from server.core.config import get_settings
from server.staff import version_store as store
from server.staff.accounts import Account, Role
from server.staff.version_store import Status, Version, VersionRefused

OPEN = (Status.draft, Status.submitted)
NOT_YOURS = "Dạ, chỉ người soạn bản này mới thao tác được ạ."


def need(actor: Account, role: Role) -> None:
    if not actor.can(role):
        what = "biên tập" if role is Role.editor else "duyệt"
        raise VersionRefused(f"Dạ, tài khoản của anh/chị không có quyền {what} thủ tục ạ.", 403)


def single(row: RowMapping) -> RowMapping:
    """A version outside any import: an import moves as a whole, never record by record."""
    if row["batch_id"] is not None:
        raise VersionRefused(
            "Dạ, bản này thuộc một lần nhập bảng tính; xin xử lý cả lần nhập cùng lúc ạ.", 409
        )
    return row


def reason(review_note: str) -> None:
    if not review_note.strip():
        raise VersionRefused("Dạ, xin ghi lý do trả lại để người biên tập sửa ạ.")


def publishable(conn: Connection, actor: Account, rows: list[RowMapping]) -> None:
    """Four eyes, and no version whose record was published again since it was started."""
    if any(row["created_by"] == actor.id for row in rows):
        raise VersionRefused(
            "Dạ, anh/chị không thể tự duyệt bản do chính mình soạn (nguyên tắc hai người); "
            "xin nhờ một cán bộ duyệt khác ạ.",
            403,
        )
    current = store.current_ids(conn)
    stale = [
        r["procedure_id"] for r in rows if current.get(r["procedure_id"]) != r["base_version_id"]
    ]
    if stale:
        raise VersionRefused(
            f"Dạ, sau khi bản này được soạn, đã có người xuất bản một phiên bản khác của "
            f"{', '.join(sorted(stale))}; xuất bản bản này sẽ xoá mất thay đổi đó. Xin trả "
            "lại để người biên tập sửa lại từ bản hiện hành ạ.",
            409,
        )


class VersionTable:
    """The record_versions table and the catalogue checked against. Without an engine: the
    app database of the settings; without folder and overrides: the settings' catalogue."""

    def __init__(
        self,
        engine: Engine | None = None,
        folder: Path | None = None,
        overrides: Path | None = None,
    ) -> None:
        self._engine = engine
        self._folder = folder
        self._overrides = overrides

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    def _read(self, query: Any) -> list[Version]:
        with self.engine.connect() as conn:
            return store.read_versions(conn, query)

    def _paths(self) -> tuple[Path, Path]:
        settings = get_settings()
        return (
            self._folder or settings.catalogue_dir,
            self._overrides or settings.local_overrides_file,
        )

    def _check(self, conn: Connection, bodies: dict[str, dict[str, Any]]) -> None:
        """Loads the whole catalogue with ``bodies`` published too; refuses what breaks it."""
        store.check_catalogue(conn, *self._paths(), bodies)
