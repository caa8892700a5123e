"""What crosses the chat service's boundary: channel names, replies, input errors."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Channel = Literal["web", "telegram", "zalo"]


class ReplyButton(BaseModel):
    title: str
    token: str  # short and opaque; the chat service maps it back to Rasa's payload


class Reply(BaseModel):
    text: str | None = None
    buttons: list[ReplyButton] = []
    image: str | None = None


class ChatInputError(ValueError):
    """A message the chat service refuses (empty, too long), with the Vietnamese reason."""

    def __init__(self, reason: str, too_long: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_long = too_long
