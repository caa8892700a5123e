"""The app database: SQLite file by default, PostgreSQL by setting DATABASE_URL.

Holds what staff need to see and nothing Rasa already keeps: the (masked) chat log,
requests for a human officer, satisfaction ratings; and what every replica of the gateway
must share: the button tokens. Written through :class:`server.records.Records` and
:class:`server.chat.buttons.ButtonTokens`.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    text,
)

from server.core.config import get_settings

metadata = MetaData()

chat_messages = Table(
    "chat_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("direction", String(3), nullable=False),  # "in" from citizen, "out" from bot
    Column("text", Text, nullable=False),  # personal data masked
    Column("buttons", JSON),  # the bot's buttons, [{"title", "token"}], for the history
    Column("intent", String(64)),
)

# A button's payload is up to 113 bytes, more than Telegram's callback_data (64) and
# Zalo's payload allow: each channel sends a short token instead, looked up here.
button_tokens = Table(
    "button_tokens",
    metadata,
    Column("token", String(16), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
)

handoff_requests = Table(
    "handoff_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("procedure_id", String(120)),
    Column("last_message", Text),  # masked
    Column("status", String(20), nullable=False, server_default="open"),
)

# Webhook deliveries already handled (Telegram update_id, Zalo msg_id): see channels/dedup.py.
channel_events = Table(
    "channel_events",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("event_id", String(128), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False, index=True),
)

ratings = Table(
    "ratings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    Column("sender_hash", String(64), nullable=False, index=True),
    Column("procedure_id", String(120)),
    Column("satisfied", Boolean, nullable=False),
)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, pool_pre_ping=True)


_creating_tables = threading.Lock()


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The app database, its tables created on first use. Two threads of one process
    may get here at once (lru_cache does not lock): the tables are created under a lock,
    so the second finds them instead of failing with "table already exists"."""
    eng = make_engine(get_settings().app_database_url)
    with _creating_tables:
        metadata.create_all(eng)
    return eng


def is_up() -> bool:
    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "down" for the health check
        return False
