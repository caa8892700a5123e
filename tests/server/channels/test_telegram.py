"""The Telegram channel's webhook, with Update JSON as Telegram sends it, a stand-in for
Rasa, and a local fake Bot API that records what the bot sent (the conversation itself is
tested end to end in tests/e2e/test_telegram.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from server.channels.telegram import EDITED, EMPTY_TEXT, PRIVATE_ONLY, TEXT_ONLY
from server.channels.telegram_send import MAX_TEXT
from server.chat import UNAVAILABLE, Reply, ReplyButton
from server.chat.buttons import TOKEN
from server.chat.service import STALE_BUTTON
from server.core.config import get_settings
from server.core.security import conversation_id
from server.main import create_app
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import FakeTelegramApi
from tests.server.channels.telegram_setup import (  # noqa: F401 - fixtures
    CHAT,
    SECRET,
    api_fixture,
    chat_service,
    fake_api_fixture,
    rasa_fixture,
)
from tests.server.chat.fake_rasa import LONG_PAYLOAD, FakeRasa

HOOK = "/webhooks/telegram"


@pytest.fixture
def client(api: FakeTelegramApi, rasa: FakeRasa) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        test_client.app.state.chat = chat_service(rasa.transport())  # type: ignore[attr-defined]
        yield test_client


def deliver(client: TestClient, update: Any, secret: str | None = SECRET) -> Any:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post(HOOK, json=update, headers=headers)


def sent_texts(api: FakeTelegramApi) -> list[str]:
    return [c.params["text"] for c in api.wait_for("sendMessage", timeout_s=0)]


def test_a_typed_question_is_answered_with_an_inline_keyboard(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa
) -> None:
    response = deliver(client, tg.text(CHAT, "mất bằng tốt nghiệp cấp 3"))
    assert response.status_code == 200
    assert rasa.received == [
        {"sender": conversation_id("telegram", str(CHAT)), "message": "mất bằng tốt nghiệp cấp 3"}
    ]
    assert str(CHAT) not in rasa.received[0]["sender"]
    (message,) = api.wait_for("sendMessage")
    assert message.params["chat_id"] == CHAT
    assert message.params["text"] == "Dạ, em nhận được: mất bằng tốt nghiệp cấp 3"
    keyboard = message.params["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Giấy tờ cần chuẩn bị", "😊 Hài lòng"]
    for (button,) in keyboard:
        assert TOKEN.match(button["callback_data"])  # 12 characters, far under 64 bytes
    typing = api.calls("sendChatAction")
    assert [c.params["action"] for c in typing] == ["typing"]


def test_a_button_press_is_answered_and_sends_the_buttons_payload(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa
) -> None:
    deliver(client, tg.text(CHAT, "mất bằng"))
    keyboard = api.wait_for("sendMessage")[0].params["reply_markup"]["inline_keyboard"]
    token = keyboard[0][0]["callback_data"]
    press = tg.button_press(CHAT, token, keyboard)
    assert deliver(client, press).status_code == 200
    (answered,) = api.wait_for("answerCallbackQuery")
    assert answered.params["callback_query_id"] == press["callback_query"]["id"]
    assert rasa.received[-1]["message"] == LONG_PAYLOAD
    assert rasa.received[-1]["sender"] == rasa.received[0]["sender"]  # the same conversation
    assert sent_texts(api)[-1] == f"Dạ, em nhận được: {LONG_PAYLOAD}"


@pytest.mark.parametrize("data", ["bAAAAAAAAAAA", '/restart{"x": 1}', "Giấy tờ"])
def test_an_unknown_or_forged_button_never_reaches_rasa(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa, data: str
) -> None:
    deliver(client, tg.button_press(CHAT, data))
    assert len(api.wait_for("answerCallbackQuery")) == 1  # the spinner stops all the same
    assert sent_texts(api) == [STALE_BUTTON]
    assert rasa.received == []


def test_start_is_a_greeting(client: TestClient, api: FakeTelegramApi, rasa: FakeRasa) -> None:
    deliver(client, tg.text(CHAT, "/start"))
    deliver(client, tg.text(CHAT, "/start@sgddt_test_bot tu-website"))
    assert [r["message"] for r in rasa.received] == ["Xin chào", "Xin chào"]


@pytest.mark.parametrize("update", [tg.sticker, tg.photo, tg.voice, tg.document, tg.location])
def test_what_is_not_text_gets_a_polite_answer(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa, update: Any
) -> None:
    assert deliver(client, update(CHAT)).status_code == 200
    assert sent_texts(api) == [TEXT_ONLY]
    assert api.wait_for("sendMessage")[0].params["chat_id"] == CHAT
    assert rasa.received == []


def test_a_photo_with_a_caption_is_still_a_photo(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa
) -> None:
    deliver(client, tg.photo(CHAT, caption="giấy khai sinh của con em"))
    assert sent_texts(api) == [TEXT_ONLY]
    assert rasa.received == []


def test_an_edited_message_gets_a_polite_answer(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa
) -> None:
    assert deliver(client, tg.edited_text(CHAT, "mất bằng cấp 2")).status_code == 200
    assert sent_texts(api) == [EDITED]
    assert rasa.received == []


@pytest.mark.parametrize(
    "update",
    [tg.channel_post(), tg.blocked_by_citizen(CHAT), {"update_id": 731_999_999}],
)
def test_updates_with_nobody_to_answer_are_acknowledged_and_dropped(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa, update: dict[str, Any]
) -> None:
    assert deliver(client, update).status_code == 200
    assert api.calls() == []
    assert rasa.received == []


def test_a_group_is_asked_to_write_privately(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa
) -> None:
    deliver(client, tg.group_text(-1001987654321, "/start@sgddt_test_bot"))
    (message,) = api.wait_for("sendMessage")
    assert message.params == {**message.params, "chat_id": -1001987654321, "text": PRIVATE_ONLY}
    assert rasa.received == []


def test_a_repeated_update_is_handled_once(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa
) -> None:
    update = tg.text(CHAT, "lệ phí bao nhiêu")
    assert deliver(client, update).status_code == 200
    assert deliver(client, update).status_code == 200
    changed = {**update, "message": {**update["message"], "text": "khác"}}
    assert deliver(client, changed).status_code == 200  # same update_id: a redelivery
    assert len(rasa.received) == 1
    assert len(api.calls("sendMessage")) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Telegram-Bot-Api-Secret-Token": ""},
        {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"},
        {"X-Telegram-Bot-Api-Secret-Token": SECRET.upper()},
        {"X-Telegram-Bot-Api-Secret-Token": "mật-khẩu".encode()},  # not ASCII
    ],
)
def test_a_bad_or_missing_secret_gets_403_and_reaches_nobody(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa, headers: dict[str, Any]
) -> None:
    update = tg.text(CHAT, "xin chào")
    response = client.post(HOOK, content=json.dumps(update), headers=headers)
    assert response.status_code == 403
    assert rasa.received == [] and api.calls() == []
    assert deliver(client, update).status_code == 200  # not recorded as seen by the refusal
    assert len(rasa.received) == 1


def test_without_a_configured_secret_every_delivery_is_refused(
    api: FakeTelegramApi, rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        client.app.state.chat = chat_service(rasa.transport())  # type: ignore[attr-defined]
        assert deliver(client, tg.text(CHAT, "chào"), secret="").status_code == 403
    assert rasa.received == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe\x00binary", 400),
        (b"", 400),
        (b"[1, 2]", 422),
        (b'"update"', 422),
        (b"null", 422),
        (b'{"message": {"text": "chao"}}', 422),
        (b'{"update_id": "731000001"}', 422),
        (b'{"update_id": true}', 422),
        (b'{"update_id": 731000001, "message": "chao"}', 422),
        (b'{"update_id": 731000001, "message": {"text": "chao"}}', 422),
        (b'{"update_id": 731000001, "callback_query": [1]}', 422),
        # Found by the fuzzer (tests/server/api/test_openapi_fuzz.py): once accepted.
        (b'{"update_id": 731000001, "pad": "' + b"x" * 300_000 + b'"}', 413),
    ],
)
def test_a_malformed_body_gets_a_client_error(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa, body: bytes, status: int
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    response = client.post(HOOK, content=body, headers=headers)
    assert response.status_code == status
    assert rasa.received == [] and api.calls() == []


def _long_answer() -> str:
    item = "Bản sao giấy khai sinh có chứng thực, kèm bản chính để đối chiếu; {n}."
    sections = [" ".join(item.format(n=f"{s}.{i}") for i in range(20)) for s in range(8)]
    return "\n\n".join(sections)


def test_an_answer_over_4096_characters_is_split(client: TestClient, api: FakeTelegramApi) -> None:
    answer = _long_answer()
    assert len(answer) > 2 * MAX_TEXT

    def long_rasa(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        buttons = [{"title": "Lệ phí", "payload": "/ask_fee"}]
        return httpx.Response(
            200, json=[{"recipient_id": body["sender"], "text": answer, "buttons": buttons}]
        )

    client.app.state.chat = chat_service(httpx.MockTransport(long_rasa))  # type: ignore[attr-defined]
    deliver(client, tg.text(CHAT, "cần giấy tờ gì"))
    pieces = api.wait_for("sendMessage", count=3)
    assert all(p.ok for p in api.calls("sendMessage"))  # the fake refuses over 4096
    texts = [p.params["text"] for p in pieces]
    assert all(len(t) <= MAX_TEXT for t in texts)
    assert "".join("".join(texts).split()) == "".join(answer.split())  # nothing lost
    assert all(t.endswith(".") for t in texts)  # cut between sentences, not inside a word
    assert [("reply_markup" in p.params) for p in pieces] == [False] * (len(pieces) - 1) + [True]


def test_rasa_down_gets_the_unavailable_answer(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa
) -> None:
    rasa.down = True
    assert deliver(client, tg.text(CHAT, "chào")).status_code == 200
    assert sent_texts(api) == [UNAVAILABLE]


@pytest.mark.parametrize(
    ("message", "expected"), [("a" * 2001, "tối đa 2000 ký tự"), ("/", EMPTY_TEXT)]
)
def test_refused_input_gets_a_polite_answer(
    client: TestClient, api: FakeTelegramApi, rasa: FakeRasa, message: str, expected: str
) -> None:
    deliver(client, tg.text(CHAT, message))
    (text,) = sent_texts(api)
    assert expected in text and text.startswith("Dạ,")
    assert rasa.received == []


def test_the_outbound_sender_reaches_a_chat_and_reports_failure(
    client: TestClient, api: FakeTelegramApi
) -> None:
    sender = client.app.state.outbound["telegram"]  # type: ignore[attr-defined]
    button = ReplyButton(title="Hủy thông báo", token="bAbCdEfGhIjK")
    reply = Reply(text="Dạ, hồ sơ của anh/chị đã có kết quả.", buttons=[button])
    assert client.portal.call(sender.send, str(CHAT), [reply]) is True  # type: ignore[union-attr]
    (message,) = api.wait_for("sendMessage")
    assert message.params["chat_id"] == CHAT
    assert message.params["reply_markup"]["inline_keyboard"] == [
        [{"text": "Hủy thông báo", "callback_data": "bAbCdEfGhIjK"}]
    ]
    api.block_chat(CHAT)
    assert client.portal.call(sender.send, str(CHAT), [reply]) is False  # type: ignore[union-attr]


def test_telegram_off_mounts_no_webhook(
    api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert deliver(client, tg.text(CHAT, "chào")).status_code in (404, 405)
        assert "telegram" not in getattr(client.app.state, "outbound", {})  # type: ignore[attr-defined]
