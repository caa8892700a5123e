"""The reports' numbers, computed from rows seeded at known moments (SQLite and PostgreSQL).

The range is 1–3 March 2026, Vietnam days: from 28/02 17:00 UTC to 03/03 17:00 UTC. Rows
just outside it on either side must not count, and a row at 23:30 UTC belongs to the next
Vietnamese day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from knowledge.catalogue import Catalogue
from server import db
from server.core.config import get_settings
from server.dossiers import DossierBackendError
from server.dossiers.models import Dossier, Step
from server.dossiers.seed import seed
from server.dossiers.sql import SqlDossierStore
from server.staff.report_models import HandoffDay, SatisfactionDay, UnansweredDay
from server.staff.reports import ReportError, Reports, bounds, p90

pytestmark = pytest.mark.both_databases

START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 3)
MAR1, MAR2, MAR3 = START, dt.date(2026, 3, 2), END
TODAY = dt.date(2026, 3, 10)
COPY = "cap-ban-sao-van-bang-tu-so-goc"
RECHECK = "phuc-khao-bai-thi-tuyen-sinh-lop-10"
UNKNOWN = "khong-co-trong-danh-muc"


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.timezone.utc)


def message(
    at: dt.datetime,
    sender: str,
    channel: str = "web",
    direction: str = "in",
    intent: str | None = None,
    confidence: float | None = None,
    procedure_id: str | None = None,
) -> dict[str, Any]:
    return {
        "created_at": at,
        "sender_hash": sender,
        "channel": channel,
        "direction": direction,
        "text": "…",
        "intent": intent,
        "confidence": confidence,
        "procedure_id": procedure_id,
    }


MESSAGES = [
    message(utc(28, 16, 59, month=2), "x"),  # 23:59 on 28/02 in Vietnam: before the range
    message(utc(28, 17, month=2), "a", intent="ask_fee", confidence=0.95, procedure_id=COPY),
    message(utc(1, 2), "a", intent="nlu_fallback", confidence=0.3),
    message(utc(1, 3), "b", "telegram", intent="out_of_scope", confidence=0.99,
            procedure_id=UNKNOWN),
    message(utc(1, 23, 30), "a", intent="ask_documents", confidence=0.5, procedure_id=COPY),
    message(utc(2, 5), "c", "zalo", intent="ask_fee", confidence=0.8, procedure_id=RECHECK),
    message(utc(2, 5, 1), "c", "zalo", direction="out"),  # the bot: never counted
    message(utc(3, 16, 59), "b", "telegram", procedure_id=RECHECK),  # 23:59 on 03/03
    message(utc(3, 17), "z", intent="nlu_fallback"),  # 00:00 on 04/03: after the range
]  # fmt: skip
RATINGS = [
    (utc(28, 16, 59, month=2), False),
    (utc(1, 1), True),
    (utc(1, 2), True),
    (utc(1, 3), False),
    (utc(2, 23, 30), True),  # 06:30 on 03/03
]
HANDOFFS = [  # created, taken, status
    (utc(1, 1), utc(1, 1, 5), "closed"),
    (utc(1, 2), utc(1, 2, 10), "taken"),
    (utc(1, 3), utc(1, 3, 30), "closed"),
    (utc(1, 4), None, "open"),
    (utc(1, 23, 30), None, "closed"),  # 02/03: the citizen left before anyone took it
    (utc(3, 17), None, "open"),  # 04/03
]


def seed_rows() -> None:
    with db.engine().begin() as conn:
        conn.execute(db.chat_messages.insert(), MESSAGES)
        conn.execute(
            db.ratings.insert(),
            [{"created_at": at, "sender_hash": "r", "satisfied": ok} for at, ok in RATINGS],
        )
        conn.execute(
            db.handoff_requests.insert(),
            [
                {"created_at": c, "taken_at": t, "status": s, "sender_hash": "h", "channel": "web"}
                for c, t, s in HANDOFFS
            ],
        )


def build() -> Any:
    seed_rows()
    seed(today=TODAY)
    catalogue = Catalogue(get_settings().catalogue_dir)
    return Reports(catalogue=catalogue).build(START, END, today=TODAY), catalogue


def test_conversations_per_vietnam_day_and_channel() -> None:
    report, _ = build()
    assert report.channels == ["telegram", "web", "zalo"]
    assert [(d.day, d.by_channel, d.total) for d in report.conversations] == [
        (MAR1, {"telegram": 1, "web": 1, "zalo": 0}, 2),
        (MAR2, {"telegram": 0, "web": 1, "zalo": 1}, 2),
        (MAR3, {"telegram": 1, "web": 0, "zalo": 0}, 1),
    ]
    assert report.conversations_total == 3


def test_top_procedures_count_conversations_with_catalogue_names() -> None:
    report, catalogue = build()
    names = {pid: catalogue.get(pid).name for pid in (COPY, RECHECK)}  # type: ignore[union-attr]
    assert [(p.procedure_id, p.name, p.conversations) for p in report.procedures] == [
        (RECHECK, names[RECHECK], 2),
        (COPY, names[COPY], 1),  # two messages, one conversation
        (UNKNOWN, UNKNOWN, 1),  # not in the catalogue: its id
    ]


def test_unanswered_rate_per_day() -> None:
    report, _ = build()
    assert report.low_confidence == 0.6
    assert report.unanswered == [
        UnansweredDay(day=MAR1, unanswered=2, messages=3, rate=2 / 3),
        UnansweredDay(day=MAR2, unanswered=1, messages=2, rate=0.5),  # low confidence
        UnansweredDay(day=MAR3, unanswered=0, messages=1, rate=0.0),
    ]
    assert report.unanswered_overall == UnansweredDay(day=None, unanswered=3, messages=6, rate=0.5)


def test_satisfaction_per_day_and_overall_against_the_goal() -> None:
    report, _ = build()
    assert report.satisfaction == [
        SatisfactionDay(day=MAR1, satisfied=2, ratings=3, rate=2 / 3),
        SatisfactionDay(day=MAR2, satisfied=0, ratings=0, rate=None),
        SatisfactionDay(day=MAR3, satisfied=1, ratings=1, rate=1.0),
    ]
    assert report.satisfaction_overall == SatisfactionDay(
        day=None, satisfied=3, ratings=4, rate=0.75
    )
    assert report.satisfaction_goal == 0.95


def test_handoff_waiting_times() -> None:
    report, _ = build()
    assert report.handoffs == [
        HandoffDay(day=MAR1, requests=4, taken=3, waiting=1, median_minutes=10, p90_minutes=30),
        HandoffDay(day=MAR2, requests=1, taken=0, waiting=0, median_minutes=None,
                   p90_minutes=None),
        HandoffDay(day=MAR3, requests=0, taken=0, waiting=0, median_minutes=None,
                   p90_minutes=None),
    ]  # fmt: skip
    assert report.handoffs_overall == HandoffDay(
        day=None, requests=5, taken=3, waiting=1, median_minutes=10, p90_minutes=30
    )


def test_overdue_dossiers_now() -> None:
    report, catalogue = build()
    (late,) = report.overdue
    assert (late.code[-4:], late.days_overdue, late.step) == ("9006", 4, Step.processing)
    assert late.procedure_name == catalogue.get("thanh-lap-trung-tam-ngoai-ngu-tin-hoc").name  # type: ignore[union-attr]
    assert late.due_on == TODAY - dt.timedelta(days=4)


class DownStore:
    def get(self, code: str) -> Dossier | None:
        raise DossierBackendError("down")

    def update_step(self, *args: object) -> Dossier | None:
        raise DossierBackendError("down")

    def open_dossiers(self, today: dt.date, limit: int) -> list[Dossier]:
        raise DossierBackendError("down")


def test_a_silent_dossier_store_leaves_the_rest_of_the_report() -> None:
    seed_rows()
    report = Reports(dossiers=DownStore()).build(START, END, today=TODAY)
    assert report.overdue is None
    assert report.conversations_total == 3
    # Without a catalogue the procedures keep their ids.
    assert [p.name for p in report.procedures] == [RECHECK, COPY, UNKNOWN]


def test_an_empty_database_gives_zeroes_for_every_day() -> None:
    report = Reports(dossiers=SqlDossierStore()).build(START, START, today=TODAY)
    assert [(d.day, d.total) for d in report.conversations] == [(START, 0)]
    assert report.unanswered_overall.rate is None and report.satisfaction_overall.rate is None
    assert report.handoffs_overall.median_minutes is None
    assert report.procedures == [] and report.overdue == []


def test_ranges_are_checked() -> None:
    with pytest.raises(ReportError, match="trước"):
        Reports().build(END, START)
    with pytest.raises(ReportError, match="366"):
        Reports().build(START, START + dt.timedelta(days=366))


def test_bounds_are_vietnam_midnights() -> None:
    assert bounds(START, END) == (utc(28, 17, month=2), utc(3, 17))


def test_p90_is_the_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([7.0]) == 7.0
    assert p90([float(i) for i in range(10, 0, -1)]) == 9.0
    assert p90([float(i) for i in range(1, 21)]) == 18.0
