"""The Vietnamese answers about a dossier, as pure functions (dossier in, text out).

Plain text with line breaks, like :mod:`actions.answers`, so that they read the same on the
web widget, Telegram and Zalo, and every wording is tested without Rasa.
"""

from __future__ import annotations

import datetime as dt

from knowledge.department import Department
from server.dossiers.models import VN_TZ, Dossier, Step

STEP_LABELS = {
    Step.received: "Đã tiếp nhận",
    Step.processing: "Đang giải quyết",
    Step.additional_documents: "Cần bổ sung, hoàn thiện hồ sơ",
    Step.result_ready: "Đã có kết quả, chờ trả cho anh/chị",
    Step.returned: "Đã trả kết quả",
}

# What the history says an officer did at each step.
_HISTORY_LABELS = {
    Step.received: "Tiếp nhận hồ sơ",
    Step.processing: "Chuyển phòng chuyên môn giải quyết",
    Step.additional_documents: "Yêu cầu bổ sung hồ sơ",
    Step.result_ready: "Có kết quả giải quyết",
    Step.returned: "Trả kết quả",
}


def _date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _day(at: dt.datetime) -> str:
    """The date of a moment as the citizen lived it (Vietnam time)."""
    return _date(at.astimezone(VN_TZ).date())


def mask_name(name: str) -> str:
    """The family name in full, then only initials: "Nguyễn Văn An" → "Nguyễn V*** A*".

    Enough for a citizen to recognise their own dossier, not enough to identify someone.
    The stars have a fixed length so they do not give away the length of the name.
    """
    words = name.split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0] + "*"
    middle = [w[0] + "***" for w in words[1:-1]]
    return " ".join([words[0], *middle, words[-1][0] + "*"])


def _step_lines(d: Dossier, dept: Department) -> list[str]:
    if d.step is Step.received:
        return [
            "Hồ sơ đã được tiếp nhận và đang được chuyển đến phòng chuyên môn để giải quyết. "
            "Anh/chị vui lòng chờ đến ngày hẹn trả kết quả ạ."
        ]
    if d.step is Step.processing:
        return ["Hồ sơ đang được phòng chuyên môn xem xét, giải quyết ạ."]
    if d.step is Step.additional_documents:
        reason = d.step_note or (
            f"anh/chị vui lòng gọi đường dây nóng {dept.hotline} để biết giấy tờ cần bổ sung"
        )
        return [
            f"Hồ sơ cần bổ sung, hoàn thiện: {reason}.",
            "Anh/chị nộp bổ sung tại nơi đã nộp hồ sơ (hoặc trên Cổng Dịch vụ công nếu đã "
            "nộp trực tuyến) để hồ sơ được tiếp tục giải quyết ạ.",
        ]
    if d.step is Step.result_ready:
        return [
            "Hồ sơ đã có kết quả, mời anh/chị nhận theo nơi trả kết quả ở trên. Nếu nhận trực "
            "tiếp, anh/chị mang theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả cùng căn cước "
            "công dân ạ."
        ]
    returned = d.reached(Step.returned)
    when = f" ngày {_day(returned.at)}" if returned else ""
    return [f"Kết quả đã được trả cho anh/chị{when}. Cảm ơn anh/chị đã sử dụng dịch vụ ạ."]


def overdue_apology(d: Dossier, dept: Department) -> str:
    return (
        "Em thành thật xin lỗi anh/chị: hồ sơ đã quá ngày hẹn trả kết quả "
        f"({_date(d.due_on)}) mà chưa giải quyết xong. Anh/chị vui lòng liên hệ {dept.name} "
        f"qua đường dây nóng {dept.hotline} hoặc email {dept.email} để được kiểm tra và hẹn "
        f"lại ngày trả kết quả ạ. Giờ làm việc: {dept.working_hours}."
    )


def _history_lines(d: Dossier) -> list[str]:
    if not d.history:
        return []
    lines = ["Quá trình xử lý:"]
    for event in d.history:
        note = f" — {event.note}" if event.note else ""
        lines.append(f"• {_day(event.at)}: {_HISTORY_LABELS[event.step]}{note}")
    return lines


def render_status(d: Dossier, procedure_name: str, dept: Department, today: dt.date) -> str:
    """The status of a verified dossier, with an apology if it is overdue."""
    lines = [
        f"Dạ, em đã tìm thấy hồ sơ {d.code} (người nộp: {mask_name(d.applicant_name)}):",
        f"• Thủ tục: {procedure_name}",
        f"• Ngày tiếp nhận: {_date(d.received_on)}",
        f"• Ngày hẹn trả kết quả: {_date(d.due_on)}",
        f"• Tình trạng: {STEP_LABELS[d.step]}",
    ]
    if d.step is not Step.returned:
        lines.append(f"• Nơi trả kết quả: {d.pickup_place}")
    lines += _step_lines(d, dept)
    if d.is_overdue(today):
        lines.append(overdue_apology(d, dept))
    return "\n".join(lines + _history_lines(d))


def not_verified_text(dept: Department) -> str:
    """The one answer for a wrong code and for wrong digits, so neither can be told apart."""
    return (
        "Dạ, em chưa tra cứu được hồ sơ với mã và thông tin xác minh anh/chị vừa cung cấp. "
        "Anh/chị vui lòng kiểm tra lại mã hồ sơ trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả "
        "và 4 số cuối của số điện thoại đã đăng ký khi nộp hồ sơ, rồi gửi lại mã cho em ạ. "
        f"Nếu cần hỗ trợ, anh/chị gọi đường dây nóng {dept.hotline}."
    )


def rate_limited_text(retry_after_s: int, dept: Department) -> str:
    minutes = max(1, -(-retry_after_s // 60))
    return (
        "Dạ, việc tra cứu hồ sơ đang tạm dừng vì có nhiều lần nhập thông tin không khớp. "
        "Để bảo vệ thông tin hồ sơ của người dân, anh/chị vui lòng thử lại sau khoảng "
        f"{minutes} phút, hoặc gọi đường dây nóng {dept.hotline} để được hỗ trợ ạ."
    )


def unavailable_text(dept: Department) -> str:
    return (
        "Dạ, em xin lỗi, hệ thống tra cứu hồ sơ đang tạm gián đoạn nên em chưa tra cứu được. "
        "Anh/chị vui lòng thử lại sau ít phút, tra cứu trên Cổng Dịch vụ công "
        f"({dept.portal_url}) hoặc gọi đường dây nóng {dept.hotline} ạ."
    )


UNSUBSCRIBE_HINT = 'Nếu không cần nhận thông báo nữa, anh/chị nhắn "hủy thông báo" ạ.'


def update_notice(d: Dossier, procedure_name: str, last: bool) -> str:
    """The message to a citizen who asked to be told when their dossier moves on.

    Only what their verified lookup showed them (code, procedure, step, the officer's note,
    where to collect the result): never the applicant's name or phone. ``last`` says this
    is the final notice for the dossier.
    """
    lines = [
        f"Dạ, hồ sơ {d.code} ({procedure_name}) vừa được cập nhật:",
        f"• Tình trạng: {STEP_LABELS[d.step]}",
    ]
    if d.step is Step.additional_documents:
        lines.append(f"• Cần bổ sung: {d.step_note}" if d.step_note else "")
        lines.append(
            "Anh/chị nộp bổ sung tại nơi đã nộp hồ sơ (hoặc trên Cổng Dịch vụ công nếu đã nộp "
            "trực tuyến) để hồ sơ được tiếp tục giải quyết ạ."
        )
    elif d.step_note:
        lines.append(f"• Ghi chú của cán bộ: {d.step_note}")
    if d.step is Step.result_ready:
        lines.append(f"• Nơi trả kết quả: {d.pickup_place}")
        lines.append(
            "Khi nhận trực tiếp, anh/chị mang theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả "
            "cùng căn cước công dân ạ."
        )
    if last:
        lines.append("Em sẽ không gửi thêm thông báo về hồ sơ này nữa ạ.")
    else:
        lines.append(UNSUBSCRIBE_HINT)
    return "\n".join(line for line in lines if line)
