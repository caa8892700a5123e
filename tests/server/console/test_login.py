"""Logging in: hashed passwords, the session cookie, lock-out, CSRF, and the audit log."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from server.staff import audit
from server.staff.accounts import Accounts, Role
from server.staff.tables import staff_accounts
from tests.server.console.conftest import PASSWORD, Officer


def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    response = client.get("/staff/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/"
    assert "Đăng nhập" in client.get("/staff/login").text


def test_login_sets_a_strict_session_cookie_and_stores_only_hashes(client: TestClient) -> None:
    Accounts().create("lan.nguyen", "Nguyễn Thị Lan", PASSWORD, {Role.desk})
    response = client.post(
        "/staff/login",
        data={"username": "Lan.Nguyen ", "password": PASSWORD, "next": "/staff/"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    for attribute in ("httponly", "secure", "samesite=strict", "path=/staff"):
        assert attribute in cookie
    assert "Nguyễn Thị Lan" in client.get("/staff/").text
    with Accounts().engine.connect() as conn:
        stored = conn.execute(staff_accounts.select()).mappings().one()
    assert stored["password_hash"].startswith("$argon2") and PASSWORD not in stored["password_hash"]
    assert [e.action for e in audit.entries()] == ["login"]


def test_wrong_password_locks_the_account_after_the_limit(client: TestClient) -> None:
    Accounts().create("minh", "Trần Minh", PASSWORD, {Role.editor})
    for _ in range(4):
        page = client.post("/staff/login", data={"username": "minh", "password": "sai-mat-khau"})
        assert page.status_code == 401 and "không đúng" in page.text
    locked = client.post("/staff/login", data={"username": "minh", "password": "sai-mat-khau"})
    assert "tạm khoá" in locked.text
    # Even the right password is refused while the account is locked.
    again = client.post("/staff/login", data={"username": "minh", "password": PASSWORD})
    assert again.status_code == 401 and "tạm khoá" in again.text
    account = Accounts().all()[0]
    Accounts().update(account.id, unlock=True)
    ok = client.post(
        "/staff/login", data={"username": "minh", "password": PASSWORD}, follow_redirects=False
    )
    assert ok.status_code == 303


def test_unknown_user_gets_the_same_answer(client: TestClient) -> None:
    page = client.post("/staff/login", data={"username": "nobody", "password": PASSWORD})
    assert page.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng" in page.text


def test_login_never_redirects_off_the_console(client: TestClient) -> None:
    Accounts().create("an", "An", PASSWORD, {Role.desk})
    response = client.post(
        "/staff/login",
        data={"username": "an", "password": PASSWORD, "next": "//evil.example/staff"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff/"


def test_logout_needs_the_csrf_token_and_ends_the_session(
    login: Callable[..., Officer],
) -> None:
    officer = login(Role.desk)
    forged = officer.client.post("/staff/logout", data={}, follow_redirects=False)
    assert forged.status_code == 403
    wrong = officer.client.post(
        "/staff/logout", data={"csrf_token": "x" * 43}, follow_redirects=False
    )
    assert wrong.status_code == 403
    assert officer.post("/staff/logout").status_code == 303
    assert officer.client.get("/staff/", follow_redirects=False).status_code == 303


def test_disabling_an_account_ends_its_sessions(login: Callable[..., Officer]) -> None:
    officer = login(Role.desk)
    Accounts().update(officer.account.id, active=False)
    assert officer.client.get("/staff/", follow_redirects=False).status_code == 303


def test_forged_session_cookie_is_ignored(client: TestClient) -> None:
    client.cookies.set("staff_session", "forged-token", domain="testserver", path="/staff")
    assert client.get("/staff/", follow_redirects=False).status_code == 303
