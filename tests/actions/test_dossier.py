"""The dossier form's validation and the status action, on hand-made trackers."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.dossier import STOPPED, ActionDossierStatus, ValidateDossierForm, dossier_lookup
from server.dossiers.http import HttpDossierStore
from server.dossiers.models import Dossier, Step, today_vn
from server.dossiers.render import STEP_LABELS

DOMAIN: dict[str, Any] = {
    "forms": {"dossier_form": {"required_slots": ["dossier_code", "dossier_verification"]}},
    "slots": {"dossier_code": {}, "dossier_verification": {}, "requested_slot": {}},
}


# Every test here sees the demo dossiers (tests/actions/conftest.py).
pytestmark = pytest.mark.usefixtures("demo")


def by_step(demo: list[Dossier], step: Step, overdue: bool = False) -> Dossier:
    today = today_vn()
    return next(d for d in demo if d.step is step and d.is_overdue(today) == overdue)


def form_tracker(
    text: str,
    intent: str,
    requested: str | None,
    candidates: dict[str, Any],
    sender: str = "web:citizen-1",
) -> Tracker:
    """A tracker as Rasa sends it to validate_dossier_form: the slots extracted from the
    latest message come last in the events."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events = [{"event": "user", "text": text, "parse_data": latest}] + [
        {"event": "slot", "name": name, "value": value} for name, value in candidates.items()
    ]
    slots = {"dossier_code": None, "dossier_verification": None, "requested_slot": requested}
    slots.update(candidates)
    loop = {"name": "dossier_form", "is_interrupted": False, "rejected": False}
    return Tracker(sender, slots, latest, events, False, None, loop, "action_listen")


def status_tracker(code: str | None, digits: str | None, sender: str = "web:citizen-1") -> Tracker:
    latest = {"text": digits or "", "intent": {"name": "give_verification"}, "entities": []}
    slots = {"dossier_code": code, "dossier_verification": digits, "requested_slot": None}
    return Tracker(sender, slots, latest, [], False, None, {}, "dossier_form")


async def validate(tracker: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    dispatcher = CollectingDispatcher()
    events = await ValidateDossierForm().run(dispatcher, tracker, DOMAIN)
    return events, [m["text"] for m in dispatcher.messages]


async def status(tracker: Tracker) -> tuple[list[dict[str, Any]], str]:
    dispatcher = CollectingDispatcher()
    events = await ActionDossierStatus().run(dispatcher, tracker, DOMAIN)
    assert len(dispatcher.messages) == 1
    return events, dispatcher.messages[0]["text"]


@pytest.mark.parametrize(
    "typed",
    ["{code}", "{lower}", "mã của tôi là {spaced} ạ", "{nodots}", "hồ sơ {lower} đến đâu rồi"],
)
async def test_the_code_is_read_in_any_typed_form(demo: list[Dossier], typed: str) -> None:
    code = demo[0].code  # H10.22-YYMMDD-9001
    text = typed.format(
        code=code,
        lower=code.lower(),
        spaced=code.lower().replace("-", " - "),
        nodots=code.replace(".", ""),
    )
    events, messages = await validate(
        form_tracker(text, "ask_dossier_status", "dossier_code", {"dossier_code": text})
    )
    assert events == [SlotSet("dossier_code", code)]
    assert messages == []  # nothing about the dossier before verification


async def test_a_message_without_a_code_asks_again(demo: list[Dossier]) -> None:
    text = "tôi không nhớ mã"
    events, messages = await validate(
        form_tracker(text, "ask_dossier_status", "dossier_code", {"dossier_code": text})
    )
    assert events == [SlotSet("dossier_code", None)]
    assert "chưa nhận ra mã hồ sơ" in messages[0] and resources.department().hotline in messages[0]


async def test_two_codes_are_looked_up_one_at_a_time(demo: list[Dossier]) -> None:
    text = f"{demo[0].code} và {demo[1].code}"
    events, messages = await validate(
        form_tracker(text, "ask_dossier_status", "dossier_code", {"dossier_code": text})
    )
    assert events == [SlotSet("dossier_code", demo[0].code)]
    assert messages == [f"Dạ, em tra cứu lần lượt từng hồ sơ; trước hết là hồ sơ {demo[0].code} ạ."]


@pytest.mark.parametrize(
    ("text", "intent", "requested"),
    [
        ("cho tôi gặp cán bộ", "request_human", "dossier_code"),
        ("thôi không cần", "deny", "dossier_code"),
        ("tạm biệt", "goodbye", "dossier_verification"),
        ("xin bản sao bằng mất bao lâu", "ask_processing_time", "dossier_verification"),
        ("huy thong bao", "unsubscribe_dossier_updates", "dossier_code"),
        ("báo cho tôi khi có kết quả", "subscribe_dossier_updates", "dossier_verification"),
        ("gửi danh sách cho bố mẹ", "share_checklist", "dossier_code"),
    ],
)
async def test_a_change_of_subject_leaves_the_form(text: str, intent: str, requested: str) -> None:
    events, messages = await validate(form_tracker(text, intent, requested, {requested: text}))
    assert events == [
        SlotSet("dossier_code", None),
        SlotSet("dossier_verification", None),
        SlotSet("requested_slot", None),
        ActiveLoop(None),
        ActionExecutionRejected("dossier_form"),
    ]
    assert messages == ([STOPPED] if intent == "deny" else [])


async def test_an_answer_counts_whatever_the_intent(demo: list[Dossier]) -> None:
    events, _ = await validate(
        form_tracker("5678", "ask_fee", "dossier_verification", {"dossier_verification": "5678"})
    )
    assert events == [SlotSet("dossier_verification", "5678")]


@pytest.mark.parametrize(
    ("text", "digits"),
    [("5678", "5678"), ("4 số cuối là 56 78 ạ", "5678"), ("0912 345 678", "5678"),
     ("không nhớ", None), ("567", None)],
)  # fmt: skip
async def test_verification_is_reduced_to_four_digits(text: str, digits: str | None) -> None:
    events, messages = await validate(
        form_tracker(
            text, "give_verification", "dossier_verification", {"dossier_verification": text}
        )
    )
    assert events == [SlotSet("dossier_verification", digits)]
    assert bool(messages) is (digits is None)
    if messages:
        assert "4 chữ số" in messages[0]


async def test_right_digits_show_the_status_with_a_masked_name(demo: list[Dossier]) -> None:
    dossier = demo[0]
    events, text = await status(status_tracker(dossier.code, dossier.phone_last4))
    assert text.startswith(f"Dạ, em đã tìm thấy hồ sơ {dossier.code} (người nộp: Nguyễn V*** A*)")
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in text  # the catalogue's name
    assert dossier.applicant_name not in text and dossier.phone_last4 not in text
    # only the verified code stays, for a notification request (actions/notifications.py)
    assert events == [
        SlotSet("dossier_verification", None),
        SlotSet("dossier_code", None),
        SlotSet("verified_dossier", dossier.code),
    ]


@pytest.mark.parametrize("step", list(Step))
async def test_every_step_through_the_action(demo: list[Dossier], step: Step) -> None:
    dossier = by_step(demo, step)
    _, text = await status(status_tracker(dossier.code, dossier.phone_last4))
    assert f"Tình trạng: {STEP_LABELS[step]}" in text
    assert "xin lỗi" not in text


async def test_overdue_dossier_gets_the_apology(demo: list[Dossier]) -> None:
    dossier = by_step(demo, Step.processing, overdue=True)
    _, text = await status(status_tracker(dossier.code, dossier.phone_last4))
    assert "Em thành thật xin lỗi" in text and resources.department().hotline in text


async def test_wrong_digits_and_wrong_code_get_the_same_neutral_answer(
    demo: list[Dossier],
) -> None:
    dossier = demo[0]
    events, wrong_digits = await status(status_tracker(dossier.code, "1234", "web:a"))
    _, wrong_code = await status(status_tracker(dossier.code[:-4] + "0001", "5678", "web:b"))
    assert wrong_digits == wrong_code
    assert "chưa tra cứu được hồ sơ" in wrong_digits
    for detail in ("Nguyễn", "Tình trạng", "Thủ tục", dossier.procedure_id):
        assert detail not in wrong_digits
    assert events == [
        SlotSet("dossier_verification", None),
        SlotSet("dossier_code", None),
        SlotSet("verified_dossier", None),
    ]


async def test_five_failures_then_even_the_right_answer_is_refused(demo: list[Dossier]) -> None:
    dossier = demo[1]
    for i in range(5):
        _, text = await status(status_tracker(f"H10.22-260101-000{i}", "1111", "web:guesser"))
        assert "chưa tra cứu được" in text
    _, text = await status(status_tracker(dossier.code, dossier.phone_last4, "web:guesser"))
    assert "tạm dừng" in text and "phút" in text and "Tình trạng" not in text
    # a paused sender is not even asked for the digits: the form ends at the code
    events, messages = await validate(
        form_tracker(dossier.code, "ask_dossier_status", "dossier_code",
                     {"dossier_code": dossier.code}, sender="web:guesser")
    )  # fmt: skip
    assert events == [SlotSet("dossier_code", dossier.code), SlotSet("requested_slot", None)]
    assert messages == []
    _, text = await status(status_tracker(dossier.code, None, "web:guesser"))
    assert "tạm dừng" in text
    _, text = await status(status_tracker(dossier.code, dossier.phone_last4, "web:someone-else"))
    assert "Tình trạng" in text


async def test_nothing_to_look_up_asks_for_the_code(demo: list[Dossier]) -> None:
    events, text = await status(status_tracker(None, None))
    assert "gửi lại mã hồ sơ" in text
    assert events == [
        SlotSet("dossier_verification", None),
        SlotSet("dossier_code", None),
        SlotSet("verified_dossier", None),
    ]


async def test_a_down_one_stop_system_gets_an_apology(
    demo: list[Dossier], monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.core.config import get_settings

    # configured as a deployment would: the one-stop system, which is down (port 9 refuses)
    monkeypatch.setenv("DOSSIER_BACKEND", "http")
    monkeypatch.setenv("DOSSIER_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("DOSSIER_API_RETRIES", "1")
    get_settings.cache_clear()
    resources.dossier_store.cache_clear()
    assert isinstance(resources.dossier_store(), HttpDossierStore)
    _, text = await status(status_tracker(demo[0].code, demo[0].phone_last4))
    assert text.startswith("Dạ, em xin lỗi, hệ thống tra cứu hồ sơ đang tạm gián đoạn")
    assert dossier_lookup().retry_after("web:citizen-1", demo[0].code) == 0  # not counted


async def test_the_digits_never_reach_the_logs(
    demo: list[Dossier], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    dossier = demo[3]
    await validate(
        form_tracker(
            dossier.phone_last4, "give_verification", "dossier_verification",
            {"dossier_verification": dossier.phone_last4},
        )
    )  # fmt: skip
    await status(status_tracker(dossier.code, dossier.phone_last4))
    await status(status_tracker(dossier.code, "1234"))
    assert "dossier lookup by" in caplog.text
    for secret in (dossier.phone_last4, "1234", dossier.applicant_name, "citizen-1"):
        assert secret not in caplog.text
