"""End to end, the two "beyond the anchors" features through the real stack and model:

* the parents' checklist: a real answer on the web channel, its "Gửi cho bố mẹ / In danh
  sách" button, the link it answers with and the page that link opens;
* dossier notifications on Telegram: a citizen looks a demo dossier up (code + digits), asks
  to be told, staff move the dossier (PATCH /api/staff/dossiers/{code}) and the fake Bot API
  records the message; after the opt-out another move sends nothing.

The staff API uses the STAFF_TOKEN of the test stack (TEST_CHANNEL_ENV in tests/conftest.py).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.db import make_engine
from server.dossiers.models import Dossier, Step
from server.dossiers.render import STEP_LABELS
from server.dossiers.seed import demo_in
from tests.conftest import FAKE_TELEGRAM_PORT, TEST_CHANNEL_ENV
from tests.e2e.chat import press, say, text_of
from tests.fakes import telegram_updates as tg
from tests.fakes.telegram_api import Call, FakeTelegramApi

SHARE = "Gửi cho bố mẹ / In danh sách"
TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegramApi]:
    with FakeTelegramApi(
        token=TEST_CHANNEL_ENV["TELEGRAM_BOT_TOKEN"], port=FAKE_TELEGRAM_PORT
    ) as api:
        yield api


@pytest.fixture(scope="module")
def demo(stack: Any) -> list[Dossier]:
    engine = make_engine(f"sqlite:///{Path(os.environ['TEST_STACK_VAR']) / 'assistant.db'}")
    try:
        return demo_in(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def staff_token(stack: Any) -> str:
    token: str = stack.settings.staff_token.get_secret_value()
    assert token, "the test stack needs STAFF_TOKEN (TEST_CHANNEL_ENV in tests/conftest.py)"
    return token


# -- the parents' checklist on the web --------------------------------------------------------


def test_the_checklist_link_of_a_real_answer_opens_a_printable_page(stack: Any) -> None:
    sender = "e2e-checklist"
    answer = say(stack, sender, "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ")
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in text_of(answer)
    shared = text_of(press(stack, sender, answer, SHARE))
    public = stack.settings.public_url.rstrip("/")
    links = re.findall(rf"{re.escape(public)}(/c/[a-z2-7]{{8}})\b", shared)
    assert len(links) == 1, shared
    assert "gửi cho bố mẹ hoặc in" in shared and "không chứa thông tin cá nhân" in shared

    page = httpx.get(f"{stack.gateway_url}{links[0]}", timeout=10)
    assert page.status_code == 200
    body = page.text
    assert "Danh sách chuẩn bị hồ sơ" in body
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in body
    assert "Phiếu đề nghị cấp bản sao văn bằng, chứng chỉ" in body
    assert '<svg viewBox="' in body and "https://dichvucong.gov.vn/" in body
    assert "<script" not in body.lower() and " style=" not in body.lower()
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{stack.gateway_url}/checklist.css", timeout=10).status_code == 200
    assert httpx.get(f"{stack.gateway_url}/c/aaaaaaaa", timeout=10).status_code == 404


def test_the_checklist_typed_without_diacritics(stack: Any) -> None:
    sender = "e2e-checklist-typed"
    say(stack, sender, "con toi chuyen truong cap 3 sang tinh khac can giay to gi")
    shared = text_of(say(stack, sender, "gui danh sach nay cho bo me giup em"))
    assert "/c/" in shared and "Chuyển trường" in shared


def test_on_the_web_notifications_are_explained(stack: Any, demo: list[Dossier]) -> None:
    sender = "e2e-notify-web"
    dossier = next(d for d in demo if d.step is Step.processing)
    say(stack, sender, f"tra cứu hồ sơ {dossier.code}")
    assert "Tình trạng" in text_of(say(stack, sender, dossier.phone_last4))
    answer = text_of(say(stack, sender, "bao cho t khi co kq nhe"))
    assert "Zalo hoặc Telegram" in answer


# -- dossier notifications on Telegram ---------------------------------------------------------


def deliver(stack: Any, update: dict[str, Any]) -> None:
    response = httpx.post(
        f"{stack.gateway_url}/webhooks/telegram",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": TEST_CHANNEL_ENV["TELEGRAM_WEBHOOK_SECRET"]},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def sent_to(api: FakeTelegramApi, chat_id: int, containing: str) -> list[Call]:
    return [
        c
        for c in api.calls("sendMessage")
        if c.ok and c.params["chat_id"] == chat_id and containing in c.params["text"]
    ]


def wait_for(api: FakeTelegramApi, chat_id: int, containing: str) -> Call:
    found = api.wait_for(
        "sendMessage",
        timeout_s=TIMEOUT_S,
        where=lambda c: c.params["chat_id"] == chat_id and containing in c.params["text"],
    )
    return found[-1]


def move(stack: Any, token: str, code: str, step: str, note: str | None = None) -> None:
    body = {"step": step} | ({"note": note} if note else {})
    response = httpx.patch(
        f"{stack.gateway_url}/api/staff/dossiers/{code}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_a_telegram_citizen_is_told_of_the_next_step_until_they_opt_out(
    stack: Any, telegram: FakeTelegramApi, demo: list[Dossier], staff_token: str
) -> None:
    chat_id = 7_200_000_001
    # A dossier no other end-to-end test looks up or moves.
    dossier = next(
        d for d in demo if d.step is Step.received and d.applicant_name != "Nguyễn Văn An"
    )

    deliver(stack, tg.text(chat_id, f"tra cứu hồ sơ {dossier.code}"))
    wait_for(telegram, chat_id, "4 chữ số cuối")
    deliver(stack, tg.text(chat_id, dossier.phone_last4))
    status = wait_for(telegram, chat_id, "Tình trạng: Đã tiếp nhận")
    keyboard = status.params["reply_markup"]["inline_keyboard"]
    assert "🔔 Báo cho tôi khi có cập nhật" in [row[0]["text"] for row in keyboard]

    deliver(stack, tg.text(chat_id, "bao cho t khi co kq nhe"))
    wait_for(telegram, chat_id, "em đã ghi nhận")

    move(stack, staff_token, dossier.code, "additional_documents", "Bản sao học bạ có chứng thực")
    notice = wait_for(telegram, chat_id, "vừa được cập nhật")
    text = notice.params["text"]
    assert dossier.code in text and STEP_LABELS[Step.additional_documents] in text
    assert "Cần bổ sung: Bản sao học bạ có chứng thực" in text
    assert dossier.applicant_name.split()[-1] not in text and dossier.phone_last4 not in text
    assert [row[0]["text"] for row in notice.params["reply_markup"]["inline_keyboard"]] == [
        "Hủy thông báo"
    ]

    deliver(stack, tg.text(chat_id, "thôi không cần báo nữa"))
    wait_for(telegram, chat_id, "em đã dừng gửi thông báo")
    move(stack, staff_token, dossier.code, "processing", "Đã nhận đủ giấy tờ bổ sung")
    time.sleep(5)  # a notice, if any, would have been sent by now
    assert len(sent_to(telegram, chat_id, "vừa được cập nhật")) == 1
