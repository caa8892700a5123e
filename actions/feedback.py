"""Satisfaction: a one-tap rating at the end of a resolved conversation, kept for staff.

Asked once per conversation, and only when the assistant actually helped with something
(a procedure was discussed or a hand-off given), so that a greeting alone is not rated.
An officer handing a conversation back asks again (:mod:`actions.handoff`): what is rated
then is the officer's help.
"""

from __future__ import annotations

import asyncio

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import resources
from actions.answers import button
from knowledge.vietnamese import keys

SATISFIED, UNSATISFIED = "hai_long", "chua_hai_long"
_NEGATIVE_KEYS = {"chua", "khong", "te", "kem", "chan", "buc", "chua_hai_long"}


def rating_from(tracker: Tracker) -> bool | None:
    """True/False from a button payload or typed words; None when it is not a rating."""
    value: str | None = next(tracker.get_latest_entity_values("rating"), None)
    if value in (SATISFIED, UNSATISFIED):
        return value == SATISFIED
    words = set(keys(tracker.latest_message.get("text") or ""))
    if not words:
        return None
    return not (words & _NEGATIVE_KEYS)


def ask_rating(dispatcher: CollectingDispatcher, question: str) -> list[EventType]:
    """Asks ``question`` with the two rating buttons; the events to return. Shared by the
    end of a conversation and the end of an officer's help, which differ in the question."""
    dispatcher.utter_message(
        text=question,
        buttons=[
            button("😊 Hài lòng", "rate", rating=SATISFIED),
            button("🙁 Chưa hài lòng", "rate", rating=UNSATISFIED),
        ],
    )
    return [SlotSet("rating_asked", True)]


class ActionAskRating(Action):
    def name(self) -> str:
        return "action_ask_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        helped = tracker.get_slot("procedure_id") or tracker.get_slot("handed_off")
        if tracker.get_slot("rating_asked") or not helped:
            return []
        return ask_rating(dispatcher, "Anh/chị có hài lòng với phần hướng dẫn của em không ạ?")


class ActionStoreRating(Action):
    def name(self) -> str:
        return "action_store_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        satisfied = rating_from(tracker)
        if satisfied is None:
            dispatcher.utter_message(text="Dạ, anh/chị bấm giúp em một trong hai nút đánh giá ạ.")
            return []
        await asyncio.to_thread(
            resources.records().rate, tracker.sender_id, tracker.get_slot("procedure_id"), satisfied
        )
        if satisfied:
            dispatcher.utter_message(text="Dạ, em cảm ơn anh/chị đã đánh giá ạ!")
        else:
            dispatcher.utter_message(
                text="Dạ, em xin lỗi vì chưa hỗ trợ được tốt. Em đã ghi nhận để cán bộ cải thiện; "
                'anh/chị có thể nhắn "gặp cán bộ" để được hỗ trợ trực tiếp ạ.'
            )
        return [SlotSet("rating_asked", True)]
