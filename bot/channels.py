"""The gateway's channel into Rasa: the REST channel, plus what the turn was.

The gateway logs each citizen message with what the NLU made of it (intent, confidence,
procedure) for the staff inbox and reports, and must know when an officer has taken the
conversation over. Rasa's REST channel returns only the bot's messages, so this one
appends a machine message read from the tracker once the message was handled::

    {"custom": {"turn": {"intent": ..., "confidence": ..., "procedure_id": ..., "paused": ...}}}

A paused conversation (Rasa's own ``pause`` event, which the gateway appends when an
officer takes over) gets no bot message, only the turn. Registered in
``bot/credentials.yml``; served at ``/webhooks/gateway/webhook``. The gateway never
streams, so the REST channel's ``stream`` option is left out.
"""

from __future__ import annotations

from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import action_response_schema
from bot.tracker_store import MaskingSQLTrackerStore

structlogger = structlog.get_logger()
action_response_schema.install()  # see its docstring: Rasa's CPU time per turn


def turn_message(tracker: DialogueStateTracker | None) -> dict[str, Any]:
    """The machine message describing the conversation's latest turn (all empty for a
    conversation Rasa has not stored)."""
    intent: dict[str, Any] = {}
    if tracker is not None and tracker.latest_message is not None:
        intent = tracker.latest_message.intent or {}
    confidence = intent.get("confidence")
    turn = {
        "intent": intent.get("name"),
        "confidence": None if confidence is None else float(confidence),
        "procedure_id": tracker.get_slot("procedure_id") if tracker is not None else None,
        "paused": tracker is not None and tracker.is_paused(),
    }
    return {"custom": {"turn": turn}}


async def _tracker_after_turn(store: TrackerStore, sender: str) -> DialogueStateTracker | None:
    """The conversation as the turn left it: as the tracker store kept it when it saved it
    (Rasa wraps ours in its fail-safe store), else read back."""
    inner = getattr(store, "_tracker_store", store)
    if isinstance(inner, MaskingSQLTrackerStore) and (saved := inner.take_just_saved(sender)):
        return saved
    return await store.retrieve(sender)


class GatewayInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "gateway"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender = await self._extract_sender(request)
            text = self._extract_message(request)
            collector = CollectingOutputChannel()
            message = UserMessage(
                text,
                collector,
                sender,
                input_channel=self._extract_input_channel(request),
                metadata=self.get_metadata(request),
            )
            # As the REST channel, a failed turn still answers with what was said so far;
            # unlike it, the log names the (pseudonymous) conversation, not the citizen's text.
            failed = True
            try:
                await on_new_message(message)
                failed = False
            except CancelledError:
                structlogger.error("gateway.message.timeout", sender=message.sender_id)
            except Exception:
                structlogger.exception("gateway.message.failure", sender=message.sender_id)
            tracker = await _tracker_after_turn(request.app.ctx.agent.tracker_store, sender)
            turn = turn_message(tracker)
            if tracker is None or (failed and not collector.messages):
                # No answer: a turn that failed before saying anything (the lock store did
                # not answer), or one the tracker store could not give (Rasa's fail-safe
                # wrapper then runs the turn on an empty conversation and keeps it in
                # memory only: what it said ignores the conversation so far). 503, and
                # the gateway apologises.
                return response.json([turn], status=503)
            said = [] if turn["custom"]["turn"]["paused"] else collector.messages
            return response.json([*said, turn])

        return hook
