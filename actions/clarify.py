"""The one question that separates close candidate procedures.

Records carry *facets* (school level, lost or wrong diploma, founding or dissolution...).
When search leaves several close candidates, we ask about the first facet on which they
differ, with one button per value, and map the citizen's answer (button or typed, with or
without diacritics, "cấp 3", "lớp 7", "bị mất") back to a value.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.models import Facets, Procedure
from knowledge.school_levels import LEVEL_WORDS, school_levels
from knowledge.vietnamese import key_forms, keys

UNKNOWN = "__unknown__"


@dataclass(frozen=True)
class Facet:
    question: str
    labels: dict[str, str]  # value -> button label
    cues: dict[str, tuple[str, ...]]  # value -> word keys that point to it


FACETS: dict[str, Facet] = {
    "diploma_problem": Facet(
        "Dạ, văn bằng của anh/chị đang gặp trường hợp nào ạ?",
        {"lost": "Bị mất, hỏng", "wrong_info": "Cần sửa thông tin (đổi hộ tịch, khai sai)",
         "issuer_error": "Nơi cấp ghi nhầm"},
        {"lost": ("mat", "hong", "chay", "rach", "that_lac", "bi_mat", "ban_sao"),
         "wrong_info": ("sai", "sua", "chinh_sua", "ghi_sai", "thong_tin", "dinh_chinh",
                        "cai_chinh", "ho_tich", "doi_ten", "thay_doi", "khai_sai"),
         "issuer_error": ("sai", "ghi_sai", "nham", "in_nham", "ghi_nham", "in_sai", "noi_cap",
                          "cap_lai")},
    ),
    "exam": Facet(
        "Dạ, anh/chị hỏi về kỳ thi nào ạ?",
        {"graduation": "Thi tốt nghiệp THPT", "grade10": "Thi tuyển sinh lớp 10"},
        {"graduation": ("tot_nghiep", "thpt_quoc_gia"),
         "grade10": ("lop_10", "10", "tuyen_sinh", "vao_10", "vao")},
    ),
    "student_origin": Facet(
        "Dạ, học sinh chuyển từ đâu đến ạ?",
        {"domestic": "Từ một trường trong nước", "returning": "Học ở nước ngoài về",
         "foreign": "Học sinh là người nước ngoài"},
        {"domestic": ("trong_nuoc", "tinh", "trong", "tp", "thanh_pho", "huyen"),
         "returning": ("ve_nuoc", "o_nuoc_ngoai", "ve"),
         "foreign": ("nguoi_nuoc_ngoai", "quoc_tich", "nuoc_ngoai")},
    ),
    "school_level": Facet(
        "Dạ, anh/chị hỏi cho cấp học nào ạ?",
        {"mam_non": "Mầm non", "tieu_hoc": "Tiểu học (cấp 1)", "thcs": "THCS (cấp 2)",
         "thpt": "THPT (cấp 3)"},
        LEVEL_WORDS,
    ),
    "stage": Facet(
        "Dạ, anh/chị cần làm bước nào ạ?",
        {"founding": "Thành lập mới", "operating": "Xin phép hoạt động",
         "reopening": "Hoạt động trở lại", "restructuring": "Sáp nhập, chia tách",
         "conversion": "Chuyển đổi loại hình", "dissolution": "Giải thể"},
        {"founding": ("thanh_lap", "mo", "mo_moi"),
         "operating": ("hoat_dong", "cho_phep", "giay_phep"),
         "reopening": ("tro_lai", "dinh_chi"),
         "restructuring": ("sap_nhap", "chia_tach", "tach", "nhap", "gop"),
         "conversion": ("chuyen_doi", "khong_vi_loi_nhuan", "loai_hinh"),
         "dissolution": ("giai_the", "dong_cua", "dung")},
    ),
}  # fmt: skip


def facet_value(procedure: Procedure, facet: str) -> str | None:
    value: str | None = getattr(procedure.facets, facet)
    return value


def separating_facet(candidates: list[Procedure]) -> tuple[str, list[Procedure]] | None:
    """The first facet of the best candidate on which another candidate differs, with the
    candidates that have that facet (the question is about them only)."""
    for facet in Facets.model_fields:
        if facet_value(candidates[0], facet) is None:
            continue
        having = [c for c in candidates if facet_value(c, facet) is not None]
        if len({facet_value(c, facet) for c in having}) > 1:
            return facet, having
    return None


def options(facet: str, candidates: list[Procedure]) -> list[str]:
    """Values of ``facet`` among the candidates, in the facet's own order."""
    present = {facet_value(c, facet) for c in candidates}
    return [value for value in FACETS[facet].labels if value in present]


def match_answer(facet: str, answer: str, allowed: list[str]) -> str | None:
    """The value the citizen chose: a button label, its number, or words that point to one."""
    spec = FACETS[facet]
    text = answer.strip()
    for value in allowed:
        if text.lower() == spec.labels[value].lower():
            return value
    if text.isdigit() and 1 <= int(text) <= len(allowed):
        return allowed[int(text) - 1]
    found = named_values(facet, keys(text)) & set(allowed)
    return found.pop() if len(found) == 1 else None


def named_values(facet: str, words: list[str]) -> set[str]:
    """The values of ``facet`` that the citizen's words point to."""
    if facet == "school_level":
        return school_levels(words)
    forms = key_forms(words)
    return {value for value, cues in FACETS[facet].cues.items() if forms.intersection(cues)}
