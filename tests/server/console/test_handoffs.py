"""The desk's live hand-off pages, against a stand-in for Rasa (tests/server/chat/
fake_rasa.py): the queue, taking a conversation (the assistant pauses), answering on the
citizen's channel, handing back (the assistant resumes and asks for a rating), closing."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from server.chat import ChatService
from server.chat.buttons import ButtonTokens
from server.console.handoffs import RASA_DOWN_TAKE
from server.core.security import conversation_id
from server.rasa_client import RasaClient
from server.records import Records
from server.staff import audit
from server.staff.accounts import Role
from server.staff.handoffs import Handoffs
from tests.fakes.outbound import RecordingOutbound
from tests.server.chat.fake_rasa import (
    RATE_TEXT,
    SATISFIED_PAYLOAD,
    FakeRasa,
)
from tests.server.console.conftest import Officer

Login = Callable[..., Officer]
PROCEDURE = "cap-ban-sao-van-bang-tu-so-goc"
PROCEDURE_NAME = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc (tại cấp tỉnh)"


@pytest.fixture
def rasa() -> FakeRasa:
    fake = FakeRasa()
    fake.turn["procedure_id"] = PROCEDURE
    return fake


def wire(officer: Officer, rasa: FakeRasa, **senders: RecordingOutbound) -> ChatService:
    """Gives the officer's gateway the stand-in Rasa and channel senders."""
    state = officer.client.app.state  # type: ignore[attr-defined]
    state.rasa = RasaClient("http://rasa.test", 5, transport=rasa.transport())
    state.chat = ChatService(state.rasa, Records(), ButtonTokens(), 2000, outbound=senders)
    chat: ChatService = state.chat
    return chat


def citizen_asks(chat: ChatService, channel: str = "web", user_id: str = "s1") -> int:
    asyncio.run(chat.handle(channel, user_id, "cho tôi gặp cán bộ, số 0912345678"))  # type: ignore[arg-type]
    return Handoffs().queue()[-1].id


def test_pages_are_for_the_desk_only(client: TestClient, login: Login) -> None:
    paths = ["/staff/handoffs", "/staff/handoffs/1"]
    actions = [f"/staff/handoffs/1/{step}" for step in ("take", "reply", "release", "close")]
    for path in paths:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/staff/login"
        )
    for path in actions:
        assert client.post(path, follow_redirects=False).status_code == 303
    editor = login(Role.editor, Role.reviewer, Role.admin)
    for path in paths:
        assert editor.client.get(path).status_code == 403
    for path in actions:
        assert editor.post(path).status_code == 403
    desk = login(Role.desk)
    for path in actions:
        refused = desk.client.post(path, data={"text": "x"}, follow_redirects=False)
        assert refused.status_code == 403 and "Biểu mẫu đã hết hạn" in refused.text
    assert desk.client.get("/staff/handoffs/999").status_code == 404


def test_queue_take_reply_and_hand_back(login: Login, rasa: FakeRasa) -> None:
    lan = login(Role.desk)
    chat = wire(lan, rasa)
    handoff_id = citizen_asks(chat)
    conversation = conversation_id("web", "s1")

    queue = lan.client.get("/staff/handoffs")
    assert queue.status_code == 200 and 'data-refresh="10"' in queue.text
    for shown in ("Trang web", "Đang chờ", PROCEDURE_NAME, "cho tôi gặp cán bộ, số **********"):
        assert shown in html.unescape(queue.text)
    assert "0912345678" not in queue.text and "s1" not in queue.text
    page = lan.client.get(f"/staff/handoffs/{handoff_id}")
    assert "Nhận hỗ trợ" in page.text and 'name="text"' not in page.text

    taken = lan.post(f"/staff/handoffs/{handoff_id}/take")
    assert taken.status_code == 303
    assert taken.headers["location"] == f"/staff/handoffs/{handoff_id}?notice=taken"
    assert conversation in rasa.paused
    page = lan.client.get(taken.headers["location"])
    assert 'name="text"' in page.text and "Trả lại cho trợ lý" in page.text
    assert asyncio.run(chat.handle("web", "s1", "alo, có ai không ạ")) == []

    sent = lan.post(f"/staff/handoffs/{handoff_id}/reply", {"text": "Chào anh/chị, tôi là Lan."})
    assert sent.status_code == 303 and sent.headers["location"].endswith("notice=sent")
    empty = lan.post(f"/staff/handoffs/{handoff_id}/reply", {"text": "   "})
    assert empty.status_code == 422 and "Tin nhắn trống" in empty.text
    history = asyncio.run(chat.history("web", "s1"))
    assert [(m.author, m.text) for m in history][-2:] == [
        (None, "alo, có ai không ạ"),
        ("officer", "Chào anh/chị, tôi là Lan."),
    ]
    page = lan.client.get(f"/staff/handoffs/{handoff_id}")
    assert "Chào anh/chị, tôi là Lan." in html.unescape(page.text) and "Cán bộ ·" in page.text

    released = lan.post(f"/staff/handoffs/{handoff_id}/release")
    assert released.status_code == 303
    assert released.headers["location"] == "/staff/handoffs?notice=released"
    assert (conversation, "resume") in rasa.events and conversation not in rasa.paused
    assert rasa.executed == [(conversation, "action_hand_back")]
    rating = asyncio.run(chat.history("web", "s1"))[-1]
    assert (rating.author, rating.text) == ("bot", RATE_TEXT)
    assert [b.title for b in rating.buttons] == ["😊 Hài lòng", "🙁 Chưa hài lòng"]
    answer = asyncio.run(chat.handle("web", "s1", rating.buttons[0].token, button=True))
    assert rasa.received[-1]["message"] == SATISFIED_PAYLOAD and answer  # the bot is back
    assert (
        Handoffs().queue() == []
        and "không có công dân nào" in lan.client.get("/staff/handoffs").text
    )
    actions = [e.action for e in audit.entries() if e.action.startswith("handoff")]
    assert actions == ["handoff_released", "handoff_reply", "handoff_taken"]


def test_a_second_officer_can_neither_take_nor_answer(login: Login, rasa: FakeRasa) -> None:
    lan, minh = login(Role.desk), login(Role.desk)
    chat = wire(lan, rasa)
    wire(minh, rasa)
    handoff_id = citizen_asks(chat)
    assert lan.post(f"/staff/handoffs/{handoff_id}/take").status_code == 303
    late = minh.post(f"/staff/handoffs/{handoff_id}/take")
    assert late.status_code == 409 and "đã có cán bộ khác nhận" in late.text
    page = minh.client.get(f"/staff/handoffs/{handoff_id}")
    assert 'name="text"' not in page.text and "đang hỗ trợ công dân này" in page.text
    for step in ("reply", "release"):
        assert minh.post(f"/staff/handoffs/{handoff_id}/{step}", {"text": "x"}).status_code == 409
    assert rasa.executed == [] and Handoffs().queue()[0].taken_by == lan.account.id


def test_rasa_down_undoes_the_take(login: Login, rasa: FakeRasa) -> None:
    lan = login(Role.desk)
    handoff_id = citizen_asks(wire(lan, rasa))
    rasa.down = True
    refused = lan.post(f"/staff/handoffs/{handoff_id}/take")
    assert refused.status_code == 503 and RASA_DOWN_TAKE in html.unescape(refused.text)
    assert Handoffs().queue()[0].status == "open"
    assert [e.action for e in audit.entries()][:2] == ["handoff_take_undone", "handoff_taken"]


def test_telegram_gets_the_officer_and_a_failed_send_is_told(login: Login, rasa: FakeRasa) -> None:
    lan = login(Role.desk)
    telegram = RecordingOutbound()
    chat = wire(lan, rasa, telegram=telegram)
    handoff_id = citizen_asks(chat, "telegram", "123456789")
    lan.post(f"/staff/handoffs/{handoff_id}/take")
    lan.post(f"/staff/handoffs/{handoff_id}/reply", {"text": "Chào anh/chị"})
    [(user_id, replies)] = telegram.sent
    assert user_id == "123456789" and [r.text for r in replies] == ["Chào anh/chị"]
    telegram.delivers = False
    failed = lan.post(f"/staff/handoffs/{handoff_id}/reply", {"text": "Anh/chị còn đó không?"})
    assert (
        failed.status_code == 502
        and "Chưa gửi được tin nhắn tới công dân qua Telegram" in failed.text
    )
    assert "Anh/chị còn đó không?</textarea>" in html.unescape(failed.text)  # the draft is kept
    assert [m.text for m in asyncio.run(chat.history("telegram", "123456789"))][
        -1
    ] == "Chào anh/chị"


def test_close_a_request_that_needs_no_answer(login: Login, rasa: FakeRasa) -> None:
    lan = login(Role.desk)
    chat = wire(lan, rasa)
    first = citizen_asks(chat, user_id="s1")
    second = citizen_asks(chat, user_id="s2")
    closed = lan.post(f"/staff/handoffs/{first}/close")
    assert closed.status_code == 303 and closed.headers["location"].startswith("/staff/handoffs")
    assert [h.id for h in Handoffs().queue()] == [second]
    lan.post(f"/staff/handoffs/{second}/take")
    assert lan.post(f"/staff/handoffs/{second}/close").status_code == 409
    assert rasa.executed == [] and rasa.events == [(conversation_id("web", "s2"), "pause")]
