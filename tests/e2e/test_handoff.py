"""The live hand-off end to end, through the real stack (trained model, action server,
gateway): a web citizen asks for an officer, an officer takes the conversation in the
staff console (the assistant falls silent), answers, and hands back (the assistant asks
for a rating and answers procedure questions again). Once over the web API, once in the
full-page chat in Chromium, which polls for the officer's messages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select

from server import db
from server.core.security import conversation_id, sender_hash, web_session_id
from server.staff.accounts import Accounts, Role
from tests.e2e.chat import session
from tests.e2e.conftest import Watched, screenshot

PASSWORD = "mat-khau-can-bo-e2e"
DIPLOMA = "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ"
COPY_PROCEDURE = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROOT = "document.querySelector('tthc-chat').shadowRoot"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def stack_database(stack: Any) -> Iterator[Engine]:
    """The app database of the running stack (not the per-test one of the unit tests)."""
    engine = db.make_engine(stack.settings.app_database_url)
    yield engine
    engine.dispose()


class Desk:
    """An officer of the desk, logged in to the stack's console over HTTP."""

    def __init__(self, stack: Any, database: Engine, username: str) -> None:
        Accounts(database).create(username, "Cán bộ Một Cửa", PASSWORD, {Role.desk})
        self.http = httpx.Client(base_url=stack.gateway_url, timeout=60, follow_redirects=True)
        login = self.http.post(
            "/staff/login", data={"username": username, "password": PASSWORD, "next": "/staff/"}
        )
        assert login.status_code == 200 and "Cán bộ Một Cửa" in login.text, login.text

    def page(self, path: str) -> str:
        response = self.http.get(path)
        assert response.status_code == 200, response.text
        return response.text

    def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        token = _CSRF.search(self.page("/staff/"))
        assert token
        return self.http.post(path, data={"csrf_token": token.group(1), **(data or {})})

    def handoff_of(self, database: Engine, conversation: str) -> int:
        """The waiting request of ``conversation``, checked to be listed in the queue."""
        table = db.handoff_requests
        with database.connect() as conn:
            handoff_id = conn.execute(
                select(table.c.id).where(
                    table.c.conversation == conversation, table.c.status == "open"
                )
            ).scalar_one()
        assert f'href="/staff/handoffs/{handoff_id}"' in self.page("/staff/handoffs")
        return int(handoff_id)


def post(stack: Any, sender: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{stack.gateway_url}/api/web/messages",
        json=body,
        headers=session(stack, sender),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def history(stack: Any, sender: str, after: int | None = None) -> dict[str, Any]:
    params = {"after": after} if after is not None else {}
    response = httpx.get(
        f"{stack.gateway_url}/api/web/history",
        params=params,
        headers=session(stack, sender),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def conversation_of(stack: Any, sender: str) -> str:
    token = session(stack, sender)["Authorization"].removeprefix("Bearer ")
    sid = web_session_id(token)
    assert sid
    return conversation_id("web", sid)


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def test_an_officer_takes_over_answers_and_hands_back(stack: Any, stack_database: Engine) -> None:
    citizen = "e2e-handoff"
    asked = post(stack, citizen, {"text": "cho tôi gặp cán bộ"})
    assert asked["handoff"] == "waiting" and "cán bộ" in texts(asked["messages"])
    desk = Desk(stack, stack_database, "motcua.e2e")
    conversation = conversation_of(stack, citizen)
    handoff_id = desk.handoff_of(stack_database, conversation)

    taken = desk.post(f"/staff/handoffs/{handoff_id}/take")
    assert taken.status_code == 200 and "trợ lý tạm dừng trả lời" in taken.text, taken.text
    silent = post(stack, citizen, {"text": "thủ tục cấp bản sao bằng tốt nghiệp cần gì"})
    assert silent["messages"] == [] and silent["handoff"] == "taken"
    seen = max(m["id"] for m in history(stack, citizen)["messages"])

    reply = "Chào anh/chị, tôi là cán bộ một cửa. Anh/chị cần bản sao mấy bản ạ?"
    sent = desk.post(f"/staff/handoffs/{handoff_id}/reply", {"text": reply})
    assert sent.status_code == 200 and "Đã gửi tin nhắn" in sent.text
    newer = history(stack, citizen, after=seen)
    assert [(m["role"], m["text"]) for m in newer["messages"]] == [("officer", reply)]
    assert newer["handoff"] == "taken"

    released = desk.post(f"/staff/handoffs/{handoff_id}/release")
    assert released.status_code == 200 and "Đã trả cuộc trò chuyện" in released.text
    back = history(stack, citizen, after=newer["messages"][-1]["id"])
    assert back["handoff"] is None
    question = back["messages"][-1]
    assert question["role"] == "bot" and "hài lòng" in question["text"]
    titles = {b["title"]: b["token"] for b in question["buttons"]}
    assert set(titles) == {"😊 Hài lòng", "🙁 Chưa hài lòng"}

    thanks = post(stack, citizen, {"text": titles["😊 Hài lòng"], "button": True})
    assert "cảm ơn" in texts(thanks["messages"]).lower()
    with stack_database.connect() as conn:
        ratings = conn.execute(
            select(db.ratings.c.satisfied).where(
                db.ratings.c.sender_hash == sender_hash(conversation)
            )
        ).all()
    assert [r.satisfied for r in ratings] == [True]

    answer = post(stack, citizen, {"text": DIPLOMA})
    assert COPY_PROCEDURE in texts(answer["messages"]) and answer["handoff"] is None


def test_the_widget_shows_the_officer_while_polling(
    stack: Any, stack_database: Engine, open_page: Callable[..., Watched]
) -> None:
    watched = open_page(stack.gateway_url + "/")
    page = watched.page
    box = page.locator("tthc-chat #tthc-input")
    box.fill("cho tôi gặp cán bộ")
    box.press("Enter")
    status = page.locator("tthc-chat .status")
    expect(status).to_have_text("Đang chờ cán bộ…", timeout=TIMEOUT_MS)

    token = page.evaluate(f"() => localStorage.getItem('tthc-chat-token:{stack.gateway_url}')")
    sid = web_session_id(token)
    assert sid
    desk = Desk(stack, stack_database, "motcua.widget")
    handoff_id = desk.handoff_of(stack_database, conversation_id("web", sid))
    assert desk.post(f"/staff/handoffs/{handoff_id}/take").status_code == 200
    expect(status).to_have_text("Cán bộ đang hỗ trợ", timeout=TIMEOUT_MS)

    reply = "Chào anh/chị, cán bộ một cửa đây ạ."
    desk.post(f"/staff/handoffs/{handoff_id}/reply", {"text": reply})
    officer = page.locator("tthc-chat .msg.officer")
    expect(officer).to_have_count(1, timeout=TIMEOUT_MS)
    expect(officer.locator(".author")).to_have_text("Cán bộ")
    expect(officer.locator(".bubble")).to_contain_text(reply)
    screenshot(page, "widget-handoff.png")

    desk.post(f"/staff/handoffs/{handoff_id}/release")
    expect(page.locator("tthc-chat .choice").filter(has_text="Hài lòng").first).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(status).to_be_hidden(timeout=TIMEOUT_MS)
    page.locator("tthc-chat .choice").filter(has_text="😊 Hài lòng").click()
    thanked = f"[...{ROOT}.querySelectorAll('.msg.bot')].some((m) => /cảm ơn/.test(m.textContent))"
    page.wait_for_function(f"() => {thanked}", timeout=TIMEOUT_MS)
    assert page.locator("tthc-chat .msg.officer").count() == 1  # shown once, never again
    watched.assert_clean()
