from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from server import db
from server.channels.dedup import KEEP_FOR, SeenEvents, seen_events


def test_an_event_is_handled_once_per_channel() -> None:
    seen = SeenEvents()
    assert seen.first_time("telegram", "1001")
    assert not seen.first_time("telegram", "1001")
    assert not SeenEvents().first_time("telegram", "1001")  # another replica agrees
    assert seen.first_time("zalo", "1001")


def test_old_events_are_forgotten() -> None:
    seen = SeenEvents()
    seen.first_time("telegram", "old")
    with db.engine().begin() as conn:
        long_ago = dt.datetime.now(dt.UTC) - KEEP_FOR - dt.timedelta(hours=1)
        conn.execute(update(seen_events).values(received_at=long_ago))
    seen.first_time("telegram", "new")
    with db.engine().connect() as conn:
        ids = set(conn.execute(select(seen_events.c.event_id)).scalars())
    assert ids == {"new"}
