"""Tells the citizens who asked for it that staff moved their dossier to another step.

Both ways staff move a dossier (the staff API and the console's dossier page) go through
:func:`move_dossier`, which queues :func:`notify_step_change` as a background task after
a successful update, so the staff member's answer never waits for Telegram or Zalo. Each
subscriber gets one short message on the channel they asked on, through the channel's
outbound sender (``app.state.outbound[channel]``); a channel that is not configured is
skipped and logged, and a send that fails leaves the subscription for the next step. After
a final step (result ready, returned) has reached a citizen, their subscription ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from starlette.background import BackgroundTasks
from starlette.datastructures import State

from knowledge.catalogue import Catalogue
from server.channels.outbound import Outbound
from server.chat.buttons import ButtonTokens
from server.chat.models import Reply, ReplyButton
from server.chat.subscriptions import Subscriber, Subscriptions
from server.core.security import sender_hash
from server.dossiers import DossierStore
from server.dossiers.models import FINISHED_STEPS, Dossier
from server.dossiers.render import update_notice
from server.dossiers.staff_update import StepUpdate

log = logging.getLogger(__name__)
STOP_BUTTON = ("Hủy thông báo", "/unsubscribe_dossier_updates")


def is_news(dossier: Dossier) -> bool:
    """False when the latest step repeats the one before with the same note (a staff
    client retrying its request): the citizen already heard about it."""
    if len(dossier.history) < 2:
        return True
    last, before = dossier.history[-1], dossier.history[-2]
    return (last.step, last.note) != (before.step, before.note)


def procedure_name(state: State, procedure_id: str) -> str:
    """The procedure's name in the app's catalogue (set by the lifespan), else its id."""
    catalogue: Catalogue | None = getattr(state, "catalogue", None)
    procedure = catalogue.get(procedure_id) if catalogue is not None else None
    return procedure.name if procedure is not None else procedure_id


def move_dossier(
    store: DossierStore,
    code: str,
    change: StepUpdate,
    state: State,
    background: BackgroundTasks,
) -> Dossier | None:
    """Moves the dossier with canonical ``code`` and queues the notice to its subscribers
    (sent after the response). None if there is no such dossier; the store's
    :class:`~server.dossiers.DossierBackendError` passes through for the caller to word."""
    dossier = store.update_step(code, change.step, change.note)
    if dossier is None:
        return None
    log.info("staff moved dossier %s to %s", code, change.step.value)
    name = procedure_name(state, dossier.procedure_id)
    background.add_task(notify_step_change, dossier, name, getattr(state, "outbound", {}))
    return dossier


async def notify_step_change(
    dossier: Dossier,
    procedure_name: str,
    outbound: Mapping[str, Outbound],
    subscriptions: Subscriptions | None = None,
    buttons: ButtonTokens | None = None,
) -> int:
    """Sends the update to every subscriber of the dossier; how many got it."""
    store = subscriptions or Subscriptions()
    try:
        if not is_news(dossier):
            return 0
        subscribers = await asyncio.to_thread(store.subscribers, dossier.code)
        if not subscribers:
            return 0
        last = dossier.step in FINISHED_STEPS
        stop: list[ReplyButton] = []
        if not last:  # one tap to opt out, the same as typing "hủy thông báo"
            tokens = buttons or ButtonTokens()
            token = await asyncio.to_thread(tokens.token_for, *STOP_BUTTON)
            stop = [ReplyButton(title=STOP_BUTTON[0], token=token)]
        reply = Reply(text=update_notice(dossier, procedure_name, last), buttons=stop)
        sent = 0
        for subscriber in subscribers:
            if await _send(outbound, subscriber, reply):
                sent += 1
                if last:
                    await asyncio.to_thread(store.end, dossier.code, subscriber)
        log.info("dossier %s: notified %d of %d subscribers", dossier.code, sent, len(subscribers))
        return sent
    except Exception:  # a background task: nobody else would see the failure
        log.exception("could not notify the subscribers of dossier %s", dossier.code)
        return 0


async def _send(outbound: Mapping[str, Outbound], subscriber: Subscriber, reply: Reply) -> bool:
    sender = outbound.get(subscriber.channel)
    who = sender_hash(f"{subscriber.channel}:{subscriber.user_id}")  # logs name no user
    if sender is None:
        log.warning("no %s sender configured: notification to %s skipped", subscriber.channel, who)
        return False
    try:
        ok = await sender.send(subscriber.user_id, [reply])
    except Exception:
        log.exception("%s notification to %s failed", subscriber.channel, who)
        return False
    if not ok:
        log.warning("%s notification to %s was not delivered", subscriber.channel, who)
    return ok
