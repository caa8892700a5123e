"""Sending to a Zalo user through the OA Open API v3: consultation messages
(``POST /v3.0/oa/message/cs``), the chat service's replies rendered within Zalo's limits,
and what could not be delivered kept for staff.

Zalo's rules this module follows:

- a text is at most :data:`TEXT_LIMIT` characters, so longer answers go as several
  messages, cut between paragraphs, lines or words;
- a button message carries at most :data:`MAX_BUTTONS` buttons, so more buttons go as
  further button messages after the answer;
- a consultation message reaches only a citizen who interacted with the OA within the
  last 7 days (error -230, or -232): such a message is not retried, it is recorded in
  ``undelivered_messages`` (conversation pseudonym, channel, reason, time) for staff;
- an access token Zalo no longer accepts (error -216, or -220) is refreshed once and the
  message sent again (:mod:`server.channels.zalo_tokens`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import Column, DateTime, Engine, Integer, String, Table, Text, func

from server import db
from server.channels.zalo_tokens import ZaloAuthError, ZaloTokens
from server.chat import Channel, Reply, ReplyButton
from server.core.config import get_settings
from server.core.privacy import mask_personal_data
from server.core.security import conversation_id

log = logging.getLogger(__name__)

CHANNEL: Channel = "zalo"
TEXT_LIMIT = 2000  # characters of one consultation message's text
MAX_BUTTONS = 5  # buttons of one message
TITLE_LIMIT = 100  # characters of a button's title
SEND_TIMEOUT_S = 10.0
TOKEN_REFUSED = {-216: "access token is invalid", -220: "access token is expired or removed"}
# Errors that sending again cannot cure: the citizen must write to the OA first.
UNDELIVERABLE = {
    -230: "outside the 7-day window: no interaction with the OA in the past 7 days",
    -232: "outside the interaction window: no interaction, or the last one expired",
    -213: "the user does not follow the OA",
    -227: "the user is banned or inactive for more than 45 days",
    -244: "the user has restricted this message type from the OA",
}
MORE_CHOICES = "Dạ, anh/chị có thể chọn thêm:"
CHOOSE = "Dạ, mời anh/chị chọn:"

undelivered_messages = Table(
    "undelivered_messages",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("conversation", String(64), nullable=False, index=True),  # conversation_id()
    Column("error_code", Integer),  # the platform's, None for a network failure
    Column("reason", String(200), nullable=False),
    Column("text", Text),  # what was not delivered, masked
)


# The OA API's payloads


class Button(BaseModel):
    title: str
    # A button's payload comes back to the webhook as a `user_send_text` from the citizen,
    # for both query types. "show" would put our 12-character token into the citizen's
    # chat as if they had typed it ("bK3x_9aZ0QwE": meaningless, and alarming);
    # "hide" sends the same text without displaying it, and the answer that follows says
    # what was chosen. Staff still see the button titles in the chat log.
    type: Literal["oa.query.hide"] = "oa.query.hide"
    payload: str


class MediaElement(BaseModel):
    media_type: Literal["image"] = "image"
    url: str


class TemplatePayload(BaseModel):
    template_type: Literal["button", "media"]
    buttons: list[Button] | None = None
    elements: list[MediaElement] | None = None


class Attachment(BaseModel):
    type: Literal["template"] = "template"
    payload: TemplatePayload


class OutMessage(BaseModel):
    text: str | None = None
    attachment: Attachment | None = None


class Recipient(BaseModel):
    user_id: str


class ConsultationRequest(BaseModel):
    recipient: Recipient
    message: OutMessage


class ApiAnswer(BaseModel):
    """Every OA API answer: ``error`` 0 is success, a negative code says what failed."""

    model_config = ConfigDict(extra="ignore")
    error: int
    message: str = ""
    data: dict[str, Any] | None = None


class SendFailed(Exception):
    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


# Replies -> OA messages


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at the last paragraph
    break, line break, sentence end or space of each piece (a hard cut only for a
    word longer than the limit)."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            at = window.rfind(separator)
            if at > limit // 3:
                cut = at + (1 if separator == ". " else 0)
                break
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _buttons(buttons: list[ReplyButton]) -> Attachment:
    # A consultation message with buttons: the text in message.text, the buttons in a
    # template attachment (Zalo's partners document this shape, e.g. eSMS's "Tin Zalo Tư vấn
    # dạng button"; ``template_type: "button"`` is what issue 18 specifies).
    return Attachment(
        payload=TemplatePayload(
            template_type="button",
            buttons=[Button(title=b.title[:TITLE_LIMIT], payload=b.token) for b in buttons],
        )
    )


def render(replies: list[Reply]) -> list[OutMessage]:
    """The OA messages that say ``replies``: long texts split, the buttons on the last
    piece of their reply, five to a message."""
    messages: list[OutMessage] = []
    for reply in replies:
        pieces = split_text(reply.text or "")
        groups = [
            reply.buttons[i : i + MAX_BUTTONS] for i in range(0, len(reply.buttons), MAX_BUTTONS)
        ]
        if groups and not pieces:
            pieces = [CHOOSE]
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            attachment = _buttons(groups[0]) if last and groups else None
            messages.append(OutMessage(text=piece, attachment=attachment))
        messages += [OutMessage(text=MORE_CHOICES, attachment=_buttons(g)) for g in groups[1:]]
        if reply.image:
            media = TemplatePayload(template_type="media", elements=[MediaElement(url=reply.image)])
            messages.append(OutMessage(attachment=Attachment(payload=media)))
    return messages


# The API client and the outbound sender


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class ZaloApi:
    """Posts consultation messages with a fresh access token."""

    def __init__(self, http: httpx.AsyncClient, tokens: ZaloTokens) -> None:
        self.http = http
        self.tokens = tokens

    async def send_message(self, user_id: str, message: OutMessage) -> str:
        """Sends one message; its Zalo message id. Raises :class:`SendFailed`."""
        body = ConsultationRequest(recipient=Recipient(user_id=user_id), message=message)
        try:
            token = await self.tokens.access_token()
            answer = await self._post(token, body)
            if answer.error in TOKEN_REFUSED:
                log.info("Zalo refused the access token (%s): refreshing", answer.error)
                token = await self.tokens.refresh(stale=token)
                answer = await self._post(token, body)
        except ZaloAuthError as exc:
            raise SendFailed(f"no access token: {exc}") from exc
        if answer.error != 0:
            reason = UNDELIVERABLE.get(answer.error) or _one_line(answer.message)[:150]
            raise SendFailed(reason or "unknown error", answer.error)
        return str((answer.data or {}).get("message_id", ""))

    async def _post(self, token: str, body: ConsultationRequest) -> ApiAnswer:
        url = f"{get_settings().zalo_api_url.rstrip('/')}/v3.0/oa/message/cs"
        try:
            response = await self.http.post(
                url,
                headers={"access_token": token},
                json=body.model_dump(exclude_none=True),
                timeout=SEND_TIMEOUT_S,
            )
            return ApiAnswer.model_validate(response.json())
        except (httpx.HTTPError, ValueError, ValidationError) as exc:
            raise SendFailed(
                f"OA API unreachable or malformed answer ({type(exc).__name__})"
            ) from exc


class ZaloSender:
    """The Zalo channel's :class:`server.channels.outbound.Outbound`: replies, and
    messages staff or notifications send first."""

    def __init__(self, http: httpx.AsyncClient, engine: Engine | None = None) -> None:
        self._engine = engine
        self.http = http
        self.api = ZaloApi(http, ZaloTokens(http, engine))

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    async def send(self, user_id: str, replies: list[Reply]) -> bool:
        """Sends ``replies`` to the Zalo user ``user_id`` in order; at the first failure
        stops, records what was not delivered for staff and returns False."""
        messages = render(replies)
        for n, message in enumerate(messages):
            try:
                await self.api.send_message(user_id, message)
            except SendFailed as exc:
                conversation = conversation_id(CHANNEL, user_id)
                log.warning("Zalo message to %s not delivered: %s", conversation, exc.reason)
                unsent = "\n\n".join(m.text or "" for m in messages[n:]).strip()
                await asyncio.to_thread(self._record, conversation, exc, unsent)
                return False
        return True

    def _record(self, conversation: str, failure: SendFailed, text: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    undelivered_messages.insert().values(
                        channel=CHANNEL,
                        conversation=conversation,
                        error_code=failure.code,
                        reason=failure.reason[:200],
                        text=mask_personal_data(text)[:4000],
                    )
                )
        except Exception:  # the record is for staff; its failure must not hide the first one
            log.exception("could not record an undelivered Zalo message")

    async def aclose(self) -> None:
        await self.http.aclose()
