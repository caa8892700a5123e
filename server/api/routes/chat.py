"""REST chat API: every channel (web widget, Telegram, Zalo, terminal) goes through here."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field, field_validator

from knowledge.dossier_code import find_codes
from knowledge.vietnamese import normalize_unicode
from server import db
from server.api.deps import RasaDep, SettingsDep
from server.core.privacy import mask_personal_data, sender_hash
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


# Dossier lookups ask for the last 4 digits of the citizen's phone: those answers must not
# be stored in clear. mask_personal_data keeps short numbers (years, counts) on purpose, so
# here a 4-6 digit number in a message of a few words ("5678", "4 số cuối là 5678 ạ") is
# masked before logging; dossier codes stay readable.
_VERIFICATION_NUMBER = re.compile(r"(?<![\w.-])\d{4,6}(?![\w.-])")
_VERIFICATION_MAX_WORDS = 6


def _mask_verification_answer(text: str) -> str:
    if len(text.split()) > _VERIFICATION_MAX_WORDS:
        return text
    codes = [(m.start, m.end) for m in find_codes(text)]

    def _mask(match: re.Match[str]) -> str:
        in_code = any(s <= match.start() < e for s, e in codes)
        return match.group() if in_code else "*" * len(match.group())

    return _VERIFICATION_NUMBER.sub(_mask, text)


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
    _log(body.channel, body.sender, "in", _mask_verification_answer(body.message))
    try:
        messages = await rasa.send(f"{body.channel}:{body.sender}", body.message)
    except RasaUnavailable as exc:
        log.warning("rasa unavailable: %s", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, UNAVAILABLE) from exc
    for message in messages:
        if message.text:
            _log(body.channel, body.sender, "out", message.text)
    return ChatResponse(messages=messages)
