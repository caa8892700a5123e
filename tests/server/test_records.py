"""The chat log on SQLite and PostgreSQL: a turn in one transaction, what the NLU made of
the citizen's message, who wrote each answer, and the history a polling widget reads."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server import db
from server.core.security import sender_hash
from server.records import LoggedButton, Outgoing, Records, Understanding

pytestmark = pytest.mark.both_databases
CONVERSATION = "web-abc"


def test_a_turn_is_logged_in_order_with_its_understanding() -> None:
    records = Records()
    understood = Understanding(intent="ask_fee", confidence=0.42, procedure_id="x" * 150)
    buttons = [LoggedButton(title="Lệ phí", token="b12345678901")]
    ids = records.log_turn(
        "web",
        CONVERSATION,
        "số tôi 0912345678",
        [Outgoing(text="Dạ, lệ phí là…", buttons=buttons), Outgoing(text="Còn gì nữa ạ?")],
        understood=understood,
    )
    assert len(ids) == 3 and ids == sorted(ids)
    with db.engine().connect() as conn:
        rows = conn.execute(select(db.chat_messages).order_by(db.chat_messages.c.id)).mappings()
        citizen, first, second = rows.all()
    assert citizen["text"] == "số tôi **********" and citizen["author"] is None
    assert (citizen["intent"], citizen["confidence"]) == ("ask_fee", 0.42)
    assert citizen["procedure_id"] == "x" * 120  # the column's width
    assert (first["author"], first["intent"], first["buttons"]) == (
        "bot",
        None,
        [b.model_dump() for b in buttons],
    )
    assert second["buttons"] is None


def test_history_gives_ids_authors_and_what_came_after() -> None:
    records = Records()
    records.log_turn("web", CONVERSATION, "chào", [Outgoing(text="Dạ, em chào")])
    [officer] = records.log_turn(
        "web", CONVERSATION, None, [Outgoing(text="Tôi là cán bộ")], author="officer"
    )
    records.log_turn("web", "web-other", "của người khác")
    history = records.history(CONVERSATION)
    assert [(m.direction, m.author, m.text) for m in history] == [
        ("in", None, "chào"),
        ("out", "bot", "Dạ, em chào"),
        ("out", "officer", "Tôi là cán bộ"),
    ]
    assert history[-1].id == officer
    assert all(m.created_at.tzinfo is not None for m in history)
    assert records.history(CONVERSATION, after=history[0].id) == history[1:]
    assert records.history(CONVERSATION, after=officer) == []
    assert [m.text for m in records.history(CONVERSATION, limit=1)] == ["Tôi là cán bộ"]
    assert [m.text for m in records.history(CONVERSATION, limit=1, after=0)] == ["chào"]


def test_a_message_from_before_the_console_reads_as_the_bots() -> None:
    with db.engine().begin() as conn:
        conn.execute(
            db.chat_messages.insert().values(
                channel="web",
                sender_hash=sender_hash(CONVERSATION),
                direction="out",
                text="cũ",
                created_at=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
            )
        )
    [old] = Records().history(CONVERSATION)
    assert old.author == "bot"
