"""Schema of a procedure record (thủ tục hành chính).

One YAML file per procedure lives in ``knowledge/data/procedures/``; staff edit those
files by hand, so the schema is strict (unknown keys are errors) and says in Vietnamese-
friendly terms what each field holds. ``python -m knowledge.validate`` checks every file.

A citizen turned away at the desk for a wrong fact has been harmed, so every group of facts
(:class:`FactGroup`) names the sources that state it, each with the day it was checked, or
says in an ``uncertain`` note what no source confirms; the bot then says so for that fact.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator


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
    desk_note: str | None = Field(default=None, description="Where to hand it in, if not the desk")
    desk_hours: str | None = Field(default=None, description="If not the department's hours")


class FactGroup(str, Enum):
    """The groups of fields that carry their own provenance (source and check date)."""

    identity = "identity"  # code, name, level, valid_from
    authorities = "authorities"
    applicants = "applicants"
    documents = "documents"
    processing_time = "processing_time"
    fee = "fee"
    channels = "channels"
    steps = "steps"
    result = "result"
    legal_basis = "legal_basis"


# How each group is named to a citizen ("Riêng lệ phí, thời hạn: … cần xác nhận lại …").
FACT_LABELS: dict[FactGroup, str] = {
    FactGroup.identity: "mã và ngày áp dụng",
    FactGroup.authorities: "nơi giải quyết",
    FactGroup.applicants: "đối tượng thực hiện",
    FactGroup.documents: "thành phần hồ sơ",
    FactGroup.processing_time: "thời hạn",
    FactGroup.fee: "lệ phí",
    FactGroup.channels: "cách nộp",
    FactGroup.steps: "các bước",
    FactGroup.result: "kết quả",
    FactGroup.legal_basis: "căn cứ pháp lý",
}

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
CODE = r"^[1-3]\.\d{6}(\.[0-9A-Z]+)*$"


class Source(Strict):
    """A page or legal text a fact was checked against, and when it was last checked."""

    id: str = Field(pattern=SLUG, description="Key the provenance entries refer to")
    title: str = Field(min_length=3)
    url: HttpUrl | None = None
    legal_text: str | None = Field(default=None, description="e.g. Thông tư 10/2026/TT-BGDĐT")
    checked: dt.date = Field(description="Day someone last read the source for this record")

    @model_validator(mode="after")
    def _locatable(self) -> Source:
        if self.url is None and not self.legal_text:
            raise ValueError(f"source '{self.id}' needs a url or a legal_text")
        return self


class Provenance(Strict):
    """Where one group of facts comes from; a group no source confirms says what is doubtful."""

    sources: list[str] = Field(default_factory=list, description="Source ids")
    uncertain: str | None = Field(default=None, description="What no source confirms (staff)")

    @model_validator(mode="after")
    def _backed_or_flagged(self) -> Provenance:
        if not self.sources and not self.uncertain:
            raise ValueError("a fact group needs a source or an 'uncertain' note")
        return self


class ReplacedProcedure(Strict):
    """An older procedure this one replaced: citizens still ask for it by its old name."""

    code: str | None = Field(default=None, pattern=CODE)
    name: str = Field(min_length=10)
    until: dt.date | None = Field(
        default=None, description="Day the new procedure took its place; None = not confirmed"
    )
    source: str = Field(description="Source id of the text that replaced it")


class Repeal(Strict):
    """Set on a record kept only to tell citizens the procedure no longer exists."""

    on: dt.date
    by: str = Field(min_length=5, description="The text that repealed it")
    source: str = Field(description="Source id")
    instead: str = Field(min_length=10, description="What a citizen does now, in Vietnamese")


class Facets(Strict):
    """Attributes that tell close procedures apart; the assistant asks about the first facet
    on which the candidate procedures differ (e.g. THCS or THPT, lost or wrong diploma)."""

    # wrong_info: the holder's details changed or were supplied wrong (chỉnh sửa);
    # issuer_error: the issuing body wrote them wrong (cấp lại, Thông tư 10/2026).
    diploma_problem: Literal["lost", "wrong_info", "issuer_error"] | None = None
    exam: Literal["graduation", "grade10"] | None = None
    student_origin: Literal["domestic", "returning", "foreign"] | None = None
    school_level: Literal["mam_non", "tieu_hoc", "thcs", "thpt"] | None = None
    stage: (
        Literal["founding", "operating", "reopening", "restructuring", "conversion", "dissolution"]
        | None
    ) = None


class Procedure(Strict):
    id: str = Field(pattern=SLUG, description="Stable slug = file name")
    code: str | None = Field(default=None, pattern=CODE, description="Mã TTHC, e.g. 1.005092")
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
    sources: list[Source] = Field(min_length=1)
    provenance: dict[FactGroup, Provenance] = Field(
        description="Per group of facts: its sources, or what is uncertain; every group present"
    )
    replaces: list[ReplacedProcedure] = Field(default_factory=list)
    repealed: Repeal | None = None
    notes: list[str] = Field(default_factory=list, description="Advice shown with the answer")
    facets: Facets = Field(default_factory=Facets)

    @model_validator(mode="after")
    def _provenance_complete(self) -> Procedure:
        ids = [source.id for source in self.sources]
        if len(set(ids)) != len(ids):
            raise ValueError("source ids must be unique")
        missing = [g.value for g in FactGroup if g not in self.provenance]
        if missing:
            raise ValueError(f"provenance missing for: {', '.join(missing)}")
        cited = {s for entry in self.provenance.values() for s in entry.sources}
        cited |= {r.source for r in self.replaces}
        if self.repealed:
            cited.add(self.repealed.source)
        unknown = sorted(cited - set(ids))
        if unknown:
            raise ValueError(f"unknown source ids: {', '.join(unknown)}")
        return self

    def uncertain(self, group: FactGroup) -> bool:
        """Whether the citizen must be told this group of facts needs confirming."""
        return self.provenance[group].uncertain is not None

    def uncertain_among(self, groups: list[FactGroup]) -> list[FactGroup]:
        return [group for group in groups if self.uncertain(group)]

    def checked(self, group: FactGroup) -> dt.date | None:
        """The newest check of the sources behind a group of facts."""
        dates = [s.checked for s in self.sources if s.id in self.provenance[group].sources]
        return max(dates, default=None)

    @field_validator("situations", "keywords", "applicants", "steps", "legal_basis")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        if any(not item.strip() for item in items):
            raise ValueError("items must not be blank")
        return items
