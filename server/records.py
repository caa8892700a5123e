"""What the gateway and the actions keep for staff: the chat log, hand-off requests and
satisfaction ratings, in the app database.

One small class, so no route or action writes SQL of its own: every record is masked and
pseudonymised here, on the way in.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Engine, select

from server import db
from server.core.privacy import mask_personal_data
from server.core.security import sender_hash

Direction = Literal["in", "out"]
_MAX_TEXT = 4000


class LoggedButton(BaseModel):
    title: str
    token: str


class LoggedMessage(BaseModel):
    direction: Direction
    text: str
    buttons: list[LoggedButton] = []
    created_at: dt.datetime


class Records:
    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    def log_message(
        self,
        channel: str,
        conversation: str,
        direction: Direction,
        text: str,
        buttons: list[LoggedButton] | None = None,
    ) -> None:
        """``text`` must already be masked where it is the citizen's (see ChatService)."""
        with self.engine.begin() as conn:
            conn.execute(
                db.chat_messages.insert().values(
                    channel=channel,
                    sender_hash=sender_hash(conversation),
                    direction=direction,
                    text=mask_personal_data(text)[:_MAX_TEXT],
                    buttons=[b.model_dump() for b in buttons] if buttons else None,
                )
            )

    def history(self, conversation: str, limit: int = 100) -> list[LoggedMessage]:
        """The last ``limit`` messages of a conversation, oldest first."""
        table = db.chat_messages
        query = (
            select(table.c.direction, table.c.text, table.c.buttons, table.c.created_at)
            .where(table.c.sender_hash == sender_hash(conversation))
            .order_by(table.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = list(conn.execute(query))
        return [
            LoggedMessage(
                direction=row.direction,
                text=row.text,
                buttons=row.buttons or [],
                created_at=row.created_at,
            )
            for row in reversed(rows)
        ]

    def request_handoff(
        self, conversation: str, procedure_id: str | None, last_message: str
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                db.handoff_requests.insert().values(
                    sender_hash=sender_hash(conversation),
                    procedure_id=procedure_id,
                    last_message=mask_personal_data(last_message)[:2000],
                )
            )

    def rate(self, conversation: str, procedure_id: str | None, satisfied: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                db.ratings.insert().values(
                    sender_hash=sender_hash(conversation),
                    procedure_id=procedure_id,
                    satisfied=satisfied,
                )
            )
