"""The lookup's rate limit with its failures counted in Redis (REDIS_URL), shared by every
action server replica: the same limit as in the app database, and closed when Redis is gone."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine

from server.core.config import Settings
from server.core.shared_state import redis_client
from server.db import make_engine
from server.dossiers.failures import RedisFailureLog, build_failure_log
from server.dossiers.lookup import DossierLookup, Outcome
from server.dossiers.seed import demo_dossiers, seed
from server.dossiers.sql import SqlDossierStore, SqlFailureLog, prepared
from server.dossiers.store import DossierBackendError

TODAY = dt.date(2026, 3, 10)
DEMO = demo_dossiers(TODAY)[0]
WINDOW_S = 3600


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def client(redis_server: Any) -> redis.Redis:
    connected = redis_client(redis_server.url)
    connected.flushdb()
    return connected


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = prepared(make_engine(f"sqlite:///{tmp_path / 'lookup.db'}"))
    seed(eng, TODAY)
    yield eng
    eng.dispose()


def lookup_with(engine: Engine, client: redis.Redis, clock: Clock) -> DossierLookup:
    return DossierLookup(SqlDossierStore(engine), RedisFailureLog(client), 5, WINDOW_S, clock)


def test_five_failures_pause_the_sender_on_every_replica(
    engine: Engine, client: redis.Redis
) -> None:
    clock = Clock()
    for i in range(5):  # each guess answered by another replica (another lookup object)
        result = lookup_with(engine, client, clock).lookup("web:a", f"H10.22-260310-000{i}", "0")
        assert result.outcome is Outcome.not_verified
        clock.now += dt.timedelta(seconds=60)
    refused = lookup_with(engine, client, clock).lookup("web:a", DEMO.code, DEMO.phone_last4)
    assert refused.outcome is Outcome.rate_limited
    assert refused.retry_after_s == WINDOW_S - 5 * 60  # as with the database
    other = lookup_with(engine, client, clock).lookup("web:b", DEMO.code, DEMO.phone_last4)
    assert other.outcome is Outcome.found
    clock.now += dt.timedelta(seconds=refused.retry_after_s + 1)
    again = lookup_with(engine, client, clock).lookup("web:a", DEMO.code, DEMO.phone_last4)
    assert again.outcome is Outcome.found


def test_the_same_times_as_the_database_log(engine: Engine, client: redis.Redis) -> None:
    at = Clock().now
    earlier = at - dt.timedelta(seconds=WINDOW_S + 10)
    for log in (RedisFailureLog(client), SqlFailureLog(engine)):
        log.record(["k"], earlier, forget_before=earlier - dt.timedelta(seconds=WINDOW_S))
        log.record(["k", "c"], at, forget_before=at - dt.timedelta(seconds=WINDOW_S))
        log.record(["k"], at, forget_before=at - dt.timedelta(seconds=WINDOW_S))  # same instant
    since = at - dt.timedelta(seconds=WINDOW_S)
    redis_log, sql_log = RedisFailureLog(client), SqlFailureLog(engine)
    assert redis_log.failures_since("k", since) == sql_log.failures_since("k", since) == [at, at]
    assert redis_log.failures_since("c", since) == [at]
    assert client.zcard("assistant:lookup-failures:k") == 2  # the old one was dropped
    assert 0 < client.ttl("assistant:lookup-failures:k") <= WINDOW_S  # and the key expires


def test_redis_gone_fails_closed(engine: Engine) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = RedisFailureLog(redis_client(f"redis://127.0.0.1:{port}/0"))
    with pytest.raises(DossierBackendError):
        gone.failures_since("k", Clock().now)
    lookup = DossierLookup(SqlDossierStore(engine), gone, 5, WINDOW_S, Clock())
    # even the right digits: without the limit's log nothing is shown
    assert lookup.lookup("web:a", DEMO.code, DEMO.phone_last4).outcome is Outcome.unavailable


def test_settings_choose_the_log(redis_server: Any) -> None:
    assert isinstance(build_failure_log(Settings(redis_url="")), SqlFailureLog)
    assert isinstance(build_failure_log(Settings(redis_url=redis_server.url)), RedisFailureLog)
