"""Buttons travel as short opaque tokens: Rasa's payloads (up to 113 bytes, with JSON
entities) exceed Telegram's 64-byte callback_data and Zalo's short payloads, and a token
cannot be edited into another intent or entity by the client.

A token is a keyed hash of the button's title and payload, so the same button always gets
the same token and the table grows with the catalogue, not with the conversations. The
table lives in the app database, shared by every replica of the gateway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from server import db
from server.core.security import keyed_token

TOKEN_LENGTH = 12
_PREFIX = "b"
TOKEN = re.compile(rf"^{_PREFIX}[A-Za-z0-9_-]{{{TOKEN_LENGTH - 1}}}$")


@dataclass(frozen=True)
class ButtonPress:
    payload: str  # what Rasa receives
    title: str  # what the citizen saw and pressed


class ButtonTokens:
    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine
        self._known: dict[str, ButtonPress] = {}

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    def token_for(self, title: str, payload: str) -> str:
        token = _PREFIX + keyed_token(f"{title}\x00{payload}", TOKEN_LENGTH - 1)
        if token not in self._known:
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        db.button_tokens.insert().values(token=token, payload=payload, title=title)
                    )
            except IntegrityError:
                pass  # stored before, by this replica or another
            self._known[token] = ButtonPress(payload, title)
        return token

    def resolve(self, text: str) -> ButtonPress | None:
        """The button a token names; None for text that is no known token."""
        if not TOKEN.match(text):
            return None
        if text in self._known:
            return self._known[text]
        table = db.button_tokens
        with self.engine.connect() as conn:
            row = conn.execute(
                select(table.c.payload, table.c.title).where(table.c.token == text)
            ).first()
        if row is None:
            return None
        press = self._known[text] = ButtonPress(row.payload, row.title)
        return press
