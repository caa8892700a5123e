"""Logging in and out, and the home page that leads each officer to their work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from server.console.deps import (
    SESSION_COOKIE,
    AccountsDep,
    FormDep,
    SessionDep,
    clear_session_cookie,
    redirect,
    render,
    set_session_cookie,
)
from server.staff import audit
from server.staff.accounts import LoginRefused

router = APIRouter(prefix="/staff", tags=["staff console"], include_in_schema=False)


def _safe_next(value: str) -> str:
    """Only a console path: a login link must not send the officer to another site."""
    ok = value.startswith("/staff") and not value.startswith("//") and "\\" not in value
    return value if ok else "/staff/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/staff/") -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", response_model=None)
def log_in(
    request: Request,
    store: AccountsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/staff/",
) -> Response:
    """No CSRF token yet (there is no session): SameSite=Strict cookies and the fact that a
    forged login only logs the attacker's victim into the attacker's account, which the
    page then names, are what protect it."""
    try:
        account = store.authenticate(username, password)
    except LoginRefused as refused:
        audit.log(None, "login_failed", username.strip().lower()[:64])
        return render(request, "login.html", 401, next=_safe_next(next), error=refused.message)
    token = store.start_session(account)
    audit.log(account, "login")
    response = redirect(_safe_next(next))
    set_session_cookie(response, token)
    return response


@router.post("/logout")
def log_out(request: Request, session: SessionDep, form: FormDep, store: AccountsDep) -> Response:
    store.end_session(request.cookies.get(SESSION_COOKIE, ""))
    audit.log(session.account, "logout")
    response = redirect("/staff/login", "logged_out")
    clear_session_cookie(response)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "home.html")
