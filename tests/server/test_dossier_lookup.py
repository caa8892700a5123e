"""Verification before any detail, one neutral answer, and a rate limit that survives restarts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from server.db import make_engine
from server.dossiers.lookup import DossierLookup, LookupResult, Outcome, verification_digits
from server.dossiers.models import Dossier, Step
from server.dossiers.seed import demo_dossiers, seed
from server.dossiers.sql import SqlDossierStore, SqlFailureLog, prepared
from server.dossiers.store import DossierBackendError

TODAY = dt.date(2026, 3, 10)
DEMO = demo_dossiers(TODAY)[0]  # H10.22-260310-9001, phone ending 5678
OTHER = demo_dossiers(TODAY)[1]


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class BrokenStore:
    def get(self, code: str) -> Dossier | None:
        raise DossierBackendError("down")

    def update_step(
        self, code: str, step: Step, note: str | None = None, at: dt.datetime | None = None
    ) -> Dossier | None:
        raise DossierBackendError("down")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = prepared(make_engine(f"sqlite:///{tmp_path / 'lookup.db'}"))
    seed(eng, TODAY)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_lookup(engine: Engine, clock: Clock, max_failures: int = 5) -> DossierLookup:
    return DossierLookup(
        SqlDossierStore(engine), SqlFailureLog(engine), max_failures, window_s=3600, clock=clock
    )


@pytest.mark.parametrize(
    "typed", ["H10.22-260310-9001", "h10.22 - 260310 - 9001", "H1022-260310-9001",
              "h10 22 260310 9001", "mã hồ sơ h10.22-260310-9001 ạ"],
)  # fmt: skip
@pytest.mark.parametrize("digits", ["5678", "4 số cuối là 5678", "56 78", "0912 345 678"])
def test_right_code_and_digits_find_the_dossier(
    engine: Engine, clock: Clock, typed: str, digits: str
) -> None:
    result = make_lookup(engine, clock).lookup("web:a", typed, digits)
    assert result == LookupResult(Outcome.found, DEMO)


def test_wrong_code_and_wrong_digits_get_the_same_answer(engine: Engine, clock: Clock) -> None:
    lookup = make_lookup(engine, clock)
    wrong_digits = lookup.lookup("web:a", DEMO.code, "1234")
    unknown_code = lookup.lookup("web:b", "H10.22-260310-0042", "5678")
    other_persons_digits = lookup.lookup("web:c", DEMO.code, OTHER.phone_last4)
    not_a_code = lookup.lookup("web:d", "xin chào", "5678")
    assert wrong_digits == unknown_code == other_persons_digits == not_a_code
    assert wrong_digits == LookupResult(Outcome.not_verified)  # no dossier, no detail


@pytest.mark.parametrize("digits", ["", "abc", "567", "56789", "5678 ", "15678"])
def test_digits_must_match_exactly(engine: Engine, clock: Clock, digits: str) -> None:
    outcome = make_lookup(engine, clock).lookup("web:a", DEMO.code, digits).outcome
    assert outcome is (Outcome.found if digits.strip() == "5678" else Outcome.not_verified)


def test_five_failures_pause_the_sender_for_the_window(engine: Engine, clock: Clock) -> None:
    lookup = make_lookup(engine, clock)
    for i in range(5):
        result = lookup.lookup("web:a", f"H10.22-260310-000{i}", "0000")
        assert result.outcome is Outcome.not_verified
        clock.advance(60)
    refused = lookup.lookup("web:a", DEMO.code, "5678")  # right answer, still refused
    assert refused.outcome is Outcome.rate_limited and refused.dossier is None
    assert refused.retry_after_s == 3600 - 5 * 60
    assert lookup.lookup("web:other", DEMO.code, "5678").outcome is Outcome.found
    clock.advance(refused.retry_after_s + 1)  # the first failure has left the window
    assert lookup.lookup("web:a", DEMO.code, "5678").outcome is Outcome.found


def test_the_pause_survives_a_restart(engine: Engine, clock: Clock, tmp_path: Path) -> None:
    for _ in range(5):
        make_lookup(engine, clock).lookup("web:a", DEMO.code, "0000")
    # a new process: new engine on the same database file, new lookup object
    fresh = prepared(make_engine(f"sqlite:///{tmp_path / 'lookup.db'}"))
    assert make_lookup(fresh, clock).lookup("web:a", DEMO.code, "5678").outcome is (
        Outcome.rate_limited
    )
    fresh.dispose()


def test_a_code_under_attack_is_paused_whoever_asks(engine: Engine, clock: Clock) -> None:
    """Changing sender id for every guess does not get around the limit."""
    lookup = make_lookup(engine, clock)
    for i in range(5):
        lookup.lookup(f"web:attacker-{i}", "h10.22 260310 9001", f"{i:04d}")
    assert lookup.lookup("web:attacker-9", DEMO.code, "5678").outcome is Outcome.rate_limited
    assert lookup.retry_after("web:fresh", DEMO.code) > 0
    assert lookup.lookup("web:fresh", OTHER.code, OTHER.phone_last4).outcome is Outcome.found


def test_successes_do_not_reset_the_count(engine: Engine, clock: Clock) -> None:
    lookup = make_lookup(engine, clock)
    for i in range(4):
        lookup.lookup("web:a", f"H10.22-260310-000{i}", "0000")
    assert lookup.lookup("web:a", OTHER.code, OTHER.phone_last4).outcome is Outcome.found
    lookup.lookup("web:a", "H10.22-260310-0009", "0000")
    assert lookup.retry_after("web:a") > 0


def test_old_failures_are_forgotten(engine: Engine, clock: Clock) -> None:
    lookup = make_lookup(engine, clock)
    lookup.lookup("web:a", "H10.22-260310-0001", "0000")
    clock.advance(7200)
    lookup.lookup("web:b", "H10.22-260310-0002", "0000")
    assert SqlFailureLog(engine).failures_since("", clock.now - dt.timedelta(days=1)) == []
    with engine.connect() as conn:
        from sqlalchemy import func, select

        from server.dossiers.sql import lookup_failures

        assert conn.execute(select(func.count()).select_from(lookup_failures)).scalar_one() == 2


def test_a_store_failure_is_unavailable_and_not_a_failure(engine: Engine, clock: Clock) -> None:
    lookup = DossierLookup(BrokenStore(), SqlFailureLog(engine), 1, 3600, clock)
    assert lookup.lookup("web:a", DEMO.code, "5678") == LookupResult(Outcome.unavailable)
    assert lookup.retry_after("web:a", DEMO.code) == 0


def test_an_unreadable_failure_log_fails_closed(engine: Engine, clock: Clock) -> None:
    class BrokenLog:
        def failures_since(self, key_hash: str, since: dt.datetime) -> list[dt.datetime]:
            raise DossierBackendError("down")

        def record(
            self, key_hashes: list[str], at: dt.datetime, forget_before: dt.datetime
        ) -> None:
            raise DossierBackendError("down")

    lookup = DossierLookup(SqlDossierStore(engine), BrokenLog(), 5, 3600, clock)
    assert lookup.lookup("web:a", DEMO.code, "5678").outcome is Outcome.unavailable


def test_failure_log_keeps_hashes_not_senders_or_codes(engine: Engine, clock: Clock) -> None:
    make_lookup(engine, clock).lookup("web:citizen-42", DEMO.code, "0000")
    with engine.connect() as conn:
        from sqlalchemy import select

        from server.dossiers.sql import lookup_failures

        keys = conn.execute(select(lookup_failures.c.key_hash)).scalars().all()
    assert len(keys) == 2
    assert all("citizen" not in k and "9001" not in k and len(k) == 32 for k in keys)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("5678", "5678"),
        ("5678 ạ", "5678"),
        ("4 số cuối là 1234", "1234"),
        ("bốn số cuối: 12 34 nhé", "1234"),
        ("0912 345 678", "5678"),
        ("+84 912.345.678", "5678"),
        ("H10.22-241203-0042 số cuối 2468", "2468"),
        ("000.00.17.H10-240115-0001", None),
        ("4 số cuối", None),
        ("567", None),
        ("56789", None),
        ("năm 2024 con tôi", "2024"),
        ("", None),
    ],
)
def test_verification_digits(text: str, digits: str | None) -> None:
    assert verification_digits(text) == digits
