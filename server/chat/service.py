"""The chat service: one path from any channel to Rasa and back.

A channel adapter verifies its platform and translates payloads; everything else happens
here, the same for every channel: Unicode normalisation, the length limit, button tokens
in and out, the masked and pseudonymous chat log, and the call to Rasa under a
conversation id that names no platform user.
"""

from __future__ import annotations

import asyncio
import logging
import re

from knowledge.vietnamese import normalize_unicode
from server.chat.buttons import ButtonTokens
from server.chat.models import Channel, ChatInputError, Reply, ReplyButton
from server.core.privacy import mask_citizen_message
from server.core.security import conversation_id
from server.rasa_client import BotMessage, RasaClient
from server.records import Direction, LoggedButton, LoggedMessage, Records

log = logging.getLogger(__name__)
_LEADING_SLASHES = re.compile(r"^[\s/]+")

UNAVAILABLE = (
    "Dạ, hệ thống đang bận hoặc tạm gián đoạn. Anh/chị vui lòng thử lại sau ít phút, "
    "hoặc gọi đường dây nóng của Sở để được hỗ trợ ạ."
)
EMPTY = "Tin nhắn trống."
STALE_BUTTON = "Dạ, nút này đã cũ. Anh/chị gõ lại câu hỏi giúp em nhé ạ."


class ChatService:
    def __init__(
        self, rasa: RasaClient, records: Records, buttons: ButtonTokens, max_chars: int
    ) -> None:
        self.rasa = rasa
        self.records = records
        self.buttons = buttons
        self.max_chars = max_chars

    async def handle(
        self, channel: Channel, user_id: str, text: str, *, button: bool = False
    ) -> list[Reply]:
        """Answers one message of a platform user: typed ``text``, or with ``button`` the
        token of a pressed button. Raises :class:`ChatInputError` for an empty or too
        long message and :class:`server.rasa_client.RasaUnavailable` when Rasa does not
        answer (the adapter then says :data:`UNAVAILABLE`)."""
        conversation = conversation_id(channel, user_id)
        message, shown = await asyncio.to_thread(self._incoming, text, button)
        if message is None:
            return [Reply(text=STALE_BUTTON)]
        await self._log(channel, conversation, "in", mask_citizen_message(shown))
        answers = await self.rasa.send(conversation, message)
        replies = await asyncio.to_thread(lambda: [self._reply(a) for a in answers])
        for reply in replies:
            if reply.text or reply.buttons:
                buttons = [LoggedButton(title=b.title, token=b.token) for b in reply.buttons]
                await self._log(channel, conversation, "out", reply.text or "", buttons)
        return replies

    async def history(self, channel: Channel, user_id: str) -> list[LoggedMessage]:
        conversation = conversation_id(channel, user_id)
        return await asyncio.to_thread(self.records.history, conversation)

    def _incoming(self, text: str, button: bool) -> tuple[str | None, str]:
        """(what Rasa receives, what the log shows); (None, text) for an unknown token."""
        cleaned = normalize_unicode(text).strip()
        if len(cleaned) > self.max_chars:
            raise ChatInputError(f"Tin nhắn quá dài: tối đa {self.max_chars} ký tự.", True)
        if button:
            press = self.buttons.resolve(cleaned)
            return (press.payload, press.title) if press else (None, cleaned)
        # A leading "/" would make Rasa read the text as an intent with entities: only
        # buttons may do that, so typed text never forges one.
        typed = _LEADING_SLASHES.sub("", cleaned)
        if not typed:
            raise ChatInputError(EMPTY)
        return typed, typed

    def _reply(self, answer: BotMessage) -> Reply:
        buttons = [
            ReplyButton(title=b.title, token=self.buttons.token_for(b.title, b.payload))
            for b in answer.buttons
        ]
        return Reply(text=answer.text, buttons=buttons, image=answer.image)

    async def _log(
        self,
        channel: Channel,
        conversation: str,
        direction: Direction,
        text: str,
        buttons: list[LoggedButton] | None = None,
    ) -> None:
        try:
            await asyncio.to_thread(
                self.records.log_message, channel, conversation, direction, text, buttons
            )
        except Exception:  # the chat must go on even if the log cannot be written
            log.exception("could not store a chat message")
