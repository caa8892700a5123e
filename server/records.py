"""What the gateway and the actions keep for staff: the chat log and satisfaction ratings,
in the app database. (The officers' hand-off queue is :mod:`server.staff.handoffs`.)

One small class, so no route or action writes SQL of its own: every record is masked and
pseudonymised here, on the way in. A turn of a conversation (the citizen's message, what
the NLU made of it, and the answers) is written in one transaction: one round trip to the
database per message, and never a citizen message logged without its answers beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, select

from server import db
from server.core.privacy import mask_personal_data
from server.core.security import sender_hash

Direction = Literal["in", "out"]
Author = Literal["bot", "officer"]  # who wrote an outgoing message
_MAX_TEXT = 4000


class LoggedButton(BaseModel):
    title: str
    token: str


class Understanding(BaseModel):
    """What Rasa made of a citizen's message, for the staff inbox and the reports."""

    intent: str | None = None
    confidence: float | None = None
    procedure_id: str | None = None


class Outgoing(BaseModel):
    """A message to the citizen, as the log keeps it."""

    text: str
    buttons: list[LoggedButton] = []


class LoggedMessage(BaseModel):
    id: int
    direction: Direction
    text: str
    buttons: list[LoggedButton] = []
    author: Author | None = None  # None on the citizen's messages
    created_at: dt.datetime


def utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive times: they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


class Records:
    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    def log_turn(
        self,
        channel: str,
        conversation: str,
        said: str | None,
        answers: Sequence[Outgoing] = (),
        *,
        understood: Understanding | None = None,
        author: Author = "bot",
    ) -> list[int]:
        """Logs the citizen's message ``said`` (None: only answers, as an officer's) and the
        ``answers`` of ``author`` in one transaction; returns their ids, in order. ``said``
        must already be masked (see ChatService: a verification answer needs more)."""
        sender = sender_hash(conversation)
        ids: list[int] = []
        with self.engine.begin() as conn:
            if said is not None:
                meta = understood or Understanding()
                ids.append(
                    _insert(
                        conn,
                        channel,
                        sender,
                        "in",
                        said,
                        intent=(meta.intent or None) and meta.intent[:64],
                        confidence=meta.confidence,
                        procedure_id=(meta.procedure_id or None) and meta.procedure_id[:120],
                    )
                )
            for answer in answers:
                buttons = [b.model_dump() for b in answer.buttons] or None
                out = _insert(
                    conn, channel, sender, "out", answer.text, buttons=buttons, author=author
                )
                ids.append(out)
        return ids

    def log_message(
        self,
        channel: str,
        conversation: str,
        direction: Direction,
        text: str,
        buttons: list[LoggedButton] | None = None,
    ) -> None:
        """One message in a transaction of its own (a citizen's must be masked already)."""
        if direction == "in":
            self.log_turn(channel, conversation, text)
        else:
            self.log_turn(channel, conversation, None, [Outgoing(text=text, buttons=buttons or [])])

    def history(
        self, conversation: str, limit: int = 100, after: int | None = None
    ) -> list[LoggedMessage]:
        """Oldest first: the last ``limit`` messages of a conversation or, ``after`` a
        message id, the first ``limit`` newer ones (what a polling widget has not seen)."""
        table = db.chat_messages
        query = select(
            table.c.id,
            table.c.direction,
            table.c.text,
            table.c.buttons,
            table.c.author,
            table.c.created_at,
        ).where(table.c.sender_hash == sender_hash(conversation))
        if after is None:
            query = query.order_by(table.c.id.desc()).limit(limit)
        else:
            query = query.where(table.c.id > after).order_by(table.c.id).limit(limit)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        if after is None:
            rows.reverse()
        return [
            LoggedMessage(
                id=row.id,
                direction=row.direction,
                text=row.text,
                buttons=row.buttons or [],
                # Rows from before the console have no author: only the bot answered then.
                author=(row.author or "bot") if row.direction == "out" else None,
                created_at=utc(row.created_at),
            )
            for row in rows
        ]

    def rate(self, conversation: str, procedure_id: str | None, satisfied: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                db.ratings.insert().values(
                    sender_hash=sender_hash(conversation),
                    procedure_id=procedure_id,
                    satisfied=satisfied,
                )
            )


def _insert(
    conn: Connection,
    channel: str,
    sender: str,
    direction: Direction,
    text: str,
    **columns: object,
) -> int:
    result = conn.execute(
        db.chat_messages.insert().values(
            channel=channel,
            sender_hash=sender,
            direction=direction,
            text=mask_personal_data(text)[:_MAX_TEXT],
            **columns,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]
