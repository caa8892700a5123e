"""Versions of catalogue records: drafts, review, publishing, rollback.

An editor saves a change to a record as a draft and submits it; a reviewer publishes it or
sends it back with a note. The bot answers from the newest *published* body of each
procedure, laid over the YAML files (:class:`PublishedRecords`, which every replica's
:class:`knowledge.catalogue.Catalogue` polls every ``CATALOGUE_POLL_S``).

The rules, checked here and not only by the pages:

- Four eyes: a reviewer never publishes a version they created, not even one who also holds
  the editor role. A rollback is the exception: it restores a body another reviewer already
  published, and it must work at once when a wrong fact is live.
- A draft remembers the published version it started from. When another version of the
  record was published since, the draft is *stale* and publishing it is refused: it would
  silently undo that change. The editor edits again from the current version.
- Before anything is saved or published, the whole catalogue is loaded with it (the files,
  every published record, the local overrides): a duplicate national code or an override
  that no longer fits never reaches the bot.
- Publishing and rollback take one lock (PostgreSQL advisory lock, SQLite's write lock), so
  two reviewers on two replicas cannot both pass the checks against the same state.
- Published rows are history, never changed or deleted (a rollback publishes a new row
  with the old body), so their count grows with every publish and rollback: the cheap
  revision each replica polls.
- Every change writes its audit entry in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select, update

from knowledge.catalogue import Snapshot
from knowledge.models import Procedure
from server import db
from server.staff import audit
from server.staff import version_store as store
from server.staff.accounts import Account, Role
from server.staff.import_batches import ImportBatches
from server.staff.tables import record_versions
from server.staff.version_rules import NOT_YOURS, OPEN, need, publishable, reason, single
from server.staff.version_store import Status, Version, VersionRefused

__all__ = ["CatalogueVersions", "PublishedRecords", "Status", "Version", "VersionRefused"]

_T = record_versions.c


class PublishedRecords:
    """The published layer of the catalogue: knowledge's ``PublishedSource`` on the app
    database, so every replica answers from what was published, without a restart."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    def revision(self) -> int:
        with (self._engine or db.engine()).connect() as conn:
            return store.published_count(conn)

    def records(self) -> dict[str, dict[str, Any]]:
        with (self._engine or db.engine()).connect() as conn:
            return store.published_bodies(conn)


class CatalogueVersions(ImportBatches):
    """The versions of every record: reading them, and the single-record moves."""

    # Reading

    def get(self, version_id: int) -> Version | None:
        found = self._read(store.version_query().where(_T.id == version_id))
        return found[0] if found else None

    def versions(self, procedure_id: str) -> list[Version]:
        """Every version of a record, newest first."""
        query = store.version_query().where(_T.procedure_id == procedure_id)
        return self._read(query.order_by(_T.id.desc()))

    def pending(self) -> list[Version]:
        """What waits for a reviewer, oldest first."""
        query = store.version_query().where(_T.status == Status.submitted.value)
        return self._read(query.order_by(_T.id))

    def current(self, procedure_id: str) -> Version | None:
        """The published version the bot answers from; None while it answers from the file."""
        newest = select(func.max(_T.id)).where(
            _T.procedure_id == procedure_id, _T.status == Status.published.value
        )
        found = self._read(store.version_query().where(_T.id == newest.scalar_subquery()))
        return found[0] if found else None

    def current_ids(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return store.current_ids(conn)

    def snapshot(self) -> tuple[Snapshot, dict[str, int]]:
        """The catalogue as the database has it now, with the published version of each
        record it was read from: a draft built on it names its true base, even when this
        replica's catalogue has not polled the latest publish yet."""
        with self.engine.connect() as conn:
            ids = store.current_ids(conn)
            bodies = store.published_bodies(conn, ids)
        folder, overrides = self._paths()
        return store.load_catalogue(folder, overrides, bodies), ids

    def open_draft(self, actor: Account, procedure_id: str) -> Version | None:
        """The officer's newest unsubmitted draft of a record, outside any import."""
        query = store.version_query().where(
            _T.procedure_id == procedure_id,
            _T.status == Status.draft.value,
            _T.created_by == actor.id,
            _T.batch_id.is_(None),
        )
        found = self._read(query.order_by(_T.id.desc()).limit(1))
        return found[0] if found else None

    def in_progress(self) -> dict[str, Status]:
        """Procedure id -> submitted when a version waits for review, else draft if one is open."""
        query = select(_T.procedure_id, _T.status).where(_T.status.in_([s.value for s in OPEN]))
        found: dict[str, Status] = {}
        with self.engine.connect() as conn:
            for procedure_id, status in conn.execute(query):
                if found.get(procedure_id) is not Status.submitted:
                    found[procedure_id] = Status(status)
        return found

    # Editing

    def save_draft(
        self,
        actor: Account,
        record: Procedure,
        note: str,
        base_version_id: int | None,
        draft_id: int | None = None,
    ) -> Version:
        """A new draft, or the officer's own open draft ``draft_id`` changed in place."""
        need(actor, Role.editor)
        body = store.body_of(record)
        values = {"body": body, "note": note.strip(), "base_version_id": base_version_id}
        with self.engine.begin() as conn:
            self._check(conn, {record.id: body})
            if base_version_id is not None:
                base = store.fetch_row(conn, base_version_id, Status.published)
                if base["procedure_id"] != record.id:
                    raise VersionRefused("Dạ, bản gốc không thuộc thủ tục này ạ.")
            if draft_id is None:
                version_id = store.insert(conn, actor, record.id, Status.draft, **values)
            else:
                row = store.fetch_row(conn, draft_id, Status.draft)
                if row["created_by"] != actor.id or row["procedure_id"] != record.id:
                    raise VersionRefused(NOT_YOURS, 403)
                conn.execute(update(record_versions).where(_T.id == draft_id).values(**values))
                version_id = draft_id
            audit.record(conn, actor, "record_draft_saved", record.id, {"version": version_id})
        saved = self.get(version_id)
        assert saved is not None
        return saved

    def submit(self, actor: Account, version_id: int) -> None:
        self._own_move(actor, version_id, (Status.draft,), Status.submitted, "record_submitted")

    def withdraw(self, actor: Account, version_id: int) -> None:
        """Cancels the officer's draft, or takes back what they submitted."""
        self._own_move(actor, version_id, OPEN, Status.withdrawn, "record_withdrawn")

    def _own_move(
        self, actor: Account, version_id: int, old: tuple[Status, ...], new: Status, action: str
    ) -> None:
        need(actor, Role.editor)
        with self.engine.begin() as conn:
            row = single(store.fetch_row(conn, version_id, *old))
            if row["created_by"] != actor.id:
                raise VersionRefused(NOT_YOURS, 403)
            store.move(conn, [version_id], old, new)
            audit.record(conn, actor, action, row["procedure_id"], {"version": version_id})

    # Reviewing

    def reject(self, actor: Account, version_id: int, review_note: str) -> None:
        need(actor, Role.reviewer)
        reason(review_note)
        with self.engine.begin() as conn:
            row = single(store.fetch_row(conn, version_id, Status.submitted))
            store.move(conn, [version_id], (Status.submitted,), Status.rejected, actor, review_note)
            detail = {"version": version_id}
            audit.record(conn, actor, "record_rejected", row["procedure_id"], detail)

    def publish(self, actor: Account, version_id: int, review_note: str = "") -> None:
        """Publishes a submitted version: four eyes, not stale, the catalogue still valid."""
        need(actor, Role.reviewer)
        with self.engine.begin() as conn:
            store.lock_publishing(conn)
            row = single(store.fetch_row(conn, version_id, Status.submitted))
            publishable(conn, actor, [row])
            self._check(conn, {row["procedure_id"]: row["body"]})
            submitted = (Status.submitted,)
            store.move(conn, [version_id], submitted, Status.published, actor, review_note)
            detail = {"version": version_id}
            audit.record(conn, actor, "record_published", row["procedure_id"], detail)

    def rollback(self, actor: Account, procedure_id: str, version_id: int) -> int:
        """Publishes the body of an earlier published version again, as a new version."""
        need(actor, Role.reviewer)
        with self.engine.begin() as conn:
            store.lock_publishing(conn)
            row = store.fetch_row(conn, version_id, Status.published)
            if row["procedure_id"] != procedure_id:
                raise VersionRefused("Dạ, phiên bản này không thuộc thủ tục đã chọn ạ.", 404)
            current = store.current_ids(conn).get(procedure_id)
            if current == version_id:
                raise VersionRefused("Dạ, phiên bản này đang được dùng rồi ạ.", 409)
            self._check(conn, {procedure_id: row["body"]})
            stamp = store.now()
            new_id = store.insert(
                conn,
                actor,
                procedure_id,
                Status.published,
                body=row["body"],
                base_version_id=current,
                note=f"Khôi phục phiên bản #{version_id}",
                reviewed_by=actor.id,
                reviewed_at=stamp,
                published_at=stamp,
            )
            detail = {"version": new_id, "restored": version_id}
            audit.record(conn, actor, "record_rolled_back", procedure_id, detail)
        return new_id

    def is_stale(self, version: Version) -> bool:
        """Whether another version was published since this one was started."""
        return self.current_ids().get(version.procedure_id) != version.base_version_id
