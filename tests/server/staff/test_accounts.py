"""The account services on SQLite and PostgreSQL: each change with its audit entry in one
transaction, the password rules, the guard rails that keep an administrator, sessions that
end when they must, and the audit log's queries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server import db
from server.staff import audit, passwords
from server.staff.accounts import SYSTEM, Account, AccountError, Accounts, LoginRefused, Role
from server.staff.tables import staff_sessions

pytestmark = pytest.mark.both_databases

PASSWORD = "mat-khau-thu-nghiem"
NEW_PASSWORD = "mot-cau-dai-de-nho-2024"


@pytest.fixture
def store() -> Accounts:
    return Accounts()


@pytest.fixture
def admin(store: Accounts) -> Account:
    return store.create("quantri", "Quản trị", PASSWORD, {Role.admin})


def _sessions(account_id: int) -> int:
    with db.engine().connect() as conn:
        rows = conn.execute(
            select(staff_sessions.c.token_hash).where(staff_sessions.c.account_id == account_id)
        )
        return len(rows.all())


def test_create_writes_its_audit_entry_in_the_same_transaction(
    store: Accounts, admin: Account
) -> None:
    lan = store.create(" Lan.Nguyen ", " Nguyễn Thị Lan ", PASSWORD, {Role.desk}, actor=admin)
    assert (lan.username, lan.full_name, lan.roles, lan.active) == (
        "lan.nguyen",
        "Nguyễn Thị Lan",
        {Role.desk},
        True,
    )
    [entry] = audit.entries()
    assert (entry.username, entry.action, entry.target) == (
        "quantri",
        "account_created",
        "lan.nguyen",
    )
    assert entry.detail == {"roles": ["desk"]}
    with pytest.raises(AccountError, match="đã có"):
        store.create("LAN.NGUYEN", "Lan", PASSWORD, {Role.editor}, actor=admin)
    assert len(audit.entries()) == 1  # the refused account left no entry


def test_without_an_actor_nothing_is_logged_and_the_system_is_named(store: Accounts) -> None:
    store.create("mot", "Một", PASSWORD, {Role.desk})
    assert audit.entries() == []
    store.create("hai", "Hai", PASSWORD, {Role.admin}, actor=SYSTEM)
    [entry] = audit.entries()
    assert (entry.username, entry.action, entry.target) == ("system", "account_created", "hai")


def test_a_failing_audit_entry_undoes_the_change(
    store: Accounts, admin: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = store.create("lan", "Lan", PASSWORD, {Role.desk})

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the log is unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        store.update(desk.id, roles={Role.editor}, actor=admin)
    with pytest.raises(RuntimeError):
        store.create("minh", "Minh", PASSWORD, {Role.desk}, actor=admin)
    after = store.get(desk.id)
    assert after is not None and after.roles == {Role.desk}
    assert [a.username for a in store.all()] == ["lan", "quantri"]


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("lan", "ngan-qua", "ít nhất 10 ký tự"),
        ("lan", "x" * 201, "tối đa 200"),
        ("lan", "abababababab", "quá dễ đoán"),
        ("nguyen", "Nguyen-2024-mua-thu", "không được chứa tên đăng nhập"),
        ("", PASSWORD, "Tên đăng nhập chỉ gồm"),
        ("lan nguyen", PASSWORD, "Tên đăng nhập chỉ gồm"),
        ("nguyễn", PASSWORD, "Tên đăng nhập chỉ gồm"),
        ("a" * 65, PASSWORD, "Tên đăng nhập chỉ gồm"),
    ],
)
def test_bad_usernames_and_weak_passwords_are_refused(
    store: Accounts, username: str, password: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        store.create(username, "Lan", password, {Role.desk})
    assert store.all() == []


def test_a_short_username_may_appear_in_a_password(store: Accounts) -> None:
    store.create("an", "An", "banana-split-2024", {Role.desk})
    assert store.authenticate("an", "banana-split-2024").username == "an"


def test_a_200_character_password_still_logs_in(store: Accounts) -> None:
    long_password = "cau-dai-" * 25
    assert len(long_password) == 200
    store.create("lan", "Lan", long_password, {Role.desk})
    assert store.authenticate("lan", long_password).username == "lan"


def test_generated_passwords_pass_the_rules_and_differ() -> None:
    made = {passwords.generate() for _ in range(20)}
    assert len(made) == 20
    assert all(passwords.weakness(p) is None and len(p) == 19 for p in made)


def test_new_roles_end_the_sessions_and_are_logged(store: Accounts, admin: Account) -> None:
    desk = store.create("lan", "Lan", PASSWORD, {Role.desk})
    token = store.start_session(desk)
    same = store.update(desk.id, roles={Role.desk}, active=True, actor=admin)
    assert same.roles == {Role.desk} and store.session(token) is not None
    assert audit.entries() == []  # nothing changed, nothing logged
    changed = store.update(desk.id, roles={Role.editor, Role.desk}, actor=admin)
    assert changed.roles == {Role.desk, Role.editor}
    assert store.session(token) is None and _sessions(desk.id) == 0
    [entry] = audit.entries()
    assert entry.action == "account_updated" and entry.target == "lan"
    assert entry.detail == {"roles": {"from": ["desk"], "to": ["desk", "editor"]}}
    with pytest.raises(AccountError, match="ít nhất một vai trò"):
        store.update(desk.id, roles=set(), actor=admin)


def test_disabling_refuses_the_login_and_enabling_restores_it(
    store: Accounts, admin: Account
) -> None:
    desk = store.create("lan", "Lan", PASSWORD, {Role.desk})
    store.start_session(desk)
    store.update(desk.id, active=False, actor=admin)
    assert _sessions(desk.id) == 0
    with pytest.raises(LoginRefused, match="đã bị khoá"):
        store.authenticate("lan", PASSWORD)
    store.update(desk.id, active=True, actor=admin)
    assert store.authenticate("lan", PASSWORD).id == desk.id
    assert [e.detail for e in audit.entries()] == [
        {"active": {"from": False, "to": True}},
        {"active": {"from": True, "to": False}},
    ]


def test_reset_and_unlock_lift_a_lock_out(store: Accounts, admin: Account) -> None:
    desk = store.create("lan", "Lan", PASSWORD, {Role.desk})
    for _ in range(5):
        with pytest.raises(LoginRefused):
            store.authenticate("lan", "sai-mat-khau-roi")
    with pytest.raises(LoginRefused, match="tạm khoá"):
        store.authenticate("lan", PASSWORD)
    locked = store.get(desk.id)
    assert locked is not None and locked.locked_until is not None
    assert locked.locked_until > dt.datetime.now(dt.timezone.utc)
    unlocked = store.update(desk.id, unlock=True, actor=admin)
    assert unlocked.locked_until is None
    assert store.authenticate("lan", PASSWORD).id == desk.id
    token = store.start_session(desk)
    store.update(desk.id, password=NEW_PASSWORD, actor=admin)
    assert store.session(token) is None
    with pytest.raises(LoginRefused):
        store.authenticate("lan", PASSWORD)
    store.authenticate("lan", NEW_PASSWORD)
    assert [(e.action, e.detail) for e in audit.entries()] == [
        ("password_reset", {}),
        ("unlock", {}),
    ]
    with pytest.raises(AccountError, match="ít nhất 10 ký tự"):
        store.update(desk.id, password="ngan", actor=admin)


def test_the_last_active_admin_cannot_be_demoted_or_disabled(
    store: Accounts, admin: Account
) -> None:
    for actor in (None, SYSTEM, admin):
        with pytest.raises(AccountError, match="quản trị cuối cùng còn hoạt động"):
            store.update(admin.id, roles={Role.desk}, actor=actor)
        with pytest.raises(AccountError, match="quản trị cuối cùng còn hoạt động"):
            store.update(admin.id, active=False, actor=actor)
    # A disabled admin does not count as the other one.
    other = store.create("quantri2", "Quản trị 2", PASSWORD, {Role.admin})
    store.update(other.id, active=False, actor=admin)
    with pytest.raises(AccountError, match="quản trị cuối cùng"):
        store.update(admin.id, roles={Role.editor}, actor=SYSTEM)
    after = store.get(admin.id)
    assert after is not None and (after.roles, after.active) == ({Role.admin}, True)


def test_an_admin_cannot_demote_or_disable_themselves(store: Accounts, admin: Account) -> None:
    other = store.create("quantri2", "Quản trị 2", PASSWORD, {Role.admin})
    with pytest.raises(AccountError, match="không thể tự bỏ quyền quản trị"):
        store.update(admin.id, roles={Role.desk}, actor=admin)
    with pytest.raises(AccountError, match="không thể tự bỏ quyền quản trị"):
        store.update(admin.id, active=False, actor=admin)
    # Adding a role to oneself is fine, and so is demoting another admin.
    assert store.update(admin.id, roles={Role.admin, Role.desk}, actor=admin).can(Role.desk)
    assert store.update(other.id, roles={Role.reviewer}, actor=admin).roles == {Role.reviewer}
    # Now the first is the last admin again.
    with pytest.raises(AccountError, match="quản trị cuối cùng"):
        store.update(admin.id, active=False, actor=other)


def test_an_unknown_account_is_refused(store: Accounts) -> None:
    with pytest.raises(AccountError, match="Không tìm thấy"):
        store.update(999, unlock=True)


def test_own_password_keeps_this_session_and_ends_the_others(store: Accounts) -> None:
    lan = store.create("lan", "Lan", PASSWORD, {Role.editor})
    here, elsewhere = store.start_session(lan), store.start_session(lan)
    with pytest.raises(AccountError, match="hiện tại không đúng"):
        store.change_own_password(here, "sai-mat-khau-roi", NEW_PASSWORD)
    with pytest.raises(AccountError, match="khác mật khẩu hiện tại"):
        store.change_own_password(here, PASSWORD, PASSWORD)
    with pytest.raises(AccountError, match="ít nhất 10 ký tự"):
        store.change_own_password(here, PASSWORD, "ngan-qua")
    with pytest.raises(AccountError, match="hết hạn"):
        store.change_own_password("not-a-session", PASSWORD, NEW_PASSWORD)
    store.change_own_password(here, PASSWORD, NEW_PASSWORD)
    assert store.session(here) is not None and store.session(elsewhere) is None
    assert store.authenticate("lan", NEW_PASSWORD).id == lan.id
    [entry] = audit.entries()
    assert (entry.username, entry.action, entry.target) == ("lan", "password_changed", "lan")


def test_guessing_the_current_password_locks_the_account(store: Accounts) -> None:
    lan = store.create("lan", "Lan", PASSWORD, {Role.editor})
    token = store.start_session(lan)
    for _ in range(5):
        with pytest.raises(AccountError, match="hiện tại không đúng"):
            store.change_own_password(token, "sai-mat-khau-roi", NEW_PASSWORD)
    # Locked now: even the right password changes nothing until an admin unlocks.
    with pytest.raises(AccountError, match="tạm khoá"):
        store.change_own_password(token, PASSWORD, NEW_PASSWORD)
    with pytest.raises(LoginRefused, match="tạm khoá"):
        store.authenticate("lan", PASSWORD)


# The audit log's queries


def _log(count: int, username: str, action: str) -> None:
    officer = Account(id=1, username=username, full_name="", roles=frozenset(), active=True)
    for number in range(count):
        audit.log(officer, action, f"{username}-{number}")


def test_audit_pages_filters_and_batches() -> None:
    _log(7, "lan", "labelled")
    _log(3, "minh", "published")
    audit.log(None, "something_new", "x")
    first = audit.page(size=4, number=1)
    assert first.total == 11 and [e.target for e in first.entries] == [
        "x",
        "minh-2",
        "minh-1",
        "minh-0",
    ]
    third = audit.page(size=4, number=3)
    assert [e.target for e in third.entries] == ["lan-2", "lan-1", "lan-0"]
    only = audit.page(username="lan", action="labelled", size=100)
    assert only.total == 7 and {e.username for e in only.entries} == {"lan"}
    assert audit.page(username="lan", action="published").total == 0
    batched = list(audit.every_entry(action="labelled", batch=3))
    assert [e.target for e in batched] == [f"lan-{n}" for n in range(6, -1, -1)]
    assert audit.usernames() == ["lan", "minh", "system"]
    assert audit.actions() == ["labelled", "published", "something_new"]
    assert all(e.at.tzinfo is not None for e in batched)
