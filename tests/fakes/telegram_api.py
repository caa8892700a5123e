"""A local stand-in for the Telegram Bot API (``https://api.telegram.org``), for tests.

It listens on 127.0.0.1 only, answers ``/bot<token>/<method>`` the way the real API does
(``{"ok": true, "result": ...}`` with realistic Message objects; ``{"ok": false,
"error_code": ..., "description": ...}`` for what the real API refuses: a text over 4096
characters, an empty text, a ``callback_data`` over 64 bytes, a wrong token, an http
webhook, getUpdates while a webhook is set; see :mod:`tests.fakes.telegram_methods`) and
records every call, so a test asserts what the bot sent::

    with FakeTelegramApi(token="123456:TEST-token", port=...) as api:  # or start() / stop()
        ...  # TELEGRAM_API_URL=api.url, TELEGRAM_BOT_TOKEN=api.token
        (sent,) = api.wait_for("sendMessage")
        assert "Cấp bản sao" in sent.params["text"]

Parameters are recorded as the API reads them, whatever the encoding (JSON, form, multipart,
query string): ``chat_id`` and other integers as ``int``, ``reply_markup`` and other objects
decoded from their JSON. ``queue_update`` feeds getUpdates (long polling included);
``fail_next`` and ``block_chat`` make calls fail as Telegram does (429 with ``retry_after``,
403 for a citizen who blocked the bot). Updates to send: :mod:`tests.fakes.telegram_updates`.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.telegram_methods import BotApi, TelegramApiError

DEFAULT_TOKEN = "123456:TEST-token"
_INT_PARAMS = {
    "message_id", "offset", "limit", "timeout", "max_connections", "cache_time",
    "reply_to_message_id", "message_thread_id", "from_chat_id", "user_id",
}  # fmt: skip
_BOOL_PARAMS = {
    "show_alert", "disable_notification", "protect_content", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply",
}  # fmt: skip


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    ok: bool  # False when the fake answered with an error


class FakeTelegramApi:
    def __init__(
        self, token: str = DEFAULT_TOKEN, port: int = 0, bot_username: str = "sgddt_test_bot"
    ) -> None:
        self.token = token
        self.port = port  # 0: any free port, known after start()
        bot_id = token.split(":", 1)[0]
        self.bot_user = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": "Trợ lý Sở GDĐT",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._lock = threading.Lock()
        self._api = BotApi(self.bot_user)
        self._calls: list[Call] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to configure as TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The settings that point the gateway's bot at this fake."""
        return {"TELEGRAM_API_URL": self.url, "TELEGRAM_BOT_TOKEN": self.token}

    def start(self) -> FakeTelegramApi:
        routes = [Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])]
        config = uvicorn.Config(
            Starlette(routes=routes),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"fake Telegram API could not listen on port {self.port}")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeTelegramApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests read and set ------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call received so far (of ``method`` only, if given), oldest first. A long
        poll (getUpdates) is recorded when it returns."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        """Forgets the calls, queued updates, failures, blocked chats and the webhook."""
        with self._lock:
            self._calls = []
            self._api = BotApi(self.bot_user)

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout_s: float = 10.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Waits until ``count`` successful calls of ``method`` (matching ``where``) arrived;
        returns them all. Fails the test with what was received after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = [c for c in self.calls(method) if c.ok and (where is None or where(c))]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                got = [(c.method, c.params) for c in self.calls()]
                raise AssertionError(f"expected {count} x {method}, received: {got}")
            time.sleep(0.05)

    def queue_update(self, update: dict[str, Any]) -> None:
        """An Update that getUpdates returns until an offset past it confirms it."""
        with self._lock:
            self._api.updates.append(update)

    def fail_next(
        self, method: str, error_code: int, description: str, retry_after: int | None = None
    ) -> None:
        """The next call of ``method`` fails as Telegram says, e.g. ``fail_next("sendMessage",
        429, "Too Many Requests: retry after 1", retry_after=1)``."""
        with self._lock:
            self._api.fail_next(method, error_code, description, retry_after)

    def block_chat(self, chat_id: int | str) -> None:
        """Sends to this chat fail with 403, as when the citizen blocked the bot."""
        with self._lock:
            self._api.blocked.add(chat_id)

    @property
    def webhook(self) -> dict[str, Any] | None:
        """The parameters of the last setWebhook, None after deleteWebhook."""
        with self._lock:
            return self._api.webhook

    # -- the HTTP side ----------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if request.path_params["token"] != self.token:
            return _error(TelegramApiError(401, "Unauthorized"))
        params = await _params(request)
        try:
            if method == "getUpdates":
                result: Any = await self._long_poll(params)
            else:
                with self._lock:
                    result = self._api.call(method, params)
        except TelegramApiError as exc:
            self._record(method, params, ok=False)
            return _error(exc)
        self._record(method, params, ok=True)
        return JSONResponse({"ok": True, "result": result})

    def _record(self, method: str, params: dict[str, Any], ok: bool) -> None:
        with self._lock:
            self._calls.append(Call(method, params, ok))

    async def _long_poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Holds the request until an update is queued or ``timeout`` seconds passed."""
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 50.0)
        while True:
            with self._lock:
                pending = self._api.pending_updates(params)
            if pending or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(0.02)


def _coerce(name: str, value: Any) -> Any:
    """A form or query value as the Bot API reads it."""
    if not isinstance(value, str):
        return value
    if name == "chat_id" or name in _INT_PARAMS:
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if name in _BOOL_PARAMS:
        return value.lower() == "true"
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        params.update(json.loads(body) if body else {})
    elif request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return {k: _coerce(k, v) for k, v in params.items()}


def _error(exc: TelegramApiError) -> JSONResponse:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": exc.error_code,
        "description": exc.description,
    }
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    return JSONResponse(body, status_code=exc.error_code)
