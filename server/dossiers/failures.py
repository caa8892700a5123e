"""Where the failed dossier lookups of the rate limit are counted (:mod:`.lookup`).

In the app database by default (:class:`~server.dossiers.sql.SqlFailureLog`); with
``REDIS_URL``, in Redis, shared by every replica of the action server: one sorted set per
key (a hashed sender or code), scored by the failure's time, trimmed to the window on each
write and expiring by itself when the key falls quiet. The lookup reads the same list of
times either way, so the limit behaves the same.

A Redis that does not answer raises :class:`DossierBackendError`: the lookup then fails
closed, with the apology for an unavailable lookup, rather than lift the limit.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import cast

import redis

from server.core.config import Settings
from server.core.shared_state import KEY_PREFIX, redis_client
from server.dossiers.lookup import FailureLog
from server.dossiers.sql import SqlFailureLog
from server.dossiers.store import DossierBackendError

__all__ = ["RedisFailureLog", "build_failure_log"]


def _key(key_hash: str) -> str:
    return f"{KEY_PREFIX}lookup-failures:{key_hash}"


class RedisFailureLog:
    """Failed lookups per key, in Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    def failures_since(self, key_hash: str, since: dt.datetime) -> list[dt.datetime]:
        try:
            found = cast(
                list[tuple[bytes, float]],
                self._client.zrangebyscore(
                    _key(key_hash), since.timestamp(), "+inf", withscores=True
                ),
            )
        except redis.RedisError as exc:
            raise DossierBackendError(f"lookup log: {type(exc).__name__}") from exc
        return [dt.datetime.fromtimestamp(score, dt.UTC) for _, score in found]

    def record(self, key_hashes: list[str], at: dt.datetime, forget_before: dt.datetime) -> None:
        """Stores one failure under each key, and drops failures too old to matter."""
        member = f"{at.timestamp()}:{uuid.uuid4().hex}"  # two failures at once count twice
        keep_s = max(1, math.ceil((at - forget_before).total_seconds()))
        pipe = self._client.pipeline(transaction=True)
        for key_hash in key_hashes:
            key = _key(key_hash)
            pipe.zremrangebyscore(key, "-inf", f"({forget_before.timestamp()}")
            pipe.zadd(key, {member: at.timestamp()})
            pipe.expire(key, keep_s)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            raise DossierBackendError(f"lookup log: {type(exc).__name__}") from exc


def build_failure_log(settings: Settings) -> FailureLog:
    """Redis when the settings name one (``REDIS_URL``), the app database otherwise."""
    if settings.redis_url:
        return RedisFailureLog(redis_client(settings.redis_url))
    return SqlFailureLog()
