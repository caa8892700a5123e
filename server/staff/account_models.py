"""What an officer's account is: the roles, the account and session models, and who made a
change. Apart from :mod:`server.staff.accounts` so the audit log and the account services
can share them without importing each other; import them from there.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict
from sqlalchemy import RowMapping


class Role(str, Enum):
    editor = "editor"  # edits catalogue records, imports spreadsheets
    reviewer = "reviewer"  # publishes, rejects, rolls back
    desk = "desk"  # hand-offs, dossiers
    admin = "admin"  # accounts and the audit log


ROLE_LABELS = {
    Role.editor: "Biên tập thủ tục",
    Role.reviewer: "Duyệt và xuất bản",
    Role.desk: "Cán bộ một cửa",
    Role.admin: "Quản trị tài khoản",
}


class AccountError(ValueError):
    """A request the accounts refuse, with the reason in Vietnamese for the page."""


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    full_name: str
    roles: frozenset[Role]
    active: bool
    locked_until: dt.datetime | None = None
    last_login_at: dt.datetime | None = None

    def can(self, *roles: Role) -> bool:
        """True if the officer holds any of ``roles``."""
        return bool(self.roles & set(roles))


class StaffSession(BaseModel):
    model_config = ConfigDict(frozen=True)

    account: Account
    csrf_token: str
    expires_at: dt.datetime


class LoginRefused(Exception):
    """Wrong username or password, a locked or a disabled account (the page says which
    only as far as that tells an attacker nothing)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Who makes a change: an officer, the command line (SYSTEM), or None for no audit entry
# (seeding a test database).
SYSTEM: Literal["system"] = "system"
Actor: TypeAlias = Account | Literal["system"] | None


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive times: they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)


def account_from_row(row: RowMapping) -> Account:
    return Account(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        roles=frozenset(Role(r) for r in row["roles"].split(",") if r),
        active=row["active"],
        locked_until=utc(row["locked_until"]),
        last_login_at=utc(row["last_login_at"]),
    )
