"""Being told when staff move a dossier: "báo cho tôi khi có kết quả", and the opt-out.

Only a dossier verified in this conversation (``verified_dossier``, set by
:class:`actions.dossier.ActionDossierStatus`) can be subscribed to, and only on the
channels that can send first (Telegram, Zalo). The action cannot store the subscription
itself: sending needs the platform's user id, which the actions never learn. It answers
the citizen and adds a machine message (:mod:`server.dossiers.notices`) that the chat
service carries out with the id of the user it is serving, and never shows.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.dossier import VERIFIED_SLOT
from server.dossiers import DossierBackendError
from server.dossiers.models import FINISHED_STEPS, Dossier
from server.dossiers.notices import (
    MESSAGING_CHANNELS,
    channel_of,
    subscribe_message,
    unsubscribe_message,
)
from server.dossiers.render import STEP_LABELS

log = logging.getLogger(__name__)

SUBSCRIBED = (
    "Dạ, em đã ghi nhận ạ. Khi hồ sơ {code} chuyển sang bước mới, em sẽ nhắn cho anh/chị "
    "ngay tại đây. Tin nhắn chỉ gồm mã hồ sơ, tên thủ tục và tình trạng mới, không kèm thông "
    'tin cá nhân. Khi không cần nữa, anh/chị nhắn "hủy thông báo" nhé.'
)
NEED_LOOKUP = (
    "Dạ, để em báo khi hồ sơ có cập nhật, anh/chị cần tra cứu hồ sơ trước ạ: anh/chị gửi "
    "giúp em mã hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả, rồi 4 số cuối điện "
    'thoại đã đăng ký. Tra cứu xong, anh/chị nhắn "báo cho tôi khi có kết quả" là được ạ.'
)
MESSAGING_ONLY = (
    "Dạ, thông báo khi hồ sơ chuyển bước hiện chỉ gửi được qua Zalo hoặc Telegram của {dept} "
    "ạ. Trên trang web, anh/chị có thể tra cứu lại hồ sơ bất cứ lúc nào: anh/chị gửi mã hồ sơ "
    "cho em, rồi 4 số cuối điện thoại đã đăng ký."
)
ALREADY_FINISHED = (
    "Dạ, hồ sơ {code} đã ở bước cuối ({step}) nên không còn bước nào để em báo thêm ạ."
)
UNSUBSCRIBED = (
    "Dạ, em đã dừng gửi thông báo về hồ sơ cho anh/chị ạ. Khi cần, anh/chị cứ tra cứu lại "
    "hồ sơ bất cứ lúc nào bằng mã hồ sơ nhé."
)
NOTHING_TO_STOP = (
    "Dạ, trên trang web em không gửi thông báo nào nên anh/chị không cần hủy ạ. Anh/chị có "
    "thể tra cứu lại hồ sơ bất cứ lúc nào bằng mã hồ sơ."
)


def _current(code: str) -> Dossier | None:
    """The dossier as it is now; None if the store cannot say (the request still counts)."""
    try:
        return resources.dossier_store().get(code)
    except DossierBackendError:
        log.warning("dossier store unavailable while subscribing")
        return None


class ActionSubscribeDossierUpdates(Action):
    def name(self) -> str:
        return "action_subscribe_dossier_updates"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if channel_of(tracker.sender_id) not in MESSAGING_CHANNELS:
            dispatcher.utter_message(text=MESSAGING_ONLY.format(dept=resources.department().name))
            return []
        code = tracker.get_slot(VERIFIED_SLOT)
        if not code:
            dispatcher.utter_message(text=NEED_LOOKUP)
            return []
        dossier = await asyncio.to_thread(_current, code)
        if dossier is not None and dossier.step in FINISHED_STEPS:
            step = STEP_LABELS[dossier.step].lower()
            dispatcher.utter_message(text=ALREADY_FINISHED.format(code=code, step=step))
            return []
        dispatcher.utter_message(text=SUBSCRIBED.format(code=code))
        dispatcher.utter_message(json_message=subscribe_message(code))
        return []


class ActionUnsubscribeDossierUpdates(Action):
    def name(self) -> str:
        return "action_unsubscribe_dossier_updates"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if channel_of(tracker.sender_id) not in MESSAGING_CHANNELS:
            dispatcher.utter_message(text=NOTHING_TO_STOP)
            return []
        dispatcher.utter_message(text=UNSUBSCRIBED)
        dispatcher.utter_message(json_message=unsubscribe_message())
        return []
