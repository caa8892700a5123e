"""The staff console's tables, on the shared :data:`server.db.metadata`.

Created and upgraded by the Alembic migrations in ``server/migrations`` like every other
table. Passwords are argon2 hashes and session tokens are stored as SHA-256 hashes only, so
a copy of the database logs nobody in.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from server import db

staff_accounts = Table(
    "staff_accounts",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("roles", String(100), nullable=False),  # comma-separated Role values
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
)

staff_sessions = Table(
    "staff_sessions",
    db.metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "account_id",
        Integer,
        ForeignKey("staff_accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

audit_log = Table(
    "audit_log",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("account_id", Integer),  # kept when the account goes: the log is history
    Column("username", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False, default=""),
    Column("detail", JSON),
)

record_versions = Table(
    "record_versions",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("procedure_id", String(120), nullable=False, index=True),
    # draft | submitted | published | rejected | withdrawn
    Column("status", String(12), nullable=False, index=True),
    Column("body", JSON, nullable=False),  # the record, as its YAML file would hold it
    Column("base_version_id", Integer),  # the published version the draft started from
    Column("batch_id", String(32), index=True),  # drafts made by one spreadsheet import
    Column("note", Text),  # the editor's summary of the change
    Column("created_by", Integer, ForeignKey("staff_accounts.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_by", Integer, ForeignKey("staff_accounts.id")),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("review_note", Text),
    Column("published_at", DateTime(timezone=True)),
)

inbox_labels = Table(
    "inbox_labels",
    db.metadata,
    Column(
        "message_id",
        Integer,
        ForeignKey("chat_messages.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("intent", String(64)),
    Column("procedure_id", String(120)),
    Column("out_of_scope", Boolean, nullable=False, default=False),
    Column("labelled_by", Integer, ForeignKey("staff_accounts.id"), nullable=False),
    Column("labelled_at", DateTime(timezone=True), nullable=False),
)
