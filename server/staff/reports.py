"""The console's reports: how much the assistant is used, how well it answers, how long
citizens wait for an officer, and which dossiers are late.

Days are Vietnam days (UTC+7), and a range includes both its first and last day: a message
logged at 23:30 UTC belongs to the next Vietnamese day. The queries only select the rows of
the range (bounded by the indexed ``created_at``) and group them here in Python, because
SQLite and PostgreSQL name their date functions differently; a department's few thousand
rows a day make that cheap.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import Engine, select

from knowledge.catalogue import Catalogue
from server import db
from server.core.config import get_settings
from server.dossiers import DossierBackendError, DossierStore
from server.dossiers.models import VN_TZ, today_vn
from server.dossiers.staff_update import dossier_store
from server.staff.report_models import (
    ConversationsDay,
    HandoffDay,
    OverdueDossier,
    ProcedureCount,
    Report,
    SatisfactionDay,
    UnansweredDay,
)

# What Rasa says when it did not understand (bot.components.grouped_fallback_classifier) or
# when the question is not about education procedures (bot/domain/general.yml).
UNANSWERED_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
MAX_DAYS = 366
TOP_PROCEDURES = 10
OVERDUE_LIMIT = 500


class ReportError(ValueError):
    """A range the reports refuse, with the reason in Vietnamese for the page."""


class _Said(NamedTuple):
    """A citizen's message, as the reports read it."""

    created_at: dt.datetime
    channel: str
    sender_hash: str
    intent: str | None
    confidence: float | None
    procedure_id: str | None


class _Rated(NamedTuple):
    created_at: dt.datetime
    satisfied: bool


class _Asked(NamedTuple):
    """A hand-off request."""

    created_at: dt.datetime
    taken_at: dt.datetime | None
    status: str


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes: they hold UTC digits."""
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def vn_day(at: dt.datetime) -> dt.date:
    return _utc(at).astimezone(VN_TZ).date()


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants from the first moment of ``start`` to just after ``end``, VN time."""
    first = dt.datetime.combine(start, dt.time(0), VN_TZ)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), VN_TZ)
    return first.astimezone(dt.timezone.utc), after.astimezone(dt.timezone.utc)


def check_range(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ReportError("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.")
    if (end - start).days + 1 > MAX_DAYS:
        raise ReportError(f"Mỗi báo cáo tối đa {MAX_DAYS} ngày.")


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: a wait that 9 in 10 requests did not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _rate(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _sums(counts: Iterable[list[int]]) -> list[int]:
    """Column sums of [hits, total] pairs: the whole range's line."""
    listed = list(counts)
    return [sum(c[0] for c in listed), sum(c[1] for c in listed)]


def _handoff_day(day: dt.date | None, rows: Iterable[tuple[float | None, bool]]) -> HandoffDay:
    """``rows``: (minutes until taken or None, still waiting) per request."""
    listed = list(rows)
    waits = [m for m, _ in listed if m is not None]
    return HandoffDay(
        day=day,
        requests=len(listed),
        taken=len(waits),
        waiting=sum(1 for _, waiting in listed if waiting),
        median_minutes=statistics.median(waits) if waits else None,
        p90_minutes=p90(waits),
    )


class Reports:
    def __init__(
        self,
        engine: Engine | None = None,
        catalogue: Catalogue | None = None,
        dossiers: DossierStore | None = None,
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._dossiers = dossiers

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    def _name(self, procedure_id: str) -> str:
        procedure = self._catalogue.get(procedure_id) if self._catalogue is not None else None
        return procedure.name if procedure is not None else procedure_id

    def build(self, start: dt.date, end: dt.date, today: dt.date | None = None) -> Report:
        """The report of the Vietnam days ``start`` to ``end``, both included; the overdue
        dossiers are those of ``today`` (default: today in Vietnam)."""
        check_range(start, end)
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        first, after = bounds(start, end)
        messages, ratings, handoffs = db.chat_messages, db.ratings, db.handoff_requests
        with self.engine.connect() as conn:
            said = [
                _Said(*row)
                for row in conn.execute(
                    select(
                        messages.c.created_at,
                        messages.c.channel,
                        messages.c.sender_hash,
                        messages.c.intent,
                        messages.c.confidence,
                        messages.c.procedure_id,
                    )
                    .where(messages.c.direction == "in")
                    .where(messages.c.created_at >= first, messages.c.created_at < after)
                )
            ]
            rated = [
                _Rated(*row)
                for row in conn.execute(
                    select(ratings.c.created_at, ratings.c.satisfied).where(
                        ratings.c.created_at >= first, ratings.c.created_at < after
                    )
                )
            ]
            asked = [
                _Asked(*row)
                for row in conn.execute(
                    select(handoffs.c.created_at, handoffs.c.taken_at, handoffs.c.status).where(
                        handoffs.c.created_at >= first, handoffs.c.created_at < after
                    )
                )
            ]
        low = get_settings().inbox_low_confidence
        today = today or today_vn()
        unanswered = _unanswered(days, said, low)
        satisfaction = _satisfaction(days, rated)
        waits = _handoffs(days, asked)
        return Report(
            start=start,
            end=end,
            today=today,
            channels=sorted({row.channel for row in said}),
            conversations=_conversations(days, said),
            conversations_total=len({row.sender_hash for row in said}),
            procedures=self._procedures(said),
            unanswered=unanswered[:-1],
            unanswered_overall=unanswered[-1],
            low_confidence=low,
            satisfaction=satisfaction[:-1],
            satisfaction_overall=satisfaction[-1],
            handoffs=waits[:-1],
            handoffs_overall=waits[-1],
            overdue=self._overdue(today),
        )

    def _procedures(self, said: Sequence[_Said]) -> list[ProcedureCount]:
        asked: dict[str, set[str]] = defaultdict(set)
        for row in said:
            if row.procedure_id:
                asked[row.procedure_id].add(row.sender_hash)
        counts = [
            ProcedureCount(procedure_id=pid, name=self._name(pid), conversations=len(who))
            for pid, who in asked.items()
        ]
        counts.sort(key=lambda c: (-c.conversations, c.name))
        return counts[:TOP_PROCEDURES]

    def _overdue(self, today: dt.date) -> list[OverdueDossier] | None:
        store = self._dossiers or dossier_store()
        try:
            found = store.open_dossiers(today, OVERDUE_LIMIT)
        except DossierBackendError:
            return None
        return [
            OverdueDossier(
                code=d.code,
                procedure_name=self._name(d.procedure_id),
                due_on=d.due_on,
                step=d.step,
                days_overdue=(today - d.due_on).days,
            )
            for d in found
            if d.is_overdue(today)
        ]


def _conversations(days: list[dt.date], said: Sequence[_Said]) -> list[ConversationsDay]:
    per_channel: dict[tuple[dt.date, str], set[str]] = defaultdict(set)
    per_day: dict[dt.date, set[str]] = defaultdict(set)
    for row in said:
        day = vn_day(row.created_at)
        per_channel[day, row.channel].add(row.sender_hash)
        per_day[day].add(row.sender_hash)
    channels = sorted({channel for _, channel in per_channel})
    return [
        ConversationsDay(
            day=day,
            by_channel={c: len(per_channel.get((day, c), ())) for c in channels},
            total=len(per_day.get(day, ())),
        )
        for day in days
    ]


def _unanswered(days: list[dt.date], said: Sequence[_Said], low: float) -> list[UnansweredDay]:
    """One row per day, then the whole range. A message is unanswered when Rasa fell
    back, found it out of scope, or understood it below ``low`` (the inbox's threshold)."""
    tally = {day: [0, 0] for day in days}
    for row in said:
        unsure = row.confidence is not None and row.confidence < low
        counts = tally[vn_day(row.created_at)]
        counts[0] += int(row.intent in UNANSWERED_INTENTS or unsure)
        counts[1] += 1
    rows = [*tally.items(), (None, _sums(tally.values()))]
    return [
        UnansweredDay(day=day, unanswered=missed, messages=total, rate=_rate(missed, total))
        for day, (missed, total) in rows
    ]


def _satisfaction(days: list[dt.date], rated: Sequence[_Rated]) -> list[SatisfactionDay]:
    """One row per day, then the whole range."""
    tally = {day: [0, 0] for day in days}
    for row in rated:
        counts = tally[vn_day(row.created_at)]
        counts[0] += int(bool(row.satisfied))
        counts[1] += 1
    rows = [*tally.items(), (None, _sums(tally.values()))]
    return [
        SatisfactionDay(day=day, satisfied=good, ratings=total, rate=_rate(good, total))
        for day, (good, total) in rows
    ]


def _handoffs(days: list[dt.date], asked: Sequence[_Asked]) -> list[HandoffDay]:
    """One row per day a request was made, then the whole range."""
    per_day: dict[dt.date, list[tuple[float | None, bool]]] = {day: [] for day in days}
    for row in asked:
        created = _utc(row.created_at)
        taken = (_utc(row.taken_at) - created).total_seconds() / 60 if row.taken_at else None
        per_day[vn_day(created)].append((taken, row.status == "open"))
    everything = [r for rows in per_day.values() for r in rows]
    return [
        *(_handoff_day(day, rows) for day, rows in per_day.items()),
        _handoff_day(None, everything),
    ]
