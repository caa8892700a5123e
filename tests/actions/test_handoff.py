"""Hand-off: the gateway is asked to open it, the citizen is told when an officer answers;
hand-back: the assistant continues and asks how the officer's help was."""

from __future__ import annotations

import datetime as dt

from rasa_sdk.events import ActionExecuted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import resources
from actions.feedback import ActionAskRating
from actions.handoff import HAND_BACK, RATE_OFFICER, ActionHandBack, ActionHandoff
from knowledge.department import VN_TZ
from server import db
from tests.actions.conftest import make_tracker

PROCEDURE = "cap-ban-sao-van-bang-tu-so-goc"


async def hand_off(at: dt.datetime) -> tuple[list[dict], list]:
    tracker = make_tracker("cho tôi gặp cán bộ", "request_human", {"procedure_id": PROCEDURE})
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff(clock=lambda: at).run(dispatcher, tracker, {})
    return dispatcher.messages, events


async def test_in_office_hours_an_officer_answers_here() -> None:
    # 02:00 UTC on Monday 1 December 2025 is 09:00 in Vietnam.
    messages, events = await hand_off(dt.datetime(2025, 12, 1, 2, 0, tzinfo=dt.timezone.utc))
    assert messages[0]["custom"] == {"handoff": {"procedure_id": PROCEDURE, "in_hours": True}}
    text = messages[1]["text"]
    assert "cán bộ của Sở Giáo dục và Đào tạo" in text and "ngay tại đây" in text
    assert "ngoài giờ" not in text
    assert text.endswith(f"Đường dây nóng: {resources.department().hotline}")
    assert events == [SlotSet("handed_off", True)]


async def test_outside_office_hours_the_next_opening_is_named() -> None:
    friday_evening = dt.datetime(2025, 12, 5, 18, 0, tzinfo=VN_TZ)
    messages, events = await hand_off(friday_evening)
    assert messages[0]["custom"] == {"handoff": {"procedure_id": PROCEDURE, "in_hours": False}}
    text = messages[1]["text"]
    assert "ngoài giờ làm việc" in text and "từ 7h30 thứ Hai, 08/12" in text
    assert f"Đường dây nóng (việc gấp): {resources.department().hotline}" in text
    assert events == [SlotSet("handed_off", True)]


async def test_the_gateway_not_the_action_opens_the_queue_entry() -> None:
    await hand_off(dt.datetime(2025, 12, 1, 9, 0, tzinfo=VN_TZ))
    with db.engine().connect() as conn:
        assert conn.execute(select(db.handoff_requests)).first() is None


async def test_hand_back_continues_and_asks_again_for_a_rating() -> None:
    tracker = make_tracker("cảm ơn", "thank", {"handed_off": True, "rating_asked": True})
    dispatcher = CollectingDispatcher()
    events = await ActionHandBack().run(dispatcher, tracker, {})
    assert [m["text"] for m in dispatcher.messages] == [HAND_BACK, RATE_OFFICER]
    # Then listens, as a predicted turn would: the rating that follows must match its rule.
    assert events == [SlotSet("rating_asked", True), ActionExecuted("action_listen")]
    asked = CollectingDispatcher()
    helped = make_tracker("cảm ơn", "thank", {"handed_off": True})
    await ActionAskRating().run(asked, helped, {})
    assert dispatcher.messages[1]["buttons"] == asked.messages[0]["buttons"]
    assert len(asked.messages[0]["buttons"]) == 2
