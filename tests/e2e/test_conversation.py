"""End to end through the real stack: gateway -> Rasa (trained model) -> action server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.chat import press, say, session, text_of


def test_health_reports_every_part_up(stack: Any) -> None:
    body = httpx.get(f"{stack.gateway_url}/api/health", timeout=10).json()
    assert body == {"status": "ok", "rasa": True, "action_server": True, "database": True}


def test_greeting_diploma_question_follow_up_goodbye(stack: Any) -> None:
    sender = "e2e-diploma"
    assert "em chào" in text_of(say(stack, sender, "Xin chào ạ")).lower()

    answer = say(stack, sender, "mẹ em bị mất bằng tốt nghiệp cấp 3 thì xin lại ở đâu ạ")
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in text_of(answer)
    titles = [b["title"] for m in answer for b in m.get("buttons", [])]
    assert "Giấy tờ cần chuẩn bị" in titles

    documents = say(stack, sender, "cần chuẩn bị giấy tờ gì")
    assert "Phiếu đề nghị cấp bản sao văn bằng" in text_of(documents)

    duration = say(stack, sender, "mat bao lau vay")
    assert "thời hạn giải quyết" in text_of(duration).lower()

    assert "chúc anh/chị" in text_of(say(stack, sender, "vậy thôi, tạm biệt nhé")).lower()


def test_question_without_diacritics_finds_the_same_procedure(stack: Any) -> None:
    answer = say(stack, "e2e-nodiacritics", "toi bi mat bang tot nghiep thpt, xin lai the nao")
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in text_of(answer)


def test_handoff_gives_the_hotline(stack: Any) -> None:
    assert "Đường dây nóng" in text_of(say(stack, "e2e-human", "cho tôi gặp cán bộ"))


def test_out_of_scope_points_to_the_national_portal(stack: Any) -> None:
    answer = text_of(say(stack, "e2e-oos", "tôi muốn đăng ký biển số xe máy"))
    assert "dichvucong.gov.vn" in answer


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": ""}, 422),
        ({"text": "   \n\t "}, 422),
        ({"text": "///"}, 422),
        ({"text": "a" * 10_000}, 413),
        ({"text": "a" * 30_000}, 422),
        ({"message": "chào"}, 422),
        ({"text": "chào", "channel": "telegram"}, 422),  # the route sets the channel
        ({"text": "chào", "sender": "someone-else"}, 422),  # the session names the sender
    ],
)
def test_bad_input_gets_a_clear_http_error(stack: Any, body: dict[str, Any], status: int) -> None:
    response = httpx.post(
        f"{stack.gateway_url}/api/web/messages",
        json=body,
        headers=session(stack, "e2e-bad"),
        timeout=30,
    )
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.parametrize("message", ["😀😀😀", "\x00\x01binary\xff", "?????", "ｈｅｌｌｏ"])
def test_odd_input_still_gets_an_answer(stack: Any, message: str) -> None:
    assert say(stack, "e2e-odd", message)


def test_web_page_is_served(stack: Any) -> None:
    page = httpx.get(f"{stack.gateway_url}/", timeout=10)
    assert page.status_code == 200
    assert "Trợ lý thủ tục hành chính" in page.text
    assert 'src="widget.js"' in page.text
    for asset in ("widget.js", "widget.css"):
        assert httpx.get(f"{stack.gateway_url}/{asset}", timeout=10).status_code == 200


def test_ambiguous_founding_asks_the_separating_question(stack: Any) -> None:
    sender = "e2e-clarify"
    question = say(stack, sender, "tôi muốn xin thành lập trường tư thục thì làm thủ tục gì")
    assert "cấp học nào" in text_of(question)
    titles = [b["title"] for m in question for b in m.get("buttons", [])]
    assert "THCS (cấp 2)" in titles and "THPT (cấp 3)" in titles
    answer = text_of(say(stack, sender, "truong cap 2"))
    assert "trung học cơ sở" in answer and "thành lập" in answer.lower()


def test_lost_or_wrong_diploma_is_asked_when_unclear(stack: Any) -> None:
    sender = "e2e-diploma-problem"
    question = say(stack, sender, "tôi cần làm thủ tục về bằng tốt nghiệp cấp 3")
    assert "trường hợp nào" in text_of(question)
    titles = [b["title"] for m in question for b in m.get("buttons", [])]
    assert "Bị mất, hỏng" in titles
    answer = text_of(say(stack, sender, "bị mất rồi"))
    assert "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc" in answer


def test_rating_after_help_is_offered_and_stored(stack: Any) -> None:
    sender = "e2e-rating"
    say(stack, sender, "phúc khảo bài thi tốt nghiệp thpt thế nào")
    offer = say(stack, sender, "cảm ơn em nhé")
    assert "cảm ơn anh/chị đã đánh giá" in text_of(press(stack, sender, offer, "😊 Hài lòng"))
