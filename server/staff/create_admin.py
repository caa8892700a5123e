"""``python -m server.staff.create_admin --username NAME``: the department's first
administrator (``make admin``), who then creates every other account in the console.

The password is typed twice at a hidden prompt, or read from standard input with
``--password-stdin`` (for an installer script); it never appears on the command line, in
the shell history or in an environment variable.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from server.staff.accounts import SYSTEM, AccountError, Accounts, Role


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu: ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise AccountError("Hai lần nhập mật khẩu không khớp.")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--username", required=True)
    parser.add_argument("--full-name", default="Quản trị viên")
    parser.add_argument("--password-stdin", action="store_true")
    args = parser.parse_args(argv)
    try:
        account = Accounts().create(
            args.username,
            args.full_name,
            _password(args.password_stdin),
            {Role.admin},
            actor=SYSTEM,  # the entry is written with the account, in one transaction
        )
    except AccountError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Đã tạo tài khoản quản trị “{account.username}”.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
