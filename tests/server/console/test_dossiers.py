"""The dossier pages: who may open them, the list, the search, and moving a dossier on."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from knowledge.catalogue import Catalogue
from knowledge.department import load_department
from server.chat.subscriptions import Subscriptions
from server.core.config import get_settings
from server.dossiers import DossierBackendError
from server.dossiers.models import VN_TZ, Dossier, Step, today_vn
from server.dossiers.render import STEP_LABELS, overdue_apology
from server.dossiers.seed import demo_dossiers, seed
from server.dossiers.sql import SqlDossierStore
from server.dossiers.staff_update import dossier_store
from server.staff import audit
from server.staff.accounts import Role
from tests.fakes.outbound import RecordingOutbound
from tests.server.console.conftest import Officer

TODAY = today_vn()
DEMOS = demo_dossiers(TODAY)
OVERDUE = next(d for d in DEMOS if d.is_overdue(TODAY))
PROCESSING = next(d for d in DEMOS if d.step is Step.processing and not d.is_overdue(TODAY))
RETURNED = next(d for d in DEMOS if d.step is Step.returned)


@pytest.fixture(autouse=True)
def sql_dossiers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The SQL store of this test's database, and the demo dossiers in it."""
    monkeypatch.delenv("DOSSIER_BACKEND", raising=False)
    dossier_store.cache_clear()
    seed(today=TODAY)
    yield
    dossier_store.cache_clear()


@pytest.fixture
def desk(login: Callable[..., Officer]) -> Officer:
    officer = login(Role.desk)
    app = officer.client.app
    app.state.catalogue = Catalogue(get_settings().catalogue_dir)  # type: ignore[attr-defined]
    app.state.outbound = {"telegram": RecordingOutbound()}  # type: ignore[attr-defined]
    return officer


def name_of(d: Dossier) -> str:
    procedure = Catalogue(get_settings().catalogue_dir).get(d.procedure_id)
    assert procedure is not None
    return procedure.name


def test_anonymous_officers_are_sent_to_login(client: TestClient) -> None:
    for path in ("/staff/dossiers", f"/staff/dossiers/{PROCESSING.code}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/staff/login?next={path}"
    path = f"/staff/dossiers/{PROCESSING.code}/step"
    response = client.post(path, data={"step": "returned"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    assert SqlDossierStore().get(PROCESSING.code) == PROCESSING


def test_other_roles_are_refused(login: Callable[..., Officer]) -> None:
    officer = login(Role.editor, Role.reviewer, Role.admin)
    assert officer.client.get("/staff/dossiers").status_code == 403
    assert officer.client.get(f"/staff/dossiers/{PROCESSING.code}").status_code == 403
    moved = officer.post(f"/staff/dossiers/{PROCESSING.code}/step", {"step": "returned"})
    assert moved.status_code == 403
    assert SqlDossierStore().get(PROCESSING.code) == PROCESSING


def test_a_post_without_the_csrf_token_is_refused(desk: Officer) -> None:
    response = desk.client.post(
        f"/staff/dossiers/{PROCESSING.code}/step",
        data={"step": "result_ready"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert SqlDossierStore().get(PROCESSING.code) == PROCESSING
    assert [e.action for e in audit.entries() if e.action == "dossier_step"] == []


def test_the_list_shows_open_dossiers_overdue_first_and_nothing_personal(desk: Officer) -> None:
    page = desk.client.get("/staff/dossiers")
    assert page.status_code == 200
    codes = re.findall(r'href="/staff/dossiers/([^"]+)"', page.text)
    expected = [d.code for d in sorted(DEMOS, key=lambda d: d.due_on) if d.step in {
        Step.received, Step.processing, Step.additional_documents}]  # fmt: skip
    assert codes == expected and codes[0] == OVERDUE.code
    assert RETURNED.code not in page.text
    assert name_of(OVERDUE) in page.text and STEP_LABELS[Step.additional_documents] in page.text
    days = (TODAY - OVERDUE.due_on).days
    assert f"{days} ngày" in page.text
    for d in DEMOS:
        given = d.applicant_name.split()[-1]
        assert d.applicant_name not in page.text
        assert not re.search(rf"\b{re.escape(given)}\b", page.text), given
        assert d.phone_last4 not in page.text.replace(d.code, "")


def test_search_finds_a_code_typed_loosely(desk: Officer) -> None:
    loose = PROCESSING.code.lower().replace("-", " - ")
    found = desk.client.get("/staff/dossiers", params={"code": loose}, follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == f"/staff/dossiers/{PROCESSING.code}"
    missing = desk.client.get("/staff/dossiers", params={"code": "H10.22-260310-0042"})
    assert missing.status_code == 404 and "Không tìm thấy hồ sơ có mã này" in missing.text
    malformed = desk.client.get("/staff/dossiers", params={"code": "<b>12</b>"})
    assert malformed.status_code == 422 and "không đúng định dạng" in malformed.text
    assert "<b>12</b>" not in malformed.text  # the search box shows it escaped
    assert OVERDUE.code in malformed.text  # the list is still there


def test_the_page_of_an_overdue_dossier_shows_the_apology_the_citizen_gets(desk: Officer) -> None:
    page = desk.client.get(f"/staff/dossiers/{OVERDUE.code}")
    assert page.status_code == 200
    apology = overdue_apology(OVERDUE, load_department(get_settings().department_file))
    assert "Trợ lý đã xin lỗi công dân" in page.text
    assert str(escape(apology)) in page.text
    for event in OVERDUE.history:
        assert event.at.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") in page.text
    assert OVERDUE.applicant_name not in page.text and OVERDUE.phone_last4 not in page.text
    on_time = desk.client.get(f"/staff/dossiers/{PROCESSING.code}")
    assert "xin lỗi" not in on_time.text
    assert desk.client.get("/staff/dossiers/H10.22-260310-0042").status_code == 404


def test_moving_a_dossier_notifies_subscribers_and_is_audited(desk: Officer) -> None:
    Subscriptions().subscribe("telegram", "1001", PROCESSING.code)
    path = f"/staff/dossiers/{PROCESSING.code.lower()}/step"
    response = desk.post(path, {"step": "additional_documents", "note": "  Bản sao học bạ  "})
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/dossiers/{PROCESSING.code}?notice=moved"
    stored = SqlDossierStore().get(PROCESSING.code)
    assert stored is not None
    assert (stored.step, stored.step_note) == (Step.additional_documents, "Bản sao học bạ")
    assert len(stored.history) == len(PROCESSING.history) + 1
    # The notice went out in the background, as from the staff API.
    sender = desk.client.app.state.outbound["telegram"]  # type: ignore[attr-defined]
    ((user, (reply,)),) = sender.sent
    assert user == "1001" and "Cần bổ sung: Bản sao học bạ" in (reply.text or "")
    assert name_of(PROCESSING) in (reply.text or "")
    (entry,) = [e for e in audit.entries() if e.action == "dossier_step"]
    assert (entry.username, entry.target) == (desk.account.username, PROCESSING.code)
    assert entry.detail == {"from": "processing", "to": "additional_documents", "note": True}
    page = desk.client.get(response.headers["location"])
    assert "Đã cập nhật bước xử lý hồ sơ" in page.text and "Bản sao học bạ" in page.text


def test_a_request_for_documents_needs_a_note(desk: Officer) -> None:
    Subscriptions().subscribe("telegram", "1001", PROCESSING.code)
    path = f"/staff/dossiers/{PROCESSING.code}/step"
    for note in ("", "   "):
        page = desk.post(path, {"step": "additional_documents", "note": note})
        assert page.status_code == 422
        assert "ghi rõ giấy tờ cần bổ sung" in page.text
        assert '<option value="additional_documents" selected>' in page.text
    too_long = desk.post(path, {"step": "processing", "note": "x" * 1001})
    assert too_long.status_code == 422 and "tối đa 1000 ký tự" in too_long.text
    unknown = desk.post(path, {"step": "approved"})
    assert unknown.status_code == 422 and "chọn bước xử lý" in unknown.text
    assert SqlDossierStore().get(PROCESSING.code) == PROCESSING
    assert desk.client.app.state.outbound["telegram"].sent == []  # type: ignore[attr-defined]
    assert [e for e in audit.entries() if e.action == "dossier_step"] == []


def test_a_step_without_a_note_is_fine_and_unknown_dossiers_404(desk: Officer) -> None:
    response = desk.post(f"/staff/dossiers/{PROCESSING.code}/step", {"step": "result_ready"})
    assert response.status_code == 303
    stored = SqlDossierStore().get(PROCESSING.code)
    assert stored is not None and stored.step is Step.result_ready and stored.step_note is None
    missing = desk.post("/staff/dossiers/H10.22-260310-0042/step", {"step": "processing"})
    assert missing.status_code == 404


class DownStore:
    def get(self, code: str) -> Dossier | None:
        raise DossierBackendError("down")

    def update_step(self, code: str, step: Step, note: str | None = None) -> Dossier | None:
        raise DossierBackendError("down")

    def open_dossiers(self, today: object, limit: int) -> list[Dossier]:
        raise DossierBackendError("down")


def test_a_silent_dossier_system_gets_a_clear_page(desk: Officer) -> None:
    app = desk.client.app
    app.dependency_overrides[dossier_store] = DownStore  # type: ignore[attr-defined]
    listing = desk.client.get("/staff/dossiers")
    assert listing.status_code == 502 and "không phản hồi" in listing.text
    page = desk.client.get(f"/staff/dossiers/{PROCESSING.code}")
    assert page.status_code == 502 and "không phản hồi" in page.text
    moved = desk.post(f"/staff/dossiers/{PROCESSING.code}/step", {"step": "processing"})
    assert moved.status_code == 502
