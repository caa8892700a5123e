"""Dossier status end to end: gateway -> Rasa (trained model) -> action server -> SQLite.

The stack seeds its own temporary database with the demo dossiers when it starts.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.db import make_engine
from server.dossiers.models import Dossier, Step, today_vn
from server.dossiers.seed import demo_in
from tests.e2e.chat import say, session, text_of

ASKS_CODE = "cho em xin mã hồ sơ"
ASKS_DIGITS = "4 chữ số cuối của số điện thoại"
NEUTRAL = "em chưa tra cứu được hồ sơ"


@pytest.fixture(scope="module")
def demo(stack: Any) -> list[Dossier]:
    engine = make_engine(f"sqlite:///{Path(os.environ['TEST_STACK_VAR']) / 'assistant.db'}")
    try:
        dossiers = demo_in(engine)
    finally:
        engine.dispose()
    assert len(dossiers) == 8
    return dossiers


def typed_loosely(code: str) -> str:
    return code.lower().replace("-", " - ")


def test_status_after_code_and_verification(stack: Any, demo: list[Dossier]) -> None:
    sender = "e2e-dossier-status"
    dossier = next(d for d in demo if d.applicant_name == "Nguyễn Văn An")

    assert ASKS_CODE in text_of(say(stack, sender, "hồ sơ của tôi đến đâu rồi?"))
    assert ASKS_DIGITS in text_of(say(stack, sender, typed_loosely(dossier.code)))

    wrong = text_of(say(stack, sender, "1234"))
    assert NEUTRAL in wrong
    assert "Nguyễn" not in wrong and "Tình trạng" not in wrong and dossier.code not in wrong

    # The citizen tries again, this time with the code in the first message.
    assert ASKS_DIGITS in text_of(say(stack, sender, f"tra cứu giúp hồ sơ {dossier.code}"))
    right = text_of(say(stack, sender, f"4 số cuối là {dossier.phone_last4}"))
    assert f"hồ sơ {dossier.code} (người nộp: Nguyễn V*** A*)" in right
    assert "Nguyễn Văn An" not in right
    assert "Tình trạng: Đã tiếp nhận" in right

    # The digits were used once: asking again starts over.
    assert ASKS_CODE in text_of(say(stack, sender, "kiểm tra tình trạng hồ sơ giúp tôi"))


def test_a_wrong_code_gets_the_same_answer_as_wrong_digits(stack: Any, demo: list[Dossier]) -> None:
    sender = "e2e-dossier-wrong-code"
    unknown = demo[0].code[:-4] + "0001"
    assert ASKS_DIGITS in text_of(say(stack, sender, f"hồ sơ {unknown} đến đâu rồi"))
    answer = text_of(say(stack, sender, demo[0].phone_last4))
    assert NEUTRAL in answer and "Tình trạng" not in answer


def test_overdue_dossier_apologises_with_the_contacts(stack: Any, demo: list[Dossier]) -> None:
    sender = "e2e-dossier-overdue"
    dossier = next(d for d in demo if d.is_overdue(today_vn()))
    assert ASKS_DIGITS in text_of(say(stack, sender, f"mã hồ sơ của tôi là {dossier.code}"))
    answer = text_of(say(stack, sender, dossier.phone_last4))
    assert "Tình trạng: Đang giải quyết" in answer
    assert "Em thành thật xin lỗi" in answer and "0200 000 0000" in answer


def test_additional_documents_give_the_reason(stack: Any, demo: list[Dossier]) -> None:
    sender = "e2e-dossier-additional"
    dossier = next(d for d in demo if d.step is Step.additional_documents)
    say(stack, sender, "tra cứu hồ sơ")
    say(stack, sender, dossier.code.replace(".", ""))
    answer = text_of(say(stack, sender, f"so cuoi {dossier.phone_last4}"))
    assert f"Hồ sơ cần bổ sung, hoàn thiện: {dossier.step_note}." in answer


def test_the_citizen_can_stop_the_lookup(stack: Any) -> None:
    sender = "e2e-dossier-stop"
    assert ASKS_CODE in text_of(say(stack, sender, "tôi muốn tra cứu hồ sơ đã nộp"))
    assert "em dừng tra cứu hồ sơ" in text_of(say(stack, sender, "thôi không cần"))
    assert "em chào" in text_of(say(stack, sender, "xin chào")).lower()


def test_unreadable_answers_are_asked_again(stack: Any, demo: list[Dossier]) -> None:
    sender = "e2e-dossier-again"
    say(stack, sender, "hồ sơ của tôi đến đâu rồi")
    again = text_of(say(stack, sender, "mã là H10 gì đó"))
    assert "chưa nhận ra mã hồ sơ" in again and ASKS_CODE in again
    say(stack, sender, demo[1].code)
    again = text_of(say(stack, sender, "5 6 7"))
    assert "chưa thấy đủ 4 chữ số" in again and ASKS_DIGITS in again


def test_repeated_failures_pause_the_sender(stack: Any, demo: list[Dossier]) -> None:
    sender = "e2e-dossier-guesser"
    for i in range(5):
        say(stack, sender, f"tra cứu hồ sơ H10.22-260101-000{i}")
        assert NEUTRAL in text_of(say(stack, sender, "1111"))
    dossier = demo[1]
    answer = text_of(say(stack, sender, f"tra cứu hồ sơ {dossier.code}"))
    assert "tạm dừng" in answer and ASKS_DIGITS not in answer  # refused at once
    assert "Tình trạng" not in answer


def test_verification_answers_are_masked_in_the_history_and_the_tracker_store(
    stack: Any, demo: list[Dossier]
) -> None:
    sender = "e2e-dossier-log"
    dossier = demo[3]
    say(stack, sender, f"tra cứu hồ sơ {dossier.code}, sđt của tôi 0912 345 {dossier.phone_last4}")
    assert "Tình trạng" in text_of(say(stack, sender, dossier.phone_last4))
    history = httpx.get(
        f"{stack.gateway_url}/api/web/history", headers=session(stack, sender), timeout=10
    ).json()["messages"]
    typed = [m["text"] for m in history if m["role"] == "user"]
    assert typed == [f"tra cứu hồ sơ {dossier.code}, sđt của tôi {'*' * 11}", "****"]
    # Rasa's own store keeps the conversation masked too.
    tracker_db = Path(os.environ["TEST_STACK_VAR"]) / "tracker.db"
    with closing(sqlite3.connect(tracker_db)) as conn:
        events = [json.loads(row[0]) for row in conn.execute("SELECT data FROM events")]
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert f"tra cứu hồ sơ {dossier.code}, sđt của tôi {'*' * 11}" in user_texts
    assert not [t for t in user_texts if dossier.phone_last4 in t]
    digits = [e["value"] for e in events if e.get("name") == "dossier_verification"]
    assert "****" in digits and dossier.phone_last4 not in digits


def test_a_question_on_another_subject_is_answered_mid_lookup(
    stack: Any, demo: list[Dossier]
) -> None:
    sender = "e2e-dossier-subject"
    assert ASKS_CODE in text_of(say(stack, sender, "hồ sơ của tôi đến đâu rồi"))
    answer = text_of(say(stack, sender, "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ"))
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in answer
    # the lookup can start again at once
    assert ASKS_DIGITS in text_of(say(stack, sender, f"tra cứu hồ sơ {demo[2].code}"))
    assert "Tình trạng" in text_of(say(stack, sender, demo[2].phone_last4))
