"""Dossier status: the form asks for the code, then for the last 4 digits of the phone,
and only then does the action say anything about the dossier.

What may be shown is decided in :mod:`server.dossiers.lookup` (verification, the one
neutral answer, the rate limit), and the wording lives in :mod:`server.dossiers.render`;
this module only connects them to the conversation. Slot values are never logged.

A successful lookup leaves its code in ``verified_dossier``, the one dossier this
conversation may ask to be notified about (:mod:`actions.notifications`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.answers import button
from knowledge.dossier_code import find_codes
from server.core.config import get_settings
from server.core.security import sender_hash
from server.dossiers import DossierBackendError
from server.dossiers.failures import build_failure_log
from server.dossiers.lookup import DossierLookup, LookupResult, Outcome, verification_digits
from server.dossiers.models import FINISHED_STEPS, today_vn
from server.dossiers.notices import MESSAGING_CHANNELS, channel_of
from server.dossiers.render import (
    not_verified_text,
    rate_limited_text,
    render_status,
    unavailable_text,
)

FORM = "dossier_form"
CODE_SLOT = "dossier_code"
VERIFICATION_SLOT = "dossier_verification"
VERIFIED_SLOT = "verified_dossier"
SUBSCRIBE_BUTTON = button("🔔 Báo cho tôi khi có cập nhật", "subscribe_dossier_updates")

# Intents that mean the citizen moved on (asks something else, wants a person, leaves):
# when such a message holds no answer to the question asked, the form steps aside (see
# ValidateDossierForm.run) and the ordinary rules answer it.
LEAVE_INTENTS = frozenset(
    {
        "goodbye", "deny", "request_human", "out_of_scope", "bot_challenge", "thank",
        "greet", "ask_procedure", "ask_documents", "ask_processing_time", "ask_fee",
        "ask_submission", "ask_legal_basis", "choose_procedure", "rate", "share_checklist",
        "subscribe_dossier_updates", "unsubscribe_dossier_updates",
    }
)  # fmt: skip

CODE_NOT_RECOGNISED = (
    "Dạ, em chưa nhận ra mã hồ sơ trong tin nhắn vừa rồi ạ. Nếu không còn giữ Giấy tiếp nhận "
    "hồ sơ và hẹn trả kết quả, anh/chị có thể gọi đường dây nóng {hotline} để được hỗ trợ."
)
ONE_AT_A_TIME = "Dạ, em tra cứu lần lượt từng hồ sơ; trước hết là hồ sơ {code} ạ."
DIGITS_NOT_RECOGNISED = (
    "Dạ, em chưa thấy đủ 4 chữ số trong tin nhắn vừa rồi ạ (ví dụ: số điện thoại "
    "0912 345 678 thì 4 số cuối là 5678)."
)
STOPPED = "Dạ, em dừng tra cứu hồ sơ ạ. Khi cần, anh/chị cứ gửi mã hồ sơ cho em nhé."
INCOMPLETE = (
    "Dạ, em chưa nhận đủ mã hồ sơ và 4 số cuối điện thoại để tra cứu. Anh/chị gửi lại mã hồ sơ "
    "giúp em nhé ạ."
)

log = logging.getLogger(__name__)


def dossier_lookup() -> DossierLookup:
    settings = get_settings()
    return DossierLookup(
        resources.dossier_store(),
        build_failure_log(settings),
        max_failures=settings.lookup_max_failures,
        window_s=settings.lookup_window_s,
    )


def _leave_form() -> list[EventType]:
    """Ends the form without an answer, so the message is handled as if no form ran.

    Rejecting alone would leave the form active, and Rasa's rules do not match in that
    state; deactivating it as well lets the ordinary rule for the message's intent answer.
    The lookup's slots are emptied: the next lookup starts afresh.
    """
    return [
        SlotSet(CODE_SLOT, None),
        SlotSet(VERIFICATION_SLOT, None),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        ActionExecutionRejected(FORM),
    ]


def _answers_question(requested: str, text: str) -> bool:
    if requested == CODE_SLOT:
        return bool(find_codes(text))
    return verification_digits(text) is not None


class ValidateDossierForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        if requested and intent in LEAVE_INTENTS and not _answers_question(requested, text):
            if intent == "deny":
                dispatcher.utter_message(text=STOPPED)
            return _leave_form()
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        return events

    async def validate_dossier_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:  # fmt: skip
        codes = find_codes(value) if isinstance(value, str) else []
        if not codes:
            hotline = resources.department().hotline
            dispatcher.utter_message(text=CODE_NOT_RECOGNISED.format(hotline=hotline))
            return {CODE_SLOT: None}
        code = codes[0].code
        if len({c.code for c in codes}) > 1:
            dispatcher.utter_message(text=ONE_AT_A_TIME.format(code=code))
        try:
            wait = await asyncio.to_thread(dossier_lookup().retry_after, tracker.sender_id, code)
        except DossierBackendError:
            wait = 0  # the lookup itself will find the failure and apologise
        if wait:
            # No point asking for the digits: end the form, the action explains the pause.
            return {CODE_SLOT: code, "requested_slot": None}
        return {CODE_SLOT: code}

    async def validate_dossier_verification(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:  # fmt: skip
        digits = verification_digits(value) if isinstance(value, str) else None
        if digits is None:
            dispatcher.utter_message(text=DIGITS_NOT_RECOGNISED)
        return {VERIFICATION_SLOT: digits}


def _check(
    lookup: DossierLookup, sender: str, code: str | None, digits: str | None
) -> LookupResult | None:
    """The lookup when the form gathered both answers; otherwise why it stopped early
    (the pause after too many failures), or None if nothing stopped it."""
    if code and digits:
        return lookup.lookup(sender, code, digits)
    try:
        wait = lookup.retry_after(sender, code)
    except DossierBackendError:
        return LookupResult(Outcome.unavailable)
    return LookupResult(Outcome.rate_limited, retry_after_s=wait) if wait else None


def answer(result: LookupResult) -> str:
    dept = resources.department()
    if result.outcome is Outcome.found and result.dossier is not None:
        dossier = result.dossier
        procedure = resources.catalogue().get(dossier.procedure_id)
        name = procedure.name if procedure else dossier.procedure_id
        return render_status(dossier, name, dept, today_vn())
    if result.outcome is Outcome.rate_limited:
        return rate_limited_text(result.retry_after_s, dept)
    if result.outcome is Outcome.unavailable:
        return unavailable_text(dept)
    return not_verified_text(dept)


class ActionDossierStatus(Action):
    def name(self) -> str:
        return "action_dossier_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        code = tracker.get_slot(CODE_SLOT)
        digits = tracker.get_slot(VERIFICATION_SLOT)
        # In a thread: the one-stop system may take seconds, other conversations go on.
        result = await asyncio.to_thread(_check, dossier_lookup(), tracker.sender_id, code, digits)
        if result is None:
            dispatcher.utter_message(text=INCOMPLETE)
        else:
            log.info(
                "dossier lookup by %s: %s", sender_hash(tracker.sender_id), result.outcome.value
            )
            dispatcher.utter_message(text=answer(result), buttons=_offer(tracker, result))
        found = result.dossier if result is not None and result.outcome is Outcome.found else None
        # Every lookup starts afresh: the digits are used once, and a wrong code is not kept.
        # Only a verified code stays, for a request to be notified of its next step.
        return [
            SlotSet(VERIFICATION_SLOT, None),
            SlotSet(CODE_SLOT, None),
            SlotSet(VERIFIED_SLOT, found.code if found is not None else None),
        ]


def _offer(tracker: Tracker, result: LookupResult) -> list[dict[str, str]]:
    """The button that asks for notifications, where they can be sent (Telegram, Zalo) and
    the dossier still has a step to come."""
    dossier = result.dossier
    if dossier is None or dossier.step in FINISHED_STEPS:
        return []
    return [SUBSCRIBE_BUTTON] if channel_of(tracker.sender_id) in MESSAGING_CHANNELS else []


ASK_CODE = (
    "Dạ, anh/chị cho em xin mã hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả ạ "
    "(ví dụ: 000.00.17.H10-240115-0001 hoặc H10.22-241203-0042)."
)
ASK_VERIFICATION = (
    "Dạ, để bảo vệ thông tin hồ sơ, anh/chị cho em xin 4 chữ số cuối của số điện thoại "
    "đã đăng ký khi nộp hồ sơ ạ."
)


class ActionAskDossierCode(Action):
    def name(self) -> str:
        return "action_ask_dossier_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=ASK_CODE)
        return []


class ActionAskDossierVerification(Action):
    def name(self) -> str:
        return "action_ask_dossier_verification"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=ASK_VERIFICATION)
        return []
