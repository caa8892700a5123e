"""Platforms deliver a webhook again when they are unsure it arrived (Telegram's
``update_id``, Zalo's ``msg_id``): each is handled once, and every replica of the gateway
agrees on what was seen.

With ``REDIS_URL`` an event is claimed in Redis ("set if absent", expiring after
:data:`KEEP_FOR`); without it, or while Redis does not answer, in the app database. During
a Redis outage the database takes over, so repeats are still caught among the deliveries
of those minutes; only a repeat of an event first seen in Redis before the outage would be
handled twice, which is better than dropping messages or failing every webhook.
"""

from __future__ import annotations

import datetime as dt
import logging

import redis
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError

from server import db
from server.core.shared_state import KEY_PREFIX, shared_redis

KEEP_FOR = dt.timedelta(days=7)  # longer than any platform retries a delivery
seen_events = db.channel_events
log = logging.getLogger(__name__)


class SeenEvents:
    def __init__(self, engine: Engine | None = None, client: redis.Redis | None = None) -> None:
        self._engine = engine
        self._client = client

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    @property
    def client(self) -> redis.Redis | None:
        return self._client or shared_redis()

    def first_time(self, channel: str, event_id: str) -> bool:
        """True the first time an event is seen, False for every repeat delivery."""
        event_id = event_id[:128]
        if (client := self.client) is not None:
            key = f"{KEY_PREFIX}seen:{channel}:{event_id}"
            try:
                return bool(client.set(key, 1, nx=True, ex=KEEP_FOR))
            except redis.RedisError as exc:
                log.warning("Redis unavailable (%s): de-duplicating in the app database", exc)
        return self._first_time_in_database(channel, event_id)

    def _first_time_in_database(self, channel: str, event_id: str) -> bool:
        now = dt.datetime.now(dt.UTC)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    seen_events.insert().values(channel=channel, event_id=event_id, received_at=now)
                )
                conn.execute(delete(seen_events).where(seen_events.c.received_at < now - KEEP_FOR))
        except IntegrityError:
            return False
        return True
