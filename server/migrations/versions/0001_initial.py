"""the tables of the app database before the staff console

Revision ID: 0001
Revises:

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "button_tokens",
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_table(
        "channel_events",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "event_id"),
    )
    with op.batch_alter_table("channel_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_events_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sender_hash", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chat_messages_sender_hash"), ["sender_hash"], unique=False
        )

    op.create_table(
        "dossier_lookup_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dossier_lookup_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dossier_lookup_failures_happened_at"), ["happened_at"], unique=False
        )
        batch_op.create_index(
            "ix_dossier_lookup_failures_key_time", ["key_hash", "happened_at"], unique=False
        )

    op.create_table(
        "dossier_subscriptions",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("dossier_code", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "user_id", "dossier_code"),
    )
    with op.batch_alter_table("dossier_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dossier_subscriptions_dossier_code"), ["dossier_code"], unique=False
        )

    op.create_table(
        "dossiers",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("procedure_id", sa.String(length=120), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("phone_last4", sa.String(length=4), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("step_note", sa.Text(), nullable=True),
        sa.Column("pickup_place", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("sender_hash", sa.String(length=64), nullable=False),
        sa.Column("procedure_id", sa.String(length=120), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoff_requests_sender_hash"), ["sender_hash"], unique=False
        )

    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("sender_hash", sa.String(length=64), nullable=False),
        sa.Column("procedure_id", sa.String(length=120), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_sender_hash"), ["sender_hash"], unique=False)

    op.create_table(
        "undelivered_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("undelivered_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_undelivered_messages_conversation"), ["conversation"], unique=False
        )

    op.create_table(
        "zalo_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seed_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("refreshing_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "dossier_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["code"], ["dossiers.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dossier_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossier_steps_code"), ["code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dossier_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_steps_code"))

    op.drop_table("dossier_steps")
    op.drop_table("zalo_tokens")
    with op.batch_alter_table("undelivered_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_undelivered_messages_conversation"))

    op.drop_table("undelivered_messages")
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_sender_hash"))

    op.drop_table("ratings")
    with op.batch_alter_table("handoff_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_requests_sender_hash"))

    op.drop_table("handoff_requests")
    op.drop_table("dossiers")
    with op.batch_alter_table("dossier_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_subscriptions_dossier_code"))

    op.drop_table("dossier_subscriptions")
    with op.batch_alter_table("dossier_lookup_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_lookup_failures_key_time")
        batch_op.drop_index(batch_op.f("ix_dossier_lookup_failures_happened_at"))

    op.drop_table("dossier_lookup_failures")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_messages_sender_hash"))

    op.drop_table("chat_messages")
    with op.batch_alter_table("channel_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_events_received_at"))

    op.drop_table("channel_events")
    op.drop_table("button_tokens")
