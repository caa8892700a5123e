"""The Telegram channel: ``POST /webhooks/telegram``, mounted when TELEGRAM_BOT_TOKEN is set.

A thin adapter: it checks ``X-Telegram-Bot-Api-Secret-Token`` against
TELEGRAM_WEBHOOK_SECRET in constant time (403 otherwise, and nothing reaches Rasa; with
no secret configured every delivery is refused), handles each ``update_id`` once (the
shared ``channel_events`` table, so replicas agree), turns typed text, ``/start`` and
button presses into calls of the chat service, and sends the answers back
(:mod:`server.channels.telegram_send`). What it cannot read (stickers, photos, voice,
files, locations, edited messages) gets a short polite answer; what has nobody to answer
(channel posts, membership changes, service messages) is dropped. No update gets a 5xx,
which Telegram would redeliver again and again (only an unreachable app database does:
then the update was not handled, and a redelivery is what is wanted). A body over 256 KiB
(no Update is that large) gets 413 and is not parsed.

Inline or in the background? The webhook answers 200 as soon as an update is verified,
parsed and recorded as seen; the answer is produced in a background task, run after the
response is sent. Telegram counts a delivery as done only when the webhook answers, keeps
at most ``max_connections`` deliveries (40 by default) in flight and redelivers on a
timeout or an error: answering inline would hold a delivery for as long as Rasa thinks (up
to RASA_TIMEOUT_S), and every failure after Rasa got the message would become a
redelivery. Once the update is acknowledged, a failure is answered to the citizen instead
(:data:`server.chat.UNAVAILABLE`). The update
is recorded as seen before it is processed, so a redelivery is never answered twice; the
price is that an update being processed when the gateway dies is lost (the citizen asks
again). On SIGTERM uvicorn lets running background tasks finish; the messages of one chat
are answered in order (one lock per chat).

``python -m server.channels.telegram --set-webhook | --delete-webhook | --polling``: see
:mod:`server.channels.telegram_cli`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, FastAPI, Header, HTTPException, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from telegram import CallbackQuery, Chat, Update

from server.api.deps import ChatDep
from server.api.errors import errors
from server.api.openapi import json_body
from server.channels.dedup import SeenEvents
from server.channels.telegram_send import TelegramSender
from server.chat import UNAVAILABLE, ChatInputError, ChatService, Reply
from server.core.config import Settings, get_settings
from server.rasa_client import RasaUnavailable

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
# An Update is a few kilobytes (a message of at most 4096 characters, and the one it
# answers): a larger body is refused before it is parsed.
MAX_BODY_BYTES = 256 * 1024
# What the webhook asks Telegram for: what the bot answers, nothing more.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
GREETING = "Xin chào"  # what /start means
TEXT_ONLY = "Dạ, em chỉ đọc được tin nhắn chữ ạ. Anh/chị gõ câu hỏi giúp em nhé."
EDITED = (
    "Dạ, em chưa đọc được tin nhắn đã sửa ạ. Anh/chị gửi nội dung mới thành một tin nhắn "
    "mới giúp em nhé."
)
PRIVATE_ONLY = (
    "Dạ, em chỉ trả lời trong tin nhắn riêng ạ. Anh/chị nhắn riêng cho em để được hỗ trợ nhé."
)
TOO_LONG = (
    "Dạ, tin nhắn dài quá ạ (tối đa {max_chars} ký tự). Anh/chị gửi câu hỏi ngắn gọn hơn "
    "giúp em nhé."
)
EMPTY_TEXT = "Dạ, em chưa thấy nội dung câu hỏi ạ. Anh/chị gõ câu hỏi giúp em nhé."
_START = re.compile(r"^/start(@\w+)?(\s|$)", re.IGNORECASE)


class _ChatLocks:
    """One lock per chat with something in progress: a chat's answers leave in order."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users == 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


class TelegramChannel:
    """Handles one update at a time; shared by the webhook and the polling mode."""

    def __init__(self, sender: TelegramSender, seen: SeenEvents) -> None:
        self.sender = sender
        self.seen = seen
        self._locks = _ChatLocks()

    def parse(self, body: bytes) -> Update:
        """The Update in a webhook body; HTTP 400 for malformed JSON, 422 for JSON that
        is no Update."""
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "Malformed JSON.") from exc
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise HTTPException(422, "Not a Telegram Update.")
        try:
            return Update.de_json(data, self.sender.bot)
        except Exception as exc:  # PTB raises whatever a malformed field provokes
            raise HTTPException(422, "Not a Telegram Update.") from exc

    async def first_time(self, update: Update) -> bool:
        return await asyncio.to_thread(self.seen.first_time, "telegram", str(update.update_id))

    async def process(self, update: Update, chat: ChatService) -> None:
        """Answers one update. Never raises: the update is acknowledged already."""
        try:
            await self._process(update, chat)
        except Exception:
            log.exception("telegram: update %s not handled", update.update_id)

    async def _process(self, update: Update, chat: ChatService) -> None:
        if update.callback_query is not None:
            await self._pressed(update.callback_query, chat)
            return
        message = update.message or update.edited_message
        if message is None:
            return  # channel posts, membership changes, polls...: nobody to answer
        chat_id = message.chat.id
        if message.chat.type != Chat.PRIVATE:
            # Answers name procedures and, after a lookup, a dossier: private chats only.
            if message.text and update.message is not None:
                await self.sender.say(chat_id, PRIVATE_ONLY)
            return
        if update.edited_message is not None:
            await self.sender.say(chat_id, EDITED)
        elif message.text is not None:
            text = GREETING if _START.match(message.text) else message.text
            await self._answer(chat_id, chat, text, button=False)
        elif message.effective_attachment is not None:
            await self.sender.say(chat_id, TEXT_ONLY)
        # Anything else is a service message (a pinned message...): nothing to answer.

    async def _pressed(self, query: CallbackQuery, chat: ChatService) -> None:
        await self.sender.answer_button(query.id)  # every press, whatever follows
        message = query.message
        if message is not None and message.chat.type != Chat.PRIVATE:
            return
        if not query.data:
            return  # a game button: nothing to ask Rasa
        chat_id = message.chat.id if message is not None else query.from_user.id
        await self._answer(chat_id, chat, query.data, button=True)

    async def _answer(self, chat_id: int, chat: ChatService, text: str, button: bool) -> None:
        async with self._locks.hold(chat_id):
            await self.sender.typing(chat_id)
            try:
                replies = await chat.handle("telegram", str(chat_id), text, button=button)
            except ChatInputError as exc:
                refusal = TOO_LONG.format(max_chars=chat.max_chars) if exc.too_long else EMPTY_TEXT
                replies = [Reply(text=refusal)]
            except RasaUnavailable as exc:
                log.warning("telegram: rasa unavailable: %s", exc)
                replies = [Reply(text=UNAVAILABLE)]
            await self.sender.send(str(chat_id), replies)


def secret_matches(given: str | None, settings: Settings) -> bool:
    """Constant-time check of the webhook's secret; False when none is configured."""
    expected = settings.telegram_webhook_secret.get_secret_value()
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs inside the gateway's lifespan (FastAPI merges a router's): the channel, and
    its sender on ``app.state.outbound["telegram"]`` for hand-offs and notifications."""
    sender = TelegramSender.from_settings(get_settings())
    app.state.telegram = TelegramChannel(sender, SeenEvents())
    if not hasattr(app.state, "outbound"):
        app.state.outbound = {}
    app.state.outbound["telegram"] = sender
    try:
        yield
    finally:
        app.state.outbound.pop("telegram", None)
        await sender.close()


router = APIRouter(tags=["telegram channel"], lifespan=_lifespan)


class UpdateEnvelope(BaseModel):
    """What the OpenAPI says of the body: a Telegram Update (the one field the webhook
    relies on; the rest is Telegram's, https://core.telegram.org/bots/api#update)."""

    model_config = ConfigDict(extra="allow")

    update_id: int


@router.post(
    WEBHOOK_PATH,
    response_class=Response,
    responses={
        200: {"description": "Received; the answer is sent in the background"},
        **errors(400, 403, 413, 422),
    },
    openapi_extra=json_body(UpdateEnvelope, "An Update, as Telegram posts it"),
)
async def webhook(
    request: Request,
    background: BackgroundTasks,
    chat: ChatDep,
    x_telegram_bot_api_secret_token: Annotated[str | None, Header()] = None,
) -> Response:
    if not secret_matches(x_telegram_bot_api_secret_token, get_settings()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Forbidden.")
    channel: TelegramChannel = request.app.state.telegram
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "Body too large.")
    update = channel.parse(body)
    if await channel.first_time(update):
        background.add_task(channel.process, update, chat)
    return Response(status_code=status.HTTP_200_OK)


if __name__ == "__main__":
    from server.channels.telegram_cli import main

    raise SystemExit(main())
