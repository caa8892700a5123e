"""The chat service and the actions' machine messages (notification requests): carried
out with the platform user id only the service knows, and never shown to anyone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from server.chat import ChatService
from server.chat.buttons import ButtonTokens
from server.chat.service import NOT_SAVED
from server.chat.subscriptions import Subscriber, Subscriptions
from server.dossiers.notices import KEY, subscribe_message, unsubscribe_message
from server.rasa_client import RasaClient
from server.records import Records
from tests.server.chat.fake_rasa import ScriptedRasa

CODE = "H10.22-261130-9001"
CONFIRM = "Dạ, em đã ghi nhận ạ."


def service(rasa: ScriptedRasa, store: Subscriptions | None = None) -> ChatService:
    client = RasaClient("http://rasa.test", 5, transport=rasa.transport())
    return ChatService(client, Records(), ButtonTokens(), 2000, store or Subscriptions())


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_a_subscription_is_stored_with_the_platform_id_and_never_shown(
    channel: str,
) -> None:
    rasa = ScriptedRasa([{"text": CONFIRM}, {"custom": subscribe_message(CODE)}])
    chat = service(rasa)
    replies = await chat.handle(channel, "987654321", "báo cho tôi khi có kết quả")
    assert [r.model_dump() for r in replies] == [{"text": CONFIRM, "buttons": [], "image": None}]
    assert Subscriptions().subscribers(CODE) == [Subscriber(channel, "987654321")]
    # Rasa only ever saw the pseudonym; the chat log holds neither the id nor the message.
    assert "987654321" not in rasa.received[-1]["sender"]
    logged = await chat.history(channel, "987654321")
    assert [m.text for m in logged] == ["báo cho tôi khi có kết quả", CONFIRM]
    assert not any(KEY in m.text for m in logged)


async def test_unsubscribe_removes_the_users_subscriptions() -> None:
    store = Subscriptions()
    store.subscribe("telegram", "42", CODE)
    store.subscribe("telegram", "43", CODE)
    rasa = ScriptedRasa([{"text": "Dạ, em đã dừng."}, {"custom": unsubscribe_message()}])
    await service(rasa).handle("telegram", "42", "huy thong bao")
    assert store.subscribers(CODE) == [Subscriber("telegram", "43")]


async def test_the_web_channel_stores_nothing() -> None:
    """The action already explained that only Zalo and Telegram can notify; a request that
    came from the web anyway is ignored (nothing could ever be sent)."""
    rasa = ScriptedRasa([{"text": CONFIRM}, {"custom": subscribe_message(CODE)}])
    replies = await service(rasa).handle("web", "session-1", "báo cho tôi")
    assert [r.text for r in replies] == [CONFIRM]
    assert Subscriptions().subscribers(CODE) == []


@pytest.mark.parametrize(
    "custom",
    [
        {"something": "else"},
        {KEY: {"op": "subscribe", "code": "h10.22 - 261130 - 9001"}},  # not canonical
        {KEY: {"op": "subscribe"}},
        {KEY: {"op": "delete_everything"}},
        {KEY: {"op": "subscribe", "code": CODE, "user_id": "1"}},
        ["not", "an", "object"],
        "text",
    ],
)
async def test_unknown_or_malformed_machine_messages_are_dropped(custom: object) -> None:
    rasa = ScriptedRasa([{"text": "Dạ."}, {"custom": custom}])
    replies = await service(rasa).handle("telegram", "42", "xin chào")
    assert [r.text for r in replies] == ["Dạ."]
    assert Subscriptions().subscribers(CODE) == []


async def test_when_the_request_cannot_be_stored_the_citizen_is_told(tmp_path: Path) -> None:
    broken = Subscriptions(create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}"))
    rasa = ScriptedRasa([{"text": CONFIRM}, {"custom": subscribe_message(CODE)}])
    replies = await service(rasa, broken).handle("telegram", "42", "báo cho tôi")
    assert [r.text for r in replies] == [NOT_SAVED]
