"""What crosses the chat service's boundary: channel names, replies, input errors, the
machine messages Rasa's gateway channel and the actions send, and the senders the
channels lend the service to write to a citizen first."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

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


class Sender(Protocol):
    """How a messaging channel sends to a citizen outside a reply: ``False`` if it could
    not. Telegram and Zalo each register one in ``app.state.outbound``."""

    async def send(self, user_id: str, replies: list[Reply]) -> bool:
        """Sends ``replies`` to the platform user ``user_id``; False if it could not."""
        ...


class Turn(BaseModel):
    """``{"turn": …}``, appended by Rasa's gateway channel (``bot/channels.py``) to every
    answer: what the NLU made of the message, and whether an officer has the conversation
    (Rasa is paused, so nothing else was said)."""

    model_config = ConfigDict(frozen=True)

    intent: str | None = None
    confidence: float | None = None
    procedure_id: str | None = None
    paused: bool = False


class HandoffAsked(BaseModel):
    """``{"handoff": …}``, sent by ``action_handoff``: the citizen asked for an officer."""

    model_config = ConfigDict(frozen=True)

    procedure_id: str | None = None
    in_hours: bool = True


def read_machine(custom: dict[str, Any]) -> Turn | HandoffAsked | None:
    """The turn or hand-off a machine message holds; None for any other or a malformed one."""
    for key, model in (("turn", Turn), ("handoff", HandoffAsked)):
        body = custom.get(key)
        if isinstance(body, dict) and len(custom) == 1:
            try:
                return model.model_validate(body)
            except ValidationError:
                return None
    return None
