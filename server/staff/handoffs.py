"""The live hand-off queue: citizens who asked for an officer, and the officer answering.

A request is ``open`` (waiting) when the chat service reads ``action_handoff``'s machine
message, ``taken`` when an officer takes it (the console then pauses Rasa, so only the
officer answers), and ``closed`` when the officer hands the conversation back to the
assistant or closes a request that needs no answer. Every step is one conditional UPDATE
(``WHERE status = …``), so two officers clicking at once cannot both take a request, and
its audit entry is written in the same transaction. The platform user id, which only the
gateway knows and which the officer's messages need, is kept while the request lives and
cleared when it closes; the console never shows it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Connection, Engine, Row, Select, and_, select, update

from knowledge.department import VN_TZ, WEEKDAYS, OfficeHours, load_department
from knowledge.vietnamese import normalize_unicode
from server import db
from server.core.config import get_settings
from server.core.privacy import mask_personal_data
from server.core.security import sender_hash
from server.records import LoggedMessage, Records, utc
from server.staff import audit
from server.staff.accounts import Account
from server.staff.tables import staff_accounts

Status = Literal["open", "taken", "closed"]
# Where a conversation's request stands for the citizen: asked for, or an officer answers.
HandoffState = Literal["waiting", "taken"]
MAX_REPLY_CHARS = 2000  # Zalo's limit for one text message; Telegram's is 4096
_LIVE = ("open", "taken")
_STATE: dict[str, HandoffState] = {"open": "waiting", "taken": "taken"}
_table = db.handoff_requests
_LOOK_BACK = dt.timedelta(days=31)


class HandoffError(ValueError):
    """A step the queue refuses, with the reason in Vietnamese for the officer."""


class HandoffConflict(HandoffError):
    """Refused because of where the request stands (taken by another, closed, …)."""


class Handoff(BaseModel):
    """A request as officers see it: no platform user id."""

    id: int
    created_at: dt.datetime
    channel: str | None
    procedure_id: str | None
    last_message: str
    status: Status
    taken_by: int | None = None
    taken_by_name: str | None = None
    taken_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    waiting_minutes: int  # until an officer took it, or until now
    overdue: bool  # still waiting after HANDOFF_MAX_WAIT_MINUTES of office time


class HandoffDetail(BaseModel):
    handoff: Handoff
    messages: list[LoggedMessage]  # masked, oldest first


class Recipient(BaseModel):
    """Whom an officer's message goes to: for the chat service, never for a page."""

    channel: str
    user_id: str
    conversation: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def office_minutes(hours: OfficeHours, start: dt.datetime, end: dt.datetime) -> float:
    """Minutes of office time between ``start`` and ``end``: a request made on Friday
    evening is not overdue on Monday at 7:35."""
    start = max(start, end - _LOOK_BACK)  # older than that is overdue whatever we count
    total = dt.timedelta()
    day, last = start.astimezone(VN_TZ).date(), end.astimezone(VN_TZ).date()
    while day <= last:
        if WEEKDAYS[day.weekday()] in hours.days:
            for period in hours.periods:
                opens = max(dt.datetime.combine(day, period.start, VN_TZ), start)
                closes = min(dt.datetime.combine(day, period.end, VN_TZ), end)
                total += max(closes - opens, dt.timedelta())
        day += dt.timedelta(days=1)
    return total.total_seconds() / 60


class Handoffs:
    """The queue. Without an engine: the app database of the settings; without office
    hours: the department file's."""

    def __init__(self, engine: Engine | None = None, hours: OfficeHours | None = None) -> None:
        self._engine = engine
        self._hours = hours

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    @property
    def hours(self) -> OfficeHours:
        return self._hours or load_department(get_settings().department_file).office_hours

    # The gateway's side

    def open(
        self,
        channel: str,
        user_id: str,
        conversation: str,
        procedure_id: str | None,
        last_message: str,
    ) -> HandoffState:
        """Queues a request for ``conversation``, unless one is waiting or taken already;
        returns where the conversation's request stands. ``last_message`` is masked."""
        with self.engine.begin() as conn:
            live = self._live_status(conn, conversation)
            if live is not None:
                return _STATE[live]
            conn.execute(
                _table.insert().values(
                    created_at=_now(),
                    sender_hash=sender_hash(conversation),
                    channel=channel,
                    conversation=conversation,
                    user_id=user_id,
                    procedure_id=procedure_id[:120] if procedure_id else None,
                    last_message=mask_personal_data(last_message)[:2000],
                    status="open",
                )
            )
        return "waiting"

    def state(self, conversation: str) -> HandoffState | None:
        with self.engine.connect() as conn:
            live = self._live_status(conn, conversation)
        return _STATE[live] if live else None

    # The console's side

    def queue(self, now: dt.datetime | None = None) -> list[Handoff]:
        """Waiting and taken requests, oldest first."""
        query = _select().where(_table.c.status.in_(_LIVE)).order_by(_table.c.id)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        now, hours = now or _now(), self.hours
        return [_handoff(row, now, hours) for row in rows]

    def get(self, handoff_id: int, now: dt.datetime | None = None) -> HandoffDetail | None:
        """A request with its conversation so far; None if there is no such request."""
        with self.engine.connect() as conn:
            row = conn.execute(_select().where(_table.c.id == handoff_id)).first()
        if row is None:
            return None
        messages = Records(self._engine).history(row.conversation) if row.conversation else []
        return HandoffDetail(handoff=_handoff(row, now or _now(), self.hours), messages=messages)

    def take(self, actor: Account, handoff_id: int) -> Recipient:
        """Gives a waiting request to ``actor``; the console then pauses the assistant."""
        with self.engine.begin() as conn:
            row = self._row(conn, handoff_id)
            taken = conn.execute(
                update(_table)
                .where(_table.c.id == handoff_id, _table.c.status == "open")
                .values(status="taken", taken_by=actor.id, taken_at=_now())
            ).rowcount
            if not taken:
                raise HandoffConflict(self._refusal(conn, handoff_id, "take"))
            recipient = _recipient(row)  # a request from before the console cannot be taken
            audit.record(conn, actor, "handoff_taken", _target(handoff_id))
        return recipient

    def undo_take(self, actor: Account, handoff_id: int) -> None:
        """Puts a request ``actor`` just took back in the queue (the assistant could not
        be paused, so the officer cannot answer alone)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(_table)
                .where(_held_by(actor, handoff_id))
                .values(status="open", taken_by=None, taken_at=None)
            )
            audit.record(conn, actor, "handoff_take_undone", _target(handoff_id))

    def reply(self, actor: Account, handoff_id: int, text: str) -> tuple[Recipient, str]:
        """Checks an officer's message to the citizen; returns whom to send it to and the
        text to send: normalised and masked, as the chat log will hold it, so the citizen
        reads on every channel what the console shows (the audit keeps only its length)."""
        cleaned = normalize_unicode(text).strip()
        if not cleaned:
            raise HandoffError("Tin nhắn trống.")
        if len(cleaned) > MAX_REPLY_CHARS:
            raise HandoffError(f"Tin nhắn dài quá {MAX_REPLY_CHARS:,} ký tự.".replace(",", "."))
        with self.engine.begin() as conn:
            row = self._row(conn, handoff_id)
            if row.status != "taken" or row.taken_by != actor.id:
                raise HandoffConflict(self._refusal(conn, handoff_id, "reply"))
            recipient = _recipient(row)
            audit.record(conn, actor, "handoff_reply", _target(handoff_id), {"chars": len(cleaned)})
        return recipient, mask_personal_data(cleaned)

    def holder(self, actor: Account, handoff_id: int) -> Recipient:
        """Whom ``actor``'s request is with, checking that ``actor`` holds it (before the
        console hands the conversation back, which it does before :meth:`release`, so a
        widget sees the assistant's words while the request still shows as taken)."""
        with self.engine.connect() as conn:
            row = self._row(conn, handoff_id)
            if row.status != "taken" or row.taken_by != actor.id:
                raise HandoffConflict(self._refusal(conn, handoff_id, "release"))
        return _recipient(row)

    def release(self, actor: Account, handoff_id: int) -> None:
        """Closes ``actor``'s request once the assistant has it back, and forgets the
        platform user id."""
        with self.engine.begin() as conn:
            released = conn.execute(
                update(_table)
                .where(_held_by(actor, handoff_id))
                .values(status="closed", closed_at=_now(), user_id=None)
            ).rowcount
            if not released:
                raise HandoffConflict(self._refusal(conn, handoff_id, "release"))
            audit.record(conn, actor, "handoff_released", _target(handoff_id))

    def close(self, actor: Account, handoff_id: int) -> None:
        """Closes a waiting request that needs no answer (asked by mistake, solved by
        phone); the assistant was never paused, so it just goes on."""
        with self.engine.begin() as conn:
            self._row(conn, handoff_id)
            closed = conn.execute(
                update(_table)
                .where(_table.c.id == handoff_id, _table.c.status == "open")
                .values(status="closed", closed_at=_now(), user_id=None)
            ).rowcount
            if not closed:
                raise HandoffConflict(self._refusal(conn, handoff_id, "close"))
            audit.record(conn, actor, "handoff_closed", _target(handoff_id))

    # Helpers

    def _live_status(self, conn: Connection, conversation: str) -> str | None:
        query = (
            select(_table.c.status)
            .where(_table.c.conversation == conversation, _table.c.status.in_(_LIVE))
            .limit(1)
        )
        status: str | None = conn.execute(query).scalar()
        return status

    def _row(self, conn: Connection, handoff_id: int) -> Row[tuple[object, ...]]:
        row = conn.execute(select(_table).where(_table.c.id == handoff_id)).first()
        if row is None:
            raise HandoffError("Không tìm thấy yêu cầu này.")
        return row

    def _refusal(self, conn: Connection, handoff_id: int, step: str) -> str:
        """Why ``step`` was refused, read after the conditional UPDATE found nothing."""
        row = self._row(conn, handoff_id)
        if row.status == "closed":
            return "Yêu cầu này đã kết thúc."
        if step == "take":
            return "Yêu cầu này đã có cán bộ khác nhận."
        if step == "close":
            return "Chỉ đóng được yêu cầu đang chờ; cuộc trò chuyện đã nhận thì trả lại cho trợ lý."
        if row.status == "open":
            return "Anh/chị cần nhận cuộc trò chuyện trước."
        return "Cuộc trò chuyện này do cán bộ khác hỗ trợ."


def _target(handoff_id: int) -> str:
    return f"handoff:{handoff_id}"


def _held_by(actor: Account, handoff_id: int) -> ColumnElement[bool]:
    return and_(
        _table.c.id == handoff_id, _table.c.status == "taken", _table.c.taken_by == actor.id
    )


def _select() -> Select[tuple[object, ...]]:
    taker = staff_accounts.c.full_name.label("taken_by_name")
    return select(_table, taker).outerjoin(staff_accounts, staff_accounts.c.id == _table.c.taken_by)


def _recipient(row: Row[tuple[object, ...]]) -> Recipient:
    mapping = row._mapping
    if not (mapping["channel"] and mapping["user_id"] and mapping["conversation"]):
        raise HandoffError(
            "Yêu cầu này không còn thông tin để nhắn cho công dân (yêu cầu cũ hoặc đã kết thúc)."
        )
    return Recipient(
        channel=mapping["channel"], user_id=mapping["user_id"], conversation=mapping["conversation"]
    )


def _handoff(row: Row[tuple[object, ...]], now: dt.datetime, hours: OfficeHours) -> Handoff:
    m = row._mapping
    created = utc(m["created_at"])
    taken_at = utc(m["taken_at"]) if m["taken_at"] else None
    waited_until = taken_at or now
    waiting = m["status"] == "open"
    limit = get_settings().handoff_max_wait_minutes
    return Handoff(
        id=m["id"],
        created_at=created,
        channel=m["channel"],
        procedure_id=m["procedure_id"],
        last_message=m["last_message"] or "",
        status=m["status"],
        taken_by=m["taken_by"],
        taken_by_name=m["taken_by_name"],
        taken_at=taken_at,
        closed_at=utc(m["closed_at"]) if m["closed_at"] else None,
        waiting_minutes=max(0, int((waited_until - created).total_seconds() // 60)),
        overdue=waiting and office_minutes(hours, created, now) > limit,
    )
