"""Hand-off to a human officer: the department's contacts, and a request staff can see."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources


def contact_text() -> str:
    dept = resources.department()
    return (
        f"Dạ, anh/chị có thể liên hệ trực tiếp cán bộ của {dept.name}:\n"
        f"• Đường dây nóng: {dept.hotline}\n"
        f"• Email: {dept.email}\n"
        f"• Nơi tiếp nhận: {dept.desk_address}\n"
        f"• Giờ làm việc: {dept.working_hours}\n"
        "Em đã ghi nhận yêu cầu của anh/chị để cán bộ xem lại cuộc trò chuyện này ạ."
    )


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        resources.records().request_handoff(
            tracker.sender_id,
            tracker.get_slot("procedure_id"),
            tracker.latest_message.get("text") or "",
        )
        dispatcher.utter_message(text=contact_text())
        return [SlotSet("handed_off", True)]
