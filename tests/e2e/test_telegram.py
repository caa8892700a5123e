"""End to end on Telegram: Update JSON posted to the running gateway's webhook, the real Rasa
model and action server answering, and the answers read from a fake Bot API on loopback
(the stack's TELEGRAM_API_URL points there). The webhook acknowledges at once and answers
in the background, so each test waits, bounded, for the calls it expects."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.channels.telegram import TEXT_ONLY
from tests.conftest import FAKE_TELEGRAM_PORT, TEST_CHANNEL_ENV
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import Call, FakeTelegramApi

SECRET = TEST_CHANNEL_ENV["TELEGRAM_WEBHOOK_SECRET"]
ANSWER_TIMEOUT_S = 60.0
DIPLOMA_COPY = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"


@pytest.fixture(scope="module")
def fake_telegram() -> Iterator[FakeTelegramApi]:
    token = TEST_CHANNEL_ENV["TELEGRAM_BOT_TOKEN"]
    with FakeTelegramApi(token=token, port=FAKE_TELEGRAM_PORT) as fake:
        yield fake


@pytest.fixture
def api(fake_telegram: FakeTelegramApi) -> FakeTelegramApi:
    fake_telegram.clear()
    return fake_telegram


def deliver(stack: Any, update: dict[str, Any], secret: str = SECRET) -> None:
    response = httpx.post(
        f"{stack.gateway_url}/webhooks/telegram",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def answer(api: FakeTelegramApi, chat_id: int, containing: str = "") -> Call:
    """The first message sent to ``chat_id`` whose text contains ``containing``."""
    found = api.wait_for(
        "sendMessage",
        timeout_s=ANSWER_TIMEOUT_S,
        where=lambda c: c.params["chat_id"] == chat_id and containing in c.params["text"],
    )
    return found[0]


def keyboard(api: FakeTelegramApi, chat_id: int) -> list[list[dict[str, Any]]]:
    """The inline keyboard of the last message to ``chat_id`` that had one."""
    with_keyboard = api.wait_for(
        "sendMessage",
        timeout_s=ANSWER_TIMEOUT_S,
        where=lambda c: c.params["chat_id"] == chat_id and "reply_markup" in c.params,
    )
    rows: list[list[dict[str, Any]]] = with_keyboard[-1].params["reply_markup"]["inline_keyboard"]
    return rows


def texts_to(api: FakeTelegramApi, chat_id: int) -> list[str]:
    return [c.params["text"] for c in api.calls("sendMessage") if c.params["chat_id"] == chat_id]


def test_a_question_then_a_button_press(stack: Any, api: FakeTelegramApi) -> None:
    chat_id = 7_100_000_001
    deliver(stack, tg.text(chat_id, "/start"))
    assert "em chào" in answer(api, chat_id).params["text"].lower()

    deliver(stack, tg.text(chat_id, "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ"))
    answer(api, chat_id, DIPLOMA_COPY)
    rows = keyboard(api, chat_id)
    buttons = {row[0]["text"]: row[0]["callback_data"] for row in rows}
    assert "Giấy tờ cần chuẩn bị" in buttons, buttons
    assert all(len(data.encode()) <= 64 for data in buttons.values())

    press = tg.button_press(chat_id, buttons["Giấy tờ cần chuẩn bị"], rows)
    deliver(stack, press)
    api.wait_for(
        "answerCallbackQuery",
        timeout_s=ANSWER_TIMEOUT_S,
        where=lambda c: c.params["callback_query_id"] == press["callback_query"]["id"],
    )
    assert (
        "Phiếu đề nghị cấp bản sao văn bằng" in answer(api, chat_id, "Phiếu đề nghị").params["text"]
    )


def test_a_question_without_diacritics(stack: Any, api: FakeTelegramApi) -> None:
    chat_id = 7_100_000_002
    deliver(stack, tg.text(chat_id, "toi bi mat bang tot nghiep thpt, xin lai the nao"))
    assert DIPLOMA_COPY in answer(api, chat_id, DIPLOMA_COPY).params["text"]


def test_a_sticker_gets_a_polite_answer(stack: Any, api: FakeTelegramApi) -> None:
    chat_id = 7_100_000_003
    deliver(stack, tg.sticker(chat_id))
    assert answer(api, chat_id).params["text"] == TEXT_ONLY


def test_a_repeated_delivery_is_answered_once(stack: Any, api: FakeTelegramApi) -> None:
    chat_id = 7_100_000_004
    update = tg.text(chat_id, "lệ phí cấp bản sao bằng tốt nghiệp thpt là bao nhiêu")
    deliver(stack, update)
    deliver(stack, update)
    answer(api, chat_id)
    time.sleep(5)  # a second answer, if any, would be on its way by now
    sent = texts_to(api, chat_id)
    assert len(sent) == len(set(sent)), sent


def test_a_bad_secret_gets_403_and_no_answer(stack: Any, api: FakeTelegramApi) -> None:
    chat_id = 7_100_000_005
    for secret in ("wrong-secret", ""):
        response = httpx.post(
            f"{stack.gateway_url}/webhooks/telegram",
            json=tg.text(chat_id, "xin chào"),
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            timeout=30,
        )
        assert response.status_code == 403
    time.sleep(2)
    assert [c for c in api.calls() if c.params.get("chat_id") == chat_id] == []
