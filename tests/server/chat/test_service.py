from __future__ import annotations

import unicodedata

import pytest

from server.chat import UNAVAILABLE, ChatInputError, ChatService
from server.chat.buttons import TOKEN, ButtonTokens
from server.rasa_client import RasaClient, RasaUnavailable
from server.records import Records
from tests.server.chat.fake_rasa import LONG_PAYLOAD, FakeRasa, ScriptedRasa


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def chat(rasa: FakeRasa) -> ChatService:
    client = RasaClient("http://rasa.test", 5, transport=rasa.transport())
    return ChatService(client, Records(), ButtonTokens(), max_chars=2000)


async def test_rasa_gets_a_pseudonymous_conversation_and_nfc_text(
    chat: ChatService, rasa: FakeRasa
) -> None:
    decomposed = unicodedata.normalize("NFD", "bằng tốt nghiệp")
    await chat.handle("telegram", "123456789", f"  {decomposed} ")
    sent = rasa.received[-1]
    assert sent["message"] == "bằng tốt nghiệp"
    assert sent["sender"].startswith("telegram-") and "123456789" not in sent["sender"]
    await chat.handle("zalo", "123456789", "chào")
    assert rasa.received[-1]["sender"].startswith("zalo-")
    assert rasa.received[-1]["sender"] != sent["sender"]


async def test_buttons_go_out_as_short_tokens_and_come_back_as_payloads(
    chat: ChatService, rasa: FakeRasa
) -> None:
    replies = await chat.handle("telegram", "42", "mất bằng")
    tokens = [b.token for b in replies[0].buttons]
    assert all(TOKEN.match(t) and len(t.encode()) <= 64 for t in tokens)
    assert len(LONG_PAYLOAD.encode()) > 64
    again = await chat.handle("telegram", "42", "mất bằng")
    assert [b.token for b in again[0].buttons] == tokens  # the same button, the same token
    await chat.handle("telegram", "42", tokens[0], button=True)
    assert rasa.received[-1]["message"] == LONG_PAYLOAD


async def test_a_token_is_understood_by_another_replica(chat: ChatService, rasa: FakeRasa) -> None:
    token = (await chat.handle("web", "s1", "mất bằng"))[0].buttons[0].token
    other = ChatService(chat.rasa, Records(), ButtonTokens(), max_chars=2000)
    await other.handle("web", "s1", token, button=True)
    assert rasa.received[-1]["message"] == LONG_PAYLOAD


async def test_typed_text_cannot_forge_an_intent_or_a_button(
    chat: ChatService, rasa: FakeRasa
) -> None:
    await chat.handle("web", "s1", '/give_verification{"dossier_verification": "1234"}')
    assert not rasa.received[-1]["message"].startswith("/")
    count = len(rasa.received)
    replies = await chat.handle("web", "s1", "bAAAAAAAAAAA", button=True)
    assert "nút này đã cũ" in (replies[0].text or "") and len(rasa.received) == count
    await chat.handle("web", "s1", "bAAAAAAAAAAA")  # typed, it is just text
    assert rasa.received[-1]["message"] == "bAAAAAAAAAAA"


@pytest.mark.parametrize("text", ["", "   \n\t", "///", "/ /"])
async def test_empty_messages_are_refused(chat: ChatService, text: str) -> None:
    with pytest.raises(ChatInputError) as error:
        await chat.handle("web", "s1", text)
    assert not error.value.too_long


async def test_too_long_messages_are_refused(chat: ChatService, rasa: FakeRasa) -> None:
    with pytest.raises(ChatInputError) as error:
        await chat.handle("web", "s1", "a" * 2001)
    assert error.value.too_long and not rasa.received


async def test_rasa_down_is_reported_and_the_message_is_kept(
    chat: ChatService, rasa: FakeRasa
) -> None:
    rasa.down = True
    with pytest.raises(RasaUnavailable):
        await chat.handle("web", "s1", "xin chào")
    assert [m.text for m in await chat.history("web", "s1")] == ["xin chào"]


@pytest.mark.parametrize("paused", [False, True])
async def test_a_turn_rasa_answered_with_nothing_gets_the_apology(paused: bool) -> None:
    """The action server down: Rasa runs no action and says nothing but the turn. Only a
    conversation an officer holds (paused) is silent on purpose."""
    turn = {"custom": {"turn": {"intent": "ask_fee", "confidence": 0.9, "paused": paused}}}
    client = RasaClient("http://rasa.test", 5, transport=ScriptedRasa([turn]).transport())
    chat = ChatService(client, Records(), ButtonTokens(), max_chars=2000)
    replies = await chat.handle("web", "s1", "lệ phí bao nhiêu")
    assert [r.text for r in replies] == ([] if paused else [UNAVAILABLE])
    logged = [m.text for m in await chat.history("web", "s1")]
    assert logged == ["lệ phí bao nhiêu"] + ([] if paused else [UNAVAILABLE])


async def test_the_history_is_masked_and_keeps_the_buttons(chat: ChatService) -> None:
    await chat.handle("web", "s1", "sđt tôi 0912 345 678")
    await chat.handle("web", "s1", "5678")
    history = await chat.history("web", "s1")
    assert [(m.direction, m.text) for m in history if m.direction == "in"] == [
        ("in", "sđt tôi **********"),
        ("in", "****"),
    ]
    bot = [m for m in history if m.direction == "out"]
    assert "0912" not in bot[0].text and "345" not in bot[0].text
    assert [b.title for b in bot[0].buttons] == ["Giấy tờ cần chuẩn bị", "😊 Hài lòng"]
    assert await chat.history("web", "someone-else") == []


async def test_a_button_press_is_logged_with_its_title(chat: ChatService) -> None:
    token = (await chat.handle("web", "s1", "mất bằng"))[0].buttons[1].token
    await chat.handle("web", "s1", token, button=True)
    assert (await chat.history("web", "s1"))[-2].text == "😊 Hài lòng"
