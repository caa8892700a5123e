"""The Telegram commands (``python -m server.channels.telegram``): registering the webhook
and the polling mode, against the fake Bot API."""

from __future__ import annotations

import asyncio

import pytest

from server.channels.dedup import SeenEvents
from server.channels.telegram import ALLOWED_UPDATES, TEXT_ONLY, TelegramChannel
from server.channels.telegram_cli import CommandError, main, poll, run
from server.channels.telegram_send import TelegramSender
from server.core.config import get_settings
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import Call, FakeTelegramApi
from tests.server.channels.telegram_setup import (  # noqa: F401 - fixtures
    CHAT,
    SECRET,
    api_fixture,
    chat_service,
    fake_api_fixture,
    rasa_fixture,
)
from tests.server.chat.fake_rasa import FakeRasa


def test_set_webhook_registers_the_public_url_with_the_secret(
    api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://sgddt.example.gov.vn/tro-ly/")
    get_settings.cache_clear()
    assert main(["--set-webhook"]) == 0
    assert api.webhook == {
        "url": "https://sgddt.example.gov.vn/tro-ly/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ALLOWED_UPDATES,
    }
    assert "https://sgddt.example.gov.vn/tro-ly/webhooks/telegram" in capsys.readouterr().out
    assert main(["--delete-webhook"]) == 0
    assert api.webhook is None


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"PUBLIC_URL": "http://127.0.0.1:8000"}, "https://"),
        ({"PUBLIC_URL": "https://x.vn", "TELEGRAM_WEBHOOK_SECRET": ""}, "1-256"),
        ({"PUBLIC_URL": "https://x.vn", "TELEGRAM_WEBHOOK_SECRET": "có dấu"}, "1-256"),
        ({"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN"),
        ({"PUBLIC_URL": "https://x.vn", "TELEGRAM_BOT_TOKEN": "999:wrong"}, "refused"),
    ],
)
def test_set_webhook_refuses_what_telegram_would(
    api: FakeTelegramApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    complaint: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    assert main(["--set-webhook"]) == 2
    assert complaint in capsys.readouterr().err
    assert api.webhook is None


async def _until(api: FakeTelegramApi, method: str, count: int) -> list[Call]:
    for _ in range(200):
        found = [c for c in api.calls(method) if c.ok]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} x {method}: {api.calls()}")


async def test_polling_feeds_the_same_handling_and_stops_at_once(
    api: FakeTelegramApi, rasa: FakeRasa
) -> None:
    channel = TelegramChannel(TelegramSender.from_settings(get_settings()), SeenEvents())
    first, sticker = tg.text(CHAT, "/start"), tg.sticker(CHAT)
    api.queue_update(first)
    api.queue_update(sticker)
    api.queue_update(first)  # delivered twice: answered once
    stop = asyncio.Event()
    task = asyncio.create_task(poll(channel, chat_service(rasa.transport()), stop, timeout_s=25))
    try:
        texts = [c.params["text"] for c in await _until(api, "sendMessage", 2)]
        assert texts == ["Dạ, em nhận được: Xin chào", TEXT_ONLY]
        later = tg.text(CHAT, "lệ phí")
        api.queue_update(later)  # reaches the long poll that waits
        await _until(api, "sendMessage", 3)
        offsets = [c.params.get("offset") for c in api.calls("getUpdates")]
        assert offsets[:2] == [None, sticker["update_id"] + 1]  # confirms what was handled
        assert api.calls("getUpdates")[0].params["timeout"] == 25
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=2)  # does not wait for the 25 s long poll
        await channel.sender.close()
    assert [r["message"] for r in rasa.received] == ["Xin chào", "lệ phí"]


async def test_polling_while_a_webhook_is_set_says_what_to_do(
    api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://sgddt.example.gov.vn")
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    await run("set-webhook", get_settings())
    with pytest.raises(CommandError, match="--delete-webhook"):
        await run("polling", get_settings())
