"""Redis, for the short-lived state the replicas share when ``REDIS_URL`` is set.

Scaled out, several gateways and action servers answer the same citizens. What they must
agree on lives either in the app database (PostgreSQL then) or here:

- in Redis: the webhook deliveries already handled (:mod:`server.channels.dedup`) and the
  failed dossier lookups of the rate limit (:mod:`server.dossiers.failures`): many small
  writes that only matter for minutes or days, which Redis expires by itself;
- in the app database, as in the embedded default: everything that must outlive a Redis
  restart or take part in a transaction (chat log, button tokens, hand-offs, staff
  sessions, the Zalo token chain);
- nowhere: a web session is a token signed with ``SECRET_KEY`` that any replica checks.

Without ``REDIS_URL`` there is no client and all of it stays in the app database. A Redis
that stops answering never hangs a request: every call gives up after
:data:`TIMEOUT_S`, and each caller decides what a failure means (see its module).
"""

from __future__ import annotations

from functools import lru_cache

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from server.core.config import get_settings

__all__ = ["KEY_PREFIX", "TIMEOUT_S", "redis_client", "shared_redis"]

KEY_PREFIX = "assistant:"  # beside Rasa's lock store ("assistant:lock:") in one Redis
TIMEOUT_S = 1.0  # a Redis on the same network answers in milliseconds


@lru_cache(maxsize=4)
def redis_client(url: str) -> redis.Redis:
    """One client (a connection pool) per URL and process."""
    return redis.Redis.from_url(
        url,
        socket_timeout=TIMEOUT_S,
        socket_connect_timeout=TIMEOUT_S,
        # One more try on a dropped connection (a Redis that restarted), never after a
        # timeout: the command may have run, and "SET if absent" must not run twice.
        retry=Retry(NoBackoff(), retries=1, supported_errors=(redis.ConnectionError,)),
        health_check_interval=30,
    )


def shared_redis() -> redis.Redis | None:
    """The client for ``REDIS_URL``, or None when the settings name no Redis."""
    url = get_settings().redis_url
    return redis_client(url) if url else None
