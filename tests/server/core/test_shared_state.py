"""State the gateway replicas share through Redis: webhook de-duplication, with the app
database taking over when Redis is not configured or does not answer."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from server import db
from server.channels.dedup import KEEP_FOR, SeenEvents, seen_events
from server.core.config import get_settings
from server.core.shared_state import TIMEOUT_S, redis_client, shared_redis


@pytest.fixture
def client(redis_server: Any) -> redis.Redis:
    connected = redis_client(redis_server.url)
    connected.flushdb()
    return connected


def nobody_listening() -> redis.Redis:
    """A client for a port nothing listens on: Redis gone."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return redis_client(f"redis://127.0.0.1:{port}/0")


def rows_in_database() -> int:
    with db.engine().connect() as conn:
        return int(conn.execute(select(func.count()).select_from(seen_events)).scalar_one())


def test_no_redis_url_no_client(monkeypatch: pytest.MonkeyPatch, redis_server: Any) -> None:
    assert shared_redis() is None
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    get_settings.cache_clear()
    assert shared_redis() is redis_client(redis_server.url)  # one pool per process


def test_events_are_claimed_once_in_redis_across_replicas(client: redis.Redis) -> None:
    seen, other_replica = SeenEvents(client=client), SeenEvents(client=client)
    assert seen.first_time("telegram", "1001")
    assert not seen.first_time("telegram", "1001")
    assert not other_replica.first_time("telegram", "1001")
    assert other_replica.first_time("zalo", "1001")
    assert rows_in_database() == 0  # nothing written to the app database
    ttl = client.ttl("assistant:seen:telegram:1001")
    assert KEEP_FOR.total_seconds() - 5 < ttl <= KEEP_FOR.total_seconds()  # Redis forgets


def test_without_redis_the_database_de_duplicates() -> None:
    seen = SeenEvents()
    assert seen.first_time("telegram", "7")
    assert not SeenEvents().first_time("telegram", "7")
    assert rows_in_database() == 1


def test_redis_gone_falls_back_to_the_database_at_once() -> None:
    seen = SeenEvents(client=nobody_listening())
    started = time.monotonic()
    assert seen.first_time("zalo", "m-1")
    assert not seen.first_time("zalo", "m-1")  # repeats are still caught meanwhile
    assert time.monotonic() - started < 4 * TIMEOUT_S
    assert rows_in_database() == 1


def test_redis_back_after_a_restart_is_used_again(redis_server: Any, client: redis.Redis) -> None:
    seen = SeenEvents(client=client)
    assert seen.first_time("telegram", "before")
    redis_server.stop()
    try:
        assert seen.first_time("telegram", "during")  # the database took over
    finally:
        redis_server.start()
    assert seen.first_time("telegram", "after")  # a new connection, no error
    assert client.exists("assistant:seen:telegram:after") == 1
    assert rows_in_database() == 1
