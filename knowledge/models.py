"""Schema of a procedure record (thủ tục hành chính).

One YAML file per procedure lives in ``knowledge/data/procedures/``; staff edit those
files by hand, so the schema is strict (unknown keys are errors) and says in Vietnamese-
friendly terms what each field holds. ``python -m knowledge.validate`` checks every file.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator


class Field_(str, Enum):
    """Fields (lĩnh vực) in which education procedures are published."""

    diplomas = "van_bang_chung_chi"  # Hệ thống văn bằng, chứng chỉ
    exams = "thi_tuyen_sinh"  # Quy chế thi, tuyển sinh
    secondary = "giao_duc_trung_hoc"  # Giáo dục trung học
    primary = "giao_duc_tieu_hoc"  # Giáo dục tiểu học
    preschool = "giao_duc_mam_non"  # Giáo dục mầm non
    continuing = "giao_duc_thuong_xuyen"  # Giáo dục thường xuyên, incl. language/IT centres
    ethnic = "giao_duc_dan_toc"  # Giáo dục dân tộc
    vocational = "giao_duc_nghe_nghiep"  # Giáo dục nghề nghiệp
    foreign = "dao_tao_voi_nuoc_ngoai"  # Đào tạo với nước ngoài (incl. study-abroad consulting)
    accreditation = "kiem_dinh_chat_luong"  # Kiểm định chất lượng giáo dục
    system = "he_thong_giao_duc_quoc_dan"  # Giáo dục và đào tạo thuộc hệ thống giáo dục quốc dân
    other = "khac"


class Level(str, Enum):
    """Who decides, after the two-tier local government reform of 1 July 2025."""

    ministry = "bo"  # Bộ Giáo dục và Đào tạo
    province = "tinh"  # Sở GDĐT / UBND tỉnh
    commune = "xa"  # UBND xã / phường (took over most former district-level procedures)
    institution = "co_so"  # the school or training institution itself


class DocumentForm(str, Enum):
    original = "ban_chinh"
    copy = "ban_sao"
    certified_copy = "ban_sao_chung_thuc"  # or a copy presented with the original
    original_or_copy = "ban_chinh_hoac_ban_sao"
    electronic = "ban_dien_tu"


class OnlineService(str, Enum):
    full = "toan_trinh"  # dịch vụ công trực tuyến toàn trình
    partial = "mot_phan"  # một phần
    none = "khong"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Authority(Strict):
    level: Level
    name: str = Field(min_length=3, description="Cơ quan có thẩm quyền giải quyết")
    note: str | None = None


class RequiredDocument(Strict):
    name: str = Field(min_length=3)
    copies: int = Field(default=1, ge=1, le=10)
    form: DocumentForm = DocumentForm.original
    note: str | None = None


class ProcessingTime(Strict):
    days: int | None = Field(default=None, ge=0, le=365)
    working_days: bool = True
    text: str = Field(min_length=3, description="Wording shown to citizens")


class Fee(Strict):
    amount_vnd: int | None = Field(default=None, ge=0, description="0 = free; null = varies")
    text: str = Field(min_length=2)


class Channels(Strict):
    online: OnlineService = OnlineService.none
    post: bool = True
    desk: bool = True
    online_url: HttpUrl | None = None
    desk_note: str | None = None


class Facets(Strict):
    """Attributes that tell close procedures apart; the assistant asks about the first facet
    on which the candidate procedures differ (e.g. THCS or THPT, lost or wrong diploma)."""

    diploma_problem: Literal["lost", "wrong_info"] | None = None
    exam: Literal["graduation", "grade10"] | None = None
    student_origin: Literal["domestic", "returning", "foreign"] | None = None
    school_level: Literal["mam_non", "tieu_hoc", "thcs", "thpt"] | None = None
    stage: Literal["founding", "operating", "reopening", "restructuring", "dissolution"] | None = (
        None
    )


class Procedure(Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="Stable slug = file name")
    code: str | None = Field(
        default=None, pattern=r"^[1-3]\.\d{6}(\.[0-9A-Z]+)*$", description="Mã TTHC, e.g. 1.005092"
    )
    name: str = Field(min_length=10, description="Official name")
    short_name: str = Field(min_length=3, max_length=60, description="Label for a button")
    field: Field_
    level: Level
    authorities: list[Authority] = Field(min_length=1)
    applicants: list[str] = Field(min_length=1, description="Who may apply")
    situations: list[str] = Field(
        min_length=2, description="Plain-language situations a citizen would describe"
    )
    keywords: list[str] = Field(default_factory=list)
    documents: list[RequiredDocument] = Field(min_length=1)
    processing_time: ProcessingTime
    fee: Fee
    channels: Channels
    steps: list[str] = Field(min_length=1, description="How to do it, in order")
    result: str = Field(min_length=3)
    legal_basis: list[str] = Field(min_length=1)
    valid_from: dt.date
    sources: list[HttpUrl] = Field(default_factory=list)
    uncertain: list[str] = Field(
        default_factory=list, description="Facts not confirmed by a source: say so, never invent"
    )
    notes: list[str] = Field(default_factory=list, description="Advice shown with the answer")
    facets: Facets = Field(default_factory=Facets)

    @field_validator("situations", "keywords", "applicants", "steps", "legal_basis")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        if any(not item.strip() for item in items):
            raise ValueError("items must not be blank")
        return items
