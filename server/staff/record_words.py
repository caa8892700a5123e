"""Procedure facts said in words, as the console shows them to officers.

The diff a reviewer reads and the form an editor fills name things the same way: a
document with its form and copies ("Đơn đề nghị (bản chính, 01 bản)"), a fee or a time as
its wording to citizens, with the figure the record holds when the wording does not say it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from knowledge.models import (
    Authority,
    DocumentForm,
    Fee,
    Field_,
    Level,
    OnlineService,
    ProcessingTime,
    Provenance,
    Repeal,
    ReplacedProcedure,
    RequiredDocument,
    Source,
)
from server.staff.import_values import text_key, vnd

LEVEL_LABELS: dict[Level, str] = {
    Level.ministry: "Cấp Bộ",
    Level.province: "Cấp tỉnh",
    Level.commune: "Cấp xã",
    Level.institution: "Cơ sở giáo dục",
}
DOCUMENT_FORM_LABELS: dict[DocumentForm, str] = {
    DocumentForm.original: "Bản chính",
    DocumentForm.copy: "Bản sao",
    DocumentForm.certified_copy: "Bản sao có chứng thực hoặc bản sao kèm bản chính",
    DocumentForm.original_or_copy: "Bản chính hoặc bản sao",
    DocumentForm.electronic: "Bản điện tử",
}
ONLINE_LABELS: dict[OnlineService, str] = {
    OnlineService.none: "Không nộp trực tuyến",
    OnlineService.partial: "Trực tuyến một phần",
    OnlineService.full: "Trực tuyến toàn trình",
}
FIELD_OF_STUDY_LABELS: dict[Field_, str] = {
    Field_.diplomas: "Văn bằng, chứng chỉ",
    Field_.exams: "Thi, tuyển sinh",
    Field_.secondary: "Giáo dục trung học",
    Field_.primary: "Giáo dục tiểu học",
    Field_.preschool: "Giáo dục mầm non",
    Field_.continuing: "Giáo dục thường xuyên",
    Field_.ethnic: "Giáo dục dân tộc",
    Field_.vocational: "Giáo dục nghề nghiệp",
    Field_.foreign: "Đào tạo với nước ngoài",
    Field_.accreditation: "Kiểm định chất lượng giáo dục",
    Field_.system: "Hệ thống giáo dục quốc dân",
    Field_.other: "Khác",
}


def date_words(value: Any) -> str:
    return f"{value:%d/%m/%Y}"


def _said_figure(text: str, figure: str) -> bool:
    """Whether a wording already states the figure: "02 ngày làm việc" says "2 ngày làm
    việc" but not "2 ngày"."""
    squeeze = " ".join(word.lstrip("0") or "0" for word in text_key(text).split())
    return re.search(rf"(^| ){re.escape(text_key(figure))}( |$)(?!lam viec)", squeeze) is not None


def time_words(time: ProcessingTime, with_figure: bool = False) -> str:
    if not with_figure:
        return time.text
    if time.days is None:
        figure = "không có một con số chung"
    else:
        figure = f"{time.days} {'ngày làm việc' if time.working_days else 'ngày'}"
    return time.text if _said_figure(time.text, figure) else f"{time.text} ({figure})"


def fee_words(fee: Fee, with_figure: bool = False) -> str:
    if not with_figure:
        return fee.text
    if fee.amount_vnd is None:
        figure = "mức thu không cố định hoặc chưa rõ"
    elif fee.amount_vnd == 0:
        figure = "không thu"
    else:
        figure = vnd(fee.amount_vnd)
    free = fee.amount_vnd == 0 and text_key(fee.text).startswith(("khong", "mien"))
    said = free or (fee.amount_vnd is not None and vnd(fee.amount_vnd) in fee.text)
    return fee.text if said else f"{fee.text} ({figure})"


def document_words(doc: RequiredDocument) -> str:
    form = DOCUMENT_FORM_LABELS[doc.form].lower()
    return f"{doc.name} ({form}, {doc.copies:02d} bản)" + (f" — {doc.note}" if doc.note else "")


def authority_words(authority: Authority) -> str:
    level = LEVEL_LABELS[authority.level].lower()
    return f"{authority.name} ({level})" + (f" — {authority.note}" if authority.note else "")


def source_words(source: Source) -> str:
    where = "; ".join(str(w) for w in (source.url, source.legal_text) if w)
    return f"{source.title} — {where} (kiểm tra ngày {date_words(source.checked)})"


def provenance_words(entry: Provenance | None) -> str:
    if entry is None:
        return ""
    said = ", ".join(entry.sources) or "không có nguồn"
    return said + (f"; chưa chắc chắn: {entry.uncertain}" if entry.uncertain else "")


def replaced_words(old: ReplacedProcedure) -> str:
    code = f"{old.code} " if old.code else ""
    until = f"đến {date_words(old.until)}; " if old.until else ""
    return f"{code}{old.name} ({until}nguồn {old.source})"


def repeal_words(repeal: Repeal | None) -> str:
    if repeal is None:
        return ""
    return f"Từ {date_words(repeal.on)} theo {repeal.by} (nguồn {repeal.source}). {repeal.instead}"


def words(value: Any) -> str:
    """A scalar, or a whole value of a field without its own wording."""
    if value is None:
        return ""
    if isinstance(value, Level):
        return LEVEL_LABELS[value]
    if isinstance(value, Field_):
        return FIELD_OF_STUDY_LABELS[value]
    if isinstance(value, dt.date):
        return date_words(value)
    if isinstance(value, BaseModel):
        dumped = value.model_dump(mode="json", exclude_none=True)
        return "; ".join(f"{key}: {item}" for key, item in dumped.items())
    if isinstance(value, list | tuple):
        return "\n".join(f"{i}. {item_words(item)}" for i, item in enumerate(value, 1))
    return str(value)


def item_words(item: Any) -> str:
    for kind, say in ITEM_WORDS:
        if isinstance(item, kind):
            return say(item)
    return words(item)


ITEM_WORDS: list[tuple[type, Callable[[Any], str]]] = [
    (RequiredDocument, document_words),
    (Authority, authority_words),
    (Source, source_words),
    (ReplacedProcedure, replaced_words),
]
