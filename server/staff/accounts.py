"""Officers' accounts and their roles: creating them, and what an administrator changes.

Logging in and the sessions are :class:`server.staff.logins.Logins`, which
:class:`Accounts` extends, so the console needs one object for both; the models are in
:mod:`server.staff.account_models` and importable from here.

Every change an officer (or the command line) makes is written with its audit entry in one
transaction. The department never loses its last administrator: nobody can take the admin
role from, or disable, the last active one, and an admin cannot do either to themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, delete, select, update
from sqlalchemy.exc import IntegrityError

from server.staff import audit, passwords
from server.staff.account_models import (
    ROLE_LABELS,
    SYSTEM,
    Account,
    AccountError,
    Actor,
    LoginRefused,
    Role,
    StaffSession,
    account_from_row,
)
from server.staff.logins import Logins, locked_message, token_hash, utc_now
from server.staff.tables import staff_accounts, staff_sessions

__all__ = [
    "ROLE_LABELS",
    "SYSTEM",
    "Account",
    "AccountError",
    "Accounts",
    "Actor",
    "LoginRefused",
    "Role",
    "StaffSession",
    "check_password",
]

MIN_PASSWORD_CHARS = passwords.MIN_CHARS


def check_password(password: str, username: str = "") -> None:
    problem = passwords.weakness(password, username)
    if problem:
        raise AccountError(problem)


def _record(
    conn: Connection, actor: Actor, action: str, target: str, detail: dict[str, Any]
) -> None:
    if actor is not None:
        audit.record(conn, actor if isinstance(actor, Account) else None, action, target, detail)


def _roles_text(roles: set[Role] | frozenset[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))


class Accounts(Logins):
    """The account and session tables. Without an engine: the app database of the settings."""

    def create(
        self,
        username: str,
        full_name: str,
        password: str,
        roles: set[Role],
        *,
        actor: Actor = None,
    ) -> Account:
        username = username.strip().lower()
        if (
            not username
            or len(username) > 64
            or not username.isascii()
            or not username.replace(".", "").isalnum()
        ):
            raise AccountError(
                "Tên đăng nhập chỉ gồm chữ không dấu, số và dấu chấm (tối đa 64 ký tự)."
            )
        if not roles:
            raise AccountError("Cần chọn ít nhất một vai trò.")
        check_password(password, username)
        values = {
            "username": username,
            "full_name": full_name.strip()[:200] or username,
            "password_hash": passwords.hash_password(password),
            "roles": _roles_text(roles),
            "active": True,
            "failed_logins": 0,
            "created_at": utc_now(),
        }
        try:
            with self.engine.begin() as conn:
                key = conn.execute(staff_accounts.insert().values(**values)).inserted_primary_key
                assert key is not None
                account = account_from_row(_row(conn, int(key[0])))
                detail = {"roles": sorted(r.value for r in roles)}
                _record(conn, actor, "account_created", username, detail)
        except IntegrityError as exc:
            raise AccountError(f"Tên đăng nhập “{username}” đã có.") from exc
        return account

    def get(self, account_id: int) -> Account | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(staff_accounts).where(staff_accounts.c.id == account_id))
                .mappings()
                .first()
            )
        return account_from_row(row) if row else None

    def all(self) -> list[Account]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(staff_accounts).order_by(staff_accounts.c.username))
            return [account_from_row(row) for row in rows.mappings()]

    def count_admins(self) -> int:
        return sum(1 for a in self.all() if a.active and Role.admin in a.roles)

    def update(
        self,
        account_id: int,
        *,
        roles: set[Role] | None = None,
        active: bool | None = None,
        password: str | None = None,
        unlock: bool = False,
        actor: Actor = None,
    ) -> Account:
        """Changes an account and returns it; new roles, a disabled account or a new
        password end its sessions, so the change holds at once on every replica. Each kind
        of change gets its own audit entry, in the transaction of the change."""
        with self.engine.begin() as conn:
            if roles is not None or active is not None:
                _lock_active_accounts(conn)
            before = account_from_row(_row(conn, account_id, lock=True))
            values: dict[str, object] = {}
            changed: dict[str, Any] = {}
            if roles is not None and roles != before.roles:
                if not roles:
                    raise AccountError("Cần chọn ít nhất một vai trò.")
                values["roles"] = _roles_text(roles)
                changed["roles"] = {"from": _roles_list(before.roles), "to": _roles_list(roles)}
            if active is not None and active != before.active:
                values["active"] = active
                changed["active"] = {"from": before.active, "to": active}
            if changed:
                _keep_an_admin(conn, before, roles or before.roles, before.active, active, actor)
            if password is not None:
                check_password(password, before.username)
                values["password_hash"] = passwords.hash_password(password)
            if unlock or password is not None:
                values.update(failed_logins=0, locked_until=None)
            if not values:
                return before
            conn.execute(
                update(staff_accounts).where(staff_accounts.c.id == account_id).values(**values)
            )
            if "roles" in values or active is False or password is not None:
                conn.execute(
                    delete(staff_sessions).where(staff_sessions.c.account_id == account_id)
                )
            if changed:
                _record(conn, actor, "account_updated", before.username, changed)
            if password is not None:
                _record(conn, actor, "password_reset", before.username, {})
            elif unlock:
                _record(conn, actor, "unlock", before.username, {})
            return account_from_row(_row(conn, account_id))

    def change_own_password(self, session_token: str, current: str, new: str) -> None:
        """The officer of ``session_token`` sets a new password, proving the current one.
        A wrong current password counts towards the lock-out like a wrong login (a stolen
        session must not be a way to guess the password); the officer's other sessions
        end, this one stays."""
        found = self.session(session_token)
        if found is None:
            raise AccountError("Phiên đăng nhập đã hết hạn. Anh/chị đăng nhập lại.")
        account = found.account
        with self.engine.connect() as conn:
            stored = str(_row(conn, account.id)["password_hash"])
        if account.locked_until is not None and account.locked_until > utc_now():
            raise AccountError(locked_message(account.locked_until))
        if not passwords.verify(stored, current):
            self._count_failure(account.id)
            raise AccountError("Mật khẩu hiện tại không đúng.")
        if new == current:
            raise AccountError("Mật khẩu mới cần khác mật khẩu hiện tại.")
        check_password(new, account.username)
        with self.engine.begin() as conn:
            conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.id == account.id)
                .values(
                    password_hash=passwords.hash_password(new), failed_logins=0, locked_until=None
                )
            )
            conn.execute(
                delete(staff_sessions).where(
                    staff_sessions.c.account_id == account.id,
                    staff_sessions.c.token_hash != token_hash(session_token),
                )
            )
            _record(conn, account, "password_changed", account.username, {})


def _row(conn: Connection, account_id: int, lock: bool = False) -> RowMapping:
    """The account's row; ``lock`` holds it (PostgreSQL) until the transaction ends."""
    query = select(staff_accounts).where(staff_accounts.c.id == account_id)
    row = conn.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise AccountError("Không tìm thấy tài khoản này.")
    return row


def _lock_active_accounts(conn: Connection) -> None:
    """Holds every active account's row (PostgreSQL; SQLite has one writer anyway) in id
    order, so two admins changing each other's roles at once take turns instead of both
    passing the last-admin check or deadlocking."""
    conn.execute(
        select(staff_accounts.c.id)
        .where(staff_accounts.c.active.is_(True))
        .order_by(staff_accounts.c.id)
        .with_for_update()
    ).all()


def _roles_list(roles: set[Role] | frozenset[Role]) -> list[str]:
    return sorted(r.value for r in roles)


def _keep_an_admin(
    conn: Connection,
    before: Account,
    roles: set[Role] | frozenset[Role],
    was_active: bool,
    active: bool | None,
    actor: Actor,
) -> None:
    """Refuses a change that leaves the department without an active administrator, or
    that takes an admin's own admin role or access away (the rows are locked by then)."""
    stays_admin = Role.admin in roles and (was_active if active is None else active)
    if not (before.active and Role.admin in before.roles) or stays_admin:
        return
    others = conn.execute(
        select(staff_accounts.c.roles).where(
            staff_accounts.c.active.is_(True), staff_accounts.c.id != before.id
        )
    ).scalars()
    if not any(Role.admin.value in r.split(",") for r in others):
        raise AccountError(
            "Đây là tài khoản quản trị cuối cùng còn hoạt động: cần có thêm một quản trị "
            "viên khác trước khi bỏ quyền quản trị hoặc khoá tài khoản này."
        )
    if isinstance(actor, Account) and actor.id == before.id:
        raise AccountError(
            "Anh/chị không thể tự bỏ quyền quản trị hoặc tự khoá tài khoản của mình; "
            "nhờ một quản trị viên khác làm việc này."
        )
