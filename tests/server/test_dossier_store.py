"""The SQL dossier store and the demo seeding (SQLite; PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from knowledge.catalogue import load_all
from server.core.config import Settings
from server.db import make_engine
from server.dossiers import DossierBackendError, build_store
from server.dossiers.http import HttpDossierStore
from server.dossiers.models import VN_TZ, Dossier, Step, StepEvent
from server.dossiers.seed import demo_dossiers, demo_in, seed, seed_for
from server.dossiers.sql import SqlDossierStore, SqlFailureLog, prepared

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'dossiers.db'}")
    yield prepared(eng)
    eng.dispose()


def test_demo_dossiers_cover_every_step_one_overdue_and_real_procedures() -> None:
    demos = demo_dossiers(TODAY)
    assert len(demos) == 8
    assert {d.step for d in demos} == set(Step)
    assert [d.code for d in demos if d.is_overdue(TODAY)] == ["000.00.17.H10-260203-9006"]
    catalogue = load_all().procedures
    assert all(d.procedure_id in catalogue for d in demos)
    assert all(d.code.endswith(f"-{d.received_on:%y%m%d}-900{i}") for i, d in enumerate(demos, 1))
    waiting = next(d for d in demos if d.step is Step.additional_documents)
    assert waiting.step_note and waiting.step_note == waiting.history[-1].note


def test_seeding_is_idempotent_and_round_trips(engine: Engine) -> None:
    assert seed(engine, TODAY) == 8
    assert seed(engine, TODAY) == 0
    assert seed(engine, TODAY + dt.timedelta(days=3)) == 0  # another day adds nothing either
    store = SqlDossierStore(engine)
    for expected in demo_dossiers(TODAY):
        assert store.get(expected.code) == expected
    assert [d.code for d in demo_in(engine)] == sorted(d.code for d in demo_dossiers(TODAY))


def test_seeding_leaves_a_table_with_real_dossiers_alone(engine: Engine) -> None:
    real = demo_dossiers(TODAY)[0].model_copy(update={"code": "H10.22-260310-0001"})
    assert SqlDossierStore(engine).add(real)
    assert seed(engine, TODAY) == 0
    assert SqlDossierStore(engine).count() == 1


def test_seed_for_uses_the_stack_database_and_only_the_sql_backend(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stack' / 'assistant.db'}"
    http = Settings(database_url=url, dossier_backend="http", dossier_api_url="http://x")
    assert seed_for(http) == 0
    assert seed_for(Settings(database_url=url)) == 8
    assert seed_for(Settings(database_url=url)) == 0
    assert SqlDossierStore(create_engine(url)).count() == 8


def test_unknown_code_is_none(engine: Engine) -> None:
    seed(engine, TODAY)
    assert SqlDossierStore(engine).get("H10.22-260310-0042") is None


def test_update_step_moves_the_dossier_and_appends_history(engine: Engine) -> None:
    seed(engine, TODAY)
    store = SqlDossierStore(engine)
    before = next(d for d in demo_dossiers(TODAY) if d.step is Step.processing)
    at = dt.datetime(2026, 3, 11, 9, 30, tzinfo=VN_TZ)
    after = store.update_step(before.code, Step.additional_documents, "Thiếu học bạ", at)
    assert after is not None
    assert (after.step, after.step_note) == (Step.additional_documents, "Thiếu học bạ")
    assert after.history == (
        *before.history,
        StepEvent(step=after.step, at=at, note="Thiếu học bạ"),
    )
    assert store.get(before.code) == after
    ready = store.update_step(before.code, Step.result_ready)
    assert ready is not None and ready.step_note is None and len(ready.history) == 4


def test_update_of_an_unknown_dossier_is_none(engine: Engine) -> None:
    assert SqlDossierStore(engine).update_step("H10.22-260310-0042", Step.processing) is None


def test_a_broken_database_is_a_backend_error() -> None:
    broken = create_engine("sqlite:////proc/no-such-dir/dossiers.db")
    with pytest.raises(DossierBackendError):
        SqlDossierStore(broken).get("H10.22-260310-0042")
    with pytest.raises(DossierBackendError):
        SqlFailureLog(broken).failures_since("k", dt.datetime.now(dt.timezone.utc))


@pytest.mark.parametrize(
    ("typed", "code"),
    [("h10.22 - 260310 - 0042", "H10.22-260310-0042"), ("00000 17 H10 260310 0001",
      "000.00.17.H10-260310-0001")],
)  # fmt: skip
def test_dossier_codes_are_kept_canonical(typed: str, code: str) -> None:
    demo = demo_dossiers(TODAY)[0].model_dump()
    assert Dossier.model_validate({**demo, "code": typed}).code == code
    with pytest.raises(ValueError, match="dossier code"):
        Dossier.model_validate({**demo, "code": "H10.22-2603-0042"})


def test_overdue_means_past_due_and_unfinished() -> None:
    d = demo_dossiers(TODAY)[1]  # processing
    assert not d.is_overdue(d.due_on)
    assert d.is_overdue(d.due_on + dt.timedelta(days=1))
    for step in (Step.result_ready, Step.returned):
        done = d.model_copy(update={"step": step})
        assert not done.is_overdue(d.due_on + dt.timedelta(days=30))


def test_personal_fields_stay_out_of_repr() -> None:
    d = demo_dossiers(TODAY)[0]
    assert d.applicant_name not in repr(d) and d.phone_last4 not in repr(d)


def test_settings_choose_the_store() -> None:
    from server.core.config import Settings

    assert isinstance(build_store(Settings(dossier_backend="sql")), SqlDossierStore)
    http = build_store(Settings(dossier_backend="http", dossier_api_url="http://127.0.0.1:9"))
    assert isinstance(http, HttpDossierStore)
    with pytest.raises(ValueError, match="DOSSIER_API_URL"):
        build_store(Settings(dossier_backend="http", dossier_api_url=""))
    with pytest.raises(ValueError, match="dossier_backend"):
        Settings(dossier_backend="mongo")  # type: ignore[arg-type]


@pytest.mark.skipif(not os.environ.get("TEST_POSTGRES_URL"), reason="TEST_POSTGRES_URL not set")
def test_the_same_store_on_postgresql() -> None:
    """Where a PostgreSQL server and driver exist, on a throwaway database, e.g.
    TEST_POSTGRES_URL=postgresql+psycopg://user@127.0.0.1/scratch (its dossier tables are
    dropped first)."""
    from server import db
    from server.dossiers.sql import dossier_steps, dossiers, lookup_failures

    eng = make_engine(os.environ["TEST_POSTGRES_URL"])
    try:
        db.metadata.drop_all(eng, tables=[dossier_steps, dossiers, lookup_failures])
        db.metadata.create_all(eng)
        assert seed(eng, TODAY) == 8
        assert seed(eng, TODAY) == 0
        store = SqlDossierStore(eng)
        for expected in demo_dossiers(TODAY):
            assert store.get(expected.code) == expected
        code = demo_dossiers(TODAY)[1].code
        moved = store.update_step(code, Step.result_ready, "Xong")
        assert moved is not None and moved.history[-1].note == "Xong"
        assert store.get(code) == moved
        log = SqlFailureLog(eng)
        now = dt.datetime.now(dt.timezone.utc)
        log.record(["k"], now, forget_before=now - dt.timedelta(hours=1))
        assert log.failures_since("k", now - dt.timedelta(minutes=1)) == [now]
    finally:
        eng.dispose()


# Open at TODAY, most urgent first: 9006 is 4 days overdue, then by due date; 9004 (result
# ready) and 9005 (returned) are finished and left out.
OPEN_ORDER = ["9006", "9001", "9008", "9002", "9007", "9003"]


@pytest.mark.both_databases
def test_open_dossiers_put_the_overdue_first_then_the_nearest_due() -> None:
    seed(today=TODAY)
    store = SqlDossierStore()
    late = demo_dossiers(TODAY)[0].model_copy(
        update={
            "code": "H10.22-260201-0001",
            "due_on": TODAY - dt.timedelta(days=9),
            "step": Step.additional_documents,
        }
    )
    assert store.add(late)
    found = store.open_dossiers(TODAY, 50)
    assert [d.code[-4:] for d in found] == ["0001", *OPEN_ORDER]
    assert [d.is_overdue(TODAY) for d in found[:3]] == [True, True, False]
    assert all(d == store.get(d.code) for d in found)  # with their whole history
    assert [d.code[-4:] for d in store.open_dossiers(TODAY, 2)] == ["0001", "9006"]
    assert store.open_dossiers(TODAY, 0) == []


@pytest.mark.both_databases
def test_open_dossiers_order_by_the_day_asked() -> None:
    """On a later day more dossiers are overdue; they still come most overdue first."""
    seed(today=TODAY)
    later = TODAY + dt.timedelta(days=5)
    found = SqlDossierStore().open_dossiers(later, 50)
    assert [d.code[-4:] for d in found] == OPEN_ORDER
    assert [d.code[-4:] for d in found if d.is_overdue(later)] == ["9006", "9001", "9008", "9002"]


def test_open_dossiers_of_an_empty_store_and_a_broken_database(engine: Engine) -> None:
    assert SqlDossierStore(engine).open_dossiers(TODAY, 10) == []
    broken = create_engine("sqlite:////proc/no-such-dir/dossiers.db")
    with pytest.raises(DossierBackendError):
        SqlDossierStore(broken).open_dossiers(TODAY, 10)
