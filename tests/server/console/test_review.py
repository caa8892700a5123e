"""The review pages: the queue, a change as a diff, publish or send back; four eyes, stale
drafts, and the role and CSRF checks of every route."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from server.staff.accounts import Role
from server.staff.catalogue_versions import CatalogueVersions, Status
from tests.server.console.catalogue_helpers import COPY, draft_id, edit, see_publishes_at_once
from tests.server.console.conftest import Officer

Login = Callable[..., Officer]
GET_ROUTES = ["/staff/review", "/staff/review/1", "/staff/review/imports/abc"]
POST_ROUTES = [
    "/staff/review/1/publish",
    "/staff/review/1/reject",
    "/staff/review/imports/abc/publish",
    "/staff/review/imports/abc/reject",
]


@pytest.fixture(autouse=True)
def _pages(monkeypatch: pytest.MonkeyPatch) -> None:
    see_publishes_at_once(monkeypatch)


def _submitted(editor: Officer, amount: str) -> int:
    version_id = draft_id(
        edit(editor, COPY, "Theo QĐ mới", fee__amount_vnd=amount, fee__text=f"{amount} đồng")
    )
    response = editor.post(f"/staff/catalogue/{COPY}/drafts/{version_id}/submit")
    assert response.status_code == 303, response.text
    return version_id


def _status(version_id: int) -> Status:
    version = CatalogueVersions().get(version_id)
    assert version is not None
    return version.status


@pytest.mark.parametrize(
    ("method", "path"), [("GET", p) for p in GET_ROUTES] + [("POST", p) for p in POST_ROUTES]
)
def test_anonymous_is_sent_to_login(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/login?next={path}"


def test_only_reviewers_review(login: Login) -> None:
    editor = login(Role.editor)
    version_id = _submitted(editor, "10000")
    for officer in (editor, login(Role.desk)):
        for path in GET_ROUTES:
            assert officer.client.get(path).status_code == 403, path
        for path in (f"/staff/review/{version_id}/publish", f"/staff/review/{version_id}/reject"):
            assert officer.post(path, {"review_note": "Sai"}).status_code == 403, path
    assert _status(version_id) is Status.submitted


@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_post_without_the_csrf_token_is_refused(login: Login, path: str) -> None:
    reviewer = login(Role.reviewer)
    response = reviewer.client.post(path, data={"review_note": "x"}, follow_redirects=False)
    assert response.status_code == 403 and "Biểu mẫu đã hết hạn" in response.text


def test_the_review_page_shows_the_change_and_publishes_it(login: Login) -> None:
    editor, reviewer = login(Role.editor), login(Role.reviewer)
    version_id = _submitted(editor, "45000")
    page = reviewer.client.get(f"/staff/review/{version_id}")
    assert page.status_code == 200
    assert "Theo QĐ mới" in page.text and "45.000" in page.text and "<del>" in page.text
    assert f'action="/staff/review/{version_id}/publish"' in page.text
    published = reviewer.post(f"/staff/review/{version_id}/publish", {"review_note": "Khớp"})
    assert published.status_code == 303 and published.headers["location"].endswith("published")
    assert _status(version_id) is Status.published
    assert reviewer.client.app.state.catalogue.get(COPY).fee.amount_vnd == 45000  # type: ignore[attr-defined]
    assert "không có bản sửa nào" in reviewer.client.get("/staff/review").text
    again = reviewer.post(f"/staff/review/{version_id}/publish")
    assert again.status_code == 409


def test_a_reviewer_cannot_publish_their_own_change(login: Login) -> None:
    both = login(Role.editor, Role.reviewer)
    version_id = _submitted(both, "10000")
    page = both.client.get(f"/staff/review/{version_id}").text
    assert "nguyên tắc hai người" in page
    assert f'action="/staff/review/{version_id}/publish"' not in page
    refused = both.post(f"/staff/review/{version_id}/publish")
    assert refused.status_code == 403 and "chính mình soạn" in refused.text
    assert _status(version_id) is Status.submitted
    assert login(Role.reviewer).post(f"/staff/review/{version_id}/publish").status_code == 303


def test_a_stale_change_is_refused_with_the_reason(login: Login) -> None:
    first_editor, second_editor = login(Role.editor), login(Role.editor)
    reviewer = login(Role.reviewer)
    first = _submitted(first_editor, "10000")
    late = _submitted(second_editor, "20000")
    assert reviewer.post(f"/staff/review/{first}/publish").status_code == 303
    page = reviewer.client.get(f"/staff/review/{late}").text
    assert "sửa lại từ bản hiện hành" in page
    refused = reviewer.post(f"/staff/review/{late}/publish")
    assert refused.status_code == 409 and "xoá mất thay đổi" in refused.text
    assert reviewer.client.app.state.catalogue.get(COPY).fee.amount_vnd == 10000  # type: ignore[attr-defined]


def test_sending_back_needs_a_reason_which_the_editor_reads(login: Login) -> None:
    editor, reviewer = login(Role.editor), login(Role.reviewer)
    version_id = _submitted(editor, "10000")
    blank = reviewer.post(f"/staff/review/{version_id}/reject", {"review_note": " "})
    assert blank.status_code == 422 and "lý do" in blank.text
    sent_back = reviewer.post(f"/staff/review/{version_id}/reject", {"review_note": "Thiếu nguồn"})
    assert sent_back.status_code == 303 and _status(version_id) is Status.rejected
    draft_page = editor.client.get(f"/staff/catalogue/{COPY}/drafts/{version_id}").text
    assert "Thiếu nguồn" in draft_page and f"edit?from={version_id}" in draft_page
    redo = editor.client.get(f"/staff/catalogue/{COPY}/edit?from={version_id}")
    assert redo.status_code == 200 and 'value="10000"' in redo.text
