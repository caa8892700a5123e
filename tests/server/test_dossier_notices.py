"""The notification request format (actions -> chat service) and the notice wording."""

from __future__ import annotations

import datetime as dt

import pytest

from server.dossiers.models import Dossier, Step
from server.dossiers.notices import (
    KEY,
    NoticeRequest,
    channel_of,
    read,
    subscribe_message,
    unsubscribe_message,
)
from server.dossiers.render import STEP_LABELS, UNSUBSCRIBE_HINT, update_notice
from server.dossiers.seed import demo_dossiers

TODAY = dt.date(2026, 3, 10)
CODE = "H10.22-261130-9001"


def demo(step: Step) -> Dossier:
    return next(d for d in demo_dossiers(TODAY) if d.step is step)


def test_messages_round_trip() -> None:
    assert read(subscribe_message(CODE)) == NoticeRequest(op="subscribe", code=CODE)
    assert read(unsubscribe_message()) == NoticeRequest(op="unsubscribe")
    assert set(subscribe_message(CODE)) == {KEY}


@pytest.mark.parametrize(
    "custom",
    [
        {},
        {"other": 1},
        {KEY: "subscribe"},
        {KEY: {"op": "subscribe"}},
        {KEY: {"op": "subscribe", "code": "not a code"}},
        {KEY: {"op": "subscribe", "code": CODE.lower()}},
        {KEY: {"op": "subscribe", "code": CODE, "channel": "zalo"}},
        {KEY: {"op": "forward", "code": CODE}},
    ],
)
def test_anything_else_reads_as_no_request(custom: dict[str, object]) -> None:
    assert read(custom) is None


@pytest.mark.parametrize(
    ("conversation", "channel"),
    [("telegram-3f2a9c", "telegram"), ("zalo-77ab", "zalo"), ("web-1c2d", "web"), ("x", "x")],
)
def test_the_channel_of_a_conversation(conversation: str, channel: str) -> None:
    assert channel_of(conversation) == channel


@pytest.mark.parametrize("step", list(Step))
def test_every_notice_names_the_dossier_and_no_person(step: Step) -> None:
    d = demo(step)
    text = update_notice(d, "Tên thủ tục", last=step in {Step.result_ready, Step.returned})
    assert text.startswith(f"Dạ, hồ sơ {d.code} (Tên thủ tục) vừa được cập nhật:")
    assert f"• Tình trạng: {STEP_LABELS[step]}" in text
    assert d.applicant_name.split()[0] not in text and d.phone_last4 not in text


def test_additional_documents_say_what_to_add() -> None:
    d = demo(Step.additional_documents)
    text = update_notice(d, "Tên thủ tục", last=False)
    assert f"• Cần bổ sung: {d.step_note}" in text and "nộp bổ sung tại" in text
    assert text.endswith(UNSUBSCRIBE_HINT)


def test_the_result_says_where_to_collect_it_and_ends_the_notices() -> None:
    d = demo(Step.result_ready)
    text = update_notice(d, "Tên thủ tục", last=True)
    assert f"• Nơi trả kết quả: {d.pickup_place}" in text
    assert text.endswith("Em sẽ không gửi thêm thông báo về hồ sơ này nữa ạ.")
    assert UNSUBSCRIBE_HINT not in text
