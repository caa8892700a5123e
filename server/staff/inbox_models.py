"""The inbox's models: its filters (from the page's GET form), its items and their labels."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class InboxError(ValueError):
    """A label the inbox refuses, with the reason in Vietnamese for the page."""


class Reason(str, Enum):
    fallback = "fallback"
    low_confidence = "low_confidence"
    out_of_scope = "out_of_scope"
    unsatisfied = "unsatisfied"


class Labelled(str, Enum):
    unlabelled = "unlabelled"
    labelled = "labelled"
    all = "all"


class InboxFilters(BaseModel):
    """The list's filters; the dates are Vietnam dates, both days included."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str | None = Field(None, max_length=20)
    intent: str | None = Field(None, max_length=64)
    confidence_max: float | None = Field(None, ge=0, le=1)
    procedure_id: str | None = Field(None, max_length=120)
    reason: Reason | None = None
    labelled: Labelled = Labelled.unlabelled
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        """An empty field of the GET form means no filter (or the default)."""
        if value == "" and info.field_name:
            return cls.model_fields[info.field_name].default
        return value


class InboxLabel(BaseModel):
    intent: str | None
    procedure_id: str | None
    out_of_scope: bool
    labelled_by: str  # the officer's full name
    labelled_at: dt.datetime


class InboxItem(BaseModel):
    id: int
    created_at: dt.datetime
    channel: str
    text: str  # masked when it was logged
    intent: str | None
    confidence: float | None
    procedure_id: str | None
    reasons: list[Reason]
    label: InboxLabel | None = None


class InboxPage(BaseModel):
    items: list[InboxItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
