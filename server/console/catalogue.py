"""The catalogue pages: find a record, see its facts and history, edit it as a draft,
submit it for review, and (reviewers) roll back to an earlier published version.

Edits start from the record *before* the department's local overrides
(``snapshot.unmerged``, or the published version in the database), so the local values are
never copied into a published record; the page says which facts the overrides still set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from knowledge.models import Level, Procedure
from knowledge.overrides import load_overrides
from server.console import catalogue_common as common
from server.console.deps import FormDep, form_text, redirect, require, vn_date
from server.console.record_form import (
    parse_record_form,
    posted_form_values,
    record_form_values,
)
from server.staff.accounts import Account, Role
from server.staff.catalogue_versions import CatalogueVersions, Status, Version, VersionRefused
from server.staff.import_values import text_key

router = APIRouter(prefix="/staff", tags=["staff console"], include_in_schema=False)

VersionsDep = Annotated[CatalogueVersions, Depends(common.versions)]
Viewer = Annotated[Account, require(Role.editor, Role.reviewer)]
Editor = Annotated[Account, require(Role.editor)]
Reviewer = Annotated[Account, require(Role.reviewer)]
CHECKS = {"uncertain": "Có thông tin chưa chắc chắn", "oldest": "Lâu chưa kiểm tra nhất"}


@dataclass(frozen=True)
class Row:
    record: Procedure
    checked: str
    uncertain: int
    published: bool
    overridden: bool
    in_progress: Status | None


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue_list(
    request: Request,
    officer: Viewer,
    store: VersionsDep,
    q: Annotated[str, Query(max_length=200)] = "",
    level: Annotated[str, Query(max_length=20)] = "",
    check: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    source = common.catalogue(request)
    snapshot = source.snapshot()
    wanted = text_key(q)
    progress = store.in_progress()
    records = [
        r
        for r in snapshot.procedures.values()
        if (not wanted or wanted in text_key(f"{r.name} {r.short_name} {r.code or ''} {r.id}"))
        and (not level or r.level.value == level)
        and (check != "uncertain" or common.uncertain_groups(r))
    ]
    if check == "oldest":
        records.sort(key=lambda r: (common.last_checked(r), r.name))
    else:
        records.sort(key=lambda r: r.name)
    rows = [
        Row(
            record=r,
            checked=vn_date(common.last_checked(r)),
            uncertain=len(common.uncertain_groups(r)),
            published=r.id in snapshot.published,
            overridden=r.id in snapshot.overridden,
            in_progress=progress.get(r.id),
        )
        for r in records
    ]
    return common.page(
        request,
        "catalogue_list.html",
        rows=rows,
        total=len(snapshot.procedures),
        q=q,
        level=level,
        check=check,
        levels=list(Level),
        checks=CHECKS,
        last_error=source.last_error,
    )


def _overridden_fields(request: Request, procedure_id: str) -> list[str]:
    """Which local facts the department's overrides file sets for a record."""
    path = common.catalogue(request).overrides
    overrides = load_overrides(path) if path is not None else None
    facts = overrides.procedures.get(procedure_id) if overrides else None
    if facts is None:
        return []
    labels = {
        "fee": "lệ phí",
        "authorities": "cơ quan giải quyết",
        "desk_note": "nơi nộp",
        "desk_hours": "giờ nhận hồ sơ",
        "online_url": "địa chỉ nộp trực tuyến",
        "notes": "lưu ý riêng",
    }
    return [label for name, label in labels.items() if getattr(facts, name) not in (None, [])]


@router.get("/catalogue/{procedure_id}", response_class=HTMLResponse)
def record_page(
    request: Request, officer: Viewer, procedure_id: str, store: VersionsDep
) -> HTMLResponse:
    common.known_record(request, procedure_id)
    record = common.catalogue(request).get(procedure_id)
    assert record is not None
    history = store.versions(procedure_id)
    current = next((v.id for v in history if v.status is Status.published), None)
    return common.page(
        request,
        "catalogue_record.html",
        record=record,
        uncertain=common.uncertain_groups(record),
        overridden=_overridden_fields(request, procedure_id),
        history=history,
        current_id=current,
        own_draft=store.open_draft(officer, procedure_id) if officer.can(Role.editor) else None,
    )


@dataclass(frozen=True)
class Start:
    """Where an edit starts: the record, the version it was read from (None: the record
    file), the published version it is based on, and the officer's own draft it continues
    (changed in place), if any. The form carries ``origin``, so a publish between showing
    the form and saving it cannot change what the edit is based on."""

    record: Procedure
    origin: int | None
    base_version_id: int | None
    draft_id: int | None = None


FROM_FILE = "file"


def _start(
    request: Request,
    store: CatalogueVersions,
    officer: Account,
    procedure_id: str,
    origin: str = "",
) -> Start:
    """``origin``: a version id (the officer's own draft, a rejected or withdrawn version to
    redo, a published version) or "file"; by default the officer's newest open draft, else
    the version the bot answers from (never the record with the local overrides merged)."""
    file_record = common.known_record(request, procedure_id)
    if origin == FROM_FILE:
        return Start(file_record, None, None)
    if origin:
        chosen = store.get(int(origin)) if origin.isdigit() else None
    else:
        chosen = store.open_draft(officer, procedure_id) or store.current(procedure_id)
    if chosen is None and not origin:
        return Start(file_record, None, None)
    if chosen is None or chosen.procedure_id != procedure_id:
        raise HTTPException(404, "Dạ, không tìm thấy phiên bản này ạ.")
    own = chosen.created_by == officer.id and chosen.batch_id is None
    if chosen.status is Status.draft and own:
        return Start(chosen.record(), chosen.id, chosen.base_version_id, chosen.id)
    if chosen.status in (Status.rejected, Status.withdrawn):
        return Start(chosen.record(), chosen.id, chosen.base_version_id)
    if chosen.status is Status.published:
        return Start(chosen.record(), chosen.id, chosen.id)
    raise HTTPException(409, "Dạ, phiên bản này đang chờ duyệt hoặc là bản nháp của người khác ạ.")


def _edit_page(
    request: Request,
    start: Start,
    values: dict[str, Any],
    errors: dict[str, str],
    note: str,
    status_code: int = 200,
) -> HTMLResponse:
    return common.page(
        request,
        "catalogue_edit.html",
        status_code,
        record=start.record,
        start=start,
        origin=FROM_FILE if start.origin is None else start.origin,
        values=values,
        errors=errors,
        note=note,
    )


@router.get("/catalogue/{procedure_id}/edit", response_class=HTMLResponse)
def edit_page(
    request: Request,
    officer: Editor,
    procedure_id: str,
    store: VersionsDep,
    origin: Annotated[str, Query(alias="from", max_length=20)] = "",
) -> HTMLResponse:
    start = _start(request, store, officer, procedure_id, origin)
    draft = store.get(start.draft_id) if start.draft_id else None
    note = draft.note if draft else ""
    return _edit_page(request, start, record_form_values(start.record), {}, note)


@router.post("/catalogue/{procedure_id}/edit", response_model=None)
def save_edit(
    request: Request,
    officer: Editor,
    procedure_id: str,
    store: VersionsDep,
    form: FormDep,
) -> Response:
    start = _start(request, store, officer, procedure_id, form_text(form, "edit_from", 20))
    note = form_text(form, "edit_note", 1000)
    record, errors = parse_record_form(form, start.record)
    if record is None or errors:
        return _edit_page(request, start, posted_form_values(form), errors, note, 422)
    try:
        draft = store.save_draft(officer, record, note, start.base_version_id, start.draft_id)
    except VersionRefused as exc:
        errors = {"record": exc.message}
        return _edit_page(request, start, posted_form_values(form), errors, note, exc.status)
    return redirect(f"/staff/catalogue/{procedure_id}/drafts/{draft.id}", "saved")


def _version(store: CatalogueVersions, procedure_id: str, version_id: int) -> Version:
    version = store.get(version_id)
    if version is None or version.procedure_id != procedure_id:
        raise HTTPException(404, "Dạ, không tìm thấy phiên bản này ạ.")
    return version


@router.get("/catalogue/{procedure_id}/drafts/{version_id}", response_class=HTMLResponse)
def draft_page(
    request: Request,
    officer: Viewer,
    procedure_id: str,
    version_id: int,
    store: VersionsDep,
) -> HTMLResponse:
    version = _version(store, procedure_id, version_id)
    return common.page(
        request,
        "catalogue_draft.html",
        version=version,
        record=version.record(),
        diffs=common.version_diff(request, store, version),
        stale=version.status is not Status.published and store.is_stale(version),
        own=version.created_by == officer.id,
    )


@router.post("/catalogue/{procedure_id}/drafts/{version_id}/submit", response_model=None)
def submit_draft(
    request: Request,
    officer: Editor,
    procedure_id: str,
    version_id: int,
    store: VersionsDep,
    form: FormDep,
) -> Response:
    _version(store, procedure_id, version_id)
    try:
        store.submit(officer, version_id)
    except VersionRefused as exc:
        return common.refused(request, exc)
    return redirect(f"/staff/catalogue/{procedure_id}/drafts/{version_id}", "submitted")


@router.post("/catalogue/{procedure_id}/drafts/{version_id}/withdraw", response_model=None)
def withdraw_draft(
    request: Request,
    officer: Editor,
    procedure_id: str,
    version_id: int,
    store: VersionsDep,
    form: FormDep,
) -> Response:
    _version(store, procedure_id, version_id)
    try:
        store.withdraw(officer, version_id)
    except VersionRefused as exc:
        return common.refused(request, exc)
    return redirect(f"/staff/catalogue/{procedure_id}", "withdrawn")


@router.post("/catalogue/{procedure_id}/versions/{version_id}/rollback", response_model=None)
def rollback(
    request: Request,
    officer: Reviewer,
    procedure_id: str,
    version_id: int,
    store: VersionsDep,
    form: FormDep,
) -> Response:
    try:
        store.rollback(officer, procedure_id, version_id)
    except VersionRefused as exc:
        return common.refused(request, exc)
    return redirect(f"/staff/catalogue/{procedure_id}", "rolled_back")
