"""The subscription store: who is told when staff move a dossier."""

from __future__ import annotations

import datetime as dt

from server import db
from server.chat.subscriptions import KEEP_FOR, Subscriber, Subscriptions, subscriptions
from server.dossiers.notices import NoticeRequest

CODE = "H10.22-261130-9001"
OTHER = "000.00.17.H10-261128-9002"


def test_a_request_is_stored_once_per_user_and_dossier() -> None:
    store = Subscriptions()
    store.subscribe("telegram", "111", CODE)
    store.subscribe("telegram", "111", CODE)  # asked twice
    store.subscribe("zalo", "111", CODE)  # the same id on another platform is someone else
    store.subscribe("telegram", "222", OTHER)
    assert store.subscribers(CODE) == [Subscriber("telegram", "111"), Subscriber("zalo", "111")]
    assert store.subscribers(OTHER) == [Subscriber("telegram", "222")]
    assert store.subscribers("H10.22-261130-0000") == []


def test_unsubscribe_ends_every_dossier_of_that_user_on_that_channel_only() -> None:
    store = Subscriptions()
    store.subscribe("telegram", "111", CODE)
    store.subscribe("telegram", "111", OTHER)
    store.subscribe("zalo", "111", CODE)
    store.subscribe("telegram", "222", CODE)
    assert store.unsubscribe("telegram", "111") == 2
    assert store.subscribers(CODE) == [Subscriber("telegram", "222"), Subscriber("zalo", "111")]
    assert store.subscribers(OTHER) == []
    assert store.unsubscribe("telegram", "111") == 0


def test_end_removes_one_subscription() -> None:
    store = Subscriptions()
    store.subscribe("telegram", "111", CODE)
    store.subscribe("telegram", "111", OTHER)
    store.end(CODE, Subscriber("telegram", "111"))
    assert store.subscribers(CODE) == []
    assert store.subscribers(OTHER) == [Subscriber("telegram", "111")]


def test_apply_carries_out_a_request() -> None:
    store = Subscriptions()
    store.apply("zalo", "u1", NoticeRequest(op="subscribe", code=CODE))
    assert store.subscribers(CODE) == [Subscriber("zalo", "u1")]
    store.apply("zalo", "u1", NoticeRequest(op="unsubscribe"))
    assert store.subscribers(CODE) == []


def test_old_subscriptions_are_ignored_then_purged() -> None:
    store = Subscriptions()
    old = dt.datetime.now(dt.timezone.utc) - KEEP_FOR - dt.timedelta(days=1)
    with store.engine.begin() as conn:
        conn.execute(
            subscriptions.insert().values(
                channel="telegram", user_id="111", dossier_code=CODE, created_at=old
            )
        )
    assert store.subscribers(CODE) == []
    store.subscribe("zalo", "222", OTHER)  # any new request purges the expired ones
    with db.engine().connect() as conn:
        rows = conn.execute(subscriptions.select()).all()
    assert [(r.channel, r.dossier_code) for r in rows] == [("zalo", OTHER)]


def test_asking_again_renews_the_subscription() -> None:
    store = Subscriptions()
    old = dt.datetime.now(dt.timezone.utc) - KEEP_FOR + dt.timedelta(hours=1)
    with store.engine.begin() as conn:
        conn.execute(
            subscriptions.insert().values(
                channel="telegram", user_id="111", dossier_code=CODE, created_at=old
            )
        )
    store.subscribe("telegram", "111", CODE)
    with db.engine().connect() as conn:
        (row,) = conn.execute(subscriptions.select()).all()
    created = row.created_at.replace(tzinfo=row.created_at.tzinfo or dt.timezone.utc)
    assert created > dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
