"""The import pages: upload and preview a procedure list, nothing stored when a row is wrong,
an error-free list kept as one draft batch, submitted, and published by a reviewer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from server.staff.accounts import Role
from server.staff.catalogue_versions import CatalogueVersions, Status
from tests.server.console.catalogue_helpers import (
    COPY,
    COPY_CODE,
    see_publishes_at_once,
    version_rows,
)
from tests.server.console.conftest import Officer

Login = Callable[..., Officer]
HEADER = 'STT,Mã TTHC,Tên thủ tục hành chính,"Phí, lệ phí"'
GOOD_ROW = f'1,{COPY_CODE},Cấp bản sao văn bằng,"50.000 đồng/bản"'
UNKNOWN_ROW = "2,1.999999,Thủ tục không có trong danh mục,Không"
SOURCE = {
    "source_title": "Quyết định công bố danh mục thủ tục hành chính",
    "source_legal_text": "Quyết định 123/QĐ-UBND",
    "source_checked": "2026-11-30",
    "note": "Danh mục mới của tỉnh",
}
GET_ROUTES = ["/staff/catalogue/import", "/staff/catalogue/import/abc"]
POST_ROUTES = [
    "/staff/catalogue/import",
    "/staff/catalogue/import/abc/submit",
    "/staff/catalogue/import/abc/withdraw",
]


@pytest.fixture(autouse=True)
def _pages(monkeypatch: pytest.MonkeyPatch) -> None:
    see_publishes_at_once(monkeypatch)


def _upload(officer: Officer, *rows: str, **source: str):  # type: ignore[no-untyped-def]
    data = "\n".join((HEADER, *rows)).encode("utf-8")
    files = {"file": ("danh-muc.csv", data, "text/csv")}
    return officer.post("/staff/catalogue/import", {**SOURCE, **source}, files=files)


def _batch_id(editor: Officer) -> str:
    batches = CatalogueVersions().draft_batches(editor.account)
    assert len(batches) == 1
    return next(iter(batches))


@pytest.mark.parametrize(
    ("method", "path"), [("GET", p) for p in GET_ROUTES] + [("POST", p) for p in POST_ROUTES]
)
def test_anonymous_is_sent_to_login(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/login?next={path}"


@pytest.mark.parametrize("roles", [(Role.desk,), (Role.reviewer,)])
def test_only_editors_import(login: Login, roles: tuple[Role, ...]) -> None:
    officer = login(*roles)
    for path in GET_ROUTES:
        assert officer.client.get(path).status_code == 403, path
    assert _upload(officer, GOOD_ROW).status_code == 403
    for path in POST_ROUTES[1:]:
        assert officer.post(path).status_code == 403, path
    assert version_rows() == 0


@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_post_without_the_csrf_token_is_refused(login: Login, path: str) -> None:
    editor = login(Role.editor)
    files = {"file": ("danh-muc.csv", f"{HEADER}\n{GOOD_ROW}".encode(), "text/csv")}
    response = editor.client.post(path, data=SOURCE, files=files, follow_redirects=False)
    assert response.status_code == 403 and "Biểu mẫu đã hết hạn" in response.text
    assert version_rows() == 0


def test_the_import_page_is_not_read_as_a_record(login: Login) -> None:
    page = login(Role.editor).client.get("/staff/catalogue/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text


def test_a_list_with_a_row_error_stores_nothing(login: Login) -> None:
    editor = login(Role.editor)
    page = _upload(editor, GOOD_ROW, UNKNOWN_ROW)
    assert page.status_code == 422
    assert "không tìm thấy thủ tục" in page.text and "chưa lưu thay đổi nào" in page.text
    assert "50.000" in page.text  # the good row's change is still shown
    assert "Gửi duyệt" not in page.text
    assert version_rows() == 0


def test_a_list_without_its_source_is_refused(login: Login) -> None:
    editor = login(Role.editor)
    page = _upload(editor, GOOD_ROW, source_title="", source_legal_text="")
    assert page.status_code == 422
    assert "tên văn bản" in page.text and "đường dẫn hoặc số hiệu" in page.text
    assert version_rows() == 0


def test_an_import_is_submitted_and_published_as_one_batch(login: Login) -> None:
    editor, reviewer = login(Role.editor), login(Role.reviewer)
    page = _upload(editor, GOOD_ROW)
    assert page.status_code == 200 and "Gửi duyệt 1 thay đổi" in page.text
    batch_id = _batch_id(editor)
    assert "/staff/review/imports/" not in reviewer.client.get("/staff/review").text
    submitted = editor.post(f"/staff/catalogue/import/{batch_id}/submit")
    assert submitted.status_code == 303
    assert {v.status for v in CatalogueVersions().batch(batch_id)} == {Status.submitted}
    queue = reviewer.client.get("/staff/review").text
    assert f"/staff/review/imports/{batch_id}" in queue
    review = reviewer.client.get(f"/staff/review/imports/{batch_id}").text
    assert "Quyết định 123/QĐ-UBND" in review and "50.000" in review
    published = reviewer.post(f"/staff/review/imports/{batch_id}/publish", {"review_note": "Khớp"})
    assert published.status_code == 303
    record = reviewer.client.app.state.catalogue.get(COPY)  # type: ignore[attr-defined]
    assert record.fee.amount_vnd == 50000
    assert any(source.legal_text == "Quyết định 123/QĐ-UBND" for source in record.sources)


def test_an_import_can_be_cancelled_and_a_new_preview_replaces_the_last(login: Login) -> None:
    editor = login(Role.editor)
    _upload(editor, GOOD_ROW)
    first = _batch_id(editor)
    _upload(editor, GOOD_ROW)
    second = _batch_id(editor)
    assert second != first
    assert {v.status for v in CatalogueVersions().batch(first)} == {Status.withdrawn}
    other = login(Role.editor)
    assert other.client.get(f"/staff/catalogue/import/{second}").status_code == 404
    assert other.post(f"/staff/catalogue/import/{second}/withdraw").status_code == 403
    cancelled = editor.post(f"/staff/catalogue/import/{second}/withdraw")
    assert cancelled.status_code == 303
    assert CatalogueVersions().draft_batches(editor.account) == {}
