"""The tables of a report (:mod:`server.staff.reports`), as the console shows and exports them.

Every per-day table has one row per Vietnam day of the range, days without activity
included, so a chart has no holes where nothing happened; ``day`` None is the whole range.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from server.dossiers.models import Step

SATISFACTION_GOAL = 0.95  # the department's target share of satisfied ratings


class ConversationsDay(BaseModel):
    day: dt.date
    by_channel: dict[str, int]  # conversations per channel
    total: int


class ProcedureCount(BaseModel):
    procedure_id: str
    name: str
    conversations: int


class UnansweredDay(BaseModel):
    day: dt.date | None  # None: the whole range
    unanswered: int
    messages: int
    rate: float | None  # None without messages


class SatisfactionDay(BaseModel):
    day: dt.date | None  # None: the whole range
    satisfied: int
    ratings: int
    rate: float | None  # None without ratings


class HandoffDay(BaseModel):
    day: dt.date | None  # None: the whole range
    requests: int
    taken: int
    waiting: int  # still open: nobody has taken them yet
    median_minutes: float | None  # from the request to an officer taking it
    p90_minutes: float | None


class OverdueDossier(BaseModel):
    code: str
    procedure_name: str
    due_on: dt.date
    step: Step
    days_overdue: int


class Report(BaseModel):
    start: dt.date
    end: dt.date
    today: dt.date
    channels: list[str]
    conversations: list[ConversationsDay]
    conversations_total: int  # distinct conversations over the whole range
    procedures: list[ProcedureCount]
    unanswered: list[UnansweredDay]
    unanswered_overall: UnansweredDay
    low_confidence: float
    satisfaction: list[SatisfactionDay]
    satisfaction_overall: SatisfactionDay
    satisfaction_goal: float = SATISFACTION_GOAL
    handoffs: list[HandoffDay]
    handoffs_overall: HandoffDay
    overdue: list[OverdueDossier] | None  # None when the dossier store did not answer
