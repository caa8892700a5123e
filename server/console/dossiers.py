"""The dossier page (desk): open dossiers with the overdue ones first, search by code, and
moving a dossier on with a note the citizen will read.

A move goes through :func:`server.notifications.move_dossier`, the same function as the
staff API (same store, same :class:`StepUpdate` check, the same notice queued for the
citizens who asked for one), then gets its audit entry. The store may be the provincial
one-stop system, so the entry is written after the move rather than in its transaction.
Lists show neither the applicant's name nor phone digits: a screen at the desk is seen by
the queue behind it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from knowledge.department import load_department
from knowledge.dossier_code import canonical
from server.console.deps import FormDep, form_text, redirect, render, require, vn_time
from server.core.config import get_settings
from server.dossiers import DossierBackendError, DossierStore
from server.dossiers.models import Dossier, Step, today_vn
from server.dossiers.render import STEP_LABELS, overdue_apology
from server.dossiers.staff_update import NOTE_MAX_CHARS, StepUpdate, dossier_store
from server.notifications import move_dossier, procedure_name
from server.staff import audit
from server.staff.accounts import Account, Role

router = APIRouter(prefix="/staff", include_in_schema=False)
StoreDep = Annotated[DossierStore, Depends(dossier_store)]
DeskDep = Annotated[Account, require(Role.desk)]
LIST_LIMIT = 200
UNAVAILABLE = "Hệ thống quản lý hồ sơ không phản hồi. Anh/chị thử lại sau ít phút."
# The step a dossier usually goes to next: what the form offers first.
NEXT_STEP = {
    Step.received: Step.processing,
    Step.processing: Step.result_ready,
    Step.additional_documents: Step.processing,
    Step.result_ready: Step.returned,
    Step.returned: Step.returned,
}
_FIELD_ERRORS = {
    "step": "Anh/chị chọn bước xử lý trong danh sách.",
    "note": f"Ghi chú tối đa {NOTE_MAX_CHARS} ký tự.",
}
_NOTE_REQUIRED = (
    "Khi yêu cầu bổ sung hồ sơ, anh/chị ghi rõ giấy tờ cần bổ sung: công dân sẽ đọc ghi chú này."
)


def _row(request: Request, d: Dossier, today: dt.date) -> dict[str, object]:
    """What a list shows of a dossier: nothing that names or reaches the applicant."""
    return {
        "code": d.code,
        "procedure": procedure_name(request.app.state, d.procedure_id),
        "received_on": d.received_on,
        "due_on": d.due_on,
        "step": STEP_LABELS[d.step],
        "days_overdue": (today - d.due_on).days if d.is_overdue(today) else 0,
        "due_today": d.due_on == today,
    }


def _search(store: DossierStore, typed: str) -> Dossier | tuple[int, str]:
    """The dossier of a code typed any way, or the status and the reason there is none."""
    key = canonical(typed)
    if key is None:
        return 422, "Mã hồ sơ không đúng định dạng (ví dụ: H10.22-260310-0042)."
    try:
        found = store.get(key)
    except DossierBackendError:
        return 502, UNAVAILABLE
    return found if found is not None else (404, "Không tìm thấy hồ sơ có mã này.")


@router.get("/dossiers", response_class=HTMLResponse)
def dossier_list(
    request: Request,
    store: StoreDep,
    officer: DeskDep,
    code: str = "",
) -> Response:
    """The open dossiers; with ``code``, the dossier of that code."""
    status_code, error = 200, None
    if code.strip():
        found = _search(store, code)
        if isinstance(found, Dossier):
            return redirect(f"/staff/dossiers/{found.code}")
        status_code, error = found
    today = today_vn()
    try:
        rows = [_row(request, d, today) for d in store.open_dossiers(today, LIST_LIMIT)]
    except DossierBackendError:
        rows, status_code, error = [], 502, UNAVAILABLE
    return render(
        request,
        "dossiers.html",
        status_code,
        rows=rows,
        code=code.strip()[:60],
        error=error,
        today=today,
        limit=LIST_LIMIT,
    )


def _dossier(store: DossierStore, code: str) -> Dossier:
    key = canonical(code)
    try:
        found = store.get(key) if key else None
    except DossierBackendError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, UNAVAILABLE) from exc
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy hồ sơ này.")
    return found


def _page(
    request: Request,
    d: Dossier,
    status_code: int = 200,
    errors: list[str] | None = None,
    chosen: Step | None = None,
    note: str = "",
) -> HTMLResponse:
    today = today_vn()
    department = load_department(get_settings().department_file)
    return render(
        request,
        "dossiers_detail.html",
        status_code,
        d=d,
        row=_row(request, d, today),
        history=[(vn_time(e.at), STEP_LABELS[e.step], e.note) for e in reversed(d.history)],
        apology=overdue_apology(d, department) if d.is_overdue(today) else None,
        steps=[(s.value, STEP_LABELS[s]) for s in Step],
        chosen=(chosen or NEXT_STEP[d.step]).value,
        note=note,
        errors=errors or [],
        note_max=NOTE_MAX_CHARS,
    )


@router.get("/dossiers/{code}", response_class=HTMLResponse)
def dossier_page(request: Request, code: str, store: StoreDep, officer: DeskDep) -> HTMLResponse:
    return _page(request, _dossier(store, code))


def _step_or_none(value: str) -> Step | None:
    try:
        return Step(value)
    except ValueError:
        return None


def _errors(exc: ValidationError) -> list[str]:
    messages = []
    for error in exc.errors():
        if error["type"] == "note_required":
            messages.append(_NOTE_REQUIRED)
        else:
            field = str(error["loc"][0]) if error["loc"] else ""
            messages.append(_FIELD_ERRORS.get(field, "Thông tin chưa hợp lệ."))
    return list(dict.fromkeys(messages))


@router.post("/dossiers/{code}/step", response_model=None)
def move_step(
    request: Request,
    code: str,
    form: FormDep,
    store: StoreDep,
    background: BackgroundTasks,
    officer: DeskDep,
) -> Response:
    current = _dossier(store, code)
    step, note = form_text(form, "step", 40), form_text(form, "note", NOTE_MAX_CHARS + 1)
    try:
        change = StepUpdate.model_validate({"step": step, "note": note or None})
    except ValidationError as exc:
        return _page(request, current, 422, _errors(exc), _step_or_none(step), note)
    try:
        moved = move_dossier(store, current.code, change, request.app.state, background)
    except DossierBackendError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, UNAVAILABLE) from exc
    if moved is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy hồ sơ này.")
    detail = {"from": current.step.value, "to": change.step.value, "note": bool(change.note)}
    audit.log(officer, "dossier_step", moved.code, detail)
    return redirect(f"/staff/dossiers/{moved.code}", "moved")
