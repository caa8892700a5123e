"""The chat service: one path from any channel to Rasa and back.

A channel adapter verifies its platform and translates payloads; everything else happens
here, the same for every channel: Unicode normalisation, the length limit, button tokens
in and out, the masked and pseudonymous chat log, and the call to Rasa under a
conversation id that names no platform user. Machine messages of the actions (Rasa's
``custom`` messages) are acted on here and never reach a channel: a request for dossier
notifications is stored with the platform user id only this service knows.
"""

from __future__ import annotations

import asyncio
import logging
import re

from knowledge.vietnamese import normalize_unicode
from server.chat.buttons import ButtonTokens
from server.chat.models import Channel, ChatInputError, Reply, ReplyButton
from server.chat.subscriptions import Subscriptions
from server.core.privacy import mask_citizen_message
from server.core.security import conversation_id
from server.dossiers import notices
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
NOT_SAVED = (
    "Dạ, em xin lỗi, hệ thống chưa ghi nhận được yêu cầu nhận thông báo của anh/chị. "
    "Anh/chị vui lòng nhắn lại sau ít phút ạ."
)


class ChatService:
    def __init__(
        self,
        rasa: RasaClient,
        records: Records,
        buttons: ButtonTokens,
        max_chars: int,
        subscriptions: Subscriptions | None = None,
    ) -> None:
        self.rasa = rasa
        self.records = records
        self.buttons = buttons
        self.max_chars = max_chars
        self.subscriptions = subscriptions or Subscriptions()

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
        machine = [a.custom for a in answers if a.custom is not None]
        visible = [a for a in answers if a.text or a.buttons or a.image]
        if machine and not await asyncio.to_thread(self._act_on, channel, user_id, machine):
            visible = [BotMessage(text=NOT_SAVED)]  # the action's confirmation would be untrue
        replies = await asyncio.to_thread(lambda: [self._reply(a) for a in visible])
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

    def _act_on(self, channel: Channel, user_id: str, machine: list[object]) -> bool:
        """Carries out the actions' machine messages; False if one could not be stored."""
        for custom in machine:
            request = notices.read(custom) if isinstance(custom, dict) else None
            if request is None:
                log.warning("dropped an unknown machine message from the actions")
                continue
            if channel not in notices.MESSAGING_CHANNELS:
                continue  # the action said so already; nothing can be sent on this channel
            try:
                self.subscriptions.apply(channel, user_id, request)
            except Exception:  # the citizen is told; the chat goes on
                log.exception("could not store a notification request")
                return False
        return True

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
