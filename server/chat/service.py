"""The chat service: one path from any channel to Rasa and back.

A channel adapter verifies its platform and translates payloads; everything else happens
here, the same for every channel: Unicode normalisation, the length limit, button tokens
in and out, the masked and pseudonymous chat log, and the call to Rasa under a
conversation id that names no platform user. Machine messages (Rasa's ``custom``
messages) are acted on here and never reach a channel: what the turn was (logged with the
citizen's message), a request for an officer (queued with the platform user id only this
service knows), a request for dossier notifications (stored likewise).

An officer's message, or the assistant's after an officer hands a conversation back, goes
out through :meth:`ChatService.deliver`: logged, and sent by the channel's sender
(Telegram, Zalo); a web citizen's widget reads it from the history.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from knowledge.vietnamese import normalize_unicode
from server.chat.buttons import ButtonTokens
from server.chat.models import (
    Channel,
    ChatInputError,
    HandoffAsked,
    Reply,
    ReplyButton,
    Sender,
    Turn,
    read_machine,
)
from server.chat.subscriptions import Subscriptions
from server.core.privacy import mask_citizen_message
from server.core.security import conversation_id
from server.dossiers import notices
from server.rasa_client import BotMessage, RasaClient, RasaUnavailable
from server.records import Author, LoggedButton, LoggedMessage, Outgoing, Records, Understanding
from server.staff.handoffs import Handoffs, HandoffState

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
HANDOFF_NOT_SAVED = (
    "Dạ, em xin lỗi, em chưa chuyển được cuộc trò chuyện tới cán bộ. Anh/chị vui lòng nhắn "
    "lại sau ít phút, hoặc gọi đường dây nóng của Sở ạ."
)


class Exchange(BaseModel):
    """One answered message: the replies, and the ids the turn's messages got in the chat
    log (a widget that polls the history then does not show them twice)."""

    replies: list[Reply]
    logged: list[int] = []


class ChatService:
    def __init__(
        self,
        rasa: RasaClient,
        records: Records,
        buttons: ButtonTokens,
        max_chars: int,
        subscriptions: Subscriptions | None = None,
        *,
        handoffs: Handoffs | None = None,
        outbound: Mapping[str, Sender] | None = None,
    ) -> None:
        self.rasa = rasa
        self.records = records
        self.buttons = buttons
        self.max_chars = max_chars
        self.subscriptions = subscriptions or Subscriptions()
        self.handoffs = handoffs or Handoffs()
        # The messaging channels' senders, by channel; filled as the channels start.
        self.outbound: Mapping[str, Sender] = outbound if outbound is not None else {}

    async def handle(
        self, channel: Channel, user_id: str, text: str, *, button: bool = False
    ) -> list[Reply]:
        """Answers one message of a platform user: typed ``text``, or with ``button`` the
        token of a pressed button. Raises :class:`ChatInputError` for an empty or too
        long message and :class:`server.rasa_client.RasaUnavailable` when Rasa does not
        answer (the adapter then says :data:`UNAVAILABLE`); a turn Rasa answered with
        nothing (its action server down) gets :data:`UNAVAILABLE` as the reply. While an
        officer has the conversation the assistant says nothing: the list is empty."""
        return (await self.exchange(channel, user_id, text, button=button)).replies

    async def exchange(
        self, channel: Channel, user_id: str, text: str, *, button: bool = False
    ) -> Exchange:
        """:meth:`handle`, with the ids of what was logged."""
        conversation = conversation_id(channel, user_id)
        message, shown = await asyncio.to_thread(self._incoming, text, button)
        if message is None:
            return Exchange(replies=[Reply(text=STALE_BUTTON)])
        said = mask_citizen_message(shown)
        try:
            answers = await self.rasa.send(conversation, message)
        except RasaUnavailable:
            # Kept all the same: staff see what went unanswered.
            await asyncio.to_thread(self._log, channel, conversation, said, [])
            raise
        return await asyncio.to_thread(self._finish, channel, user_id, said, answers)

    async def deliver(
        self, channel: str, user_id: str, messages: Sequence[BotMessage], author: Author
    ) -> bool:
        """Sends ``messages`` to a citizen outside a reply and logs them as ``author``'s;
        False if the channel's sender could not send them (or is not configured). The web
        channel cannot send first: the citizen's widget reads them from the history."""
        conversation = conversation_id(channel, user_id)
        replies = await asyncio.to_thread(self._replies, _visible(messages))
        if channel != "web":
            sender = self.outbound.get(channel)
            if sender is None:
                log.warning("no sender for channel %s: a message was not delivered", channel)
                return False
            if not await sender.send(user_id, replies):
                return False
        logged = await asyncio.to_thread(self._log, channel, conversation, None, replies, author)
        if channel == "web":
            return bool(logged)  # the log is how a web citizen gets it
        return True  # sent; only the log may be missing

    async def history(
        self, channel: Channel, user_id: str, after: int | None = None
    ) -> list[LoggedMessage]:
        conversation = conversation_id(channel, user_id)
        return await asyncio.to_thread(self.records.history, conversation, 100, after)

    async def handoff_state(self, channel: Channel, user_id: str) -> HandoffState | None:
        """Whether the user waits for an officer, or one is answering."""
        conversation = conversation_id(channel, user_id)
        return await asyncio.to_thread(self.handoffs.state, conversation)

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

    def _finish(
        self, channel: Channel, user_id: str, said: str, answers: list[BotMessage]
    ) -> Exchange:
        """Acts on the turn's machine messages, then logs the citizen's message with what
        Rasa understood and the replies, in one transaction."""
        conversation = conversation_id(channel, user_id)
        customs = [a.custom for a in answers if a.custom is not None]
        machines = [(c, read_machine(c) if isinstance(c, dict) else None) for c in customs]
        turn = next((m for _, m in machines if isinstance(m, Turn)), Turn())
        visible = _visible(answers)
        for custom, machine in machines:
            if isinstance(machine, Turn):
                continue
            if isinstance(machine, HandoffAsked):
                if not self._queue(channel, user_id, said, machine, turn):
                    visible = [BotMessage(text=HANDOFF_NOT_SAVED)]
            elif not self._subscribe(channel, user_id, custom):
                visible = [BotMessage(text=NOT_SAVED)]  # the action's confirmation is untrue
        if not visible and not turn.paused:
            # Rasa answers every turn it is not paused in: silence means its actions did not
            # run (the action server is down or failed), and the citizen is told so.
            log.warning("rasa answered nothing: is the action server down?")
            visible = [BotMessage(text=UNAVAILABLE)]
        replies = self._replies(visible)
        understood = Understanding(
            intent=turn.intent, confidence=turn.confidence, procedure_id=turn.procedure_id
        )
        logged = self._log(channel, conversation, said, replies, "bot", understood)
        return Exchange(replies=replies, logged=logged)

    def _queue(
        self, channel: Channel, user_id: str, said: str, asked: HandoffAsked, turn: Turn
    ) -> bool:
        """Puts the conversation in the officers' queue; False if it could not be stored."""
        conversation = conversation_id(channel, user_id)
        procedure_id = asked.procedure_id or turn.procedure_id
        try:
            self.handoffs.open(channel, user_id, conversation, procedure_id, said)
        except Exception:  # the citizen is told; the chat goes on
            log.exception("could not queue a hand-off")
            return False
        return True

    def _subscribe(self, channel: Channel, user_id: str, custom: Any) -> bool:
        """Carries out a notification request; False if it could not be stored. Anything
        else is dropped: an unknown machine message never fails a turn."""
        request = notices.read(custom) if isinstance(custom, dict) else None
        if request is None:
            log.warning("dropped an unknown machine message from the actions")
            return True
        if channel not in notices.MESSAGING_CHANNELS:
            return True  # the action said so already; nothing can be sent on this channel
        try:
            self.subscriptions.apply(channel, user_id, request)
        except Exception:  # the citizen is told; the chat goes on
            log.exception("could not store a notification request")
            return False
        return True

    def _replies(self, answers: Sequence[BotMessage]) -> list[Reply]:
        return [
            Reply(
                text=a.text,
                buttons=[
                    ReplyButton(title=b.title, token=self.buttons.token_for(b.title, b.payload))
                    for b in a.buttons
                ],
                image=a.image,
            )
            for a in answers
        ]

    def _log(
        self,
        channel: str,
        conversation: str,
        said: str | None,
        replies: Sequence[Reply],
        author: Author = "bot",
        understood: Understanding | None = None,
    ) -> list[int]:
        """Logs a turn; the ids, or none if the log cannot be written (the chat goes on)."""
        answers = [
            Outgoing(
                text=r.text or "",
                buttons=[LoggedButton(title=b.title, token=b.token) for b in r.buttons],
            )
            for r in replies
            if r.text or r.buttons
        ]
        try:
            return self.records.log_turn(
                channel, conversation, said, answers, understood=understood, author=author
            )
        except Exception:
            log.exception("could not store a chat message")
            return []


def _visible(answers: Sequence[BotMessage]) -> list[BotMessage]:
    return [a for a in answers if a.text or a.buttons or a.image]
