"""Who asked to be told when staff move a dossier: (channel, platform user id, code).

This is the one place where a platform's user id (a Telegram chat id, a Zalo user id) is
kept: a notification cannot be sent without it. Rasa's tracker store and the chat log
hold only keyed pseudonyms, and the actions never see the id (see
:mod:`server.dossiers.notices`). A row is written only after the citizen verified the
dossier (code + last 4 phone digits) in the same conversation and asked for it; it goes
when they opt out, after the dossier's final step was announced, or after
:data:`KEEP_FOR`, whichever comes first. The user id given to
:meth:`server.chat.ChatService.handle` is the one an outbound sender
(:class:`server.channels.outbound.Outbound`) sends to.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Engine, String, Table, delete, select, update
from sqlalchemy.exc import IntegrityError

from server import db
from server.dossiers.notices import NoticeRequest

KEEP_FOR = dt.timedelta(days=180)  # longer than any procedure's time limit

subscriptions = Table(
    "dossier_subscriptions",
    db.metadata,
    Column("channel", String(20), primary_key=True),
    Column("user_id", String(128), primary_key=True),  # the platform's id: needed to send
    Column("dossier_code", String(40), primary_key=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
_prepared: weakref.WeakSet[Engine] = weakref.WeakSet()


@dataclass(frozen=True)
class Subscriber:
    channel: str
    user_id: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Subscriptions:
    """The subscription table. Without an engine it uses the app database of the current
    settings, looked up at each call so tests can point the settings elsewhere."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        # An engine a test made itself is migrated here; db.engine() already is.
        eng = self._engine or db.engine()
        if eng not in _prepared:
            db.migrate(eng)
            _prepared.add(eng)
        return eng

    def apply(self, channel: str, user_id: str, request: NoticeRequest) -> None:
        if request.op == "subscribe" and request.code:
            self.subscribe(channel, user_id, request.code)
        elif request.op == "unsubscribe":
            self.unsubscribe(channel, user_id)

    def subscribe(self, channel: str, user_id: str, code: str) -> None:
        """Idempotent: asking twice keeps one row, with the time of the last request."""
        now = _now()
        table = subscriptions
        row = {"channel": channel, "user_id": user_id, "dossier_code": code}
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(table).where(table.c.created_at < now - KEEP_FOR))
                renewed = conn.execute(
                    update(table)
                    .where(*(table.c[key] == value for key, value in row.items()))
                    .values(created_at=now)
                ).rowcount
                if not renewed:
                    conn.execute(table.insert().values(**row, created_at=now))
        except IntegrityError:
            pass  # the same request, at the same moment, through another replica

    def unsubscribe(self, channel: str, user_id: str) -> int:
        """Ends every subscription of this user on this channel; how many there were."""
        table = subscriptions
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(table).where(table.c.channel == channel, table.c.user_id == user_id)
            )
        return int(result.rowcount)

    def subscribers(self, code: str) -> list[Subscriber]:
        table = subscriptions
        query = (
            select(table.c.channel, table.c.user_id)
            .where(table.c.dossier_code == code, table.c.created_at >= _now() - KEEP_FOR)
            .order_by(table.c.channel, table.c.user_id)
        )
        with self.engine.connect() as conn:
            return [Subscriber(row.channel, row.user_id) for row in conn.execute(query)]

    def end(self, code: str, subscriber: Subscriber) -> None:
        """Ends one subscription (after the dossier's last step was announced to it)."""
        table = subscriptions
        with self.engine.begin() as conn:
            conn.execute(
                delete(table).where(
                    table.c.dossier_code == code,
                    table.c.channel == subscriber.channel,
                    table.c.user_id == subscriber.user_id,
                )
            )
