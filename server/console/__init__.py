"""The staff console at ``/staff``: server-rendered pages (Jinja2) for the one-stop desk.

Each module is one part of the console and one router; :func:`install` adds them to the
gateway with the console's static files and error pages. The pages call the services in
:mod:`server.staff` and never touch the database themselves.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.console import (
    accounts,
    audit,
    catalogue,
    catalogue_import,
    dossiers,
    handoffs,
    inbox,
    login,
    reports,
    review,
)
from server.console.deps import LoginRequired, render

STATIC_DIR = Path(__file__).resolve().parent / "static"
# /staff/catalogue/import before /staff/catalogue/{procedure_id}: the first match wins.
ROUTERS = (
    login.router,
    handoffs.router,
    dossiers.router,
    catalogue_import.router,
    catalogue.router,
    review.router,
    inbox.router,
    reports.router,
    accounts.router,
    audit.router,
)


def install(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/staff/static", StaticFiles(directory=STATIC_DIR), name="console-static")

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/staff/login?next={exc.next_path}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def console_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Console pages answer errors with a page; the API keeps its JSON."""
        if request.url.path.startswith("/staff") and isinstance(exc.detail, str):
            return render(request, "error.html", exc.status_code, message=exc.detail)
        return await http_exception_handler(request, exc)
