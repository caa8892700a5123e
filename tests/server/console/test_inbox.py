"""The inbox pages: who may open them, labelling through the form, and the downloads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from knowledge.catalogue import Catalogue
from server import db
from server.core.config import get_settings
from server.staff import audit
from server.staff.accounts import Role
from server.staff.tables import inbox_labels
from tests.server.console.conftest import Officer

COPY = "cap-ban-sao-van-bang-tu-so-goc"
QUESTION = "xin lại bản sao bằng tốt nghiệp cấp hai ở đâu vậy ad"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(get_settings().catalogue_dir)


@pytest.fixture
def officer(login: Callable[..., Officer], catalogue: Catalogue) -> Callable[..., Officer]:
    """``officer(Role.desk)``: logged in, on a gateway that has its catalogue loaded."""

    def make(*roles: Role) -> Officer:
        logged_in = login(*roles)
        logged_in.client.app.state.catalogue = catalogue  # type: ignore[attr-defined]
        return logged_in

    return make


def _message(text: str = QUESTION, intent: str = "nlu_fallback", confidence: float = 0.4) -> int:
    with db.engine().begin() as conn:
        return int(
            conn.execute(
                db.chat_messages.insert().values(
                    created_at=dt.datetime.now(dt.timezone.utc),
                    channel="web",
                    sender_hash="s1",
                    direction="in",
                    text=text,
                    intent=intent,
                    confidence=confidence,
                )
            ).inserted_primary_key[0]
        )


def _labels() -> list[dict[str, object]]:
    with db.engine().connect() as conn:
        return [dict(row) for row in conn.execute(select(inbox_labels)).mappings()]


def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    for path in ("/staff/inbox", "/staff/inbox/export?kind=nlu"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login?next=/staff/inbox")
    posted = client.post("/staff/inbox/1/label", data={"intent": "ask_fee"}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/staff/login")


def test_an_admin_only_account_is_refused(officer: Callable[..., Officer]) -> None:
    admin = officer(Role.admin)
    message = _message()
    assert admin.client.get("/staff/inbox").status_code == 403
    assert admin.client.get("/staff/inbox/export?kind=pairs").status_code == 403
    assert admin.post(f"/staff/inbox/{message}/label", {"intent": "ask_fee"}).status_code == 403
    assert _labels() == []


@pytest.mark.parametrize("role", [Role.desk, Role.editor, Role.reviewer])
def test_desk_editors_and_reviewers_see_the_inbox(
    officer: Callable[..., Officer], role: Role
) -> None:
    _message()
    page = officer(role).client.get("/staff/inbox")
    assert page.status_code == 200
    assert QUESTION in page.text and "Không hiểu" in page.text


def test_a_label_without_the_csrf_token_is_refused(officer: Callable[..., Officer]) -> None:
    desk = officer(Role.desk)
    message = _message()
    forged = desk.client.post(
        f"/staff/inbox/{message}/label", data={"intent": "ask_fee"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert _labels() == []


def test_labelling_through_the_page(officer: Callable[..., Officer]) -> None:
    desk = officer(Role.desk)
    message = _message()
    page = desk.client.get("/staff/inbox?channel=web&notice=labelled")
    assert f'action="/staff/inbox/{message}/label"' in page.text
    assert 'name="back" value="/staff/inbox?channel=web"' in page.text
    response = desk.post(
        f"/staff/inbox/{message}/label",
        {"intent": "ask_submission", "procedure_id": COPY, "back": "/staff/inbox?channel=web"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/inbox?channel=web&notice=labelled"
    [label] = _labels()
    assert (label["intent"], label["procedure_id"], label["out_of_scope"]) == (
        "ask_submission",
        COPY,
        False,
    )
    assert label["labelled_by"] == desk.account.id
    assert [e.action for e in audit.entries() if e.action != "login"] == ["labelled"]
    after = desk.client.get(response.headers["location"])
    assert "Đã ghi nhận nhãn." in after.text and QUESTION not in after.text
    done = desk.client.get("/staff/inbox?labelled=labelled")
    assert QUESTION in done.text and "Đã gán" in done.text and desk.account.full_name in done.text


def test_out_of_scope_through_the_checkbox(officer: Callable[..., Officer]) -> None:
    desk = officer(Role.desk)
    message = _message("làm hộ chiếu ở đâu", intent="out_of_scope", confidence=0.8)
    response = desk.post(f"/staff/inbox/{message}/label", {"out_of_scope": "1"})
    assert response.headers["location"] == "/staff/inbox?notice=labelled"
    assert _labels()[0]["out_of_scope"] is True


def test_a_wrong_label_shows_why_and_keeps_nothing(officer: Callable[..., Officer]) -> None:
    desk = officer(Role.desk)
    message = _message()
    page = desk.post(
        f"/staff/inbox/{message}/label",
        {"procedure_id": "khong-co-thu-tuc-nay", "back": "/staff/inbox?labelled=all"},
    )
    assert page.status_code == 400
    assert "Không có thủ tục mã “khong-co-thu-tuc-nay”" in page.text
    assert QUESTION in page.text  # the list, still filtered as it was
    assert _labels() == []


def test_the_form_returns_only_to_the_inbox(officer: Callable[..., Officer]) -> None:
    desk = officer(Role.desk)
    message = _message()
    response = desk.post(
        f"/staff/inbox/{message}/label",
        {"intent": "ask_fee", "back": "https://evil.example/staff/inbox?x=1"},
    )
    assert response.headers["location"] == "/staff/inbox?notice=labelled"


def test_citizen_text_is_escaped(officer: Callable[..., Officer]) -> None:
    _message("<script>alert(1)</script> học phí")
    page = officer(Role.editor).client.get("/staff/inbox")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; học phí" in page.text


def test_export_downloads_and_the_page_says_what_to_run(officer: Callable[..., Officer]) -> None:
    reviewer = officer(Role.reviewer)
    asked = _message()
    outside = _message("hôm nay giá vàng thế nào hả bot ơi", intent="out_of_scope", confidence=0.9)
    reviewer.post(f"/staff/inbox/{asked}/label", {"intent": "ask_submission", "procedure_id": COPY})
    reviewer.post(f"/staff/inbox/{outside}/label", {"out_of_scope": "1"})

    page = reviewer.client.get("/staff/inbox").text
    assert "Xuất dữ liệu huấn luyện" in page
    stamp = page.split("inbox-nlu-", 1)[1][:13]
    assert f"kind=nlu&amp;stamp={stamp}" in page
    command = f"cp ~/Downloads/inbox-nlu-{stamp}.yml nlu_data/nlu/inbox-{stamp}.yml"
    assert command in page and "knowledge/data/train_pairs.yml &amp;&amp; make model" in page

    nlu = reviewer.client.get(f"/staff/inbox/export?kind=nlu&stamp={stamp}")
    assert nlu.status_code == 200
    assert nlu.headers["content-type"] == "text/yaml; charset=utf-8"
    assert nlu.headers["content-disposition"] == f'attachment; filename="inbox-nlu-{stamp}.yml"'
    data = yaml.safe_load(nlu.text)
    assert data["nlu"] == [
        {"intent": "out_of_scope", "examples": "- hôm nay giá vàng thế nào hả bot ơi\n"}
    ]
    pairs = reviewer.client.get("/staff/inbox/export?kind=pairs")
    assert pairs.headers["content-disposition"].startswith('attachment; filename="inbox-pairs-')
    assert yaml.safe_load(pairs.text)["pairs"] == [
        {"q": QUESTION, "expected": COPY, "intent": "ask_submission"}
    ]
    assert reviewer.client.get("/staff/inbox/export?kind=all").status_code == 404
    exports = [e for e in audit.entries() if e.action == "inbox_export"]
    assert [e.target for e in exports] == ["pairs", "nlu"]


def test_a_bad_filter_shows_the_default_list(officer: Callable[..., Officer]) -> None:
    _message()
    page = officer(Role.desk).client.get("/staff/inbox?confidence_max=2&date_from=hôm-qua")
    assert page.status_code == 200
    assert "Bộ lọc chưa hợp lệ" in page.text and QUESTION in page.text
