"""Sending to Telegram: replies as messages of at most 4096 characters, buttons as inline
keyboards whose ``callback_data`` is the chat service's short token, within Telegram's
flood limits. :class:`TelegramSender` is also the channel's
:class:`server.channels.outbound.Outbound` sender (staff hand-off, notifications).

Limits: PTB's :class:`~telegram.ext.AIORateLimiter` holds every send to the overall limit
(30 messages a second across chats) and to 20 a minute in a group; when Telegram still
answers 429 (a private chat gets about one message a second, short bursts allowed), it
waits the ``retry_after`` Telegram names and tries again, up to :data:`RETRIES` times.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ChatAction, MessageLimit
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from server.chat import Reply, ReplyButton
from server.core.config import Settings

log = logging.getLogger(__name__)

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096, counted in UTF-16 code units
RETRIES = 3  # after a 429 "retry after N seconds"
CHOOSE = "Dạ, anh/chị chọn một mục dưới đây giúp em ạ:"  # buttons that come without a text
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # links to the portal, not big cards

RateLimitedBot = ExtBot[int]  # a telegram.Bot whose sends go through the rate limiter


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` UTF-16 code units."""
    used = 0
    for i, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:i]
    return text


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most ``limit`` UTF-16 code units (how Telegram counts), each cut at a
    paragraph, else a line, else a word break, when one lies in its second half."""
    pieces: list[str] = []
    rest = text.strip()
    while _units(rest) > limit:
        head = _fitting(rest, limit)
        cut = len(head)
        for separator in ("\n\n", "\n", " "):
            at = head.rfind(separator)
            if at > len(head) // 2:
                cut = at
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def keyboard(buttons: list[ReplyButton]) -> InlineKeyboardMarkup | None:
    """One button a row: titles are procedure names, too long to share a row."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.title, callback_data=b.token)] for b in buttons]
    )


def chat_ref(user_id: str) -> int | str:
    """A chat id as the Bot API takes it: a number, or ``@channelusername``."""
    try:
        return int(user_id)
    except ValueError:
        return user_id


class TelegramSender:
    """Implements :class:`server.channels.outbound.Outbound` for Telegram."""

    def __init__(self, bot: RateLimitedBot, requests: tuple[HTTPXRequest, ...] = ()) -> None:
        self.bot = bot
        self._requests = requests

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramSender:
        # Our own request objects: the bot then needs no getMe at start (a gateway must
        # start even while api.telegram.org is unreachable), and close() releases them.
        requests = (HTTPXRequest(), HTTPXRequest(pool_timeout=10.0))
        bot: RateLimitedBot = ExtBot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=f"{settings.telegram_api_url.rstrip('/')}/bot",
            base_file_url=f"{settings.telegram_api_url.rstrip('/')}/file/bot",
            get_updates_request=requests[0],
            request=requests[1],
            rate_limiter=AIORateLimiter(max_retries=RETRIES),
        )
        return cls(bot, requests)

    async def send(self, user_id: str, replies: list[Reply]) -> bool:
        """Sends ``replies`` in order to the chat ``user_id``; False if Telegram refused one
        (the citizen blocked the bot, an unknown chat) or could not be reached."""
        chat_id = chat_ref(user_id)
        try:
            for reply in replies:
                await self._send_reply(chat_id, reply)
        except TelegramError as exc:
            log.warning("telegram: could not send (%s: %s)", type(exc).__name__, exc.message)
            return False
        return True

    async def say(self, chat_id: int, text: str) -> bool:
        return await self.send(str(chat_id), [Reply(text=text)])

    async def answer_button(self, query_id: str) -> None:
        """Stops the spinner on the pressed button; Telegram expects it within seconds."""
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.warning("telegram: callback query not answered (%s)", exc.message)

    async def typing(self, chat_id: int) -> None:
        try:
            await self.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:
            log.info("telegram: no typing indicator (%s)", exc.message)

    async def close(self) -> None:
        for request in self._requests:
            await request.shutdown()

    async def _send_reply(self, chat_id: int | str, reply: Reply) -> None:
        if reply.image:
            await self.bot.send_photo(chat_id, reply.image)
        pieces = split_text(reply.text or "")
        if not pieces and reply.buttons:
            pieces = [CHOOSE]
        markup = keyboard(reply.buttons)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            await self.bot.send_message(
                chat_id,
                piece,
                reply_markup=markup if last else None,
                link_preview_options=_NO_PREVIEW,
            )
