"""End to end on Zalo: signed webhooks into the real stack (gateway, Rasa with the trained
model, action server), the replies caught by the fake OA API on FAKE_ZALO_PORT, where the
test stack's ZALO_API_URL and ZALO_OAUTH_URL point."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.channels.zalo import TEXT_ONLY
from tests.conftest import FAKE_ZALO_PORT
from tests.fakes.zalo_api import FakeZaloApi, sign, signed, user_sticker, user_text

DIPLOMA_COPY = "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"


@pytest.fixture(scope="module")
def zalo(stack: Any) -> Iterator[FakeZaloApi]:
    with FakeZaloApi(port=FAKE_ZALO_PORT) as fake:
        yield fake


def deliver(stack: Any, event: dict[str, Any]) -> httpx.Response:
    raw, headers = signed(event)
    started = time.monotonic()
    response = httpx.post(f"{stack.gateway_url}/webhooks/zalo", content=raw, headers=headers)
    assert time.monotonic() - started < 2, "Zalo wants an answer within 2 seconds"
    return response


def replies(zalo: FakeZaloApi, user: str, before: int, timeout: float = 60) -> list[dict[str, Any]]:
    """The messages ``user`` got after the first ``before`` ones, once they stop coming."""
    deadline = time.monotonic() + timeout
    seen, quiet_since = before, time.monotonic()
    while time.monotonic() < deadline:
        count = len(zalo.sent_to(user))
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        elif count > before and time.monotonic() - quiet_since > 1.5:
            return zalo.sent_to(user)[before:]
        time.sleep(0.1)
    raise AssertionError(f"no answer to {user} within {timeout}s")


def ask(stack: Any, zalo: FakeZaloApi, user: str, text: str) -> list[dict[str, Any]]:
    before = len(zalo.sent_to(user))
    assert deliver(stack, user_text(user, text)).json() == {"status": "ok"}
    return replies(zalo, user, before)


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def buttons_of(messages: list[dict[str, Any]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in messages:
        payload = m.get("attachment", {}).get("payload", {})
        assert len(payload.get("buttons", [])) <= 5
        if payload.get("template_type") == "button":
            found |= {b["title"]: b["payload"] for b in payload["buttons"]}
    return found


@pytest.mark.parametrize(
    ("user", "question"),
    [
        ("e2e-zalo-1001", "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ"),
        ("e2e-zalo-1002", "toi bi mat bang tot nghiep thpt, xin lai the nao"),
    ],
)
def test_a_procedure_question_is_answered_with_buttons(
    stack: Any, zalo: FakeZaloApi, user: str, question: str
) -> None:
    answer = ask(stack, zalo, user, question)
    assert DIPLOMA_COPY in text_of(answer)
    assert all(len(m.get("text") or "") <= 2000 for m in answer)
    assert "Giấy tờ cần chuẩn bị" in buttons_of(answer)


def test_a_pressed_button_answers_its_question(stack: Any, zalo: FakeZaloApi) -> None:
    user = "e2e-zalo-1003"
    answer = ask(stack, zalo, user, "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ")
    token = buttons_of(answer)["Giấy tờ cần chuẩn bị"]
    documents = ask(stack, zalo, user, token)  # Zalo posts the button's payload as text
    assert "Phiếu đề nghị cấp bản sao văn bằng" in text_of(documents)


def test_a_sticker_gets_the_text_only_note(stack: Any, zalo: FakeZaloApi) -> None:
    user = "e2e-zalo-1004"
    assert deliver(stack, user_sticker(user)).json() == {"status": "ok"}
    assert replies(zalo, user, 0) == [{"text": TEXT_ONLY}]


def test_a_repeated_delivery_is_answered_once(stack: Any, zalo: FakeZaloApi) -> None:
    user = "e2e-zalo-1005"
    event = user_text(user, "xin chào ạ")
    assert deliver(stack, event).json() == {"status": "ok"}
    assert deliver(stack, event).json() == {"status": "duplicate"}
    first = replies(zalo, user, 0)
    time.sleep(3)
    assert zalo.sent_to(user) == first


def test_a_bad_or_missing_signature_gets_401(stack: Any, zalo: FakeZaloApi) -> None:
    user = "e2e-zalo-1006"
    raw, headers = signed(user_text(user, "xin chào ạ"))
    url = f"{stack.gateway_url}/webhooks/zalo"
    forged = {**headers, "X-ZEvent-Signature": sign(raw, "0", oa_secret_key="guessed")}
    assert httpx.post(url, content=raw, headers=forged).status_code == 401
    missing = {"Content-Type": "application/json"}
    assert httpx.post(url, content=raw, headers=missing).status_code == 401
    time.sleep(2)
    assert not zalo.sent_to(user)
