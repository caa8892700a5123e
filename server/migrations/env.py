"""Alembic's entry point: runs the migrations on the connection :func:`server.db.migrate`
hands over, or, from the ``alembic`` command line, on the app database of the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from server import db
from server.core.config import get_settings
from server.schema import import_all_tables

import_all_tables()  # every table on db.metadata, for `alembic revision --autogenerate`
target_metadata = db.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters a table by copying it
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with db.make_engine(get_settings().app_database_url).connect() as own:
        _run(own)
        own.commit()
