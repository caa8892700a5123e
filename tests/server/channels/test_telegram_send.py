"""Sending to Telegram: long texts cut as Telegram counts, keyboards, flood limits, and the
outbound sender's answer when a chat cannot be reached, against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.channels.telegram_send import CHOOSE, TelegramSender, split_text
from server.chat import Reply, ReplyButton
from server.core.config import get_settings
from tests.fakes.telegram_api import FakeTelegramApi
from tests.server.channels.telegram_setup import CHAT, api_fixture, fake_api_fixture  # noqa: F401

BUTTON = ReplyButton(title="Hủy thông báo", token="bAbCdEfGhIjK")


@pytest.fixture
async def sender(api: FakeTelegramApi) -> AsyncIterator[TelegramSender]:
    telegram = TelegramSender.from_settings(get_settings())
    yield telegram
    await telegram.close()


def test_split_text_counts_like_telegram() -> None:
    assert split_text("chào") == ["chào"]
    assert split_text("  \n ") == []
    assert split_text("a" * 4096) == ["a" * 4096]
    assert split_text("a" * 4097) == ["a" * 4096, "a"]
    emoji = "😊" * 3000  # two UTF-16 code units each, as Telegram counts them
    assert [len(p) for p in split_text(emoji)] == [2048, 952]
    assert split_text("mot hai ba bon nam", limit=8) == ["mot hai", "ba bon", "nam"]
    paragraphs = split_text("một hai.\n\nba bốn năm sáu", limit=16)
    assert paragraphs == ["một hai.", "ba bốn năm sáu"]


async def test_replies_leave_in_order_with_their_keyboards(
    sender: TelegramSender, api: FakeTelegramApi
) -> None:
    replies = [Reply(text="Dạ, hồ sơ đã có kết quả."), Reply(buttons=[BUTTON])]
    assert await sender.send(str(CHAT), replies) is True
    first, second = api.calls("sendMessage")
    assert first.params["text"] == "Dạ, hồ sơ đã có kết quả."
    assert "reply_markup" not in first.params
    assert first.params["link_preview_options"] == {"is_disabled": True}
    assert second.params["text"] == CHOOSE  # Telegram needs a text under a keyboard
    assert second.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Hủy thông báo", "callback_data": "bAbCdEfGhIjK"}]]
    }


async def test_a_flood_limit_is_waited_out(sender: TelegramSender, api: FakeTelegramApi) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    assert await sender.send(str(CHAT), [Reply(text="Dạ, em chào anh/chị.")]) is True
    assert [c.ok for c in api.calls("sendMessage")] == [False, True]


async def test_a_chat_that_cannot_be_reached_is_reported(
    sender: TelegramSender, api: FakeTelegramApi
) -> None:
    api.block_chat(CHAT)
    replies = [Reply(text="một"), Reply(text="hai")]
    assert await sender.send(str(CHAT), replies) is False
    assert len(api.calls("sendMessage")) == 1  # the rest is not tried
    api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    assert await sender.send("42", replies) is False


async def test_telegram_down_is_reported_not_raised(
    api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()
    down = TelegramSender.from_settings(get_settings())
    try:
        assert await down.send(str(CHAT), [Reply(text="chào")]) is False
        await down.answer_button("4382bfdwdsb323b2d9")  # logged, not raised
        await down.typing(CHAT)
    finally:
        await down.close()
