"""The gateway channel (Rasa venv): the turn message read from the tracker, and the
webhook answering as Rasa's REST channel plus that message, driven through Sanic's ASGI
interface with a stand-in for the agent."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels import BUILTIN_CHANNELS
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ConversationPaused,
    ConversationResumed,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import class_from_module_path
from rasa.shared.utils.io import read_config_file
from sanic import Sanic

from bot.channels import GatewayInput, turn_message

DOMAIN = Domain.from_dict(
    {
        "intents": ["ask_fee", "request_human"],
        "slots": {"procedure_id": {"type": "text", "mappings": [{"type": "custom"}]}},
    }
)
PROCEDURE = "cap-ban-sao-van-bang-tu-so-goc"
_app_names = itertools.count()
Post = Callable[..., tuple[int, Any]]  # (events before, fails=, store_down=) -> (status, body)


def asked_fee(*more: Event) -> list[Event]:
    return [
        ActionExecuted("action_listen"),
        UserUttered("lệ phí bao nhiêu", intent={"name": "ask_fee", "confidence": 0.8125}),
        SlotSet("procedure_id", PROCEDURE),
        *more,
    ]


def tracker_of(events: list[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("conv-1", events, slots=DOMAIN.slots)


def test_turn_says_what_the_nlu_understood() -> None:
    turn = turn_message(tracker_of(asked_fee(ActionExecuted("action_answer_procedure"))))
    assert turn == {
        "custom": {
            "turn": {
                "intent": "ask_fee",
                "confidence": 0.8125,
                "procedure_id": PROCEDURE,
                "paused": False,
            }
        }
    }


def test_turn_follows_rasas_pause_and_resume() -> None:
    assert turn_message(tracker_of(asked_fee(ConversationPaused())))["custom"]["turn"]["paused"]
    resumed = tracker_of(asked_fee(ConversationPaused(), ConversationResumed()))
    assert turn_message(resumed)["custom"]["turn"]["paused"] is False


def test_turn_of_an_unknown_or_empty_conversation_is_empty() -> None:
    empty = {"intent": None, "confidence": None, "procedure_id": None, "paused": False}
    assert turn_message(None) == {"custom": {"turn": empty}}
    assert turn_message(tracker_of([])) == {"custom": {"turn": empty}}


def answering_bot(
    store: InMemoryTrackerStore, before: list[Event]
) -> Callable[[UserMessage], Awaitable[None]]:
    """Stands in for Rasa's agent: stores the turn, then says one thing (even in a paused
    conversation, which the channel must then keep quiet)."""

    async def on_new_message(message: UserMessage) -> None:
        await store.save(tracker_of([*before, *asked_fee()]))
        await message.output_channel.send_text_message(message.sender_id, f"Dạ: {message.text}")

    return on_new_message


class UnreachableTrackerStore(InMemoryTrackerStore):
    """A tracker store whose database does not answer."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        raise ConnectionError("connection refused")

    async def save(self, tracker: DialogueStateTracker) -> None:
        raise ConnectionError("connection refused")


async def failing_bot(message: UserMessage) -> None:
    """Stands in for Rasa's agent when its lock store (Redis) does not answer."""
    raise LockError("Error while acquiring lock. Error:\nConnection refused.")


async def _asgi_post(app: Sanic, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """One POST through the app's ASGI interface, after its lifespan startup."""

    def channel(messages: list[dict[str, Any]]) -> tuple[Any, Any, list[dict[str, Any]]]:
        pending, sent = iter(messages), []

        async def receive() -> dict[str, Any]:
            message = next(pending, None)
            if message is None:
                await asyncio.Event().wait()  # the lifespan waits for a shutdown never sent
            return message

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        return receive, send, sent

    receive, send, started = channel([{"type": "lifespan.startup"}])
    lifespan_scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    lifespan = asyncio.create_task(app(lifespan_scope, receive, send))
    while not started and not lifespan.done():  # the routes are ready after the startup
        await asyncio.sleep(0.01)
    assert started == [{"type": "lifespan.startup.complete"}], lifespan.result()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"content-type", b"application/json"), (b"host", b"rasa")],
        "client": ("127.0.0.1", 1), "server": ("rasa", 80),
    }  # fmt: skip
    raw = json.dumps(body).encode()
    receive, send, sent = channel([{"type": "http.request", "body": raw, "more_body": False}])
    await app(scope, receive, send)
    lifespan.cancel()
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(payload)


@pytest.fixture
def post_to_gateway(monkeypatch: pytest.MonkeyPatch) -> Post:
    # Sanic's test mode, as sanic-testing sets it: several apps may start in one process.
    monkeypatch.setattr(Sanic, "test_mode", True)

    def post(before: list[Event], fails: bool = False, store_down: bool = False) -> tuple[int, Any]:
        store: TrackerStore = InMemoryTrackerStore(DOMAIN)
        if store_down:  # as Rasa's agent wraps its tracker store
            store = FailSafeTrackerStore(UnreachableTrackerStore(DOMAIN))
        app = Sanic(f"gateway_channel_test_{next(_app_names)}")
        app.ctx.agent = SimpleNamespace(tracker_store=store)
        hook = GatewayInput().blueprint(failing_bot if fails else answering_bot(store, before))
        app.blueprint(hook, url_prefix="/webhooks/gateway")
        body = {"sender": "conv-1", "message": "lệ phí bao nhiêu"}
        return asyncio.run(_asgi_post(app, "/webhooks/gateway/webhook", body))

    return post


def test_webhook_answers_as_the_rest_channel_then_the_turn(post_to_gateway: Post) -> None:
    status, answer = post_to_gateway([])
    assert status == 200
    assert answer[0] == {"recipient_id": "conv-1", "text": "Dạ: lệ phí bao nhiêu"}
    assert answer[1:] == [turn_message(tracker_of(asked_fee()))]
    assert answer[1]["custom"]["turn"]["intent"] == "ask_fee"


def test_a_paused_conversation_gets_only_the_turn(post_to_gateway: Post) -> None:
    status, answer = post_to_gateway([ConversationPaused()])
    assert status == 200
    assert [m["custom"]["turn"]["paused"] for m in answer] == [True]
    assert answer[0]["custom"]["turn"]["procedure_id"] == PROCEDURE


def test_a_turn_that_failed_before_saying_anything_is_unavailable(post_to_gateway: Post) -> None:
    status, answer = post_to_gateway([], fails=True)
    assert status == 503
    assert answer == [turn_message(None)]


def test_a_turn_the_tracker_store_could_not_keep_is_unavailable(post_to_gateway: Post) -> None:
    """Rasa's fail-safe wrapper answers from an empty conversation kept in memory when
    its database is down: that answer, which ignores the conversation, is not passed on."""
    status, answer = post_to_gateway([], store_down=True)
    assert status == 503
    assert answer == [turn_message(None)]


def test_rasa_serves_the_gateway_channel_from_the_credentials_file() -> None:
    # As rasa.core.run reads the file (importing that module would load TensorFlow).
    credentials = read_config_file("bot/credentials.yml")
    found = {
        name: BUILTIN_CHANNELS.get(name) or class_from_module_path(name) for name in credentials
    }
    assert found == {"bot.channels.GatewayInput": GatewayInput, "rest": RestInput}
    assert GatewayInput.from_credentials(None).url_prefix() == "gateway"  # /webhooks/gateway
