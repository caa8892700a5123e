"""Logging in and the sessions that follow: the part of
:class:`server.staff.accounts.Accounts` that the login page and every request use.

Passwords are argon2 hashes (:mod:`server.staff.passwords`). After STAFF_MAX_FAILED_LOGINS
wrong passwords in a row an account locks for STAFF_LOCKOUT_MINUTES, which makes guessing
hopeless without locking anyone out for long. A session is a random token in an HttpOnly
cookie; the database keeps only its SHA-256, with the session's CSRF token and its expiry,
so every replica of the gateway knows every session and a logout or a disabled account
ends it everywhere at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Engine, delete, select, update

from server import db
from server.core.config import get_settings
from server.staff import passwords
from server.staff.account_models import (
    Account,
    LoginRefused,
    StaffSession,
    account_from_row,
    utc,
)
from server.staff.tables import staff_accounts, staff_sessions

WRONG_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Logins:
    """Logins and sessions on the app database (the settings' one without an engine)."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine or db.engine()

    def authenticate(self, username: str, password: str) -> Account:
        """The account, or :class:`LoginRefused`. Every wrong password counts towards the
        lock-out, also while the account is locked."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(staff_accounts).where(
                        staff_accounts.c.username == username.strip().lower()
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            passwords.verify(passwords.DUMMY_HASH, password)
            raise LoginRefused(WRONG_CREDENTIALS)
        account = account_from_row(row)
        if not passwords.verify(row["password_hash"], password):
            raise LoginRefused(self._count_failure(account.id))
        now = utc_now()
        if account.locked_until is not None and account.locked_until > now:
            raise LoginRefused(locked_message(account.locked_until))
        if not account.active:
            raise LoginRefused("Tài khoản này đã bị khoá. Anh/chị liên hệ quản trị viên.")
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if passwords.needs_rehash(row["password_hash"]):
            values["password_hash"] = passwords.hash_password(password)
        with self.engine.begin() as conn:
            conn.execute(
                update(staff_accounts).where(staff_accounts.c.id == account.id).values(**values)
            )
        return account

    def _count_failure(self, account_id: int) -> str:
        """Counts a wrong password (in one statement, so replicas cannot lose a count) and
        locks the account at the limit; returns what the login page says."""
        settings = get_settings()
        until = utc_now() + dt.timedelta(minutes=settings.staff_lockout_minutes)
        table = staff_accounts
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == account_id)
                .values(failed_logins=table.c.failed_logins + 1)
            )
            locked = conn.execute(
                update(table)
                .where(
                    table.c.id == account_id,
                    table.c.failed_logins >= settings.staff_max_failed_logins,
                )
                .values(locked_until=until)
            ).rowcount
        return locked_message(until) if locked else WRONG_CREDENTIALS

    def start_session(self, account: Account) -> str:
        """A new session for ``account``; returns the token for its cookie."""
        token = secrets.token_urlsafe(32)
        now = utc_now()
        hours = get_settings().staff_session_hours
        with self.engine.begin() as conn:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at < now))
            conn.execute(
                staff_sessions.insert().values(
                    token_hash=token_hash(token),
                    account_id=account.id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    expires_at=now + dt.timedelta(hours=hours),
                )
            )
        return token

    def session(self, token: str) -> StaffSession | None:
        """The live session of a cookie's token; None if unknown, expired or disabled."""
        if not token or len(token) > 100:
            return None
        query = (
            select(staff_sessions.c.csrf_token, staff_sessions.c.expires_at, staff_accounts)
            .join(staff_accounts, staff_accounts.c.id == staff_sessions.c.account_id)
            .where(staff_sessions.c.token_hash == token_hash(token))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        expires_at = utc(row["expires_at"])
        if expires_at is None or expires_at <= utc_now() or not row["active"]:
            return None
        return StaffSession(
            account=account_from_row(row), csrf_token=row["csrf_token"], expires_at=expires_at
        )

    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash(token))
            )


def locked_message(until: dt.datetime) -> str:
    local = until.astimezone(dt.timezone(dt.timedelta(hours=7)))
    return (
        "Tài khoản tạm khoá do nhập sai mật khẩu nhiều lần. "
        f"Anh/chị thử lại sau {local:%H:%M} hoặc nhờ quản trị viên mở khoá."
    )
