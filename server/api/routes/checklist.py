"""``GET /c/{code}``: the parents' checklist of a procedure (see :mod:`server.checklist`).

Plain server-rendered HTML with one stylesheet and an inline SVG QR code: no JavaScript,
so it works in Zalo's and Telegram's in-app browsers and prints as is; no inline script or
style, so the strict Content-Security-Policy of the gateway's pages
(:mod:`server.api.security_headers`) holds.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from knowledge.catalogue import Catalogue
from knowledge.department import load_department
from server.api.deps import SettingsDep
from server.checklist import PATH, build, checklist_url, find

router = APIRouter(tags=["checklist"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")
HEADERS = {"Cache-Control": "public, max-age=300"}  # a staff edit shows within minutes


@router.get(PATH + "{code}", response_class=HTMLResponse, include_in_schema=False)
def checklist_page(code: str, request: Request, settings: SettingsDep) -> HTMLResponse:
    catalogue: Catalogue = request.app.state.catalogue
    procedure = find(catalogue, code)
    if procedure is None:
        return templates.TemplateResponse(
            request, "not_found.html", status_code=status.HTTP_404_NOT_FOUND, headers=HEADERS
        )
    if procedure.repealed is not None:  # a link printed before the repeal: say what changed
        context = {"name": procedure.name, "repeal": procedure.repealed}
        return templates.TemplateResponse(
            request, "repealed.html", context, status_code=status.HTTP_410_GONE, headers=HEADERS
        )
    page = build(procedure, load_department(settings.department_file))
    context = {"page": page, "link": checklist_url(settings.public_url, procedure.id)}
    return templates.TemplateResponse(request, "checklist.html", context, headers=HEADERS)
