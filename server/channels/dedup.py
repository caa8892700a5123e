"""Platforms deliver a webhook again when they are unsure it arrived (Telegram's
``update_id``, Zalo's ``msg_id``): each is handled once. Kept in the app database, so every
replica of the gateway agrees on what was seen."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError

from server import db

KEEP_FOR = dt.timedelta(days=7)  # longer than any platform retries a delivery
seen_events = db.channel_events


class SeenEvents:
    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    def first_time(self, channel: str, event_id: str) -> bool:
        """True the first time an event is seen, False for every repeat delivery."""
        now = dt.datetime.now(dt.UTC)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    seen_events.insert().values(
                        channel=channel, event_id=event_id[:128], received_at=now
                    )
                )
                conn.execute(delete(seen_events).where(seen_events.c.received_at < now - KEEP_FOR))
        except IntegrityError:
            return False
        return True
