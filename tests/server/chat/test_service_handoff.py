"""The chat service and the hand-off: what each turn was is logged with the citizen's
message, a request for an officer is queued with the platform user id, a paused
conversation gets no answer, and an officer's message goes out through the channel."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from server import db
from server.chat import ChatService
from server.chat.buttons import ButtonTokens
from server.chat.service import HANDOFF_NOT_SAVED
from server.core.security import conversation_id
from server.rasa_client import BotMessage, Button, RasaClient, RasaUnavailable
from server.records import Records
from server.staff.handoffs import Handoffs
from tests.fakes.outbound import RecordingOutbound
from tests.server.chat.fake_rasa import HANDOFF_TEXT, FakeRasa, ScriptedRasa


def service(rasa: FakeRasa, **senders: RecordingOutbound) -> ChatService:
    client = RasaClient("http://rasa.test", 5, transport=rasa.transport())
    return ChatService(client, Records(), ButtonTokens(), 2000, outbound=senders)


def logged_rows() -> list[dict[str, object]]:
    with db.engine().connect() as conn:
        rows = conn.execute(select(db.chat_messages).order_by(db.chat_messages.c.id))
        return [dict(row) for row in rows.mappings()]


def queue_rows() -> list[dict[str, object]]:
    with db.engine().connect() as conn:
        return [dict(r) for r in conn.execute(select(db.handoff_requests)).mappings()]


async def test_the_turn_is_logged_with_the_citizens_message_and_never_shown() -> None:
    rasa = FakeRasa()
    replies = await service(rasa).handle("telegram", "42", "mất bằng")
    assert [r.text for r in replies] == ["Dạ, em nhận được: mất bằng"]
    citizen, bot = logged_rows()
    assert (citizen["direction"], citizen["intent"], citizen["confidence"]) == (
        "in",
        "ask_procedure",
        0.875,
    )
    assert citizen["procedure_id"] == rasa.turn["procedure_id"] and citizen["author"] is None
    assert (bot["direction"], bot["author"], bot["intent"]) == ("out", "bot", None)
    assert bot["id"] > citizen["id"]  # type: ignore[operator]


async def test_a_request_for_an_officer_is_queued_once_with_the_platform_id() -> None:
    rasa = FakeRasa()
    chat = service(rasa)
    replies = await chat.handle("zalo", "987654321", "cho tôi gặp cán bộ, sđt 0912345678")
    assert [r.text for r in replies] == [HANDOFF_TEXT]
    await chat.handle("zalo", "987654321", "cho tôi gặp cán bộ")  # asked again while waiting
    [entry] = queue_rows()
    assert entry["channel"] == "zalo" and entry["user_id"] == "987654321"
    assert entry["conversation"] == conversation_id("zalo", "987654321")
    assert entry["procedure_id"] == rasa.turn["procedure_id"] and entry["status"] == "open"
    assert entry["last_message"] == "cho tôi gặp cán bộ, sđt **********"
    assert await chat.handoff_state("zalo", "987654321") == "waiting"
    assert await chat.handoff_state("zalo", "other") is None
    # Another citizen gets an entry of their own.
    await chat.handle("zalo", "111", "cho tôi gặp cán bộ")
    assert len(queue_rows()) == 2


async def test_when_the_request_cannot_be_queued_the_citizen_is_told(tmp_path: Path) -> None:
    broken = Handoffs(create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}"))
    client = RasaClient("http://rasa.test", 5, transport=FakeRasa().transport())
    chat = ChatService(client, Records(), ButtonTokens(), 2000, handoffs=broken)
    replies = await chat.handle("web", "s1", "cho tôi gặp cán bộ")
    assert [r.text for r in replies] == [HANDOFF_NOT_SAVED]


async def test_a_paused_conversation_gets_no_answer_but_is_logged() -> None:
    rasa = FakeRasa()
    chat = service(rasa)
    rasa.paused.add(conversation_id("web", "s1"))
    exchange = await chat.exchange("web", "s1", "em vẫn đang chờ ạ")
    assert exchange.replies == []
    [citizen] = logged_rows()
    assert citizen["text"] == "em vẫn đang chờ ạ" and citizen["intent"] == "ask_procedure"
    assert exchange.logged == [citizen["id"]]


async def test_a_turn_is_logged_with_the_ids_the_history_gives() -> None:
    chat = service(FakeRasa())
    exchange = await chat.exchange("web", "s1", "xin chào")
    history = await chat.history("web", "s1")
    assert exchange.logged == [m.id for m in history] and len(history) == 2
    assert await chat.history("web", "s1", after=history[0].id) == history[1:]


async def test_unknown_and_malformed_turns_are_dropped() -> None:
    rasa = ScriptedRasa(
        [
            {"text": "Dạ."},
            {"custom": {"turn": {"confidence": "very"}}},
            {"custom": {"handoff": "now"}},
            {"custom": {"turn": {"intent": "greet"}, "extra": 1}},
        ]
    )
    replies = await service(rasa).handle("telegram", "42", "xin chào")
    assert [r.text for r in replies] == ["Dạ."]
    assert logged_rows()[0]["intent"] is None and queue_rows() == []


async def test_rasa_down_still_logs_the_citizens_message() -> None:
    rasa = FakeRasa()
    rasa.down = True
    with pytest.raises(RasaUnavailable):
        await service(rasa).handle("web", "s1", "xin chào")
    [citizen] = logged_rows()
    assert citizen["text"] == "xin chào" and citizen["intent"] is None


async def test_deliver_sends_through_the_channel_and_logs_the_officer() -> None:
    telegram = RecordingOutbound()
    chat = service(FakeRasa(), telegram=telegram)
    buttons = [Button(title="😊 Hài lòng", payload='/rate{"rating": "hai_long"}')]
    messages = [
        BotMessage(text="Dạ, em là cán bộ Lan."),
        BotMessage(text="Đánh giá?", buttons=buttons),
    ]
    assert await chat.deliver("telegram", "42", messages, "officer")
    [(user_id, replies)] = telegram.sent
    assert user_id == "42" and [r.text for r in replies] == ["Dạ, em là cán bộ Lan.", "Đánh giá?"]
    token = replies[1].buttons[0].token
    assert token != buttons[0].payload and chat.buttons.resolve(token) is not None
    history = await chat.history("telegram", "42")
    assert [(m.text, m.author) for m in history] == [
        ("Dạ, em là cán bộ Lan.", "officer"),
        ("Đánh giá?", "officer"),
    ]
    assert history[1].buttons[0].token == token


async def test_deliver_to_the_web_is_the_history_and_a_failed_send_is_not_logged() -> None:
    failing = RecordingOutbound(delivers=False)
    chat = service(FakeRasa(), zalo=failing)
    assert await chat.deliver("web", "s1", [BotMessage(text="Chào anh/chị")], "officer")
    assert [m.author for m in await chat.history("web", "s1")] == ["officer"]
    assert not await chat.deliver("zalo", "7", [BotMessage(text="Chào")], "officer")
    assert failing.sent and await chat.history("zalo", "7") == []
    # A channel without a sender (not configured) cannot be delivered to.
    assert not await chat.deliver("telegram", "7", [BotMessage(text="Chào")], "officer")
