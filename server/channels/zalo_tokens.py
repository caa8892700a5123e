"""The Zalo OA access token, kept fresh and shared by every replica of the gateway.

An OA access token lives about 25 hours (``expires_in`` 90000 s) and is renewed with a
refresh token that Zalo accepts only once: every refresh returns a new pair, and losing
the new refresh token means re-authorising the OA in the Zalo developer console. So the
pair lives in the app database (one row of ``zalo_tokens``), never in a file or a log,
and a refresh is done by one caller at a time:

- within a process, an :class:`asyncio.Lock` queues the callers; the ones that waited
  find the new token in the row and do not refresh again;
- across replicas, a caller first *claims* the row with an update that only succeeds
  at the version it read (``UPDATE … WHERE version = v``): the database lets exactly one
  replica win, and only that one spends the refresh token. The others wait until the row
  carries a new token. A claim lapses after :data:`CLAIM_FOR`, so a replica that dies
  while refreshing does not block the others forever.

If the gateway dies between Zalo's answer to a refresh and the store, the new pair is
lost and the OA must be re-authorised: the single-use token leaves no other way.

The chain starts from ``ZALO_REFRESH_TOKEN`` the first time. A department that had to
re-authorise the OA puts the new first refresh token there: a different value than the
one the stored chain started from replaces the stored pair.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from server import db
from server.core.config import get_settings

log = logging.getLogger(__name__)

REFRESH_MARGIN = dt.timedelta(minutes=5)  # refresh a little before Zalo's expiry
CLAIM_FOR = dt.timedelta(seconds=30)  # longer than one OAuth request may take
OAUTH_TIMEOUT_S = 10.0
_ROW = 1  # one OA per gateway

zalo_tokens = Table(
    "zalo_tokens",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("access_token", Text),  # None until the first refresh
    Column("refresh_token", Text, nullable=False),  # single-use
    Column("expires_at", DateTime(timezone=True)),
    Column("seed_hash", String(64), nullable=False),  # SHA-256 of the ZALO_REFRESH_TOKEN used
    Column("version", Integer, nullable=False),  # bumped by every claim and every store
    Column("refreshing_until", DateTime(timezone=True)),  # a replica's claim, until then
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class ZaloAuthError(RuntimeError):
    """No usable access token: no refresh token configured, or Zalo refused the refresh."""


class TokenGrant(BaseModel):
    """What ``POST /v4/oa/access_token`` answers on success (``expires_in`` is a string)."""

    access_token: str
    refresh_token: str
    expires_in: int = 90000


@dataclass(frozen=True)
class _Row:
    version: int
    access_token: str | None
    refresh_token: str
    expires_at: dt.datetime | None
    refreshing_until: dt.datetime | None
    seed_hash: str

    @classmethod
    def of(cls, row: Any) -> _Row:
        return cls(
            version=row.version,
            access_token=row.access_token,
            refresh_token=row.refresh_token,
            expires_at=_utc(row.expires_at),
            refreshing_until=_utc(row.refreshing_until),
            seed_hash=row.seed_hash,
        )

    def usable(self, now: dt.datetime) -> bool:
        return bool(self.access_token and self.expires_at and now < self.expires_at)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _seed_hash(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class ZaloTokens:
    def __init__(self, http: httpx.AsyncClient, engine: Engine | None = None) -> None:
        self._http = http
        self._engine = engine
        self._lock = asyncio.Lock()

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    async def access_token(self) -> str:
        """A token valid for a few more minutes at least, refreshed first if need be."""
        row = await asyncio.to_thread(self._load)
        if row.usable(dt.datetime.now(dt.UTC) + REFRESH_MARGIN):
            assert row.access_token is not None
            return row.access_token
        return await self.refresh(stale=row.access_token)

    async def refresh(self, stale: str | None) -> str:
        """A new access token, ``stale`` being the one Zalo refused or that expires (None
        if there was none). If another caller has replaced ``stale`` meanwhile, its token
        is returned and no refresh token is spent."""
        async with self._lock:
            deadline = time.monotonic() + CLAIM_FOR.total_seconds() + 5
            while time.monotonic() < deadline:
                now = dt.datetime.now(dt.UTC)
                row = await asyncio.to_thread(self._load)
                if row.access_token != stale and row.usable(now + REFRESH_MARGIN):
                    assert row.access_token is not None
                    return row.access_token  # refreshed by someone else
                if row.refreshing_until and row.refreshing_until > now:
                    await asyncio.sleep(0.2)  # another replica holds the claim
                    continue
                if not await asyncio.to_thread(self._claim, row.version, now):
                    continue  # another replica claimed first: read what it did
                try:
                    grant = await self._grant(row.refresh_token)
                except BaseException:
                    await asyncio.to_thread(self._release, row.version + 1)
                    raise
                await asyncio.to_thread(self._store, grant)
                return grant.access_token
        raise ZaloAuthError("timed out waiting for another replica to refresh the token")

    async def _grant(self, refresh_token: str) -> TokenGrant:
        settings = get_settings()
        try:
            response = await self._http.post(
                f"{settings.zalo_oauth_url.rstrip('/')}/v4/oa/access_token",
                headers={"secret_key": settings.zalo_app_secret.get_secret_value()},
                data={
                    "app_id": settings.zalo_app_id,
                    "refresh_token": refresh_token,
                    "grant_type": "refresh_token",
                },
                timeout=OAUTH_TIMEOUT_S,
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ZaloAuthError(f"token refresh failed: {type(exc).__name__}") from exc
        try:
            return TokenGrant.model_validate(body)
        except ValidationError:
            # Zalo answers {"error": …, "error_name": …, "error_description": …}; the
            # description never contains a token, the request's own values are not logged.
            detail = ""
            if isinstance(body, dict):
                detail = str(body.get("error_description") or body.get("error") or "")
            log.error(
                "Zalo refused the refresh token (%s): if this persists, re-authorise the OA "
                "in the Zalo developer console and set ZALO_REFRESH_TOKEN to the new one",
                detail,
            )
            raise ZaloAuthError(f"token refresh refused: {detail}") from None

    # Database (synchronous, run in a thread)

    def _load(self) -> _Row:
        seed = get_settings().zalo_refresh_token.get_secret_value()
        query = select(zalo_tokens).where(zalo_tokens.c.id == _ROW)
        with self.engine.connect() as conn:
            found = conn.execute(query).first()
        if found is None or (seed and found.seed_hash != _seed_hash(seed)):
            self._seed(seed, found.version if found else None)
            with self.engine.connect() as conn:
                found = conn.execute(query).one()
        return _Row.of(found)

    def _seed(self, seed: str, version: int | None) -> None:
        """Starts the chain from ZALO_REFRESH_TOKEN (first start, or a new one configured)."""
        if not seed:
            raise ZaloAuthError("ZALO_REFRESH_TOKEN is not set and no token is stored")
        values = {
            "access_token": None,
            "refresh_token": seed,
            "expires_at": None,
            "seed_hash": _seed_hash(seed),
            "refreshing_until": None,
            "updated_at": dt.datetime.now(dt.UTC),
        }
        try:
            with self.engine.begin() as conn:
                if version is None:
                    conn.execute(zalo_tokens.insert().values(id=_ROW, version=1, **values))
                    return
                log.warning("a new ZALO_REFRESH_TOKEN is configured: the stored pair is replaced")
                conn.execute(
                    update(zalo_tokens)
                    .where(zalo_tokens.c.id == _ROW, zalo_tokens.c.version == version)
                    .values(version=version + 1, **values)
                )
        except IntegrityError:
            pass  # another replica seeded it at the same moment

    def _claim(self, version: int, now: dt.datetime) -> bool:
        """True if this caller may spend the refresh token: the one update at ``version``."""
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(zalo_tokens)
                .where(zalo_tokens.c.id == _ROW, zalo_tokens.c.version == version)
                .values(version=version + 1, refreshing_until=now + CLAIM_FOR)
            )
        return claimed.rowcount == 1

    def _release(self, version: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(zalo_tokens)
                .where(zalo_tokens.c.id == _ROW, zalo_tokens.c.version == version)
                .values(refreshing_until=None)
            )

    def _store(self, grant: TokenGrant) -> None:
        """Stores the new pair. Unconditional: Zalo accepted our refresh, so this pair is
        the valid one (a claim cannot lapse before, OAUTH_TIMEOUT_S < CLAIM_FOR)."""
        now = dt.datetime.now(dt.UTC)
        with self.engine.begin() as conn:
            conn.execute(
                update(zalo_tokens)
                .where(zalo_tokens.c.id == _ROW)
                .values(
                    access_token=grant.access_token,
                    refresh_token=grant.refresh_token,
                    expires_at=now + dt.timedelta(seconds=grant.expires_in),
                    refreshing_until=None,
                    version=zalo_tokens.c.version + 1,
                    updated_at=now,
                )
            )
