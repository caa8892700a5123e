"""What citizens asked that the assistant did not handle well, and the officers' labels.

A citizen message comes to the inbox for any of four reasons: the NLU fell back (it did not
understand), it understood with low confidence (below INBOX_LOW_CONFIDENCE), it took the
question for one outside education procedures, or the citizen rated the conversation
unsatisfied within the hour after asking (the rating's own button press is no question).
The reasons are computed when the inbox is read, not stored, so a new threshold or a late
rating applies to every message at once. An officer labels a message with the intent and
procedure it was about (or marks it out of scope); the labels become training data through
:mod:`server.staff.inbox_export`, as text to download.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from knowledge.catalogue import Snapshot
from server import db
from server.core.config import get_settings
from server.dossiers.models import VN_TZ
from server.staff import audit
from server.staff.accounts import Account
from server.staff.inbox_export import (
    FALLBACK_INTENT,
    OUT_OF_SCOPE_INTENT,
    RATE_INTENT,
    LabelledText,
    TrainingExport,
    TrainingFiles,
    build_export,
    domain_intents,
)
from server.staff.inbox_models import (
    InboxError,
    InboxFilters,
    InboxItem,
    InboxLabel,
    InboxPage,
    Labelled,
    Reason,
)
from server.staff.tables import inbox_labels, staff_accounts

__all__ = [
    "Inbox",
    "InboxError",
    "InboxFilters",
    "InboxItem",
    "InboxLabel",
    "InboxPage",
    "Labelled",
    "Reason",
    "TrainingExport",
]

UNSATISFIED_WINDOW = dt.timedelta(hours=1)  # questions this long before a bad rating
_m, _l, _a, _r = db.chat_messages, inbox_labels, staff_accounts, db.ratings


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive times: they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _vn_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), VN_TZ).astimezone(dt.timezone.utc)


def _window_before(column: Any, dialect: str) -> ColumnElement[Any]:
    """``column`` minus the unsatisfied window, in SQL: the two databases write date
    arithmetic apart."""
    if dialect == "sqlite":  # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff', compared as text
        seconds = int(UNSATISFIED_WINDOW.total_seconds())
        return func.strftime("%Y-%m-%d %H:%M:%f", column, f"-{seconds} seconds")
    return column - literal(UNSATISFIED_WINDOW)  # type: ignore[no-any-return]


def reason_conditions(dialect: str, threshold: float) -> dict[Reason, ColumnElement[bool]]:
    """One SQL condition per reason, on ``chat_messages``."""
    bad_rating_soon_after = exists().where(
        _r.c.sender_hash == _m.c.sender_hash,
        _r.c.satisfied.is_(False),
        _r.c.created_at >= _m.c.created_at,
        _window_before(_r.c.created_at, dialect) <= _m.c.created_at,
    )
    return {
        Reason.fallback: _m.c.intent == FALLBACK_INTENT,
        Reason.low_confidence: and_(_m.c.confidence.is_not(None), _m.c.confidence < threshold),
        Reason.out_of_scope: _m.c.intent == OUT_OF_SCOPE_INTENT,
        Reason.unsatisfied: and_(
            or_(_m.c.intent.is_(None), _m.c.intent != RATE_INTENT), bad_rating_soon_after
        ),
    }


class Inbox:
    """The inbox on the app database. Without an engine: the database of the settings."""

    def __init__(self, engine: Engine | None = None, files: TrainingFiles | None = None) -> None:
        self._engine = engine
        self.files = files or TrainingFiles()

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    def intents(self) -> list[str]:
        """The intents an officer may label with, sorted."""
        return sorted(domain_intents(self.files.domain_dir))

    def _query(self, filters: InboxFilters, dialect: str) -> Select[Any]:
        conditions = reason_conditions(dialect, get_settings().inbox_low_confidence)
        wanted = [conditions[filters.reason]] if filters.reason else list(conditions.values())
        query = (
            select(
                _m.c.id,
                _m.c.created_at,
                _m.c.channel,
                _m.c.text,
                _m.c.intent,
                _m.c.confidence,
                _m.c.procedure_id,
                *(case((c, True), else_=False).label(r.value) for r, c in conditions.items()),
                _l.c.intent.label("label_intent"),
                _l.c.procedure_id.label("label_procedure_id"),
                _l.c.out_of_scope.label("label_out_of_scope"),
                _l.c.labelled_at,
                _a.c.full_name.label("labelled_by"),
            )
            .select_from(
                _m.outerjoin(_l, _l.c.message_id == _m.c.id).outerjoin(
                    _a, _a.c.id == _l.c.labelled_by
                )
            )
            .where(_m.c.direction == "in", or_(*wanted))
        )
        if filters.labelled is Labelled.unlabelled:
            query = query.where(_l.c.message_id.is_(None))
        elif filters.labelled is Labelled.labelled:
            query = query.where(_l.c.message_id.is_not(None))
        if filters.date_from:
            query = query.where(_m.c.created_at >= _vn_midnight(filters.date_from))
        if filters.date_to:
            end = _vn_midnight(filters.date_to + dt.timedelta(days=1))
            query = query.where(_m.c.created_at < end)
        if filters.channel:
            query = query.where(_m.c.channel == filters.channel)
        if filters.intent:
            query = query.where(_m.c.intent == filters.intent)
        if filters.confidence_max is not None:
            query = query.where(_m.c.confidence <= filters.confidence_max)
        if filters.procedure_id:  # what the assistant took it for, or an officer's label
            query = query.where(
                or_(
                    _m.c.procedure_id == filters.procedure_id,
                    _l.c.procedure_id == filters.procedure_id,
                )
            )
        return query

    def items(self, filters: InboxFilters | None = None) -> InboxPage:
        """The messages matching ``filters``, newest first, one page of them."""
        filters = filters or InboxFilters()
        with self.engine.connect() as conn:
            query = self._query(filters, conn.dialect.name)
            total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = (
                conn.execute(
                    query.order_by(_m.c.created_at.desc(), _m.c.id.desc())
                    .limit(filters.per_page)
                    .offset((filters.page - 1) * filters.per_page)
                )
                .mappings()
                .all()
            )
        items = [
            InboxItem(
                id=row["id"],
                created_at=_utc(row["created_at"]),
                channel=row["channel"],
                text=row["text"],
                intent=row["intent"],
                confidence=row["confidence"],
                procedure_id=row["procedure_id"],
                reasons=[reason for reason in Reason if row[reason.value]],
                label=None
                if row["labelled_at"] is None
                else InboxLabel(
                    intent=row["label_intent"],
                    procedure_id=row["label_procedure_id"],
                    out_of_scope=row["label_out_of_scope"],
                    labelled_by=row["labelled_by"] or "",
                    labelled_at=_utc(row["labelled_at"]),
                ),
            )
            for row in rows
        ]
        return InboxPage(items=items, total=total, page=filters.page, per_page=filters.per_page)

    def _checked(
        self,
        intent: str | None,
        procedure_id: str | None,
        out_of_scope: bool,
        catalogue: Snapshot,
    ) -> tuple[str | None, str | None, bool]:
        """The label as stored: "out of scope" and the out_of_scope intent are one label."""
        intent, procedure_id = intent or None, procedure_id or None
        if intent == OUT_OF_SCOPE_INTENT:
            out_of_scope = True
        if out_of_scope:
            if intent not in (None, OUT_OF_SCOPE_INTENT) or procedure_id:
                raise InboxError("Câu hỏi ngoài phạm vi thì không chọn ý định hay thủ tục khác ạ.")
            return OUT_OF_SCOPE_INTENT, None, True
        if intent is None and procedure_id is None:
            raise InboxError("Anh/chị chọn ý định, thủ tục, hoặc đánh dấu ngoài phạm vi ạ.")
        if intent is not None and intent not in domain_intents(self.files.domain_dir):
            raise InboxError(f"Trợ lý không có ý định “{intent}”.")
        if procedure_id is not None and procedure_id not in catalogue.procedures:
            raise InboxError(f"Không có thủ tục mã “{procedure_id}” trong danh mục.")
        return intent, procedure_id, False

    def label(
        self,
        actor: Account,
        message_id: int,
        intent: str | None,
        procedure_id: str | None,
        out_of_scope: bool,
        catalogue: Snapshot,
    ) -> InboxLabel:
        """Sets (or replaces) the label of a citizen message, with its audit entry."""
        intent, procedure_id, out_of_scope = self._checked(
            intent, procedure_id, out_of_scope, catalogue
        )
        now = dt.datetime.now(dt.timezone.utc)
        values = {
            "intent": intent,
            "procedure_id": procedure_id,
            "out_of_scope": out_of_scope,
            "labelled_by": actor.id,
            "labelled_at": now,
        }
        with self.engine.begin() as conn:
            direction = conn.execute(
                select(_m.c.direction).where(_m.c.id == message_id)
            ).scalar_one_or_none()
            if direction != "in":
                raise InboxError("Không tìm thấy câu hỏi này của công dân.")
            previous = (
                conn.execute(
                    select(_l.c.intent, _l.c.procedure_id, _l.c.out_of_scope).where(
                        _l.c.message_id == message_id
                    )
                )
                .mappings()
                .first()
            )
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(_l).values(message_id=message_id, **values)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[_l.c.message_id],
                    set_={name: insert.excluded[name] for name in values},
                )
            )
            audit.record(
                conn,
                actor,
                "labelled",
                f"message {message_id}",
                {
                    "intent": intent,
                    "procedure_id": procedure_id,
                    "out_of_scope": out_of_scope,
                    "previous": dict(previous) if previous else None,
                },
            )
        return InboxLabel(
            intent=intent,
            procedure_id=procedure_id,
            out_of_scope=out_of_scope,
            labelled_by=actor.full_name,
            labelled_at=now,
        )

    def export(self, since: dt.date | None = None) -> TrainingExport:
        """The labels (given on or after the Vietnam date ``since``) as training data text.

        Writes no file: the officer downloads the text (see :mod:`server.staff.inbox_export`)."""
        query = (
            select(_m.c.text, _l.c.intent, _l.c.procedure_id, _l.c.out_of_scope)
            .select_from(_l.join(_m, _m.c.id == _l.c.message_id))
            .order_by(_l.c.labelled_at.desc(), _m.c.id.desc())
        )
        if since:
            query = query.where(_l.c.labelled_at >= _vn_midnight(since))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        labelled = [
            LabelledText(r.text, r.intent, r.procedure_id, bool(r.out_of_scope)) for r in rows
        ]
        day = dt.datetime.now(VN_TZ).date().isoformat()
        header = (
            f"# Exported from the staff console inbox on {day}: citizens' questions"
            " labelled by officers (masked)."
        )
        return build_export(labelled, self.files, header)
