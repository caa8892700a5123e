"""The app database: SQLite file by default, PostgreSQL by setting DATABASE_URL.

Holds what staff need to see and nothing Rasa already keeps: the (masked) chat log,
requests for a human officer, satisfaction ratings, the staff console's accounts and
catalogue versions; and what every replica of the gateway must share: the button tokens.
The schema is Alembic's (``server/migrations``): a department upgrades a release without
losing data, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import argparse
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    inspect,
    text,
)
from sqlalchemy.exc import OperationalError

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
    Column("intent", String(64)),  # what Rasa understood, on the citizen's messages
    Column("confidence", Float),
    Column("procedure_id", String(120)),  # the procedure the turn was about, if any
    Column("author", String(10)),  # "bot" or "officer" on outgoing messages
    Index("ix_chat_messages_created_at", "created_at"),
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
    Column("status", String(20), nullable=False, server_default="open"),  # taken, closed
    Column("channel", String(20)),
    Column("conversation", String(64), index=True),  # Rasa's sender id (a pseudonym)
    # The platform's user id, needed to send the officer's replies; cleared on closing.
    Column("user_id", String(128)),
    Column("taken_by", Integer),  # staff_accounts.id
    Column("taken_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Index("ix_handoff_requests_created_at", "created_at"),
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
    Index("ix_ratings_created_at", "created_at"),
)


def make_engine(url: str) -> Engine:
    eng = create_engine(url, pool_pre_ping=True)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        event.listen(eng, "connect", sqlite_for_concurrency)
    return eng


def sqlite_for_concurrency(dbapi_connection: Any, connection_record: Any) -> None:
    """The gateway and the action server write the same SQLite file at once. In WAL mode
    readers never wait for a writer, and with ``synchronous=NORMAL`` a commit no longer waits
    for the disk (a power cut may lose the last commits, never corrupt the file): the commit
    was a quarter of the gateway's CPU time per turn under load."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
FIRST_REVISION = "0001"  # the schema that `metadata.create_all` made before migrations
_migrating = threading.Lock()


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(eng: Engine) -> None:
    with eng.begin() as conn:
        if conn.dialect.name == "postgresql":  # replicas starting together take turns
            conn.execute(text("SELECT pg_advisory_xact_lock(20261130)"))
        config = _alembic_config(conn)
        unversioned = MigrationContext.configure(conn).get_current_revision() is None
        if unversioned and "chat_messages" in inspect(conn).get_table_names():
            command.stamp(config, FIRST_REVISION)  # a database from before the migrations
        command.upgrade(config, "head")


def migrate(eng: Engine, attempts: int = 5) -> None:
    """Brings the database to the newest schema (``server/migrations``), keeping its data.

    Every process of the stack calls this when it first opens the database. On SQLite two
    processes starting at once may both try the same step: the loser's transaction fails
    and is rolled back, and its next attempt finds the schema already there."""
    with _migrating:
        for attempt in range(attempts):
            try:
                _upgrade(eng)
                return
            except OperationalError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The app database of the settings, migrated to the newest schema on first use."""
    eng = make_engine(get_settings().app_database_url)
    migrate(eng)
    return eng


def is_up() -> bool:
    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "down" for the health check
        return False


def main() -> None:
    """``python -m server.db upgrade``: what a department runs after installing a new
    release (the stack also does it when it starts)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("command", choices=["upgrade", "current"])
    args = parser.parse_args()
    eng = make_engine(get_settings().app_database_url)
    if args.command == "upgrade":
        migrate(eng)
    with eng.connect() as conn:
        print(MigrationContext.configure(conn).get_current_revision())


if __name__ == "__main__":
    main()
