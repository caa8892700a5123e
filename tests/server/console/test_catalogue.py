"""The catalogue pages: list and search, a record with its history, edit as a draft, submit,
publish through review, and roll back; with the role and CSRF checks of every route."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.staff import audit
from server.staff.accounts import Role
from tests.server.console.catalogue_helpers import (
    COPY,
    COPY_CODE,
    draft_id,
    edit,
    see_publishes_at_once,
    version_rows,
)
from tests.server.console.conftest import Officer

Login = Callable[..., Officer]
GET_ROUTES = [
    "/staff/catalogue",
    f"/staff/catalogue/{COPY}",
    f"/staff/catalogue/{COPY}/edit",
    f"/staff/catalogue/{COPY}/drafts/1",
]
POST_ROUTES = [
    f"/staff/catalogue/{COPY}/edit",
    f"/staff/catalogue/{COPY}/drafts/1/submit",
    f"/staff/catalogue/{COPY}/drafts/1/withdraw",
    f"/staff/catalogue/{COPY}/versions/1/rollback",
]


@pytest.fixture(autouse=True)
def _pages(monkeypatch: pytest.MonkeyPatch) -> None:
    see_publishes_at_once(monkeypatch)


def _fee(officer: Officer) -> int | None:
    record = officer.client.app.state.catalogue.get(COPY)  # type: ignore[attr-defined]
    return record.fee.amount_vnd  # type: ignore[no-any-return]


def _publish(reviewer: Officer, version_id: int) -> None:
    response = reviewer.post(f"/staff/review/{version_id}/publish", {"review_note": "Đúng"})
    assert response.status_code == 303, response.text


def _submit(editor: Officer, version_id: int) -> None:
    response = editor.post(f"/staff/catalogue/{COPY}/drafts/{version_id}/submit")
    assert response.status_code == 303, response.text


@pytest.mark.parametrize(
    ("method", "path"), [("GET", p) for p in GET_ROUTES] + [("POST", p) for p in POST_ROUTES]
)
def test_anonymous_is_sent_to_login(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=")


def test_desk_officers_cannot_see_or_edit_the_catalogue(login: Login) -> None:
    desk = login(Role.desk)
    for path in GET_ROUTES:
        assert desk.client.get(path).status_code == 403, path
    for path in POST_ROUTES:
        assert desk.post(path).status_code == 403, path
    assert version_rows() == 0


def test_reviewers_read_but_do_not_edit_and_editors_do_not_roll_back(login: Login) -> None:
    reviewer, editor = login(Role.reviewer), login(Role.editor)
    assert reviewer.client.get("/staff/catalogue").status_code == 200
    assert reviewer.client.get(f"/staff/catalogue/{COPY}/edit").status_code == 403
    assert reviewer.post(f"/staff/catalogue/{COPY}/edit").status_code == 403
    assert editor.post(f"/staff/catalogue/{COPY}/versions/1/rollback").status_code == 403


@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_post_without_the_csrf_token_is_refused(login: Login, path: str) -> None:
    officer = login(Role.editor, Role.reviewer)
    response = officer.client.post(path, data={"edit_note": "x"}, follow_redirects=False)
    assert response.status_code == 403 and "Biểu mẫu đã hết hạn" in response.text


def test_edit_submit_publish_and_roll_back_a_fee(login: Login) -> None:
    editor, reviewer = login(Role.editor), login(Role.reviewer)
    assert _fee(reviewer) is None
    saved = edit(editor, COPY, "QĐ 45 của tỉnh", fee__amount_vnd="50.000", fee__text="50.000 đồng")
    first = draft_id(saved)
    draft = editor.client.get(saved.headers["location"])
    assert (
        "Đã lưu bản nháp" in draft.text
        and "50.000 đồng" in draft.text
        and "Gửi duyệt" in draft.text
    )
    assert _fee(reviewer) is None  # a draft reaches nobody
    _submit(editor, first)
    queue = reviewer.client.get("/staff/review")
    assert f"/staff/review/{first}" in queue.text and "QĐ 45 của tỉnh" in queue.text
    _publish(reviewer, first)
    assert _fee(reviewer) == 50000 and _fee(editor) == 50000  # every process, no restart

    second = draft_id(edit(editor, COPY, fee__amount_vnd="70000", fee__text="70.000 đồng"))
    _submit(editor, second)
    _publish(reviewer, second)
    assert _fee(reviewer) == 70000

    page = reviewer.client.get(f"/staff/catalogue/{COPY}")
    assert page.text.count("Khôi phục</button>") == 1  # the earlier version, not the current one
    assert "Đã sửa trên bảng điều khiển" in reviewer.client.get("/staff/catalogue").text
    rolled = reviewer.post(f"/staff/catalogue/{COPY}/versions/{first}/rollback")
    assert rolled.status_code == 303 and "rolled_back" in rolled.headers["location"]
    assert _fee(reviewer) == 50000
    history = reviewer.client.get(f"/staff/catalogue/{COPY}").text
    assert f"Khôi phục phiên bản #{first}" in history
    actions = [entry.action for entry in audit.entries(action="record_rolled_back")]
    assert actions == ["record_rolled_back"]


def test_a_form_error_is_shown_beside_its_field_and_nothing_is_saved(login: Login) -> None:
    editor = login(Role.editor)
    response = edit(editor, COPY, fee__amount_vnd="năm mươi nghìn", short_name="")
    assert response.status_code == 422
    assert "Cần số tiền bằng chữ số" in response.text and "cần điền" in response.text
    assert "năm mươi nghìn" in response.text  # what the officer typed is kept
    assert version_rows() == 0


def test_a_duplicate_code_is_refused_before_it_is_saved(login: Login) -> None:
    editor = login(Role.editor)
    taken = "2.002850"  # Cấp lại văn bằng, chứng chỉ
    response = edit(editor, COPY, code=taken)
    assert response.status_code == 422 and taken in response.text
    assert version_rows() == 0


def test_continuing_a_draft_changes_it_in_place_and_it_can_be_withdrawn(login: Login) -> None:
    editor = login(Role.editor)
    first = draft_id(edit(editor, COPY, fee__amount_vnd="1000", fee__text="1.000 đồng"))
    assert f"Sửa tiếp bản nháp #{first}" in editor.client.get(f"/staff/catalogue/{COPY}").text
    again = draft_id(edit(editor, COPY, fee__amount_vnd="2000", fee__text="2.000 đồng"))
    assert again == first and version_rows() == 1
    assert "2.000 đồng" in editor.client.get(f"/staff/catalogue/{COPY}/drafts/{first}").text
    other = login(Role.editor)
    assert other.post(f"/staff/catalogue/{COPY}/drafts/{first}/withdraw").status_code == 403
    assert editor.post(f"/staff/catalogue/{COPY}/drafts/{first}/withdraw").status_code == 303
    assert "Sửa thủ tục" in editor.client.get(f"/staff/catalogue/{COPY}").text


def test_search_without_diacritics_filters_and_badges(login: Login) -> None:
    editor = login(Role.editor)
    found = editor.client.get("/staff/catalogue", params={"q": "cap ban sao van bang"}).text
    assert f'/staff/catalogue/{COPY}"' in found
    assert '/staff/catalogue/dang-ky-du-thi-tot-nghiep-thpt"' not in found
    by_code = editor.client.get("/staff/catalogue", params={"q": COPY_CODE}).text
    assert by_code.count('<tr>\n    <td><a href="/staff/catalogue/') == 1
    communes = editor.client.get("/staff/catalogue", params={"level": "xa"}).text
    assert f'/staff/catalogue/{COPY}"' not in communes  # a provincial procedure
    assert f'/staff/catalogue/{COPY}-tai-cap-xa"' in communes
    uncertain = editor.client.get("/staff/catalogue", params={"check": "uncertain"}).text
    assert "nhóm</span>" in uncertain and "flag warn" in uncertain
    edit(editor, COPY, fee__amount_vnd="1000", fee__text="1.000 đồng")
    assert "Có bản nháp" in editor.client.get("/staff/catalogue", params={"q": COPY_CODE}).text


def test_edits_start_from_the_record_without_the_local_overrides(
    login: Login, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    overrides = tmp_path / "local_overrides.yml"
    overrides.write_text(
        "department: Sở GDĐT thử nghiệm\n"
        "procedures:\n"
        f"  {COPY}:\n"
        "    fee: {amount_vnd: 0, text: Sở không thu phí này}\n"
        "    source: {title: Quyết định của tỉnh, legal_text: QĐ 9/QĐ-UBND, checked: 2026-11-30}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("LOCAL_OVERRIDES_FILE", str(overrides))
    see_publishes_at_once(monkeypatch)
    editor = login(Role.editor)
    page = editor.client.get(f"/staff/catalogue/{COPY}").text
    assert "Sở không thu phí này" in page and "giá trị riêng" in page and "lệ phí" in page
    form = editor.client.get(f"/staff/catalogue/{COPY}/edit").text
    assert "Sở không thu phí này" not in form  # the local value is not copied into the record
    draft = draft_id(edit(editor, COPY, notes="Mang theo căn cước."))
    body = editor.client.get(f"/staff/catalogue/{COPY}/drafts/{draft}").text
    assert "Sở không thu phí này" not in body and "Mang theo căn cước." in body


def test_unknown_records_and_versions_are_404(login: Login) -> None:
    editor = login(Role.editor)
    assert editor.client.get("/staff/catalogue/khong-co").status_code == 404
    assert editor.client.get(f"/staff/catalogue/{COPY}/drafts/999").status_code == 404
    assert editor.client.get(f"/staff/catalogue/{COPY}/edit?from=999").status_code == 404
