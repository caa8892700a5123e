from __future__ import annotations

import pytest

from knowledge.catalogue import Catalogue
from knowledge.retrieval import ProcedureSearch
from knowledge.school_levels import grade_level, school_levels
from knowledge.vietnamese import keys


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("con học lớp 7", {"thcs"}),
        ("em lop 11 a", {"thpt"}),
        ("bé vào lớp 1", {"tieu_hoc"}),
        ("chuyển trường cấp 3", {"thpt"}),
        ("trường trung học cơ sở", {"thcs"}),
        ("nhóm trẻ gia đình", {"mam_non"}),
        ("con lớp 9 muốn thi vào lớp 10", {"thcs", "thpt"}),
        ("lớp 15 nghiệp vụ", set()),
        ("mất bằng tốt nghiệp", set()),
    ],
)
def test_levels_named_by_name_or_grade(text: str, levels: set[str]) -> None:
    assert school_levels(keys(text)) == levels


def test_grade_boundaries() -> None:
    assert [grade_level(g) for g in (0, 1, 5, 6, 9, 10, 12, 13)] == [
        None, "tieu_hoc", "tieu_hoc", "thcs", "thcs", "thpt", "thpt", None,
    ]  # fmt: skip


def test_named_level_outranks_a_record_for_another_level() -> None:
    search = ProcedureSearch(Catalogue())
    for question, expected in [
        ("xin phép mở trường tư thục cấp 1", "thanh-lap-truong-tieu-hoc"),
        ("xin phep mo truong tu thuc cap 2", "thanh-lap-truong-trung-hoc-co-so"),
        ("xin phép mở trường tư thục cấp 3", "thanh-lap-truong-trung-hoc-pho-thong"),
    ]:
        hits = search.search(question, k=3)
        assert hits[0].procedure.id == expected, (question, [h.procedure.id for h in hits])
