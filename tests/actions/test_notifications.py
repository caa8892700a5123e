"""Asking to be told when staff move a dossier, and the opt-out, on hand-made trackers.

The actions never see a platform user id: they answer, and leave the chat service a
machine message naming only the verified dossier (tests/server/chat covers the rest).
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.dossier import SUBSCRIBE_BUTTON, ActionDossierStatus
from actions.notifications import (
    ALREADY_FINISHED,
    MESSAGING_ONLY,
    NEED_LOOKUP,
    NOTHING_TO_STOP,
    SUBSCRIBED,
    UNSUBSCRIBED,
    ActionSubscribeDossierUpdates,
    ActionUnsubscribeDossierUpdates,
)
from server.core.security import conversation_id
from server.dossiers.models import Dossier, Step
from server.dossiers.notices import NoticeRequest, read
from tests.actions.conftest import make_tracker

TELEGRAM = conversation_id("telegram", "123456789")
ZALO = conversation_id("zalo", "84912345678")
WEB = conversation_id("web", "session-1")


# Every test here sees the demo dossiers (tests/actions/conftest.py).
pytestmark = pytest.mark.usefixtures("demo")


def step(demo: list[Dossier], wanted: Step) -> Dossier:
    return next(d for d in demo if d.step is wanted)


async def run(action: Any, tracker: Tracker) -> tuple[list[str], list[NoticeRequest | None]]:
    """(texts shown, machine messages) of one action run; it must set no slot."""
    dispatcher = CollectingDispatcher()
    assert await action.run(dispatcher, tracker, {}) == []
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    machine = [read(m["custom"]) for m in dispatcher.messages if m.get("custom")]
    return texts, machine


def subscribe_tracker(sender: str, verified: str | None, text: str = "báo cho tôi nhé") -> Tracker:
    slots = {"verified_dossier": verified}
    return make_tracker(text, "subscribe_dossier_updates", slots, sender=sender)


async def lookup(dossier: Dossier, sender: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The verified lookup on ``sender``'s conversation: (its message, its slots)."""
    slots = {"dossier_code": dossier.code, "dossier_verification": dossier.phone_last4}
    latest = {"text": dossier.phone_last4, "intent": {"name": "give_verification"}}
    tracker = Tracker(sender, slots, latest, [], False, None, {}, "dossier_form")
    dispatcher = CollectingDispatcher()
    events = await ActionDossierStatus().run(dispatcher, tracker, {})
    return dispatcher.messages[0], {e["name"]: e["value"] for e in events}


@pytest.mark.parametrize("sender", [TELEGRAM, ZALO])
async def test_after_a_verified_lookup_the_request_names_that_dossier(
    demo: list[Dossier], sender: str
) -> None:
    dossier = step(demo, Step.processing)
    message, slots = await lookup(dossier, sender)
    assert message["buttons"] == [SUBSCRIBE_BUTTON]  # offered where it can be sent
    texts, machine = await run(
        ActionSubscribeDossierUpdates(), subscribe_tracker(sender, slots["verified_dossier"])
    )
    assert texts == [SUBSCRIBED.format(code=dossier.code)]
    assert machine == [NoticeRequest(op="subscribe", code=dossier.code)]


async def test_a_failed_lookup_leaves_nothing_to_subscribe_to(demo: list[Dossier]) -> None:
    dossier = step(demo, Step.processing)
    wrong = dossier.model_copy(update={"phone_last4": "0000"})
    message, slots = await lookup(wrong, TELEGRAM)
    assert slots["verified_dossier"] is None and not message.get("buttons")
    texts, machine = await run(ActionSubscribeDossierUpdates(), subscribe_tracker(TELEGRAM, None))
    assert texts == [NEED_LOOKUP] and machine == []


async def test_without_a_lookup_the_citizen_is_asked_to_look_up_first() -> None:
    tracker = subscribe_tracker(TELEGRAM, None, "bao cho t khi co kq nhe")
    texts, machine = await run(ActionSubscribeDossierUpdates(), tracker)
    assert texts == [NEED_LOOKUP] and machine == []


async def test_on_the_web_the_citizen_learns_where_notifications_work(
    demo: list[Dossier],
) -> None:
    dossier = step(demo, Step.processing)
    message, slots = await lookup(dossier, WEB)
    assert slots["verified_dossier"] == dossier.code and not message.get("buttons")
    texts, machine = await run(
        ActionSubscribeDossierUpdates(), subscribe_tracker(WEB, dossier.code)
    )
    assert texts == [MESSAGING_ONLY.format(dept=resources.department().name)]
    assert "Zalo" in texts[0] and "Telegram" in texts[0] and machine == []


@pytest.mark.parametrize("final", [Step.result_ready, Step.returned])
async def test_a_finished_dossier_has_nothing_left_to_announce(
    demo: list[Dossier], final: Step
) -> None:
    dossier = step(demo, final)
    message, slots = await lookup(dossier, TELEGRAM)
    assert not message.get("buttons")  # not offered either
    texts, machine = await run(
        ActionSubscribeDossierUpdates(), subscribe_tracker(TELEGRAM, slots["verified_dossier"])
    )
    assert texts[0].startswith(ALREADY_FINISHED.split("{")[0] + dossier.code)
    assert machine == []


@pytest.mark.parametrize("sender", [TELEGRAM, ZALO])
async def test_the_opt_out(sender: str) -> None:
    tracker = make_tracker("thôi không cần báo nữa", "unsubscribe_dossier_updates", sender=sender)
    texts, machine = await run(ActionUnsubscribeDossierUpdates(), tracker)
    assert texts == [UNSUBSCRIBED] and machine == [NoticeRequest(op="unsubscribe")]


async def test_no_opt_out_on_the_web() -> None:
    tracker = make_tracker("huy thong bao", "unsubscribe_dossier_updates", sender=WEB)
    texts, machine = await run(ActionUnsubscribeDossierUpdates(), tracker)
    assert texts == [NOTHING_TO_STOP] and machine == []
