"""Officers' accounts (admins only), and every officer's own password.

An administrator creates accounts, changes roles and access, resets a password and lifts
a lock-out; each change is written with its audit entry by :class:`Accounts`. A password
the console generates is shown once, on the answer to the POST, with ``no-store`` so the
browser keeps no copy; it never travels in a URL.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from server.console.deps import (
    SESSION_COOKIE,
    AccountsDep,
    FormDep,
    SessionDep,
    form_text,
    redirect,
    render,
    require,
    vn_time,
)
from server.staff import passwords
from server.staff.accounts import Account, AccountError, Role

router = APIRouter(prefix="/staff", include_in_schema=False)
AdminDep = Annotated[Account, require(Role.admin)]


def _locked(account: Account) -> bool:
    now = dt.datetime.now(dt.timezone.utc)
    return account.locked_until is not None and account.locked_until > now


def _roles(form: FormData) -> set[Role]:
    """The ticked role boxes; a value that is no role is ignored (a forged form)."""
    values = {v for v in form.getlist("roles") if isinstance(v, str)}
    return {role for role in Role if role.value in values}


def _password(form: FormData, name: str) -> str:
    """A password field as typed (spaces included: they may be part of it)."""
    value = form.get(name)
    return value[: passwords.MAX_CHARS + 1] if isinstance(value, str) else ""


def _get(store: AccountsDep, account_id: int) -> Account:
    account = store.get(account_id)
    if account is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy tài khoản này.")
    return account


def _show_once(request: Request, account: Account, password: str, created: bool) -> Response:
    response = render(
        request, "accounts_secret.html", account=account, password=password, created=created
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _detail(
    request: Request, account: Account, error: str | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "accounts_detail.html",
        status_code,
        account=account,
        locked=_locked(account),
        locked_until=vn_time(account.locked_until, "—"),
        last_login=vn_time(account.last_login_at, "—"),
        error=error,
    )


@router.get("/accounts", response_class=HTMLResponse)
def account_list(request: Request, store: AccountsDep, officer: AdminDep) -> HTMLResponse:
    rows = [
        {
            "account": account,
            "locked_until": vn_time(account.locked_until, "—") if _locked(account) else "",
            "last_login": vn_time(account.last_login_at, "—"),
        }
        for account in store.all()
    ]
    return render(request, "accounts.html", rows=rows)


@router.get("/accounts/new", response_class=HTMLResponse)
def new_account_page(request: Request, officer: AdminDep) -> HTMLResponse:
    return render(request, "accounts_new.html", values={}, chosen=set(), error=None)


@router.post("/accounts/new", response_model=None)
def create_account(
    request: Request,
    store: AccountsDep,
    officer: AdminDep,
    form: FormDep,
) -> Response:
    """An empty password field means: generate one and show it once."""
    values = {"username": form_text(form, "username", 64)}
    values["full_name"] = form_text(form, "full_name", 200)
    typed = _password(form, "password")
    password = typed or passwords.generate()
    roles = _roles(form)
    try:
        account = store.create(
            values["username"], values["full_name"], password, roles, actor=officer
        )
    except AccountError as refused:
        return render(
            request, "accounts_new.html", 400, values=values, chosen=roles, error=str(refused)
        )
    if typed:
        return redirect(f"/staff/accounts/{account.id}", "account_saved")
    return _show_once(request, account, password, created=True)


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request, account_id: int, store: AccountsDep, officer: AdminDep
) -> Response:
    return _detail(request, _get(store, account_id))


@router.post("/accounts/{account_id}", response_model=None)
def change_account(
    request: Request,
    account_id: int,
    store: AccountsDep,
    officer: AdminDep,
    form: FormDep,
) -> Response:
    """Roles and access. New roles or a disabled account end the officer's sessions."""
    account = _get(store, account_id)
    try:
        store.update(
            account.id, roles=_roles(form), active=form.get("active") == "1", actor=officer
        )
    except AccountError as refused:
        return _detail(request, account, str(refused), status.HTTP_400_BAD_REQUEST)
    return redirect(f"/staff/accounts/{account.id}", "account_saved")


@router.post("/accounts/{account_id}/password", response_model=None)
def reset_password(
    request: Request,
    account_id: int,
    store: AccountsDep,
    officer: AdminDep,
    form: FormDep,
) -> Response:
    """A new password for an officer who forgot theirs; also lifts a lock-out."""
    account = _get(store, account_id)
    typed = _password(form, "password")
    password = typed or passwords.generate()
    try:
        store.update(account.id, password=password, actor=officer)
    except AccountError as refused:
        return _detail(request, account, str(refused), status.HTTP_400_BAD_REQUEST)
    if typed:
        return redirect(f"/staff/accounts/{account.id}", "account_saved")
    return _show_once(request, account, password, created=False)


@router.post("/accounts/{account_id}/unlock", response_model=None)
def unlock(
    account_id: int,
    store: AccountsDep,
    officer: AdminDep,
    form: FormDep,
) -> Response:
    account = _get(store, account_id)
    store.update(account.id, unlock=True, actor=officer)
    return redirect(f"/staff/accounts/{account.id}", "account_saved")


@router.get("/password", response_class=HTMLResponse)
def own_password_page(
    request: Request,
    session: SessionDep,
    changed: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    return render(request, "accounts_password.html", changed=changed, error=None)


@router.post("/password", response_model=None)
def change_own_password(
    request: Request, session: SessionDep, form: FormDep, store: AccountsDep
) -> Response:
    """Any officer, proving the current password; their other sessions end."""
    new = _password(form, "new_password")
    try:
        if new != _password(form, "confirm_password"):
            raise AccountError("Hai lần nhập mật khẩu mới không khớp.")
        store.change_own_password(
            request.cookies.get(SESSION_COOKIE, ""), _password(form, "current_password"), new
        )
    except AccountError as refused:
        return render(request, "accounts_password.html", 400, changed=False, error=str(refused))
    return redirect("/staff/password?changed=1")
