"""The Zalo Official Account channel (OA Open API v3): ``POST /webhooks/zalo``.

Zalo posts every event of the OA here, signed in ``X-ZEvent-Signature``:
``mac=`` + SHA-256 of app id + raw body + the payload's ``timestamp`` + the OA secret
key. An unsigned or wrongly signed request gets 401 and goes no further; a body that is
not an event gets 400 or 422.

A verified event is acknowledged at once (Zalo expects an answer within 2 seconds) and
answered in the background, after the response is sent:

- ``user_send_text``: typed text goes to the chat service; a text that is the token of a
  button we sent (a pressed button comes back as its payload, see
  :class:`server.channels.zalo_api.Button`) goes as a button press;
- images, stickers, GIFs, files, audio, video, locations, links, contact cards: a polite
  Vietnamese note that only text is read;
- ``oa_*`` (the OA's own messages, also those staff send from the OA console), follow,
  unfollow, delivery and read receipts and anything else: acknowledged and ignored.

A message delivered twice (same ``msg_id``) is answered once (:mod:`server.channels.dedup`).
The background work runs in the gateway process: if that process dies before the answer
is sent, the message stays unanswered (Zalo, answered 200, does not deliver it again, and a
repeat delivery would be skipped as seen); the error is logged and nothing is retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

import httpx
from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Request,
    status,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.api.deps import ChatDep
from server.api.errors import errors
from server.api.openapi import json_body
from server.channels.dedup import KEEP_FOR, SeenEvents
from server.channels.zalo_api import CHANNEL, ZaloSender
from server.chat import UNAVAILABLE, ChatInputError, ChatService, Reply
from server.chat.buttons import TOKEN
from server.core.config import get_settings
from server.core.security import conversation_id
from server.rasa_client import RasaUnavailable

__all__ = ["ZaloSender", "register", "router"]

router = APIRouter(prefix="/webhooks", tags=["zalo channel"])
log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # an event is a few hundred bytes
TEXT_ONLY = (
    "Dạ, em chỉ đọc được tin nhắn chữ ạ. Anh/chị vui lòng gõ câu hỏi về thủ tục "
    "bằng chữ giúp em nhé."
)
TOO_LONG = "Dạ, tin nhắn dài quá ạ (tối đa {limit} ký tự). Anh/chị gửi ngắn gọn hơn giúp em nhé."
EMPTY = "Dạ, em chưa thấy nội dung câu hỏi ạ. Anh/chị gõ lại giúp em nhé."
NON_TEXT_EVENTS = {
    f"user_send_{kind}"
    for kind in (
        "image", "sticker", "gif", "file", "audio", "video", "location", "link",
        "business_card",
    )
}  # fmt: skip


# The platform's payloads


class Party(BaseModel):
    id: str


class Attachment(BaseModel):
    type: str
    payload: dict[str, Any] | None = None


class Message(BaseModel):
    msg_id: str = Field(min_length=1)
    text: str | None = None
    attachments: list[Attachment] = []


class Event(BaseModel):
    """One webhook event. Only what the adapter reads is modelled; Zalo's other fields
    (``user_id_by_app``, ``oa_id``, ``follower``, ``source``…) are ignored."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    app_id: str
    event_name: str = Field(min_length=1)
    timestamp: str = Field(pattern=r"^\d{1,16}$")  # milliseconds since the epoch
    sender: Party | None = None
    recipient: Party | None = None
    message: Message | None = None


def signature_valid(raw: bytes, timestamp: str, signature: str) -> bool:
    settings = get_settings()
    secret = settings.zalo_oa_secret_key.get_secret_value()
    if not secret:  # not configured: nothing can be verified, so nothing is accepted
        return False
    signed = settings.zalo_app_id.encode() + raw + timestamp.encode() + secret.encode()
    expected = "mac=" + hashlib.sha256(signed).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


# The route


def zalo_sender(request: Request) -> ZaloSender:
    sender: ZaloSender = request.app.state.outbound[CHANNEL]
    return sender


SenderDep = Annotated[ZaloSender, Depends(zalo_sender)]


class Ack(BaseModel):
    """The answer to a verified event: answered (in the background), or why not."""

    status: Literal["ok", "ignored", "duplicate"]


@router.post(
    "/zalo",
    response_model=Ack,
    responses=errors(400, 401, 413, 422),
    openapi_extra=json_body(Event, "An event of the OA, as Zalo posts it"),
)
async def webhook(
    request: Request,
    background: BackgroundTasks,
    chat: ChatDep,
    sender: SenderDep,
    signature: Annotated[str | None, Header(alias="X-ZEvent-Signature")] = None,
) -> Ack:
    event = await _verified_event(request, signature)
    if not event.event_name.startswith("user_send_"):
        return Ack(status="ignored")  # oa_* echoes, follow/unfollow, receipts, …
    if event.sender is None or event.message is None:
        raise HTTPException(422, "a user_send_* event needs sender and message")
    if _stale(event.timestamp):
        return Ack(status="ignored")  # older than any redelivery: a replay
    if not await asyncio.to_thread(SeenEvents().first_time, CHANNEL, event.message.msg_id):
        return Ack(status="duplicate")
    user_id = event.sender.id
    if event.event_name == "user_send_text":
        text = event.message.text or ""
        background.add_task(_in_turn, user_id, lambda: _chat(chat, user_id, text), sender)
    elif event.event_name in NON_TEXT_EVENTS:
        background.add_task(_in_turn, user_id, _text_only, sender)
    else:
        return Ack(status="ignored")
    return Ack(status="ok")


async def _verified_event(request: Request, signature: str | None) -> Event:
    if not signature:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing X-ZEvent-Signature")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "body too large")
    try:
        data = json.loads(raw)
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "body is not JSON") from None
    timestamp = data.get("timestamp") if isinstance(data, dict) else None
    if isinstance(timestamp, bool) or not isinstance(timestamp, str | int):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "no timestamp to verify")
    if not signature_valid(raw, str(timestamp), signature):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad X-ZEvent-Signature")
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        raise HTTPException(422, "not a Zalo OA event") from exc


def _stale(timestamp: str) -> bool:
    return time.time() * 1000 - int(timestamp) > KEEP_FOR.total_seconds() * 1000


# The background work

# One citizen's messages are answered in the order they came (within this process).
_turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


async def _in_turn(
    user_id: str, answer: Callable[[], Awaitable[list[Reply]]], sender: ZaloSender
) -> None:
    conversation = conversation_id(CHANNEL, user_id)
    turn = _turns.setdefault(conversation, asyncio.Lock())
    async with turn:
        try:
            await sender.send(user_id, await answer())
        except Exception:  # a background task has no caller to tell: log it
            log.exception("could not answer a Zalo message of %s", conversation)


async def _chat(chat: ChatService, user_id: str, text: str) -> list[Reply]:
    try:
        # Only a token we issued is a button press: a typed word that happens to look
        # like one (12 characters starting with "b") stays typed text.
        cleaned = text.strip()
        button = bool(TOKEN.match(cleaned)) and (
            await asyncio.to_thread(chat.buttons.resolve, cleaned) is not None
        )
        return await chat.handle(CHANNEL, user_id, text, button=button)
    except ChatInputError as exc:
        return [Reply(text=TOO_LONG.format(limit=chat.max_chars) if exc.too_long else EMPTY)]
    except RasaUnavailable as exc:
        log.warning("rasa unavailable: %s", exc)
        return [Reply(text=UNAVAILABLE)]


async def _text_only() -> list[Reply]:
    return [Reply(text=TEXT_ONLY)]


# Wiring


def register(app: FastAPI) -> ZaloSender:
    """Creates the OA sender and registers it as ``app.state.outbound["zalo"]``."""
    sender = ZaloSender(httpx.AsyncClient())
    if not hasattr(app.state, "outbound"):
        app.state.outbound = {}
    app.state.outbound[CHANNEL] = sender
    return sender
