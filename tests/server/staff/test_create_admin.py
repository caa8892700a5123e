"""``python -m server.staff.create_admin``: the first administrator, from an installer script."""

from __future__ import annotations

import io

import pytest

from server.staff import audit
from server.staff.accounts import Accounts, Role
from server.staff.create_admin import main

PASSWORD = "mat-khau-quan-tri-2024"


def _run(monkeypatch: pytest.MonkeyPatch, stdin: str, *argv: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--username", "quantri", "--password-stdin", *argv])


def test_creates_an_admin_who_can_log_in(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, PASSWORD + "\r\n", "--full-name", "Nguyễn Văn Quản") == 0
    assert "Đã tạo tài khoản quản trị “quantri”" in capsys.readouterr().out
    account = Accounts().authenticate("quantri", PASSWORD)
    assert (account.full_name, account.roles) == ("Nguyễn Văn Quản", {Role.admin})
    [entry] = audit.entries()
    assert (entry.username, entry.action, entry.target) == ("system", "account_created", "quantri")
    assert entry.detail == {"roles": ["admin"]}


def test_a_duplicate_username_exits_with_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, PASSWORD + "\n") == 0
    assert _run(monkeypatch, "mot-mat-khau-khac-2024\n") == 1
    assert "đã có" in capsys.readouterr().err
    assert len(Accounts().all()) == 1 and len(audit.entries()) == 1
    Accounts().authenticate("quantri", PASSWORD)  # the first password still holds


def test_a_weak_password_exits_with_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, "ngan\n") == 1
    assert "ít nhất 10 ký tự" in capsys.readouterr().err
    assert Accounts().all() == [] and audit.entries() == []


def test_typed_passwords_must_match(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert main(["--username", "quantri"]) == 1
    assert "không khớp" in capsys.readouterr().err
    assert Accounts().all() == []


def test_the_username_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--password-stdin"])
    assert exited.value.code == 2
