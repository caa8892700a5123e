"""The audit log page and its CSV export: admins only, newest first, filters, paging,
Vietnamese names and times, and a file a spreadsheet opens safely."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest

from server import db
from server.console.audit import PAGE_SIZE, describe
from server.staff import audit
from server.staff.accounts import Role
from server.staff.tables import audit_log
from tests.server.console.conftest import Officer, new_client

UTC = dt.timezone.utc


def _add(
    action: str,
    username: str = "lan",
    target: str = "",
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    with db.engine().begin() as conn:
        conn.execute(
            audit_log.insert().values(
                at=at or dt.datetime.now(UTC),
                account_id=None,
                username=username,
                action=action,
                target=target,
                detail=detail,
            )
        )


def test_anonymous_is_sent_to_login() -> None:
    client = new_client()  # no lifespan: the login check comes first
    for path in ("/staff/audit", "/staff/audit.csv"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/staff/login?next={path}"


def test_only_admins_read_the_log(login: Callable[..., Officer]) -> None:
    officer = login(Role.desk, Role.editor, Role.reviewer)
    for path in ("/staff/audit", "/staff/audit.csv"):
        response = officer.client.get(path)
        assert response.status_code == 403 and "không có quyền" in response.text


def test_newest_first_with_names_and_times_in_vietnam(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    _add(
        "account_created",
        "admin1",
        "lan",
        {"roles": ["desk"]},
        dt.datetime(2024, 1, 1, 17, 30, tzinfo=UTC),
    )
    _add(
        "record_published",
        "duyet",
        "1.000123",
        {"version": 7},
        dt.datetime(2024, 1, 2, 1, 5, tzinfo=UTC),
    )
    _add("something_new", "duyet", "x", {"extra": True})
    page = admin.client.get("/staff/audit").text
    page = page[page.index("<tbody>") :]  # the table, not the filter's list of actions
    # Newest first: the entries in reverse order of writing, the admin's login last.
    order = [
        page.index(text) for text in ("something_new", "Xuất bản", "Tạo tài khoản", "Đăng nhập")
    ]
    assert order == sorted(order)
    assert "02/01/2024 00:30" in page  # 17:30 UTC is half past midnight in Hà Nội
    assert "02/01/2024 08:05" in page
    assert "Vai trò: Cán bộ một cửa" in page
    assert "Phiên bản: 7" in page
    assert "extra: có" in page  # an unknown key and action are shown as stored


def test_filters_by_officer_and_action(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    _add("record_published", "duyet", "thu-tuc-a")
    _add("record_rejected", "duyet", "thu-tuc-b")
    _add("record_published", "khac", "thu-tuc-c")
    page = admin.client.get(
        "/staff/audit", params={"officer": "duyet", "action": "record_published"}
    )
    assert "thu-tuc-a" in page.text
    assert "thu-tuc-b" not in page.text and "thu-tuc-c" not in page.text
    assert '<option value="duyet" selected>' in page.text
    assert '<option value="record_published" selected>Xuất bản thủ tục</option>' in page.text
    assert "1 mục" in page.text
    assert 'href="/staff/audit.csv?officer=duyet&amp;action=record_published"' in page.text


def test_pages_of_fifty(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    for number in range(PAGE_SIZE + 5):
        _add("labelled", "desk1", f"tin-{number:03d}")
    first = admin.client.get("/staff/audit", params={"action": "labelled"}).text
    assert "tin-054" in first and "tin-005" in first and "tin-004" not in first
    assert "55 mục · trang 1/2" in first
    assert 'href="/staff/audit?action=labelled&amp;page=2"' in first
    second = admin.client.get("/staff/audit", params={"action": "labelled", "page": 2}).text
    assert "tin-004" in second and "tin-000" in second and "tin-005" not in second
    assert 'href="/staff/audit?action=labelled&amp;page=1"' in second
    assert admin.client.get("/staff/audit", params={"page": 0}).status_code == 422


def test_csv_export(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    _add(
        "account_updated",
        "admin1",
        "lan",
        {"active": {"from": True, "to": False}},
        dt.datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
    )
    _add("login_failed", "system", '=HYPERLINK("http://x")')
    _add("record_published", "duyet", "1.000123")
    response = admin.client.get("/staff/audit.csv", params={"officer": "admin1"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        [
            "Thời gian (giờ Việt Nam)",
            "Cán bộ",
            "Hành động",
            "Mã hành động",
            "Đối tượng",
            "Chi tiết",
        ],
        [
            "01/05/2024 09:00",
            "admin1",
            "Sửa tài khoản",
            "account_updated",
            "lan",
            "Đang hoạt động: có → không",
        ],
    ]
    everything = admin.client.get("/staff/audit.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(everything)))
    assert [row[3] for row in rows[1:]] == [
        "record_published",
        "login_failed",
        "account_updated",
        "login",
    ]
    # What someone typed as a username is not a formula to the spreadsheet.
    assert rows[2][4] == '\'=HYPERLINK("http://x")'


def test_csv_holds_every_entry_not_one_page(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    for number in range(PAGE_SIZE * 2 + 1):
        _add("labelled", "desk1", f"tin-{number}")
    text = admin.client.get("/staff/audit.csv", params={"action": "labelled"}).content
    assert len(list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))) == PAGE_SIZE * 2 + 2


def test_every_action_written_has_a_name() -> None:
    written = {  # what the console's services write today
        "login", "login_failed", "logout", "account_created", "account_updated",
        "password_reset", "password_changed", "unlock", "record_draft_saved",
        "record_submitted", "record_withdrawn", "record_published", "record_rejected",
        "record_rolled_back", "import_saved", "import_submitted", "import_withdrawn",
        "import_published", "import_rejected", "labelled", "inbox_export", "handoff_taken",
        "handoff_take_undone", "handoff_reply", "handoff_released", "handoff_closed",
        "dossier_step",
    }  # fmt: skip
    assert written <= audit.ACTION_LABELS.keys()
    assert len(set(audit.ACTION_LABELS.values())) >= len(written)
    assert audit.action_label("record_published") == "Xuất bản thủ tục"
    assert audit.action_label("not_named_yet") == "not_named_yet"


@pytest.mark.parametrize(
    ("detail", "text"),
    [
        (None, ""),
        ({}, ""),
        (
            {"roles": {"from": ["desk"], "to": ["desk", "editor"]}},
            "Vai trò: Cán bộ một cửa → Cán bộ một cửa, Biên tập thủ tục",
        ),
        ({"active": {"from": True, "to": False}}, "Đang hoạt động: có → không"),
        ({"procedure_id": "1.000123", "note": ""}, "Thủ tục: 1.000123; Ghi chú: —"),
        ({"rows": 3, "roles": ["chief"]}, "rows: 3; Vai trò: chief"),
        (
            {"from": "received", "to": "in_review", "note": True},
            "Từ: received; Sang: in_review; Ghi chú: có",
        ),
        ({"version": 12, "restored": 7}, "Phiên bản: 12; Khôi phục từ phiên bản: 7"),
        ({"changes": {"fee": "a", "place": None}}, "changes: fee: a; place: —"),
    ],
)
def test_detail_reads_as_one_line(detail: dict[str, Any] | None, text: str) -> None:
    assert describe(detail) == text
