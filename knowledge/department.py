"""The department's contact details and office hours, kept in a YAML file staff can edit.

``working_hours`` is the sentence citizens read; ``office_hours`` is the same schedule in a
form the assistant can compute with (is an officer at the desk now, and if not, from
when). Staff keep the two in step. Times are Vietnam time, a fixed UTC+7 offset (Vietnam
has no daylight saving). Public holidays and make-up working days are not modelled: on a
holiday the assistant believes the office open, and the citizen is told an officer will
answer soon.
"""

from __future__ import annotations

import datetime as dt
import re
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from knowledge.paths import DEPARTMENT_FILE

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How a date is named to a citizen, Monday first as in ``datetime.weekday()``.
WEEKDAY_NAMES = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class Period(BaseModel):
    """One opening span of a working day, written ``"07:30-11:30"`` in the YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.time
    end: dt.time

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _PERIOD.match(value)
        if match is None:
            raise ValueError(f'a period is written "07:30-11:30", not {value!r}')
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return {"start": dt.time(h1, m1), "end": dt.time(h2, m2)}

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"a period ends after it starts: {self.start}-{self.end}")
        return self


class OfficeHours(BaseModel):
    """When officers are at their desk: the same periods on each working day."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: list[Weekday] = Field(min_length=1)
    periods: list[Period] = Field(min_length=1)

    @field_validator("periods")
    @classmethod
    def _apart(cls, periods: list[Period]) -> list[Period]:
        ordered = sorted(periods, key=lambda p: p.start)
        for before, after in pairwise(ordered):
            if after.start < before.end:
                raise ValueError(f"periods overlap: {before.start}-{before.end}, {after.start}")
        return ordered

    def is_open(self, at: dt.datetime) -> bool:
        """Whether ``at`` (an aware datetime, any zone) falls in a period of a working day."""
        local = _vietnam_time(at)
        if WEEKDAYS[local.weekday()] not in self.days:
            return False
        now = local.time()
        return any(p.start <= now < p.end for p in self.periods)

    def next_opening(self, at: dt.datetime) -> dt.datetime:
        """The first moment at or after ``at`` when the office is open, in Vietnam time:
        ``at`` itself while it is open, else the start of the next period."""
        local = _vietnam_time(at)
        for offset in range(8):  # a working day comes back within a week
            day = local.date() + dt.timedelta(days=offset)
            if WEEKDAYS[day.weekday()] not in self.days:
                continue
            for period in self.periods:
                start = dt.datetime.combine(day, period.start, VN_TZ)
                if dt.datetime.combine(day, period.end, VN_TZ) > local:
                    return max(start, local)
        raise AssertionError("unreachable: days is never empty")


class Department(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    demo: bool = False
    name: str
    hotline: str
    email: str
    desk_address: str
    working_hours: str  # what citizens read
    office_hours: OfficeHours  # the same schedule, for the assistant to compute with
    portal_url: HttpUrl
    national_hotline: str


def opening_phrase(at: dt.datetime) -> str:
    """``at`` as a citizen reads an opening time: "7h30 thứ Hai, 01/12"."""
    local = _vietnam_time(at)
    return f"{local.hour}h{local.minute:02d} {WEEKDAY_NAMES[local.weekday()]}, {local:%d/%m}"


def load_department(path: Path = DEPARTMENT_FILE) -> Department:
    return Department.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _vietnam_time(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("an office-hours question needs an aware datetime")
    return at.astimezone(VN_TZ)
