"""Imports of a procedure list: the drafts of one spreadsheet, saved, submitted, published,
sent back or withdrawn together, never record by record, since a half-applied list leaves
the catalogue saying two things at once (:mod:`server.staff.catalogue_import`)."""

from __future__ import annotations

import secrets

from knowledge.models import Procedure
from server.staff import audit
from server.staff import version_store as store
from server.staff.accounts import Account, Role
from server.staff.tables import record_versions
from server.staff.version_rules import (
    NOT_YOURS,
    OPEN,
    VersionTable,
    need,
    publishable,
    reason,
)
from server.staff.version_store import Status, Version, VersionRefused

_T = record_versions.c


class ImportBatches(VersionTable):
    """The moves of whole imports; :class:`server.staff.catalogue_versions.CatalogueVersions`
    adds those of single records."""

    def batch(self, batch_id: str) -> list[Version]:
        query = store.version_query().where(_T.batch_id == batch_id)
        return self._read(query.order_by(_T.procedure_id))

    def draft_batches(self, actor: Account) -> dict[str, list[Version]]:
        """The officer's imports not submitted yet, by batch id."""
        query = store.version_query().where(
            _T.status == Status.draft.value, _T.created_by == actor.id, _T.batch_id.is_not(None)
        )
        found: dict[str, list[Version]] = {}
        for version in self._read(query.order_by(_T.id)):
            found.setdefault(version.batch_id or "", []).append(version)
        return found

    def save_import(
        self,
        actor: Account,
        records: dict[str, Procedure],
        note: str,
        bases: dict[str, int] | None = None,
    ) -> str:
        """Every draft of one import in one transaction, all or none; returns the batch id.
        ``bases``: the published versions the records were read from (``snapshot()``);
        by default the current ones."""
        need(actor, Role.editor)
        if not records:
            raise VersionRefused("Dạ, bảng tính không có thay đổi nào để lưu ạ.")
        if any(record.id != procedure_id for procedure_id, record in records.items()):
            raise VersionRefused("Dạ, bản cập nhật không khớp mã hồ sơ thủ tục ạ.")
        bodies = {procedure_id: store.body_of(record) for procedure_id, record in records.items()}
        batch_id = secrets.token_hex(8)
        with self.engine.begin() as conn:
            self._check(conn, bodies)
            bases = store.current_ids(conn) if bases is None else bases
            for procedure_id, body in sorted(bodies.items()):
                store.insert(
                    conn,
                    actor,
                    procedure_id,
                    Status.draft,
                    body=body,
                    base_version_id=bases.get(procedure_id),
                    note=note.strip(),
                    batch_id=batch_id,
                )
            detail = {"records": sorted(bodies)}
            audit.record(conn, actor, "import_saved", batch_id, detail)
        return batch_id

    def submit_batch(self, actor: Account, batch_id: str) -> None:
        self._own_batch(actor, batch_id, (Status.draft,), Status.submitted, "import_submitted")

    def withdraw_batch(self, actor: Account, batch_id: str) -> None:
        self._own_batch(actor, batch_id, OPEN, Status.withdrawn, "import_withdrawn")

    def _own_batch(
        self, actor: Account, batch_id: str, old: tuple[Status, ...], new: Status, action: str
    ) -> None:
        need(actor, Role.editor)
        with self.engine.begin() as conn:
            rows = store.fetch_batch(conn, batch_id, *old)
            if rows[0]["created_by"] != actor.id:
                raise VersionRefused(NOT_YOURS, 403)
            ids = [row["id"] for row in rows]
            store.move(conn, ids, old, new)
            audit.record(conn, actor, action, batch_id, {"versions": ids})

    def reject_batch(self, actor: Account, batch_id: str, review_note: str) -> None:
        need(actor, Role.reviewer)
        reason(review_note)
        with self.engine.begin() as conn:
            ids = [row["id"] for row in store.fetch_batch(conn, batch_id, Status.submitted)]
            store.move(conn, ids, (Status.submitted,), Status.rejected, actor, review_note)
            audit.record(conn, actor, "import_rejected", batch_id, {"versions": ids})

    def publish_batch(self, actor: Account, batch_id: str, review_note: str = "") -> None:
        """Publishes every record of a submitted import at once, or none of them."""
        need(actor, Role.reviewer)
        with self.engine.begin() as conn:
            store.lock_publishing(conn)
            rows = store.fetch_batch(conn, batch_id, Status.submitted)
            publishable(conn, actor, rows)
            self._check(conn, {row["procedure_id"]: row["body"] for row in rows})
            ids = [row["id"] for row in rows]
            store.move(conn, ids, (Status.submitted,), Status.published, actor, review_note)
            audit.record(conn, actor, "import_published", batch_id, {"versions": ids})
