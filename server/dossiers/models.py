"""A submitted dossier (hồ sơ) as the one-stop desk tracks it, and the steps it goes through.

The same model serves every store (the app database, the provincial one-stop system over
HTTP) so that the lookup, the answers and the staff API never care where a dossier lives.
Personal fields are left out of ``repr`` so that a dossier logged by mistake leaks nothing.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.dossier_code import canonical

# Vietnam has one time zone and no daylight saving time: a fixed offset is exact and needs
# no tz database on the machine.
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")


class Step(str, Enum):
    """Where a dossier is, in the order the one-stop procedure moves it."""

    received = "received"  # tiếp nhận
    processing = "processing"  # đang giải quyết
    additional_documents = "additional_documents"  # yêu cầu bổ sung (the note says why)
    result_ready = "result_ready"  # có kết quả, chờ trả
    returned = "returned"  # đã trả kết quả


# Steps after which the department has done its part: a due date in the past is no delay.
FINISHED_STEPS = frozenset({Step.result_ready, Step.returned})


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def today_vn(now: dt.datetime | None = None) -> dt.date:
    """Today's date where the citizen is, which is what due dates are written in."""
    return (now or utc_now()).astimezone(VN_TZ).date()


def _aware(value: dt.datetime) -> dt.datetime:
    """Times without a zone are Vietnamese local times, as one-stop systems write them."""
    return value if value.tzinfo is not None else value.replace(tzinfo=VN_TZ)


class StepEvent(BaseModel):
    """One entry of a dossier's history: the step it reached, when, and the officer's note."""

    model_config = ConfigDict(frozen=True)

    step: Step
    at: dt.datetime
    note: str | None = None

    @field_validator("at")
    @classmethod
    def _aware_at(cls, value: dt.datetime) -> dt.datetime:
        return _aware(value)


class Dossier(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Canonical code printed on the receipt")
    procedure_id: str = Field(min_length=1, description="Catalogue id of the procedure")
    applicant_name: str = Field(min_length=1, repr=False)
    phone_last4: str = Field(
        pattern=r"^\d{4}$", repr=False, description="Last 4 digits of the applicant's phone"
    )
    received_on: dt.date
    due_on: dt.date
    step: Step
    step_note: str | None = Field(default=None, description="Why, for additional_documents")
    history: tuple[StepEvent, ...] = ()
    pickup_place: str = Field(min_length=1, description="Where the result is collected")

    @field_validator("code")
    @classmethod
    def _canonical_code(cls, value: str) -> str:
        code = canonical(value)
        if code is None:
            raise ValueError("not a dossier code")
        return code

    def is_overdue(self, today: dt.date) -> bool:
        """Past its due date and the department has not finished its part."""
        return today > self.due_on and self.step not in FINISHED_STEPS

    def reached(self, step: Step) -> StepEvent | None:
        """The latest history entry for ``step``, if the dossier got there."""
        return next((e for e in reversed(self.history) if e.step is step), None)
