"""Office hours: open or not, the next opening, and how it is named to a citizen."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from knowledge.department import VN_TZ, OfficeHours, load_department, opening_phrase

HOURS = OfficeHours.model_validate(
    {"days": ["mon", "tue", "wed", "thu", "fri"], "periods": ["13:30-17:00", "07:30-11:30"]}
)


def vn(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of December 2025 in Vietnam time (1 December 2025 is a Monday)."""
    return dt.datetime(2025, 12, day, hour, minute, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (vn(1, 7, 29), False),
        (vn(1, 7, 30), True),
        (vn(1, 11, 29), True),
        (vn(1, 11, 30), False),  # a period ends at its closing time
        (vn(1, 12, 15), False),
        (vn(3, 16, 59), True),
        (vn(5, 17, 0), False),
        (vn(6, 9, 0), False),  # Saturday
        (vn(7, 9, 0), False),  # Sunday
        # 01:00 UTC is 08:00 in Vietnam; 23:00 UTC on Sunday is 06:00 on Monday.
        (dt.datetime(2025, 12, 1, 1, 0, tzinfo=dt.timezone.utc), True),
        (dt.datetime(2025, 11, 30, 23, 0, tzinfo=dt.timezone.utc), False),
    ],
)
def test_is_open_in_vietnam_time(at: dt.datetime, is_open: bool) -> None:
    assert HOURS.is_open(at) is is_open


@pytest.mark.parametrize(
    ("at", "opening"),
    [
        (vn(1, 6, 0), vn(1, 7, 30)),  # early morning
        (vn(1, 12, 0), vn(1, 13, 30)),  # lunch break
        (vn(1, 17, 0), vn(2, 7, 30)),  # evening
        (vn(5, 17, 30), vn(8, 7, 30)),  # Friday evening: Monday
        (vn(6, 10, 0), vn(8, 7, 30)),  # Saturday
        (vn(2, 9, 15), vn(2, 9, 15)),  # open now
        (dt.datetime(2025, 12, 5, 11, 0, tzinfo=dt.timezone.utc), vn(8, 7, 30)),  # Fri 18:00
    ],
)
def test_next_opening(at: dt.datetime, opening: dt.datetime) -> None:
    found = HOURS.next_opening(at)
    assert found == opening and found.utcoffset() == dt.timedelta(hours=7)


def test_next_opening_when_one_day_a_week_is_worked() -> None:
    saturdays = OfficeHours.model_validate({"days": ["sat"], "periods": ["08:00-11:00"]})
    assert saturdays.next_opening(vn(6, 11, 0)) == vn(13, 8, 0)


def test_opening_phrase_names_the_time_weekday_and_date() -> None:
    assert opening_phrase(vn(1, 7, 30)) == "7h30 thứ Hai, 01/12"
    assert opening_phrase(vn(7, 13, 0)) == "13h00 Chủ nhật, 07/12"
    assert opening_phrase(dt.datetime(2025, 12, 5, 23, 30, tzinfo=dt.timezone.utc)) == (
        "6h30 thứ Bảy, 06/12"
    )


def test_periods_are_read_sorted() -> None:
    assert [p.start for p in HOURS.periods] == [dt.time(7, 30), dt.time(13, 30)]


@pytest.mark.parametrize(
    "periods",
    [["7h30-11h30"], ["11:30-07:30"], ["07:30-11:30", "11:00-17:00"], []],
)
def test_malformed_periods_are_refused(periods: list[str]) -> None:
    with pytest.raises(ValidationError):
        OfficeHours.model_validate({"days": ["mon"], "periods": periods})


def test_unknown_day_and_naive_time_are_refused() -> None:
    with pytest.raises(ValidationError):
        OfficeHours.model_validate({"days": ["monday"], "periods": ["07:30-11:30"]})
    with pytest.raises(ValueError, match="aware"):
        HOURS.is_open(dt.datetime(2025, 12, 1, 9, 0))


def test_shipped_department_file_has_office_hours_matching_its_text() -> None:
    dept = load_department()
    assert dept.office_hours.days == ["mon", "tue", "wed", "thu", "fri"]
    for period in dept.office_hours.periods:
        start, end = (f"{t.hour}h{t.minute:02d}" for t in (period.start, period.end))
        assert start in dept.working_hours and end in dept.working_hours
