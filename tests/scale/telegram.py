"""Telegram webhooks posted to the scaled gateways through nginx."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fakes.telegram_api import FakeTelegramApi
from tests.scale.harness import TELEGRAM_SECRET

ANSWER_TIMEOUT_S = 60.0
SETTLE_S = 3.0  # longer than a repeat delivery would take to be answered in the background


def deliver(gateway_url: str, update: dict[str, Any]) -> str:
    """Posts ``update`` as Telegram does; returns the gateway replica that took it."""
    response = httpx.post(
        f"{gateway_url}/webhooks/telegram",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.headers["X-Upstream"]


def sent_to(api: FakeTelegramApi, chat_id: int) -> list[str]:
    return [c.params["text"] for c in api.calls("sendMessage") if c.params["chat_id"] == chat_id]


def wait_for_answer(api: FakeTelegramApi, chat_id: int) -> None:
    api.wait_for(
        "sendMessage", timeout_s=ANSWER_TIMEOUT_S, where=lambda c: c.params["chat_id"] == chat_id
    )
