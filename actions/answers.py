"""Plain-Vietnamese answers built from a procedure record, one per aspect asked about.

Pure functions (record in, text out) so that every wording is tested without Rasa.
Answers are plain text with line breaks: they must read well on the web widget, Telegram
and Zalo alike.
"""

from __future__ import annotations

import json
from enum import Enum

from knowledge.department import Department
from knowledge.models import (
    FACT_LABELS,
    DocumentForm,
    FactGroup,
    OnlineService,
    Procedure,
    Repeal,
    ReplacedProcedure,
)


class Aspect(str, Enum):
    """What the citizen wants to know; the value is the NLU intent that asks it."""

    overview = "ask_procedure"
    documents = "ask_documents"
    time = "ask_processing_time"
    fee = "ask_fee"
    submission = "ask_submission"
    legal_basis = "ask_legal_basis"


ASPECT_BUTTONS: list[tuple[str, Aspect]] = [
    ("Giấy tờ cần chuẩn bị", Aspect.documents),
    ("Thời gian giải quyết", Aspect.time),
    ("Lệ phí", Aspect.fee),
    ("Nộp ở đâu, thế nào", Aspect.submission),
]

_FORM_LABEL = {
    DocumentForm.original: "bản chính",
    DocumentForm.copy: "bản sao",
    DocumentForm.certified_copy: "bản sao có chứng thực hoặc bản sao kèm bản chính để đối chiếu",
    DocumentForm.original_or_copy: "bản chính hoặc bản sao",
    DocumentForm.electronic: "bản điện tử",
}

# The fact groups each answer shows; a doubt about any of them is said once, at the end.
SHOWN: dict[Aspect, list[FactGroup]] = {
    Aspect.overview: [
        FactGroup.identity,
        FactGroup.authorities,
        FactGroup.processing_time,
        FactGroup.fee,
        FactGroup.result,
    ],
    Aspect.documents: [FactGroup.documents],
    Aspect.time: [FactGroup.processing_time],
    Aspect.fee: [FactGroup.fee],
    Aspect.submission: [FactGroup.channels, FactGroup.authorities],
    Aspect.legal_basis: [FactGroup.legal_basis],
}
TO_CONFIRM = "thông tin này cần xác nhận lại với bộ phận một cửa ạ."


def button(title: str, intent: str, **entities: str) -> dict[str, str]:
    payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return {"title": title, "payload": payload}


def aspect_buttons(exclude: Aspect | None = None) -> list[dict[str, str]]:
    return [button(title, a.value) for title, a in ASPECT_BUTTONS if a is not exclude]


def procedure_buttons(procedures: list[Procedure]) -> list[dict[str, str]]:
    return [button(p.short_name, "choose_procedure", procedure_id=p.id) for p in procedures]


def _authority(p: Procedure) -> str:
    return "; ".join(a.name for a in p.authorities)


def _submission_lines(p: Procedure, dept: Department) -> list[str]:
    lines = []
    url = str(p.channels.online_url or dept.portal_url)
    if p.channels.online is OnlineService.full:
        lines.append(f"• Trực tuyến (toàn trình, không phải đến nộp giấy): {url}")
    elif p.channels.online is OnlineService.partial:
        lines.append(f"• Trực tuyến (một phần; có bước phải nộp/nhận trực tiếp): {url}")
    if p.channels.post:
        lines.append("• Gửi qua dịch vụ bưu chính")
    if p.channels.desk:
        where = (
            p.channels.desk_note
            or f"{dept.desk_address} hoặc Bộ phận Một cửa của cơ quan giải quyết"
        )
        lines.append(f"• Nộp trực tiếp: {where} ({p.channels.desk_hours or dept.working_hours})")
    if not lines:
        lines.append(f"• Liên hệ cơ quan giải quyết: {_authority(p)}")
    return lines


def _caveat(p: Procedure, aspect: Aspect) -> list[str]:
    """One short clause for the shown facts no source confirms; nothing when all are sourced."""
    doubtful = p.uncertain_among(SHOWN[aspect])
    if not doubtful:
        return []
    if len(SHOWN[aspect]) == 1:
        return [TO_CONFIRM[0].upper() + TO_CONFIRM[1:]]
    return [f"Riêng {', '.join(FACT_LABELS[g] for g in doubtful)}: {TO_CONFIRM}"]


def _repealed(name: str, repeal: Repeal) -> str:
    return (
        f'Dạ, thủ tục "{name}" không còn áp dụng từ ngày {repeal.on:%d/%m/%Y} '
        f"({repeal.by}).\n{repeal.instead}"
    )


def _sources(p: Procedure) -> list[str]:
    lines = ["Nguồn đã đối chiếu:"]
    for source in p.sources:
        where = str(source.url) if source.url else source.legal_text
        lines.append(f"• {source.title}: {where} (kiểm tra ngày {source.checked:%d/%m/%Y})")
    return lines


def render(
    p: Procedure, aspect: Aspect, dept: Department, asked_old: ReplacedProcedure | None = None
) -> str:
    """The answer to ``aspect`` about ``p``; ``asked_old`` is the replaced procedure the
    citizen named, whose replacement is said first."""
    if p.repealed is not None:
        return _repealed(p.name, p.repealed)
    lines = []
    if asked_old is not None:
        since = f" (từ ngày {asked_old.until:%d/%m/%Y})" if asked_old.until else ""
        lines.append(f'Thủ tục "{asked_old.name}" nay đã được thay bằng thủ tục "{p.name}"{since}.')
    lines += _body(p, aspect, dept)
    return "\n".join(lines + _caveat(p, aspect))


def _body(p: Procedure, aspect: Aspect, dept: Department) -> list[str]:
    if aspect is Aspect.documents:
        lines = [f'Dạ, hồ sơ thủ tục "{p.name}" gồm:']
        for i, doc in enumerate(p.documents, 1):
            detail = f"{_FORM_LABEL[doc.form]}, {doc.copies:02d} bản"
            lines.append(f"{i}. {doc.name} ({detail})" + (f" — {doc.note}" if doc.note else ""))
    elif aspect is Aspect.time:
        lines = [f'Dạ, thời hạn giải quyết thủ tục "{p.short_name}": {p.processing_time.text}']
    elif aspect is Aspect.fee:
        lines = [f'Dạ, lệ phí thủ tục "{p.short_name}": {p.fee.text}']
    elif aspect is Aspect.submission:
        lines = [f'Dạ, anh/chị có thể nộp hồ sơ "{p.short_name}" theo các cách sau:']
        lines += _submission_lines(p, dept)
        lines.append(f"Cơ quan giải quyết: {_authority(p)}.")
    elif aspect is Aspect.legal_basis:
        lines = [f'Dạ, căn cứ pháp lý của thủ tục "{p.short_name}":']
        lines += [f"• {law}" for law in p.legal_basis]
        lines += _sources(p)
    else:
        lines = [
            f'Dạ, trường hợp này anh/chị làm thủ tục "{p.name}"'
            + (f" (mã {p.code})." if p.code else "."),
            f"• Nơi giải quyết: {_authority(p)}",
            f"• Thời hạn: {p.processing_time.text}",
            f"• Lệ phí: {p.fee.text}",
            f"• Kết quả: {p.result}",
        ]
        lines += [f"• {note}" for note in p.notes]
        lines.append("Anh/chị muốn xem thêm thông tin nào ạ?")
    return lines
