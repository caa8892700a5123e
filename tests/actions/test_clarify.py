"""The separating question: which facet, which options, and reading the answer."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.clarify import UNKNOWN, match_answer, options, separating_facet
from actions.procedures import (
    ActionAnswerProcedure,
    ActionAskClarifyAnswer,
    ValidateClarifyForm,
    close_candidates,
)
from knowledge.retrieval import SearchHit
from tests.actions.conftest import make_tracker

THCS, THPT = "thanh-lap-truong-trung-hoc-co-so", "thanh-lap-truong-trung-hoc-pho-thong"
TRANSFER = "chuyen-truong-va-tiep-nhan-hoc-sinh"
COPY = "cap-ban-sao-van-bang-tu-so-goc"
LOST, WRONG = "cap-ban-sao-van-bang-tu-so-goc", "chinh-sua-noi-dung-van-bang-chung-chi"


def records(*ids: str) -> list[Any]:
    return [resources.catalogue().get(i) for i in ids]


def test_facet_that_separates_candidates() -> None:
    assert separating_facet(records(THCS, THPT)) == ("school_level", records(THCS, THPT))
    assert separating_facet(records(LOST, WRONG)) == ("diploma_problem", records(LOST, WRONG))
    returning = "tiep-nhan-hoc-sinh-viet-nam-tu-nuoc-ngoai-ve"
    assert separating_facet(records(TRANSFER, returning))[0] == "student_origin"  # type: ignore[index]
    assert separating_facet(records(LOST, THPT)) is None


def test_candidates_without_the_facet_are_left_out_of_the_question() -> None:
    foreign = "cong-nhan-van-bang-tot-nghiep-pho-thong-do-nuoc-ngoai-cap"
    assert separating_facet(records(LOST, foreign, WRONG)) == (
        "diploma_problem", records(LOST, WRONG)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("facet", "answer", "expected"),
    [
        ("school_level", "THPT (cấp 3)", "thpt"),
        ("school_level", "cap 2", "thcs"),
        ("school_level", "cháu đang học lớp 8", "thcs"),
        ("school_level", "lop 11 a", "thpt"),
        ("school_level", "2", "thpt"),
        ("school_level", "không rõ nữa", None),
        ("diploma_problem", "bị mất rồi", "lost"),
        ("diploma_problem", "ghi sai ngay sinh", None),  # by the issuer, or supplied wrong?
        ("diploma_problem", "mất và sai", None),
        ("diploma_problem", "Nơi cấp ghi nhầm", "issuer_error"),
        ("diploma_problem", "vừa đổi tên trong giấy khai sinh", "wrong_info"),
    ],
)
def test_answers_typed_any_way(facet: str, answer: str, expected: str | None) -> None:
    allowed = (
        ["thcs", "thpt"] if facet == "school_level" else ["lost", "wrong_info", "issuer_error"]
    )
    assert match_answer(facet, answer, allowed) == expected


def test_options_keep_the_facet_order() -> None:
    assert options("school_level", records(THPT, THCS)) == ["thcs", "thpt"]


async def test_ambiguous_question_starts_the_clarification() -> None:
    tracker = make_tracker(
        "tôi muốn xin thành lập trường tư thục thì làm thủ tục gì", "ask_procedure"
    )
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerProcedure().run(dispatcher, tracker, {})
    assert dispatcher.messages == []
    slots = {e["name"]: e["value"] for e in events}
    assert slots["clarify_needed"] is True
    assert slots["clarify_facet"] == "school_level"
    assert {THCS, THPT} <= set(slots["candidate_ids"])


async def test_question_and_buttons_come_from_the_candidates() -> None:
    slots = {"clarify_facet": "school_level", "candidate_ids": [THCS, THPT]}
    dispatcher = CollectingDispatcher()
    await ActionAskClarifyAnswer().run(dispatcher, make_tracker("", "ask_procedure", slots), {})
    (message,) = dispatcher.messages
    assert message["text"] == "Dạ, anh/chị hỏi cho cấp học nào ạ?"
    assert [b["title"] for b in message["buttons"]] == ["THCS (cấp 2)", "THPT (cấp 3)"]


async def test_form_validation_maps_or_gives_up() -> None:
    slots = {"clarify_facet": "school_level", "candidate_ids": [THCS, THPT]}
    tracker = make_tracker("cấp 3", "ask_procedure", slots)
    form = ValidateClarifyForm()
    dispatcher = CollectingDispatcher()
    assert form.validate_clarify_answer("cấp 3", dispatcher, tracker, {}) == {
        "clarify_answer": "thpt"
    }
    assert form.validate_clarify_answer("hmm", dispatcher, tracker, {}) == {
        "clarify_answer": UNKNOWN
    }


async def test_answer_after_clarification_uses_the_pending_aspect() -> None:
    slots = {
        "clarify_facet": "school_level", "candidate_ids": [THCS, THPT],
        "clarify_answer": "thpt", "pending_aspect": "ask_documents",
    }  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerProcedure().run(dispatcher, make_tracker("cấp 3", "x", slots), {})
    assert SlotSet("procedure_id", THPT) in events
    assert SlotSet("clarify_needed", False) in events
    assert SlotSet("candidate_ids", None) in events
    assert dispatcher.messages[0]["text"].startswith("Dạ, hồ sơ thủ tục")


async def test_unmapped_answer_offers_the_candidates_as_buttons() -> None:
    slots = {"clarify_facet": "school_level", "candidate_ids": [THCS, THPT],
             "clarify_answer": UNKNOWN, "pending_aspect": "ask_procedure"}  # fmt: skip
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerProcedure().run(dispatcher, make_tracker("hmm", "x", slots), {})
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert len(payloads) == 2 and all("choose_procedure" in p for p in payloads)
    assert not any(isinstance(e, dict) and e.get("name") == "procedure_id" for e in events)


def test_candidates_keep_to_the_level_the_citizen_named() -> None:
    thcs, thpt = records(THCS, THPT)
    hits = [SearchHit(thcs, 0.9, 10.0, 0.7), SearchHit(thpt, 0.85, 9.0, 0.7, other_level=True)]
    assert close_candidates(hits) == [thcs]
    assert close_candidates([SearchHit(thcs, 0.9, 10.0, 0.7), SearchHit(thpt, 0.85, 9.0, 0.7)]) == [
        thcs, thpt,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "facet", "answered"),
    [
        ("tôi cần làm thủ tục về bằng tốt nghiệp cấp 3", "diploma_problem", None),
        ("lam mat bang tot nghiep cap 3 roi thi lam the nao", None, COPY),
        # Since Thông tư 10/2026 a wrong diploma is re-issued when the issuer erred, corrected
        # when the holder's details changed: the words do not say which.
        ("bằng tốt nghiệp cấp 3 ghi sai ngày sinh", "diploma_problem", None),
    ],
)
async def test_a_clear_lead_is_still_asked_when_the_words_leave_the_facet_open(
    question: str, facet: str | None, answered: str | None
) -> None:
    events = await ActionAnswerProcedure().run(
        CollectingDispatcher(), make_tracker(question, "ask_procedure"), {}
    )
    slots = {e["name"]: e["value"] for e in events}
    assert slots.get("clarify_facet") == facet
    assert slots.get("procedure_id") == answered
