"""Hand-off to a human officer, and back.

``action_handoff`` tells the citizen an officer will answer right here, or from when if it
is outside office hours, and sends the gateway a machine message ``{"handoff":
{"procedure_id", "in_hours"}}``: the gateway opens the entry in the officers' queue,
because only it knows the channel and the platform user to answer. While an officer has
the conversation, Rasa's tracker is paused and the assistant stays silent.

``action_hand_back`` is run by the gateway (``RasaClient.execute``) when the officer hands
the conversation back: the assistant says it continues, and asks how the officer's help
was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.feedback import ask_rating
from knowledge.department import Department, opening_phrase

HAND_BACK = "Dạ, cán bộ đã hỗ trợ xong. Em là trợ lý ảo, xin tiếp tục hỗ trợ anh/chị ạ."
RATE_OFFICER = "Anh/chị có hài lòng với sự hỗ trợ của cán bộ vừa rồi không ạ?"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def handoff_text(dept: Department, at: dt.datetime) -> str:
    """What the citizen reads on asking for an officer at ``at``."""
    hours = dept.office_hours
    if hours.is_open(at):
        return (
            f"Dạ, em đã chuyển cuộc trò chuyện này tới cán bộ của {dept.name}. Cán bộ sẽ trả "
            "lời anh/chị ngay tại đây, anh/chị vui lòng chờ trong ít phút ạ.\n"
            f"Đường dây nóng: {dept.hotline}"
        )
    opening = opening_phrase(hours.next_opening(at))
    return (
        f"Dạ, hiện đang ngoài giờ làm việc của {dept.name}. Em đã chuyển cuộc trò chuyện này "
        f"tới cán bộ; cán bộ sẽ trả lời anh/chị tại đây từ {opening} ạ.\n"
        f"Đường dây nóng (việc gấp): {dept.hotline}"
    )


class ActionHandoff(Action):
    def __init__(self, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.clock = clock

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dept, now = resources.department(), self.clock()
        procedure_id = tracker.get_slot("procedure_id")
        in_hours = dept.office_hours.is_open(now)
        dispatcher.utter_message(
            json_message={"handoff": {"procedure_id": procedure_id, "in_hours": in_hours}}
        )
        dispatcher.utter_message(text=handoff_text(dept, now))
        return [SlotSet("handed_off", True)]


class ActionHandBack(Action):
    """Run from outside, by the gateway, when an officer hands the conversation back. It
    asks for a rating even if one was asked before: the officer's help is rated now.

    It ends with ``action_listen`` itself: run from outside, no policy predicts the listen
    that ends a bot turn, and without it the citizen's next message (the rating) would
    match no rule and fall back, again and again, up to Rasa's action limit."""

    def name(self) -> str:
        return "action_hand_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=HAND_BACK)
        return [*ask_rating(dispatcher, RATE_OFFICER), ActionExecuted("action_listen")]
