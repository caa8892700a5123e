"""What every console page needs: the officer behind the cookie, role checks, the CSRF
check of every form, and rendering a template with the layout's context.

CSRF: the synchronizer-token pattern. Each session has its own random token (in the
database with the session); every form carries it in a hidden ``csrf_token`` field and a
POST whose field does not match is refused with 403 before anything runs. Unlike a
double-submit cookie (fastapi-csrf-protect), one token per session keeps the forms of two
open tabs valid, and it is compared in constant time. The session cookie is HttpOnly,
Secure and SameSite=Strict on top.
"""

from __future__ import annotations

import datetime as dt
import hmac
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from server.core.config import get_settings
from server.dossiers.models import VN_TZ
from server.staff.accounts import ROLE_LABELS, Account, Accounts, Role, StaffSession

SESSION_COOKIE = "staff_session"


def vn_time(value: dt.datetime | None, empty: str = "") -> str:
    """A stored UTC time as officers read it: dd/mm/yyyy HH:MM in Vietnam time (SQLite
    returns times without their zone: they are UTC)."""
    if value is None:
        return empty
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
    return f"{aware.astimezone(VN_TZ):%d/%m/%Y %H:%M}"


def vn_date(value: dt.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value is not None else ""


TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
TEMPLATES.env.globals.update(ROLE_LABELS=ROLE_LABELS, vn_time=vn_time, vn_date=vn_date)
MAX_FORM_BYTES = 12 * 1024 * 1024  # an imported spreadsheet; anything else is far smaller

# Messages shown after a redirect, by key: a query string never carries text to the page.
NOTICES = {
    "saved": "Đã lưu bản nháp.",
    "submitted": "Đã gửi duyệt.",
    "published": "Đã xuất bản. Trợ lý trả lời theo bản mới ngay.",
    "rejected": "Đã trả lại bản nháp cho người biên tập.",
    "rolled_back": "Đã khôi phục phiên bản cũ. Trợ lý trả lời theo bản này ngay.",
    "imported": "Đã nhập bảng tính: các thay đổi đang chờ duyệt.",
    "labelled": "Đã ghi nhận nhãn.",
    "taken": "Anh/chị đã nhận cuộc trò chuyện; trợ lý tạm dừng trả lời.",
    "sent": "Đã gửi tin nhắn.",
    "released": "Đã trả cuộc trò chuyện cho trợ lý; công dân được mời đánh giá.",
    "handoff_closed": "Đã đóng yêu cầu.",
    "withdrawn": "Đã huỷ bản nháp.",
    "moved": "Đã cập nhật bước xử lý hồ sơ.",
    "account_saved": "Đã lưu tài khoản.",
    "logged_out": "Anh/chị đã đăng xuất.",
}


class LoginRequired(Exception):
    """No live session: the handler sends the browser to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def accounts() -> Accounts:
    return Accounts()


AccountsDep = Annotated[Accounts, Depends(accounts)]


def staff_session(request: Request, store: AccountsDep) -> StaffSession:
    token = request.cookies.get(SESSION_COOKIE, "")
    session = store.session(token) if token else None
    if session is None:
        raise LoginRequired(request.url.path)
    request.state.staff_session = session
    return session


SessionDep = Annotated[StaffSession, Depends(staff_session)]


def require(*roles: Role) -> Any:
    """A dependency that lets through an officer holding any of ``roles`` (403 otherwise)."""

    def check(session: SessionDep) -> Account:
        if not session.account.can(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "Tài khoản của anh/chị không có quyền dùng trang này."
            )
        return session.account

    return Depends(check)


async def csrf_form(request: Request, session: SessionDep) -> FormData:
    """The POSTed form, after its CSRF token was checked against the session's."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_FORM_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "Tệp gửi lên quá lớn.")
    form = await request.form(max_part_size=MAX_FORM_BYTES)
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode(), session.csrf_token.encode()
    ):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Biểu mẫu đã hết hạn hoặc không hợp lệ. Anh/chị tải lại trang rồi thử lại.",
        )
    return form


FormDep = Annotated[FormData, Depends(csrf_form)]


def form_text(form: FormData, name: str, max_chars: int = 4000) -> str:
    """A text field of a form, stripped; '' when absent or a file."""
    value = form.get(name)
    return value.strip()[:max_chars] if isinstance(value, str) else ""


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A console page: the layout gets the officer, the CSRF token and the notice."""
    session: StaffSession | None = getattr(request.state, "staff_session", None)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "officer": session.account if session else None,
            "csrf_token": session.csrf_token if session else "",
            "notice": notice,
            "Role": Role,
            **context,
        },
        status_code=status_code,
    )


def redirect(path: str, notice: str | None = None) -> RedirectResponse:
    """303 after a POST, so a reload does not send the form again."""
    target = f"{path}?notice={quote(notice)}" if notice else path
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.staff_session_hours * 3600,
        path="/staff",
        httponly=True,
        secure=settings.staff_cookie_secure,
        samesite="strict",
    )


def clear_session_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(
        SESSION_COOKIE,
        path="/staff",
        httponly=True,
        secure=settings.staff_cookie_secure,
        samesite="strict",
    )
