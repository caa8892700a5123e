"""The procedure actions, run on trackers as Rasa would send them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.answers import Aspect
from actions.procedures import REPHRASE, ActionAnswerProcedure, ActionDefaultFallback
from bot.benchmark.run import ANSWER_INTENTS
from server.core.config import get_settings
from tests.actions.conftest import make_tracker

COPY_ID = "cap-ban-sao-van-bang-tu-so-goc"


def chosen(events: list[Any]) -> str | None:
    """The procedure the action settled on; it always closes any clarification too."""
    assert SlotSet("clarify_needed", False) in events
    ids = [e["value"] for e in events if e.get("name") == "procedure_id"]
    return ids[0] if ids else None


async def run(action: Any, tracker: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


async def test_lost_diploma_question_is_answered_from_the_catalogue() -> None:
    tracker = make_tracker("mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu", "ask_procedure")
    messages, events = await run(ActionAnswerProcedure(), tracker)
    assert chosen(events) == COPY_ID
    (message,) = messages
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in message["text"]
    titles = [b["title"] for b in message["buttons"]]
    assert "Giấy tờ cần chuẩn bị" in titles


async def test_same_question_without_diacritics() -> None:
    tracker = make_tracker("me em bi mat bang tot nghiep cap 3 thi xin lai o dau", "ask_procedure")
    _, events = await run(ActionAnswerProcedure(), tracker)
    assert chosen(events) == COPY_ID


async def test_follow_up_question_uses_the_procedure_under_discussion() -> None:
    tracker = make_tracker("mất bao lâu vậy?", "ask_processing_time", {"procedure_id": COPY_ID})
    messages, events = await run(ActionAnswerProcedure(), tracker)
    assert chosen(events) == COPY_ID
    assert "thời hạn giải quyết" in messages[0]["text"].lower()
    assert "15 giờ" in messages[0]["text"]


async def test_documents_list_every_document_of_the_record() -> None:
    tracker = make_tracker("/ask_documents", "ask_documents", {"procedure_id": COPY_ID})
    messages, _ = await run(ActionAnswerProcedure(), tracker)
    text = messages[0]["text"]
    record = resources.catalogue().get(COPY_ID)
    assert record is not None
    for number, document in enumerate(record.documents, 1):
        assert f"{number}. {document.name}" in text


async def test_button_choice_wins_over_context() -> None:
    entities = [{"entity": "procedure_id", "value": COPY_ID}]
    payload = f'/choose_procedure{{"procedure_id": "{COPY_ID}"}}'
    tracker = make_tracker(payload, "choose_procedure", {"procedure_id": "x"}, entities)
    _, events = await run(ActionAnswerProcedure(), tracker)
    assert chosen(events) == COPY_ID


async def test_nothing_matching_asks_to_rephrase_and_sets_nothing() -> None:
    tracker = make_tracker("xyz qwerty", "ask_procedure")
    messages, events = await run(ActionAnswerProcedure(), tracker)
    assert events == [SlotSet("clarify_needed", False)]
    assert messages[0]["text"] == REPHRASE


async def test_fallback_never_answers_it_offers_choices() -> None:
    tracker = make_tracker("bằng tốt nghiệp", "nlu_fallback")
    messages, events = await run(ActionDefaultFallback(), tracker)
    assert events == []
    assert messages[0]["buttons"], "the closest procedures are offered as buttons"
    assert all(b["payload"].startswith("/choose_procedure") for b in messages[0]["buttons"])


def test_the_fallback_group_and_the_benchmark_are_the_intents_this_action_answers() -> None:
    assert {aspect.value for aspect in Aspect} == ANSWER_INTENTS


async def test_a_question_with_a_replaced_procedure_name_is_told_what_replaced_it() -> None:
    question = "thủ tục chuyển trường đối với học sinh trung học phổ thông cần gì"
    messages, events = await run(ActionAnswerProcedure(), make_tracker(question, "ask_procedure"))
    assert chosen(events) == "chuyen-truong-va-tiep-nhan-hoc-sinh"
    assert messages[0]["text"].startswith(
        'Thủ tục "Chuyển trường đối với học sinh trung học phổ thông" nay đã được thay bằng'
    )


async def test_a_repealed_procedure_is_answered_with_what_to_do_now() -> None:
    question = "xin giấy phép dạy thêm học thêm ngoài nhà trường ở đâu"
    messages, events = await run(ActionAnswerProcedure(), make_tracker(question, "ask_procedure"))
    assert chosen(events) == "to-chuc-day-them-hoc-them-ngoai-nha-truong"
    assert "không còn áp dụng" in messages[0]["text"] and not messages[0]["buttons"]


async def test_the_answer_uses_the_departments_local_fee(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    overrides = tmp_path / "local.yml"
    local = {
        "fee": {"amount_vnd": 0, "text": "Không thu phí (Quyết định của tỉnh)"},
        "source": {
            "title": "QĐ công bố TTHC",
            "url": "https://tinh.example.gov.vn/qd",
            "checked": "2026-11-30",
        },
    }
    overrides.write_text(
        yaml.safe_dump({"department": "Sở GDĐT tỉnh X", "procedures": {COPY_ID: local}}),
        encoding="utf-8",
    )
    monkeypatch.setenv("LOCAL_OVERRIDES_FILE", str(overrides))
    get_settings.cache_clear()
    resources.catalogue.cache_clear()
    try:
        tracker = make_tracker("/ask_fee", "ask_fee", {"procedure_id": COPY_ID})
        messages, _ = await run(ActionAnswerProcedure(), tracker)
    finally:
        resources.catalogue.cache_clear()
    text = messages[0]["text"]
    assert "Không thu phí (Quyết định của tỉnh)" in text and "cần xác nhận lại" not in text
