"""The machine message by which an action asks the chat service to (un)subscribe the
citizen of the current conversation to a dossier's step changes.

Why a message and not a database write in the action: sending a notification needs the
platform's user id (a Telegram chat id, a Zalo user id), and Rasa and the actions only
know a keyed pseudonym of it (:func:`server.core.security.conversation_id`). So the
action says *what* (subscribe to this verified code, or stop), as a ``custom`` message of
Rasa's REST response, and the chat service, which handles the message of that very user,
says *who*. The format lives here, between the two, because the actions may not import
the chat service and the chat service does not import the actions.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from knowledge.dossier_code import canonical

KEY = "dossier_notifications"
# Channels that can send a message first; the web widget only answers.
MESSAGING_CHANNELS = frozenset({"telegram", "zalo"})


class NoticeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    op: Literal["subscribe", "unsubscribe"]
    code: str | None = None  # the verified dossier; unsubscribe stops every dossier

    @model_validator(mode="after")
    def _code_for_subscribe(self) -> NoticeRequest:
        if self.op == "subscribe" and (self.code is None or canonical(self.code) != self.code):
            raise ValueError("subscribe needs a canonical dossier code")
        return self


def channel_of(conversation: str) -> str:
    """The channel a conversation id names: ``telegram-3f2a…`` → ``telegram``."""
    return conversation.split("-", 1)[0]


def subscribe_message(code: str) -> dict[str, Any]:
    return {KEY: NoticeRequest(op="subscribe", code=code).model_dump()}


def unsubscribe_message() -> dict[str, Any]:
    return {KEY: NoticeRequest(op="unsubscribe").model_dump()}


def read(custom: dict[str, Any]) -> NoticeRequest | None:
    """The request a custom message holds; None if it holds none or a malformed one."""
    body = custom.get(KEY)
    if not isinstance(body, dict):
        return None
    try:
        return NoticeRequest.model_validate(body)
    except ValidationError:
        return None
