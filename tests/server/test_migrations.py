"""The schema is Alembic's: a fresh database, and one made before the migrations existed,
both reach the newest schema with their data, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from server import db
from server.core.config import get_settings
from server.schema import import_all_tables

pytestmark = pytest.mark.both_databases


def test_migrations_build_exactly_the_tables_the_code_uses() -> None:
    import_all_tables()
    engine = db.engine()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
        assert context.get_current_revision() == "0002"
    assert differences == [], "a table changed without a migration: add one"


def test_a_database_from_before_the_migrations_is_upgraded_with_its_data() -> None:
    engine = db.make_engine(get_settings().app_database_url)
    with engine.begin() as conn:  # the schema as `create_all` made it, unversioned
        command.upgrade(db._alembic_config(conn), db.FIRST_REVISION)
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            db.chat_messages.insert().values(
                channel="web", sender_hash="abc", direction="in", text="Xin chào"
            )
        )
    db.migrate(engine)
    assert "staff_accounts" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        texts = conn.execute(select(db.chat_messages.c.text)).scalars().all()
        assert MigrationContext.configure(conn).get_current_revision() == "0002"
    assert texts == ["Xin chào"]
