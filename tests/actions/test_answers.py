"""Answer wording: doubts said once and only where they are, repeals and replacements said."""

from __future__ import annotations

from actions.answers import TO_CONFIRM, Aspect, render
from knowledge.department import load_department
from knowledge.models import FactGroup, Procedure
from knowledge.retrieval import old_name_asked
from tests.knowledge.sample import sample_record

DEPT = load_department()


def record(uncertain: tuple[FactGroup, ...] = (), **changes: object) -> Procedure:
    provenance = {g.value: {"sources": ["dvcqg"]} for g in FactGroup}
    for group in uncertain:
        provenance[group.value] = {"uncertain": "Chưa có nguồn xác nhận."}
    return Procedure.model_validate(sample_record(provenance=provenance, **changes))


def test_a_fully_sourced_answer_carries_no_caveat() -> None:
    for aspect in Aspect:
        assert TO_CONFIRM not in render(record(), aspect, DEPT)


def test_an_uncertain_fee_is_flagged_when_the_fee_is_shown_and_only_then() -> None:
    p = record(uncertain=(FactGroup.fee,))
    assert render(p, Aspect.fee, DEPT).endswith(
        "Thông tin này cần xác nhận lại với bộ phận một cửa ạ."
    )
    assert TO_CONFIRM not in render(p, Aspect.documents, DEPT)
    overview = render(p, Aspect.overview, DEPT)
    assert overview.count(TO_CONFIRM) == 1 and "Riêng lệ phí: " in overview


def test_several_doubts_in_one_answer_are_named_in_one_clause() -> None:
    p = record(uncertain=(FactGroup.fee, FactGroup.processing_time))
    overview = render(p, Aspect.overview, DEPT)
    assert overview.count(TO_CONFIRM) == 1 and "Riêng thời hạn, lệ phí: " in overview


def test_legal_basis_answer_names_each_source_and_its_check_date() -> None:
    text = render(record(), Aspect.legal_basis, DEPT)
    assert "https://dichvucong.gov.vn" in text and "kiểm tra ngày 30/11/2026" in text


def test_a_repealed_procedure_says_so_and_what_to_do_instead() -> None:
    p = record(
        repealed={
            "on": "2025-02-14",
            "by": "Thông tư 29/2024/TT-BGDĐT",
            "source": "dvcqg",
            "instead": "Anh/chị đăng ký kinh doanh và công khai thông tin lớp học.",
        }
    )
    for aspect in (Aspect.overview, Aspect.fee):
        text = render(p, aspect, DEPT)
        assert "không còn áp dụng từ ngày 14/02/2025" in text and "đăng ký kinh doanh" in text
        assert "Lệ phí" not in text


OLD = {
    "code": "2.002481",
    "name": "Chuyển trường đối với học sinh trung học cơ sở",
    "until": "2026-05-19",
    "source": "dvcqg",
}


def test_a_question_with_the_old_name_is_told_what_replaced_it() -> None:
    p = record(name="Chuyển trường và tiếp nhận học sinh", replaces=[OLD])
    for question in (
        "thủ tục chuyển trường đối với học sinh trung học cơ sở",
        "chuyen truong doi voi hoc sinh trung hoc co so can gi",
        "thủ tục 2.002481 còn làm được không",
    ):
        old = old_name_asked(question, p)
        assert old is not None and old.code == "2.002481", question
        assert render(p, Aspect.overview, DEPT, old).startswith(
            'Thủ tục "Chuyển trường đối với học sinh trung học cơ sở" nay đã được thay bằng'
        )
    undated = record(name="Chuyển trường và tiếp nhận học sinh", replaces=[{**OLD, "until": None}])
    assert "(từ ngày" not in render(undated, Aspect.overview, DEPT, undated.replaces[0])
    assert old_name_asked("xin chuyển trường cho con", p) is None
    assert old_name_asked("chuyển trường và tiếp nhận học sinh", p) is None
