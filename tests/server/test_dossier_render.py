"""Every step of a dossier reads correctly in Vietnamese, and personal data stays masked."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.department import load_department
from server.dossiers.models import Dossier, Step
from server.dossiers.render import (
    STEP_LABELS,
    mask_name,
    not_verified_text,
    rate_limited_text,
    render_status,
    unavailable_text,
)
from server.dossiers.seed import demo_dossiers

TODAY = dt.date(2026, 3, 10)
DEPT = load_department()


def demo(step: Step, overdue: bool = False) -> Dossier:
    return next(
        d for d in demo_dossiers(TODAY) if d.step is step and d.is_overdue(TODAY) == overdue
    )


@pytest.mark.parametrize(
    ("step", "says"),
    [
        (Step.received, ["Đã tiếp nhận", "chờ đến ngày hẹn trả kết quả"]),
        (Step.processing, ["Đang giải quyết", "đang được phòng chuyên môn xem xét"]),
        (
            Step.additional_documents,
            ["Cần bổ sung", "bản dịch sang tiếng Việt có chứng thực", "nộp bổ sung tại"],
        ),
        (Step.result_ready, ["Đã có kết quả", "Nơi trả kết quả: Bộ phận Một cửa", "căn cước"]),
        (Step.returned, ["Đã trả kết quả", "trả cho anh/chị ngày 17/02/2026", "bưu điện"]),
    ],
)
def test_every_step_renders(step: Step, says: list[str]) -> None:
    d = demo(step)
    text = render_status(d, "Tên thủ tục", DEPT, TODAY)
    assert text.startswith(f"Dạ, em đã tìm thấy hồ sơ {d.code} (người nộp: ")
    assert "• Thủ tục: Tên thủ tục" in text
    assert f"• Ngày tiếp nhận: {d.received_on:%d/%m/%Y}" in text
    assert f"• Ngày hẹn trả kết quả: {d.due_on:%d/%m/%Y}" in text
    assert f"• Tình trạng: {STEP_LABELS[step]}" in text
    for phrase in says:
        assert phrase in text
    assert "Quá trình xử lý:\n• " in text
    assert "xin lỗi" not in text  # none of these is overdue
    assert d.applicant_name not in text and d.phone_last4 not in text


def test_history_lists_each_step_with_its_date_and_note() -> None:
    text = render_status(demo(Step.returned), "X", DEPT, TODAY)
    history = text.split("Quá trình xử lý:\n")[1].splitlines()
    assert history == [
        "• 08/02/2026: Tiếp nhận hồ sơ",
        "• 09/02/2026: Chuyển phòng chuyên môn giải quyết",
        "• 16/02/2026: Có kết quả giải quyết",
        "• 17/02/2026: Trả kết quả — Đã gửi qua bưu điện",
    ]


def test_overdue_dossier_gets_an_apology_and_the_department_contact() -> None:
    d = demo(Step.processing, overdue=True)
    text = render_status(d, "X", DEPT, TODAY)
    assert "Em thành thật xin lỗi" in text
    assert f"quá ngày hẹn trả kết quả ({d.due_on:%d/%m/%Y})" in text
    assert DEPT.hotline in text and DEPT.email in text and DEPT.working_hours in text
    assert "xin lỗi" not in render_status(d, "X", DEPT, d.due_on)  # due today is not late


def test_additional_documents_without_a_reason_points_to_the_hotline() -> None:
    d = demo(Step.additional_documents).model_copy(update={"step_note": None})
    assert f"gọi đường dây nóng {DEPT.hotline} để biết giấy tờ cần bổ sung" in render_status(
        d, "X", DEPT, TODAY
    )


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V*** A*"),
        ("Trần Thị Bích Ngọc", "Trần T*** B*** N*"),
        ("Lê Minh", "Lê M*"),
        ("Bảo", "B*"),
        ("  Phạm   Thu  Hà ", "Phạm T*** H*"),
        ("", ""),
    ],
)
def test_names_are_masked(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_refusals_are_polite_and_give_the_hotline() -> None:
    for text in (not_verified_text(DEPT), rate_limited_text(3599, DEPT), unavailable_text(DEPT)):
        assert text.startswith("Dạ,") and "ạ" in text and DEPT.hotline in text
    assert "khoảng 60 phút" in rate_limited_text(3599, DEPT)
    assert "khoảng 1 phút" in rate_limited_text(5, DEPT)
