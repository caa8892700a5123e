"""Account administration in the console: admins only, CSRF on every form, the guard rails
that keep an administrator, and an audit entry for every change."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from server.staff import audit
from server.staff.accounts import Accounts, Role
from tests.server.console.conftest import PASSWORD, Officer, new_client

NEW_PASSWORD = "mot-cau-dai-de-nho-2024"
# Each route with the form a real page would send (the role and CSRF checks come first).
ROUTES = [
    ("GET", "/staff/accounts", {}),
    ("GET", "/staff/accounts/new", {}),
    ("POST", "/staff/accounts/new", {"username": "gia.mao", "password": NEW_PASSWORD}),
    ("GET", "/staff/accounts/{id}", {}),
    ("POST", "/staff/accounts/{id}", {"roles": ["admin"], "active": "1"}),
    ("POST", "/staff/accounts/{id}/password", {"password": NEW_PASSWORD}),
    ("POST", "/staff/accounts/{id}/unlock", {}),
]
POSTS = [route for route in ROUTES if route[0] == "POST"]


def _log_in(username: str, password: str) -> TestClient:
    client = new_client()
    response = client.post(
        "/staff/login",
        data={"username": username, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def _refused_login(username: str, password: str) -> str:
    response = new_client().post("/staff/login", data={"username": username, "password": password})
    assert response.status_code == 401
    return response.text


def _actions() -> list[str]:
    return [entry.action for entry in audit.entries()]


def _logged_out(officer: Officer) -> bool:
    return officer.client.get("/staff/", follow_redirects=False).status_code == 303


def test_anonymous_is_sent_to_login() -> None:
    account = Accounts().create("an", "An", PASSWORD, {Role.desk})
    client = new_client()  # no lifespan: the login check comes first
    for method, path, data in ROUTES:
        url = path.replace("{id}", str(account.id))
        response = client.request(method, url, data=data or None, follow_redirects=False)
        assert response.status_code == 303, (method, url)
        assert response.headers["location"].startswith("/staff/login")
    assert Accounts().all() == [account]


@pytest.mark.parametrize("role", [Role.desk, Role.editor, Role.reviewer])
def test_only_admins_get_in(login: Callable[..., Officer], role: Role) -> None:
    officer = login(role)
    for method, path, data in ROUTES:
        url = path.replace("{id}", str(officer.account.id))
        if method == "GET":
            response = officer.client.get(url, follow_redirects=False)
        else:
            response = officer.post(url, data)
        assert response.status_code == 403, (method, url)
        assert "không có quyền" in response.text
    # Nothing happened: no admin role granted to oneself, no account made, no entry.
    account = Accounts().get(officer.account.id)
    assert account is not None and account.roles == {role}
    assert [a.username for a in Accounts().all()] == [officer.account.username]
    assert _actions() == ["login"]


@pytest.mark.parametrize(("method", "path", "data"), POSTS)
def test_a_form_without_its_csrf_token_is_refused(
    login: Callable[..., Officer], method: str, path: str, data: dict[str, object]
) -> None:
    admin = login(Role.admin)
    other = Accounts().create("binh", "Bình", PASSWORD, {Role.desk})
    url = path.replace("{id}", str(other.id))
    response = admin.client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in response.text
    assert [a.username for a in Accounts().all()] == ["binh", admin.account.username]
    assert Accounts().get(other.id) == other
    assert _actions() == ["login"]


def test_create_an_account_then_log_in_with_it(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    form = admin.client.get("/staff/accounts/new").text
    for role in Role:
        assert f'value="{role.value}"' in form
    response = admin.post(
        "/staff/accounts/new",
        {
            "username": "Lan.Nguyen",
            "full_name": "Nguyễn Thị Lan",
            "roles": ["desk", "editor"],
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303
    created = next(a for a in Accounts().all() if a.username == "lan.nguyen")
    assert response.headers["location"] == f"/staff/accounts/{created.id}?notice=account_saved"
    assert created.roles == {Role.desk, Role.editor}
    home = _log_in("lan.nguyen", NEW_PASSWORD).get("/staff/")
    assert "Nguyễn Thị Lan" in home.text
    listing = admin.client.get("/staff/accounts").text
    assert "lan.nguyen" in listing and "Nguyễn Thị Lan" in listing
    assert "Cán bộ một cửa" in listing and "Biên tập thủ tục" in listing
    entry = next(e for e in audit.entries() if e.action == "account_created")
    assert (entry.username, entry.target) == (admin.account.username, "lan.nguyen")
    assert entry.detail == {"roles": ["desk", "editor"]}
    assert NEW_PASSWORD not in str(entry.detail)


def test_a_generated_password_is_shown_once(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    response = admin.post(
        "/staff/accounts/new", {"username": "minh", "full_name": "Trần Minh", "roles": ["desk"]}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    found = re.search(r'<code class="secret">([^<]+)</code>', response.text)
    assert found, response.text
    password = found.group(1)
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", password)
    assert _log_in("minh", password).get("/staff/").status_code == 200
    account = next(a for a in Accounts().all() if a.username == "minh")
    assert password not in admin.client.get(f"/staff/accounts/{account.id}").text
    assert password not in admin.client.get("/staff/audit").text


def test_duplicate_username_is_refused(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    Accounts().create("lan", "Lan", PASSWORD, {Role.desk})
    response = admin.post(
        "/staff/accounts/new",
        {"username": "LAN", "full_name": "Lan khác", "roles": ["editor"], "password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "Tên đăng nhập “lan” đã có" in response.text
    assert 'value="Lan khác"' in response.text  # the form keeps what was typed
    assert len(Accounts().all()) == 2
    assert "account_created" not in _actions()


@pytest.mark.parametrize(
    ("username", "password", "roles", "message"),
    [
        ("lan", "ngan", ["desk"], "ít nhất 10 ký tự"),
        ("nguyen", "nguyen-lan-2024", ["desk"], "không được chứa tên đăng nhập"),
        ("lan", "aaaaaaaaaaaa", ["desk"], "quá dễ đoán"),
        ("lan", "x" * 150 + "y1z2" * 20, ["desk"], "tối đa 200"),
        ("lan", NEW_PASSWORD, [], "ít nhất một vai trò"),
        ("lan nguyen", NEW_PASSWORD, ["desk"], "Tên đăng nhập chỉ gồm"),
        ("lân", NEW_PASSWORD, ["desk"], "Tên đăng nhập chỉ gồm"),
    ],
)
def test_a_weak_password_or_a_bad_form_is_refused(
    login: Callable[..., Officer], username: str, password: str, roles: list[str], message: str
) -> None:
    admin = login(Role.admin)
    response = admin.post(
        "/staff/accounts/new",
        {"username": username, "full_name": "Lan", "roles": roles, "password": password},
    )
    assert response.status_code == 400
    assert message in response.text
    assert len(Accounts().all()) == 1


def test_changing_roles_ends_the_officers_session(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    desk = login(Role.desk)
    page = admin.client.get(f"/staff/accounts/{desk.account.id}").text
    assert desk.account.full_name in page
    response = admin.post(
        f"/staff/accounts/{desk.account.id}", {"roles": ["editor", "reviewer"], "active": "1"}
    )
    assert response.status_code == 303
    assert _logged_out(desk)
    account = Accounts().get(desk.account.id)
    assert account is not None and account.roles == {Role.editor, Role.reviewer}
    entry = audit.entries(action="account_updated")[0]
    assert entry.target == desk.account.username
    assert entry.detail == {"roles": {"from": ["desk"], "to": ["editor", "reviewer"]}}
    shown = admin.client.get("/staff/audit").text
    assert "Sửa tài khoản" in shown
    assert "Vai trò: Cán bộ một cửa → Biên tập thủ tục, Duyệt và xuất bản" in shown


def test_saving_unchanged_roles_changes_nothing(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    desk = login(Role.desk)
    response = admin.post(f"/staff/accounts/{desk.account.id}", {"roles": ["desk"], "active": "1"})
    assert response.status_code == 303
    assert not _logged_out(desk)
    assert "account_updated" not in _actions()


def test_a_disabled_account_cannot_log_in(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    desk = login(Role.desk)
    assert admin.post(f"/staff/accounts/{desk.account.id}", {"roles": ["desk"]}).status_code == 303
    assert _logged_out(desk)
    assert "đã bị khoá" in _refused_login(desk.account.username, PASSWORD)
    assert "Đã khoá" in admin.client.get("/staff/accounts").text
    entry = audit.entries(action="account_updated")[0]
    assert entry.detail == {"active": {"from": True, "to": False}}
    # And back again.
    admin.post(f"/staff/accounts/{desk.account.id}", {"roles": ["desk"], "active": "1"})
    _log_in(desk.account.username, PASSWORD)


def test_unlock_after_a_lock_out(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    desk = Accounts().create("khoa", "Khoa", PASSWORD, {Role.desk})
    for _ in range(5):
        _refused_login("khoa", "sai-mat-khau-roi")
    assert "tạm khoá" in _refused_login("khoa", PASSWORD)
    assert re.search(
        r'class="flag warn">\d\d/\d\d/\d{4} \d\d:\d\d<', admin.client.get("/staff/accounts").text
    )
    assert "Tạm khoá đến" in admin.client.get(f"/staff/accounts/{desk.id}").text
    assert admin.post(f"/staff/accounts/{desk.id}/unlock").status_code == 303
    _log_in("khoa", PASSWORD)
    assert audit.entries(action="unlock")[0].target == "khoa"
    assert "Mở khoá tài khoản" in admin.client.get("/staff/audit").text


def test_reset_password(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    desk = login(Role.desk)
    url = f"/staff/accounts/{desk.account.id}/password"
    weak = admin.post(url, {"password": "ngan"})
    assert weak.status_code == 400 and "ít nhất 10 ký tự" in weak.text
    assert not _logged_out(desk)
    assert admin.post(url, {"password": NEW_PASSWORD}).status_code == 303
    assert _logged_out(desk)
    _refused_login(desk.account.username, PASSWORD)
    _log_in(desk.account.username, NEW_PASSWORD)
    generated = admin.post(url, {"password": ""})
    assert generated.status_code == 200 and generated.headers["cache-control"] == "no-store"
    found = re.search(r'<code class="secret">([^<]+)</code>', generated.text)
    assert found
    _log_in(desk.account.username, found.group(1))
    entries = audit.entries(action="password_reset")
    assert len(entries) == 2 and all(e.detail == {} for e in entries)


def test_the_last_active_admin_is_kept(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    url = f"/staff/accounts/{admin.account.id}"
    for form in ({"roles": ["desk"], "active": "1"}, {"roles": ["admin"]}):
        response = admin.post(url, form)
        assert response.status_code == 400
        assert "tài khoản quản trị cuối cùng còn hoạt động" in response.text
    after = Accounts().get(admin.account.id)
    assert after is not None and (after.roles, after.active) == ({Role.admin}, True)
    assert not _logged_out(admin)
    assert "account_updated" not in _actions()


def test_an_admin_cannot_demote_or_disable_themselves(login: Callable[..., Officer]) -> None:
    first = login(Role.admin)
    second = login(Role.admin)
    url = f"/staff/accounts/{first.account.id}"
    for form in ({"roles": ["desk"], "active": "1"}, {"roles": ["admin"]}):
        response = first.post(url, form)
        assert response.status_code == 400
        assert "không thể tự bỏ quyền quản trị hoặc tự khoá" in response.text
    after = Accounts().get(first.account.id)
    assert after is not None and (after.roles, after.active) == ({Role.admin}, True)
    # Another admin may: then the first is no longer an admin at all.
    assert second.post(url, {"roles": ["desk"], "active": "1"}).status_code == 303
    assert first.client.get("/staff/accounts", follow_redirects=False).status_code == 303


def test_an_admin_may_add_roles_to_themselves(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    response = admin.post(
        f"/staff/accounts/{admin.account.id}", {"roles": ["admin", "desk"], "active": "1"}
    )
    assert response.status_code == 303
    account = Accounts().get(admin.account.id)
    assert account is not None and account.roles == {Role.admin, Role.desk}


def test_an_unknown_account_is_not_found(login: Callable[..., Officer]) -> None:
    admin = login(Role.admin)
    assert admin.client.get("/staff/accounts/9999").status_code == 404
    assert admin.post("/staff/accounts/9999/unlock").status_code == 404


# An officer's own password


def test_own_password_page_needs_a_login_and_the_csrf_token(
    client: TestClient, login: Callable[..., Officer]
) -> None:
    for method in ("GET", "POST"):
        response = client.request(method, "/staff/password", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login")
    officer = login(Role.editor)
    forged = officer.client.post(
        "/staff/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        follow_redirects=False,
    )
    assert forged.status_code == 403
    _log_in(officer.account.username, PASSWORD)


@pytest.mark.parametrize("role", list(Role))
def test_every_officer_changes_their_own_password(
    login: Callable[..., Officer], role: Role
) -> None:
    officer = login(role)
    elsewhere = _log_in(officer.account.username, PASSWORD)
    assert officer.client.get("/staff/password").status_code == 200
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    mismatch = officer.post("/staff/password", {**change, "confirm_password": "khac-han-roi-1"})
    assert mismatch.status_code == 400 and "không khớp" in mismatch.text
    wrong = officer.post(
        "/staff/password",
        {**change, "current_password": "sai-mat-khau-roi", "confirm_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and "Mật khẩu hiện tại không đúng" in wrong.text
    response = officer.post("/staff/password", {**change, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/password?changed=1"
    assert "Đã đổi mật khẩu" in officer.client.get(response.headers["location"]).text
    # This browser stays logged in; the other session has ended.
    assert officer.client.get("/staff/", follow_redirects=False).status_code == 200
    assert elsewhere.get("/staff/", follow_redirects=False).status_code == 303
    _refused_login(officer.account.username, PASSWORD)
    _log_in(officer.account.username, NEW_PASSWORD)
    entry = audit.entries(action="password_changed")[0]
    assert entry.username == officer.account.username and entry.detail == {}
