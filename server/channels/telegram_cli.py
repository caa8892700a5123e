"""Commands for a department's Telegram bot (``make telegram-webhook``, ``make telegram-polling``):

    python -m server.channels.telegram --set-webhook     # deliver to PUBLIC_URL/webhooks/telegram
    python -m server.channels.telegram --delete-webhook  # stop webhook deliveries
    python -m server.channels.telegram --polling         # try the bot locally, no public URL

``--set-webhook`` registers ``{PUBLIC_URL}/webhooks/telegram`` (https, as Telegram requires)
with TELEGRAM_WEBHOOK_SECRET as the secret Telegram sends back on every delivery.
``--polling`` asks Telegram for updates (getUpdates, long polling) and hands each to the same
:class:`~server.channels.telegram.TelegramChannel` the webhook uses, one at a time; it calls
Rasa at RASA_URL, so the assistant must be running (``make run`` in another terminal).
Telegram refuses getUpdates while a webhook is set: delete it first. Ctrl+C or SIGTERM stops
polling at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import signal
import sys

from telegram.error import Conflict, Forbidden, InvalidToken, TelegramError

from server.channels.dedup import SeenEvents
from server.channels.telegram import ALLOWED_UPDATES, WEBHOOK_PATH, TelegramChannel
from server.channels.telegram_send import TelegramSender
from server.chat import ChatService
from server.chat.buttons import ButtonTokens
from server.core.config import Settings, get_settings
from server.rasa_client import RasaClient
from server.records import Records

log = logging.getLogger(__name__)
POLL_TIMEOUT_S = 25  # an idle getUpdates is held this long by Telegram
MAX_BACKOFF_S = 30.0  # after network errors
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


class CommandError(Exception):
    """A problem the person running the command can fix; printed without a traceback."""


def webhook_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + WEBHOOK_PATH


async def set_webhook(sender: TelegramSender, settings: Settings) -> str:
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not _SECRET.match(secret):
        raise CommandError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -."
        )
    url = webhook_url(settings)
    if not url.startswith("https://"):
        raise CommandError(f"PUBLIC_URL must be the gateway's public https:// address, not {url}")
    await sender.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    return url


async def poll(
    channel: TelegramChannel,
    chat: ChatService,
    stop: asyncio.Event,
    timeout_s: int = POLL_TIMEOUT_S,
) -> None:
    """Handles updates from getUpdates until ``stop`` is set. Network trouble is retried
    with a growing pause; a refused token or a webhook in place (Conflict) is raised."""
    offset: int | None = None
    backoff = 1.0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            channel.sender.bot.get_updates(
                offset=offset, timeout=timeout_s, allowed_updates=ALLOWED_UPDATES
            )
        )
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetch
            return
        try:
            updates = fetch.result()
        except (Conflict, Forbidden, InvalidToken):
            raise
        except TelegramError as exc:
            log.warning("telegram: getUpdates failed (%s); retrying in %.0f s", exc, backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            continue
        backoff = 1.0
        for update in updates:
            # The next getUpdates confirms every update before the offset.
            offset = max(offset or 0, update.update_id + 1)
            if await channel.first_time(update):
                await channel.process(update, chat)


async def _polling(sender: TelegramSender, settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_s)
    chat = ChatService(rasa, Records(), ButtonTokens(), settings.max_message_chars)
    try:
        if not await rasa.is_up():
            log.warning(
                "Rasa does not answer at %s: start the assistant (make run) in another "
                "terminal; until then citizens get the 'try again later' answer.",
                settings.rasa_url,
            )
        print("Polling Telegram for messages to the bot. Ctrl+C to stop.", flush=True)
        await poll(TelegramChannel(sender, SeenEvents()), chat, stop)
    finally:
        await rasa.aclose()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def run(command: str, settings: Settings) -> str:
    """Runs ``set-webhook``, ``delete-webhook`` or ``polling``; returns what to print."""
    sender = TelegramSender.from_settings(settings)
    try:
        if command == "set-webhook":
            return f"Webhook set: Telegram now delivers to {await set_webhook(sender, settings)}"
        if command == "delete-webhook":
            await sender.bot.delete_webhook()
            return "Webhook deleted: Telegram keeps updates for getUpdates (--polling)."
        await _polling(sender, settings)
        return "Polling stopped."
    except InvalidToken as exc:
        raise CommandError("Telegram refused TELEGRAM_BOT_TOKEN: check it with BotFather.") from exc
    except Conflict as exc:
        raise CommandError(
            "This bot has a webhook, so Telegram refuses polling: run "
            "`python -m server.channels.telegram --delete-webhook` first."
        ) from exc
    except TelegramError as exc:
        raise CommandError(f"Telegram: {exc.message}") from exc
    finally:
        await sender.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m server.channels.telegram",
        description="Connect the assistant to a Telegram bot (settings: see README).",
    )
    commands = parser.add_mutually_exclusive_group(required=True)
    for name, what in (
        ("set-webhook", "register PUBLIC_URL/webhooks/telegram with the webhook secret"),
        ("delete-webhook", "remove the webhook (polling needs none)"),
        ("polling", "answer the bot's messages from this machine, no public URL needed"),
    ):
        commands.add_argument(f"--{name}", dest="command", action="store_const", const=name,
                              help=what)  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines show the token
    settings = get_settings()
    if not settings.telegram_enabled:
        print("TELEGRAM_BOT_TOKEN is empty: set the token BotFather gave.", file=sys.stderr)
        return 2
    try:
        print(asyncio.run(run(args.command, settings)))
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
