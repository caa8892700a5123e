"""The "Gửi cho bố mẹ / In danh sách" button: a short link to the procedure's printable
checklist (the page itself is the gateway's, :mod:`server.api.routes.checklist`).

The link names the procedure only (:func:`server.checklist.short_code`), never the person
who asked, so it can be forwarded to a parent or printed as is. A typed request
("gửi danh sách cho mẹ") without a button is about the procedure under discussion.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.answers import button
from server.checklist import checklist_url
from server.core.config import get_settings

SHARE_TITLE = "Gửi cho bố mẹ / In danh sách"
LINK = (
    'Dạ, đây là danh sách chuẩn bị hồ sơ thủ tục "{name}" để anh/chị gửi cho bố mẹ hoặc in '
    "ra:\n{url}\nTrang gồm giấy tờ cần mang (số bản, loại bản), nơi nộp, giờ làm việc, lệ "
    "phí, thời hạn giải quyết và mã QR để nộp trực tuyến; không chứa thông tin cá nhân ạ."
)
WHICH = (
    "Dạ, anh/chị cần danh sách giấy tờ của thủ tục nào ạ? Anh/chị mô tả trường hợp giúp em, "
    "em trả lời xong sẽ có nút gửi danh sách cho bố mẹ ạ."
)


def share_button(procedure_id: str) -> dict[str, str]:
    return button(SHARE_TITLE, "share_checklist", procedure_id=procedure_id)


class ActionShareChecklist(Action):
    def name(self) -> str:
        return "action_share_checklist"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        catalogue = resources.catalogue()
        chosen = next(tracker.get_latest_entity_values("procedure_id"), None)
        procedure = catalogue.get(chosen or tracker.get_slot("procedure_id") or "")
        if procedure is None:
            dispatcher.utter_message(text=WHICH)
            return []
        url = checklist_url(get_settings().public_url, procedure.id)
        dispatcher.utter_message(text=LINK.format(name=procedure.short_name, url=url))
        return [SlotSet("procedure_id", procedure.id)]
