"""What the Telegram channel's tests share: a fake Bot API for the module, the settings
that point the bot at it, and a chat service whose Rasa is a stand-in.

Import the fixtures into a test module (their functions are named apart from the fixture
names, so test arguments do not shadow the import)::

    from tests.server.channels.telegram_setup import api_fixture, fake_api_fixture  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from server.chat import ChatService
from server.chat.buttons import ButtonTokens
from server.core.config import get_settings
from server.rasa_client import RasaClient
from server.records import Records
from tests.fakes import telegram_updates
from tests.fakes.telegram_api import FakeTelegramApi
from tests.server.chat.fake_rasa import FakeRasa

BOT_TOKEN = "123456:TEST-token"
SECRET = "webhook-Secret_42"
CHAT = telegram_updates.CITIZEN_ID


@pytest.fixture(scope="module", name="fake_api")
def fake_api_fixture() -> Iterator[FakeTelegramApi]:
    with FakeTelegramApi(token=BOT_TOKEN) as fake:
        yield fake


@pytest.fixture(name="api")
def api_fixture(fake_api: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch) -> FakeTelegramApi:
    """The module's fake, cleared, with Telegram configured against it."""
    fake_api.clear()
    for name, value in fake_api.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("ZALO_APP_ID", "")
    get_settings.cache_clear()
    return fake_api


@pytest.fixture(name="rasa")
def rasa_fixture() -> FakeRasa:
    return FakeRasa()


def chat_service(transport: httpx.AsyncBaseTransport) -> ChatService:
    rasa_client = RasaClient("http://rasa.test", 5, transport=transport)
    return ChatService(rasa_client, Records(), ButtonTokens(), max_chars=2000)
