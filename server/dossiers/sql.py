"""Dossiers in the app database (SQLite by default, PostgreSQL by DATABASE_URL).

Tables are SQLAlchemy Core on the shared :data:`server.db.metadata`, written in portable
SQL only, so the same code runs on both engines. Times are stored in UTC: SQLite keeps no
time zone, so every value read back is made aware as UTC before it leaves this module.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Sequence

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    RowMapping,
    String,
    Table,
    Text,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from server import db
from server.dossiers.models import FINISHED_STEPS, Dossier, Step, StepEvent, utc_now
from server.dossiers.store import DossierBackendError

dossiers = Table(
    "dossiers",
    db.metadata,
    Column("code", String(40), primary_key=True),  # canonical form
    Column("procedure_id", String(120), nullable=False),
    Column("applicant_name", String(200), nullable=False),
    Column("phone_last4", String(4), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("step", String(32), nullable=False),
    Column("step_note", Text),
    Column("pickup_place", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

dossier_steps = Table(
    "dossier_steps",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "code",
        String(40),
        ForeignKey("dossiers.code", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("step", String(32), nullable=False),
    Column("happened_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
)

# Failed lookups, kept in the database so that a restart does not reset the rate limit.
# The key is a hash (of the sender id, or of the code tried), never the value itself.
lookup_failures = Table(
    "dossier_lookup_failures",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("key_hash", String(64), nullable=False),
    Column("happened_at", DateTime(timezone=True), nullable=False, index=True),
    Index("ix_dossier_lookup_failures_key_time", "key_hash", "happened_at"),
)

_prepared: weakref.WeakSet[Engine] = weakref.WeakSet()


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def _to_db(value: dt.datetime) -> dt.datetime:
    """Aware UTC: PostgreSQL keeps the instant, SQLite the UTC digits (it drops the zone),
    so comparisons in SQL are right on both."""
    return value.astimezone(dt.timezone.utc)


def prepared(engine: Engine | None = None) -> Engine:
    """The engine to use, migrated to the newest schema (an engine a test made itself
    is not, until it gets here)."""
    eng = engine if engine is not None else db.engine()
    if eng not in _prepared:
        db.migrate(eng)
        _prepared.add(eng)
    return eng


def _dossier(row: RowMapping, events: Sequence[RowMapping]) -> Dossier:
    return Dossier(
        code=row["code"],
        procedure_id=row["procedure_id"],
        applicant_name=row["applicant_name"],
        phone_last4=row["phone_last4"],
        received_on=row["received_on"],
        due_on=row["due_on"],
        step=Step(row["step"]),
        step_note=row["step_note"],
        pickup_place=row["pickup_place"],
        history=tuple(
            StepEvent(step=Step(e["step"]), at=_utc(e["happened_at"]), note=e["note"])
            for e in events
        ),
    )


def _read(conn: Connection, code: str) -> Dossier | None:
    row = conn.execute(select(dossiers).where(dossiers.c.code == code)).mappings().first()
    return None if row is None else _with_history(conn, [row])[0]


def _with_history(conn: Connection, rows: Sequence[RowMapping]) -> list[Dossier]:
    """The dossiers of ``rows`` with their histories, read in one query."""
    if not rows:
        return []
    events: dict[str, list[RowMapping]] = {row["code"]: [] for row in rows}
    for event in conn.execute(
        select(dossier_steps)
        .where(dossier_steps.c.code.in_(list(events)))
        .order_by(dossier_steps.c.happened_at, dossier_steps.c.id)
    ).mappings():
        events[event["code"]].append(event)
    return [_dossier(row, events[row["code"]]) for row in rows]


class SqlDossierStore:
    """The default store. Without an engine it uses the app database of the current
    settings, looked up at each call so tests can point the settings elsewhere."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    def get(self, code: str) -> Dossier | None:
        try:
            with prepared(self._engine).connect() as conn:
                return _read(conn, code)
        except SQLAlchemyError as exc:
            raise DossierBackendError(f"dossier database: {type(exc).__name__}") from exc

    def update_step(
        self, code: str, step: Step, note: str | None = None, at: dt.datetime | None = None
    ) -> Dossier | None:
        when = _to_db(at or utc_now())
        try:
            with prepared(self._engine).begin() as conn:
                changed = conn.execute(
                    update(dossiers)
                    .where(dossiers.c.code == code)
                    .values(step=step.value, step_note=note, updated_at=when)
                ).rowcount
                if not changed:
                    return None
                conn.execute(
                    dossier_steps.insert().values(
                        code=code, step=step.value, happened_at=when, note=note
                    )
                )
                return _read(conn, code)
        except SQLAlchemyError as exc:
            raise DossierBackendError(f"dossier database: {type(exc).__name__}") from exc

    def open_dossiers(self, today: dt.date, limit: int) -> list[Dossier]:
        overdue_first = case((dossiers.c.due_on < today, 0), else_=1)
        query = (
            select(dossiers)
            .where(dossiers.c.step.not_in([s.value for s in FINISHED_STEPS]))
            .order_by(overdue_first, dossiers.c.due_on, dossiers.c.code)
            .limit(max(0, limit))
        )
        try:
            with prepared(self._engine).connect() as conn:
                return _with_history(conn, conn.execute(query).mappings().all())
        except SQLAlchemyError as exc:
            raise DossierBackendError(f"dossier database: {type(exc).__name__}") from exc

    def add(self, dossier: Dossier) -> bool:
        """Inserts a dossier with its history unless its code exists; True if inserted."""
        last = dossier.history[-1].at if dossier.history else utc_now()
        try:
            with prepared(self._engine).begin() as conn:
                if conn.execute(
                    select(dossiers.c.code).where(dossiers.c.code == dossier.code)
                ).first():
                    return False
                conn.execute(
                    dossiers.insert().values(
                        code=dossier.code,
                        procedure_id=dossier.procedure_id,
                        applicant_name=dossier.applicant_name,
                        phone_last4=dossier.phone_last4,
                        received_on=dossier.received_on,
                        due_on=dossier.due_on,
                        step=dossier.step.value,
                        step_note=dossier.step_note,
                        pickup_place=dossier.pickup_place,
                        updated_at=_to_db(last),
                    )
                )
                if dossier.history:
                    conn.execute(
                        dossier_steps.insert(),
                        [
                            {
                                "code": dossier.code,
                                "step": e.step.value,
                                "happened_at": _to_db(e.at),
                                "note": e.note,
                            }
                            for e in dossier.history
                        ],
                    )
        except IntegrityError:
            return False  # inserted meanwhile by another process
        return True

    def count(self) -> int:
        with prepared(self._engine).connect() as conn:
            return int(conn.execute(select(func.count()).select_from(dossiers)).scalar_one())


class SqlFailureLog:
    """Failed lookups per key, for the rate limit in :mod:`server.dossiers.lookup`."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    def failures_since(self, key_hash: str, since: dt.datetime) -> list[dt.datetime]:
        try:
            with prepared(self._engine).connect() as conn:
                rows = conn.execute(
                    select(lookup_failures.c.happened_at)
                    .where(lookup_failures.c.key_hash == key_hash)
                    .where(lookup_failures.c.happened_at >= _to_db(since))
                    .order_by(lookup_failures.c.happened_at)
                ).scalars()
                return [_utc(t) for t in rows]
        except SQLAlchemyError as exc:
            raise DossierBackendError(f"lookup log: {type(exc).__name__}") from exc

    def record(self, key_hashes: list[str], at: dt.datetime, forget_before: dt.datetime) -> None:
        """Stores one failure under each key, and drops failures too old to matter."""
        try:
            with prepared(self._engine).begin() as conn:
                conn.execute(
                    delete(lookup_failures).where(
                        lookup_failures.c.happened_at < _to_db(forget_before)
                    )
                )
                conn.execute(
                    lookup_failures.insert(),
                    [{"key_hash": k, "happened_at": _to_db(at)} for k in key_hashes],
                )
        except SQLAlchemyError as exc:
            raise DossierBackendError(f"lookup log: {type(exc).__name__}") from exc
