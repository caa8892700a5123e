"""REST chat API: every channel (web widget, Telegram, Zalo, terminal) goes through here."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field, field_validator

from knowledge.vietnamese import normalize_unicode
from server import db
from server.api.deps import RasaDep, SettingsDep
from server.core.privacy import mask_personal_data, mask_verification_answer, sender_hash
from server.rasa_client import BotMessage, RasaUnavailable

router = APIRouter(prefix="/api/chat", tags=["chat"])
log = logging.getLogger(__name__)

UNAVAILABLE = (
    "Dạ, hệ thống đang bận hoặc tạm gián đoạn. Anh/chị vui lòng thử lại sau ít phút, "
    "hoặc gọi đường dây nóng của Sở để được hỗ trợ ạ."
)


class ChatRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=128, pattern=r"^[\w.:@-]+$")
    message: str = Field(min_length=1, max_length=20_000)
    channel: str = Field(default="web", pattern=r"^(web|telegram|zalo|terminal)$")

    @field_validator("message")
    @classmethod
    def _normalized(cls, value: str) -> str:
        cleaned = normalize_unicode(value).strip()
        if not cleaned:
            raise ValueError("Tin nhắn trống.")
        return cleaned


class ChatResponse(BaseModel):
    messages: list[BotMessage]


def _log(channel: str, sender: str, direction: str, text: str) -> None:
    try:
        with db.engine().begin() as conn:
            conn.execute(
                db.chat_messages.insert().values(
                    channel=channel,
                    sender_hash=sender_hash(sender),
                    direction=direction,
                    text=mask_personal_data(text)[:4000],
                )
            )
    except Exception:  # the chat must go on even if the log cannot be written
        log.exception("could not store a chat message")


@router.post("", response_model=ChatResponse)
async def chat(body: ChatRequest, rasa: RasaDep, settings: SettingsDep) -> ChatResponse:
    if len(body.message) > settings.max_message_chars:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            f"Tin nhắn quá dài: tối đa {settings.max_message_chars} ký tự.",
        )
    _log(body.channel, body.sender, "in", mask_verification_answer(body.message))
    try:
        messages = await rasa.send(f"{body.channel}:{body.sender}", body.message)
    except RasaUnavailable as exc:
        log.warning("rasa unavailable: %s", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, UNAVAILABLE) from exc
    for message in messages:
        if message.text:
            _log(body.channel, body.sender, "out", message.text)
    return ChatResponse(messages=messages)
